package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sessionaudit/sessionaudit/analyze"
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

// TestGenAsOf refuses an --as-of that is no time or the zero time as bad
// usage (the zero time failed as "as-of time is required", exit 1).
func TestGenAsOf(t *testing.T) {
	for _, c := range []struct{ asOf, want string }{
		{"0001-01-01T00:00:00Z", "is the zero time"},
		{"0001-01-01T00:00:00.5Z", "is the zero time"},
		{"2026-11-26", "is not an RFC 3339 time"},
	} {
		t.Run(c.asOf, func(t *testing.T) {
			out := t.TempDir()
			code, stderr := runGenCtx(t, context.Background(), "--logins", "100", "--as-of", c.asOf, "--out", out)
			if code != exitUsage || !strings.Contains(stderr, c.want) {
				t.Errorf("got exit %d and %q, want exit %d and a message with %q", code, stderr, exitUsage, c.want)
			}
			if left, _ := os.ReadDir(out); len(left) > 0 {
				t.Errorf("left %d files in --out, want none", len(left))
			}
		})
	}
}

// TestGenSaysWhatItWrote: gen's line of what it wrote gives its counts with
// thousands separators, as the audit's summary does.
func TestGenSaysWhatItWrote(t *testing.T) {
	code, stdout, stderr := runCLI(t, "gen", "--logins", "3000", "--out", t.TempDir())
	if code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	if want := "wrote 40 users, 3,000 logins and "; !strings.HasPrefix(stdout, want) {
		t.Errorf("stdout begins %.60q, want %q", stdout, want)
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
// and none of the earlier run's, and says which it removed.
func TestGenReusedOut(t *testing.T) {
	out := t.TempDir()
	mustWriteFile(t, filepath.Join(out, "policy.yaml"), "trusted_ips: []\n")
	for _, c := range []struct {
		format, logins string
		want           []string
		removed        string // the line saying what was removed, if any
	}{
		{"json", "10000", []string{".sessionaudit-gen", "logins-0001.json", "logins-0002.json", "logins-0003.json", "logins-0004.json", "logins-0005.json", "policy.yaml", "sessions-0001.json", "users-0001.json"}, ""},
		{"bulk-gz", "3000", []string{".sessionaudit-gen", "logins.csv.gz", "policy.yaml", "sessions.csv.gz", "users.csv.gz"},
			"removed the last gen's files there that this one did not write: logins-0001.json to logins-0005.json, sessions-0001.json, users-0001.json\n"},
		{"json", "3000", []string{".sessionaudit-gen", "logins-0001.json", "logins-0002.json", "policy.yaml", "sessions-0001.json", "users-0001.json"},
			"removed the last gen's files there that this one did not write: logins.csv.gz, sessions.csv.gz, users.csv.gz\n"},
	} {
		code, stdout, stderr := runCLI(t, "gen", "--logins", c.logins, "--format", c.format, "--out", out)
		if code != exitOK {
			t.Fatalf("gen --logins %s --format %s: exit %d: %s", c.logins, c.format, code, stderr)
		}
		if diff := cmp.Diff(c.want, dirNames(t, out)); diff != "" {
			t.Errorf("after --logins %s --format %s, --out holds (-want +got):\n%s", c.logins, c.format, diff)
		}
		if got := strings.Contains(stdout, "\nremoved "); got != (c.removed != "") || !strings.Contains(stdout, c.removed) {
			t.Errorf("after --logins %s --format %s, stdout is %q, want it to say %q", c.logins, c.format, stdout, c.removed)
		}
	}
}

// TestGenReplacesItsOwnFiles regenerates another org in the same format into
// one --out: gen's files are replaced, and nothing is said to be removed.
func TestGenReplacesItsOwnFiles(t *testing.T) {
	out := t.TempDir()
	logins := filepath.Join(out, "logins.csv")
	var first []byte
	for _, seed := range []string{"1", "2"} {
		code, stdout, stderr := runCLI(t, "gen", "--logins", "3000", "--seed", seed, "--out", out)
		if code != exitOK || strings.Contains(stdout, "removed") {
			t.Fatalf("gen --seed %s: got exit %d, %q and %q, want exit %d and no files removed", seed, code, stdout, stderr, exitOK)
		}
		b, err := os.ReadFile(logins)
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = b
		} else if bytes.Equal(first, b) {
			t.Errorf("logins.csv still holds the org of seed 1")
		}
	}
	if diff := cmp.Diff([]string{".sessionaudit-gen", "logins.csv", "sessions.csv", "users.csv"}, dirNames(t, out)); diff != "" {
		t.Errorf("--out holds (-want +got):\n%s", diff)
	}
}

// TestGenRefusesRealExports runs gen in a folder of real exports, named as
// gen names its files: given that folder as --out it must refuse with exit
// 2, name them, say what to do and leave them; without --out it must write
// into a folder of its own beside them.
func TestGenRefusesRealExports(t *testing.T) {
	real := t.TempDir()
	files := map[string]string{"logins.csv.gz": "REAL\n", "sessions-0001.json": "REAL\n"}
	for name, body := range files {
		mustWriteFile(t, filepath.Join(real, name), body)
	}
	code, stdout, stderr := runCLI(t, "gen", "--logins", "2000", "--out", real)
	if code != exitUsage || stdout != "" {
		t.Errorf("got exit %d and stdout %q, want exit %d and none", code, stdout, exitUsage)
	}
	for _, want := range []string{"wrote nothing", "logins.csv.gz, sessions-0001.json", "no .sessionaudit-gen", "older", "--out NEW-FOLDER", "move those files out of " + real} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr is %q, want it to say %q", stderr, want)
		}
	}
	for name, body := range files {
		if b, err := os.ReadFile(filepath.Join(real, name)); string(b) != body {
			t.Errorf("%s: got %q (%v), want %q", name, b, err, body)
		}
	}
	if diff := cmp.Diff([]string{"logins.csv.gz", "sessions-0001.json"}, dirNames(t, real)); diff != "" {
		t.Errorf("the folder holds (-want +got):\n%s", diff)
	}

	// Without --out, gen writes into a folder of its own.
	t.Chdir(real)
	if code, _, stderr := runCLI(t, "gen", "--logins", "2000"); code != exitOK {
		t.Fatalf("gen without --out: exit %d: %s", code, stderr)
	}
	if diff := cmp.Diff([]string{"gen-out", "logins.csv.gz", "sessions-0001.json"}, dirNames(t, real)); diff != "" {
		t.Errorf("without --out, the folder holds (-want +got):\n%s", diff)
	}
}

