package gen

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// mustReadDir returns every file in dir by name, with its contents.
func mustReadDir(tb testing.TB, dir string) map[string]string {
	tb.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	files := map[string]string{}
	for _, e := range entries {
		if e.IsDir() {
			files[e.Name()+"/"] = ""
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			tb.Fatal(err)
		}
		files[e.Name()] = string(b)
	}
	return files
}

// mustWriteFiles writes files, by name, into dir.
func mustWriteFiles(tb testing.TB, dir string, files map[string]string) {
	tb.Helper()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}

func mustWriteDir(tb testing.TB, cfg Config, dir string) DirStats {
	tb.Helper()
	cfg.AsOf = testAsOf
	st, err := WriteDir(context.Background(), cfg, dir)
	if err != nil {
		tb.Fatalf("WriteDir(%+v): %v", cfg, err)
	}
	return st
}

// mustReadManifest returns the names dir's manifest lists, and checks that
// its other lines are comments.
func mustReadManifest(tb testing.TB, dir string) []string {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if err != nil {
		tb.Fatal(err)
	}
	var names []string
	for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		if !strings.HasPrefix(line, "# ") {
			names = append(names, line)
		}
	}
	return names
}

// TestWriteDir checks that WriteDir writes what Generate writes and lists it
// in the manifest, and nothing else: no temporaries are left.
func TestWriteDir(t *testing.T) {
	for _, f := range Formats() {
		t.Run(string(f), func(t *testing.T) {
			cfg := Config{Logins: 5000, Seed: 3, Format: f, WithRejects: true}
			dir := t.TempDir()
			got := mustWriteDir(t, cfg, dir)
			mem, want := mustGenerate(t, cfg)
			if diff := cmp.Diff(DirStats{Stats: want}, got); diff != "" {
				t.Errorf("stats differ from Generate's (-Generate +WriteDir):\n%s", diff)
			}
			if diff := cmp.Diff(mem.names(), mustReadManifest(t, dir)); diff != "" {
				t.Errorf("the manifest differs from Generate's files (-Generate +manifest):\n%s", diff)
			}
			wantFiles := map[string]string{}
			for name, file := range mem {
				wantFiles[name] = file.String()
			}
			gotFiles := mustReadDir(t, dir)
			delete(gotFiles, ManifestName)
			if diff := cmp.Diff(wantFiles, gotFiles); diff != "" {
				t.Errorf("files differ from Generate's (-Generate +WriteDir):\n%s", diff)
			}
		})
	}
}

// cancelAfter is a context whose Err turns to context.Canceled after n
// calls. Generate asks once every 256 users, so it stops a run part way.
type cancelAfter struct {
	context.Context
	n int
}

func (c *cancelAfter) Err() error {
	if c.n == 0 {
		return context.Canceled
	}
	c.n--
	return nil
}

// TestWriteDirInterrupted stops runs part way, after rows and whole JSON
// pages are written, into a folder holding an earlier org: the folder must
// be left as it was.
func TestWriteDirInterrupted(t *testing.T) {
	for _, c := range []struct {
		format Format
		calls  int // Err calls before the cancel
	}{
		{FormatBulk, 2},
		{FormatBulkGzip, 2},
		{FormatSetup, 2},
		// 1,000 users: the counting pass asks 4 times, then the pages of
		// 256 users (some 12 of logins) are written before the cancel.
		{FormatJSON, 5},
	} {
		t.Run(string(c.format), func(t *testing.T) {
			dir := t.TempDir()
			mustWriteDir(t, Config{Logins: 3000, Seed: 1, Format: c.format}, dir)
			before := mustReadDir(t, dir)
			ctx := &cancelAfter{Context: context.Background(), n: c.calls}
			_, err := WriteDir(ctx, Config{Logins: 100_000, Seed: 2, AsOf: testAsOf, Format: c.format}, dir)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("got %v, want context.Canceled", err)
			}
			after := mustReadDir(t, dir)
			if !maps.Equal(before, after) {
				t.Errorf("the folder changed: had %v, has %v", slices.Sorted(maps.Keys(before)), slices.Sorted(maps.Keys(after)))
			}
		})
	}
}

