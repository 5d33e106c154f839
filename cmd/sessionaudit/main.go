// Command sessionaudit audits Salesforce session and login exports, writes
// findings and a removal list, and applies approved removals to an org.
//
// This package wires the others; each subcommand has its file: audit.go
// (ingest.Load, analyze.Run, then the reports, staged and moved into --out
// as a set), approve.go, apply.go and verify.go (package apply does the
// work), checks.go, gen.go and version.go. The SQL behind every CSV file and
// XLSX sheet is in outputs.go, which hands rows to package report; the
// audit's warnings about Setup downloads' times are in audit.go
// (setupWarnings), the rest come from ingest and analyze. lock.go, keepdb.go,
// spill.go and memory.go hold --out's lock, --db, the spill folder under
// --temp-dir and the --memory-limit split; flags.go the flag parsing and
// usage errors every subcommand shares; signals_unix.go the signal a file
// size limit raises, which main ignores.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/sessionaudit/sessionaudit/apply"
)

// Exit codes shared by every subcommand; the README documents them.
const (
	exitOK       = 0 // the command did what was asked
	exitFailure  = 1 // anything else went wrong
	exitUsage    = 2 // bad usage, unusable input, or a refusal
	exitFindings = 3 // audit ran and found something at or above --fail-on
	exitPartial  = 4 // apply: some approved sessions could not be removed
)

// stdio carries the process's streams and environment so every subcommand can
// be run from a test without a process.
type stdio struct {
	in     io.Reader
	out    io.Writer
	err    io.Writer
	getenv func(string) string
	// beforePublish, when set, runs just before an audit checks --out
	// again and moves its reports in: tests act in that window with it.
	beforePublish func()
	// org, when set, adjusts how apply and verify reach the org: tests give
	// it the client of a fake org they serve.
	org func(*apply.OrgOptions)
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, io stdio) int
}

// commands lists the subcommands in the order `sessionaudit --help` shows them.
func commands() []command {
	return []command{
		{"audit", "load exports, run every check, write findings, reports and a removal list", runAudit},
		{"checks", "list the checks with their severity, what they look for and their policy knobs", runChecks},
		{"approve", "record an analyst's approval of a removal list, with an expiry", runApprove},
		{"apply", "print the plan, or with --execute end the approved sessions exactly once", runApply},
		{"verify", "check that the ended sessions are gone from the org", runVerify},
		{"gen", "write a synthetic org's exports with planted incidents, for demos and benchmarks", runGen},
		{"version", "print the version", runVersion},
	}
}

func main() {
	// A closed stdout (the summary piped into a command that exits early)
	// makes writes fail with an error the commands report, rather than
	// killing the process before it removes its spill and staging folders.
	signal.Ignore(syscall.SIGPIPE)
	ignoreFileSizeLimitSignal()
	// SIGHUP (the terminal of a run started by hand closing, as an ssh
	// session that drops) stops a run as SIGINT and SIGTERM do: unhandled,
	// it would kill the process before it removes its spill folder (which
	// may hold gigabytes for an hour or more) and its staging folder. A
	// signal ignored when the run started stays ignored, as Unix commands
	// keep it: SIGHUP under nohup, SIGINT in a shell's background job (a
	// Ctrl-C meant for the script's foreground command). Notify would
	// otherwise handle it again.
	stopOn := []os.Signal{syscall.SIGTERM}
	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGHUP} {
		if !signal.Ignored(sig) {
			stopOn = append(stopOn, sig)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), stopOn...)
	code := run(ctx, os.Args[1:], stdio{in: os.Stdin, out: os.Stdout, err: os.Stderr, getenv: os.Getenv})
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, io stdio) (code int) {
	// A bug that panics must not exit 2, the Go runtime's status for a
	// panic, which here says that the input or the usage is at fault and
	// tells a cron job not to retry: it is reported as the internal error it
	// is, with its stack, and exits 1. The command's deferred cleanup (its
	// spill and staging folders) has run by then.
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(io.err, "sessionaudit: internal error (a bug: please report it with what follows): %v\n%s", r, debug.Stack())
			code = exitFailure
		}
	}()
	if len(args) == 0 {
		// No command is a usage error: the usage goes where errors go.
		printUsage(io.err)
		return exitUsage
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(io.out)
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], io)
		}
	}
	fmt.Fprintf(io.err, "sessionaudit: unknown command %q\nTry: sessionaudit --help\n", args[0])
	return exitUsage
}

func printUsage(w io.Writer) {
	fmt.Fprint(w, "sessionaudit audits Salesforce sessions and logins.\n\nUsage:\n  sessionaudit <command> [options]\n\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, "\nRun 'sessionaudit <command> --help' for a command's options.\n")
}
