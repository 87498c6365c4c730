package sheetsemu_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"google.golang.org/api/option"
	"google.golang.org/api/sheets/v4"

	"github.com/syncd/syncd/sheetsemu"
)

// Example shows the usual test setup: an emulator behind httptest and the
// real Sheets client pointed at it.
func Example() {
	emu := sheetsemu.New(sheetsemu.Options{})
	ts := httptest.NewServer(emu)
	defer ts.Close()
	id := emu.CreateSpreadsheet("Shifts")

	ctx := context.Background()
	svc, err := sheets.NewService(ctx, option.WithEndpoint(ts.URL+"/"), option.WithoutAuthentication())
	if err != nil {
		panic(err)
	}
	_, err = svc.Spreadsheets.Values.Update(id, "Sheet1!A1", &sheets.ValueRange{
		Values: [][]any{{"shift_id", "total_sales"}, {1001, 29790.4}},
	}).ValueInputOption("RAW").Context(ctx).Do()
	if err != nil {
		panic(err)
	}
	vr, err := svc.Spreadsheets.Values.Get(id, "Sheet1!A:B").Context(ctx).Do()
	if err != nil {
		panic(err)
	}
	fmt.Println(vr.Range, vr.Values)
	fmt.Println(emu.Stats()[id])
	// Output:
	// Sheet1!A1:B1000 [[shift_id total_sales] [1001 29790.4]]
	// {1 1 0 0 0 0}
}
