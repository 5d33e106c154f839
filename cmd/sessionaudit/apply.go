package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/sessionaudit/sessionaudit/analyze"
	"github.com/sessionaudit/sessionaudit/apply"
)

const applyHelp = `Usage:
  sessionaudit apply --removals FILE [--execute] [--max N] [--contain] [options]

Without --execute, prints the plan: each row of the list and what apply would
do with it. It sends nothing that changes the org (with credentials it asks
the org which session is the caller's own).

With --execute, ends every approved session through sObject Collections,
exactly once: each request is journalled in FILE.journal before it is sent
and its answer after, so a run that was stopped or killed resumes where it
left off when started again. It refuses when the list has no approval,
changed after approval, or the approval expired; when more than --max
approved sessions remain; or when another apply of the list is running. The
list and its approval are checked before the credentials. It never ends a
protected user's session or the caller's own, and writes FILE.results.csv
beside the list.

Credentials come from the environment, never from flags; the first complete
set wins, and URLs are https://host only:
  SF_INSTANCE_URL + SF_ACCESS_TOKEN                  a token, as sf org display prints it
  SF_CLIENT_ID + SF_USERNAME + SF_JWT_KEY_FILE        OAuth 2.0 JWT bearer (key chmod 600;
      [+ SF_LOGIN_URL, default https://login.salesforce.com])
  SF_CLIENT_ID + SF_CLIENT_SECRET + SF_INSTANCE_URL  OAuth 2.0 client credentials

Options:
  --removals FILE        the approved removal list (required)
  --execute              change the org; without it only the plan is printed
  --max N                refuse a run that would end more than N approved sessions (default: 500)
  --contain              also freeze, reset the password of and end every session of
                         each user whose row was approved with "contain"; without it
                         their containment is owed, named in the plan and summary, and
                         the run exits 4. The caller's own user is never contained: a run
                         that finds it is its caller skips their steps (contain them in
                         Setup); another admin's run with --contain contains them
  --policy FILE          policy YAML whose protected_users are never touched
  --api-version V        REST API version (default: v66.0; 66.0 is accepted too)
  --max-api-share SHARE  stop before the org's daily API use passes SHARE of its allowance (default: 0.5)

Examples:
  sessionaudit apply --removals out/removals.csv
  SF_INSTANCE_URL=https://acme.my.salesforce.com SF_ACCESS_TOKEN=... \
      sessionaudit apply --removals out/removals.csv --execute --policy policy.yaml

Exit status:
  0  the plan was printed, or every approved session was handled and every approved
     containment done (or skipped as this run's caller's own user)
  1  a local failure (a file beside the list that cannot be read or written), an
     interrupted run (run it again to resume), an answer of the org apply cannot use
     (a refusal of its first request other than those of 2 and 4, an answer that is
     not the API's), or an internal error
  2  bad usage, an unreadable or malformed list, no or unusable credentials, an org
     certificate this machine does not trust (a proxy intercepting TLS, a wrong URL: not
     retried, as nothing was sent), or a refusal (no, changed or expired approval; over
     --max; locked)
  4  some approved sessions could not be removed, containment approved is not done, or the
     run stopped early (rerun to resume): the org's request limit, --max-api-share, a
     rejected token, or the org down or out of reach (no answer, or a 5xx, to every
     attempt of the first request, or of two requests in a row)
`

// apiShareFlag is apply's and verify's --max-api-share: the share of the
// org's daily API allowance a run stops short of (see apply.OrgOptions).
func apiShareFlag(fs *flag.FlagSet) *float64 { return fs.Float64("max-api-share", 0.5, "") }

// validAPIShare is written so that NaN, which fails every comparison, is
// refused too.
func validAPIShare(share float64) bool { return share > 0 && share <= 1 }

