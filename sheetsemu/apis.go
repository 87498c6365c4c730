package sheetsemu

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// API names accepted by DisableAPI, EnableAPI, Options.DisabledAPIs and
// -disable-api: the two Google APIs the emulator serves, each its own
// switch in a Cloud project.
const (
	APIDrive  = "drive"
	APISheets = "sheets"
)

// DefaultProjectNumber is the Cloud project number the emulator names in
// its quota and API-not-enabled bodies when Options.ProjectNumber is empty.
const DefaultProjectNumber = "0"

// apiInfo is what Google's "API not enabled" answer names.
type apiInfo struct {
	service string // drive.googleapis.com
	title   string // Google Drive API
}

var apiInfos = map[string]apiInfo{
	APIDrive:  {service: "drive.googleapis.com", title: "Google Drive API"},
	APISheets: {service: "sheets.googleapis.com", title: "Google Sheets API"},
}

// ParseAPIName maps "drive", "sheets" or their service names
// ("drive.googleapis.com") to APIDrive or APISheets; anything else is an
// error naming the accepted values.
func ParseAPIName(name string) (string, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	n = strings.TrimSuffix(n, ".googleapis.com")
	if _, ok := apiInfos[n]; ok {
		return n, nil
	}
	return "", fmt.Errorf("unknown API %q: want drive or sheets", name)
}

// DisableAPI switches api (APIDrive or APISheets) off as if it were not
// enabled in the project: from now on every call of it answers Google's
// 403 SERVICE_DISABLED body (after authentication, before any quota is
// spent). It returns ParseAPIName's error for an unknown name.
func (s *Server) DisableAPI(api string) error {
	return s.setAPI(api, true)
}

// EnableAPI switches api back on at run time, without a restart; calls
// answer normally from the next request on. Enabling an enabled API does
// nothing.
func (s *Server) EnableAPI(api string) error {
	return s.setAPI(api, false)
}

// DisabledAPIs lists the APIs currently switched off, sorted.
func (s *Server) DisabledAPIs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.disabled))
	for api := range s.disabled {
		out = append(out, api)
	}
	sort.Strings(out)
	return out
}

func (s *Server) setAPI(api string, off bool) error {
	n, err := ParseAPIName(api)
	if err != nil {
		return fmt.Errorf("switch API: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if off {
		s.disabled[n] = true
	} else {
		delete(s.disabled, n)
	}
	return nil
}

// apiDisabled returns the 403 for q's API when it is switched off;
// callers hold s.mu.
func (s *Server) apiDisabled(q *apiRequest) *apiError {
	api := APISheets
	if q.drive {
		api = APIDrive
	}
	if !s.disabled[api] {
		return nil
	}
	return serviceDisabled(api, s.projectNumber())
}

func (s *Server) projectNumber() string {
	if s.opts.ProjectNumber != "" {
		return s.opts.ProjectNumber
	}
	return DefaultProjectNumber
}

// serviceDisabled is Google's answer to a call of an API the project has
// not enabled: HTTP 403 carrying both the legacy errors[] entry (reason
// accessNotConfigured, domain usageLimits) and the newer status
// PERMISSION_DENIED with a google.rpc.ErrorInfo of reason SERVICE_DISABLED.
// Sources are in CONFORMANCE.md ("APIs not enabled").
func serviceDisabled(api, project string) *apiError {
	info := apiInfos[api]
	url := "https://console.developers.google.com/apis/api/" + info.service + "/overview?project=" + project
	msg := info.title + " has not been used in project " + project + " before or it is disabled. Enable it by visiting " + url +
		" then retry. If you enabled this API recently, wait a few minutes for the action to propagate to our systems and retry."
	return &apiError{
		Code:    http.StatusForbidden,
		Status:  "PERMISSION_DENIED",
		Message: msg,
		Errors: []any{map[string]any{
			"message": msg, "domain": "usageLimits", "reason": "accessNotConfigured", "extendedHelp": url,
		}},
		Details: []any{
			map[string]any{
				"@type":  "type.googleapis.com/google.rpc.ErrorInfo",
				"reason": "SERVICE_DISABLED",
				"domain": "googleapis.com",
				"metadata": map[string]string{
					"service":       info.service,
					"consumer":      "projects/" + project,
					"activationUrl": url,
					"serviceTitle":  info.title,
					"containerInfo": project,
				},
			},
			map[string]any{
				"@type": "type.googleapis.com/google.rpc.Help",
				"links": []any{map[string]any{"description": "Google developers console API activation", "url": url}},
			},
		},
	}
}

// serveAPIsAdmin is /_emulator/apis: GET lists the disabled APIs
// ({"disabled":[...]}); POST ?disable=NAME or ?enable=NAME (each
// repeatable or a comma list) switches them and answers the new list.
func (s *Server) serveAPIsAdmin(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost {
		q := r.URL.Query()
		for _, p := range []struct {
			key string
			off bool
		}{{"disable", true}, {"enable", false}} {
			for _, v := range q[p.key] {
				for _, name := range strings.Split(v, ",") {
					if err := s.setAPI(name, p.off); err != nil {
						writeAPIError(w, badRequest("%v", err))
						return
					}
				}
			}
		}
	} else if r.Method != http.MethodGet {
		writeAPIError(w, &apiError{Code: http.StatusMethodNotAllowed, Status: "INVALID_ARGUMENT", Message: "use GET or POST"})
		return
	}
	writeJSON(w, http.StatusOK, map[string][]string{"disabled": s.DisabledAPIs()})
}
