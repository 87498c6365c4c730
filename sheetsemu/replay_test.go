package sheetsemu

import (
	"os"
	"path/filepath"
	"testing"
)

// findFixture is a directory under the repository's testdata/. It fails
// the test, never skips, when the fixture is missing.
func findFixture(t *testing.T, rel string) string {
	t.Helper()
	p := filepath.Join("..", "testdata", rel)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("fixture %s missing: %v", rel, err)
	}
	return p
}

func TestReplayCassettesConformance(t *testing.T) {
	dir := findFixture(t, "sheets-cassettes")
	results, err := ReplayDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	// These depend on state outside the recording or on Drive v2; see
	// CONFORMANCE.md. Any other failure is a regression.
	known := map[string]bool{
		"ClientTest.test_access_private_spreadsheet": true,
		"ClientTest.test_openall":                    true,
		"ClientTest.test_import_csv":                 true,
	}
	pass := 0
	for _, r := range results {
		switch {
		case r.Pass:
			pass++
		case known[r.Name]:
			t.Logf("known FAIL %s: %s", r.Name, r.Reason)
		default:
			t.Errorf("FAIL %s: %s", r.Name, r.Reason)
		}
	}
	t.Logf("conformance: %d/%d cassettes", pass, len(results))
	if len(results) < 50 {
		t.Fatalf("only %d cassettes found in %s", len(results), dir)
	}
	if pass*10 < len(results)*9 {
		t.Fatalf("conformance %d/%d is below 90%%", pass, len(results))
	}
}

func TestReplayDetectsMismatch(t *testing.T) {
	dir := t.TempDir()
	// A recorded answer the emulator cannot give: the replay must fail.
	cassette := `{"version":1,"interactions":[
	 {"request":{"method":"POST","uri":"https://www.googleapis.com/drive/v3/files","body":"{\"name\":\"x\",\"mimeType\":\"application/vnd.google-apps.spreadsheet\"}","headers":{}},
	  "response":{"status":{"code":200,"message":"OK"},"headers":{},"body":{"string":"{\"kind\":\"drive#file\",\"id\":\"REC\",\"name\":\"x\",\"mimeType\":\"application/vnd.google-apps.spreadsheet\"}"}}},
	 {"request":{"method":"GET","uri":"https://sheets.googleapis.com/v4/spreadsheets/REC/values/A1","body":null,"headers":{}},
	  "response":{"status":{"code":200,"message":"OK"},"headers":{},"body":{"string":"{\"range\":\"Sheet1!A1\",\"majorDimension\":\"ROWS\",\"values\":[[\"never written\"]]}"}}}]}`
	if err := os.WriteFile(filepath.Join(dir, "bad.json"), []byte(cassette), 0o644); err != nil {
		t.Fatal(err)
	}
	good := `{"version":1,"interactions":[
	 {"request":{"method":"POST","uri":"https://www.googleapis.com/drive/v3/files","body":"{\"name\":\"x\"}","headers":{}},
	  "response":{"status":{"code":200,"message":"OK"},"headers":{},"body":{"string":"{\"kind\":\"drive#file\",\"id\":\"REC\",\"name\":\"x\",\"mimeType\":\"application/vnd.google-apps.spreadsheet\"}"}}},
	 {"request":{"method":"GET","uri":"https://sheets.googleapis.com/v4/spreadsheets/REC/values/A1","body":null,"headers":{}},
	  "response":{"status":{"code":200,"message":"OK"},"headers":{},"body":{"string":"{\"range\":\"Sheet1!A1\",\"majorDimension\":\"ROWS\"}"}}}]}`
	if err := os.WriteFile(filepath.Join(dir, "good.json"), []byte(good), 0o644); err != nil {
		t.Fatal(err)
	}
	results, err := ReplayDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 2 || results[0].Name != "bad" || results[0].Pass || results[1].Name != "good" || !results[1].Pass {
		t.Fatalf("results = %+v", results)
	}
	if _, err := ReplayDir(t.TempDir()); err == nil {
		t.Fatalf("an empty directory must be an error")
	}
}
