// Package bug carries a panic out of a background goroutine as an error.
//
// A panic that no deferred recover stops ends the process with exit status
// 2, which sessionaudit's scripts read as bad usage or unusable input, not to
// be retried. The command's own goroutine turns a panic into an internal
// error (exit 1); a goroutine it starts defers Catch first thing, so that its
// panic reaches the goroutine waiting for it as a *Panic and fails the run
// the same way.
package bug

import (
	"fmt"
	"runtime/debug"
)

// Panic is a panic recovered in a background goroutine, with that
// goroutine's stack at the panic.
type Panic struct {
	Where string // what the goroutine was doing, e.g. "reading report rows"
	Value any
	Stack []byte
}

func (p *Panic) Error() string {
	return fmt.Sprintf("internal error while %s (a bug: please report it with what follows): %v\n%s", p.Where, p.Value, p.Stack)
}

// Catch, deferred in a goroutine, recovers its panic and passes it to
// deliver as a *Panic; deliver must not block for ever (the waiting
// goroutine may have stopped listening). Without a panic it does nothing.
func Catch(where string, deliver func(error)) {
	if v := recover(); v != nil {
		deliver(&Panic{Where: where, Value: v, Stack: debug.Stack()})
	}
}
