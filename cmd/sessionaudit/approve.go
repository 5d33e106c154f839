package main

import (
	"context"
	"fmt"
	"time"

	"github.com/sessionaudit/sessionaudit/apply"
	"github.com/sessionaudit/sessionaudit/internal/words"
)

const approveHelp = `Usage:
  sessionaudit approve --removals FILE --by NAME [--only IDS_FILE] [--expires 24h]

Records an analyst's approval of a removal list in FILE.approval.json beside
it: who approved, when, until when, which sessions, and SHA-256 sums of the
file and of the exact approved rows. apply --execute refuses a list that
changed after its approval, and an approval that expired.

Which rows are approved, by the list's approve column (any case):
  - yes, y, true, x or 1 ends the session; contain ends it and lets
    apply --contain contain its user (only rows marked contain may be, and
    only rows that name the user's Id: contain on a row without one is refused);
  - no or n declines the row; empty leaves it undecided; any other value is
    an error naming the line;
  - when any row holds a decision (no included), only the rows marked yes or
    contain are approved, so a list marked only no approves nothing; when
    every approve cell is empty, every row is approved;
  - --only narrows that to the session Ids listed in IDS_FILE, each of which
    must be in the list.
Approving nothing is refused.

Options:
  --removals FILE   the removal list written by sessionaudit audit (required)
  --by NAME         who approves, recorded as given (required)
  --only IDS_FILE   session Ids to approve, one a line (15 or 18 characters; # starts a comment, alone or after an Id)
  --expires DUR     how long the approval lasts, written as in the policy: 30m, 24h, 2d or
                    1d12h, at least a minute (default: 24h); sessions churn

Examples:
  sessionaudit approve --removals out/removals.csv --by "alice@acme.com"
  sessionaudit approve --removals out/removals.csv --by alice --only reviewed-ids.txt --expires 2h

Exit status:
  0  approved
  1  the approval could not be written
  2  bad usage, an unreadable list or ids file, nothing to approve, or contain on a
     row without its user's Id
`

func runApprove(_ context.Context, args []string, io stdio) int {
	fs := newFlagSet("approve")
	removals := fs.String("removals", "", "")
	by := fs.String("by", "", "")
	only := fs.String("only", "", "")
	expires := durationFlag(apply.DefaultApprovalLifetime)
	fs.Var(&expires, "expires", "")
	if ok, code := parseFlags(fs, approveHelp, args, io); !ok {
		return code
	}
	if *removals == "" || *by == "" {
		return usageError(io, "approve", "--removals and --by are required")
	}
	// The approver is recorded and printed on one line of the approval,
	// the journal and the logs: a line break (U+2028 and U+2029 are
	// Unicode's own), an escape code or a bidirectional override (which
	// shows the name, and what follows it, reordered) could forge a line
	// there or disguise who approved.
	if shown := words.Printable(*by); shown != *by {
		return usageError(io, "approve", "--by %s: give the approver's name on one line, without control characters", shown)
	}
	// An approval shorter than this would have expired before apply could
	// read it, and the analyst would be told it was recorded.
	if time.Duration(expires) < time.Minute {
		return usageError(io, "approve", "--expires %s is shorter than a minute: an approval must last until apply runs", expires.String())
	}
	opts := apply.ApproveOptions{Removals: *removals, By: *by, Expires: time.Duration(expires), Now: time.Now()}
	if *only != "" {
		ids, err := apply.ReadIDFile(*only)
		if err != nil {
			fmt.Fprintf(io.err, "sessionaudit approve: %v\n", err)
			return exitUsage
		}
		opts.Only, opts.OnlyFile = ids, *only
	}
	a, err := apply.Approve(opts)
	if err != nil {
		fmt.Fprintf(io.err, "sessionaudit approve: %v\n", err)
		return exitUsage
	}
	if err := apply.WriteApproval(*removals, a); err != nil {
		fmt.Fprintf(io.err, "sessionaudit approve: %v\n", err)
		return exitFailure
	}
	contain := 0
	for _, s := range a.Sessions {
		if s.Contain {
			contain++
		}
	}
	fmt.Fprintf(io.out, "Approved %s of %s (%s marked contain; selection: %s) by %s until %s.\nApproval: %s\nApproved rows SHA-256: %s\n",
		words.Count(len(a.Sessions), "session", "sessions"), *removals, words.Thousands(int64(contain)), a.Selection, a.ApprovedBy, a.ExpiresAt.Format(time.RFC3339), apply.ApprovalPath(*removals), a.RowsSHA256)
	return exitOK
}