func runApply(ctx context.Context, args []string, io stdio) int {
	fs := newFlagSet("apply")
	removals := fs.String("removals", "", "")
	execute := fs.Bool("execute", false, "")
	maxN := fs.Int("max", apply.DefaultMax, "")
	contain := fs.Bool("contain", false, "")
	policyPath := fs.String("policy", "", "")
	apiVersion := fs.String("api-version", apply.DefaultAPIVersion, "")
	share := apiShareFlag(fs)
	if ok, code := parseFlags(fs, applyHelp, args, io); !ok {
		return code
	}
	if *removals == "" {
		return usageError(io, "apply", "--removals is required")
	}
	if *maxN <= 0 {
		return usageError(io, "apply", "--max %d must be positive", *maxN)
	}
	if !validAPIShare(*share) {
		return usageError(io, "apply", "--max-api-share %g must be above 0 and at most 1", *share)
	}
	version, err := apply.NormalizeAPIVersion(*apiVersion)
	if err != nil {
		return usageError(io, "apply", "--api-version: %v", err)
	}
	// A list that cannot be read or decoded is unusable input, exit 2 as in
	// approve; checked here, before apply.Run takes the lock beside it.
	if _, err := apply.ReadRemovals(*removals); err != nil {
		fmt.Fprintf(io.err, "sessionaudit apply: %v\n", err)
		return exitUsage
	}
	opts := apply.Options{Removals: *removals, Execute: *execute, Max: *maxN, Contain: *contain,
		Org: apply.OrgOptions{APIVersion: version, MaxAPIShare: *share, Log: io.err}}
	if io.org != nil {
		io.org(&opts.Org)
	}
	if *policyPath != "" {
		p, err := analyze.LoadPolicy(*policyPath)
		if err != nil {
			fmt.Fprintf(io.err, "sessionaudit apply: %v\n", err)
			return exitUsage
		}
		opts.Protected = p.ProtectedUsers
	}
	// Without usable credentials a dry run plans without the org, and an
	// executing run still checks the list and its approval first: apply.Run
	// returns ErrNoCredentials only once they pass, so the first thing wrong
	// is what the user is told.
	creds, credErr := apply.CredentialsFromEnv(io.getenv)
	switch {
	case credErr == nil:
		opts.Org.Credentials = creds
	case !*execute && !errors.Is(credErr, apply.ErrNoCredentials):
		fmt.Fprintf(io.err, "sessionaudit apply: %v\n", credErr)
		return exitUsage
	}

	rep, err := apply.Run(ctx, opts)
	var refusal *apply.RefusalError
	var untrusted *apply.CertificateError
	switch {
	case credErr != nil && errors.Is(err, apply.ErrNoCredentials):
		fmt.Fprintf(io.err, "sessionaudit apply: %v\n", credErr)
		return exitUsage
	case errors.As(err, &refusal):
		fmt.Fprintf(io.err, "sessionaudit apply: %v\n", err)
		return exitUsage
	case err != nil && !*execute:
		fmt.Fprintf(io.err, "sessionaudit apply: %v\n", err)
		return exitFailure
	case !*execute:
		// A dry run without credentials plans all the same; when some of
		// a set are there, the note says what the rest of it lacks, so the
		// --execute that follows is not the first to find out.
		var partial *apply.PartialCredentialsError
		if errors.As(credErr, &partial) && rep.Note != "" {
			rep.Note += ": " + strings.Join(partial.Lacks, "; ")
		}
		rep.WritePlan(io.out)
		return exitOK
	}
	if rep.ResultsPath != "" {
		rep.WriteSummary(io.out)
	}
	var refused *apply.CredentialsError
	switch {
	case errors.Is(err, context.Canceled):
		fmt.Fprintf(io.err, "sessionaudit apply: interrupted: run the same command again to resume\n")
		return exitFailure
	case errors.As(err, &refused), errors.As(err, &untrusted):
		// Credentials, or an org URL or certificate, unusable as they are:
		// a person must fix them.
		fmt.Fprintf(io.err, "sessionaudit apply: %v\n", err)
		return exitUsage
	case err != nil:
		fmt.Fprintf(io.err, "sessionaudit apply: %v\n", err)
		return exitFailure
	case !rep.Complete():
		// The summary on stdout says what is left; stderr says that
		// something is, for a job that mails only its stderr.
		if rep.Stopped != nil {
			fmt.Fprintf(io.err, "sessionaudit apply: %v\n", rep.Stopped) // the message says how to resume
		} else {
			fmt.Fprintf(io.err, "sessionaudit apply: not everything approved was done: see the summary and %s\n", rep.ResultsPath)
		}
		return exitPartial
	}
	return exitOK
}
