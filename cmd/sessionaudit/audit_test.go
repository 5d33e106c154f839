package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sessionaudit/sessionaudit/apply"
	"github.com/sessionaudit/sessionaudit/ingest"
	"github.com/xuri/excelize/v2"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/e2e")

// runCLI runs the command in-process and returns its exit code and output.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, stdio{in: strings.NewReader(""), out: &out, err: &errb, getenv: func(string) string { return "" }})
	return code, out.String(), errb.String()
}

// repoPath is a path relative to the repository root.
func repoPath(p string) string { return filepath.Join("..", "..", p) }

// TestAuditEndToEnd runs the audit on each case folder under testdata/e2e
// (inputs plus the expected CSV outputs) and compares the files it writes.
func TestAuditEndToEnd(t *testing.T) {
	cases, err := filepath.Glob(repoPath("testdata/e2e/*/args"))
	if err != nil || len(cases) == 0 {
		t.Fatalf("no end-to-end cases found under testdata/e2e (err %v)", err)
	}
	for _, argsFile := range cases {
		dir := filepath.Dir(argsFile)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			raw, err := os.ReadFile(argsFile)
			if err != nil {
				t.Fatal(err)
			}
			out := t.TempDir()
			var args []string
			for _, a := range strings.Fields(string(raw)) {
				args = append(args, strings.ReplaceAll(a, "$ROOT", repoPath("")))
			}
			args = append(args, "--out", out)
			code, stdout, stderr := runCLI(t, args...)
			want, _ := os.ReadFile(filepath.Join(dir, "exit-code"))
			if got := strings.TrimSpace(string(want)); got != "" && got != itoa(code) {
				t.Fatalf("got exit code %d, want %s\nstderr: %s", code, got, stderr)
			}
			if code == exitUsage {
				// A refused input must say what is wrong; logs of a run that
				// went ahead carry timings and are not compared.
				compareGolden(t, filepath.Join(dir, "stderr.golden"), normalise(stderr, out))
				return
			}
			for _, f := range []string{"findings.csv", "removals.csv", "rejects.csv"} {
				got, err := os.ReadFile(filepath.Join(out, f))
				if err != nil {
					t.Fatal(err)
				}
				compareGolden(t, filepath.Join(dir, f+".golden"), normalise(string(got), out))
			}
			if !strings.Contains(stdout, "Every row read is accounted for") {
				t.Errorf("got stdout without the accounting line:\n%s", stdout)
			}
			checkWorkbook(t, filepath.Join(out, "report.xlsx"))
		})
	}
}

// TestAuditJSONPagesMatchCSV audits one generated org twice, as Bulk CSV and
// as REST JSON pages given by pattern: the findings and removals must be the
// same, and so must the number of rejects (the malformed rows differ by
// format: a short CSV row, an empty JSON field).
func TestAuditJSONPagesMatchCSV(t *testing.T) {
	dir := t.TempDir()
	outputs := map[string]map[string]string{}
	for format, inputs := range map[string][]string{
		"bulk": {"--sessions", "sessions.csv", "--logins", "logins.csv", "--users", "users.csv"},
		"json": {"--sessions", "sessions-*.json", "--logins", "logins-*.json", "--users", "users-*.json"},
	} {
		data := filepath.Join(dir, format)
		if code, _, stderr := runCLI(t, "gen", "--logins", "3000", "--seed", "1", "--with-rejects", "--format", format, "--out", data); code != exitOK {
			t.Fatalf("gen --format %s: exit %d: %s", format, code, stderr)
		}
		args := []string{"audit", "--policy", repoPath("testdata/sample/policy.yaml"), "--as-of", "2026-11-26T12:00:00Z", "--out", filepath.Join(dir, "out-"+format)}
		for i := 0; i < len(inputs); i += 2 {
			args = append(args, inputs[i], filepath.Join(data, inputs[i+1]))
		}
		if code, _, stderr := runCLI(t, args...); code != exitOK {
			t.Fatalf("audit of %s: exit %d: %s", format, code, stderr)
		}
		outputs[format] = map[string]string{}
		for _, f := range []string{"findings.csv", "removals.csv", "rejects.csv"} {
			b, err := os.ReadFile(filepath.Join(dir, "out-"+format, f))
			if err != nil {
				t.Fatal(err)
			}
			outputs[format][f] = string(b)
		}
	}
	for _, f := range []string{"findings.csv", "removals.csv"} {
		if diff := cmp.Diff(outputs["bulk"][f], outputs["json"][f]); diff != "" {
			t.Errorf("%s differs between CSV and JSON (-csv +json):\n%s", f, diff)
		}
	}
	if c, j := strings.Count(outputs["bulk"]["rejects.csv"], "\n"), strings.Count(outputs["json"]["rejects.csv"], "\n"); c != j || c < 2 {
		t.Errorf("got %d lines of rejects.csv from CSV and %d from JSON, want the same, with rejects", c, j)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// normalise replaces the per-run output folder and the repository path so
// golden files do not depend on where the test runs.
func normalise(s, out string) string {
	s = strings.ReplaceAll(s, out, "$OUT")
	return strings.ReplaceAll(s, repoPath(""), "$ROOT")
}

func compareGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if got == "" {
			os.Remove(path)
			return
		}
		mustWriteFile(t, path, got)
		return
	}
	want, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got); rerun with -update if the change is intended:\n%s", filepath.Base(path), diff)
	}
}

// checkWorkbook opens report.xlsx as an analyst's spreadsheet would and
// checks its sheets are there with a header row.
func checkWorkbook(t *testing.T, path string) {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatalf("opening %s: %v", path, err)
	}
	defer f.Close()
	if diff := cmp.Diff([]string{"Summary", "Findings", "Sessions", "Removals", "Rejects"}, f.GetSheetList()); diff != "" {
		t.Errorf("sheets (-want +got):\n%s", diff)
	}
	if v, _ := f.GetCellValue("Findings", "A1"); v != "Severity" {
		t.Errorf("got Findings!A1 %q, want Severity", v)
	}
	// Each header is aligned as its column's values: a severity or a time
	// centred, a number (a reject's line) to the right, text to the left.
	for cell, want := range map[string]string{"Findings!A1": "center", "Findings!C1": "center", "Findings!D1": "left", "Rejects!B1": "right"} {
		sheet, ref, _ := strings.Cut(cell, "!")
		id, err := f.GetCellStyle(sheet, ref)
		if err != nil {
			t.Fatal(err)
		}
		style, err := f.GetStyle(id)
		if err != nil {
			t.Fatal(err)
		}
		if style.Alignment == nil || style.Alignment.Horizontal != want {
			t.Errorf("%s: got alignment %+v, want %s", cell, style.Alignment, want)
		}
	}
}

func TestAuditUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no inputs", []string{"audit"}, "--sessions and --logins are required"},
		{"missing file", []string{"audit", "--sessions", "nope.csv", "--logins", "nope2.csv"}, "cannot read input nope.csv"},
		{"bad as-of", []string{"audit", "--sessions", "audit.go", "--logins", "audit.go", "--as-of", "yesterday"}, "not an RFC 3339 time"},
		{"bad fail-on", []string{"audit", "--sessions", "audit.go", "--logins", "audit.go", "--fail-on", "urgent"}, "is not a severity"},
		{"unknown flag", []string{"audit", "--color"}, "unknown flag --color"},
		{"flag without its value", []string{"audit", "--sessions"}, "--sessions needs a value"},
		{"pattern matching nothing", []string{"audit", "--sessions", "nope-*.csv", "--logins", "audit.go"}, `--sessions "nope-*.csv": no file matches "nope-*.csv"`},
		{"bad number", []string{"audit", "--threads", "two"}, `--threads "two": parse error`},
		{"too many threads", []string{"audit", "--sessions", "audit.go", "--logins", "audit.go", "--threads", "257"}, "--threads must be 0 (one per core) to 256"},
		{"too small a memory limit", []string{"audit", "--sessions", "audit.go", "--logins", "audit.go", "--memory-limit", "500MB"}, "outside 1GB to many TB"},
		{"bad boolean", []string{"apply", "--removals", "x.csv", "--execute=maybe"}, `--execute "maybe": parse error`},
		{"stray argument", []string{"audit", "--sessions", "audit.go", "--logins", "audit.go", "extra"}, `unexpected argument "extra"`},
		{"unknown command", []string{"audti"}, `unknown command "audti"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tc.args...)
			if code != exitUsage || !strings.Contains(stderr, tc.want) || !strings.Contains(stderr, "Try: sessionaudit") {
				t.Errorf("got exit %d and stderr %q, want exit 2 with %q and a hint", code, stderr, tc.want)
			}
		})
	}
}

// TestRepeatedFlags checks that every command refuses a flag that takes
// one value when it is given twice, naming it as the help does (the flag
// package would let the last win), while the input flags stay repeatable.
func TestRepeatedFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"audit", "--policy", "a.yaml", "--sessions", "s.csv", "--policy", "b.yaml"}, "--policy given twice"},
		{[]string{"audit", "--out", "a", "--out", "a"}, "--out given twice"},
		{[]string{"audit", "--threads", "1", "--threads=2"}, "--threads given twice"},
		{[]string{"approve", "--by", "alice", "--by", "bob"}, "--by given twice"},
		{[]string{"apply", "--removals", "a.csv", "--removals", "b.csv"}, "--removals given twice"},
		{[]string{"apply", "--execute", "--execute=false"}, "--execute given twice"},
		{[]string{"verify", "--api-version", "v66.0", "--api-version", "v65.0"}, "--api-version given twice"},
		{[]string{"gen", "--seed", "1", "--seed", "2"}, "--seed given twice"},
		{[]string{"gen", "--with-rejects", "--with-rejects"}, "--with-rejects given twice"},
	}
	for _, tc := range tests {
		code, _, stderr := runCLI(t, tc.args...)
		want := "sessionaudit " + tc.args[0] + ": " + tc.want + "\nTry: sessionaudit " + tc.args[0] + " --help\n"
		if code != exitUsage || stderr != want {
			t.Errorf("%q: got exit %d and stderr %q, want exit 2 and %q", tc.args, code, stderr, want)
		}
	}
	// The near miss: the input flags are repeatable, so the audit goes on to
	// look for the files.
	code, _, stderr := runCLI(t, "audit", "--sessions", "s1.csv", "--sessions", "s2.csv", "--logins", "l1.csv", "--logins", "l2.csv",
		"--users", "u1.csv", "--users", "u2.csv", "--geo", "g1.csv", "--geo", "g2.csv")
	if code != exitUsage || !strings.Contains(stderr, "cannot read input s1.csv") {
		t.Errorf("repeated input flags: got exit %d and stderr %q, want them taken and s1.csv looked for", code, stderr)
	}
}

// TestEmptyFlagValues checks that an empty value (a script's unset
// variable) is refused rather than taken for a flag not given: --policy ""
// would audit without the policy's protections, --fail-on "" without its
// verdict.
func TestEmptyFlagValues(t *testing.T) {
	const msg = `: an empty value (an unset variable?): give one, or leave the flag out`
	for _, args := range [][]string{
		{"audit", "--sessions", "s.csv", "--logins", "l.csv", "--policy", ""},
		{"audit", "--sessions", "s.csv", "--logins", "l.csv", "--fail-on="},
		{"audit", "--sessions", "s.csv", "--logins", "l.csv", "--as-of", ""},
		{"audit", "--sessions", "", "--logins", "l.csv"},
		{"approve", "--removals", "r.csv", "--by", ""},
	} {
		code, _, stderr := runCLI(t, args...)
		if code != exitUsage || !strings.Contains(stderr, msg) {
			t.Errorf("%q: got exit %d and stderr %q, want exit 2 and %q", args, code, stderr, msg)
		}
	}
	// The near miss: a boolean flag takes no value.
	if code, _, stderr := runCLI(t, "apply", "--removals", "r.csv", "--execute"); strings.Contains(stderr, msg) {
		t.Errorf("--execute: got exit %d and stderr %q, want no complaint of an empty value", code, stderr)
	}
}

func TestFilesFlag(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"logins-0002.json", "logins-0001.json", "logins-[1].json", "sessions.csv"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var got filesFlag
	for _, v := range []string{
		filepath.Join(dir, "sessions.csv"),     // a plain name
		filepath.Join(dir, "logins-000?.json"), // a pattern: its matches in name order
		filepath.Join(dir, "logins-[1].json"),  // a file whose name looks like a pattern
		filepath.Join(dir, "missing.csv"),      // left for the load to report
	} {
		if err := got.Set(v); err != nil {
			t.Fatalf("Set(%q): %v", v, err)
		}
	}
	want := filesFlag{filepath.Join(dir, "sessions.csv"), filepath.Join(dir, "logins-0001.json"), filepath.Join(dir, "logins-0002.json"),
		filepath.Join(dir, "logins-[1].json"), filepath.Join(dir, "missing.csv")}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if err := got.Set(filepath.Join(dir, "users-*.csv")); err == nil || !strings.Contains(err.Error(), "no file matches") {
		t.Errorf("a pattern matching nothing: got %v, want an error saying no file matches", err)
	}
	if err := got.Set(filepath.Join(dir, "logins-[.json")); err == nil || !strings.Contains(err.Error(), "is not a file pattern") {
		t.Errorf("a malformed pattern: got %v, want an error saying it is not a file pattern", err)
	}
}

func TestHelpForEveryCommand(t *testing.T) {
	for _, c := range commands() {
		code, stdout, _ := runCLI(t, c.name, "--help")
		if code != exitOK || strings.Count(stdout, "Usage:") != 1 {
			t.Errorf("%s --help: got exit %d and %q, want exit 0 and one Usage section", c.name, code, stdout)
		}
		code, stdout, stderr := runCLI(t, c.name, "--no-such-flag")
		if want := "Try: sessionaudit " + c.name + " --help\n"; code != exitUsage || stdout != "" || !strings.HasSuffix(stderr, want) || strings.Count(stderr, "\n") != 2 {
			t.Errorf("%s --no-such-flag: got exit %d, stdout %q, stderr %q, want exit 2, no output and a two-line hint", c.name, code, stdout, stderr)
		}
	}
}

// A bug that panics exits 1 as an internal error with its stack, not 2, the
// Go runtime's status for a panic, which the commands use for unusable
// input. Here the panic is a write to a missing stdout (the help goes there).
// The near miss, help with a stdout, exits 0.
func TestPanicIsAnInternalError(t *testing.T) {
	var errb strings.Builder
	code := run(context.Background(), []string{"help"}, stdio{in: strings.NewReader(""), out: nil, err: &errb, getenv: func(string) string { return "" }})
	if code != exitFailure || !strings.HasPrefix(errb.String(), "sessionaudit: internal error (a bug: please report it with what follows): ") ||
		!strings.Contains(errb.String(), "goroutine ") {
		t.Errorf("got exit %d and stderr %q, want exit 1 and an internal error with its stack", code, errb.String())
	}
	if code, stdout, _ := runCLI(t, "help"); code != exitOK || !strings.Contains(stdout, "Usage:") {
		t.Errorf("help: got exit %d and %q, want exit 0 and the usage", code, stdout)
	}
}

// TestHelpExamplesAreREADMECommands checks that the first example of audit
// --help, auditing the bundled sample, and of gen --help, regenerating it,
// are the README's commands, so the two give the same results.
func TestHelpExamplesAreREADMECommands(t *testing.T) {
	readme, err := os.ReadFile(repoPath("README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, help := range []string{auditHelp, genHelp} {
		_, examples, ok := strings.Cut(help, "\nExamples:\n")
		examples, _, _ = strings.Cut(examples, "\n\n")
		if !ok || examples == "" {
			t.Fatalf("got no Examples section in %q", help)
		}
		// The first example, its continued lines joined.
		var first []string
		for _, line := range strings.Split(examples, "\n") {
			line, more := strings.CutSuffix(strings.TrimSpace(line), "\\")
			first = append(first, strings.TrimSpace(line))
			if !more {
				break
			}
		}
		want := "go run -tags duckdb_arrow ./cmd/" + strings.Join(first, " ")
		if !strings.Contains(string(readme), want+"\n") && !strings.Contains(string(readme), want+"`") {
			t.Errorf("got an example %q, want the README's command %q", strings.Join(first, " "), want)
		}
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"2GB", 2e9, true}, {"1.5GiB", 1.5 * (1 << 30), true}, {"1GB", 1e9, true}, {"1024 mib", 1024 << 20, true},
		{"1000000000", 1e9, true}, {"999MB", 0, false}, {"512MB", 0, false}, {"two", 0, false}, {"2XB", 0, false}, {"", 0, false},
	}
	for _, tc := range tests {
		got, err := parseSize(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseSize(%q): got %d, %v; want %d, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

// An argument after the flags is a usage mistake reported in the log's
// format: a JSON record under --log-format json.
func TestAuditStrayArgumentUnderJSON(t *testing.T) {
	code, _, stderr := runCLI(t, "audit", "--log-format", "json", "--sessions", repoPath("testdata/sample/sessions.csv"),
		"--logins", repoPath("testdata/sample/logins.csv"), "--out", filepath.Join(t.TempDir(), "out"), "extra")
	var rec struct{ Level, Msg, Hint string }
	if err := json.Unmarshal([]byte(strings.TrimSpace(stderr)), &rec); err != nil || code != exitUsage ||
		rec.Level != "ERROR" || rec.Msg != `unexpected argument "extra"` || rec.Hint == "" {
		t.Errorf("got exit %d and stderr %q (%v), want exit 2 and one JSON error record with a hint", code, stderr, err)
	}
}

// TestAuditQuiet checks that --quiet leaves the phase logs out of stderr and
// keeps what a person must act on: a warning (a Setup download lacks what
// two checks need), and the --fail-on verdict. The summary on stdout names
// the policy the audit ran with and its SHA-256, or the defaults.
func TestAuditQuiet(t *testing.T) {
	dir := t.TempDir()
	sample := []string{"audit", "--sessions", repoPath("testdata/sample/sessions.csv"), "--logins", repoPath("testdata/sample/logins.csv"),
		"--as-of", "2026-11-26T12:00:00Z", "--policy", repoPath("testdata/sample/policy.yaml"), "--fail-on", "high", "--out", filepath.Join(dir, "sample")}
	setup := []string{"audit", "--sessions", repoPath("testdata/e2e/setup-history/sessions.csv"), "--logins", repoPath("testdata/e2e/setup-history/logins.csv"),
		"--as-of", "2026-11-26T12:00:00Z", "--out", filepath.Join(dir, "setup")}
	policy, err := os.ReadFile(repoPath("testdata/sample/policy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(policy)
	for _, tc := range []struct {
		args   []string
		code   int
		want   string
		policy string // the summary's line naming the policy
	}{
		{sample, exitFindings, "findings at or above high", "Policy: " + repoPath("testdata/sample/policy.yaml") + " (SHA-256 " + hex.EncodeToString(sum[:]) + ")\n"},
		{setup, exitOK, "is a Setup download, with no coordinates", "Policy: the defaults (no --policy given)\n"},
	} {
		for _, quiet := range []bool{true, false} {
			args := tc.args
			if quiet {
				args = append(slices.Clone(args), "--quiet")
			}
			code, stdout, stderr := runCLI(t, args...)
			if code != tc.code || !strings.Contains(stdout, "Reports in ") || !strings.Contains(stdout, tc.policy) {
				t.Fatalf("%s, quiet %v: got exit %d and stdout %q, want exit %d and the summary naming %q", tc.args[4], quiet, code, stdout, tc.code, tc.policy)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("%s, quiet %v: got stderr %q, want it to hold %q", tc.args[4], quiet, stderr, tc.want)
			}
			if got := strings.Contains(stderr, "loaded exports") || strings.Contains(stderr, "ran checks"); got == quiet {
				t.Errorf("%s, quiet %v: got stderr %q; want the phase logs only without --quiet", tc.args[4], quiet, stderr)
			}
		}
	}
}

// TestAuditJSONLogs checks that under --log-format json every line on
// stderr is a JSON object, including the --fail-on verdict, a bad policy, an
// unusable input and usage mistakes, in the flags or found after; under
// text (the near miss) the same problems stay plain "sessionaudit audit:" lines.
func TestAuditJSONLogs(t *testing.T) {
	dir := t.TempDir()
	badPolicy := filepath.Join(dir, "bad.yaml")
	mustWriteFile(t, badPolicy, "{bad\n")
	sample := []string{"--sessions", repoPath("testdata/sample/sessions.csv"), "--logins", repoPath("testdata/sample/logins.csv"),
		"--users", repoPath("testdata/sample/users.csv"), "--as-of", "2026-11-26T12:00:00Z", "--out", filepath.Join(dir, "out")}
	tests := []struct {
		name string
		args []string
		code int
		want string // in the message of one record
	}{
		{"fail-on", append([]string{"--policy", repoPath("testdata/sample/policy.yaml"), "--fail-on", "high"}, sample...), exitFindings, "findings at or above high"},
		{"bad policy", append([]string{"--policy", badPolicy}, sample...), exitUsage, "bad.yaml:1: did not find"},
		{"missing columns", []string{"--sessions", repoPath("testdata/e2e/missing-columns/sessions.csv"), "--logins", repoPath("testdata/sample/logins.csv"),
			"--out", filepath.Join(dir, "out")}, exitUsage, "missing columns"},
		{"bad as-of", slices.Concat(sample[:6], []string{"--as-of", "yesterday"}, sample[8:]), exitUsage, "not an RFC 3339 time"},
		// Flags that do not parse: reported before the log format is
		// known, so it is read from the arguments first.
		{"unknown flag", append([]string{"--bogus"}, sample...), exitUsage, "unknown flag --bogus"},
		{"empty policy", append([]string{"--policy", ""}, sample...), exitUsage, `--policy "": an empty value`},
		{"pattern matching nothing", append([]string{"--geo", filepath.Join(dir, "none*.csv")}, sample...), exitUsage, "no file matches"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, append(append([]string{"audit"}, tc.args...), "--log-format", "json")...)
			if code != tc.code {
				t.Fatalf("got exit %d, want %d; stderr:\n%s", code, tc.code, stderr)
			}
			found := false
			for _, line := range strings.Split(strings.TrimSuffix(stderr, "\n"), "\n") {
				var rec struct{ Level, Msg string }
				if err := json.Unmarshal([]byte(line), &rec); err != nil {
					t.Errorf("got a stderr line that is not JSON (%v): %q", err, line)
				}
				found = found || strings.Contains(rec.Msg, tc.want)
			}
			if !found {
				t.Errorf("got no record whose msg holds %q in stderr:\n%s", tc.want, stderr)
			}

			code, _, stderr = runCLI(t, append([]string{"audit"}, tc.args...)...)
			if code != tc.code || !strings.Contains(stderr, "sessionaudit audit: ") || !strings.Contains(stderr, tc.want) {
				t.Errorf("text: got exit %d and stderr %q, want exit %d and a plain line with %q", code, stderr, tc.code, tc.want)
			}
		})
	}
}

// sampleAudit is an audit of the bundled sample org, less --out.
func sampleAudit() []string {
	return []string{"audit", "--sessions", repoPath("testdata/sample/sessions.csv"), "--logins", repoPath("testdata/sample/logins.csv"),
		"--users", repoPath("testdata/sample/users.csv"), "--policy", repoPath("testdata/sample/policy.yaml"), "--as-of", "2026-11-26T12:00:00Z"}
}

// TestAuditTempDirNotUTF8 checks that a spill folder whose name is not
// valid UTF-8, given by --temp-dir or TMPDIR, is refused at start (exit 2,
// saying why) rather than failing as the database opens with DuckDB's
// "Invalid unicode (byte sequence mismatch)" (exit 1).
func TestAuditTempDirNotUTF8(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "spill\xff")
	if err := os.Mkdir(bad, 0o755); err != nil {
		t.Skipf("no such names here: %v", err)
	}
	out := filepath.Join(dir, "out")
	code, stdout, stderr := runCLI(t, append(sampleAudit(), "--out", out, "--temp-dir", bad)...)
	if code != exitUsage || !strings.Contains(stderr, `--temp-dir `+filepath.Join(dir, `spill\xff`)+`: cannot spill there`) ||
		!strings.Contains(stderr, "UTF-8") || strings.Contains(stderr, "Invalid unicode") || stdout != "" {
		t.Errorf("--temp-dir not UTF-8: got exit %d, stdout %q, stderr %q; want exit 2 naming it", code, stdout, stderr)
	}
	t.Setenv("TMPDIR", bad)
	code, stdout, stderr = runCLI(t, append(sampleAudit(), "--out", out)...)
	if code != exitUsage || !strings.Contains(stderr, "temporary folder") || !strings.Contains(stderr, "TMPDIR") ||
		strings.Contains(stderr, "Invalid unicode") || stdout != "" {
		t.Errorf("TMPDIR not UTF-8: got exit %d, stdout %q, stderr %q; want exit 2 naming it", code, stdout, stderr)
	}
}

// TestAuditUnusableFolders checks that an --out or --temp-dir in which no
// file can be written is refused at start (exit 2, naming the flag, before
// any export is loaded), and that a missing one is created.
func TestAuditUnusableFolders(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "a-file")
	mustWriteFile(t, file, "x")
	readOnly := filepath.Join(dir, "read-only")
	if err := os.Mkdir(readOnly, 0o555); err != nil {
		t.Fatal(err)
	}
	probe, err := os.CreateTemp(readOnly, "probe")
	readOnlyWorks := err != nil // false when running as root, who may write anyway
	if err == nil {
		probe.Close()
		os.Remove(probe.Name())
	}
	tests := []struct {
		name, flag, dir string
		skip            bool
	}{
		{"out is a file", "--out", file, false},
		{"out under a file", "--out", filepath.Join(file, "out"), false},
		{"out read-only", "--out", readOnly, !readOnlyWorks},
		{"out is /proc", "--out", "/proc", runtime.GOOS != "linux"}, // not writable even by root
		{"temp-dir is a file", "--temp-dir", file, false},
		{"temp-dir under a file", "--temp-dir", filepath.Join(file, "spill"), false},
		{"temp-dir in /proc", "--temp-dir", "/proc/nope", runtime.GOOS != "linux"},
		{"temp-dir read-only", "--temp-dir", readOnly, !readOnlyWorks},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.skip {
				t.Skip("not testable here")
			}
			args := append(sampleAudit(), tc.flag, tc.dir)
			if tc.flag != "--out" {
				args = append(args, "--out", filepath.Join(dir, "out"))
			}
			code, stdout, stderr := runCLI(t, args...)
			if code != exitUsage || !strings.Contains(stderr, "sessionaudit audit: "+tc.flag+" "+tc.dir+": ") {
				t.Errorf("got exit %d and stderr %q, want exit 2 naming %s %s", code, stderr, tc.flag, tc.dir)
			}
			if strings.Contains(stderr, "loaded exports") || stdout != "" {
				t.Errorf("got stderr %q and stdout %q, want the audit refused before loading", stderr, stdout)
			}
		})
	}
	// The near miss: missing folders are created, and a spill folder the
	// audit created is removed afterwards; the probe leaves nothing behind.
	out, spill := filepath.Join(dir, "new", "out"), filepath.Join(dir, "new-spill")
	if code, _, stderr := runCLI(t, append(sampleAudit(), "--out", out, "--temp-dir", spill)...); code != exitOK {
		t.Fatalf("missing folders: got exit %d, want 0; stderr:\n%s", code, stderr)
	}
	if diff := cmp.Diff([]string{outLockName, "findings.csv", "rejects.csv", "removals.csv", "report.xlsx"}, dirNames(t, out)); diff != "" {
		t.Errorf("files in --out (-want +got):\n%s", diff)
	}
	if _, err := os.Stat(spill); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("got %v for the spill folder the audit created, want it removed", err)
	}
}

