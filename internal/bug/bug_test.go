package bug

import (
	"errors"
	"strings"
	"testing"
)

func TestCatchDeliversTheGoroutinesPanic(t *testing.T) {
	got := make(chan error, 1)
	go func() {
		defer Catch("testing", func(err error) { got <- err })
		panic("the index is out of its range")
	}()
	err := <-got
	var p *Panic
	if !errors.As(err, &p) {
		t.Fatalf("got %v, want a *Panic", err)
	}
	msg := err.Error()
	for _, want := range []string{"internal error while testing (a bug", "the index is out of its range", "bug_test.go"} {
		if !strings.Contains(msg, want) {
			t.Errorf("got %q, want it to contain %q", msg, want)
		}
	}
}

func TestCatchWithoutAPanicDeliversNothing(t *testing.T) {
	delivered := false
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer Catch("testing", func(error) { delivered = true })
	}()
	<-done
	if delivered {
		t.Error("got an error delivered from a goroutine that did not panic")
	}
}
