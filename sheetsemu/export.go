package sheetsemu

import (
	"bytes"
	"encoding/csv"
	"net/http"
)

// exportFormats are the formats Google exports a spreadsheet to
// (developers.google.com/drive/api/guides/ref-export-formats). The
// emulator renders the text ones; the others are refused with 501 rather
// than answered with something that is not the format.
var exportFormats = map[string]bool{
	"text/csv":                  true,
	"text/tab-separated-values": true,
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": false,
	"application/x-vnd.oasis.opendocument.spreadsheet":                  false,
	"application/vnd.oasis.opendocument.spreadsheet":                    false,
	"application/pdf":  false,
	"application/zip":  false,
	"text/html":        false,
	"application/epub": false,
}

// rawBody is a non-JSON answer (files.export).
type rawBody struct {
	contentType string
	data        []byte
}

// handleDriveExport serves GET files/{id}/export?mimeType=…: the first
// sheet as CSV or TSV, displayed values, as Google's export does.
func (s *Server) handleDriveExport(q *apiRequest) (any, error) {
	mime := q.query.Get("mimeType")
	if mime == "" {
		return nil, driveError(http.StatusBadRequest, "required", "mimeType", "Required parameter: mimeType")
	}
	b, err := s.lookup(q)
	if err != nil {
		return nil, driveFileNotFound(q.id)
	}
	rendered, known := exportFormats[mime]
	if !known {
		return nil, driveError(http.StatusBadRequest, "badRequest", "convertTo", "The requested conversion is not supported.")
	}
	if !rendered {
		return nil, &apiError{Code: http.StatusNotImplemented, Status: "UNIMPLEMENTED",
			Message: "The emulator does not export " + mime + "; it exports text/csv and text/tab-separated-values."}
	}
	var sh *sheet
	if len(b.Sheets) > 0 {
		sh = b.Sheets[0]
	}
	var buf bytes.Buffer
	if sh != nil {
		g := gridRange{0, sh.usedRows(), 0, sh.usedCols()}
		vals := readValues(b, sh, g, "ROWS", renderOpts{Value: "FORMATTED_VALUE"})
		w := csv.NewWriter(&buf)
		w.UseCRLF = true
		if mime == "text/tab-separated-values" {
			w.Comma = '\t'
		}
		width := g.cols()
		for _, row := range vals {
			rec := make([]string, width)
			for i, v := range row {
				rec[i], _ = v.(string)
			}
			_ = w.Write(rec)
		}
		w.Flush()
		// Google's export ends the last line without a line break.
		buf.Truncate(len(bytes.TrimSuffix(buf.Bytes(), []byte("\r\n"))))
	}
	return rawBody{contentType: mime, data: buf.Bytes()}, nil
}
