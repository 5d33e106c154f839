//go:build unix

package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// lockOut takes an exclusive flock on the lock file in the output folder
// dir and writes this process's PID into it, as apply does beside a removal
// list. The kernel drops the lock when the process dies, even by kill -9,
// so the file left behind never blocks a later audit. When another process
// holds the lock, the error names it.
func lockOut(dir string) (unlock func(), err error) {
	path := outLockPath(dir)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening the lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		b, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			holder := "another process"
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
				holder = "process " + strconv.Itoa(pid)
			}
			return nil, fmt.Errorf("%s is auditing into it now (it holds %s): wait for it to finish, or choose another --out", holder, path)
		}
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return func() {
		f.Truncate(0)
		f.Close() // closing the descriptor releases the flock
	}, nil
}
