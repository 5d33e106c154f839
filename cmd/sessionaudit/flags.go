package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// multiFlag collects a flag that may be given more than once.
type multiFlag []string

func (m *multiFlag) String() string { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error {
	*m = append(*m, v)
	return nil
}

// newFlagSet returns a flag set that prints help to stdout when asked and
// stays quiet on errors, which parseFlags reports with a hint instead.
func newFlagSet(name, help string, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() { fmt.Fprint(out, help) }
	return fs
}

// parseFlags parses args and reports whether the command should go on; when
// it should not, code is the exit status (0 after --help, 2 after a mistake).
func parseFlags(fs *flag.FlagSet, args []string, io stdio) (ok bool, code int) {
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			fs.Usage()
			return false, exitOK
		}
		fmt.Fprintf(io.err, "sessionaudit %s: %v\nTry: sessionaudit %s --help\n", fs.Name(), err, fs.Name())
		return false, exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(io.err, "sessionaudit %s: unexpected argument %q\nTry: sessionaudit %s --help\n", fs.Name(), fs.Arg(0), fs.Name())
		return false, exitUsage
	}
	return true, exitOK
}

// usageError prints a one-line mistake with a hint and returns exitUsage.
func usageError(io stdio, cmd, format string, args ...any) int {
	fmt.Fprintf(io.err, "sessionaudit %s: %s\nTry: sessionaudit %s --help\n", cmd, fmt.Sprintf(format, args...), cmd)
	return exitUsage
}

// isTerminal reports whether w is a terminal, where progress lines are welcome.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
