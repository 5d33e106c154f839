package main

import (
	"errors"
	"fmt"

	"github.com/sessionaudit/sessionaudit/apply"
)

// lockOut locks the output folder dir for one audit, with the lock apply
// takes beside a removal list, so that a second audit into dir is refused
// and names the first. Without flock an audit runs unlocked (locked is
// false): its reports are still staged and renamed into place as a set, but
// two audits into one folder at once may interleave their sets, and neither
// may clear staging folders left by killed runs, which could be the other's.
func lockOut(dir string) (unlock func(), locked bool, err error) {
	unlock, err = apply.LockFile(outLockPath(dir))
	var held *apply.LockedError
	switch {
	case errors.As(err, &held):
		return nil, false, fmt.Errorf("%s is auditing into it now (it holds %s): wait for it to finish, or choose another --out", held.Holder, held.Path)
	case errors.Is(err, apply.ErrNoFlock):
		return func() {}, false, nil
	case err != nil:
		return nil, false, err
	}
	return unlock, true, nil
}
