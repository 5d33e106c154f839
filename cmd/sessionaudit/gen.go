package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sessionaudit/sessionaudit/gen"
	"github.com/sessionaudit/sessionaudit/internal/words"
)

const genHelp = `Usage:
  sessionaudit gen --logins N [options]

Writes a synthetic org's AuthSession, LoginHistory and User exports into --out:
one user per 100 logins (at least 40), about one session per 10 logins, login
times over the 180 days before --as-of, and planted incidents and near misses
for every check. The same options always give the same bytes. Prints what it
wrote and every planted case.

Audit the files with a policy that trusts the corporate VPN, 198.51.100.0/24,
and denies 203.0.113.0/24 (and does not deny 192.0.2.0/24, where the other
planted origins come from).

Options:
  --logins N         LoginHistory rows to write, at most 10000000000 (required); an org too
                     small for the planted cases gets the few more they need
  --seed S           selects the org (default: 1)
  --format FORMAT    bulk (CSV as Bulk API 2.0 and Data Loader write it), bulk-gz
                     (the same, gzip-compressed), json (REST query pages of 2,000
                     records), or setup (logins as the Setup > Login History
                     download, the rest as bulk; its times are UTC, so audit it
                     with the policy's timezone left at UTC) (default: bulk)
  --out DIR          where the files go, created if missing (default: gen-out).
                     They take their names only once all are written: a run
                     that fails or is interrupted leaves DIR as it was. gen
                     lists what it wrote in DIR/.sessionaudit-gen, and replaces
                     or removes only the files listed there: a run that
                     completes removes what the last gen wrote in another
                     format or size, so DIR holds one org, and says so. If DIR
                     holds a sessions, logins or users .csv, .csv.gz or
                     -NNNN.json that gen did not list (an export of a real org,
                     or files of a gen older than the list), gen refuses and
                     writes nothing. Files of other names stay.
  --as-of TIME       when the export is taken, RFC 3339 (default: ` + gen.DefaultAsOf + `)
  --with-rejects     add malformed rows (a bad time, a bad IP, a short row) a
                     loader must reject

Examples:
  sessionaudit gen --logins 3000 --seed 1 --format bulk --with-rejects --out testdata/sample
  sessionaudit gen --logins 10000000 --format bulk-gz --out /tmp/org10m

Exit status:
  0  the files were written
  1  they could not be written, or the run was interrupted (DIR is as it was)
  2  bad usage, or DIR holds files named as gen's that gen did not write
     (nothing was written)
`

// defaultGenOut is a folder of gen's own, so that a demo run neither mixes
// its files with what the working folder holds nor is refused for it.
const defaultGenOut = "gen-out"

func runGen(ctx context.Context, args []string, io stdio) int {
	fs := newFlagSet("gen")
	logins := fs.Int("logins", -1, "")
	seed := fs.Uint64("seed", 1, "")
	format := fs.String("format", string(gen.FormatBulk), "")
	outDir := fs.String("out", defaultGenOut, "")
	asOf := fs.String("as-of", gen.DefaultAsOf, "")
	withRejects := fs.Bool("with-rejects", false, "")
	if ok, code := parseFlags(fs, genHelp, args, io); !ok {
		return code
	}
	if *logins < 0 {
		return usageError(io, "gen", "--logins N is required, N at least 0")
	}
	if int64(*logins) > gen.MaxLogins {
		return usageError(io, "gen", "--logins %d is more than gen writes, at most %d", *logins, gen.MaxLogins)
	}
	cfg := gen.Config{Logins: *logins, Seed: *seed, Format: gen.Format(*format), WithRejects: *withRejects}
	known := false
	var names []string
	for _, f := range gen.Formats() {
		known = known || f == cfg.Format
		names = append(names, string(f))
	}
	if !known {
		return usageError(io, "gen", "--format %q is not one of %s", *format, strings.Join(names, ", "))
	}
	t, err := time.Parse(time.RFC3339, *asOf)
	if err != nil {
		return usageError(io, "gen", "--as-of %q is not an RFC 3339 time such as %s", *asOf, gen.DefaultAsOf)
	}
	cfg.AsOf = t.UTC().Truncate(time.Second)
	if cfg.AsOf.IsZero() {
		return usageError(io, "gen", "--as-of %q is the zero time: give the time the export is taken, such as %s", *asOf, gen.DefaultAsOf)
	}
	if err := os.MkdirAll(*outDir, 0o755); err != nil {
		fmt.Fprintf(io.err, "sessionaudit gen: creating %s: %v\n", *outDir, err)
		return exitFailure
	}

	start := time.Now()
	st, err := gen.WriteDir(ctx, cfg, *outDir)
	var conflict *gen.ConflictError
	if errors.As(err, &conflict) {
		them, it := "those files", "them"
		if len(conflict.Files)+len(conflict.Folders) == 1 {
			them, it = "that file", "it"
			if len(conflict.Folders) == 1 {
				them = "that folder"
			}
		}
		fmt.Fprintf(io.err, "sessionaudit gen: wrote nothing: %v\n", err)
		fmt.Fprint(io.err, "gen replaces and removes only the files it listed as its own, never an org's real exports.")
		if conflict.NoManifest {
			fmt.Fprintf(io.err, " A gen older than that list kept none: if one wrote %s, delete %s.", them, it)
		}
		fmt.Fprintf(io.err, "\nTry: sessionaudit gen --out NEW-FOLDER, or move %s out of %s\n", them, *outDir)
		return exitUsage
	}
	if err != nil {
		fmt.Fprintf(io.err, "sessionaudit gen: %v\n", err)
		return exitFailure
	}
	if len(st.OtherTemps) > 0 {
		fmt.Fprintf(io.err, "sessionaudit gen: left %s in %s: another gen's, writing there now or killed; remove them once no gen is writing there\n",
			gen.JoinNames(st.OtherTemps), *outDir)
	}
	if isTerminal(io.err) {
		fmt.Fprintf(io.err, "generated in %s\n", time.Since(start).Round(time.Millisecond))
	}
	fmt.Fprintf(io.out, "wrote %s users, %s logins and %s sessions (%s live at %s) to %s",
		words.Thousands(int64(st.Users)), words.Thousands(int64(st.Logins)), words.Thousands(int64(st.Sessions)),
		words.Thousands(int64(st.LiveSessions)), cfg.AsOf.Format(time.RFC3339), *outDir)
	if st.Rejects > 0 {
		fmt.Fprintf(io.out, ", with %s malformed rows", words.Thousands(int64(st.Rejects)))
	}
	if len(st.Removed) > 0 {
		fmt.Fprintf(io.out, "\nremoved the last gen's files there that this one did not write: %s", gen.JoinNames(st.Removed))
	}
	fmt.Fprint(io.out, "\n\nPlanted cases:\n")
	tw := tabwriter.NewWriter(io.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CHECK\tEXPECT\tUSERS\tIPS\tWHAT")
	for _, p := range st.Planted {
		expect := "near miss"
		if p.Hit {
			expect = "finding"
		}
		users := p.Usernames[0]
		if len(p.Usernames) > 1 {
			users = fmt.Sprintf("%s and %d more", users, len(p.Usernames)-1)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", p.Check, expect, users, strings.Join(p.IPs, " "), p.Note)
	}
	tw.Flush()
	return exitOK
}
