//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Files an audit meets in --out that are not regular files: a lock that is
// a symbolic link is refused (exit 2) and its target left alone, and a FIFO
// or device in place of removals.csv neither blocks nor fills memory: it is
// replaced like any list. A --db that is a FIFO is refused at once.
func TestAuditSpecialFilesInOut(t *testing.T) {
	victim := filepath.Join(t.TempDir(), "victim.txt")
	mustWriteFile(t, victim, "IMPORTANT\n")
	out := t.TempDir()
	if err := os.Symlink(victim, filepath.Join(out, ".sessionaudit.lock")); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, append(sampleAudit(), "--out", out)...)
	if b, _ := os.ReadFile(victim); code != exitUsage || !strings.Contains(stderr, "symbolic link") || string(b) != "IMPORTANT\n" {
		t.Errorf("a lock that is a link: exit %d, stderr %q, target %q; want exit 2 naming the link, the target untouched", code, stderr, b)
	}

	for _, special := range []string{"fifo", "/dev/zero"} {
		out := t.TempDir()
		list := filepath.Join(out, "removals.csv")
		if special == "fifo" {
			if err := syscall.Mkfifo(list, 0o600); err != nil {
				t.Skipf("no FIFOs here: %v", err)
			}
		} else if err := os.Symlink(special, list); err != nil {
			t.Fatal(err)
		}
		done := make(chan int, 1)
		go func() { code, _, _ := runCLI(t, append(sampleAudit(), "--out", out)...); done <- code }()
		select {
		case code := <-done:
			if fi, err := os.Lstat(list); code != exitOK || err != nil || !fi.Mode().IsRegular() {
				t.Errorf("%s as removals.csv: exit %d, list %v (%v); want exit 0 and a new list", special, code, fi, err)
			}
		case <-time.After(60 * time.Second):
			t.Fatalf("%s as removals.csv: the audit blocked", special)
		}
	}

	fifo := filepath.Join(t.TempDir(), "db")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	done := make(chan int, 1)
	go func() {
		code, _, _ := runCLI(t, append(sampleAudit(), "--out", t.TempDir(), "--db", fifo)...)
		done <- code
	}()
	select {
	case code := <-done:
		if code != exitUsage {
			t.Errorf("a FIFO as --db: exit %d, want 2", code)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("a FIFO as --db: the audit blocked")
	}
}
