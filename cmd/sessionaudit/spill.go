package main

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// spillPrefix begins the name of an audit's spill folder, followed by the
// process's id: spillFolder makes one per run, since DuckDB names its spill
// files alike in every process.
const spillPrefix = "sessionaudit-spill-"

// staleSpillAge is how long a spill folder must have been left alone before
// a later audit removes it: a running audit's folder changes as it spills.
const staleSpillAge = time.Hour

// spillFolder makes this run's spill folder in parent (the system's
// temporary folder when empty), first removing those left by audits that
// were killed (by the OOM killer, say), which would otherwise hold gigabytes
// for ever. A folder is left when its process still runs or when it changed
// within staleSpillAge.
func spillFolder(parent string) (string, error) {
	base := parent
	if base == "" {
		base = os.TempDir()
	}
	if entries, err := os.ReadDir(base); err == nil {
		for _, e := range entries {
			if pid, ok := spillOwner(e.Name()); ok && e.IsDir() && !running(pid) {
				if fi, err := e.Info(); err == nil && time.Since(fi.ModTime()) > staleSpillAge {
					os.RemoveAll(filepath.Join(base, e.Name()))
				}
			}
		}
	}
	return os.MkdirTemp(parent, spillPrefix+strconv.Itoa(os.Getpid())+"-*")
}

// spillOwner reads the process id from a spill folder's name.
func spillOwner(name string) (int, bool) {
	rest, ok := strings.CutPrefix(name, spillPrefix)
	if !ok {
		return 0, false
	}
	pid, _, ok := strings.Cut(rest, "-")
	n, err := strconv.Atoi(pid)
	return n, ok && err == nil && n > 0
}

// running reports whether process pid may still run. Only a definite "no"
// is false: without a way to ask (on Windows a signal 0 is not sent), or
// when the process belongs to another user, it may.
func running(pid int) bool {
	if runtime.GOOS == "windows" {
		return true
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return true
	}
	return !errors.Is(p.Signal(syscall.Signal(0)), os.ErrProcessDone)
}
