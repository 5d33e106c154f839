//go:build !unix

package apply

// LockFile is only implemented with flock; on other systems it returns
// ErrNoFlock, and each caller decides whether to run unlocked.
func LockFile(string) (func(), error) { return nil, ErrNoFlock }
