package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sessionaudit/sessionaudit/apply"
)

// TestSpillFolderSweepsKilledAudits checks that a new spill folder is made
// for this process, locked while the run lasts and removed after it, and
// that only the folders whose lock no audit holds and that were left alone
// for over an hour are removed first.
func TestSpillFolderSweepsKilledAudits(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("without flock nothing is swept")
	}
	parent := t.TempDir()
	old := time.Now().Add(-2 * time.Hour)
	for name, mtime := range map[string]time.Time{
		spillPrefix + "101-1": old,        // killed long ago: removed
		spillPrefix + "102-2": time.Now(), // changed lately: kept
		spillPrefix + "103-3": old,        // its audit still runs, in another PID namespace say: kept
		spillPrefix + "other": old,        // not a folder spillFolder makes: kept
	} {
		dir := filepath.Join(parent, name)
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(name, "-3") {
			unlock, err := apply.LockFile(filepath.Join(dir, spillLockName))
			if err != nil {
				t.Fatal(err)
			}
			defer unlock()
		}
		if err := os.Chtimes(dir, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	made, done, err := spillFolder(parent)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(filepath.Base(made), spillPrefix+strconv.Itoa(os.Getpid())+"-") || filepath.Dir(made) != parent {
		t.Errorf("got spill folder %s, want %s%d-… in %s", made, spillPrefix, os.Getpid(), parent)
	}
	want := []string{spillPrefix + "102-2", spillPrefix + "103-3", filepath.Base(made), spillPrefix + "other"}
	slices.Sort(want)
	if diff := cmp.Diff(want, dirNames(t, parent)); diff != "" {
		t.Errorf("folders left (-want +got):\n%s", diff)
	}
	// Its own folder is locked while the run lasts, however old it looks.
	if err := os.Chtimes(made, old, old); err != nil {
		t.Fatal(err)
	}
	if _, doneToo, err := spillFolder(parent); err != nil {
		t.Fatal(err)
	} else {
		doneToo()
	}
	if _, err := os.Stat(made); err != nil {
		t.Errorf("a running audit's spill folder was swept: %v", err)
	}
	done()
	if _, err := os.Stat(made); !os.IsNotExist(err) {
		t.Errorf("got %v for the spill folder after the run, want it removed", err)
	}
}

// TestWarnUnlocked checks that running unlocked because a file system
// refused the lock (NFS without its lock daemon) is logged, naming what and
// why, while a system without flock at all (the near miss) runs unlocked
// without a word each time.
func TestWarnUnlocked(t *testing.T) {
	refused := fmt.Errorf("%w (/nfs/out/.sessionaudit.lock: %v)", apply.ErrNoFlock, syscall.ENOLCK)
	for _, tc := range []struct {
		unlocked error
		want     string
	}{
		{refused, "--out /nfs/out is not locked for this audit, so another audit may use it at once: locking needs flock"},
		{apply.ErrNoFlock, ""},
		{nil, ""},
	} {
		var b bytes.Buffer
		log, err := newLogger(stdio{err: &b}, "text", false)
		if err != nil {
			t.Fatal(err)
		}
		warnUnlocked(log, "--out /nfs/out", tc.unlocked)
		if got := b.String(); tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
			t.Errorf("%v: got %q, want %q", tc.unlocked, got, tc.want)
		}
	}
}
