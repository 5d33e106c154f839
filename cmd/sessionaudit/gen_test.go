package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sessionaudit/sessionaudit/gen"
)

// TestGenLoginsLimit checks --logins at and past gen.MaxLogins without
// generating: every run is cancelled before it starts, so past the limit is
// bad usage and at it gen starts and stops at the first user.
func TestGenLoginsLimit(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, c := range []struct {
		logins string
		want   string
	}{
		{strconv.FormatInt(gen.MaxLogins+1, 10), "at most 10000000000"},
		{"9223372036854775807", "at most 10000000000"},
		{"100000000000000000000", "out of range"},
		{"-1", "--logins N is required"},
	} {
		t.Run(c.logins, func(t *testing.T) {
			code, stderr := runGenCtx(t, ctx, "--logins", c.logins, "--out", t.TempDir())
			if code != exitUsage || !strings.Contains(stderr, c.want) {
				t.Errorf("got exit %d and %q, want exit %d and a message with %q", code, stderr, exitUsage, c.want)
			}
		})
	}
	if !strings.Contains(genHelp, strconv.FormatInt(gen.MaxLogins, 10)) {
		t.Errorf("help does not state the limit, %d", gen.MaxLogins)
	}
	for _, logins := range []int64{gen.MaxLogins - 1, gen.MaxLogins} {
		t.Run(strconv.FormatInt(logins, 10), func(t *testing.T) {
			out := t.TempDir()
			code, stderr := runGenCtx(t, ctx, "--logins", strconv.FormatInt(logins, 10), "--out", out)
			if code != exitFailure || !strings.Contains(stderr, "context canceled") {
				t.Errorf("cancelled at once: got exit %d and %q, want exit %d and context canceled", code, stderr, exitFailure)
			}
			if left, _ := os.ReadDir(out); len(left) > 0 {
				t.Errorf("the cancelled run left %d files in --out, want none", len(left))
			}
		})
	}
}

// runGenCtx runs gen with ctx and returns its exit code and stderr.
func runGenCtx(t *testing.T, ctx context.Context, args ...string) (int, string) {
	t.Helper()
	var out, errb strings.Builder
	code := run(ctx, append([]string{"gen"}, args...), stdio{in: strings.NewReader(""), out: &out, err: &errb, getenv: os.Getenv})
	return code, errb.String()
}

// TestGenReusedOut regenerates a smaller org in another format and then as
// JSON pages into one --out: each run leaves its own files and the user's,
// and none of the earlier run's.
func TestGenReusedOut(t *testing.T) {
	out := t.TempDir()
	if err := os.WriteFile(filepath.Join(out, "policy.yaml"), []byte("trusted_ips: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		format, logins string
		want           []string
	}{
		{"json", "10000", []string{"logins-0001.json", "logins-0002.json", "logins-0003.json", "logins-0004.json", "logins-0005.json", "policy.yaml", "sessions-0001.json", "users-0001.json"}},
		{"bulk-gz", "3000", []string{"logins.csv.gz", "policy.yaml", "sessions.csv.gz", "users.csv.gz"}},
		{"json", "3000", []string{"logins-0001.json", "logins-0002.json", "policy.yaml", "sessions-0001.json", "users-0001.json"}},
	} {
		if code, _, stderr := runCLI(t, "gen", "--logins", c.logins, "--format", c.format, "--out", out); code != exitOK {
			t.Fatalf("gen --logins %s --format %s: exit %d: %s", c.logins, c.format, code, stderr)
		}
		if diff := cmp.Diff(c.want, dirNames(t, out)); diff != "" {
			t.Errorf("after --logins %s --format %s, --out holds (-want +got):\n%s", c.logins, c.format, diff)
		}
	}
}