// TestAuditSpillsIntoItsOwnFolder checks that an audit spills into a folder
// of its own inside --temp-dir, since DuckDB names its spill files alike in
// every process, and that on leaving it removes that folder, and the
// --temp-dir it created only if nothing else (another audit's spill folder)
// went into it meanwhile.
func TestAuditSpillsIntoItsOwnFolder(t *testing.T) {
	spill := filepath.Join(t.TempDir(), "spill")
	other := filepath.Join(spill, "sessionaudit-spill-other")
	var during []string
	var outb, errb bytes.Buffer
	code := run(context.Background(), append(sampleAudit(), "--out", t.TempDir(), "--temp-dir", spill), stdio{
		in: strings.NewReader(""), out: &outb, err: &errb, getenv: func(string) string { return "" },
		beforePublish: func() {
			during = dirNames(t, spill)
			if err := os.Mkdir(other, 0o755); err != nil {
				t.Fatal(err)
			}
		}})
	if code != exitOK {
		t.Fatalf("got exit %d, want 0; stderr:\n%s", code, errb.String())
	}
	if len(during) != 1 || !strings.HasPrefix(during[0], "sessionaudit-spill-") {
		t.Errorf("got %q in --temp-dir while the audit ran, want its own sessionaudit-spill-* folder alone", during)
	}
	if diff := cmp.Diff([]string{"sessionaudit-spill-other"}, dirNames(t, spill)); diff != "" {
		t.Errorf("--temp-dir after the audit (-want +got):\n%s", diff)
	}
}

// TestAuditKeepDBNameTheDriverMisreads checks --db paths that the DuckDB
// driver, which reads its path as a URL, could not open: a relative name
// with a colon in its first part is kept (the database is built at an
// absolute path), and a name with a ?, a bad % escape or a control
// character is refused at start with exit 2, rather than failing as the
// database opens with the driver's "could not parse DSN" or "options were
// not recognized" and exit 1.
func TestAuditKeepDBNameTheDriverMisreads(t *testing.T) {
	args := sampleAudit()
	for i, a := range args {
		if abs, err := filepath.Abs(a); err == nil && strings.HasPrefix(a, "..") {
			args[i] = abs
		}
	}
	dir := t.TempDir()
	t.Chdir(dir)
	code, _, stderr := runCLI(t, append(args, "--out", "out", "--db", "a:b.duckdb")...)
	if code != exitOK {
		t.Fatalf("--db a:b.duckdb: got exit %d, want 0; stderr:\n%s", code, stderr)
	}
	if n := mustCountFindings(t, filepath.Join(dir, "a:b.duckdb")); n == 0 {
		t.Errorf("--db a:b.duckdb holds no findings")
	}
	for _, db := range []string{"a?b.duckdb", "x?access_mode=read_only", "a%zz.duckdb", "a\tb.duckdb", "sub?dir/a.duckdb"} {
		code, stdout, stderr := runCLI(t, append(args, "--out", "out", "--db", db)...)
		if code != exitUsage || !strings.Contains(stderr, "--db ") || !strings.Contains(stderr, "choose another path") || stdout != "" ||
			strings.Contains(stderr, "DSN") || strings.Contains(stderr, "not recognized") {
			t.Errorf("--db %q: got exit %d, stdout %q, stderr %q; want exit 2 saying the path cannot be used", db, code, stdout, stderr)
		}
	}
}

