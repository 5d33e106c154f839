package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sessionaudit/sessionaudit/analyze"
	"github.com/sessionaudit/sessionaudit/apply"
	"github.com/sessionaudit/sessionaudit/ingest"
	"github.com/sessionaudit/sessionaudit/internal/words"
	"github.com/sessionaudit/sessionaudit/report"
	"github.com/sessionaudit/sessionaudit/sfid"
)

const auditHelp = `Usage:
  sessionaudit audit --sessions FILE --logins FILE [options]

Loads AuthSession and Login History exports (Bulk API/Data Loader CSV, REST or
sf CLI JSON, or the Setup > Login History download; plain or gzip, detected by
content), runs every check in queries/, and writes findings.csv, removals.csv,
rejects.csv and report.xlsx to --out, with a summary on stdout. The four are
written into a staging folder in --out and moved into place as a set
(removals.csv last) only when all are written, and put back if one cannot
be moved; one audit at a time may
write into a folder (it holds --out/.sessionaudit.lock).

Options:
  --sessions FILE      AuthSession export (repeatable; overlapping exports are de-duplicated by Id)
  --logins FILE        LoginHistory export or Setup download (repeatable)
  --users FILE         User export for names (repeatable, optional)
  --geo FILE           LoginGeo export joined on LoginGeoId (repeatable, optional)
                       These four also take a quoted pattern for many files, e.g. 'logins-*.json'
  --policy FILE        policy YAML (see testdata/policy.yaml); defaults apply without it
  --as-of TIME         the audit's "now", RFC 3339 (default: the current time)
  --out DIR            where the reports go, created if missing; refused at start if no file
                       can be written in it, if another audit is writing into it, or if its
                       removals.csv is approved or applied (removals.csv.approval.json or
                       removals.csv.journal beside it), has decisions in its approve column,
                       or cannot be read as a list (default: out)
  --db FILE            keep the DuckDB database in FILE for later queries (default: in memory);
                       replaced only by a finished audit, and only if FILE is a DuckDB database
                       (an input or any other file there is refused); refused while another
                       audit keeps the same FILE
  --fail-on SEVERITY   exit 3 when a finding is at or above SEVERITY (info, low, medium, high, critical)
  --memory-limit SIZE  memory budget of the whole run, at least 1GB, e.g. 2GB or 1.5GiB; DuckDB gets 60% of it
                       and spills to --temp-dir beyond that (default: 2GB)
  --threads N          DuckDB threads (default: one per core)
  --temp-dir DIR       where DuckDB spills when data outgrows memory, into a folder of this run's
                       own that is removed afterwards; created if missing (and then removed
                       afterwards if nothing else went into it), and refused at start if no file
                       can be written in it (default: the folder is made under $TMPDIR)
  --log-format FORMAT  text or json, one JSON object a line, refusals included (default: text)
  --quiet              log only warnings and errors on stderr, not each phase's time and memory
                       (for a job that mails whatever its stderr holds)
  --cpu-profile FILE   write a Go CPU profile (go tool pprof) of the run to FILE

Examples:
  sessionaudit audit --sessions testdata/sample/sessions.csv --logins testdata/sample/logins.csv \
      --users testdata/sample/users.csv --policy testdata/sample/policy.yaml --as-of 2026-11-26T12:00:00Z --out out
  sessionaudit audit --sessions s1.json --sessions s2.json --logins LoginHistory.csv.gz --fail-on high
  sessionaudit audit --sessions 'rest/sessions-*.json' --logins 'rest/logins-*.json' --users 'rest/users-*.json'

Exit status:
  0  the audit ran
  1  any other failure
  2  bad usage or unusable input (a missing column, an unreadable file, a bad policy, a
     file that changed while it was read), an --out or --temp-dir where no file can be
     written (tried at start), a --db FILE that is an input or holds something other than
     a DuckDB database, another audit writing into --out or keeping that --db, or an --out
     whose removals.csv is approved or applied, has decisions not approved yet, or is not
     a list as an audit writes it
  3  the audit ran and found something at or above --fail-on
`

// auditConfig is what the audit flags say.
type auditConfig struct {
	inputs      ingest.Inputs
	policyPath  string
	asOf        time.Time
	outDir      string
	dbPath      string
	failOn      *analyze.Severity
	memoryLimit int64 // bytes for the whole process
	threads     int
	tempDir     string
}

