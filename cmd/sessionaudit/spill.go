package main

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sessionaudit/sessionaudit/apply"
)

// spillPrefix begins the name of an audit's spill folder, followed by the
// process's id: spillFolder makes one per run, since DuckDB names its spill
// files alike in every process.
const spillPrefix = "sessionaudit-spill-"

// spillLockName is the file in a spill folder whose lock its audit holds
// while it runs; the kernel drops the lock when the process dies, even by
// kill -9, and it holds across PID namespaces (containers sharing a
// --temp-dir), where a process id would not tell.
const spillLockName = ".sessionaudit-spill.lock"

// staleSpillAge is how long a spill folder must have been left alone before
// a later audit removes it: a second guard beside the lock.
const staleSpillAge = time.Hour

// spillFolder makes this run's spill folder in parent (the system's
// temporary folder when empty) and locks it, first removing the folders
// left by audits that were killed (by the OOM killer, say), which would
// otherwise hold gigabytes for ever: a folder whose lock no process holds
// and that has been left alone for staleSpillAge. done unlocks and removes
// the folder. Without flock nothing is swept.
func spillFolder(parent string) (dir string, done func(), err error) {
	base := parent
	if base == "" {
		base = os.TempDir()
	}
	if entries, err := os.ReadDir(base); err == nil {
		for _, e := range entries {
			if !e.IsDir() || !isSpillFolder(e.Name()) {
				continue
			}
			if fi, err := e.Info(); err != nil || time.Since(fi.ModTime()) <= staleSpillAge {
				continue
			}
			old := filepath.Join(base, e.Name())
			if unlock, err := apply.LockFile(filepath.Join(old, spillLockName)); err == nil {
				os.RemoveAll(old)
				unlock()
			}
		}
	}
	dir, err = os.MkdirTemp(parent, spillPrefix+strconv.Itoa(os.Getpid())+"-*")
	if err != nil {
		return "", nil, err
	}
	unlock, err := apply.LockFile(filepath.Join(dir, spillLockName))
	switch {
	case errors.Is(err, apply.ErrNoFlock):
		unlock = func() {}
	case err != nil:
		os.RemoveAll(dir)
		return "", nil, err
	}
	return dir, func() { os.RemoveAll(dir); unlock() }, nil
}

// isSpillFolder tells the folders spillFolder makes (prefix, process id,
// dash) from others with the prefix, such as an older version's.
func isSpillFolder(name string) bool {
	rest, ok := strings.CutPrefix(name, spillPrefix)
	pid, _, dash := strings.Cut(rest, "-")
	n, err := strconv.Atoi(pid)
	return ok && dash && err == nil && n > 0
}