// TestGeneratedOrgTripsExactlyItsPlantedCases audits orgs gen writes with
// the real checks and the sample policy: every check has a planted hit and
// near miss, each hit is reported, and every finding is one of its check's
// hits (by user, or by IP for a finding without one): no near miss and no
// background user trips a check. A new check fails here until gen plants its cases and keeps
// its background clear of them.
func TestGeneratedOrgTripsExactlyItsPlantedCases(t *testing.T) {
	checks, err := analyze.Checks()
	if err != nil {
		t.Fatal(err)
	}
	asOf, err := time.Parse(time.RFC3339, gen.DefaultAsOf)
	if err != nil {
		t.Fatal(err)
	}
	for _, logins := range []int{3000, 20000} {
		dir, out := t.TempDir(), t.TempDir()
		st, err := gen.WriteDir(context.Background(), gen.Config{Logins: logins, Seed: 1, Format: gen.FormatBulk, AsOf: asOf}, dir)
		if err != nil {
			t.Fatal(err)
		}
		code, _, stderr := runCLI(t, "audit", "--sessions", filepath.Join(dir, "sessions.csv"), "--logins", filepath.Join(dir, "logins.csv"),
			"--users", filepath.Join(dir, "users.csv"), "--policy", repoPath("testdata/sample/policy.yaml"), "--as-of", gen.DefaultAsOf, "--out", out)
		if code != exitOK {
			t.Fatalf("logins=%d: audit exit %d; stderr:\n%s", logins, code, stderr)
		}
		f, err := os.Open(filepath.Join(out, "findings.csv"))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(f).ReadAll()
		f.Close()
		if err != nil || len(rows) == 0 || strings.Join(rows[0][:6], ",") != "check,severity,user_id,username,session_id,source_ip" {
			t.Fatalf("logins=%d: findings.csv unreadable (%v) or not as expected: %.1q", logins, err, rows)
		}
		hitsOf := map[string][]gen.Plant{}
		for _, p := range st.Planted {
			if p.Hit {
				hitsOf[p.Check] = append(hitsOf[p.Check], p)
			}
		}
		reported := map[int]bool{} // index into st.Planted
		for _, r := range rows[1:] {
			check, userID, ip := r[0], r[2], r[5]
			found := false
			for i, p := range st.Planted {
				if p.Hit && p.Check == check && (userID != "" && slices.Contains(p.UserIDs, userID) || userID == "" && slices.Contains(p.IPs, ip)) {
					reported[i], found = true, true
				}
			}
			if !found {
				t.Errorf("logins=%d: %s reported %s (%s, %s), which is none of its planted hits %v", logins, check, r[3], userID, ip, hitsOf[check])
			}
		}
		for _, c := range checks {
			misses := slices.IndexFunc(st.Planted, func(p gen.Plant) bool { return p.Check == c.ID && !p.Hit })
			if len(hitsOf[c.ID]) == 0 || misses < 0 {
				t.Errorf("logins=%d: gen plants %d hits and no near miss (or no hit) for %s: add its cases to gen/plant.go", logins, len(hitsOf[c.ID]), c.ID)
			}
		}
		for i, p := range st.Planted {
			if p.Hit && !reported[i] {
				t.Errorf("logins=%d: the planted hit %s (%v, %s) was not reported", logins, p.Check, p.Usernames, p.Note)
			}
		}
	}
}
