package sheetsemu

import (
	"errors"
	"testing"

	"google.golang.org/api/drive/v3"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"
)

func TestDriveCreateGetDeleteSpreadsheet(t *testing.T) {
	emu, svc, ts := newClient(t, Options{})
	ctx := t.Context()
	dsvc, err := drive.NewService(ctx, option.WithEndpoint(ts.URL+"/drive/v3/"), option.WithoutAuthentication())
	if err != nil {
		t.Fatal(err)
	}
	f, err := dsvc.Files.Create(&drive.File{Name: "Payroll", MimeType: "application/vnd.google-apps.spreadsheet"}).Context(ctx).Do()
	if err != nil {
		t.Fatal(err)
	}
	sp, err := svc.Spreadsheets.Get(f.Id).Context(ctx).Do()
	if err != nil {
		t.Fatalf("spreadsheet created through Drive is not readable: %v", err)
	}
	if sp.Properties.Title != "Payroll" {
		t.Fatalf("title = %q", sp.Properties.Title)
	}
	got, err := dsvc.Files.Get(f.Id).Fields("id,name,createdTime,modifiedTime").Context(ctx).Do()
	if err != nil || got.Name != "Payroll" || got.CreatedTime == "" {
		t.Fatalf("files.get = %+v, %v", got, err)
	}
	if err := dsvc.Files.Delete(f.Id).Context(ctx).Do(); err != nil {
		t.Fatal(err)
	}
	_, err = svc.Spreadsheets.Get(f.Id).Context(ctx).Do()
	var ge *googleapi.Error
	if !errors.As(err, &ge) || ge.Code != 404 || ge.Message != "Requested entity was not found." {
		t.Fatalf("after delete: %v", err)
	}
	if ids := emu.SpreadsheetIDs(); len(ids) != 0 {
		t.Fatalf("emulator still holds %v", ids)
	}
}