// TestAuditKeepDB checks that --db refuses a path holding an input or
// anything but a DuckDB database, and that a database is replaced only by an
// audit that finished: a failed one leaves the old one as it was.
func TestAuditKeepDB(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	sessions := filepath.Join(dir, "sessions.csv")
	raw, err := os.ReadFile(repoPath("testdata/sample/sessions.csv"))
	if err != nil {
		t.Fatal(err)
	}
	notDB := filepath.Join(dir, "notes.db")
	for path, b := range map[string][]byte{sessions: raw, notDB: []byte("SQLite format 3\x00 and more")} {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	audit := func(db string, extra ...string) (int, string) {
		t.Helper()
		args := append([]string{"audit", "--sessions", sessions, "--logins", repoPath("testdata/sample/logins.csv"),
			"--as-of", "2026-11-26T12:00:00Z", "--out", out, "--db", db}, extra...)
		code, _, stderr := runCLI(t, args...)
		return code, stderr
	}
	for _, tc := range []struct{ name, db, want string }{
		{"an input", sessions, "is the input"},
		{"not a database", notDB, "is not a DuckDB database"},
		{"a folder", dir, "is not a regular file"},
	} {
		before, _ := os.ReadFile(tc.db)
		code, stderr := audit(tc.db)
		if code != exitUsage || !strings.Contains(stderr, "--db "+tc.db+": ") || !strings.Contains(stderr, tc.want) {
			t.Errorf("--db %s: got exit %d and stderr %q, want exit 2 naming --db and %q", tc.name, code, stderr, tc.want)
		}
		if after, _ := os.ReadFile(tc.db); !bytes.Equal(before, after) {
			t.Errorf("--db %s: the file changed", tc.name)
		}
	}

	// The near misses: a new path, an empty file and an old database are
	// all written; the database holds the audit.
	db := filepath.Join(dir, "audit.duckdb")
	empty := filepath.Join(dir, "empty.duckdb")
	mustWriteFile(t, empty, "")
	for _, path := range []string{db, empty, db} {
		if code, stderr := audit(path); code != exitOK {
			t.Fatalf("--db %s: got exit %d, want 0; stderr:\n%s", path, code, stderr)
		}
		if n := mustCountFindings(t, path); n == 0 {
			t.Errorf("--db %s: got no findings in the kept database", path)
		}
	}
	// A run that fails leaves the old database untouched and no temporary file.
	before, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	if code, stderr := audit(db, "--users", repoPath("testdata/e2e/missing-columns/sessions.csv")); code != exitUsage {
		t.Fatalf("a bad --users: got exit %d, want 2; stderr:\n%s", code, stderr)
	}
	if after, _ := os.ReadFile(db); !bytes.Equal(before, after) {
		t.Errorf("a failed run changed the kept database")
	}
	lock := filepath.Join(dir, ".audit.duckdb.sessionaudit-lock")
	if tmp, _ := filepath.Glob(filepath.Join(dir, ".audit.duckdb*")); !slices.Equal(tmp, []string{lock}) {
		t.Errorf("got %v, want no temporary database left, only the lock file", tmp)
	}

	// Another audit keeping the same database is refused while it runs;
	// once it is gone, what it left building is removed.
	unlock, err := apply.LockFile(lock)
	if err != nil {
		t.Fatal(err)
	}
	if code, stderr := audit(db); code != exitUsage || !strings.Contains(stderr, fmt.Sprintf("process %d is keeping a database there now", os.Getpid())) {
		t.Errorf("--db locked: got exit %d, stderr %q; want exit 2 naming the process", code, stderr)
	}
	unlock()
	// The near miss: the build of another --db whose name begins as this
	// one's does stays.
	other := filepath.Join(dir, ".audit.duckdb.sessionaudit-x.sessionaudit-4242-0a1b2c3d.tmp")
	left := []string{filepath.Join(dir, ".audit.duckdb.sessionaudit-999999999-0a1b2c3d.tmp"), filepath.Join(dir, ".audit.duckdb.sessionaudit-999999999-0a1b2c3d.tmp.wal"), other}
	for _, p := range left {
		mustWriteFile(t, p, "half built")
	}
	if code, stderr := audit(db); code != exitOK {
		t.Fatalf("after a killed run: got exit %d, want 0; stderr:\n%s", code, stderr)
	}
	if tmp, _ := filepath.Glob(filepath.Join(dir, ".audit.duckdb*")); !slices.Equal(tmp, []string{lock, other}) {
		t.Errorf("got %v, want what the killed run left removed, and only that", tmp)
	}
}

// TestAuditKeepDBHoldsNoRejectedToken checks that a token in a rejected
// value, which rejects.csv and the database's rejects table show redacted,
// is not left in the kept database's file either: the rows the load
// rejected, deleted from their table, and the rejects as they were before
// redaction stay in the blocks of the file the audit was built in.
func TestAuditKeepDBHoldsNoRejectedToken(t *testing.T) {
	dir := t.TempDir()
	const token = "00DFAKE00000001!FAKEtokenInTheExport"
	raw, err := os.ReadFile(repoPath("testdata/sample/sessions.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(raw), "\n")
	bad := strings.Replace(lines[1], `"0Ak5g000lXAaqGmCQJ"`, `"0Ak5g000lXAaZZ1CQJ"`, 1)
	bad = strings.Replace(bad, `"100.80.1.1"`, `"`+token+`"`, 1)
	sessions := filepath.Join(dir, "sessions.csv")
	mustWriteFile(t, sessions, string(raw)+bad)
	db := filepath.Join(dir, "audit.duckdb")
	code, _, stderr := runCLI(t, "audit", "--sessions", sessions, "--logins", repoPath("testdata/sample/logins.csv"),
		"--as-of", "2026-11-26T12:00:00Z", "--out", filepath.Join(dir, "out"), "--db", db)
	if code != exitOK {
		t.Fatalf("got exit %d, want 0; stderr:\n%s", code, stderr)
	}
	if rejects, _ := os.ReadFile(filepath.Join(dir, "out", "rejects.csv")); !bytes.Contains(rejects, []byte("SourceIp,SourceIp is not an IPv4 or IPv6 address,[REDACTED]")) {
		t.Fatalf("the rejected token is not in rejects.csv, redacted: the test no longer tests what it should:\n%s", rejects)
	}
	kept, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	if i := bytes.Index(kept, []byte("FAKEtokenInTheExport")); i >= 0 {
		t.Errorf("the kept database holds the rejected token at byte %d", i)
	}
	if n := mustCountFindings(t, db); n == 0 {
		t.Errorf("the kept database holds no findings")
	}
}

// mustCountFindings returns how many findings the database at path holds.
func mustCountFindings(tb testing.TB, path string) int64 {
	tb.Helper()
	db, err := ingest.Open(context.Background(), ingest.DBOptions{Path: path})
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	var n int64
	if err := db.QueryRow("SELECT count(*) FROM findings").Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

// cancelOnLine is a stderr that cancels the run when a log line holding
// line is written, to interrupt it at a known step.
type cancelOnLine struct {
	bytes.Buffer
	line   string
	cancel context.CancelFunc
}

func (w *cancelOnLine) Write(p []byte) (int, error) {
	if w.line != "" && bytes.Contains(p, []byte(w.line)) {
		w.cancel()
	}
	return w.Buffer.Write(p)
}

// TestAuditReportSet checks that the four reports replace the previous set
// together: a run interrupted while writing the workbook leaves the old set
// whole and no staging folder, and a run that finishes replaces all four.
func TestAuditReportSet(t *testing.T) {
	out := t.TempDir()
	files := []string{"findings.csv", "removals.csv", "rejects.csv", "report.xlsx"}
	old := map[string]string{"removals.csv": oneRowList} // a list without decisions, which an audit replaces
	for _, f := range files {
		if old[f] == "" {
			old[f] = "OLD"
		}
		if err := os.WriteFile(filepath.Join(out, f), []byte(old[f]), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	stale := filepath.Join(out, stagingPrefix+"999999999")
	if err := os.MkdirAll(stale, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, cancelAt string
		code           int
		wantOld        bool
	}{
		{"interrupted in the workbook", "wrote rejects.csv", exitFailure, true},
		{"finished", "", exitOK, false}, // the near miss
	} {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		stderr := &cancelOnLine{line: tc.cancelAt, cancel: cancel}
		code := run(ctx, append(sampleAudit(), "--out", out), stdio{in: strings.NewReader(""), out: io.Discard, err: stderr, getenv: func(string) string { return "" }})
		if code != tc.code {
			t.Fatalf("%s: got exit %d, want %d; stderr:\n%s", tc.name, code, tc.code, stderr.String())
		}
		// The log says the workbook was written only when it was.
		if wrote := strings.Contains(stderr.String(), "wrote report.xlsx"); wrote != (tc.code == exitOK) {
			t.Errorf("%s: got %v for a \"wrote report.xlsx\" log line, want %v; stderr:\n%s", tc.name, wrote, tc.code == exitOK, stderr.String())
		}
		for _, f := range files {
			b, err := os.ReadFile(filepath.Join(out, f))
			if err != nil || (string(b) == old[f]) != tc.wantOld {
				t.Errorf("%s: got %s %.20q (err %v), want it %s", tc.name, f, b, err, map[bool]string{true: "old", false: "new"}[tc.code != exitOK])
			}
		}
		if left, _ := filepath.Glob(filepath.Join(out, stagingPrefix+"*")); len(left) != 0 {
			t.Errorf("%s: got %v, want no staging folder left", tc.name, left)
		}
	}
}

// TestAuditLocksOut checks that an audit into a folder another process is
// auditing into is refused at start with exit 2 naming that process, and
// that the lock of another folder, or a released one, does not stop it.
func TestAuditLocksOut(t *testing.T) {
	out, other := t.TempDir(), t.TempDir()
	unlock, _, err := lockOut(out) // as if another audit held it: flock locks one open file, not the process
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, append(sampleAudit(), "--out", out)...)
	want := fmt.Sprintf("sessionaudit audit: --out %s: process %d is auditing into it now", out, os.Getpid())
	if code != exitUsage || !strings.Contains(stderr, want) || stdout != "" {
		t.Errorf("locked --out: got exit %d, stdout %q, stderr %q; want exit 2 and %q", code, stdout, stderr, want)
	}
	if code, _, stderr := runCLI(t, append(sampleAudit(), "--out", other)...); code != exitOK {
		t.Errorf("another --out: got exit %d, want 0; stderr:\n%s", code, stderr)
	}
	unlock()
	if code, _, stderr := runCLI(t, append(sampleAudit(), "--out", out)...); code != exitOK {
		t.Errorf("released --out: got exit %d, want 0; stderr:\n%s", code, stderr)
	}
}

// TestAuditKeepsApprovedList checks that an audit into a folder whose
// removals.csv is approved or being applied is refused at start (exit 2,
// before loading), naming the files, the approver and what to do, and
// leaves the list as it was; a list with neither is replaced as before.
func TestAuditKeepsApprovedList(t *testing.T) {
	const list = oneRowList
	const approval = `{"version": 1, "approved_by": "alice@acme.com", "approved_at": "2026-11-26T13:00:00Z", "sessions": []}`
	tests := []struct {
		name  string
		files map[string]string // beside removals.csv
		want  []string
	}{
		{"approved", map[string]string{"removals.csv.approval.json": approval},
			[]string{"was approved by alice@acme.com at 2026-11-26T13:00:00Z (removals.csv.approval.json)", "delete removals.csv.approval.json and clear the list's approve column to discard the approval"}},
		{"approval unreadable", map[string]string{"removals.csv.approval.json": "{"},
			[]string{"was approved (removals.csv.approval.json)", "delete removals.csv.approval.json and clear the list's approve column to discard the approval"}},
		{"journal only", map[string]string{"removals.csv.journal": ""},
			[]string{"has an apply journal (removals.csv.journal)", "replace the list it belongs to: audit into another folder (the journal is the record of what apply sent"}},
		{"approved and applied", map[string]string{"removals.csv.approval.json": approval, "removals.csv.journal": ""},
			[]string{"approved by alice@acme.com", "and has an apply journal", "replace the list they belong to: audit into another folder (the journal"}},
		// An analyst is deciding: even a decision approve would refuse counts.
		{"decisions not approved yet", map[string]string{"removals.csv": strings.TrimSuffix(list, "\n") + "ok\n"},
			[]string{"has decisions in its approve column (1 row), not approved yet", "approve the list (sessionaudit approve --removals "}},
		// Saved by a spreadsheet with semicolons, the decisions still count.
		{"decisions saved with semicolons", map[string]string{"removals.csv": strings.ReplaceAll(strings.TrimSuffix(list, "\n")+"yes\n", ",", ";")},
			[]string{"has decisions in its approve column (1 row), not approved yet", "save it again as comma-separated CSV (as the audit wrote it) and approve it"}},
		// A list the check cannot read may hold decisions too.
		{"not a list as audit writes it", map[string]string{"removals.csv": "\xff\xfes\x00e\x00s\x00\n\x00"},
			[]string{"is not a removal list as an audit writes it (its first line has no approve column)", "removals.csv away, or audit into another folder"}},
		// A journal is named before the decisions: clearing them would not do.
		{"decisions and a journal", map[string]string{"removals.csv": strings.TrimSuffix(list, "\n") + "yes\n", "removals.csv.journal": ""},
			[]string{"has an apply journal (removals.csv.journal)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			mustWriteFile(t, filepath.Join(out, "removals.csv"), list)
			kept := list
			if marked, ok := tc.files["removals.csv"]; ok {
				kept = marked
			}
			for name, content := range tc.files {
				mustWriteFile(t, filepath.Join(out, name), content)
			}
			code, stdout, stderr := runCLI(t, append(sampleAudit(), "--out", out)...)
			if code != exitUsage || stdout != "" || strings.Contains(stderr, "loaded exports") {
				t.Errorf("got exit %d, stdout %q, stderr %q; want exit 2 before loading", code, stdout, stderr)
			}
			for _, want := range append(tc.want, "sessionaudit audit: --out "+out+": its removals.csv ", "audit into another folder") {
				if !strings.Contains(stderr, want) {
					t.Errorf("got stderr %q, want it to hold %q", stderr, want)
				}
			}
			if b, err := os.ReadFile(filepath.Join(out, "removals.csv")); err != nil || string(b) != kept {
				t.Errorf("got removals.csv %q (%v), want it left as it was", b, err)
			}
		})
	}
	// Discarding an approval as advised (the approval deleted, the approve
	// column cleared) lets the next audit replace the list.
	out0 := t.TempDir()
	mustWriteFile(t, filepath.Join(out0, "removals.csv"), strings.TrimSuffix(list, "\n")+"yes\n")
	mustWriteFile(t, filepath.Join(out0, "removals.csv.approval.json"), approval)
	if code, _, stderr := runCLI(t, append(sampleAudit(), "--out", out0)...); code != exitUsage || !strings.Contains(stderr, "clear the list's approve column") {
		t.Fatalf("approved list: got exit %d, stderr %q; want exit 2 advising to clear the approve column too", code, stderr)
	}
	os.Remove(filepath.Join(out0, "removals.csv.approval.json"))
	mustWriteFile(t, filepath.Join(out0, "removals.csv"), list)
	if code, _, stderr := runCLI(t, append(sampleAudit(), "--out", out0)...); code != exitOK {
		t.Errorf("after discarding the approval as advised: got exit %d, want 0; stderr:\n%s", code, stderr)
	}

	// The near miss: a list with neither beside it, and no decisions (with
	// commas or semicolons), or an empty one, is replaced.
	var out string
	for _, old := range []string{list, strings.ReplaceAll(list, ",", ";"), ""} {
		out = t.TempDir()
		mustWriteFile(t, filepath.Join(out, "removals.csv"), old)
		mustWriteFile(t, filepath.Join(out, "removals.csv.approval.json.bak"), approval)
		if code, _, stderr := runCLI(t, append(sampleAudit(), "--out", out)...); code != exitOK {
			t.Fatalf("unapproved list %q: got exit %d, want 0; stderr:\n%s", old, code, stderr)
		}
		if b, err := os.ReadFile(filepath.Join(out, "removals.csv")); err != nil || string(b) == old {
			t.Errorf("got removals.csv %q (%v), want the new audit's list", b, err)
		}
	}

	// A list approved while the audit runs is kept too, and the audit's
	// reports stay out of the folder.
	out = t.TempDir()
	mustWriteFile(t, filepath.Join(out, "removals.csv"), list)
	var outb, errb bytes.Buffer
	code := run(context.Background(), append(sampleAudit(), "--out", out), stdio{in: strings.NewReader(""), out: &outb, err: &errb,
		getenv:        func(string) string { return "" },
		beforePublish: func() { mustWriteFile(t, filepath.Join(out, "removals.csv.approval.json"), approval) }})
	stderr := errb.String()
	if code != exitUsage || !strings.Contains(stderr, "approved by alice@acme.com") || !strings.Contains(stderr, "while this audit ran") {
		t.Errorf("approved during the audit: got exit %d and stderr %q, want exit 2 saying it was approved while the audit ran", code, stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "removals.csv")); string(b) != list {
		t.Errorf("approved during the audit: removals.csv was replaced by %q", b)
	}
	if names := dirNames(t, out); !slices.Equal(names, []string{".sessionaudit.lock", "removals.csv", "removals.csv.approval.json"}) {
		t.Errorf("approved during the audit: --out holds %v, want the list and its approval only", names)
	}
}

// No command is a usage error: the usage goes to stderr. Asked for, it goes
// to stdout.
func TestUsageStreams(t *testing.T) {
	code, stdout, stderr := runCLI(t)
	if code != exitUsage || stdout != "" || !strings.Contains(stderr, "Commands:") {
		t.Errorf("no command: exit %d, stdout %q, stderr %q; want exit 2 and the usage on stderr", code, stdout, stderr)
	}
	code, stdout, stderr = runCLI(t, "--help")
	if code != exitOK || stderr != "" || !strings.Contains(stdout, "Commands:") {
		t.Errorf("--help: exit %d, stdout %q, stderr %q; want exit 0 and the usage on stdout", code, stdout, stderr)
	}
}

// RFC 3339 allows a lower-case t and z in --as-of.
func TestAsOfLowerCase(t *testing.T) {
	sample := func(f string) string { return repoPath("testdata/sample/" + f) }
	for _, asOf := range []string{"2026-11-26t12:00:00z", "2026-11-26T12:00:00Z"} {
		code, stdout, stderr := runCLI(t, "audit", "--sessions", sample("sessions.csv"), "--logins", sample("logins.csv"),
			"--as-of", asOf, "--out", t.TempDir())
		if code != exitOK || !strings.Contains(stdout, "As of 2026-11-26 12:00:00 UTC") {
			t.Errorf("--as-of %s: exit %d, stderr %q; want the audit as of 2026-11-26 12:00 UTC", asOf, code, stderr)
		}
	}
}

// The policy's setup_date_order reaches the load: a Setup download whose
// dates could be either order is read month first with a warning, in the
// log and on stdout, unless the policy says it is day first.
func TestAuditSetupDateOrder(t *testing.T) {
	dir := t.TempDir()
	logins := filepath.Join(dir, "LoginHistory.csv")
	mustWriteFile(t, logins, "Username,Login Time,Source IP,Status\nalice@acme.com,05/11/2026 09:30,203.0.113.7,Success\n")
	dayFirst := filepath.Join(dir, "policy.yaml")
	mustWriteFile(t, dayFirst, "setup_date_order: dmy\n")
	warning := "Every date in " + logins + " written with its day and month before the year (such as 05/11/2026) has both at 12 or under"
	for _, tc := range []struct {
		name   string
		policy []string
		warned bool
		covers string // the login's time in the Inputs table
	}{
		{"auto", nil, true, "2026-05-11 09:30"},
		{"dmy", []string{"--policy", dayFirst}, false, "2026-11-05 09:30"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"audit", "--sessions", repoPath("testdata/sample/sessions.csv"), "--logins", logins,
				"--as-of", "2026-11-26T12:00:00Z", "--out", t.TempDir()}, tc.policy...)
			code, stdout, stderr := runCLI(t, args...)
			if code != exitOK {
				t.Fatalf("got exit %d, want %d; stderr:\n%s", code, exitOK, stderr)
			}
			if !strings.Contains(stdout, tc.covers+" to "+tc.covers) {
				t.Errorf("got no login at %s in stdout:\n%s", tc.covers, stdout)
			}
			if got := strings.Contains(stdout, warning); got != tc.warned {
				t.Errorf("stdout has the warning: got %v, want %v; stdout:\n%s", got, tc.warned, stdout)
			}
			if got := strings.Contains(stderr, warning); got != tc.warned {
				t.Errorf("stderr has the warning: got %v, want %v; stderr:\n%s", got, tc.warned, stderr)
			}
		})
	}
}

// makeStaging clears only its own folder's leftovers, whatever characters
// the folder's name holds, and none when the audit runs unlocked.
func TestMakeStagingWithPatternCharacters(t *testing.T) {
	root := t.TempDir()
	busy := filepath.Join(root, "out1", stagingPrefix+"424242") // another audit's, in a folder out[1] would match
	if err := os.MkdirAll(busy, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"out[1]", "out["} {
		dir := filepath.Join(root, name)
		stale := filepath.Join(dir, stagingPrefix+"1")
		if err := os.MkdirAll(stale, 0o755); err != nil {
			t.Fatal(err)
		}
		staging, err := makeStaging(dir, true)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: the stale staging folder is still there", name)
		}
		if _, err := os.Stat(staging); err != nil {
			t.Errorf("%s: no staging folder: %v", name, err)
		}
	}
	if _, err := os.Stat(busy); err != nil {
		t.Errorf("another folder's staging was removed: %v", err)
	}
	// Unlocked (no flock), another audit may be writing into the one there.
	staging, err := makeStaging(filepath.Join(root, "out1"), false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(busy); err != nil {
		t.Errorf("an unlocked audit removed a staging folder another audit may be using: %v", err)
	}
	if _, err := os.Stat(staging); err != nil {
		t.Errorf("no staging folder: %v", err)
	}
}

// dirNames lists the names in dir, sorted.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func mustWriteFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A report that cannot be moved into place leaves the folder holding the
// previous audit's set as it was: the files moved before it are put back,
// and those the previous audit did not write are removed again.
func TestPublishReportsRollsBack(t *testing.T) {
	for _, tc := range []struct {
		name    string
		blocked string // a report whose place holds a non-empty folder
		want    map[string]string
		failed  bool
	}{
		{name: "workbook blocked", blocked: "report.xlsx", failed: true,
			want: map[string]string{"findings.csv": "old findings", "removals.csv": "old removals"}},
		{name: "removal list blocked", blocked: "removals.csv", failed: true,
			want: map[string]string{"findings.csv": "old findings"}},
		// Near miss: nothing in the way, and every file is replaced.
		{name: "all moved",
			want: map[string]string{"findings.csv": "new findings.csv", "rejects.csv": "new rejects.csv",
				"report.xlsx": "new report.xlsx", "removals.csv": "new removals.csv"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			staging := filepath.Join(dir, stagingPrefix+"1")
			if err := os.Mkdir(staging, 0o755); err != nil {
				t.Fatal(err)
			}
			for _, f := range reportFiles {
				mustWriteFile(t, filepath.Join(staging, f), "new "+f)
			}
			mustWriteFile(t, filepath.Join(dir, "findings.csv"), "old findings")
			if tc.blocked != "removals.csv" {
				mustWriteFile(t, filepath.Join(dir, "removals.csv"), "old removals")
			}
			if tc.blocked != "" {
				mustWriteFile(t, filepath.Join(dir, tc.blocked, "x"), "in the way")
			}
			err := publishReports(staging, dir)
			if (err != nil) != tc.failed {
				t.Fatalf("publishReports: %v, want failure %v", err, tc.failed)
			}
			if err != nil && !strings.Contains(err.Error(), "left as they were") {
				t.Errorf("error %q does not say the previous reports are kept", err)
			}
			wantReportSet(t, dir, tc.want, tc.blocked)
		})
	}
}

// probeFolder names the outermost folder it made, so that all of it goes
// afterwards; a folder that was there is not its to remove.
func TestProbeFolderNamesWhatItMade(t *testing.T) {
	root := t.TempDir()
	made, err := probeFolder(filepath.Join(root, "a", "b", "c"))
	if err != nil || made != filepath.Join(root, "a") {
		t.Errorf("got %q, %v; want %q", made, err, filepath.Join(root, "a"))
	}
	made, err = probeFolder(filepath.Join(root, "a", "b"))
	if err != nil || made != "" {
		t.Errorf("an existing folder: got %q, %v; want \"\"", made, err)
	}
}

// An audit stopped by a signal (a cancelled context) says it was
// interrupted and in which step, rather than logging a wrapped "context
// canceled" as if the database had failed; the previous reports stay. A
// failure without a signal is logged as before (the near miss).
func TestAuditInterruptedSaysSo(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	previous := filepath.Join(out, "findings.csv")
	mustWriteFile(t, previous, "previous\n")
	args := []string{"audit", "--sessions", repoPath("testdata/sample/sessions.csv"), "--logins", repoPath("testdata/sample/logins.csv"),
		"--as-of", "2026-11-26T12:00:00Z", "--out", out}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout, stderr bytes.Buffer
	code := run(ctx, args, stdio{in: strings.NewReader(""), out: &stdout, err: &stderr, getenv: func(string) string { return "" }})
	if code != exitFailure || !strings.Contains(stderr.String(), "audit interrupted by a signal while") || strings.Contains(stderr.String(), "context canceled") {
		t.Errorf("got exit %d and stderr %q, want exit 1 saying the audit was interrupted, without \"context canceled\"", code, stderr.String())
	}
	if b, err := os.ReadFile(previous); err != nil || string(b) != "previous\n" {
		t.Errorf("the previous findings.csv is now %q (%v)", b, err)
	}
	bad := filepath.Join(t.TempDir(), "sessions.csv")
	mustWriteFile(t, bad, "not,an,export\n1,2,3\n")
	if _, _, stderr := runCLI(t, "audit", "--sessions", bad, "--logins", repoPath("testdata/sample/logins.csv"), "--out", out); strings.Contains(stderr, "interrupted") {
		t.Errorf("a failure without a signal says the audit was interrupted: %q", stderr)
	}
}

// A Setup download whose logins come after the audit's as-of time was most
// likely read in the wrong zone: the audit says so and names the setting.
// Logins more than a day after it no zone explains: the warning names
// --as-of and the download's years instead. One that ends before it (the
// near miss) draws no such warning. The download's last login is at
// 2026-11-20 09:30 UTC.
func TestAuditWarnsOfSetupLoginsAfterAsOf(t *testing.T) {
	const zone, years = "its times are local and were read in UTC", "which no timezone explains: check --as-of, and the download's years"
	for _, tc := range []struct {
		asOf, want string // want "" for no warning
	}{{"2026-11-20T05:00:00Z", zone}, {"2026-11-16T10:00:00Z", years}, {"2026-11-26T12:00:00Z", ""}} {
		t.Run(tc.asOf, func(t *testing.T) {
			_, stdout, _ := runCLI(t, "audit", "--sessions", repoPath("testdata/e2e/setup-history/sessions.csv"),
				"--logins", repoPath("testdata/e2e/setup-history/logins.csv"), "--as-of", tc.asOf, "--out", filepath.Join(t.TempDir(), "out"))
			warned := strings.Contains(stdout, "after the audit's as-of time (")
			if warned != (tc.want != "") || !strings.Contains(stdout, tc.want) || tc.want == years && strings.Contains(stdout, zone) {
				t.Errorf("stdout (want a warning saying %q, or none for \"\"):\n%s", tc.want, stdout)
			}
		})
	}
}

// Local times read in the wrong zone move by up to 26 hours (zones lie from
// UTC-12 to UTC+14): logins up to 26 hours after --as-of are blamed on the
// zone, later ones on --as-of or the years. The bounds, to the minute.
func TestSetupWarningsOfLoginsAfterAsOfByHowLate(t *testing.T) {
	asOf := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	const zone, years = "its times are local and were read in UTC", "which no timezone explains"
	for _, tc := range []struct {
		name   string
		after  time.Duration // the download's last login after --as-of
		loaded int64
		want   string // "" for no warning
	}{
		{"at --as-of", 0, 1, ""},
		{"a minute after", time.Minute, 1, zone},
		{"25 hours after (UTC+14 read as UTC-11)", 25 * time.Hour, 1, zone},
		{"26 hours after, the most a zone explains", 26 * time.Hour, 1, zone},
		{"26 hours and a minute after", 26*time.Hour + time.Minute, 1, years},
		{"30 hours after", 30 * time.Hour, 1, years},
		{"near miss: no login loaded", 30 * time.Hour, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := ingest.Stats{Files: []ingest.FileStats{{File: "LoginHistory.csv", Kind: ingest.Logins, Setup: true,
				Loaded: tc.loaded, Latest: asOf.Add(tc.after)}}}
			var late []string
			for _, w := range setupWarnings(st, asOf, time.UTC) {
				if strings.Contains(w, "after the audit's as-of time (") {
					late = append(late, w)
				}
			}
			if tc.want == "" && len(late) != 0 || tc.want != "" && (len(late) != 1 || !strings.Contains(late[0], tc.want)) {
				t.Errorf("warnings %q; want one saying %q, or none for \"\"", late, tc.want)
			}
		})
	}
}

// Logins from a Setup download carry no coordinates and no login Ids: the
// audit warns that two checks cannot judge them, so their zero does not read
// as "checked, nothing found". API exports (the near miss) draw no warning.
func TestAuditWarnsOfSetupDownloads(t *testing.T) {
	for _, tc := range []struct {
		name, sessions, logins string
		warned                 bool
	}{
		{"a Setup download", "testdata/e2e/setup-history/sessions.csv", "testdata/e2e/setup-history/logins.csv", true},
		{"an API export", "testdata/sample/sessions.csv", "testdata/sample/logins.csv", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, stdout, stderr := runCLI(t, "audit", "--sessions", repoPath(tc.sessions), "--logins", repoPath(tc.logins),
				"--as-of", "2026-11-26T12:00:00Z", "--out", filepath.Join(t.TempDir(), "out"))
			const warning = "is a Setup download, with no coordinates and no login Ids: impossible_travel and session_without_login cannot judge those logins"
			if got := strings.Contains(stdout, warning); got != tc.warned {
				t.Errorf("stdout has the warning: %v, want %v; stdout:\n%s", got, tc.warned, stdout)
			}
			if got := strings.Contains(stderr, warning); got != tc.warned {
				t.Errorf("stderr has the warning: %v, want %v", got, tc.warned)
			}
		})
	}
}

