//go:build unix

package apply

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// noFollow makes an open fail on a symbolic link.
const noFollow = syscall.O_NOFOLLOW

// flock is syscall.Flock, or a test's stand-in for a file system that
// cannot lock.
var flock = syscall.Flock

// lookWait bounds how long lockExclusive waits out holders of a shared lock.
const lookWait = 500 * time.Millisecond

// lockExclusive takes an exclusive flock on fd without waiting for another
// holder of one, but waits out (up to lookWait) holders of shared locks
// only: verify looks at apply's locks by taking a shared one for an instant
// (lockHolder), and an apply starting in that instant must not be refused
// as if another apply were running.
func lockExclusive(fd int) error {
	deadline := time.Now().Add(lookWait)
	for {
		err := flock(fd, syscall.LOCK_EX|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EWOULDBLOCK) || time.Now().After(deadline) {
			return err
		}
		// Held exclusively (an apply, an audit) unless a shared lock can
		// be had, which shows that only lookers hold it.
		if flock(fd, syscall.LOCK_SH|syscall.LOCK_NB) != nil {
			return err
		}
		flock(fd, syscall.LOCK_UN)
		time.Sleep(time.Millisecond)
	}
}

// LockFile takes an exclusive flock on the file at path, creating it, and
// writes this process's PID into it. The kernel drops the lock when the
// process dies, even by kill -9, so a stale file never blocks a later run.
// When another process holds the lock it returns a *LockedError naming it.
// apply locks beside a removal list, audit in its output folder.
// The file is never opened through a symbolic link (see openPrivate).
func LockFile(path string) (unlock func(), err error) {
	f, err := openPrivate(path)
	if err != nil {
		return nil, fmt.Errorf("opening the lock file: %w", err)
	}
	if err := lockExclusive(int(f.Fd())); err != nil {
		b, _ := readRegularFile(path)
		f.Close()
		if errors.Is(err, syscall.ENOLCK) || errors.Is(err, syscall.EOPNOTSUPP) || errors.Is(err, syscall.ENOTSUP) || errors.Is(err, syscall.ENOSYS) {
			// A file system that cannot lock (NFS without its lock
			// daemon, say) is as a system without flock.
			return nil, fmt.Errorf("%w (%s: %v)", ErrNoFlock, path, err)
		}
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &LockedError{Path: path, Holder: holderNamed(b)}
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

// holdFile takes an exclusive flock on the file at path, opened read-only,
// and returns what releases it; a *LockedError when another process holds
// it. A file that is not there or not a regular file (Run reports it), or
// that its file system cannot lock this way (NFS locks only a file opened
// for writing, which a list need not be), is not held, and no error: the
// lock file is then the only lock.
func holdFile(path string) (release func(), err error) {
	none := func() {}
	if fi, err := os.Stat(path); err != nil || !fi.Mode().IsRegular() {
		return none, nil
	}
	// Non-blocking, should a FIFO take the file's place meanwhile.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return none, nil
	}
	if err := lockExclusive(int(f.Fd())); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &LockedError{Path: path, Holder: "another process"}
		}
		return none, nil
	}
	return func() { f.Close() }, nil
}

// lockHolder reports whether another open of the file at path holds a
// flock on it now, and who ("process 1234" when the file names its PID, as
// LockFile's does, else "another process"). It only looks: a shared lock is
// tried without waiting and released at once, and the file is neither
// created nor written, and an apply starting in that instant waits it out
// (lockExclusive). A file that is not there, not a regular file, or on a file
// system that cannot lock, is not held.
func lockHolder(path string) (holder string, held bool) {
	if fi, err := os.Lstat(path); err != nil || !fi.Mode().IsRegular() {
		return "", false
	}
	f, err := os.OpenFile(path, os.O_RDONLY|noFollow|syscall.O_NONBLOCK, 0)
	if err != nil {
		return "", false
	}
	defer f.Close() // which releases the lock if it was taken
	if err := flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); !errors.Is(err, syscall.EWOULDBLOCK) {
		return "", false
	}
	b, _ := io.ReadAll(io.LimitReader(f, 32))
	return holderNamed(b), true
}

// holderNamed names the holder of a lock file that holds b: "process 1234"
// when it names a PID, as LockFile writes, else "another process".
func holderNamed(b []byte) string {
	if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
		return "process " + strconv.Itoa(pid)
	}
	return "another process"
}
