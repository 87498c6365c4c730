package sheets

import (
	"context"
	"fmt"
	"strings"

	"google.golang.org/api/drive/v3"
	"google.golang.org/api/option"

	"github.com/syncd/syncd"
)

// DefaultDriveRequestsPerMinute is the Drive budget of one credential.
// Drive allows 12,000 queries per minute per user
// (developers.google.com/drive/api/guides/limits); syncd keeps to a tenth
// of it, leaving room for every other tool of the same account, and that
// is still a Drive version check per second for ten spreadsheets.
const DefaultDriveRequestsPerMinute = 1200

// driveScope is the narrowest scope that lets files.get read a file's
// metadata (its version). The spreadsheets scope does not cover Drive.
const driveScope = drive.DriveMetadataReadonlyScope

var _ syncd.Versioner = (*Client)(nil)

// driveEndpoint is the Drive v3 base URL beside a Sheets endpoint: the
// emulator serves both, Drive under /drive/v3/. Empty (Google) means
// Drive's own default.
func driveEndpoint(sheetsEndpoint string) string {
	if sheetsEndpoint == "" {
		return ""
	}
	return strings.TrimSuffix(sheetsEndpoint, "/") + "/drive/v3/"
}

// newDrive builds the Drive service on the Client's authorised HTTP client.
func newDrive(ctx context.Context, opts []option.ClientOption, endpoint string) (*drive.Service, error) {
	if ep := driveEndpoint(endpoint); ep != "" {
		opts = append(opts, option.WithEndpoint(ep))
	}
	return drive.NewService(ctx, opts...)
}

// Version returns the spreadsheet's Drive version (File.version, "a
// monotonically increasing version number for the file; reflects every
// change made to the file on the server") with one Drive files.get
// (fields=version). It costs Drive quota, never a Sheets read, so syncd
// can poll it to learn that a spreadsheet changed before reading any tab.
// The number only ever grows but may trail a change by a few seconds, and
// syncd's own writes move it too: compare, never count. Retries and quota
// waits are those of every other call, on the Drive budget of the
// credential.
func (c *Client) Version(ctx context.Context) (int64, error) {
	var f *drive.File
	_, err := c.call(ctx, kindDrive, "drive files.get", func(ctx context.Context) error {
		var err error
		f, err = c.drive.Files.Get(c.id).Fields("version").SupportsAllDrives(true).Context(ctx).Do()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("get drive version of spreadsheet %s: %w", c.id, err)
	}
	return f.Version, nil
}