func runAudit(ctx context.Context, args []string, io stdio) int {
	fs := newFlagSet("audit")
	var sessions, logins, users, geo filesFlag
	fs.Var(&sessions, "sessions", "")
	fs.Var(&logins, "logins", "")
	fs.Var(&users, "users", "")
	fs.Var(&geo, "geo", "")
	policyPath := fs.String("policy", "", "")
	asOf := fs.String("as-of", "", "")
	outDir := fs.String("out", "out", "")
	dbPath := fs.String("db", "", "")
	failOn := fs.String("fail-on", "", "")
	memoryLimit := fs.String("memory-limit", "2GB", "")
	threads := fs.Int("threads", 0, "")
	tempDir := fs.String("temp-dir", "", "")
	logFormat := fs.String("log-format", "text", "")
	quiet := fs.Bool("quiet", false, "")
	cpuProfile := fs.String("cpu-profile", "", "")
	// A flag that does not parse is reported in the log format asked for,
	// read from args before they parse: a cron job's log collector gets a
	// JSON record for it too.
	early, _ := newLogger(io, logFormatIn(args), false)
	if ok, code := parseFlagsOnly(fs, auditHelp, args, io, func(msg string) int { return early.usage("%s", msg) }); !ok {
		return code
	}
	log, err := newLogger(io, *logFormat, *quiet)
	if err != nil {
		return usageError(io, "audit", "%v", err)
	}
	if fs.NArg() > 0 {
		return log.usage("%s", unexpectedArgument(fs))
	}
	cfg := auditConfig{
		inputs:     ingest.Inputs{Sessions: sessions, Logins: logins, Users: users, Geo: geo},
		policyPath: *policyPath,
		outDir:     *outDir,
		dbPath:     *dbPath,
		threads:    *threads,
		tempDir:    *tempDir,
		asOf:       time.Now().UTC().Truncate(time.Second),
	}
	if len(sessions) == 0 || len(logins) == 0 {
		return log.usage("--sessions and --logins are required")
	}
	for _, p := range inputFiles(cfg.inputs) {
		if _, err := os.Stat(p); err != nil {
			return log.usage("cannot read input %s: %v", p, errors.Unwrap(err))
		}
	}
	if *asOf != "" {
		// RFC 3339 allows a lower-case t and z; Go's layout does not.
		t, err := time.Parse(time.RFC3339, strings.NewReplacer("t", "T", "z", "Z").Replace(*asOf))
		if err != nil {
			return log.usage("--as-of %q is not an RFC 3339 time such as 2026-11-26T12:00:00Z", *asOf)
		}
		cfg.asOf = t.UTC()
	}
	if *failOn != "" {
		s, err := analyze.ParseSeverity(*failOn)
		if err != nil {
			return log.usage("--fail-on: %v", err)
		}
		cfg.failOn = &s
	}
	limit, err := parseSize(*memoryLimit)
	if err != nil {
		return log.usage("--memory-limit: %v", err)
	}
	cfg.memoryLimit = limit
	// Far more threads than cores only costs memory, and tens of thousands
	// make the runtime abort when it cannot start them.
	if *threads < 0 || *threads > maxThreads {
		return log.usage("--threads must be 0 (one per core) to %d", maxThreads)
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return log.usage("--cpu-profile: %v", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return log.usage("--cpu-profile: %v", err)
		}
		defer pprof.StopCPUProfile()
	}
	return audit(ctx, cfg, io, log)
}

// auditLog is the audit's logger and the format it writes in.
type auditLog struct {
	*slog.Logger
	json bool
	err  io.Writer
	// spill names where DuckDB spills ("--temp-dir DIR", or the system's
	// temporary folder), once the audit has its spill folder: fail then
	// tells a spill that ran out of disk from a failure of the step.
	spill, spillDir string
}

// newLogger logs to stderr in format; quiet leaves out the Info lines (each
// phase's time and memory), keeping warnings and errors.
func newLogger(io stdio, format string, quiet bool) (auditLog, error) {
	opts := &slog.HandlerOptions{}
	if quiet {
		opts.Level = slog.LevelWarn
	}
	switch format {
	case "text":
		return auditLog{Logger: slog.New(slog.NewTextHandler(io.err, opts)), err: io.err}, nil
	case "json":
		return auditLog{Logger: slog.New(slog.NewJSONHandler(io.err, opts)), json: true, err: io.err}, nil
	}
	return auditLog{}, fmt.Errorf("--log-format %q: use text or json", format)
}

// logFormatIn returns the value args give --log-format, read before the flags
// parse (the first given; a second is refused as they parse), or "text".
func logFormatIn(args []string) string {
	for i, a := range args {
		if a == "--" {
			break // the flags end here
		}
		name, value, hasValue := strings.Cut(a, "=")
		if name != "--log-format" && name != "-log-format" {
			continue
		}
		if !hasValue && i+1 < len(args) {
			value = args[i+1]
		}
		if value == "json" {
			return value
		}
		break
	}
	return "text"
}

// problem reports why the audit refused to go on, or its --fail-on verdict.
// Under --log-format json it is a record like every other line on stderr, so
// a log collector reads one JSON object a line, with args as its fields;
// under text it is the plain line "sessionaudit audit: msg" a person reads.
func (l auditLog) problem(level slog.Level, msg string, args ...any) {
	if l.json {
		l.Log(context.Background(), level, msg, args...)
		return
	}
	// msg names files, and may quote what they hold: escaped, a name with
	// a line break cannot forge a line of the log (words.Printable).
	fmt.Fprintf(l.err, "sessionaudit audit: %s\n", words.Printable(msg))
}

// usage reports a usage mistake found once the logger exists and returns
// exitUsage: under text with usageError's hint, under json as a record.
func (l auditLog) usage(format string, args ...any) int {
	if !l.json {
		return usageError(stdio{err: l.err}, "audit", format, args...)
	}
	l.Error(fmt.Sprintf(format, args...), "hint", "sessionaudit audit --help")
	return exitUsage
}

// asOfWarnings says when --as-of does not fit the sessions export: sessions
// created after it did not exist at the audit's "now", yet count as live
// (a mistyped year), and an as-of after every session expired leaves
// nothing live to judge (an old export audited at the current time).
func asOfWarnings(ctx context.Context, db *sql.DB, asOf time.Time) ([]string, error) {
	var total, later, live int64
	var firstLater, lastExpiry sql.NullTime
	if err := db.QueryRowContext(ctx, `SELECT count(*), count(*) FILTER (WHERE created > $1), min(created) FILTER (WHERE created > $1),
		count(*) FILTER (WHERE expires > $1), max(expires) FROM sessions`, asOf.UTC()).Scan(&total, &later, &firstLater, &live, &lastExpiry); err != nil {
		return nil, err
	}
	const layout = "2006-01-02 15:04"
	var ws []string
	if later > 0 {
		at, they, them := "the first at", "they", "them"
		if later == 1 {
			at, they, them = "at", "it", "it"
		}
		ws = append(ws, fmt.Sprintf("%s created after the audit's as-of time (%s UTC), %s %s UTC: %s did not exist then, "+
			"yet the checks take %s for live. Was --as-of meant to be later? Without it the audit takes the current time.",
			words.Count(later, "session was", "sessions were"), asOf.UTC().Format(layout), at, firstLater.Time.UTC().Format(layout), they, them))
	}
	if total > 0 && live == 0 {
		which, last := fmt.Sprintf("None of the %s is", words.Count(total, "session", "sessions")), "the last"
		if total == 1 {
			which, last = "The one session of the export is not", "it"
		}
		ws = append(ws, fmt.Sprintf("%s live at the audit's as-of time (%s UTC): %s expired at %s UTC, so no check "+
			"judged a live session. To audit the export as it was taken, give --as-of the time of the export.",
			which, asOf.UTC().Format(layout), last, lastExpiry.Time.UTC().Format(layout)))
	}
	return ws, nil
}

