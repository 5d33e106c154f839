package main

import (
	"errors"
	"fmt"

	"github.com/sessionaudit/sessionaudit/apply"
)

// lockOut locks the output folder dir for one audit, with the lock apply
// takes beside a removal list, so that a second audit into dir is refused
// and names the first. Without flock, or on a file system that refuses it,
// an audit runs unlocked and unlocked says why: its reports are still
// staged and renamed into place as a set, but two audits into one folder at
// once may interleave their sets, and neither may clear staging folders
// left by killed runs, which could be the other's.
func lockOut(dir string) (unlock func(), unlocked error, err error) {
	unlock, err = apply.LockFile(outLockPath(dir))
	var held *apply.LockedError
	switch {
	case errors.As(err, &held):
		return nil, nil, fmt.Errorf("%s is auditing into it now (it holds %s): wait for it to finish, or choose another --out", held.Holder, held.Path)
	case errors.Is(err, apply.ErrNoFlock):
		return func() {}, err, nil
	case err != nil:
		return nil, nil, err
	}
	return unlock, nil, nil
}

// warnUnlocked logs that the audit runs without the lock on what, when a
// file system refused it; a system without flock at all (Windows) runs
// unlocked as the README says, without a word each time.
func warnUnlocked(log auditLog, what string, unlocked error) {
	if unlocked != nil && unlocked != apply.ErrNoFlock {
		log.Warn(fmt.Sprintf("%s is not locked for this audit, so another audit may use it at once: %v", what, unlocked))
	}
}
