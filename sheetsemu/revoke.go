package sheetsemu

import (
	"fmt"
	"net/http"
)

// Refusal is the error_description Google's token endpoint answers (with
// HTTP 400 and error "invalid_grant") for a service account whose key or
// account is gone. The texts are real ones; sources in CONFORMANCE.md.
type Refusal string

const (
	// RefuseKeyDeleted is the answer for a JWT signed by a key that was
	// deleted (or rotated away) in the Cloud console.
	RefuseKeyDeleted Refusal = "Invalid JWT Signature."
	// RefuseAccountDeleted is the answer for a deleted or disabled
	// service account.
	RefuseAccountDeleted Refusal = "Invalid grant: account not found"
)

// ParseRefusal maps "key" (or "revoked") to RefuseKeyDeleted and
// "account" (or "deleted") to RefuseAccountDeleted.
func ParseRefusal(name string) (Refusal, error) {
	switch name {
	case "key", "revoked", "":
		return RefuseKeyDeleted, nil
	case "account", "deleted":
		return RefuseAccountDeleted, nil
	}
	return "", fmt.Errorf("unknown refusal %q: want key or account", name)
}

// RefuseServiceAccount makes the token endpoint answer 400
// {"error":"invalid_grant","error_description":why} to every assertion of
// email, and makes the access tokens already issued to it (and its
// self-signed JWTs) answer 401 UNAUTHENTICATED from now on: the stricter
// of Google's possible behaviours, since a revoked key must not keep a
// daemon working by accident. An empty why means RefuseKeyDeleted.
func (s *Server) RefuseServiceAccount(email string, why Refusal) {
	if why == "" {
		why = RefuseKeyDeleted
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.auth.refused[email] = why
}

// AcceptServiceAccount undoes RefuseServiceAccount (a new key was put in
// place): the token endpoint issues tokens to email again. Tokens issued
// before the refusal stay invalid.
func (s *Server) AcceptServiceAccount(email string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.auth.refused, email)
	for tok, t := range s.auth.tokens {
		if t.email == email {
			delete(s.auth.tokens, tok)
		}
	}
}

// serveAccountsAdmin is /_emulator/accounts: POST ?refuse=EMAIL[&why=key|
// account] refuses an account at the token endpoint, POST ?accept=EMAIL
// takes that back; GET (and every POST) answers {"refused":{email:why}}.
func (s *Server) serveAccountsAdmin(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodPost:
		q := r.URL.Query()
		if email := q.Get("refuse"); email != "" {
			why, err := ParseRefusal(q.Get("why"))
			if err != nil {
				writeAPIError(w, badRequest("%v", err))
				return
			}
			s.RefuseServiceAccount(email, why)
		}
		if email := q.Get("accept"); email != "" {
			s.AcceptServiceAccount(email)
		}
	case http.MethodGet:
	default:
		writeAPIError(w, &apiError{Code: http.StatusMethodNotAllowed, Status: "INVALID_ARGUMENT", Message: "use GET or POST"})
		return
	}
	s.mu.Lock()
	out := make(map[string]Refusal, len(s.auth.refused))
	for e, why := range s.auth.refused {
		out[e] = why
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"refused": out})
}