// A session on the removal list whose Id's case-safe suffix disagrees with
// its capitals (an export a spreadsheet changed) is warned of, since apply
// refuses a list holding it; the sample as exported gives no such warning.
func TestAuditWarnsOfIdsApplyWouldRefuse(t *testing.T) {
	sessions, err := os.ReadFile(repoPath("testdata/sample/sessions.csv"))
	if err != nil {
		t.Fatal(err)
	}
	const id, changed = "0Ak5g000lXAauX6CQJ", "0Ak5g000lXAauX6AAA" // on the sample's removal list
	if !strings.Contains(string(sessions), id) {
		t.Fatalf("the sample has no session %s", id)
	}
	edited := filepath.Join(t.TempDir(), "sessions.csv")
	if err := os.WriteFile(edited, []byte(strings.ReplaceAll(string(sessions), id, changed)), 0o644); err != nil {
		t.Fatal(err)
	}
	const warning = "whose session or user Id does not match its case-safe suffix"
	for _, tc := range []struct {
		sessions string
		want     string // in the warning, or "" for none
	}{
		{edited, "removals.csv proposes 1 session " + warning + " (" + changed + ")"},
		{repoPath("testdata/sample/sessions.csv"), ""},
	} {
		code, stdout, stderr := runCLI(t, "audit", "--sessions", tc.sessions, "--logins", repoPath("testdata/sample/logins.csv"),
			"--users", repoPath("testdata/sample/users.csv"), "--policy", repoPath("testdata/sample/policy.yaml"),
			"--as-of", "2026-11-26T12:00:00Z", "--out", t.TempDir())
		if code != exitOK {
			t.Fatalf("audit of %s: exit %d, stderr %s", tc.sessions, code, stderr)
		}
		if tc.want == "" && strings.Contains(stdout, warning) || tc.want != "" && !strings.Contains(stdout, tc.want) {
			t.Errorf("audit of %s: got\n%s\nwant the warning %q", tc.sessions, stdout, tc.want)
		}
	}
}

