package apply

import "errors"

// ErrNoFlock is LockFile's error on systems without flock, or for a file on a
// file system that cannot lock (errors.Is tells both).
var ErrNoFlock = errors.New("locking needs flock, which this system or file system does not have")

// LockedError says that another process holds a lock LockFile wanted.
type LockedError struct {
	Path   string // the lock file
	Holder string // "process 1234", or "another process" when its PID is unknown
}

func (e *LockedError) Error() string { return e.Holder + " holds " + e.Path }

// lockList locks the removal list for an executing run: an executing apply
// refuses to run unlocked, so a system without flock is an error.
//
// The lock file stays beside the list after every run, and one removed while
// a run holds it (taken for a stale one) would let a second run lock a new
// one: so a run holds the list itself locked too, where its file system
// allows it, and a second run finding it held refuses.
func lockList(removals string) (func(), error) {
	unlock, err := LockFile(LockPath(removals))
	var held *LockedError
	if errors.As(err, &held) {
		return nil, refuse("%s is applying %s now (it holds %s): wait for it to finish", held.Holder, removals, held.Path)
	}
	if err != nil {
		return nil, err
	}
	release, err := holdFile(resolvedList(removals))
	if err != nil {
		unlock()
		if errors.As(err, &held) {
			return nil, refuse("another process is applying %s now (it holds the list itself locked; its lock file %s was removed or replaced while it ran): wait for it to finish",
				removals, LockPath(removals))
		}
		return nil, err
	}
	return func() { release(); unlock() }, nil
}

// applyRunning says whether an apply of removals holds its lock now (its
// lock file, or the list itself should the lock file have been removed),
// who, and which of the two files it holds. It only looks (see
// lockHolder): verify takes no lock.
func applyRunning(removals string) (holder, file string, running bool) {
	if holder, ok := lockHolder(LockPath(removals)); ok {
		return holder, LockPath(removals), true
	}
	if _, ok := lockHolder(resolvedList(removals)); ok {
		return "another process", resolvedList(removals), true
	}
	return "", "", false
}