// maxThreads is the most --threads accepts.
const maxThreads = 256

// unappliableIDsWarning names the sessions on the removal list whose session
// or user Id apply would refuse: an 18-character Id whose case-safe suffix
// disagrees with the capitals of its first 15 characters, as a spreadsheet
// that changed an export's case leaves it. The load takes Ids as written
// (checking every one would cost a second at a million sessions), and apply
// refuses a whole list holding such an Id, so the analyst hears of it here.
func unappliableIDsWarning(ctx context.Context, db *sql.DB) (string, error) {
	rows, err := db.QueryContext(ctx, `SELECT session_id, coalesce(user_id, '') FROM removals ORDER BY session_id`)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var bad []string
	var n int64
	for rows.Next() {
		var sid, uid string
		if err := rows.Scan(&sid, &uid); err != nil {
			return "", err
		}
		_, serr := sfid.Normalize(sid)
		var uerr error
		if uid != "" {
			_, uerr = sfid.Normalize(uid)
		}
		if serr != nil || uerr != nil {
			if n++; len(bad) < 5 {
				bad = append(bad, sid)
			}
		}
	}
	if err := rows.Err(); err != nil || n == 0 {
		return "", err
	}
	more := ""
	if n > int64(len(bad)) {
		more = fmt.Sprintf(" and %d more", n-int64(len(bad)))
	}
	return fmt.Sprintf("removals.csv proposes %s whose session or user Id does not match its case-safe suffix (%s%s): "+
		"the export was changed, as a spreadsheet changes the case of Ids, and apply refuses a list that holds such an Id. "+
		"Audit exports as Salesforce wrote them, or delete those rows from removals.csv before approving it.",
		words.Count(n, "session", "sessions"), strings.Join(bad, ", "), more), nil
}

// maxZoneShift bounds how far local times read in the wrong zone can move:
// zones lie from UTC-12 to UTC+14.
const maxZoneShift = 26 * time.Hour

// setupWarnings says which checks cannot judge the logins of Setup
// downloads, so that an analyst does not read their zero as "checked,
// nothing found", and names a download whose logins come after the audit's
// as-of time: its local times were most likely read in the wrong zone, or,
// more than a day after it, its years or --as-of are wrong.
func setupWarnings(stats ingest.Stats, asOf time.Time, tz *time.Location) []string {
	var setup, late []string
	for _, f := range stats.Files {
		if f.Kind == ingest.Logins && f.Setup {
			setup = append(setup, f.File)
			switch {
			case f.Loaded == 0 || !f.Latest.After(asOf):
			case f.Latest.After(asOf.Add(maxZoneShift)):
				// No zone's local times read in another are so far off.
				late = append(late, fmt.Sprintf("%s has logins until %s UTC, more than a day after the audit's as-of time (%s UTC), which no timezone explains: "+
					"check --as-of, and the download's years (a th_TH download's two-digit years of the Buddhist calendar, 69 for 2569, which is 2026, read as 2069).",
					f.File, f.Latest.Format("2006-01-02 15:04"), asOf.Format("2006-01-02 15:04")))
			default:
				late = append(late, fmt.Sprintf("%s has logins until %s UTC, after the audit's as-of time (%s UTC): its times are local and were read in %s; "+
					"if they are another zone's, set the policy's timezone to it.", f.File, f.Latest.Format("2006-01-02 15:04"), asOf.Format("2006-01-02 15:04"), tz))
			}
		}
	}
	if len(setup) == 0 {
		return nil
	}
	what := setup[0] + " is a Setup download"
	if len(setup) > 1 {
		what = strings.Join(setup[:len(setup)-1], ", ") + " and " + setup[len(setup)-1] + " are Setup downloads"
	}
	return append([]string{what + ", with no coordinates and no login Ids: impossible_travel and session_without_login " +
		"cannot judge those logins (export Login History through the API for them)."}, late...)
}

// fail logs why the audit stopped while doing something. A signal (SIGINT,
// SIGTERM) cancels ctx, and the step it stopped fails with a wrapped
// "context canceled" that reads like a database failure: the record then
// says the audit was interrupted, and what it was doing.
func (l auditLog) fail(ctx context.Context, doing string, args ...any) {
	if ctx.Err() != nil {
		for i := 0; i+1 < len(args); i += 2 {
			if args[i] == "err" {
				args = append(args[:i:i], args[i+2:]...)
				break
			}
		}
		l.Error("audit interrupted by a signal while "+doing, args...)
		return
	}
	for i := 0; l.spill != "" && i+1 < len(args); i += 2 {
		if err, ok := args[i+1].(error); ok && args[i] == "err" && spillFull(err, l.spillDir) {
			// DuckDB calls it an out-of-memory error of the file it was
			// reading and suggests raising its memory limit: the disk
			// where it spills is what ran out.
			doing += ": DuckDB ran out of disk space where it spills, in " + l.spill +
				"; free space there, or give --temp-dir a folder on a disk with more room"
			args = append(args, "spill_dir", l.spillDir)
			break
		}
	}
	l.Error(doing, args...)
}

// spillFull tells an error of DuckDB's that it could not spill: the disk of
// its spill folder dir is full, or has less room left than DuckDB keeps free
// (its max_temp_directory_size, by default most of the free space).
func spillFull(err error, dir string) bool {
	msg := err.Error()
	return strings.Contains(msg, "max_temp_directory_size") ||
		dir != "" && strings.Contains(msg, dir) && strings.Contains(strings.ToLower(msg), "no space left on device")
}

