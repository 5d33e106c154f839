//go:build unix

package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sessionaudit/sessionaudit/apply"
)

// Files an audit meets in --out that are not regular files: a lock that is
// a symbolic link is refused (exit 2) and its target left alone, and a FIFO
// or device in place of removals.csv neither blocks nor fills memory: it is
// replaced like any list. A --db that is a FIFO is refused at once.
func TestAuditSpecialFilesInOut(t *testing.T) {
	victim := filepath.Join(t.TempDir(), "victim.txt")
	mustWriteFile(t, victim, "IMPORTANT\n")
	out := t.TempDir()
	if err := os.Symlink(victim, filepath.Join(out, ".sessionaudit.lock")); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, append(sampleAudit(), "--out", out)...)
	if b, _ := os.ReadFile(victim); code != exitUsage || !strings.Contains(stderr, "symbolic link") || string(b) != "IMPORTANT\n" {
		t.Errorf("a lock that is a link: exit %d, stderr %q, target %q; want exit 2 naming the link, the target untouched", code, stderr, b)
	}

	for _, special := range []string{"fifo", "/dev/zero"} {
		out := t.TempDir()
		list := filepath.Join(out, "removals.csv")
		if special == "fifo" {
			if err := syscall.Mkfifo(list, 0o600); err != nil {
				t.Skipf("no FIFOs here: %v", err)
			}
		} else if err := os.Symlink(special, list); err != nil {
			t.Fatal(err)
		}
		done := make(chan int, 1)
		go func() { code, _, _ := runCLI(t, append(sampleAudit(), "--out", out)...); done <- code }()
		select {
		case code := <-done:
			if fi, err := os.Lstat(list); code != exitOK || err != nil || !fi.Mode().IsRegular() {
				t.Errorf("%s as removals.csv: exit %d, list %v (%v); want exit 0 and a new list", special, code, fi, err)
			}
		case <-time.After(60 * time.Second):
			t.Fatalf("%s as removals.csv: the audit blocked", special)
		}
	}

	fifo := filepath.Join(t.TempDir(), "db")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	done := make(chan int, 1)
	go func() {
		code, _, _ := runCLI(t, append(sampleAudit(), "--out", t.TempDir(), "--db", fifo)...)
		done <- code
	}()
	select {
	case code := <-done:
		if code != exitUsage {
			t.Errorf("a FIFO as --db: exit %d, want 2", code)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("a FIFO as --db: the audit blocked")
	}
}

// An audit whose stdout is a pipe nobody reads (`sessionaudit audit … | true`)
// is not killed by SIGPIPE half-way: it finishes, says on stderr that the
// summary could not be written, exits 1, and leaves no staging folder in
// --out's parent and no spill folder in --temp-dir.
func TestAuditClosedStdout(t *testing.T) {
	parent, spill := t.TempDir(), t.TempDir()
	out := filepath.Join(parent, "out")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close() // nobody reads: the first write gets EPIPE (and SIGPIPE, unless ignored)
	cmd := exec.Command(os.Args[0], append(sampleAudit(), "--out", out, "--temp-dir", spill)...)
	cmd.Env = append(os.Environ(), "SESSIONAUDIT_TEST_MAIN=1")
	cmd.Stdout = w
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err = cmd.Run()
	w.Close()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != exitFailure {
		t.Fatalf("got %v (stderr %q), want exit %d", err, stderr.String(), exitFailure)
	}
	if !strings.Contains(stderr.String(), "broken pipe") {
		t.Errorf("stderr does not say why: %q", stderr.String())
	}
	for _, dir := range []string{parent, spill} {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if e.Name() != "out" {
				t.Errorf("left behind in %s: %s", dir, e.Name())
			}
		}
	}
}

