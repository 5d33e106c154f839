//go:build unix

package apply

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A lock or journal beside a list is never opened through a symbolic link,
// which anyone who can write in a shared folder could point at another
// file, and a list, approval or journal that is not a regular file (a FIFO
// would block the run) is refused at once.
func TestFilesBesideTheListMustBeRegular(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim.txt")
	if err := os.WriteFile(victim, []byte("IMPORTANT\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	lock := filepath.Join(dir, "removals.csv.lock")
	if err := os.Symlink(victim, lock); err != nil {
		t.Fatal(err)
	}
	if _, err := LockFile(lock); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("LockFile through a link: err %v, want a refusal naming the link", err)
	}
	journal := filepath.Join(dir, "removals.csv.journal")
	if err := os.Symlink(victim, journal); err != nil {
		t.Fatal(err)
	}
	if _, _, err := openJournal(journal); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("openJournal through a link: err %v, want a refusal naming the link", err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "IMPORTANT\n" {
		t.Errorf("the link's target now holds %q", b)
	}
	fifo := filepath.Join(dir, "removals.csv")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	done := make(chan error, 1)
	go func() { _, err := ReadRemovals(fifo); done <- err }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("ReadRemovals of a FIFO: err %v, want a refusal", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ReadRemovals of a FIFO blocked")
	}
	// The near miss: a list given through a link to a regular file reads.
	real := filepath.Join(dir, "real.csv")
	if err := os.WriteFile(real, []byte(listCSV(rows(1))), 0o644); err != nil {
		t.Fatal(err)
	}
	linked := filepath.Join(dir, "linked.csv")
	if err := os.Symlink(real, linked); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadRemovals(linked); err != nil {
		t.Errorf("a list through a link to a regular file: %v", err)
	}
}

// TestLockFileWhereLocksAreRefused checks that a file system that cannot
// lock (NFS without its lock daemon: ENOLCK) reads as a system without
// flock, so each caller takes its unlocked way, while a lock another
// process holds (the near miss) stays a LockedError.
func TestLockFileWhereLocksAreRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.lock")
	defer func(f func(int, int) error) { flock = f }(flock)
	for _, tc := range []struct {
		errno  syscall.Errno
		noLock bool
	}{{syscall.ENOLCK, true}, {syscall.EOPNOTSUPP, true}, {syscall.EWOULDBLOCK, false}} {
		flock = func(int, int) error { return tc.errno }
		_, err := LockFile(path)
		var held *LockedError
		if got := errors.Is(err, ErrNoFlock); got != tc.noLock || !tc.noLock && !errors.As(err, &held) {
			t.Errorf("%v: got %v, want ErrNoFlock %v (else a LockedError)", tc.errno, err, tc.noLock)
		}
	}
}

// One list reached through a link, to the file or to its folder, has one
// approval, journal and lock: approved under one path, it applies under the
// other, and a second apply through a third path finds the first's journal
// and sends nothing again. Before, each path had files of its own, so two
// applies could run one list at once and containment be sent twice.
func TestListThroughLinksHasOneJournal(t *testing.T) {
	rs := rows(2)
	f := newFixture(t, rs)
	linkedFile := filepath.Join(t.TempDir(), "link.csv")
	if err := os.Symlink(f.list, linkedFile); err != nil {
		t.Fatal(err)
	}
	linkedDir := filepath.Join(t.TempDir(), "out")
	if err := os.Symlink(f.dir, linkedDir); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{linkedFile, filepath.Join(linkedDir, "removals.csv")} {
		if ApprovalPath(p) != ApprovalPath(f.list) || JournalPath(p) != JournalPath(f.list) || LockPath(p) != LockPath(f.list) {
			t.Errorf("%s: sidecars %s, %s, %s, want those of %s", p, ApprovalPath(p), JournalPath(p), LockPath(p), f.list)
		}
	}
	a := mustApprove(t, ApproveOptions{Removals: linkedFile, By: "alice", Now: t0})
	for _, s := range a.Sessions {
		f.org.mayDelete[s.SessionID] = true
	}
	o := f.options(true)
	o.Removals = filepath.Join(linkedDir, "removals.csv")
	if rep, err := Run(context.Background(), o); err != nil || !rep.Complete() {
		t.Fatalf("apply through the linked folder: err %v, complete %v", err, rep.Complete())
	}
	sent := f.org.writeCount()
	o.Removals = f.list
	if rep, err := Run(context.Background(), o); err != nil || !rep.Complete() || f.org.writeCount() != sent {
		t.Errorf("apply through the real path: err %v, complete %v, %d more writes, want none", err, rep.Complete(), f.org.writeCount()-sent)
	}
}

// TestApplyStartsWhileVerifyLooks: an apply that starts while a verify
// looks at its lock (a shared lock on the lock file or on the list, taken
// without waiting and dropped at once: lockHolder) waits that instant out
// and runs. Before, it was refused (exit 2), saying that another process
// was applying the list, or that the lock file had been removed, when none
// was and it had not. An apply holding the lock is still refused at once.
func TestApplyStartsWhileVerifyLooks(t *testing.T) {
	list := filepath.Join(t.TempDir(), "removals.csv")
	mustWrite(t, list, listCSV(rows(1)))
	// The lock file is there, as after any run.
	unlock, err := lockList(list)
	if err != nil {
		t.Fatal(err)
	}
	unlock()
	for _, looked := range []string{LockPath(list), list} {
		f, err := os.Open(looked)
		if err != nil {
			t.Fatal(err)
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			time.Sleep(20 * time.Millisecond)
			f.Close() // the look ends
		}()
		unlock, err := lockList(list)
		<-done
		if err != nil {
			t.Errorf("apply starting while verify looks at %s: %v, want it to run", filepath.Base(looked), err)
			continue
		}
		unlock()
	}
	// Near miss: an apply holding the lock refuses the next at once.
	unlock, err = lockList(list)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	// At once: well under the lookWait (500 ms) it would wait a look out,
	// with room for a busy machine.
	start := time.Now()
	var refusal *RefusalError
	if _, err := lockList(list); !errors.As(err, &refusal) || time.Since(start) > lookWait*4/5 {
		t.Errorf("second apply: %v after %v, want a refusal at once", err, time.Since(start))
	}
}