// audit runs one audit end to end: ingest, analyze, report.
func audit(ctx context.Context, cfg auditConfig, io stdio, log auditLog) int {
	start := time.Now()
	policy, err := analyze.LoadPolicy(cfg.policyPath)
	if err != nil {
		log.problem(slog.LevelError, err.Error(), "policy", cfg.policyPath)
		return exitUsage
	}
	// The folders are tried before the work rather than found unusable after
	// it: DuckDB would only notice a bad --temp-dir when it spills, and blame
	// the input it was reading.
	unlock, locked, code := openOut(ctx, cfg.outDir, log)
	defer unlock()
	if code != exitOK {
		return code
	}
	tempDir, doneSpilling, code := openSpill(ctx, cfg.tempDir, &log)
	defer doneSpilling()
	if code != exitOK {
		return code
	}
	// A kept database holds one audit: an old one at the same path is
	// replaced, but only by a finished audit and only if it is a database.
	var kept *keptDB
	dbPath := ""
	if cfg.dbPath != "" {
		kept, err = newKeptDB(cfg.dbPath, inputFiles(cfg.inputs))
		if err != nil {
			log.problem(slog.LevelError, err.Error(), "db", cfg.dbPath)
			return exitUsage
		}
		warnUnlocked(log, "--db "+cfg.dbPath, kept.unlocked)
		defer kept.discard()
		dbPath = kept.tmp
	}
	debug.SetMemoryLimit(int64(float64(cfg.memoryLimit) * goShare))
	duckdbLimit := fmt.Sprintf("%dMB", int64(float64(cfg.memoryLimit)*duckdbShare/1e6))
	db, err := ingest.Open(ctx, ingest.DBOptions{Path: dbPath, MemoryLimit: duckdbLimit, Threads: cfg.threads, TempDir: tempDir})
	if err != nil {
		log.fail(ctx, "opening the database", "err", err)
		return exitFailure
	}
	defer func() {
		// A database that is not kept is removed once closed: closing it
		// need not first write its log into it, which at a few million
		// logins takes seconds after an interrupt. After keep, a no-op.
		if kept != nil && !kept.kept {
			db.ExecContext(context.Background(), "PRAGMA disable_checkpoint_on_shutdown")
		}
		db.Close()
	}()

	var progress func(string)
	if isTerminal(io.err) {
		progress = func(msg string) { fmt.Fprintf(io.err, "… %s\n", msg) }
	}
	stats, err := ingest.Load(ctx, db, cfg.inputs, ingest.Options{Location: policy.Location, SetupDateOrder: policy.SetupDateOrder, Progress: progress, TempDir: tempDir})
	if err != nil {
		var ie *ingest.InputError
		var mc *ingest.MissingColumnsError
		// An interrupt is exit 1 whatever step it stopped, even one that
		// words its failure as the file's.
		if ctx.Err() == nil && (errors.As(err, &ie) || errors.As(err, &mc)) {
			log.problem(slog.LevelError, err.Error())
			return exitUsage
		}
		log.fail(ctx, "loading the exports", "err", err)
		return exitFailure
	}
	loadPeak := ingest.PeakRSS()
	log.Info("loaded exports", "files", len(stats.Files), "rejected", stats.Rejected(), "elapsed", since(start), "peak_rss_mib", loadPeak)
	if progress != nil {
		progress("running checks")
	}
	checksStart := time.Now()
	res, err := analyze.Run(ctx, db, policy, cfg.asOf)
	if err != nil {
		log.fail(ctx, "running the checks", "err", err)
		return exitFailure
	}
	if err := ingest.ReleaseMemory(ctx, db); err != nil {
		log.fail(ctx, "running the checks", "err", err)
		return exitFailure
	}
	log.Info("ran checks", "elapsed", since(checksStart), "peak_rss_mib", ingest.PeakRSS(), "steps", stepsLine(res.Steps, loadPeak))
	if progress != nil {
		progress("writing reports")
	}
	warnings, doing, err := auditWarnings(ctx, db, stats, res, cfg.asOf, policy)
	if err != nil {
		log.fail(ctx, doing, "err", err)
		return exitFailure
	}
	for _, w := range warnings {
		log.Warn(w)
	}
	summary := buildSummary(stats, res, policy)
	summary.Warnings = warnings
	// The reports are written as a set into a staging folder and moved into
	// --out only when all of them are written, so a failed or interrupted
	// run leaves the previous set whole.
	staging, err := makeStaging(cfg.outDir, locked)
	if err != nil {
		log.fail(ctx, "creating the staging folder", "dir", cfg.outDir, "err", err)
		return exitFailure
	}
	defer os.RemoveAll(staging)
	if err := writeReports(ctx, db, staging, summary, log.Logger); err != nil {
		log.fail(ctx, "writing reports", "dir", cfg.outDir, "err", err)
		return exitFailure
	}
	// The list may have been approved while the audit ran (an analyst
	// approving the last audit's list): it is kept, and this run's reports
	// are not put in place.
	if io.beforePublish != nil {
		io.beforePublish()
	}
	if err := checkNoApprovedList(cfg.outDir); err != nil {
		log.problem(slog.LevelError, fmt.Sprintf("--out %s: %v; it happened while this audit ran, so its reports were not put in place", cfg.outDir, err), "dir", cfg.outDir)
		return exitUsage
	}
	if err := publishReports(staging, cfg.outDir); err != nil {
		log.fail(ctx, "moving the reports into place", "dir", cfg.outDir, "err", err)
		return exitFailure
	}
	var atOrAbove int64 // findings at or above --fail-on
	if cfg.failOn != nil {
		atOrAbove = res.AtLeast(*cfg.failOn)
	}
	if kept != nil {
		if err := kept.keep(ctx, db, stats.Redacted > 0); err != nil {
			log.fail(ctx, "keeping the database", "path", cfg.dbPath, "err", err)
			return exitFailure
		}
	}
	if err := report.WriteSummaryText(io.out, summary); err != nil {
		log.fail(ctx, "writing the summary to stdout (the reports are in place)", "dir", cfg.outDir, "err", err)
		return exitFailure
	}
	fmt.Fprintf(io.out, "\nReports in %s: findings.csv, removals.csv, rejects.csv, report.xlsx\n", words.Printable(cfg.outDir))
	log.Info("audit done", "elapsed", since(start), "peak_rss_mib", ingest.PeakRSS(), "removals", summary.Removals)
	if atOrAbove > 0 {
		log.problem(slog.LevelWarn, fmt.Sprintf("%s at or above %s", words.Count(atOrAbove, "finding", "findings"), cfg.failOn), "findings", atOrAbove, "fail_on", cfg.failOn.String())
		return exitFindings
	}
	return exitOK
}