// TestWriteDirReplacesEarlierRuns writes orgs of different sizes and formats
// into one folder that also holds files of other names: after each run the
// folder must hold that run's files and the others, and nothing of the
// earlier runs, and WriteDir must say what it removed.
func TestWriteDirReplacesEarlierRuns(t *testing.T) {
	dir := t.TempDir()
	others := map[string]string{
		"policy.yaml":           "trusted_ips: []\n",
		"notes.txt":             "not gen's\n",
		"logins-old.json":       "{}",
		"logins-012.json":       "{}",
		"logins.csv.bak":        "kept",
		"my-logins.csv":         "kept",
		".logins.csv.tmp":       "kept: not a name WriteDir gives a temporary",
		"sessions-0001.json.gz": "kept",
		// Another run's temporary, of a run still writing or killed.
		".logins-0007.json.1.tmp": "{",
	}
	mustWriteFiles(t, dir, others)
	// A folder named like a page is not a file gen wrote.
	if err := os.Mkdir(filepath.Join(dir, "logins-9999.json"), 0o755); err != nil {
		t.Fatal(err)
	}
	others["logins-9999.json/"] = ""

	var last []string
	for _, cfg := range []Config{
		{Logins: 50_000, Seed: 1, Format: FormatJSON},
		{Logins: 3000, Seed: 1, Format: FormatBulkGzip},
		{Logins: 3000, Seed: 1, Format: FormatBulk, WithRejects: true},
		{Logins: 10_000, Seed: 1, Format: FormatJSON},
	} {
		st := mustWriteDir(t, cfg, dir)
		mem, _ := mustGenerate(t, cfg)
		want := maps.Clone(others)
		for name, f := range mem {
			want[name] = f.String()
		}
		got := mustReadDir(t, dir)
		delete(got, ManifestName)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("after %d logins as %s, the folder differs (-want +got):\n%s", cfg.Logins, cfg.Format, diff)
		}
		var removed []string
		for _, name := range last {
			if _, ok := mem[name]; !ok {
				removed = append(removed, name)
			}
		}
		if diff := cmp.Diff(removed, st.Removed); diff != "" {
			t.Errorf("after %d logins as %s, Removed differs (-want +got):\n%s", cfg.Logins, cfg.Format, diff)
		}
		if diff := cmp.Diff([]string{".logins-0007.json.1.tmp"}, st.OtherTemps); diff != "" {
			t.Errorf("after %d logins as %s, OtherTemps differs (-want +got):\n%s", cfg.Logins, cfg.Format, diff)
		}
		last = mem.names()
	}
}

