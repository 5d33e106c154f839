package report

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// checkGolden compares got with testdata/name, or rewrites it under -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run go test -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

// sessionRows covers every value type a DuckDB query scans into any.
func sessionRows() *sliceRows {
	return newRows(
		[]string{"session_id", "username", "created", "num_seconds_valid", "level", "latitude", "is_current", "browser", "raw"},
		[]any{"0Ak000000000001AAA", "ana@example.com", at("2026-03-01T08:15:30Z"), int64(7200), int32(2), 48.8566, true, "Chrome 122", []byte("bytes")},
		[]any{"0Ak000000000002AAA", "=cmd|' /C calc'!A0", at("2026-03-01T09:00:00.999Z"), int64(-1), int32(0), -0.000001, false, "=HYPERLINK(\"http://evil\",\"x\")", nil},
		[]any{"0Ak000000000003AAA", nil, time.Date(2026, 3, 1, 10, 0, 0, 0, time.FixedZone("CET", 3600)), int64(0), int32(-5), 1e21, false, "say \"hi\", then\nleave", []byte("@SUM(1)")},
	)
}

func TestWriteCSVGolden(t *testing.T) {
	var buf bytes.Buffer
	n, err := WriteCSV(&buf, sessionRows())
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("got %d rows written, want 3", n)
	}
	checkGolden(t, "sessions.csv.golden", buf.Bytes())
}

func TestWriteCSVFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sessions.csv")
	if err := os.WriteFile(path, []byte("previous\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	// A source that fails midway leaves the previous file and no temp file.
	failing := sessionRows()
	failing.err = errors.New("connection lost")
	if _, err := WriteCSVFile(path, failing); err == nil || !strings.Contains(err.Error(), "connection lost") {
		t.Fatalf("got error %v, want one that says connection lost", err)
	}
	assertFiles(t, dir, map[string]string{"sessions.csv": "previous\n"})

	n, err := WriteCSVFile(path, sessionRows())
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("got %d rows written, want 3", n)
	}
	var want bytes.Buffer
	if _, err := WriteCSV(&want, sessionRows()); err != nil {
		t.Fatal(err)
	}
	assertFiles(t, dir, map[string]string{"sessions.csv": want.String()})
	assertReadable(t, path)
}

// assertReadable checks that the report at path can be read by anyone, as a
// file the job wrote with os.Create under a usual umask would: its temporary
// file starts private.
func assertReadable(t *testing.T, path string) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode().Perm(); got != 0o644 {
		t.Errorf("%s: got mode %v, want -rw-r--r--", filepath.Base(path), got)
	}
}

// assertFiles checks that dir holds exactly the files in want, with their contents.
func assertFiles(t *testing.T, dir string, want map[string]string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		got[e.Name()] = string(b)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("files in %s (-want +got):\n%s", dir, diff)
	}
}

func TestCSVFieldNeutralises(t *testing.T) {
	tests := []struct {
		name string
		in   any
		want string
	}{
		{"equals", "=1+1", "'=1+1"},
		{"plus", "+1", "'+1"},
		{"minus", "-1", "'-1"},
		{"at", "@SUM(A1)", "'@SUM(A1)"},
		{"tab", "\t=1", "'\t=1"},
		{"carriage return", "\r=1", "'\r=1"},
		{"bytes", []byte("=1"), "'=1"},
		{"other type as text", errors.New("=boom"), "'=boom"},
		{"equals inside", "a=b", "a=b"},
		{"minus inside", "Mac-OS", "Mac-OS"},
		{"leading space", " =1", " =1"},
		{"quote already", "'=1", "'=1"},
		{"empty", "", ""},
		{"negative float", float64(-2.5), "-2.5"},
		{"negative int64", int64(-3), "-3"},
		{"negative int32", int32(-4), "-4"},
		{"negative int", -5, "-5"},
		{"float32", float32(0.1), "0.1"},
		{"trailing spaces", "Chrome 122  ", "Chrome 122  "},
		{"time", at("2026-01-02T03:04:05Z"), "2026-01-02T03:04:05Z"},
		{"small float", 0.000001, "0.000001"},
		{"large float", 1e21, "1000000000000000000000"},
		{"nil", nil, ""},
		{"bool", true, "true"},
		{"NUL", "Succ\x00ess", "Succ\uFFFDess"},
		{"NUL first", "\x00=1", "\uFFFD=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := csvField(tt.in); got != tt.want {
				t.Errorf("csvField(%#v) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// FuzzNeutralise checks that neutralise never panics, changes a value only by
// prefixing a quote, and never returns a value a spreadsheet would evaluate.
func FuzzNeutralise(f *testing.F) {
	f.Add("=1+1")
	f.Add("a=b")
	f.Fuzz(func(t *testing.T, s string) {
		got := neutralise(s)
		if got != s && got != "'"+s {
			t.Fatalf("neutralise(%q) = %q, want the value itself or it with a leading quote", s, got)
		}
		if got != "" && strings.ContainsRune("=+-@\t\r", rune(got[0])) {
			t.Fatalf("neutralise(%q) = %q, which starts with %q", s, got, got[0])
		}
	})
}
