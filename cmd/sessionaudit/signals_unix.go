//go:build unix

package main

import (
	"os/signal"
	"syscall"
)

// ignoreFileSizeLimitSignal ignores SIGXFSZ. A write past the file size
// limit (ulimit -f, systemd's LimitFSIZE) raises it in the thread that
// wrote: the Go runtime ignores it in its own threads, but in one of
// DuckDB's (writing --db, or spilling) it raises it again with its default
// action, which killed the process (exit 153) without a word, leaving its
// spill folder, staging folder and half-built database. Ignored, the write
// fails with EFBIG ("file too large"), which the audit reports as it does a
// full disk, naming the file.
func ignoreFileSizeLimitSignal() { signal.Ignore(syscall.SIGXFSZ) }
