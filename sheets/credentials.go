package sheets

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
)

// ErrBadCredentials: the credentials file cannot be used at all (missing,
// unreadable, not JSON, not a service account key, or its private key does
// not parse, e.g. a truncated copy). Nothing was sent; retrying cannot
// help; the fix is a new key file.
var ErrBadCredentials = errors.New("credentials file unusable")

// ServiceAccountKey is what syncd reads from a service account's JSON key.
type ServiceAccountKey struct {
	Type        string `json:"type"`
	ClientEmail string `json:"client_email"`
	TokenURI    string `json:"token_uri"`
	PrivateKey  string `json:"private_key"`
}

// credentialsError is an unusable credentials file: Error names the file,
// what is wrong and the fix; errors.Is finds ErrBadCredentials.
type credentialsError struct {
	file, what string
	err        error
}

func (e *credentialsError) Error() string {
	msg := fmt.Sprintf("credentials file %s %s", e.file, e.what)
	if e.err != nil {
		msg += ": " + e.err.Error()
	}
	return msg + " (fix: create a new JSON key for the service account in the Google Cloud console," +
		" IAM > Service accounts > Keys > Add key, and install it there whole)"
}

func (e *credentialsError) Unwrap() []error { return []error{ErrBadCredentials, e.err} }

// ReadServiceAccountKey reads and checks a service account key file the
// way the Client will use it, including parsing the private key, so that a
// truncated or edited key fails here, once, with the cause, instead of on
// every token request (which looked like a network problem and was
// retried for ever). Errors wrap ErrBadCredentials.
func ReadServiceAccountKey(file string) (ServiceAccountKey, []byte, error) {
	var key ServiceAccountKey
	data, err := os.ReadFile(file)
	if err != nil {
		return key, nil, &credentialsError{file: file, what: "cannot be read", err: err}
	}
	if err := json.Unmarshal(data, &key); err != nil {
		return key, nil, &credentialsError{file: file, what: "is not JSON (truncated or not a key file?)", err: err}
	}
	if key.Type != "service_account" {
		return key, nil, &credentialsError{file: file, what: fmt.Sprintf("holds a %q credential; syncd needs a service account key (\"type\": \"service_account\")", key.Type)}
	}
	if key.ClientEmail == "" {
		return key, nil, &credentialsError{file: file, what: "has no client_email"}
	}
	if _, err := parsePrivateKey([]byte(key.PrivateKey)); err != nil {
		return key, nil, &credentialsError{file: file, what: "has a private_key that does not parse (truncated or edited?)", err: err}
	}
	return key, data, nil
}

// parsePrivateKey accepts what golang.org/x/oauth2's JWT flow accepts: an
// RSA key, PKCS#8 or PKCS#1, in PEM or raw.
func parsePrivateKey(b []byte) (*rsa.PrivateKey, error) {
	if block, _ := pem.Decode(b); block != nil {
		b = block.Bytes
	} else if len(b) == 0 {
		return nil, errors.New("private_key is empty")
	}
	if k, err := x509.ParsePKCS8PrivateKey(b); err == nil {
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, errors.New("private_key is not an RSA key")
		}
		return rk, nil
	}
	k, err := x509.ParsePKCS1PrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("not a PEM, PKCS#8 or PKCS#1 RSA key: %w", err)
	}
	return k, nil
}
