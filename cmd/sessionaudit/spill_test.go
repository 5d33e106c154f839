package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestSpillFolderSweepsKilledAudits checks that a new spill folder is made
// for this process, and that only the folders of audits that no longer run
// and that were left alone for over an hour are removed first.
func TestSpillFolderSweepsKilledAudits(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no way to tell a process ended: nothing is swept")
	}
	done := exec.Command("true")
	if err := done.Run(); err != nil {
		t.Fatal(err)
	}
	dead, alive := strconv.Itoa(done.Process.Pid), strconv.Itoa(os.Getpid())
	parent := t.TempDir()
	old := time.Now().Add(-2 * time.Hour)
	for name, mtime := range map[string]time.Time{
		spillPrefix + dead + "-1":  old,        // killed long ago: removed
		spillPrefix + dead + "-2":  time.Now(), // ended, but changed lately: kept
		spillPrefix + alive + "-3": old,        // its audit still runs: kept
		spillPrefix + "other":      old,        // not named by a process: kept
	} {
		dir := filepath.Join(parent, name)
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(dir, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	made, err := spillFolder(parent)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(filepath.Base(made), spillPrefix+alive+"-") || filepath.Dir(made) != parent {
		t.Errorf("got spill folder %s, want %s%s-… in %s", made, spillPrefix, alive, parent)
	}
	want := []string{spillPrefix + dead + "-2", spillPrefix + alive + "-3", filepath.Base(made), spillPrefix + "other"}
	slices.Sort(want)
	if diff := cmp.Diff(want, dirNames(t, parent)); diff != "" {
		t.Errorf("folders left (-want +got):\n%s", diff)
	}
}
