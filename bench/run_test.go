// Package bench holds the tests of the benchmark driver, run.sh; the
// programs it runs are in floor and skew.
package bench

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// runScript runs run.sh with args and returns its exit code, stdout and
// stderr.
func runScript(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command("./run.sh", args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, out.String(), errb.String()
}

// readmeCopy copies the repository's README into a folder of the test's and
// returns its path and contents.
func readmeCopy(t *testing.T, edit func(string) string) (string, string) {
	t.Helper()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if edit != nil {
		s = edit(s)
	}
	p := filepath.Join(t.TempDir(), "README.md")
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return p, s
}

// TestRunRefusesBadOptions gives run.sh options it cannot run with: each
// must stop it with exit 2 and a message before it builds or generates
// anything, and leave the README as it was. --repeat 0 used to run and
// append a row with no times and a ratio of -nan; a README without its
// results table used to be benchmarked and reported as "appended".
func TestRunRefusesBadOptions(t *testing.T) {
	noTable := func(s string) string {
		return strings.Replace(s, "| date (UTC) | logins |", "| day (UTC) | logins |", 1)
	}
	for _, c := range []struct {
		args []string
		edit func(string) string
		want string
	}{
		{[]string{"--repeat", "0"}, nil, "--repeat 0: want a whole number of runs, at least 1"},
		{[]string{"--repeat", "three"}, nil, "--repeat three"},
		{[]string{"--sizes", "1k"}, nil, "1k is not a number of logins"},
		{[]string{"--sizes", ""}, nil, "--sizes is empty"},
		{[]string{"--format", "setup"}, nil, "--format setup: want bulk, bulk-gz or json"},
		{[]string{"--sizes"}, nil, "--sizes needs a value"},
		{[]string{"--sizes", "1000"}, noTable, "has no results table"},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			readme, before := readmeCopy(t, c.edit)
			work := filepath.Join(t.TempDir(), "work")
			args := append([]string{"--work", work, "--readme", readme}, c.args...)
			code, stdout, stderr := runScript(t, args...)
			if code != 2 || !strings.Contains(stderr, c.want) {
				t.Errorf("got exit %d and stderr %q, want exit 2 and a message with %q", code, stderr, c.want)
			}
			if stdout != "" {
				t.Errorf("stdout is %q, want nothing", stdout)
			}
			if _, err := os.Stat(work); err == nil {
				t.Errorf("it made %s: it went on to build or generate", work)
			}
			if b, _ := os.ReadFile(readme); string(b) != before {
				t.Errorf("the README changed")
			}
		})
	}
}

// A relative --readme (and --work) is taken from the caller's folder, not
// from the repository's, where run.sh works: a copy of the README in the
// caller's folder, without the results table, is the one refused. Its name
// is one the repository does not hold, so that were it resolved against
// the repository the run would stop too ("no README"), building nothing.
func TestRunTakesRelativePathsFromTheCaller(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "README-copy.md"), []byte("# no table here\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	script, err := filepath.Abs("run.sh")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(script, "--sizes", "1000", "--work", "work", "--readme", "README-copy.md")
	cmd.Dir = dir
	var errb bytes.Buffer
	cmd.Stderr = &errb
	err = cmd.Run()
	want := filepath.Join(dir, "README-copy.md") + " has no results table"
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || !strings.Contains(errb.String(), want) {
		t.Errorf("got %v and stderr %q, want exit 2 and a message with %q", err, errb.String(), want)
	}
	if _, err := os.Stat(filepath.Join(dir, "work")); err == nil {
		t.Errorf("it made %s/work: it went on to build or generate", dir)
	}
}

// TestRunSmoke runs the benchmark once at 20,000 logins, appending to a
// copy of the README, and checks the row it adds: under the table's header,
// of the documented shape, with the generated org's sessions, a ratio that
// is the audit's time over the floor's, and this machine's cores and memory.
// This is the benchmark's smoke run in the README's test command: it builds
// sessionaudit and the floor program and generates an org, some seconds
// once the packages are built, so -short leaves it out. It needs GNU time
// as /usr/bin/time, which run.sh would install with apt-get; a test does not
// install packages, so without it the test is skipped (CI installs it).
func TestRunSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the benchmark's smoke run builds sessionaudit and generates an org")
	}
	if _, err := os.Stat("/usr/bin/time"); err != nil {
		t.Skip("no /usr/bin/time (GNU time: apt-get install time), which run.sh measures with")
	}
	readme, before := readmeCopy(t, nil)
	work := t.TempDir()
	code, stdout, stderr := runScript(t, "--sizes", "20000", "--repeat", "1", "--work", work, "--readme", readme)
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	b, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	header := "| date (UTC) | logins | sessions | format | floor s | audit s | audit/floor | audit peak RSS MiB | machine |\n|---|---|---|---|---|---|---|---|---|\n"
	i := strings.Index(before, header)
	if i < 0 {
		t.Fatal("the README has no results table")
	}
	at := i + len(header)
	after := string(b)
	if !strings.HasPrefix(after, before[:at]) || !strings.HasSuffix(after, before[at:]) {
		t.Fatalf("the README changed elsewhere than under the results table's header")
	}
	row := after[at : len(after)-len(before[at:])]
	m := regexp.MustCompile(`^\| (\d{4}-\d\d-\d\d) \| 20000 \| (\d+) \| bulk \| (\d+\.\d\d) \| (\d+\.\d\d) \| (\d+\.\d\d) \| (\d+) \| (\d+) cores, (\d+) GiB, [^|;]+; 1 run \|\n$`).FindStringSubmatch(row)
	if m == nil {
		t.Fatalf("added %q, want one row of the table's shape", row)
	}
	if today := time.Now().UTC().Format("2006-01-02"); m[1] != today {
		t.Errorf("the row is dated %s, want %s", m[1], today)
	}
	sessions, err := os.ReadFile(filepath.Join(work, "data-bulk-20000", "sessions.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if want := strconv.Itoa(bytes.Count(sessions, []byte("\n")) - 1); m[2] != want {
		t.Errorf("the row says %s sessions, sessions.csv holds %s", m[2], want)
	}
	floor, _ := strconv.ParseFloat(m[3], 64)
	audit, _ := strconv.ParseFloat(m[4], 64)
	if floor <= 0 || audit <= 0 {
		t.Errorf("floor %s s, audit %s s: want both above 0", m[3], m[4])
	} else if want := fmt.Sprintf("%.2f", audit/floor); m[5] != want {
		t.Errorf("the ratio is %s, want %s (%s / %s)", m[5], want, m[4], m[3])
	}
	if rss, _ := strconv.Atoi(m[6]); rss < 20 {
		t.Errorf("the audit's peak RSS is %d MiB, too little to be measured", rss)
	}
	if m[7] != strconv.Itoa(runtime.NumCPU()) {
		t.Errorf("the row says %s cores, this machine has %d", m[7], runtime.NumCPU())
	}
	if mem := memTotalGiB(t); m[8] != mem {
		t.Errorf("the row says %s GiB, /proc/meminfo %s", m[8], mem)
	}
	if !strings.Contains(stdout, "20000 ") || !strings.Contains(stdout, " "+m[5]+" ") {
		t.Errorf("stdout does not show the row's size and ratio:\n%s", stdout)
	}
}

// memTotalGiB is MemTotal of /proc/meminfo in whole GiB, as run.sh rounds it.
func memTotalGiB(t *testing.T) string {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		t.Skip("no /proc/meminfo")
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemTotal:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return fmt.Sprintf("%.0f", kb/1048576)
		}
	}
	t.Fatal("no MemTotal in /proc/meminfo")
	return ""
}