// openOut readies --out for the run: it creates the folder if need be and
// tries writing there, locks it (one audit at a time writes into a folder,
// or two would mix their sets), puts back the previous report set where a
// run was killed while moving its reports into place, and refuses a folder
// whose removals.csv is approved or applied. It returns the function that
// unlocks the folder (to call whatever the status), whether the folder is
// locked (it is not on a file system without flock, with a warning), and
// exitOK or the status the audit ends with.
func openOut(ctx context.Context, dir string, log auditLog) (unlock func(), locked bool, code int) {
	unlock = func() {}
	if _, err := probeFolder(dir); err != nil {
		log.problem(slog.LevelError, fmt.Sprintf("--out %s: cannot write the reports there: %v", dir, err), "dir", dir)
		return unlock, false, exitUsage
	}
	unlock, unlocked, err := lockOut(dir)
	if err != nil {
		log.problem(slog.LevelError, fmt.Sprintf("--out %s: %v", dir, err), "dir", dir)
		return func() {}, false, exitUsage
	}
	locked = unlocked == nil
	warnUnlocked(log, "--out "+dir, unlocked)
	// A run killed while moving its reports into place left a set mixing
	// its reports and the previous audit's: the previous set is put back.
	if locked {
		restored, err := recoverKilledPublish(dir)
		if err != nil {
			log.fail(ctx, "recovering from a run that was killed", "dir", dir, "err", err)
			return unlock, locked, exitFailure
		}
		if len(restored) > 0 {
			log.Warn(fmt.Sprintf("--out %s: an audit killed while moving its reports into place had replaced only %s; "+
				"the folder is put back as the audit before it left it (its reports restored, any it did not have removed), "+
				"so that it holds one audit's reports", dir, strings.Join(restored, ", ")),
				"dir", dir)
		}
	}
	// A new removals.csv beside an approval or an apply journal would void
	// them without a word: apply --execute would then refuse the list for
	// ever. The audit refuses instead, and says how to go on.
	if err := checkNoApprovedList(dir); err != nil {
		log.problem(slog.LevelError, fmt.Sprintf("--out %s: %v", dir, err), "dir", dir)
		return unlock, locked, exitUsage
	}
	return unlock, locked, exitOK
}

// openSpill makes the run's spill folder. DuckDB names its spill files
// alike in every process, so each run spills into a folder of its own
// (spillFolder), inside tempDir (--temp-dir) when given: audits sharing one
// --temp-dir would read each other's files otherwise. It tells log where
// the run spills, so that a spill out of disk is reported as such. It
// returns the folder, the function that removes it and any folders of
// tempDir the run made (to call whatever the status), and exitOK or the
// status the audit ends with.
func openSpill(ctx context.Context, tempDir string, log *auditLog) (dir string, done func(), code int) {
	var made string
	removeMade := func() {
		if made != "" {
			removeEmptyFolders(tempDir, made)
		}
	}
	if tempDir != "" {
		var err error
		if made, err = probeFolder(tempDir); err != nil {
			log.problem(slog.LevelError, fmt.Sprintf("--temp-dir %s: cannot spill there: %v", tempDir, err), "dir", tempDir)
			return "", removeMade, exitUsage
		}
	}
	parent, where := tempDir, "--temp-dir "+tempDir
	if tempDir == "" {
		parent = os.TempDir()
		where = "the system's temporary folder " + parent
	}
	// DuckDB takes its spill folder as text, which must be UTF-8: it would
	// refuse the folder with "Invalid unicode" as the database opened.
	if !utf8.ValidString(parent) {
		fix := "give another --temp-dir"
		if tempDir == "" {
			fix = "set TMPDIR to another folder, or give --temp-dir"
		}
		log.problem(slog.LevelError, fmt.Sprintf("%s: cannot spill there: its name is not valid UTF-8, which the database needs of a folder; %s", where, fix), "dir", parent)
		return "", removeMade, exitUsage
	}
	dir, doneSpilling, err := spillFolder(tempDir)
	if err != nil {
		log.fail(ctx, "creating a spill folder", "dir", parent, "err", err)
		return "", removeMade, exitFailure
	}
	log.spill, log.spillDir = where, dir
	return dir, func() { doneSpilling(); removeMade() }, exitOK
}