// A live session whose login's row was rejected is reported with that row,
// from the load to the finding: the sample's planted session_without_login
// family pointed at the sample's rejected login row (line 1590, a bad IP)
// says so, where the sample as exported says its login is not in the history.
func TestAuditNamesTheRejectedRowOfASessionsLogin(t *testing.T) {
	sessions, err := os.ReadFile(repoPath("testdata/sample/sessions.csv"))
	if err != nil {
		t.Fatal(err)
	}
	const missing, rejected = "0Ya5g000L7qx9Q7CII", "0Ya5g000L7qx9OrCII"
	if n := strings.Count(string(sessions), missing); n != 4 {
		t.Fatalf("the sample has %d sessions naming %s, want 4", n, missing)
	}
	edited := filepath.Join(t.TempDir(), "sessions.csv")
	if err := os.WriteFile(edited, []byte(strings.ReplaceAll(string(sessions), missing, rejected)), 0o644); err != nil {
		t.Fatal(err)
	}
	logins := repoPath("testdata/sample/logins.csv")
	for _, tc := range []struct {
		sessions, want string
	}{
		{edited, "names login " + rejected + ", which was not loaded: its row, " + logins + " line 1590, was rejected (SourceIp is not an IPv4 or IPv6 address)"},
		{repoPath("testdata/sample/sessions.csv"), "names login " + missing + ", which is not in the login history although the history covers"},
	} {
		out := t.TempDir()
		code, _, stderr := runCLI(t, "audit", "--sessions", tc.sessions, "--logins", logins,
			"--users", repoPath("testdata/sample/users.csv"), "--policy", repoPath("testdata/sample/policy.yaml"),
			"--as-of", "2026-11-26T12:00:00Z", "--out", out)
		if code != exitOK {
			t.Fatalf("audit of %s: exit %d, stderr %s", tc.sessions, code, stderr)
		}
		findings, err := os.ReadFile(filepath.Join(out, "findings.csv"))
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(string(findings), tc.want); n != 4 {
			t.Errorf("audit of %s: got %d findings saying %q, want 4; findings.csv:\n%s", tc.sessions, n, tc.want, findings)
		}
	}
}

