//go:build !unix

package apply

import "errors"

// lockList is only implemented with flock; on other systems an executing
// apply refuses to run rather than run unlocked.
func lockList(string) (func(), error) {
	return nil, errors.New("locking the removal list needs flock, which this system does not have")
}
