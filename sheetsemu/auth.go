package sheetsemu

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// anonymousUser is the quota key for unauthenticated callers.
const anonymousUser = "anonymous"

// ServiceAccount is an account the emulator accepts tokens for: JWT
// assertions signed with the private key matching PublicKey and issued by
// Email.
type ServiceAccount struct {
	Email     string
	KeyID     string
	PublicKey *rsa.PublicKey
}

// serviceAccountFile is the subset of Google's service-account JSON the
// emulator reads and writes.
type serviceAccountFile struct {
	Type         string `json:"type"`
	ProjectID    string `json:"project_id"`
	PrivateKeyID string `json:"private_key_id"`
	PrivateKey   string `json:"private_key"`
	ClientEmail  string `json:"client_email"`
	ClientID     string `json:"client_id"`
	AuthURI      string `json:"auth_uri"`
	TokenURI     string `json:"token_uri"`
}

// GenerateServiceAccount creates a new RSA key and returns the account to
// register with the emulator plus a service-account JSON file whose
// token_uri points at tokenURI (e.g. "http://127.0.0.1:8787/token"), usable
// with golang.org/x/oauth2/google.
func GenerateServiceAccount(email, tokenURI string) (ServiceAccount, []byte, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return ServiceAccount{}, nil, fmt.Errorf("generate service account key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return ServiceAccount{}, nil, fmt.Errorf("encode service account key: %w", err)
	}
	kid := fmt.Sprintf("%x", sha256.Sum256(der))[:40]
	f := serviceAccountFile{
		Type: "service_account", ProjectID: "sheets-emulator", PrivateKeyID: kid,
		PrivateKey:  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		ClientEmail: email, ClientID: "100000000000000000000",
		AuthURI: "https://accounts.google.com/o/oauth2/auth", TokenURI: tokenURI,
	}
	raw, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return ServiceAccount{}, nil, fmt.Errorf("encode service account json: %w", err)
	}
	return ServiceAccount{Email: email, KeyID: kid, PublicKey: &key.PublicKey}, raw, nil
}

// ParseServiceAccountJSON reads a service-account JSON file (as written by
// GenerateServiceAccount or Google) and returns the account to register.
func ParseServiceAccountJSON(raw []byte) (ServiceAccount, error) {
	var f serviceAccountFile
	if err := json.Unmarshal(raw, &f); err != nil {
		return ServiceAccount{}, fmt.Errorf("parse service account json: %w", err)
	}
	block, _ := pem.Decode([]byte(f.PrivateKey))
	if block == nil || f.ClientEmail == "" {
		return ServiceAccount{}, fmt.Errorf("parse service account json: missing private_key or client_email")
	}
	var pub *rsa.PublicKey
	if k, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return ServiceAccount{}, fmt.Errorf("parse service account json: key is not RSA")
		}
		pub = &rk.PublicKey
	} else if rk, err2 := x509.ParsePKCS1PrivateKey(block.Bytes); err2 == nil {
		pub = &rk.PublicKey
	} else {
		return ServiceAccount{}, fmt.Errorf("parse service account json: %w", err)
	}
	return ServiceAccount{Email: f.ClientEmail, KeyID: f.PrivateKeyID, PublicKey: pub}, nil
}

type issuedToken struct {
	email   string
	expires time.Time
}

// authority verifies JWT assertions and bearer tokens. It is disabled
// (everyone is anonymous and may access everything) when no accounts are
// registered.
type authority struct {
	accounts map[string]ServiceAccount
	tokens   map[string]issuedToken
	// refused are accounts the token endpoint refuses (revoke.go).
	refused map[string]Refusal
}

func newAuthority(accts []ServiceAccount) *authority {
	a := &authority{accounts: map[string]ServiceAccount{}, tokens: map[string]issuedToken{}, refused: map[string]Refusal{}}
	for _, sa := range accts {
		a.accounts[sa.Email] = sa
	}
	return a
}

func (a *authority) enabled() bool { return len(a.accounts) > 0 }

// AddServiceAccount registers an account and switches authentication on.
func (s *Server) AddServiceAccount(sa ServiceAccount) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.auth.accounts[sa.Email] = sa
}

// Share limits a spreadsheet to the given service-account emails (when
// authentication is on). Spreadsheets never shared are open to every
// registered account; spreadsheets created by an account are shared with
// it alone.
func (s *Server) Share(id string, emails ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.books[id]
	if b == nil {
		return fmt.Errorf("share %q: %w", id, notFound())
	}
	nb := b.clone()
	nb.SharedWith = append(nb.SharedWith, emails...)
	s.books[id] = nb
	s.changed()
	return nil
}

func (a *authority) canAccess(user string, b *book) bool {
	if !a.enabled() || len(b.SharedWith) == 0 {
		return true
	}
	for _, e := range b.SharedWith {
		if e == user {
			return true
		}
	}
	return false
}

// authenticate returns the caller's identity. Without registered accounts
// it is the quotaUser parameter or "anonymous".
func (s *Server) authenticate(q *apiRequest) (string, *apiError) {
	if !s.auth.enabled() {
		if u := q.query.Get("quotaUser"); u != "" {
			return u, nil
		}
		return anonymousUser, nil
	}
	h := q.r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || tok == "" {
		return "", unauthenticated()
	}
	// A refused account's tokens stop working at once (revoke.go).
	if t, ok := s.auth.tokens[tok]; ok && s.now().Before(t.expires) && s.auth.refused[t.email] == "" {
		return t.email, nil
	}
	// Self-signed JWTs (used by newer Google auth libraries instead of a
	// token exchange) are accepted directly.
	if email, err := s.verifyJWT(tok); err == nil && s.auth.refused[email] == "" {
		return email, nil
	}
	return "", unauthenticated()
}

// verifyJWT checks an RS256 JWT signed by a registered account and returns
// its issuer.
func (s *Server) verifyJWT(tok string) (string, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return "", fmt.Errorf("verify jwt: not a JWT")
	}
	var claims struct {
		Iss string `json:"iss"`
		Exp int64  `json:"exp"`
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", fmt.Errorf("verify jwt: payload: %w", err)
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		return "", fmt.Errorf("verify jwt: claims: %w", err)
	}
	sa, ok := s.auth.accounts[claims.Iss]
	if !ok {
		return "", fmt.Errorf("verify jwt: unknown issuer %q", claims.Iss)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return "", fmt.Errorf("verify jwt: signature: %w", err)
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(sa.PublicKey, crypto.SHA256, sum[:], sig); err != nil {
		return "", fmt.Errorf("verify jwt: %w", err)
	}
	if claims.Exp != 0 && s.now().Unix() > claims.Exp+60 {
		return "", fmt.Errorf("verify jwt: expired")
	}
	return claims.Iss, nil
}

// serveToken is the OAuth2 token endpoint for the JWT-bearer grant used by
// service accounts (golang.org/x/oauth2/jwt).
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "invalid_request"})
		return
	}
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": err.Error()})
		return
	}
	if r.PostForm.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type", "error_description": "Invalid grant_type: " + r.PostForm.Get("grant_type")})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	email, err := s.verifyJWT(r.PostForm.Get("assertion"))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant", "error_description": string(RefuseKeyDeleted)})
		return
	}
	if why := s.auth.refused[email]; why != "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant", "error_description": string(why)})
		return
	}
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	tok := "ya29.emulator-" + base64.RawURLEncoding.EncodeToString(b)
	s.auth.tokens[tok] = issuedToken{email: email, expires: s.now().Add(time.Hour)}
	writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": 3599})
}
