package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/sessionaudit/sessionaudit/analyze"
)

const checksHelp = `Usage:
  sessionaudit checks

Lists every check (one SQL file each in queries/) with its id, base severity,
what it looks for and the policy knobs that tune it.

Exit status:
  0  listed
  1  a check file could not be read
`

func runChecks(_ context.Context, args []string, io stdio) int {
	fs := newFlagSet("checks")
	if ok, code := parseFlags(fs, checksHelp, args, io); !ok {
		return code
	}
	checks, err := analyze.Checks()
	if err != nil {
		fmt.Fprintf(io.err, "sessionaudit checks: %v\n", err)
		return exitFailure
	}
	tw := tabwriter.NewWriter(io.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSEVERITY\tTITLE")
	for _, c := range checks {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", c.ID, c.Severity, c.Title)
	}
	tw.Flush()
	for _, c := range checks {
		fmt.Fprintf(io.out, "\n%s (%s)\n  %s\n", c.ID, c.Severity, c.Rationale)
		if c.Remediation != "" {
			fmt.Fprintf(io.out, "  Remediation: %s\n", c.Remediation)
		}
		if len(c.Knobs) > 0 {
			fmt.Fprintf(io.out, "  Policy knobs: %s\n", strings.Join(c.Knobs, ", "))
		}
		fmt.Fprintf(io.out, "  Removes (when in remove_on): %s\n", c.Removes)
	}
	return exitOK
}
