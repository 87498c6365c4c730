package sheetsemu

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// apiError is an error rendered in Google's JSON error envelope
// {"error":{"code","message","status","details"?}}. Handlers return it so
// that every failure path produces the exact body the real API sends.
type apiError struct {
	Code    int
	Status  string
	Message string
	Details []any
	// Errors is the legacy "errors" list Drive v3 answers with (and no
	// "status"); see driveError.
	Errors []any
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.Code, e.Status, e.Message) }

func badRequest(format string, args ...any) *apiError {
	return &apiError{Code: http.StatusBadRequest, Status: "INVALID_ARGUMENT", Message: fmt.Sprintf(format, args...)}
}

func notFound() *apiError {
	return &apiError{Code: http.StatusNotFound, Status: "NOT_FOUND", Message: "Requested entity was not found."}
}

func permissionDenied() *apiError {
	return &apiError{Code: http.StatusForbidden, Status: "PERMISSION_DENIED", Message: "The caller does not have permission"}
}

func unauthenticated() *apiError {
	return &apiError{Code: http.StatusUnauthorized, Status: "UNAUTHENTICATED",
		Message: "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."}
}

func unavailable() *apiError {
	return &apiError{Code: http.StatusServiceUnavailable, Status: "UNAVAILABLE", Message: "The service is currently unavailable."}
}

// invalidRequest wraps a batchUpdate sub-request failure the way Google
// reports it: "Invalid requests[i].kind: message".
func invalidRequest(i int, kind, format string, args ...any) *apiError {
	return badRequest("Invalid requests[%d].%s: %s", i, kind, fmt.Sprintf(format, args...))
}

// invalidJSONValue reproduces the error Google returns when a ValueRange
// holds something other than a list of lists.
func invalidJSONValue(raw string) *apiError {
	msg := fmt.Sprintf("Invalid value at 'data.values' (type.googleapis.com/google.protobuf.ListValue), %s", raw)
	return &apiError{Code: http.StatusBadRequest, Status: "INVALID_ARGUMENT", Message: msg,
		Details: []any{map[string]any{
			"@type": "type.googleapis.com/google.rpc.BadRequest",
			"fieldViolations": []any{map[string]any{
				"field":       "data.values",
				"description": msg,
			}},
		}}}
}

type errorEnvelope struct {
	Error errorBody `json:"error"`
}

type errorBody struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Errors  []any  `json:"errors,omitempty"`
	Status  string `json:"status,omitempty"`
	Details []any  `json:"details,omitempty"`
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeAPIError(w http.ResponseWriter, e *apiError) {
	writeJSON(w, e.Code, errorEnvelope{Error: errorBody{Code: e.Code, Message: e.Message, Errors: e.Errors, Status: e.Status, Details: e.Details}})
}