// An audit whose terminal hangs up (SIGHUP, as when the ssh session of a run
// started by hand drops) stops as it does on SIGINT or SIGTERM: exit 1,
// saying it was interrupted, with no spill folder in --temp-dir and no
// staging folder in --out left behind, rather than being killed with both
// in place. Started with SIGHUP ignored (nohup, the near miss), it keeps
// ignoring it and finishes; so it does with SIGINT ignored, as a shell
// starts a background job (`sessionaudit audit ... &` in a script), where
// handling SIGINT again made a Ctrl-C meant for the script's foreground
// command stop the audit too.
func TestAuditHangUp(t *testing.T) {
	for _, tc := range []struct {
		name    string
		sig     syscall.Signal
		trap    string // the signal the shell ignores before exec, if any
		ignored bool
		code    int
	}{
		{"hung up", syscall.SIGHUP, "", false, exitFailure},
		{"under nohup", syscall.SIGHUP, "HUP", true, exitOK},
		{"interrupted as a background job", syscall.SIGINT, "INT", true, exitOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parent, spill := t.TempDir(), t.TempDir()
			out := filepath.Join(parent, "out")
			args := append(sampleAudit(), "--out", out, "--temp-dir", spill)
			cmd := exec.Command(os.Args[0], args...)
			if tc.ignored {
				// The shell ignores the signal, and exec keeps it ignored.
				cmd = exec.Command("/bin/sh", append([]string{"-c", `trap "" ` + tc.trap + `; exec "$0" "$@"`, os.Args[0]}, args...)...)
			}
			stderr := startMain(t, cmd)
			// Hang up once the exports are loaded, while the checks run
			// (some 600 ms on the sample).
			var log strings.Builder
			sc := bufio.NewScanner(stderr)
			for sc.Scan() {
				log.WriteString(sc.Text() + "\n")
				if strings.Contains(sc.Text(), "loaded exports") {
					if err := cmd.Process.Signal(tc.sig); err != nil {
						t.Fatal(err)
					}
				}
			}
			err := cmd.Wait()
			code := 0
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				code = exit.ExitCode() // -1 when a signal killed it
			} else if err != nil {
				t.Fatal(err)
			}
			if code == exitOK && !tc.ignored {
				t.Skip("the audit finished before the signal reached it")
			}
			if code != tc.code {
				t.Fatalf("got %v, want exit %d; stderr:\n%s", err, tc.code, log.String())
			}
			if !tc.ignored && !strings.Contains(log.String(), "audit interrupted by a signal while") {
				t.Errorf("stderr does not say the audit was interrupted:\n%s", log.String())
			}
			if entries, _ := os.ReadDir(spill); len(entries) != 0 {
				t.Errorf("left behind in --temp-dir: %v", entries)
			}
			if left, _ := filepath.Glob(filepath.Join(out, stagingPrefix+"*")); len(left) != 0 {
				t.Errorf("left behind in --out: %v", left)
			}
		})
	}
}

// A --db that is a symbolic link keeps the database it names: the link
// stays a link and its target is replaced, and an audit keeping the target
// under its own name holds the same lock. A link to nothing is refused
// (exit 2) and left alone.
func TestAuditKeepDBThroughALink(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real")
	if err := os.Mkdir(real, 0o755); err != nil {
		t.Fatal(err)
	}
	target, link := filepath.Join(real, "audit.duckdb"), filepath.Join(dir, "current.duckdb")
	audit := func(db string) (int, string) {
		t.Helper()
		code, _, stderr := runCLI(t, append(sampleAudit(), "--out", filepath.Join(dir, "out"), "--db", db)...)
		return code, stderr
	}
	if code, stderr := audit(target); code != exitOK {
		t.Fatalf("--db %s: got exit %d; stderr:\n%s", target, code, stderr)
	}
	if err := os.Symlink(filepath.Join("real", "audit.duckdb"), link); err != nil {
		t.Fatal(err)
	}
	before, err := os.Stat(target)
	if err != nil {
		t.Fatal(err)
	}
	if code, stderr := audit(link); code != exitOK {
		t.Fatalf("--db %s: got exit %d; stderr:\n%s", link, code, stderr)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("--db through a link: got %v (%v) at the link, want it still a link", fi.Mode(), err)
	}
	if after, err := os.Stat(target); err != nil || os.SameFile(before, after) {
		t.Errorf("--db through a link: the database it names was not replaced (%v)", err)
	}
	if n := mustCountFindings(t, target); n == 0 {
		t.Errorf("--db through a link: got no findings in %s", target)
	}
	// An audit keeping the target holds the lock the link's audit takes.
	unlock, err := apply.LockFile(filepath.Join(real, ".audit.duckdb.sessionaudit-lock"))
	if err != nil {
		t.Fatal(err)
	}
	if code, stderr := audit(link); code != exitUsage || !strings.Contains(stderr, "is keeping a database there now") {
		t.Errorf("--db through a link while its target is kept: got exit %d, stderr %q; want exit 2", code, stderr)
	}
	unlock()
	dangling := filepath.Join(dir, "gone.duckdb")
	if err := os.Symlink("nowhere/audit.duckdb", dangling); err != nil {
		t.Fatal(err)
	}
	if code, stderr := audit(dangling); code != exitUsage || !strings.Contains(stderr, "--db "+dangling+": it is a symbolic link") {
		t.Errorf("--db a link to nothing: got exit %d, stderr %q; want exit 2", code, stderr)
	}
	if fi, err := os.Lstat(dangling); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("--db a link to nothing: it was changed (%v)", err)
	}
}

