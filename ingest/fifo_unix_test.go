//go:build unix

package ingest

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// A pipe or a FIFO is refused: the format is read from its start, which the
// database could not read again, and a FIFO with no writer would block the
// load for good. A folder is refused too; a regular file loads.
func TestLoadRefusesWhatIsNotARegularFile(t *testing.T) {
	dir := t.TempDir()
	content := "Username,Login Time,Source IP,Status\nalice@acme.com,11/26/2026 3:04 PM,203.0.113.1,Invalid Password\n"
	file := mustWrite(t, dir, "fails.csv", content)
	fifo := filepath.Join(dir, "fifo.csv")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no FIFO here: %v", err)
	}
	for _, tc := range []struct{ name, path, want string }{
		{"a FIFO", fifo, "not a regular file"},
		{"a folder", dir, "a folder, not an export file"},
		{"a regular file", file, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, err := Load(context.Background(), mustDB(t), Inputs{Logins: []string{tc.path}}, Options{})
			if tc.want == "" {
				if err != nil || st.Files[0].Loaded != 1 {
					t.Fatalf("got %+v, %v; want one row loaded", st.Files, err)
				}
				return
			}
			var ie *InputError
			if !errors.As(err, &ie) || ie.File != tc.path || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got error %v, want an InputError naming %s and saying %q", err, tc.path, tc.want)
			}
		})
	}
}