// auditWarnings gathers the run's warnings: the policy's (a file that sets
// nothing, say), the load's and the checks', then those the command itself finds
// (Setup downloads' times, sessions that do not fit --as-of, Ids on the
// removal list apply would refuse). When a query fails it returns what it
// was doing, for the log.
func auditWarnings(ctx context.Context, db *sql.DB, stats ingest.Stats, res analyze.Result, asOf time.Time, policy analyze.Policy) ([]string, string, error) {
	warnings := slices.Clone(policy.Warnings)
	warnings = append(warnings, stats.Warnings...)
	warnings = append(warnings, res.Warnings...)
	warnings = append(warnings, setupWarnings(stats, asOf, policy.Location)...)
	asOfWs, err := asOfWarnings(ctx, db, asOf)
	if err != nil {
		return nil, "comparing the sessions with --as-of", err
	}
	warnings = append(warnings, asOfWs...)
	w, err := unappliableIDsWarning(ctx, db)
	if err != nil {
		return nil, "checking the removal list's Ids", err
	}
	if w != "" {
		warnings = append(warnings, w)
	}
	return warnings, "", nil
}

// stepsLine lists the steps of a run with their times, and the peak RSS
// after each step that raised it above the last (from the load's, peak).
func stepsLine(steps []analyze.Step, peak int64) string {
	var out []string
	for _, s := range steps {
		step := fmt.Sprintf("%s %s", s.Name, s.Elapsed.Round(time.Millisecond))
		if s.PeakRSS > peak {
			step += fmt.Sprintf(" (peak %d MiB)", s.PeakRSS)
			peak = s.PeakRSS
		}
		out = append(out, step)
	}
	return strings.Join(out, ", ")
}

// probeFolder creates dir if it is missing, then creates and removes a file
// in it, so a folder that cannot take the audit's files is found at start.
// made is the outermost folder it created (dir or a parent of it), to
// remove afterwards, or "" when dir was there.
func probeFolder(dir string) (made string, err error) {
	for p := filepath.Clean(dir); ; p = filepath.Dir(p) {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			break
		}
		made = p
		if filepath.Dir(p) == p {
			break
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	f, err := os.CreateTemp(dir, ".sessionaudit-probe-*")
	if err != nil {
		return made, err
	}
	f.Close()
	return made, os.Remove(f.Name())
}

// removeEmptyFolders removes dir and its parents up to and including made,
// the outermost folder probeFolder created for it, as long as each is
// empty: another audit may have put its own spill folder in one meanwhile.
func removeEmptyFolders(dir, made string) {
	for p := filepath.Clean(dir); ; p = filepath.Dir(p) {
		if os.Remove(p) != nil || p == filepath.Clean(made) || filepath.Dir(p) == p {
			return
		}
	}
}

// checkNoApprovedList returns an error when dir holds the approval or the
// apply journal of its removals.csv, which a new audit would replace, or
// when that list holds an analyst's decisions not approved yet (see
// checkNoDecisions). The error names the files, who approved the list and
// when, and what to do. It also refuses a folder standing where one of
// reportFiles goes, which publishReports could not replace.
func checkNoApprovedList(dir string) error {
	// A folder where a report goes could not be replaced by it: found at
	// the end, the whole audit would be lost.
	for _, f := range reportFiles {
		if fi, err := os.Lstat(filepath.Join(dir, f)); err == nil && fi.IsDir() {
			return fmt.Errorf("its %s is a folder, which the report could not replace: move it, or audit into another folder", f)
		}
	}
	list := filepath.Join(dir, "removals.csv")
	var held, names []string
	if _, err := os.Lstat(apply.ApprovalPath(list)); err == nil {
		name := filepath.Base(apply.ApprovalPath(list))
		what := "was approved"
		if a, err := apply.ReadApproval(list); err == nil {
			what += fmt.Sprintf(" by %s at %s", a.ApprovedBy, a.ApprovedAt.Format(time.RFC3339))
		}
		held, names = append(held, what+" ("+name+")"), append(names, name)
	}
	if _, err := os.Lstat(apply.JournalPath(list)); err == nil {
		name := filepath.Base(apply.JournalPath(list))
		held, names = append(held, "has an apply journal ("+name+")"), append(names, name)
	}
	switch {
	case len(held) == 0:
		return checkNoDecisions(list)
	case strings.HasSuffix(names[len(names)-1], ".journal"):
		// The journal records what apply sent: it stays with its list.
		it := "they belong"
		if len(held) == 1 {
			it = "it belongs"
		}
		return fmt.Errorf("its removals.csv %s; a new audit would replace the list %s to: audit into another folder "+
			"(the journal is the record of what apply sent, so keep it beside its list)", strings.Join(held, " and "), it)
	}
	return fmt.Errorf("its removals.csv %s; a new audit would replace the list it belongs to: "+
		"audit into another folder, or delete %s and clear the list's approve column to discard the approval", held[0], names[0])
}

// checkNoDecisions returns an error when the removal list at path (with
// neither approval nor journal) has cells in its approve column: an analyst
// is deciding, and a new list would lose the decisions. The list is read as
// plain CSV, so that a decision apply would refuse ("ok") still counts, and
// separated by commas, semicolons or tabs, as spreadsheets save CSV in some
// languages. A list that cannot be read, or whose first line has no approve
// column under any of them, is not one an audit wrote as it is: it may hold
// decisions in a form the check cannot read, so it is an error too. A
// missing or empty list has none.
func checkNoDecisions(path string) error {
	// Only a regular file can hold decisions; opening a FIFO would wait for
	// a writer, and a device such as /dev/zero never ends. Either is
	// replaced like any list.
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) || err == nil && (!fi.Mode().IsRegular() || fi.Size() == 0) {
		return nil
	}
	var f *os.File
	if err == nil {
		f, err = os.Open(path)
	}
	if err != nil {
		return unreadableList(err)
	}
	defer f.Close()
	// The first line tells the separator; the rows are then read one at a
	// time, as a list can hold hundreds of thousands.
	first, err := bufio.NewReader(io.LimitReader(f, 1<<20)).ReadString('\n')
	if err != nil && err != io.EOF {
		return unreadableList(err)
	}
	sep, col := rune(0), -1
	for _, c := range []rune{',', ';', '\t'} {
		r := csv.NewReader(strings.NewReader(first))
		r.Comma, r.LazyQuotes = c, true
		if header, err := r.Read(); err == nil {
			if col = slices.IndexFunc(header, func(h string) bool { return strings.TrimPrefix(strings.TrimSpace(h), "\ufeff") == "approve" }); col >= 0 {
				sep = c
				break
			}
		}
	}
	if col < 0 {
		return fmt.Errorf("its removals.csv is not a removal list as an audit writes it (its first line has no approve column), "+
			"perhaps one a spreadsheet saved in another format; it may hold decisions, which a new audit would replace: "+
			"move %s away, or audit into another folder", path)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return unreadableList(err)
	}
	r := csv.NewReader(bufio.NewReader(f))
	r.Comma, r.FieldsPerRecord, r.LazyQuotes, r.ReuseRecord = sep, -1, true, true
	marked := 0
	for i := 0; ; i++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil { // with lazy quotes and any width, only reading fails
			return unreadableList(err)
		}
		if i > 0 && col < len(rec) && strings.TrimSpace(rec[col]) != "" {
			marked++
		}
	}
	if marked == 0 {
		return nil
	}
	approve := fmt.Sprintf("approve the list (sessionaudit approve --removals %s --by NAME)", path)
	if sep != ',' {
		approve = "save it again as comma-separated CSV (as the audit wrote it) and approve it"
	}
	return fmt.Errorf("its removals.csv has decisions in its approve column (%s), not approved yet; a new audit would replace them: "+
		"%s, clear the column, or audit into another folder", words.Count(int64(marked), "row", "rows"), approve)
}