// TestWriteDirRefusesUnlisted gives WriteDir folders holding files named as
// its outputs that it did not list: it must refuse, name them, and leave the
// folder as it was.
func TestWriteDirRefusesUnlisted(t *testing.T) {
	for _, c := range []struct {
		name       string
		earlier    *Config           // a run into the folder first, if any
		files      map[string]string // then written by someone else
		want       []string
		noManifest bool
	}{
		{
			name:       "real exports",
			files:      map[string]string{"logins.csv.gz": "REAL\n", "sessions-0001.json": "REAL\n", "policy.yaml": "{}"},
			want:       []string{"logins.csv.gz", "sessions-0001.json"},
			noManifest: true,
		},
		{
			name:       "an export of the same name",
			files:      map[string]string{"users.csv": "REAL\n"},
			want:       []string{"users.csv"},
			noManifest: true,
		},
		{
			name:    "beside gen's files",
			earlier: &Config{Logins: 3000, Seed: 1, Format: FormatBulk},
			files:   map[string]string{"logins-0001.json": "REAL\n"},
			want:    []string{"logins-0001.json"},
		},
		{
			name:    "in place of gen's file",
			earlier: &Config{Logins: 3000, Seed: 1, Format: FormatJSON},
			files:   map[string]string{"sessions.csv.gz": "REAL\n"},
			want:    []string{"sessions.csv.gz"},
		},
		{
			// A manifest edited to list a file of another name does not
			// make it gen's, nor does it excuse the unlisted export.
			name:  "a manifest listing other files",
			files: map[string]string{ManifestName: "policy.yaml\nlogins\n", "policy.yaml": "{}", "logins.csv": "REAL\n"},
			want:  []string{"logins.csv"},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if c.earlier != nil {
				mustWriteDir(t, *c.earlier, dir)
			}
			mustWriteFiles(t, dir, c.files)
			before := mustReadDir(t, dir)
			_, err := WriteDir(context.Background(), Config{Logins: 3000, Seed: 2, AsOf: testAsOf, Format: FormatBulk}, dir)
			var conflict *ConflictError
			if !errors.As(err, &conflict) {
				t.Fatalf("got %v, want a *ConflictError", err)
			}
			if diff := cmp.Diff(&ConflictError{Dir: dir, Files: c.want, NoManifest: c.noManifest}, conflict); diff != "" {
				t.Errorf("the refusal differs (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(before, mustReadDir(t, dir)); diff != "" {
				t.Errorf("the folder changed (-before +after):\n%s", diff)
			}
		})
	}
}

// onFirstErr is a context that calls f at the first call of Err, once
// Generate has started, and is never done.
type onFirstErr struct {
	context.Context
	f func()
}

func (c *onFirstErr) Err() error {
	if c.f != nil {
		c.f()
		c.f = nil
	}
	return nil
}

// TestWriteDirRefusesLateArrival puts an export into the folder while gen
// writes its org: WriteDir must look again before putting its files in place,
// refuse, and leave the export and no temporaries.
func TestWriteDirRefusesLateArrival(t *testing.T) {
	dir := t.TempDir()
	mustWriteDir(t, Config{Logins: 3000, Seed: 1, Format: FormatJSON}, dir)
	before := mustReadDir(t, dir)
	late := filepath.Join(dir, "logins.csv.gz")
	ctx := &onFirstErr{Context: context.Background(), f: func() {
		if err := os.WriteFile(late, []byte("REAL\n"), 0o644); err != nil {
			t.Error(err)
		}
	}}
	_, err := WriteDir(ctx, Config{Logins: 3000, Seed: 2, AsOf: testAsOf, Format: FormatBulkGzip}, dir)
	var conflict *ConflictError
	if !errors.As(err, &conflict) || !slices.Equal(conflict.Files, []string{"logins.csv.gz"}) {
		t.Fatalf("got %v, want a *ConflictError naming logins.csv.gz", err)
	}
	before["logins.csv.gz"] = "REAL\n"
	if diff := cmp.Diff(before, mustReadDir(t, dir)); diff != "" {
		t.Errorf("the folder differs from the first run's and the export (-want +got):\n%s", diff)
	}
}

// TestWriteDirLeavesOtherRunsTemps runs WriteDir beside the temporaries of
// another gen writing into the same folder: they must be left as they are,
// and named.
func TestWriteDirLeavesOtherRunsTemps(t *testing.T) {
	dir := t.TempDir()
	other := strconv.Itoa(os.Getpid() + 1)
	temps := map[string]string{
		".logins.csv." + other + ".tmp":         "half a file",
		".sessions-0003.json." + other + ".tmp": "{",
	}
	mustWriteFiles(t, dir, temps)
	st := mustWriteDir(t, Config{Logins: 3000, Seed: 1, Format: FormatBulk}, dir)
	got := mustReadDir(t, dir)
	for name, body := range temps {
		if got[name] != body {
			t.Errorf("%s: got %q, want %q, the other run's", name, got[name], body)
		}
	}
	if diff := cmp.Diff(slices.Sorted(maps.Keys(temps)), st.OtherTemps); diff != "" {
		t.Errorf("OtherTemps differs (-want +got):\n%s", diff)
	}
}