// A REST page saved as the API returns it, on one line, starts every record
// on line 1: each session whose login's record was rejected is told that
// record's own reason, not another's on the same line.
func TestAuditNamesTheReasonOfEachRejectedRecordOfAPage(t *testing.T) {
	dir := t.TempDir()
	record := func(id, user, at, ip string) string {
		return `{"attributes":{"type":"LoginHistory"},"Id":"` + id + `","UserId":"` + user + `","LoginTime":"` + at + `","SourceIp":"` + ip + `","Status":"Success"}`
	}
	logins := filepath.Join(dir, "page.json")
	mustWriteFile(t, logins, `{"totalSize":5,"done":true,"records":[`+strings.Join([]string{
		record("0Ya000000000001AAA", "005000000000001AAA", "2026-11-26T08:00:00.000+0000", "203.0.113.7"),
		record("0Ya00000000000AAAA", "005000000000001AAA", "2026-11-26T10:00:00.000+0000", "1.2.3.4.5"),
		record("0Ya00000000000BAAA", "005000000000001AAA", "2026-13-26T10:00:00.000+0000", "203.0.113.7"),
		record("0Ya00000000000CAAA", "0AA000000000001AAA", "2026-11-26T10:00:00.000+0000", "203.0.113.7"),
		record("0Ya000000000002AAA", "005000000000001AAA", "2026-11-26T11:55:00.000+0000", "203.0.113.7"),
	}, ",")+`]}`)
	sessions := filepath.Join(dir, "sessions.csv")
	mustWriteFile(t, sessions, "Id,UsersId,Users.Username,CreatedDate,LastModifiedDate,NumSecondsValid,SessionType,SourceIp,LoginHistoryId\n"+
		"0Ak00000000000AAAA,005000000000001AAA,alice@acme.com,2026-11-26T10:00:00.000Z,2026-11-26T11:50:00.000Z,7200,UI,203.0.113.7,0Ya00000000000AAAA\n"+
		"0Ak00000000000BAAA,005000000000001AAA,alice@acme.com,2026-11-26T10:00:00.000Z,2026-11-26T11:50:00.000Z,7200,UI,203.0.113.7,0Ya00000000000BAAA\n"+
		"0Ak00000000000CAAA,005000000000001AAA,alice@acme.com,2026-11-26T10:00:00.000Z,2026-11-26T11:50:00.000Z,7200,UI,203.0.113.7,0Ya00000000000CAAA\n")
	out := filepath.Join(dir, "out")
	code, _, stderr := runCLI(t, "audit", "--sessions", sessions, "--logins", logins, "--as-of", "2026-11-26T12:00:00Z", "--out", out)
	if code != exitOK {
		t.Fatalf("audit: exit %d, stderr %s", code, stderr)
	}
	findings, err := os.ReadFile(filepath.Join(out, "findings.csv"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"names login 0Ya00000000000AAAA, which was not loaded: its row, " + logins + " line 1, was rejected (SourceIp is not an IPv4 or IPv6 address)",
		"names login 0Ya00000000000BAAA, which was not loaded: its row, " + logins + " line 1, was rejected (LoginTime is not a valid date-time",
		"names login 0Ya00000000000CAAA, which was not loaded: its row, " + logins + " line 1, was rejected (UserId is not a User Id (those begin 005))",
	} {
		if !strings.Contains(string(findings), want) {
			t.Errorf("got findings.csv:\n%s\nwant a finding saying %q", findings, want)
		}
	}
}

// A folder in --out where a report goes stops the audit at start (exit 2),
// not after the whole run when the report cannot replace it.
func TestAuditRefusesAFolderWhereAReportGoes(t *testing.T) {
	for _, name := range []string{"removals.csv", "report.xlsx"} {
		out := t.TempDir()
		if err := os.Mkdir(filepath.Join(out, name), 0o755); err != nil {
			t.Fatal(err)
		}
		code, _, stderr := runCLI(t, append(sampleAudit(), "--out", out)...)
		want := "its " + name + " is a folder"
		if code != exitUsage || !strings.Contains(stderr, want) || strings.Contains(stderr, "loaded exports") {
			t.Errorf("%s a folder: got exit %d, stderr %q; want exit 2 before loading with %q", name, code, stderr, want)
		}
	}
	// The near miss: a folder of another name is left alone.
	out := t.TempDir()
	if err := os.Mkdir(filepath.Join(out, "old"), 0o755); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runCLI(t, append(sampleAudit(), "--out", out)...); code != exitOK {
		t.Errorf("a folder named old: got exit %d, stderr %q; want 0", code, stderr)
	}
}

// An --as-of that does not fit the sessions export is warned of: before
// sessions were created (a mistyped year), or after every one expired (an
// old export audited at the current time). The sample's own as-of, under
// which sessions were created up to 11:42 and live on, gives neither.
func TestAuditWarnsOfAnAsOfThatDoesNotFit(t *testing.T) {
	const early, late = "sessions were created after the audit's as-of time", "None of the 330 sessions is live at the audit's as-of time"
	for _, tc := range []struct {
		asOf string
		want string // "" for neither warning
	}{
		{"2025-11-26T12:00:00Z", "330 " + early + " (2025-11-26 12:00 UTC), the first at 2026-08-23 12:00 UTC"},
		{"2099-01-01T00:00:00Z", late + " (2099-01-01 00:00 UTC): the last expired at 2026-11-27 11:00 UTC"},
		{"2026-11-26T12:00:00Z", ""},
	} {
		args := append(sampleAudit()[:len(sampleAudit())-1], tc.asOf, "--out", t.TempDir())
		code, stdout, stderr := runCLI(t, args...)
		if code != exitOK {
			t.Fatalf("--as-of %s: exit %d, stderr %s", tc.asOf, code, stderr)
		}
		warned := strings.Contains(stdout, early) || strings.Contains(stdout, late)
		if tc.want == "" && warned || tc.want != "" && !strings.Contains(stdout, tc.want) {
			t.Errorf("--as-of %s: got\n%s\nwant the warning %q", tc.asOf, stdout, tc.want)
		}
	}
}

// An export of one session that expired before --as-of is not "none of the
// 1 session": the warning speaks of the one session.
func TestAsOfWarningsOfOneSession(t *testing.T) {
	ctx := context.Background()
	db, err := ingest.Open(ctx, ingest.DBOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`INSERT INTO sessions (id, user_key, created, last_modified, num_seconds_valid, expires, parent_id, is_current, src_file)
		VALUES ('0Ak000000000001CAA', '005000000000001AAA', TIMESTAMP '2026-11-26 08:00:00', TIMESTAMP '2026-11-26 09:00:00', 7200,
		TIMESTAMP '2026-11-26 11:00:00', '0Ak000000000001CAA', false, 0)`); err != nil {
		t.Fatal(err)
	}
	ws, err := asOfWarnings(ctx, db, time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	want := "The one session of the export is not live at the audit's as-of time (2026-11-27 00:00 UTC): it expired at 2026-11-26 11:00 UTC, so no check judged a live session."
	if len(ws) != 1 || !strings.HasPrefix(ws[0], want) {
		t.Errorf("got %q, want one warning starting %q", ws, want)
	}
	// One session created after the as-of time is not "the first" of them.
	if ws, err = asOfWarnings(ctx, db, time.Date(2026, 11, 26, 7, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	want = "1 session was created after the audit's as-of time (2026-11-26 07:00 UTC), at 2026-11-26 08:00 UTC: it did not exist then, " +
		"yet the checks take it for live."
	if len(ws) != 1 || !strings.HasPrefix(ws[0], want) {
		t.Errorf("got %q, want one warning starting %q", ws, want)
	}
}

// A spill that runs out of disk is reported as that, naming where DuckDB
// spills: DuckDB's own error calls it an out-of-memory error of the file
// being read and suggests raising the memory limit. The error is DuckDB's
// own, from a sort that outgrows a small memory limit and a smaller room
// to spill in; a failure that is not a spill's (the near miss) is logged as
// it was.
func TestAuditSpillOutOfDisk(t *testing.T) {
	ctx := context.Background()
	spill := t.TempDir()
	db, err := ingest.Open(ctx, ingest.DBOptions{MemoryLimit: "32MB", Threads: 1, TempDir: spill})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "SET max_temp_directory_size = '1MB'"); err != nil {
		t.Fatal(err)
	}
	var n int64
	full := db.QueryRowContext(ctx, "SELECT count(DISTINCT s) FROM (SELECT md5(range::VARCHAR) AS s FROM range(3000000))").Scan(&n)
	if full == nil {
		t.Fatal("the query did not spill past 1MB; the test needs a larger one")
	}
	other := errors.New("Catalog Error: Table with name nope does not exist!")
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"spill out of disk", full, true},
		{"another failure", other, false},
	} {
		var buf bytes.Buffer
		log := auditLog{Logger: slog.New(slog.NewTextHandler(&buf, nil)), err: &buf, spill: "--temp-dir " + spill, spillDir: spill}
		log.fail(ctx, "running the checks", "err", tc.err)
		said := strings.Contains(buf.String(), "DuckDB ran out of disk space where it spills, in --temp-dir "+spill)
		if said != tc.want {
			t.Errorf("%s: got %q, want it to say the spill ran out of disk: %v", tc.name, buf.String(), tc.want)
		}
	}
}

// A run killed while moving its reports into place (kill -9 between two
// renames) leaves some of its reports beside the previous audit's others;
// the next audit puts the previous ones back as soon as it holds the lock,
// before anything can stop it, and says so, so that the folder holds one
// audit's set even when that audit then fails. A report the previous set
// did not have is removed again. A run killed once every report was moved
// (the near miss) left a whole set, which stays.
func TestAuditRecoversAKilledPublish(t *testing.T) {
	defer func() { publishKilled = nil }()
	for _, tc := range []struct {
		name   string
		killAt int // reports moved when the run is killed
		want   map[string]string
	}{
		{"killed after two", 2, map[string]string{"findings.csv": "old findings", "report.xlsx": "old report", "removals.csv": oneRowList}},
		{"killed after three", 3, map[string]string{"findings.csv": "old findings", "report.xlsx": "old report", "removals.csv": oneRowList}},
		{"killed once all were moved", 4, map[string]string{"findings.csv": "new findings.csv", "rejects.csv": "new rejects.csv",
			"report.xlsx": "new report.xlsx", "removals.csv": "new removals.csv"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			// The previous set, without a rejects.csv.
			mustWriteFile(t, filepath.Join(dir, "findings.csv"), "old findings")
			mustWriteFile(t, filepath.Join(dir, "report.xlsx"), "old report")
			mustWriteFile(t, filepath.Join(dir, "removals.csv"), oneRowList)
			staging := filepath.Join(dir, stagingPrefix+"999999999-1")
			for _, f := range reportFiles {
				mustWriteFile(t, filepath.Join(staging, f), "new "+f)
			}
			publishKilled = func(moved int) bool { return moved == tc.killAt }
			if err := publishReports(staging, dir); !errors.Is(err, errKilled) && tc.killAt < len(reportFiles) {
				t.Fatalf("publishReports: %v, want it killed", err)
			}
			publishKilled = nil
			// The next audit fails on its input, after the recovery.
			bad := filepath.Join(t.TempDir(), "sessions.csv")
			mustWriteFile(t, bad, "not,an,export\n1,2,3\n")
			code, _, stderr := runCLI(t, "audit", "--sessions", bad, "--logins", repoPath("testdata/sample/logins.csv"), "--out", dir)
			if code != exitUsage {
				t.Fatalf("got exit %d, want 2; stderr:\n%s", code, stderr)
			}
			wantReportSet(t, dir, tc.want, "")
			if said := strings.Contains(stderr, "killed while moving its reports into place"); said != (tc.killAt < len(reportFiles)) {
				t.Errorf("got stderr %q; want a warning: %v", stderr, tc.killAt < len(reportFiles))
			}
			if tc.killAt < len(reportFiles) {
				if left, _ := filepath.Glob(filepath.Join(dir, stagingPrefix+"*")); len(left) != 0 {
					t.Errorf("got %v, want the staging folder recovered from removed", left)
				}
			}
		})
	}
}

// A refusal under --log-format text is a plain line that names the file: a
// name with a line break or an escape sequence in it is written escaped, so
// that it cannot forge a log line or rewrite the terminal. Under json the
// handler quotes it.
func TestAuditProblemEscapesFileNames(t *testing.T) {
	var buf bytes.Buffer
	log := auditLog{Logger: slog.New(slog.NewTextHandler(&buf, nil)), err: &buf}
	log.problem(slog.LevelError, "e\x1b[2J\ntime=2026-11-26T12:00:00Z level=INFO msg=ok.csv: the file is empty")
	want := `sessionaudit audit: e\x1b[2J\x0atime=2026-11-26T12:00:00Z level=INFO msg=ok.csv: the file is empty` + "\n"
	if got := buf.String(); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// wantReportSet checks the reports in dir against want, a report's name to
// its content: a report want does not name must not be there. skip names a
// report not to look at ("" for none).
func wantReportSet(t *testing.T, dir string, want map[string]string, skip string) {
	t.Helper()
	for _, f := range reportFiles {
		if f == skip {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, f))
		w, ok := want[f]
		switch {
		case !ok && !errors.Is(err, os.ErrNotExist):
			t.Errorf("%s: %q, %v; want no file", f, b, err)
		case ok && string(b) != w:
			t.Errorf("%s: %q, %v; want %q", f, b, err, w)
		}
	}
}

// A policy file that sets no key (a template never filled in, a file cut
// short by whatever wrote it) runs the defaults, with no trusted networks,
// and the audit warns of it; the sample's policy is the near miss.
func TestAuditWarnsOfAPolicyThatSetsNoKey(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "policy.yaml")
	mustWriteFile(t, empty, "# trusted_networks: to be filled in\n")
	for _, tc := range []struct {
		policy string
		warned bool
	}{{empty, true}, {repoPath("testdata/sample/policy.yaml"), false}} {
		args := []string{"audit", "--sessions", repoPath("testdata/sample/sessions.csv"), "--logins", repoPath("testdata/sample/logins.csv"),
			"--policy", tc.policy, "--as-of", "2026-11-26T12:00:00Z", "--out", filepath.Join(dir, "out"), "--quiet"}
		code, stdout, stderr := runCLI(t, args...)
		if code != exitOK {
			t.Fatalf("%s: got exit %d; stderr:\n%s", tc.policy, code, stderr)
		}
		const w = "sets no key: every default applies"
		if got := strings.Contains(stdout, "Warning: The policy file "+tc.policy+" "+w) && strings.Contains(stderr, w); got != tc.warned {
			t.Errorf("%s: warned on stdout and stderr %v, want %v; stdout:\n%s", tc.policy, got, tc.warned, stdout)
		}
	}
}

// The closing line names --out as the summary names files, escaped: a
// folder named with a line break cannot split it.
func TestAuditReportsLineEscapesTheFolder(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out\nDone: nothing found")
	code, stdout, stderr := runCLI(t, append(sampleAudit(), "--out", out, "--quiet")...)
	if code != exitOK {
		t.Fatalf("got exit %d; stderr:\n%s", code, stderr)
	}
	if want := "Reports in " + strings.ReplaceAll(out, "\n", `\x0a`) + ": findings.csv"; !strings.Contains(stdout, want) {
		t.Errorf("stdout lacks %q:\n%s", want, stdout)
	}
}