// unreadableList is checkNoDecisions' error for a list it cannot read.
func unreadableList(err error) error {
	return fmt.Errorf("its removals.csv cannot be read (%v); it may hold decisions, which a new audit would replace: "+
		"make it readable, move it away, or audit into another folder", err)
}

// inputFiles lists every export the audit reads.
func inputFiles(in ingest.Inputs) []string {
	return slices.Concat(in.Sessions, in.Logins, in.Users, in.Geo)
}

// since is the time from start, rounded for a log line.
func since(start time.Time) string { return time.Since(start).Round(time.Millisecond).String() }

// buildSummary gathers the figures of the Summary sheet and the stdout
// summary from what the load read, the policy and what the checks found.
func buildSummary(stats ingest.Stats, res analyze.Result, p analyze.Policy) report.Summary {
	s := report.Summary{
		Title:       "Salesforce session audit",
		AsOf:        res.AsOf,
		GeneratedAt: time.Now().UTC().Truncate(time.Second), // as shown: Excel would round a fraction up
		Version:     versionString(),
		Policy:      policyLine(p),
		Rejects:     stats.Rejected(),
		Removals:    res.Removals,
	}
	for _, w := range res.Withheld {
		s.Withheld = append(s.Withheld, report.Withheld{Reason: w.Reason, Sessions: w.Sessions})
	}
	for _, f := range stats.Files {
		s.Inputs = append(s.Inputs, report.InputStats{
			File: f.File, Kind: string(f.Kind), Format: f.Format, Read: f.Read, Loaded: f.Loaded,
			Duplicates: f.Duplicates, Rejected: f.Rejected, Earliest: f.Earliest, Latest: f.Latest,
		})
	}
	for _, c := range res.Checks {
		counts := map[string]int64{}
		for sev, n := range c.Counts {
			counts[sev.String()] = n
		}
		s.Checks = append(s.Checks, report.CheckStats{ID: c.Check.ID, Title: c.Check.Title, Severity: c.Check.Severity.String(), Counts: counts,
			NotChecked: c.NotChecked})
	}
	return s
}

// policyLine names the policy files an audit ran with and their SHA-256,
// so that its reports can be matched to the rules behind them.
func policyLine(p analyze.Policy) string {
	if len(p.Files) == 0 {
		return "the defaults (no --policy given)"
	}
	var files []string
	for _, f := range p.Files {
		files = append(files, fmt.Sprintf("%s (SHA-256 %s)", f.Path, f.SHA256))
	}
	return strings.Join(files, "; ")
}

// The files an audit keeps in its --out folder besides the reports: the
// lock held while it runs, and the staging folder its reports are written to.
const (
	outLockName   = ".sessionaudit.lock"
	stagingPrefix = ".sessionaudit-staging-"
)

func outLockPath(dir string) string { return filepath.Join(dir, outLockName) }

// makeStaging creates this run's staging folder in dir, named by its PID
// and a random part (in containers every run may be PID 1). When the caller
// holds the lock on dir (locked), no other audit is using a staging folder
// there, so it first removes any left by a run that was killed.
func makeStaging(dir string, locked bool) (string, error) {
	if locked {
		// Listed, not globbed: the folder's own name may hold *, ? or [.
		entries, err := os.ReadDir(dir)
		if err != nil {
			return "", err
		}
		for _, e := range entries {
			if e.IsDir() && strings.HasPrefix(e.Name(), stagingPrefix) {
				if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
					return "", err
				}
			}
		}
	}
	return os.MkdirTemp(dir, stagingPrefix+strconv.Itoa(os.Getpid())+"-*")
}

// reportFiles is the report set in the order publishReports moves it.
// removals.csv, the file approve and apply act on, goes last: a new removal
// list is then never beside an older workbook or findings.
var reportFiles = []string{"findings.csv", "rejects.csv", "report.xlsx", "removals.csv"}

