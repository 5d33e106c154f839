package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// filesFlag collects the files of a flag that may be given more than once.
// A value with a wildcard (*, ? or [) that names no file is a pattern and
// stands for the files it matches, in name order: a REST export comes as
// hundreds of pages (--logins 'pages/logins-*.json').
type filesFlag []string

func (m *filesFlag) String() string { return strings.Join(*m, ",") }
func (m *filesFlag) Set(v string) error {
	if !strings.ContainsAny(v, "*?[") {
		*m = append(*m, v)
		return nil
	}
	if _, err := os.Stat(v); err == nil {
		*m = append(*m, v)
		return nil
	}
	matches, err := filepath.Glob(v)
	if err != nil {
		return fmt.Errorf("%q is not a file pattern: %v", v, err)
	}
	if len(matches) == 0 {
		return fmt.Errorf("no file matches %q", v)
	}
	*m = append(*m, matches...)
	return nil
}

// newFlagSet returns a quiet flag set: parseFlags prints the help when asked
// and a one-line hint after a mistake. (The flag package calls Usage after
// every mistake as well as for -h, so Usage does nothing.)
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parseFlags parses args and reports whether the command should go on; when
// it should not, code is the exit status (0 after --help, which prints help
// to stdout; 2 after a mistake, which prints a hint to stderr).
func parseFlags(fs *flag.FlagSet, help string, args []string, io stdio) (ok bool, code int) {
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			fmt.Fprint(io.out, help)
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