func TestJoinNames(t *testing.T) {
	for _, c := range []struct {
		names []string
		want  string
	}{
		{nil, ""},
		{[]string{"logins.csv"}, "logins.csv"},
		{[]string{"logins.csv", "sessions.csv"}, "logins.csv, sessions.csv"},
		{[]string{"logins-0001.json", "logins-0002.json", "logins-0003.json", "sessions-0001.json", "users-0001.json", "users-0002.json"},
			"logins-0001.json to logins-0003.json, sessions-0001.json, users-0001.json to users-0002.json"},
		{[]string{"logins-0001.json", "logins-0003.json", "logins-0004.json", "logins.csv.gz"},
			"logins-0001.json, logins-0003.json to logins-0004.json, logins.csv.gz"},
		{[]string{"logins-0009.json", "sessions-0010.json"}, "logins-0009.json, sessions-0010.json"},
	} {
		if got := JoinNames(c.names); got != c.want {
			t.Errorf("JoinNames(%q): got %q, want %q", c.names, got, c.want)
		}
	}
}

// TestWriteDirRemovesOnlyOutputNames gives WriteDir a manifest edited to
// list files of other names besides one of gen's: it must remove gen's, and
// leave the others.
func TestWriteDirRemovesOnlyOutputNames(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		ManifestName:  "# edited\npolicy.yaml\n../logins.csv\nnotes\nlogins.csv\n",
		"policy.yaml": "{}",
		"notes":       "kept",
		"logins.csv":  "an earlier gen's",
	}
	mustWriteFiles(t, dir, files)
	st := mustWriteDir(t, Config{Logins: 3000, Seed: 1, Format: FormatBulkGzip}, dir)
	if diff := cmp.Diff([]string{"logins.csv"}, st.Removed); diff != "" {
		t.Errorf("Removed differs (-want +got):\n%s", diff)
	}
	got := mustReadDir(t, dir)
	for _, name := range []string{"policy.yaml", "notes"} {
		if got[name] != files[name] {
			t.Errorf("%s: got %q, want %q", name, got[name], files[name])
		}
	}
}

// TestWriteDirRefusesAFolderNamedAsAnOutput gives WriteDir a folder holding
// a folder named as one of its outputs, listed by the last run's manifest or
// not: no file can be renamed onto it, so WriteDir must refuse before
// writing, rather than put some of its files in place, fail at that one and
// leave the new org's sessions beside the last one's logins.
func TestWriteDirRefusesAFolderNamedAsAnOutput(t *testing.T) {
	for _, c := range []struct {
		name    string
		earlier Config
	}{
		{"beside another format's files", Config{Logins: 3000, Seed: 1, Format: FormatBulkGzip}},
		{"in place of a listed file", Config{Logins: 3000, Seed: 1, Format: FormatBulk}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			mustWriteDir(t, c.earlier, dir)
			folder := filepath.Join(dir, "logins.csv")
			if err := os.RemoveAll(folder); err != nil {
				t.Fatal(err)
			}
			if err := os.Mkdir(folder, 0o755); err != nil {
				t.Fatal(err)
			}
			before := mustReadDir(t, dir)
			_, err := WriteDir(context.Background(), Config{Logins: 3000, Seed: 2, AsOf: testAsOf, Format: FormatBulk}, dir)
			var conflict *ConflictError
			if !errors.As(err, &conflict) {
				t.Fatalf("got %v, want a *ConflictError", err)
			}
			if diff := cmp.Diff(&ConflictError{Dir: dir, Folders: []string{"logins.csv"}}, conflict); diff != "" {
				t.Errorf("the refusal differs (-want +got):\n%s", diff)
			}
			if !strings.Contains(err.Error(), "a folder named as gen's files, which no file can replace: logins.csv") {
				t.Errorf("the refusal says %q, want it to name the folder", err)
			}
			if diff := cmp.Diff(before, mustReadDir(t, dir)); diff != "" {
				t.Errorf("the folder changed (-before +after):\n%s", diff)
			}
		})
	}
}
