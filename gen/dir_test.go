package gen

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
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

func mustWriteDir(tb testing.TB, cfg Config, dir string) Stats {
	tb.Helper()
	cfg.AsOf = testAsOf
	st, err := WriteDir(context.Background(), cfg, dir)
	if err != nil {
		tb.Fatalf("WriteDir(%+v): %v", cfg, err)
	}
	return st
}

// TestWriteDir checks that WriteDir writes what Generate writes, and nothing
// else: no temporaries are left.
func TestWriteDir(t *testing.T) {
	for _, f := range Formats() {
		t.Run(string(f), func(t *testing.T) {
			cfg := Config{Logins: 5000, Seed: 3, Format: f, WithRejects: true}
			dir := t.TempDir()
			got := mustWriteDir(t, cfg, dir)
			mem, want := mustGenerate(t, cfg)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("stats differ from Generate's (-Generate +WriteDir):\n%s", diff)
			}
			wantFiles := map[string]string{}
			for name, file := range mem {
				wantFiles[name] = file.String()
			}
			if diff := cmp.Diff(wantFiles, mustReadDir(t, dir)); diff != "" {
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
// earlier runs.
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
	}
	for name, body := range others {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A folder named like a page is not a file gen wrote.
	if err := os.Mkdir(filepath.Join(dir, "logins-9999.json"), 0o755); err != nil {
		t.Fatal(err)
	}
	others["logins-9999.json/"] = ""
	// A killed run's temporary is removed by the next run that completes.
	if err := os.WriteFile(filepath.Join(dir, ".logins-0007.json.1.tmp"), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}

	for _, cfg := range []Config{
		{Logins: 50_000, Seed: 1, Format: FormatJSON},
		{Logins: 3000, Seed: 1, Format: FormatBulkGzip},
		{Logins: 3000, Seed: 1, Format: FormatBulk, WithRejects: true},
		{Logins: 10_000, Seed: 1, Format: FormatJSON},
	} {
		mustWriteDir(t, cfg, dir)
		mem, _ := mustGenerate(t, cfg)
		want := maps.Clone(others)
		for name, f := range mem {
			want[name] = f.String()
		}
		if diff := cmp.Diff(want, mustReadDir(t, dir)); diff != "" {
			t.Errorf("after %d logins as %s, the folder differs (-want +got):\n%s", cfg.Logins, cfg.Format, diff)
		}
	}
}
