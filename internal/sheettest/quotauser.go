package sheettest

import "net/http"

// QuotaUser wraps next (http.DefaultTransport when nil) so that every request
// carries Google's quotaUser parameter. The emulator keeps a separate quota
// per quota user, so a test's checker or set-up traffic tagged this way never
// eats the quota of the daemon under test.
func QuotaUser(user string, next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return quotaUser{user, next}
}

type quotaUser struct {
	user string
	next http.RoundTripper
}

func (q quotaUser) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	v := r.URL.Query()
	v.Set("quotaUser", q.user)
	r.URL.RawQuery = v.Encode()
	return q.next.RoundTrip(r)
}