// publishReports moves the report set from staging into dir. Each rename
// within one file system is atomic, so a reader sees each file old or new.
// If one fails, the files already moved are put back as they were (from
// hard links to the old ones, made first), so dir keeps one audit's set:
// the error says whether that worked.
func publishReports(staging, dir string) error {
	backup := filepath.Join(staging, "previous")
	if err := os.Mkdir(backup, 0o755); err != nil {
		return err
	}
	// kept holds the files of dir with a link in backup, lost those that
	// exist but could not be linked (a file system without hard links): a
	// failure can put back the first and must leave the second.
	kept, lost := map[string]bool{}, map[string]bool{}
	for _, f := range reportFiles {
		err := os.Link(filepath.Join(dir, f), filepath.Join(backup, f))
		_, statErr := os.Lstat(filepath.Join(dir, f))
		switch {
		case err == nil:
			kept[f] = true
		case statErr == nil:
			lost[f] = true
		case errors.Is(statErr, os.ErrNotExist):
			// The previous set had no such file: a run killed while
			// moving its reports is undone by removing it (see
			// recoverKilledPublish), which this marker says.
			if err := os.WriteFile(filepath.Join(backup, f+absentSuffix), nil, 0o644); err != nil {
				return err
			}
		}
	}
	for i, f := range reportFiles {
		if publishKilled != nil && publishKilled(i) {
			return errKilled
		}
		err := os.Rename(filepath.Join(staging, f), filepath.Join(dir, f))
		if err == nil {
			continue
		}
		var undo []error
		for _, g := range reportFiles[:i] {
			switch {
			case kept[g]:
				undo = append(undo, os.Rename(filepath.Join(backup, g), filepath.Join(dir, g)))
			case lost[g]:
				undo = append(undo, fmt.Errorf("the previous %s could not be kept (no hard link)", g))
			default:
				undo = append(undo, os.Remove(filepath.Join(dir, g)))
			}
		}
		if uerr := errors.Join(undo...); uerr != nil {
			return fmt.Errorf("%w; putting back the previous reports failed too, so %s holds a mix of two audits: %v", err, dir, uerr)
		}
		return fmt.Errorf("%w (the previous reports are left as they were)", err)
	}
	return nil
}

// absentSuffix names the file in a staging folder's previous/ that says the
// previous set had no such report.
const absentSuffix = ".absent"

// publishKilled, when set, is asked before each report is moved into place
// and stops publishReports there when it returns true, as a kill -9 would:
// tests leave the folder as a killed run leaves it with it.
var publishKilled func(moved int) bool

var errKilled = errors.New("killed (a test's stand-in for kill -9)")

// recoverKilledPublish puts back the previous report set of dir where a run
// was killed (kill -9, the OOM killer, a power cut) while moving its reports
// into place: some of them new, the rest the previous audit's, until an
// audit finishes. Its staging folder tells: it holds previous/ (made before
// the first report moved) and still holds removals.csv (moved last, so the
// set was not complete). Each report it no longer holds was moved: the
// previous one comes back from its hard link in previous/, or is removed
// when previous/ says the previous set had none. The caller holds the lock
// on dir, so no run is publishing there. It returns the reports it put
// back, and removes the staging folders it recovered from.
func recoverKilledPublish(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var restored []string
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), stagingPrefix) {
			continue
		}
		staging := filepath.Join(dir, e.Name())
		backup := filepath.Join(staging, "previous")
		if _, err := os.Lstat(backup); err != nil {
			continue // not publishing yet: nothing of it was moved
		}
		if _, err := os.Lstat(filepath.Join(staging, "removals.csv")); err != nil {
			continue // the whole set was moved
		}
		for _, f := range reportFiles {
			if _, err := os.Lstat(filepath.Join(staging, f)); err == nil {
				continue // not moved
			}
			var err error
			switch _, absent := os.Lstat(filepath.Join(backup, f+absentSuffix)); {
			case absent == nil:
				if err = os.Remove(filepath.Join(dir, f)); errors.Is(err, os.ErrNotExist) {
					err = nil
				}
			default:
				if err = os.Rename(filepath.Join(backup, f), filepath.Join(dir, f)); errors.Is(err, os.ErrNotExist) {
					continue // put back already, or it could not be kept (no hard link)
				}
			}
			if err != nil {
				return restored, fmt.Errorf("putting back the previous %s after a run that was killed while moving its reports into place: %w", f, err)
			}
			restored = append(restored, f)
		}
		if err := os.RemoveAll(staging); err != nil {
			return restored, err
		}
	}
	return restored, nil
}

// writeReports writes the CSV files and the workbook into dir.
func writeReports(ctx context.Context, db *sql.DB, dir string, summary report.Summary, log *slog.Logger) (err error) {
	// Every report is read a page at a time through temporary tables (see
	// pagedRows), which belong to one connection; it also carries the as_of
	// variable the Sessions sheet reads.
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SET VARIABLE as_of = ?::TIMESTAMP", summary.AsOf); err != nil {
		return err
	}
	for _, o := range csvOutputs {
		start := time.Now()
		rows := &pagedRows{ctx: ctx, conn: conn, q: o.q}
		_, err := report.WriteCSVFile(filepath.Join(dir, o.file), rows)
		rows.close()
		if err == nil {
			err = rows.Err()
		}
		if err != nil {
			return fmt.Errorf("writing %s: %w", o.file, err)
		}
		log.Info("wrote "+o.file, "elapsed", since(start))
	}
	start := time.Now()
	defer func() {
		// Only when it was written: a failed or interrupted workbook is
		// reported by the caller, and a log that says it was written
		// would read as though it were in place.
		if err == nil {
			log.Info("wrote report.xlsx", "elapsed", since(start), "peak_rss_mib", ingest.PeakRSS())
		}
	}()
	var sheets []report.Sheet
	for _, sh := range xlsxSheets {
		s := sh.sheet
		if s.Columns, err = fitColumns(ctx, conn, sh.fit, s.Columns); err != nil {
			return fmt.Errorf("sizing the columns of the %s sheet: %w", s.Name, err)
		}
		rows := &pagedRows{ctx: ctx, conn: conn, q: sh.q}
		defer rows.close()
		s.Rows = rows
		sheets = append(sheets, s)
	}
	return report.WriteXLSX(filepath.Join(dir, "report.xlsx"), report.Workbook{Summary: summary, Sheets: sheets})
}
