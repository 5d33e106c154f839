package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"time"

	"github.com/sessionaudit/sessionaudit/apply"
	"github.com/sessionaudit/sessionaudit/internal/words"
)

const verifyHelp = `Usage:
  sessionaudit verify --removals FILE [--api-version V] [--max-api-share SHARE]

Asks the org which sessions of the list's approval (and those found by
containment) still exist, with read-only queries. A session apply ended that
is still listed is reported as pending: revocation can take up to 30
minutes, so run verify again later (from cron, say). One still listed 30
minutes or more after apply recorded it ended is reported as still listed:
the removal did not take, and apply, which sends a session once, will not
send it again, so end it in Setup. Sessions kept by a guard rail (the
caller's own, a protected user's) and those a new approval withdrew are not
checked. Verify takes no lock, but looks at apply's: while an apply of the
list is running, a session it has not recorded ended yet is reported as
pending in that apply (it may be in flight), not as not removed.

Credentials come from the environment, as for apply (see sessionaudit apply --help);
they are looked for once the approval has been read.

Options:
  --removals FILE        the approved removal list (required)
  --api-version V        REST API version (default: v66.0)
  --max-api-share SHARE  stop before the org's daily API use passes SHARE of its allowance
                         (default: 0.5), as apply does

Examples:
  sessionaudit verify --removals out/removals.csv

Exit status:
  0  every checked session is gone
  1  a local failure (a journal that cannot be read), an answer of the org verify cannot
     use (a refusal other than those of 2 and 4, an answer that is not a query result),
     or an internal error
  2  bad usage, no or unusable credentials, an org certificate this machine does not trust,
     no approval beside the list, or an approval file that is not one
  4  some sessions are still present (pending revocation: run it again later; pending
     in an apply of the list running now: run it again once that ends; still listed
     after revocation: end them in Setup; or not removed: run apply again), or the org
     stopped the queries (request limit, API share, rejected token) or is down or out of
     reach (no answer, or a 5xx, to every attempt of a query): run it again later
`

// humanMinutes is d in minutes, in words: "30 minutes".
func humanMinutes(d time.Duration) string { return fmt.Sprintf("%d minutes", int(d.Minutes())) }

func runVerify(ctx context.Context, args []string, io stdio) int {
	flags := newFlagSet("verify")
	removals := flags.String("removals", "", "")
	apiVersion := flags.String("api-version", apply.DefaultAPIVersion, "")
	share := apiShareFlag(flags)
	if ok, code := parseFlags(flags, verifyHelp, args, io); !ok {
		return code
	}
	if *removals == "" {
		return usageError(io, "verify", "--removals is required")
	}
	if !validAPIShare(*share) {
		return usageError(io, "verify", "--max-api-share %g must be above 0 and at most 1", *share)
	}
	version, err := apply.NormalizeAPIVersion(*apiVersion)
	if err != nil {
		return usageError(io, "verify", "--api-version: %v", err)
	}
	// Verify reads the approval before it needs credentials, and returns
	// ErrNoCredentials only then: the first thing wrong is what is reported.
	creds, credErr := apply.CredentialsFromEnv(io.getenv)
	org := apply.OrgOptions{Credentials: creds, APIVersion: version, MaxAPIShare: *share, Log: io.err}
	if io.org != nil {
		io.org(&org)
	}
	rep, err := apply.Verify(ctx, apply.VerifyOptions{Removals: *removals, Org: org})
	if credErr != nil && errors.Is(err, apply.ErrNoCredentials) {
		fmt.Fprintf(io.err, "sessionaudit verify: %v\n", credErr)
		return exitUsage
	}
	if err != nil {
		fmt.Fprintf(io.err, "sessionaudit verify: %v\n", err)
		var bad *apply.BadApprovalError
		var stop *apply.StopError
		var refused *apply.CredentialsError
		var untrusted *apply.CertificateError
		switch {
		case errors.Is(err, fs.ErrNotExist) || errors.As(err, &bad) || errors.As(err, &refused) || errors.As(err, &untrusted):
			return exitUsage
		case errors.As(err, &stop):
			return exitPartial
		}
		return exitFailure
	}
	for _, id := range rep.Pending {
		fmt.Fprintf(io.out, "pending: %s: revocation can take up to 30 minutes\n", id)
	}
	for _, o := range rep.Overdue {
		fmt.Fprintf(io.out, "still listed: %s: recorded %s at %s, %s or more ago, yet the org still lists it, and apply will not send it again: "+
			"end it in Setup > Session Management, and look into the org's answer in the journal\n",
			o.ID, strings.ReplaceAll(o.Outcome, "_", " "), o.EndedAt.UTC().Format("2006-01-02 15:04 UTC"), humanMinutes(apply.RevocationLag))
	}
	advice := "run sessionaudit apply --execute again"
	if rep.ApplyRefusal != "" {
		advice = "apply --execute would refuse the list now"
	}
	for _, id := range rep.NotRemoved {
		fmt.Fprintf(io.out, "not removed: %s: %s\n", id, advice)
	}
	for _, id := range rep.Applying {
		fmt.Fprintf(io.out, "pending: %s: an apply of the list is running now and has not recorded it ended: run verify again once it ends\n", id)
	}
	if rep.ApplyRunning != "" {
		holds := filepath.Base(rep.ApplyHolds)
		if lock := apply.LockPath(*removals); rep.ApplyHolds != lock {
			// The list itself: the lock file was removed or replaced.
			holds += " itself, its lock file " + filepath.Base(lock) + " having been removed or replaced while it ran"
		}
		fmt.Fprintf(io.out, "An apply of the list is running now (%s holds %s): sessions it has not recorded ended are in its hands, not \"not removed\".\n",
			rep.ApplyRunning, holds)
	}
	if len(rep.NotRemoved) > 0 && rep.ApplyRefusal != "" {
		fmt.Fprintf(io.out, "apply --execute would refuse: %s.\n", rep.ApplyRefusal)
	}
	applying := ""
	if rep.ApplyRunning != "" {
		applying = fmt.Sprintf(", %s in the apply running now", words.Thousands(int64(len(rep.Applying))))
	}
	fmt.Fprintf(io.out, "%s checked: %s gone, %s pending%s, %s still listed past revocation, %s not removed; %s skipped (a guard rail, or withdrawn).\n",
		words.Count(rep.Checked, "session", "sessions"), words.Thousands(int64(len(rep.Gone))), words.Thousands(int64(len(rep.Pending))), applying, words.Thousands(int64(len(rep.Overdue))), words.Thousands(int64(len(rep.NotRemoved))), words.Thousands(int64(len(rep.Skipped))))
	if !rep.AllGone() {
		return exitPartial
	}
	return exitOK
}
