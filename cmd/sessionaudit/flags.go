package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/sessionaudit/sessionaudit/analyze"
)

// filesFlag collects the files of a flag that may be given more than once.
// A value with a wildcard (*, ? or [) that names no file is a pattern and
// stands for the files it matches, in name order: a REST export comes as
// hundreds of pages (--logins 'pages/logins-*.json').
type filesFlag []string

func (m *filesFlag) String() string { return strings.Join(*m, ",") }
func (m *filesFlag) Set(v string) error {
	if v == "" {
		return errEmptyValue
	}
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

// durationFlag is a duration written as the policy writes one (30m, 24h,
// 2d, 1d12h), so that a flag takes the days a policy does.
type durationFlag time.Duration

func (d *durationFlag) String() string { return time.Duration(*d).String() }
func (d *durationFlag) Set(s string) error {
	v, err := analyze.ParseDuration(s)
	if err != nil {
		return errors.New("not a duration: write one such as 30m, 24h, 2d or 1d12h")
	}
	*d = durationFlag(v)
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
	usage := func(msg string) int { return usageError(io, fs.Name(), "%s", msg) }
	if ok, code := parseFlagsOnly(fs, help, args, io, usage); !ok {
		return false, code
	}
	if fs.NArg() > 0 {
		return false, usage(unexpectedArgument(fs))
	}
	return true, exitOK
}

// parseFlagsOnly is parseFlags leaving arguments after the flags to the
// caller, which can then report them in its own log format; usage reports a
// flag that does not parse and returns the exit status.
func parseFlagsOnly(fs *flag.FlagSet, help string, args []string, io stdio, usage func(msg string) int) (ok bool, code int) {
	repeated := onlyOnce(fs)
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			fmt.Fprint(io.out, help)
			return false, exitOK
		}
		msg := flagError(err)
		if *repeated != "" {
			msg = "--" + *repeated + " given twice"
		}
		return false, usage(msg)
	}
	return true, exitOK
}

// onlyOnce makes every flag of fs that takes one value (all but filesFlag)
// refuse a second: the flag package lets the last one win, so a repeated
// --policy would silently drop the first. It returns where the name of the
// repeated flag is put.
func onlyOnce(fs *flag.FlagSet) *string {
	repeated := new(string)
	fs.VisitAll(func(f *flag.Flag) {
		if _, ok := f.Value.(*filesFlag); ok {
			return
		}
		f.Value = &onceValue{Value: f.Value, name: f.Name, repeated: repeated}
	})
	return repeated
}

// onceValue is a flag value that may be set once.
type onceValue struct {
	flag.Value
	name     string
	set      bool
	repeated *string
}

var errEmptyValue = errors.New("an empty value (an unset variable?): give one, or leave the flag out")

func (v *onceValue) Set(s string) error {
	if v.set {
		*v.repeated = v.name
		return errors.New("given twice")
	}
	v.set = true
	// An empty value is a mistake, most often a script's unset variable
	// ("--policy $POLICY"): taken as "not given", it would audit without
	// the policy's protections, or without --fail-on's verdict.
	if s == "" && !v.IsBoolFlag() {
		return errEmptyValue
	}
	return v.Value.Set(s)
}

// IsBoolFlag keeps a boolean flag one that needs no value (--execute).
func (v *onceValue) IsBoolFlag() bool {
	b, ok := v.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

func unexpectedArgument(fs *flag.FlagSet) string {
	return fmt.Sprintf("unexpected argument %q", fs.Arg(0))
}

// The flag package's own messages name flags with one dash ("invalid value
// "x" for flag -sessions: …"), where the help and the README write two.
var (
	reInvalidValue = regexp.MustCompile(`^invalid (?:boolean )?value (".*") for (?:flag )?-(\S+): `)
	reFlagName     = regexp.MustCompile(`^(flag provided but not defined|flag needs an argument): -(\S+)$`)
)

// flagError words a flag package error with the flag as the help writes it.
func flagError(err error) string {
	msg := err.Error()
	if m := reInvalidValue.FindStringSubmatchIndex(msg); m != nil {
		return "--" + msg[m[4]:m[5]] + " " + msg[m[2]:m[3]] + ": " + msg[m[1]:]
	}
	if m := reFlagName.FindStringSubmatch(msg); m != nil {
		if m[1] == "flag needs an argument" {
			return "--" + m[2] + " needs a value"
		}
		return "unknown flag --" + m[2]
	}
	return msg
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