// An audit ignores SIGXFSZ process-wide (SIG_IGN, which the kernel applies
// to every thread): a DuckDB thread writing --db or a spill file past the
// file size limit (ulimit -f) would otherwise be killed by it, and the
// process with it (exit 153, nothing said, spill and staging folders left).
// Shown by the kernel's record of the running process's ignored signals,
// since which thread writes past the limit first depends on timing.
func TestAuditIgnoresFileSizeLimitSignal(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	out := filepath.Join(t.TempDir(), "out")
	cmd := exec.Command(os.Args[0], append(sampleAudit(), "--out", out)...)
	stderr := startMain(t, cmd)
	var status []byte
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if status == nil && strings.Contains(sc.Text(), "loaded exports") {
			status, _ = os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the audit failed: %v", err)
	}
	var ignored uint64
	for _, line := range strings.Split(string(status), "\n") {
		if hex, ok := strings.CutPrefix(line, "SigIgn:"); ok {
			ignored, _ = strconv.ParseUint(strings.TrimSpace(hex), 16, 64)
		}
	}
	for _, sig := range []syscall.Signal{syscall.SIGPIPE, syscall.SIGXFSZ} {
		if ignored&(1<<(uint(sig)-1)) == 0 {
			t.Errorf("%v is not ignored by the running audit (SigIgn %#x; status read: %v)", sig, ignored, status != nil)
		}
	}
}

// startMain starts cmd, a run of this test binary's main (or a shell that
// execs it), and returns its stderr.
func startMain(t *testing.T, cmd *exec.Cmd) io.Reader {
	t.Helper()
	cmd.Env = append(os.Environ(), "SESSIONAUDIT_TEST_MAIN=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return stderr
}

// TestVerifyNamesWhatTheRunningApplyHolds runs verify while an apply holds
// the list itself locked, its lock file removed (taken for a stale one):
// verify says the apply holds the list, not removals.csv.lock, which is not
// there. Before, it said "another process holds removals.csv.lock" whichever
// file the apply held.
func TestVerifyNamesWhatTheRunningApplyHolds(t *testing.T) {
	org := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"totalSize":1,"done":true,"records":[{"Id":"0AkXy0000000001KAA"}]}`)
	}))
	defer org.Close()
	list := approvedOneRowList(t)
	// As a running apply holds the list, whose lock file was removed.
	held, err := os.Open(list)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	if err := syscall.Flock(int(held.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(apply.LockPath(list)); !os.IsNotExist(err) {
		t.Fatalf("lock file: %v, want none", err)
	}
	env := map[string]string{"SF_INSTANCE_URL": org.URL, "SF_ACCESS_TOKEN": "00Dfake!tokenSECRET"}
	code, stdout, _ := runWithOrg(t, env, org.Client(), "verify", "--removals", list)
	want := "(another process holds removals.csv itself, its lock file removals.csv.lock having been removed or replaced while it ran)"
	if code != exitPartial || !strings.Contains(stdout, want) || strings.Contains(stdout, "holds removals.csv.lock") {
		t.Errorf("verify: exit %d, stdout %q; want exit %d saying %q", code, stdout, exitPartial, want)
	}
	// The summary counts the session in the apply running now, and once
	// it has ended, the count is gone, not 0.
	const counted = "1 session checked: 0 gone, 0 pending, 1 in the apply running now, 0 still listed past revocation, 0 not removed;"
	if !strings.Contains(stdout, counted) {
		t.Errorf("verify while the apply runs: stdout %q; want %q", stdout, counted)
	}
	held.Close()
	code, stdout, _ = runWithOrg(t, env, org.Client(), "verify", "--removals", list)
	if after := "1 session checked: 0 gone, 0 pending, 0 still listed past revocation, 1 not removed;"; code != exitPartial || !strings.Contains(stdout, after) {
		t.Errorf("verify after the apply: exit %d, stdout %q; want exit %d saying %q", code, stdout, exitPartial, after)
	}
}
