//go:build !unix

package apply

// noFollow is 0 where O_NOFOLLOW is not known: openPrivate's Lstat is the
// only check there.
const noFollow = 0

// LockFile is only implemented with flock; on other systems it returns
// ErrNoFlock, and each caller decides whether to run unlocked.
func LockFile(string) (func(), error) { return nil, ErrNoFlock }

// holdFile holds nothing where there is no flock (see lock_unix.go).
func holdFile(string) (func(), error) { return func() {}, nil }

// lockHolder sees no lock where there is no flock (see lock_unix.go).
func lockHolder(string) (string, bool) { return "", false }
