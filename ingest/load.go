package ingest

import (
	"context"
	"database/sql"
	_ "embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/sessionaudit/sessionaudit/internal/words"
	"github.com/sessionaudit/sessionaudit/sfid"
)

//go:embed macros.sql
var macrosSQL string

// Inputs lists the export files of each kind. Overlapping exports of one kind
// are de-duplicated by Id.
type Inputs struct {
	Sessions, Logins, Users, Geo []string
}

// Options tune a load.
type Options struct {
	// Location reads date-times written without a zone (Setup downloads).
	// Nil means UTC.
	Location *time.Location
	// SetupDateOrder says how Setup downloads order the day and month of
	// their dates. The zero value is DateOrderAuto.
	SetupDateOrder DateOrder
	// Progress, when set, receives one line per step of a long load.
	Progress func(msg string)
	// TempDir is where the load makes its own temporary folder (links to
	// files whose names DuckDB would take for patterns); empty means the
	// system's. The audit gives its spill folder, which it removes when it
	// ends (and a later audit, once its lock is free, after a kill -9).
	TempDir string
}

// DateOrder is the order of the day and month in the dates of a Setup
// download, which follows the locale of the user who downloaded it.
type DateOrder string

const (
	// DateOrderAuto finds each download's order from its dates: a first
	// number over 12 makes it day first, a second number over 12 month
	// first. A download where neither tells is read month first, with a
	// warning.
	DateOrderAuto DateOrder = "auto"
	DateOrderMDY  DateOrder = "mdy" // 11/26/2026, as en_US writes it
	DateOrderDMY  DateOrder = "dmy" // 26/11/2026, as en_GB, fr or de write it
)

// DateOrders lists the orders Options.SetupDateOrder takes.
var DateOrders = []DateOrder{DateOrderAuto, DateOrderMDY, DateOrderDMY}

// FileStats accounts for every row of one input file:
// Read = Loaded + Duplicates + Rejected.
type FileStats struct {
	File       string
	Kind       Kind
	Format     string
	Read       int64
	Loaded     int64
	Duplicates int64 // valid rows whose Id an earlier row or file already had; for Setup downloads, logins another download holds as often or more (see dedupSetup) or that copy an API export's (see dedupSetupCopies)
	Rejected   int64
	Setup      bool      // a Setup > Login History download (by its labels): no Ids, no coordinates
	Earliest   time.Time // earliest CreatedDate (sessions) or LoginTime (logins) of the file's valid rows, duplicates included: the time the export covers
	Latest     time.Time
}

// Stats is the outcome of a load, one entry per input file: the users
// exports first, then geo, sessions and logins, each kind's files in the
// order given (the order they load in).
type Stats struct {
	Files []FileStats
	// Warnings say, one sentence each, what the inputs lack or what the load
	// had to assume: REST pages of a query that were not given, Setup
	// downloads whose date order was guessed, whose clock times the end of
	// daylight saving time repeats, or whose usernames match no user, and
	// files or kinds of which no row loaded.
	Warnings []string
	// Redacted counts the rejects with a token taken out of their value or
	// reason (see redactRejects): the database's file may still hold it.
	Redacted int
}

// Rejected is the number of rows of all files that went to the rejects table.
func (s Stats) Rejected() int64 {
	var n int64
	for _, f := range s.Files {
		n += f.Rejected
	}
	return n
}

// colType says how a canonical field is parsed and validated.
type colType int

const (
	tText colType = iota
	tID
	tTime
	tSeconds
	tBool
	tIP
	tLat
	tLon
	tISO // a country code
)

// what ends the sentence "<field> '<value>' is not …" for a value that does not parse.
func (t colType) what() string {
	switch t {
	case tID:
		return "a Salesforce Id (15 or 18 letters and digits)"
	case tTime:
		return "a date-time"
	case tSeconds:
		return fmt.Sprintf("a whole number of seconds between 0 and %d (100 years)", maxSeconds)
	case tBool:
		return "true or false"
	case tLat:
		return "a latitude between -90 and 90"
	case tLon:
		return "a longitude between -180 and 180"
	case tISO:
		return "a two-letter country code, such as FR"
	}
	return ""
}

// refuseUnusable refuses a kind of export with rows none of which could be
// loaded: every row rejected means files of the wrong shape (dates in a
// form no export writes, say), and an audit that goes on would report a
// clean org for want of data. The error quotes the first reject. A file
// all of whose rows were rejected beside others of its kind that loaded
// (one bad page of a REST export) is a file with rejects, and warned of;
// so is an AuthSession or Login History export with no rows at all (a
// header, a REST page without records): every check of it then finds
// nothing, which must not read as a clean org.
func (l *loader) refuseUnusable(ctx context.Context, st *Stats) error {
	type tally struct {
		read, kept int64
		files      int       // with rows, none of them loaded
		first      FileStats // the first of those
	}
	byKind := map[Kind]*tally{}
	var order []Kind
	var hopeless []FileStats
	for _, f := range st.Files {
		t := byKind[f.Kind]
		if t == nil {
			t = &tally{}
			byKind[f.Kind] = t
			order = append(order, f.Kind)
		}
		t.read += f.Read
		t.kept += f.Loaded + f.Duplicates
		if f.Read > 0 && f.Loaded+f.Duplicates == 0 {
			hopeless = append(hopeless, f)
			if t.files == 0 {
				t.first = f
			}
			t.files++
		}
	}
	for _, k := range order {
		if t := byKind[k]; t.read > 0 && t.kept == 0 {
			first, err := l.firstReject(ctx, t.first.File)
			if err != nil {
				return err
			}
			what := fmt.Sprintf("none of its %d rows could be loaded", t.first.Read)
			if t.first.Read == 1 {
				what = "its one row could not be loaded"
			}
			switch others := t.files - 1; {
			case others == 1:
				what += fmt.Sprintf(", nor any of the %d rows of the other %s file", t.read-t.first.Read, k)
			case others > 1:
				what += fmt.Sprintf(", nor any of the %d rows of the %d other %s files", t.read-t.first.Read, others, k)
			}
			return &InputError{File: t.first.File, Err: fmt.Errorf("%s, so the audit would have no %s to check; the first rejected: %s", what, k, first)}
		}
	}
	for _, f := range hopeless {
		first, err := l.firstReject(ctx, f.File)
		if err != nil {
			return err
		}
		what := fmt.Sprintf("None of the %d rows of %s could be loaded", f.Read, f.File)
		if f.Read == 1 {
			what = fmt.Sprintf("The one row of %s could not be loaded", f.File)
		}
		st.Warnings = append(st.Warnings, fmt.Sprintf("%s (other %s files loaded); the first rejected: %s.", what, f.Kind, first))
	}
	for _, k := range []struct {
		kind Kind
		what string
	}{{Sessions, "sessions (AuthSession)"}, {Logins, "logins (Login History)"}} {
		if t := byKind[k.kind]; t != nil && t.read == 0 {
			st.Warnings = append(st.Warnings, fmt.Sprintf("No %s were loaded: the export holds no rows, so the checks that read them had nothing to check.", k.what))
		}
	}
	return nil
}

// firstReject describes the first reject of file: its line, reason and value.
func (l *loader) firstReject(ctx context.Context, file string) (string, error) {
	var line sql.NullInt64
	var reason, value string
	err := l.conn.QueryRowContext(ctx, `SELECT line, reason, coalesce(value, '') FROM rejects WHERE file = ? ORDER BY line NULLS LAST LIMIT 1`, tableName(file)).
		Scan(&line, &reason, &value)
	if err != nil {
		return "", fmt.Errorf("finding the first reject of %s: %w", file, err)
	}
	first := reason
	if value != "" {
		first = fmt.Sprintf("%s (%q)", reason, truncate(value, 60))
	}
	if line.Valid {
		first = fmt.Sprintf("line %d: %s", line.Int64, first)
	}
	return first, nil
}

// timeWhat is what() of a date-time, with an example of the form expected:
// an export's, or a Setup download's in the order its dates were read (day
// first with dots, or year first, when they were written so).
func timeWhat(setup, dayFirst, dotted, yearFirst bool) string {
	switch {
	case setup && dotted:
		return "a valid date-time such as 26.11.2026 15:04"
	case setup && yearFirst:
		return "a valid date-time such as 2026/11/26 15:04"
	case setup && dayFirst:
		return "a valid date-time such as 26/11/2026 15:04"
	case setup:
		return "a valid date-time such as 11/26/2026 3:04 PM"
	}
	return "a valid date-time with a zone, such as 2026-11-26T15:04:05.000Z"
}

// maxSeconds bounds a count of seconds (NumSecondsValid). Sessions last
// hours; the bound only keeps an absurd value, such as 9223372036854775807,
// from overflowing the session's expiry time, which stopped the whole load.
const maxSeconds = 100 * 365 * 24 * 3600

// colTypes says how each canonical field is parsed and validated; which
// fields must not be blank is requiredValues.
var colTypes = map[Kind]map[string]colType{
	Sessions: {
		"id": tID, "user_id": tID, "created": tTime, "last_modified": tTime, "num_seconds_valid": tSeconds,
		"source_ip": tIP, "parent_id": tID, "login_history_id": tID, "login_geo_id": tID,
		"is_current": tBool, "latitude": tLat, "longitude": tLon, "country_iso": tISO,
	},
	Logins: {
		"id": tID, "user_id": tID, "login_time": tTime, "source_ip": tIP, "login_geo_id": tID,
		"latitude": tLat, "longitude": tLon, "country_iso": tISO, "geo_country_iso": tISO,
	},
	Users: {"id": tID, "is_active": tBool},
	Geo:   {"id": tID, "latitude": tLat, "longitude": tLon, "country_iso": tISO},
}

// idObjects names the object each Id column must point to. Salesforce Ids
// begin with their object's key prefix, the same in every org: an Id of
// another object (an Account's 001… in place of a session's 0Ak…) is a
// reject, for apply would end whatever record a listed Id names.
var idObjects = map[Kind]map[string]sfObject{
	Sessions: {"id": authSession, "user_id": user, "parent_id": authSession, "login_history_id": loginHistory, "login_geo_id": loginGeo},
	Logins:   {"id": loginHistory, "user_id": user, "login_geo_id": loginGeo},
	Users:    {"id": user},
	Geo:      {"id": loginGeo},
}

// sfObject is a Salesforce object whose Ids the exports carry: "an
// AuthSession", with the key prefix of its Ids.
type sfObject struct{ aName, prefix string }

var (
	authSession  = sfObject{"an AuthSession", sfid.AuthSession}
	loginHistory = sfObject{"a LoginHistory", sfid.LoginHistory}
	loginGeo     = sfObject{"a LoginGeo", sfid.LoginGeo}
	user         = sfObject{"a User", sfid.User}
)

// requiredValues are the fields a row of each kind must give: a blank one
// rejects the row.
var requiredValues = map[Kind][]string{
	Sessions: {"id", "user_id", "created", "last_modified", "num_seconds_valid", "session_type"},
	Logins:   {"login_time", "status"}, // plus id and user_id in the API shape, username in Setup's
	Users:    {"id", "username"},
	Geo:      {"id"},
}

// inputFile is one file being loaded.
type inputFile struct {
	index  int
	path   string
	kind   Kind
	format format
	shape  string
	labels map[string]string // canonical field -> header text in this file
	// unread are the raw columns of a CSV file that no field is read from.
	// The load reads them all the same (see parseSelect).
	unread []string
	// idColumn is the index of a CSV file's Id column, -1 for none.
	idColumn int
	// structural holds the lines DuckDB's CSV reader rejected, ascending.
	structural []int64
	// blank holds the blank lines after a CSV header, which DuckDB's reader
	// steps over, ascending; found only for files with rejects (see blankLines).
	blank []int64
	// base is the rowid of a CSV file's first row less the lines before its
	// header (see lineSQL).
	base  int64
	page  pageInfo // what a REST page says of its query
	stats FileStats
	// parseRejects is how many of the file's rows the parse step rejected.
	parseRejects int64
	// dayFirst says that a Setup download's dates are read day first: the
	// policy's setup_date_order dmy, or under auto the download's own dates
	// (see setupDateOrder).
	dayFirst bool
	// dotted says that a Setup download's dates are written with dots
	// (26.11.2026), always day first, and none with slashes: its rejects
	// give an example in that form.
	dotted bool
	// yearFirst says the same of a Setup download whose dates begin with
	// the year (2026/11/26), and none with dots or a day and month first.
	yearFirst bool
}

// setupLogins says whether f is a Setup > Login History download.
func (f *inputFile) setupLogins() bool { return f.kind == Logins && f.shape == "setup" }

// setupDownloads counts the Setup > Login History downloads among the inputs.
func (l *loader) setupDownloads() int { return l.countFiles((*inputFile).setupLogins) }

// countFiles counts the input files keep says yes to.
func (l *loader) countFiles(keep func(*inputFile) bool) int {
	n := 0
	for _, f := range l.files {
		if keep(f) {
			n++
		}
	}
	return n
}

// maxRejectValue is how many characters of a rejected value the rejects
// keep; the rest is counted.
const maxRejectValue = 1000

// Load reads every input file into the tables of schema.sql. A file that
// cannot be used at all stops the load with an *InputError or a
// *MissingColumnsError; a row that cannot be used goes to the rejects table
// with its file, line, field and reason.
func Load(ctx context.Context, db *sql.DB, in Inputs, opts Options) (Stats, error) {
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	if opts.SetupDateOrder == "" {
		opts.SetupDateOrder = DateOrderAuto
	}
	if !slices.Contains(DateOrders, opts.SetupDateOrder) {
		return Stats{}, fmt.Errorf("internal error: unknown Setup date order %q", opts.SetupDateOrder)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return Stats{}, err
	}
	defer conn.Close()
	l := &loader{conn: conn, opts: opts, geo: len(in.Geo) > 0, lines: map[Kind]bool{}}
	defer func() {
		if l.links != "" {
			os.RemoveAll(l.links)
		}
	}()
	return l.load(ctx, in)
}

type loader struct {
	conn  *sql.Conn
	opts  Options
	files []*inputFile
	skips bool // some CSV file had lines DuckDB's reader rejected (sa_skips)
	geo   bool // a LoginGeo export is given
	// required holds, per table, the NOT NULL columns and the placeholder a
	// rejected row holds in each (see openTables).
	required map[Kind]map[string]string
	// lines holds the kinds whose table has the sa_line column: those with a
	// JSON file (see addLineColumn).
	lines map[Kind]bool
	// json holds the records of JSON files not inserted yet (see jsonGroup).
	json *jsonGroup
	// rejected holds the kinds with a row the parse step rejected (see
	// countRejects).
	rejected map[Kind]bool
	// links is the private folder of the plain names DuckDB reads files
	// through when their own names would be read as patterns (see readPath).
	links string
	// dateWarnings are the warnings about Setup downloads' times: a date
	// order guessed (see setupDateOrder), or clock times repeated as
	// daylight saving time ends.
	dateWarnings []string
	// redacted counts the rejects redactRejects took a token out of.
	redacted int
}

// readPath is the name DuckDB's readers are given for f. DuckDB takes a
// name with *, ? or [ for a pattern, and would read other files, or none,
// under f's name, and refuses a name that is not valid UTF-8 as if the
// file's content were; such a file is read through a link with a plain name
// in a private folder that the load removes. Reports keep the name as given.
func (l *loader) readPath(f *inputFile) (string, error) {
	if !strings.ContainsAny(f.path, "*?[") && utf8.ValidString(f.path) {
		return f.path, nil
	}
	target, err := filepath.Abs(f.path)
	if err != nil {
		return "", &InputError{File: f.path, Err: err}
	}
	if l.links == "" {
		if l.links, err = os.MkdirTemp(l.opts.TempDir, "sessionaudit-links-"); err != nil {
			return "", fmt.Errorf("making a folder for links to %s: %w", f.path, err)
		}
	}
	link := filepath.Join(l.links, fmt.Sprintf("input-%d", f.index))
	if err := os.Symlink(target, link); err != nil && !errors.Is(err, fs.ErrExist) {
		return "", &InputError{File: f.path, Err: fmt.Errorf("the name has *, ? or [, which the database reads as a pattern, and a link to it could not be made (%v): rename the file", err)}
	}
	return link, nil
}

// reads says whether the load reads a field at all: LoginGeoId is only the
// key to the LoginGeo export, so it is read only when one is given.
func (l *loader) reads(field string) bool { return field != "login_geo_id" || l.geo }

func (l *loader) progress(format string, args ...any) {
	if l.opts.Progress != nil {
		l.opts.Progress(fmt.Sprintf(format, args...))
	}
}

func (l *loader) exec(ctx context.Context, query string, args ...any) error {
	_, err := l.conn.ExecContext(ctx, query, args...)
	return err
}

func (l *loader) load(ctx context.Context, in Inputs) (Stats, error) {
	var given givenFiles
	for _, group := range []struct {
		kind  Kind
		paths []string
	}{{Users, in.Users}, {Geo, in.Geo}, {Sessions, in.Sessions}, {Logins, in.Logins}} {
		for _, p := range group.paths {
			if err := given.add(p, group.kind); err != nil {
				return Stats{}, err
			}
			l.files = append(l.files, &inputFile{index: len(l.files), path: p, kind: group.kind, dayFirst: l.opts.SetupDateOrder == DateOrderDMY})
		}
	}
	if err := l.exec(ctx, macrosSQL); err != nil {
		return Stats{}, fmt.Errorf("creating parse macros: %w", err)
	}
	if err := l.exec(ctx, `CREATE OR REPLACE TEMP TABLE sa_files (file_index INTEGER, path VARCHAR, shape VARCHAR, ip_label VARCHAR, base BIGINT)`); err != nil {
		return Stats{}, err
	}
	if err := l.openTables(ctx); err != nil {
		return Stats{}, fmt.Errorf("preparing tables: %w", err)
	}
	for _, f := range l.files {
		if err := l.loadFile(ctx, f); err != nil {
			return Stats{}, err
		}
		if l.json == nil {
			if err := ReleaseMemory(ctx, l.conn); err != nil {
				return Stats{}, err
			}
		}
	}
	if err := l.flushJSON(ctx); err != nil {
		return Stats{}, err
	}
	if err := l.listFiles(ctx); err != nil {
		return Stats{}, fmt.Errorf("listing the input files: %w", err)
	}
	if err := l.countRead(ctx); err != nil {
		return Stats{}, fmt.Errorf("counting rows: %w", err)
	}
	if err := l.checkIPs(ctx); err != nil {
		return Stats{}, fmt.Errorf("checking source IPs: %w", err)
	}
	if err := l.countRejects(ctx); err != nil {
		return Stats{}, fmt.Errorf("counting rejects: %w", err)
	}
	if err := l.findBlankLines(ctx); err != nil {
		return Stats{}, err
	}
	var err error
	if l.skips, err = l.skipLines(ctx); err != nil {
		return Stats{}, fmt.Errorf("recording refused lines: %w", err)
	}
	if err := l.resolveJSONLines(ctx); err != nil {
		return Stats{}, fmt.Errorf("finding the lines of rejected JSON records: %w", err)
	}
	if err := l.moveRejects(ctx); err != nil {
		return Stats{}, fmt.Errorf("recording rejects: %w", err)
	}
	if err := l.refuseRepeatedHeader(ctx); err != nil {
		return Stats{}, err
	}
	if err := l.redactRejects(ctx); err != nil {
		return Stats{}, fmt.Errorf("redacting tokens in rejects: %w", err)
	}
	// A reject's value shows what was wrong, not a page of text: a row
	// can be long (up to DuckDB's 10 MB).
	if err := l.exec(ctx, fmt.Sprintf(`UPDATE rejects SET value = left(value, %[1]d) || printf('… (%%d more characters)', length(value) - %[1]d)
		WHERE length(value) > %[1]d`, maxRejectValue)); err != nil {
		return Stats{}, fmt.Errorf("shortening rejected values: %w", err)
	}
	// Every file has been read: one that changed meanwhile was still being
	// written (or was replaced), and its rows read cannot be accounted for.
	if err := given.unchanged(); err != nil {
		return Stats{}, err
	}
	l.progress("de-duplicating and resolving users")
	if err := l.finish(ctx); err != nil {
		return Stats{}, err
	}
	if err := l.closeTables(ctx); err != nil {
		return Stats{}, fmt.Errorf("closing tables: %w", err)
	}
	st, err := l.stats(ctx)
	if err != nil {
		return Stats{}, fmt.Errorf("counting rows: %w", err)
	}
	st.Warnings = append(pageWarnings(l.files), l.dateWarnings...)
	st.Redacted = l.redacted
	if w, err := l.unmatchedSetupUsers(ctx); err != nil {
		return Stats{}, fmt.Errorf("matching the users of Setup downloads: %w", err)
	} else if w != "" {
		st.Warnings = append(st.Warnings, w)
	}
	if err := l.refuseUnusable(ctx, &st); err != nil {
		return Stats{}, err
	}
	// The connection goes back to the pool, temp tables and all: free the
	// working tables so the checks have the memory.
	for _, t := range []string{"sa_who", "sa_name_of", "sa_id_of", "sa_countries", "sa_files", "sa_exports", "sa_json_files", "sa_json_lines", "sa_raw_ips", "sa_ipfix", "sa_skips",
		"sa_reject_errors", "sa_reject_scans", "sa_dup_rows"} {
		if err := l.exec(ctx, "DROP TABLE IF EXISTS "+t); err != nil {
			return Stats{}, err
		}
	}
	return st, ReleaseMemory(ctx, l.conn)
}

// givenFiles tells whether a path names a file given before, however it is
// spelled ("fails.csv", "./fails.csv", its absolute path, a link to it): a
// file read twice would count its rows twice, and the rows of a Setup
// download, which have no Ids to de-duplicate, would make false findings.
type givenFiles struct {
	paths []string
	kinds []Kind
	infos []os.FileInfo // nil where the file could not be examined
	abs   []string      // the cleaned absolute path, for those
}

// unchanged returns an InputError for the first regular file whose size or
// modification time is no longer what it was when it was given: an export
// still being written, or replaced, while the audit read it.
func (g *givenFiles) unchanged() error {
	for i, p := range g.paths {
		before := g.infos[i]
		if before == nil || !before.Mode().IsRegular() {
			continue
		}
		now, err := os.Stat(p)
		if err != nil {
			return &InputError{File: p, Err: fmt.Errorf("the file went away while the audit read it: %w", err)}
		}
		what := ""
		switch {
		case now.Size() != before.Size():
			what = fmt.Sprintf("%d bytes when it began, %d now", before.Size(), now.Size())
		case !now.ModTime().Equal(before.ModTime()):
			what = fmt.Sprintf("its modification time went from %s to %s", before.ModTime().UTC().Format("2006-01-02 15:04:05 UTC"),
				now.ModTime().UTC().Format("2006-01-02 15:04:05 UTC"))
		default:
			continue
		}
		return &InputError{File: p, Err: fmt.Errorf("the file changed while the audit read it (%s): "+
			"if an export is still writing it, audit it once the export has finished", what)}
	}
	return nil
}

// add records path, given as an export of kind k, or says which earlier
// spelling, and flag, names the same file.
func (g *givenFiles) add(path string, k Kind) error {
	info, _ := os.Stat(path) // nil if it cannot be examined: opening it fails later, saying why
	// The format is read from the start of the file, which the database then
	// reads again from the top: a pipe would give it only the rest (and a
	// FIFO nothing at all, forever).
	switch {
	case info == nil || info.Mode().IsRegular():
	case info.IsDir():
		return &InputError{File: path, Err: errors.New("this is a folder, not an export file")}
	default:
		return &InputError{File: path, Err: errors.New("this is not a regular file (a pipe, a FIFO or a device), which cannot be read twice: save the export to a file first")}
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = filepath.Clean(path)
	}
	for i, q := range g.paths {
		same := info != nil && g.infos[i] != nil && os.SameFile(info, g.infos[i])
		if (info == nil || g.infos[i] == nil) && abs == g.abs[i] {
			same = true
		}
		if !same {
			continue
		}
		flags := fmt.Sprintf("to --%s and --%s", g.kinds[i], k)
		if g.kinds[i] == k {
			flags = fmt.Sprintf("to --%s", k)
		}
		if q == path {
			return &InputError{File: path, Err: fmt.Errorf("the file is given twice, %s", flags)}
		}
		return &InputError{File: path, Err: fmt.Errorf("the file is given twice, %s (also as %s)", flags, q)}
	}
	g.paths, g.kinds, g.infos, g.abs = append(g.paths, path), append(g.kinds, k), append(g.infos, info), append(g.abs, abs)
	return nil
}

// kinds are the tables a load fills, in the order it fills them.
var kinds = []Kind{Users, Geo, Sessions, Logins}

// How a load works. Rows go straight from the file into the table of their
// kind, in file order, so that a row's position (its rowid) gives its line
// without a second copy of the data. While the load runs, each table has a working column,
// sa_reject: the first reason a row is unusable, as a JSON object of its
// field, reason and value. A rejected row may lack a value the table
// requires (NOT NULL): it holds a placeholder there until it is moved out to
// rejects. A valid row never does, so the constraints stay on and catch a bug
// that lets one through. A table that gets a JSON file also has sa_line, the
// line its record starts on (CSV lines come from the position). Each column
// a row is stored with costs time, up to a quarter of a second at ten million
// logins, so the reject is one text column, not a struct of three, and
// CSV-only tables have no sa_line.

// placeholders gives, per table, its NOT NULL columns and a value of their
// type for rejected rows to hold.
func (l *loader) placeholders(ctx context.Context) (map[Kind]map[string]string, error) {
	rows, err := l.conn.QueryContext(ctx, `SELECT table_name, column_name, data_type FROM duckdb_columns()
		WHERE NOT is_nullable AND database_name = current_database() AND schema_name = 'main'`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[Kind]map[string]string{}
	for rows.Next() {
		var table, col, typ string
		if err := rows.Scan(&table, &col, &typ); err != nil {
			return nil, err
		}
		if out[Kind(table)] == nil {
			out[Kind(table)] = map[string]string{}
		}
		ph := fmt.Sprintf("CAST(0 AS %s)", typ) // the numbers
		switch typ {
		case "VARCHAR":
			ph = "''"
		case "TIMESTAMP":
			ph = "TIMESTAMP 'epoch'"
		case "BOOLEAN":
			ph = "false"
		}
		out[Kind(table)][col] = ph
	}
	return out, rows.Err()
}

// openTables adds the working columns.
func (l *loader) openTables(ctx context.Context) error {
	var err error
	if l.required, err = l.placeholders(ctx); err != nil {
		return err
	}
	for _, k := range kinds {
		if err := l.exec(ctx, fmt.Sprintf(`ALTER TABLE %s ADD COLUMN sa_reject VARCHAR`, k)); err != nil {
			return err
		}
	}
	return nil
}

// addLineColumn adds sa_line to the table of kind k, before its first JSON
// file goes in.
func (l *loader) addLineColumn(ctx context.Context, k Kind) error {
	if l.lines[k] {
		return nil
	}
	if err := l.exec(ctx, fmt.Sprintf(`ALTER TABLE %s ADD COLUMN sa_line BIGINT`, k)); err != nil {
		return err
	}
	l.lines[k] = true
	return nil
}

// closeTables drops the working columns.
func (l *loader) closeTables(ctx context.Context) error {
	for _, k := range kinds {
		drop := fmt.Sprintf(`ALTER TABLE %s DROP COLUMN sa_reject`, k)
		if l.lines[k] {
			drop += fmt.Sprintf(`; ALTER TABLE %s DROP COLUMN sa_line`, k)
		}
		if err := l.exec(ctx, drop); err != nil {
			return err
		}
	}
	return nil
}

// countRead records how many rows of each file the reader passed on (rows
// DuckDB's CSV reader refused are counted with them in Rejected).
func (l *loader) countRead(ctx context.Context) error {
	for _, k := range kinds {
		if err := l.perFile(ctx, fmt.Sprintf("SELECT src_file, count(*) FROM %s GROUP BY ALL", k), func(f *inputFile, n int64) {
			f.stats.Read += n
		}); err != nil {
			return err
		}
	}
	return nil
}

// perFile runs a query yielding (file index, count) and hands each pair to fn.
func (l *loader) perFile(ctx context.Context, query string, fn func(f *inputFile, n int64)) error {
	rows, err := l.conn.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var idx int
		var n int64
		if err := rows.Scan(&idx, &n); err != nil {
			return err
		}
		fn(l.files[idx], n)
	}
	return rows.Err()
}

func (l *loader) loadFile(ctx context.Context, f *inputFile) error {
	l.progress("reading %s", f.path)
	fmtInfo, err := sniff(f.path)
	if err != nil {
		return &InputError{File: f.path, Err: err}
	}
	f.format = fmtInfo
	var base int64 // the rowid of the file's first row; JSON rows carry their lines instead
	if fmtInfo.json {
		err = l.loadJSON(ctx, f)
	} else {
		// The JSON rows before this file go in first, to keep rows in file
		// order. No row is deleted before every file is in, so the count is
		// the rowid the file's first row gets.
		if err := l.flushJSON(ctx); err != nil {
			return err
		}
		if err := l.conn.QueryRowContext(ctx, fmt.Sprintf("SELECT count(*) FROM %s", f.kind)).Scan(&base); err != nil {
			return err
		}
		err = l.loadCSV(ctx, f)
	}
	if err != nil {
		return err
	}
	f.stats.File, f.stats.Kind, f.stats.Format = f.path, f.kind, fmtInfo.label(f.shape)
	f.stats.Setup = f.setupLogins()
	if !fmtInfo.json {
		base -= int64(fmtInfo.headerLine - 1)
	}
	f.base = base
	return nil
}

// tableName is a file's name as the tables (sources, rejects) hold it: a
// name that is not valid UTF-8, which the database cannot store as text,
// has U+FFFD for each bad byte, as the reports would show it anyway.
func tableName(path string) string { return strings.ToValidUTF8(path, "\uFFFD") }

// listFiles fills sources and sa_files, once every file is in: a statement
// per file cost a second over the 556 pages of a REST export.
func (l *loader) listFiles(ctx context.Context) error {
	var sources, files [][]any
	for _, f := range l.files {
		sources = append(sources, []any{f.index, tableName(f.path), string(f.kind), f.stats.Format})
		files = append(files, []any{f.index, tableName(f.path), f.shape, f.labels["source_ip"], f.base})
	}
	if err := insertRows(ctx, l.conn, "sources", 4, sources); err != nil {
		return err
	}
	return insertRows(ctx, l.conn, "sa_files", 5, files)
}

// tableColumns maps the columns of each kind's table to their values over
// the parsed fields of a row. None needs another table: user names, user ids
// of Setup downloads and LoginGeo details come later, by update, for the few
// rows that lack them.
var tableColumns = map[Kind][][2]string{
	Sessions: {
		{"id", "id"}, {"user_id", "user_id"}, {"username", "username"}, {"user_key", "user_id"},
		{"created", "created"}, {"last_modified", "last_modified"}, {"num_seconds_valid", "num_seconds_valid"},
		{"expires", "last_modified + to_seconds(num_seconds_valid)"},
		{"user_type", "user_type"}, {"source_ip", "source_ip"}, {"login_type", "login_type"}, {"session_type", "session_type"},
		{"session_security_level", "session_security_level"}, {"parent_id", "coalesce(parent_id, id)"},
		{"login_history_id", "login_history_id"}, {"login_geo_id", "login_geo_id"}, {"is_current", "coalesce(is_current, false)"},
		{"city", "city"}, {"country", "country"}, {"country_iso", "country_iso"}, {"latitude", "latitude"}, {"longitude", "longitude"},
	},
	// Setup downloads give a "City, Region, Country" location instead of
	// LoginGeo fields, and a username instead of a user id.
	Logins: {
		{"id", "id"}, {"user_id", "user_id"}, {"username", "username"}, {"user_key", "coalesce(user_id, 'name:' || lower(username))"},
		{"login_time", "login_time"}, {"source_ip", "source_ip"},
		{"status", "status"}, {"success", "lower(status) = 'success'"}, {"login_geo_id", "login_geo_id"},
		{"city", "coalesce(city, nullif(trim(split_part(regexp_replace(location, " + locationCountry + ", ''), ',', 1)), ''))"},
		{"country", "coalesce(country, nullif(trim(regexp_extract(location, " + locationCountry + ", 1)), ''))"},
		{"country_iso", "coalesce(geo_country_iso, country_iso)"}, {"latitude", "latitude"}, {"longitude", "longitude"},
	},
	Users: {{"id", "id"}, {"username", "username"}, {"name", "name"}, {"user_type", "user_type"},
		{"is_active", "is_active"}, {"profile_name", "profile_name"}},
	Geo: {{"id", "id"}, {"city", "city"}, {"country", "country"}, {"country_iso", "country_iso"},
		{"latitude", "latitude"}, {"longitude", "longitude"}, {"subdivision", "subdivision"}, {"postal_code", "postal_code"}},
}

// locationCountry is the pattern, as an SQL string, of the country at the
// end of a Setup download's "City, Region, Country" location: its last part,
// or the last parts that make one of the names in countries.csv with a comma
// in it, as ISO 3166 writes some ("Seoul, Korea, Republic of", whose last
// part alone, "Republic of", would be Moldova's too) and geolocation data
// one ("Bonaire, Sint Eustatius, and Saba"). Case and spacing aside, as the
// names are matched; group 1 is the country.
var locationCountry = func() string {
	var names []string
	for _, c := range countries {
		if !strings.Contains(c.name, ",") {
			continue
		}
		name := regexp.QuoteMeta(c.name)
		name = strings.NewReplacer(", ", `,\s*`, ",", `,\s*`, " ", `\s+`, "'", "['’]").Replace(name)
		names = append(names, name)
	}
	return "'" + sqlQuote(`(?i)(?:^|,)\s*(`+strings.Join(names, "|")+`|[^,]*?)\s*$`) + "'"
}()

// insertSQL is the statement that parses a source of raw text columns into
// the table of f's kind. src must yield the columns named by raw (canonical
// field -> SQL expression over the source, "" when the file lacks the field),
// fileExpr the file's index (a JSON source carries the files of a group, see
// jsonGroup) and lineExpr the line of a JSON record ("" for CSV). It reads its
// source with no join, so DuckDB keeps the file's row order.
func (l *loader) insertSQL(f *inputFile, raw map[string]string, src, fileExpr, lineExpr string) string {
	var cols, vals []string
	for _, c := range tableColumns[f.kind] {
		cols = append(cols, c[0])
		v := c[1]
		if f.setupLogins() && c[0] == "id" {
			v = "''" // keyed 'row:<file>:<line>' once the lines are known
		}
		if ph, ok := l.required[f.kind][c[0]]; ok {
			v = fmt.Sprintf("coalesce(%s, CASE WHEN reject IS NOT NULL THEN %s END)", v, ph)
		}
		vals = append(vals, v)
	}
	cols, vals = append(cols, "src_file", "sa_reject"), append(vals, "file_index", "reject")
	if lineExpr != "" {
		cols, vals = append(cols, "sa_line"), append(vals, "line")
	} else {
		lineExpr = "NULL::BIGINT"
	}
	return fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM (%s)",
		f.kind, strings.Join(cols, ", "), strings.Join(vals, ", "), l.parseSelect(f, raw, src, fileExpr, lineExpr))
}

// parseSelect turns a source of raw text columns into the canonical fields
// of f's kind, parsed to their types, with the file, the JSON line and the
// first reason the row is unusable, if any.
func (l *loader) parseSelect(f *inputFile, raw map[string]string, src, fileExpr, lineExpr string) string {
	k := f.kind
	tz := sqlQuote(l.opts.Location.String())
	required := map[string]bool{}
	for _, r := range requiredValues[k] {
		required[r] = true
	}
	if k == Logins && f.shape == "api" {
		required["id"], required["user_id"] = true, true
	}
	if f.setupLogins() {
		required["username"] = true
	}
	var inner, outer, checks []string
	for _, c := range canonicalColumns(k) {
		r := raw[c]
		if !l.reads(c) {
			r = ""
		}
		if r == "" {
			r = "NULL::VARCHAR"
		}
		inner = append(inner, fmt.Sprintf("%s AS r_%s", r, c))
		var parse string
		t := colTypes[k][c]
		switch t {
		case tID:
			parse = "sa_id18(r_%s)"
		case tTime:
			if f.setupLogins() {
				// A JSON file with Setup labels is not examined for its
				// order (Setup writes CSV): it takes the policy's, month
				// first under auto.
				parse = fmt.Sprintf("sa_ts_local(r_%%s, '%s', %t)", tz, f.dayFirst)
			} else {
				parse = "sa_ts(r_%s)"
			}
		case tSeconds:
			parse = fmt.Sprintf("sa_seconds(r_%%s, %d)", maxSeconds)
		case tBool:
			parse = "sa_bool(r_%s)"
		case tLat:
			parse = "sa_latitude(r_%s)"
		case tLon:
			parse = "sa_longitude(r_%s)"
		case tISO:
			parse = "sa_country_iso(r_%s)"
		default:
			parse = "nullif(r_%s, '')"
		}
		expr := fmt.Sprintf(parse, c)
		outer = append(outer, fmt.Sprintf("%s AS %s", expr, c))
		label := sqlQuote(f.labels[c])
		if label == "" {
			label = c
		}
		if required[c] {
			checks = append(checks, fmt.Sprintf("WHEN sa_blank(r_%s) THEN {'field': '%s', 'reason': '%s is empty', 'value': ''}", c, label, label))
		}
		w := t.what()
		if t == tTime {
			w = timeWhat(f.setupLogins(), f.dayFirst, f.dotted, f.yearFirst)
			if f.setupLogins() {
				checks = append(checks, fmt.Sprintf("WHEN NOT sa_blank(r_%s) AND %s IS NULL AND sa_buddhist_year(r_%s) THEN {'field': '%s', 'reason': '%s has a year of the Thai Buddhist calendar, 543 years after the Gregorian one (2569 for 2026), which is not read: "+
					"download the history as a user whose locale writes Gregorian years', 'value': r_%s}", c, c, c, label, label, c))
			}
		}
		if w != "" {
			checks = append(checks, fmt.Sprintf("WHEN NOT sa_blank(r_%s) AND %s IS NULL THEN {'field': '%s', 'reason': '%s is not %s', 'value': r_%s}", c, c, label, label, w, c))
		}
		if o, ok := idObjects[k][c]; ok {
			checks = append(checks, fmt.Sprintf("WHEN NOT starts_with(%s, '%s') THEN {'field': '%s', 'reason': '%s is not %s Id (those begin %s)', 'value': r_%s}",
				c, o.prefix, label, label, o.aName, o.prefix, c))
		}
	}
	// DuckDB's CSV reader, given only some of a file's columns, fails with
	// an internal error (and invalidates the database) on a row with invalid
	// UTF-8 in a column after one it skips, where it should reject the row.
	// So every column is read: the unread ones go into a test that never
	// holds, and a row with invalid UTF-8 anywhere is a reject, whichever
	// column has it.
	if len(f.unread) > 0 {
		var un []string
		for _, c := range f.unread {
			inner = append(inner, fmt.Sprintf("%s AS u_%s", c, c))
			un = append(un, "u_"+c)
		}
		checks = append(checks, fmt.Sprintf("WHEN length(concat(%s)) < 0 THEN NULL", strings.Join(un, ", ")))
	}
	reject := "NULL::VARCHAR"
	if len(checks) > 0 {
		reject = "to_json(CASE " + strings.Join(checks, " ") + " END)::VARCHAR"
	}
	// The reject is judged on the parsed values of an inner select: written
	// out in the CASE, each parse would run twice (DuckDB does not share
	// them), which cost a quarter of the load.
	return fmt.Sprintf(`SELECT %s, r_file AS file_index, r_line AS line, %s AS reject FROM (SELECT %s, * FROM (SELECT %s, %s AS r_file, %s AS r_line FROM %s))`,
		strings.Join(canonicalColumns(k), ", "), reject, strings.Join(outer, ", "), strings.Join(inner, ", "), fileExpr, lineExpr, src)
}

// loadCSV reads a CSV export with DuckDB's reader, every column as text, so
// that each value is judged by the parse step and short or long rows land in
// DuckDB's reject table with their line.
func (l *loader) loadCSV(ctx context.Context, f *inputFile) error {
	m, err := matchHeader(f.path, f.kind, f.format.header)
	if err != nil {
		return err
	}
	f.shape = m.shape
	f.labels = map[string]string{}
	f.idColumn = -1
	raw := map[string]string{}
	var cols []string
	for i, h := range f.format.header {
		cols = append(cols, fmt.Sprintf("'c%d': 'VARCHAR'", i))
		if m.column[i] == "id" {
			f.idColumn = i
		}
		if c := m.column[i]; c != "" && l.reads(c) {
			raw[c] = fmt.Sprintf("c%d", i)
			f.labels[c] = strings.TrimSpace(h)
		} else {
			f.unread = append(f.unread, fmt.Sprintf("c%d", i))
		}
	}
	compression := "none"
	if f.format.gzip {
		compression = "gzip"
	}
	if err := l.dropCSVRejects(ctx); err != nil {
		return err
	}
	path, err := l.readPath(f)
	if err != nil {
		return err
	}
	// DuckDB would take a blank line before the header for the header, and
	// the header for a row: the lines before it are skipped. Its reject
	// lines count them still.
	src := fmt.Sprintf(`read_csv('%s', columns={%s}, header=true, skip=%d, delim=',', quote='"', escape='"', auto_detect=false,
		compression='%s', store_rejects=true, rejects_table='sa_reject_errors', rejects_scan='sa_reject_scans', max_line_size=10000000)`,
		sqlQuote(path), strings.Join(cols, ", "), f.format.headerLine-1, compression)
	// The scans of a Setup download before the load read one column, and
	// DuckDB's reader, given only some of a file's columns, fails with an
	// internal error on a row with invalid UTF-8 (see parseSelect): they
	// read every column, and leave such a row to the load to reject.
	var all []string
	for i := range f.format.header {
		all = append(all, fmt.Sprintf("c%d", i))
	}
	scan := fmt.Sprintf("(SELECT * FROM %s WHERE length(concat(%s)) >= 0)", src, strings.Join(all, ", "))
	if f.setupLogins() && l.opts.SetupDateOrder == DateOrderAuto {
		if err := l.setupDateOrder(ctx, f, scan, raw["login_time"]); err != nil {
			return err
		}
	}
	if f.setupLogins() && l.opts.Location.String() != "UTC" {
		if err := l.repeatedClockTimes(ctx, f, scan, raw["login_time"]); err != nil {
			return err
		}
	}
	damaged, err := whileVerifyingGzip(ctx, []*inputFile{f}, func() error {
		return l.exec(ctx, l.insertSQL(f, raw, src, strconv.Itoa(f.index), ""))
	})
	if damaged != nil {
		return damaged
	}
	if err != nil {
		return csvReadError(ctx, f, "reading CSV", err)
	}
	return l.collectStructuralRejects(ctx, f)
}

// csvReadError is the error for a CSV file DuckDB's reader failed on while
// doing something. The reader stops a file on mixed line breaks naming no
// line (or the first two settings it could try), so those are looked for
// first, and named by line.
func csvReadError(ctx context.Context, f *inputFile, doing string, err error) error {
	if isResourceError(err) {
		return loadError(f, doing, err)
	}
	if fault := lineEndingError(ctx, f); fault != nil {
		return fault
	}
	return loadError(f, doing, err)
}

// lineEndingError is an *InputError naming the first line of f whose line
// break differs from the header's, or nil when they are alike (or the file
// cannot be read again, which the caller's own error then reports).
func lineEndingError(ctx context.Context, f *inputFile) error {
	if line, what, err := lineEndingFault(ctx, f.path); err == nil && line > 0 {
		return &InputError{File: f.path, Err: fmt.Errorf("line %d %s", line, what)}
	}
	return nil
}

// dropCSVRejects empties DuckDB's record of the lines its CSV reader
// refused, before a file is read.
func (l *loader) dropCSVRejects(ctx context.Context) error {
	for _, t := range []string{"sa_reject_errors", "sa_reject_scans"} {
		if err := l.exec(ctx, "DROP TABLE IF EXISTS "+t); err != nil {
			return err
		}
	}
	return nil
}

// setupDateOrder finds whether the Setup download f writes its dates day
// first (26/11/2026) or month first (11/26/2026), from the numbers before
// the first two slashes of its login times, or the first two hyphens of
// those with a four-digit year after them (26-11-2026 from Java's nl,
// 11-26-2026 from its es_PR), which are read as slashed ones are: column
// col of src, the reader the load then uses. A first number over 12 can
// only be a day, a second
// one only a day too. When neither tells, or both do, the file is read
// month first, as before the order was looked for, and a warning says so:
// a day-first download read month first swaps the day and month of its
// dates, silently, wherever both are 12 or under.
func (l *loader) setupDateOrder(ctx context.Context, f *inputFile, src, col string) error {
	const re = `^(\d{1,2})/(\d{1,2})/`
	// Day and month are looked for in the values as sa_setup_time gives
	// them to strptime, trimmed (DuckDB's trim takes off no-break spaces,
	// which \s does not match) and with hyphens made slashes (26-11-2026).
	rewritten := "sa_setup_time(" + col + ")"
	col = "trim(" + col + ")"
	var dates, first, second, dotted, yearFirst int64
	// A date that is valid in neither order (13/13/2026, 31/02/2026) is
	// rejected either way, and no evidence of one: each order is tried as a
	// day of a leap year. Dotted dates (26.11.2026) and those that begin
	// with the year (2026/11/26) are counted in the same scan: their order
	// is fixed.
	err := l.conn.QueryRowContext(ctx, fmt.Sprintf(`SELECT count(d) FILTER (WHERE valid), coalesce(max(d) FILTER (WHERE valid), 0),
		coalesce(max(m) FILTER (WHERE valid), 0), count(*) FILTER (WHERE dotted), count(*) FILTER (WHERE year_first) FROM (
		SELECT d, m, TRY_CAST(printf('2000-%%02d-%%02d', m, d) AS DATE) IS NOT NULL OR TRY_CAST(printf('2000-%%02d-%%02d', d, m) AS DATE) IS NOT NULL AS valid, dotted, year_first FROM (
		SELECT TRY_CAST(regexp_extract(%[4]s, '%[2]s', 1) AS INTEGER) AS d, TRY_CAST(regexp_extract(%[4]s, '%[2]s', 2) AS INTEGER) AS m,
		    regexp_matches(%[1]s, '^\d{1,2}\. ?\d{1,2}\. ?\d') AS dotted, regexp_matches(%[1]s, '^\d{4}(/|\. )') AS year_first FROM %[3]s))`,
		col, re, src, rewritten)).Scan(&dates, &first, &second, &dotted, &yearFirst)
	if err != nil {
		return csvReadError(ctx, f, "finding the order of day and month", err)
	}
	// The next read records the lines the reader refuses afresh.
	if err := l.dropCSVRejects(ctx); err != nil {
		return err
	}
	switch {
	case dates == 0:
		// Only ISO, dotted or year-first dates, or none: nothing is read in
		// either order. Dotted ones are day first, year-first ones year,
		// month, day, as their rejects' example says.
		f.dotted = dotted > 0
		f.yearFirst = dotted == 0 && yearFirst > 0
	case first > 12 && second <= 12:
		f.dayFirst = true
	case second > 12 && first <= 12:
		// Month first, as the macro reads by default.
	case first <= 12 && second <= 12:
		l.dateWarnings = append(l.dateWarnings, fmt.Sprintf("Every date in %s written with its day and month before the year (such as 05/11/2026) has both at 12 or under, "+
			"so they were read month first; set setup_date_order: dmy if the download came from a day-first locale.", f.path))
	default:
		l.dateWarnings = append(l.dateWarnings, fmt.Sprintf("The dates in %s mix orders: some have a first number over 12 (day first) and some a second (month first); "+
			"it was read month first, so its day-first dates are rejected where the day is over 12 and read with day and month swapped where it is not.", f.path))
	}
	return nil
}

// repeatedClockTimes warns when a Setup download has local times the
// policy's timezone shows twice, where the clock goes back (an hour, or half
// an hour in a few zones) as daylight saving time ends: the download gives
// no offset, so each is two moments, and the load reads the later one.
// Times with a zone (a trailing GMT or UTC, an ISO offset) are not local.
// A time is shown twice when the moment 30 or 60 minutes before or after
// the one read shows the same clock time. The download is read for this on
// its own, before the load: the load keeps no note of which times had a zone.
func (l *loader) repeatedClockTimes(ctx context.Context, f *inputFile, src, col string) error {
	tz := sqlQuote(l.opts.Location.String())
	var n int64
	var first sql.NullString
	err := l.conn.QueryRowContext(ctx, fmt.Sprintf(`SELECT count(*), strftime(min(local), '%%Y-%%m-%%d %%H:%%M') FROM (
		SELECT timezone('%[1]s', u AT TIME ZONE 'UTC') AS local, u FROM (
		    SELECT sa_ts_local(%[2]s, '%[1]s', %[3]t) AS u FROM %[4]s
		    WHERE NOT regexp_matches(trim(%[2]s), '(\s(GMT|UTC)|Z|[+-]\d\d:?\d\d)$')))
		WHERE u IS NOT NULL AND list_contains([
		    timezone('%[1]s', (u - INTERVAL 30 MINUTE) AT TIME ZONE 'UTC'), timezone('%[1]s', (u - INTERVAL 60 MINUTE) AT TIME ZONE 'UTC'),
		    timezone('%[1]s', (u + INTERVAL 30 MINUTE) AT TIME ZONE 'UTC'), timezone('%[1]s', (u + INTERVAL 60 MINUTE) AT TIME ZONE 'UTC')], local)`,
		tz, col, f.dayFirst, src)).Scan(&n, &first)
	if err != nil {
		return csvReadError(ctx, f, "looking for times the clock shows twice", err)
	}
	// The next read records the lines the reader refuses afresh.
	if err := l.dropCSVRejects(ctx); err != nil {
		return err
	}
	if n > 0 {
		l.dateWarnings = append(l.dateWarnings, fmt.Sprintf("%s has %s at a time %s shows twice, where the clock goes back as daylight saving time ends "+
			"(the first at %s local time): the download gives no offset, so each could be either of two moments, and was read as the later one.",
			f.path, words.Count(n, "login", "logins"), l.opts.Location, first.String))
	}
	return nil
}

// loadError says which file a failed load was reading (doing says how);
// only a failure that is not the machine's is bad input.
func loadError(f *inputFile, doing string, err error) error {
	if isResourceError(err) {
		return fmt.Errorf("reading %s: %w", f.path, err)
	}
	return &InputError{File: f.path, Err: fmt.Errorf("%s: %w", doing, err)}
}

// isResourceError tells a failure of the machine (memory, a full disk under
// the spill folder or --db, an interrupt) from a file DuckDB cannot read:
// only the latter is bad input. The load only reads the inputs, so an IO
// error writing a file is the machine's.
func isResourceError(err error) bool {
	var de *duckdb.Error
	if !errors.As(err, &de) {
		return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
	}
	switch de.Type {
	case duckdb.ErrorTypeOutOfMemory, duckdb.ErrorTypeInterrupt, duckdb.ErrorTypeFatal, duckdb.ErrorTypeInternal:
		return true
	case duckdb.ErrorTypeIO, duckdb.ErrorTypeTransaction:
		// A load that fills the disk under --db fails as its commit
		// writes the write-ahead log: "TransactionContext Error: Failed
		// to commit: Could not write file ...".
		for _, s := range []string{"Could not write", "No space left on device", "Disk quota exceeded", "File too large"} {
			if strings.Contains(de.Msg, s) {
				return true
			}
		}
	}
	return false
}

// collectStructuralRejects moves the rows DuckDB's CSV reader refused (wrong
// number of fields, bad encoding, unterminated quotes) into rejects.
func (l *loader) collectStructuralRejects(ctx context.Context, f *inputFile) error {
	// column_idx counts from 1 for a bad value and from 0 for a missing
	// one; column_name, the c<i> loadCSV gives each column, says which
	// field was being read either way.
	rows, err := l.conn.QueryContext(ctx, `SELECT line, column_name, error_type, error_message, csv_line FROM sa_reject_errors ORDER BY line, column_idx`)
	if err != nil {
		return err
	}
	defer rows.Close()
	var rejects, rejectedLogins [][]any
	var spill error // the first quoted value that runs over lines, see below
	lastLine := int64(-1)
	for rows.Next() {
		var line sql.NullInt64
		var col, typ, msg, csvLine sql.NullString
		if err := rows.Scan(&line, &col, &typ, &msg, &csvLine); err != nil {
			return err
		}
		if line.Int64 == lastLine {
			continue // one reject per line, the first error found on it
		}
		lastLine = line.Int64
		// A row with too few or too many fields is wrong as a whole: the
		// first column it lacks (or the header's last) is no field at
		// fault, and naming it as the field would send the reader to the
		// wrong place. A short row's reason says where it ends instead.
		field, endsBefore := "", -1
		if i, err := strconv.Atoi(strings.TrimPrefix(col.String, "c")); err == nil && i >= 0 && i < len(f.format.header) {
			switch typ.String {
			case "TOO MANY COLUMNS":
			case "MISSING COLUMNS":
				endsBefore = i
			default:
				field = strings.TrimSpace(f.format.header[i])
			}
		}
		// DuckDB gives the line with the line break before it, in a CRLF
		// file, and after it.
		value := strings.Trim(csvLine.String, "\r\n")
		// A quote that does not close where a value ends and runs over
		// the lines after it (a row cut short inside a quoted value, or a
		// quote added by hand) makes those lines part of one bad row: the
		// rows on them would be neither loaded nor counted, so the file is
		// refused rather than read as one reject short. It is told from a
		// row whose own value holds a line break (a browser string, say)
		// by a line after the first that has a whole row's fields (see
		// swallowedRows).
		if extra, cut := swallowedRows(value, len(csvLine.String), len(f.format.header)); extra > 0 && typ.String == "UNQUOTED VALUE" && spill == nil {
			took := fmt.Sprintf("runs over %s, taking in %s", linesAfter(strings.Count(value, "\n")), words.Count(int64(extra), "row", "rows"))
			if cut {
				took = "runs past the 10,000 bytes of it DuckDB keeps, so it may take in rows"
			}
			spill = &InputError{File: f.path, Err: fmt.Errorf("line %d: a quoted value in %s does not close where a value ends and %s that would go uncounted: "+
				"the file is damaged at line %d (a row cut short, or a quote added by hand); repair that row or export the file again",
				line.Int64, orField(field), took, line.Int64)}
		}
		f.structural = append(f.structural, line.Int64)
		reason := structuralReason(typ.String, msg.String, f.format.header, endsBefore)
		rejects = append(rejects, []any{tableName(f.path), line.Int64, field, reason, value})
		// A login row the reader refused may still give its Id, for
		// session_without_login to name the row (see moveRejects).
		if f.kind == Logins && f.idColumn >= 0 {
			rejectedLogins = append(rejectedLogins, []any{nullIfEmpty(loginIDIn(value, f.idColumn)), tableName(f.path), line.Int64, sfid.RedactTokens(reason)})
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	// A quoted file whose line breaks change kind part way does not stop
	// the reader: from there on, it reads runs of lines as one row and
	// rejects it, and the lines inside are never counted. Rows it could not
	// split are where that shows, so the breaks are checked then.
	if len(rejects) > 0 {
		if fault := lineEndingError(ctx, f); fault != nil {
			return fault
		}
	}
	if spill != nil {
		return spill
	}
	f.stats.Rejected += int64(len(rejects))
	f.stats.Read += int64(len(rejects))
	if err := insertRows(ctx, l.conn, "rejected_logins", 4, rejectedLogins); err != nil {
		return err
	}
	return insertRows(ctx, l.conn, "rejects", 5, rejects)
}

// nullIfEmpty is s, or nil (NULL) when s is "".
func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// loginIDIn returns the LoginHistory Id in field i of a CSV row the reader
// refused (too few or too many fields, invalid UTF-8), or "" (see loginID).
func loginIDIn(row string, i int) string {
	r := csv.NewReader(strings.NewReader(row))
	r.LazyQuotes = true
	r.FieldsPerRecord = -1
	fields, err := r.Read()
	if err != nil || i >= len(fields) {
		return ""
	}
	return loginID(fields[i])
}

// loginID returns s as the load reads a LoginHistory Id (sa_id18: 15
// characters gain their suffix, 18 are kept as written), or "" when s is no
// such Id.
func loginID(s string) string {
	if !strings.HasPrefix(s, "0Ya") || !sfid.Shaped(s) {
		return ""
	}
	if len(s) == 15 {
		suffix := sfid.Suffix(s)
		return s + string(suffix[:])
	}
	return s
}

// rejectTextLimit is the most of a rejected row's text DuckDB keeps:
// csv_line stops at 10,000 bytes, and a text that long may end inside the
// lines it took in, or before them.
const rejectTextLimit = 10_000

// swallowedRows counts the lines after the first of a rejected CSV row's
// text that are rows of their own, which a quote left open took in: lines
// that read as a whole, well-formed row of width fields or more (a quoted
// field closes before a comma, a bare one holds no quote). The rest of the
// row's own value, after a line break inside it, starts inside quotes, so
// its closing quote makes it no such row. A text DuckDB cut short (rawLen
// at its limit) cannot be judged: every line after the first counts, and
// at least one; cut is then true.
func swallowedRows(value string, rawLen, width int) (n int, cut bool) {
	lines := strings.Split(value, "\n")
	if rawLen >= rejectTextLimit {
		return max(len(lines)-1, 1), true
	}
	for _, l := range lines[1:] {
		if fields, ok := csvRowFields(strings.TrimSuffix(l, "\r")); ok && fields >= width {
			n++
		}
	}
	return n, false
}

// csvRowFields counts the fields of line read as one well-formed CSV row,
// and says whether it is one: each field bare and without quotes, or quoted
// from its first character to a closing quote right before a comma or the
// end, quotes inside doubled.
func csvRowFields(line string) (int, bool) {
	n := 1
	for i := 0; i <= len(line); n++ {
		if i < len(line) && line[i] == '"' {
			i++
			for {
				j := strings.IndexByte(line[i:], '"')
				if j < 0 {
					return n, false // never closed on this line
				}
				i += j + 1
				if i < len(line) && line[i] == '"' {
					i++ // a doubled quote
					continue
				}
				break
			}
			if i == len(line) {
				return n, true
			}
			if line[i] != ',' {
				return n, false // more after the closing quote
			}
			i++
			continue
		}
		j := strings.IndexByte(line[i:], ',')
		if j < 0 {
			return n, !strings.Contains(line[i:], `"`)
		}
		if strings.Contains(line[i:i+j], `"`) {
			return n, false
		}
		i += j + 1
	}
	return n, true
}

// linesAfter words n lines after a row: "the line after it", "the 3 lines
// after it".
func linesAfter(n int) string {
	if n == 1 {
		return "the line after it"
	}
	return fmt.Sprintf("the %d lines after it", n)
}

// orField names a field for a message, or "its row" without one.
func orField(field string) string {
	if field == "" {
		return "its row"
	}
	return fmt.Sprintf("the %s column", field)
}

// structuralReason words DuckDB's CSV error types for an analyst. header is
// the file's; endsBefore, for a short row, the index of its first missing
// column (the number of fields it has), or -1.
func structuralReason(typ, msg string, header []string, endsBefore int) string {
	want := len(header)
	switch typ {
	case "MISSING COLUMNS":
		if endsBefore >= 0 && endsBefore < want {
			return fmt.Sprintf("The row has too few fields: %d of the header's %d, ending before %s", endsBefore, want, strings.TrimSpace(header[endsBefore]))
		}
		return fmt.Sprintf("The row has too few fields (the header has %d)", want)
	case "TOO MANY COLUMNS":
		return fmt.Sprintf("The row has too many fields (the header has %d)", want)
	case "INVALID ENCODING", "INVALID UNICODE":
		return "The row is not valid UTF-8"
	case "UNQUOTED VALUE":
		// DuckDB says so of '"2"x' and of '"Chr"ome"' (and of a quote that
		// runs over lines, which collectStructuralRejects refuses).
		return "a quoted value is followed by other characters, or holds a quote not doubled"
	case "LINE SIZE OVER MAXIMUM":
		return "The row is longer than 10 MB"
	}
	if msg == "" {
		return strings.ToLower(typ)
	}
	return msg
}

// insertRows inserts rows of width values each into table.
func insertRows(ctx context.Context, conn *sql.Conn, table string, width int, rows [][]any) error {
	return InsertRows(ctx, conn, table, "("+strings.TrimSuffix(strings.Repeat("?, ", width), ", ")+")", rows)
}

// InsertRows inserts rows into table with multi-row INSERTs of up to 500
// rows; tuple is the VALUES tuple with one ? per value, such as "(?, ?)" or
// "(?, to_microseconds(?))". db is a connection or a transaction. It is for
// the few rows Go makes (rejects, policy tables, file lists): DuckDB reads
// the exports itself.
func InsertRows(ctx context.Context, db interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, table, tuple string, rows [][]any) error {
	const batch = 500
	for start := 0; start < len(rows); start += batch {
		end := min(start+batch, len(rows))
		var sb strings.Builder
		var args []any
		for i := start; i < end; i++ {
			if i > start {
				sb.WriteString(", ")
			}
			sb.WriteString(tuple)
			args = append(args, rows[i]...)
		}
		if _, err := db.ExecContext(ctx, fmt.Sprintf("INSERT INTO %s VALUES %s", table, sb.String()), args...); err != nil {
			return fmt.Errorf("inserting into %s: %w", table, err)
		}
	}
	return nil
}

// redactRejects takes anything shaped like an access token or session Id
// out of the rejects' values and reasons (sfid.RedactTokens), which the
// reports and the summary show: a token pasted into a field (or a row with
// too many fields, whose value is the whole line) must not reach them. Only
// the few values with a "!" (or "%21") or the word bearer are read back into Go.
func (l *loader) redactRejects(ctx context.Context) error {
	rows, err := l.conn.QueryContext(ctx, `SELECT rowid, coalesce(value, ''), reason FROM rejects
		WHERE contains(value, '!') OR contains(value, '%21') OR contains(lower(value), 'bearer')
			OR contains(reason, '!') OR contains(reason, '%21') OR contains(lower(reason), 'bearer')`)
	if err != nil {
		return err
	}
	type fix struct {
		row           int64
		value, reason string
	}
	var fixes []fix
	for rows.Next() {
		var f fix
		if err := rows.Scan(&f.row, &f.value, &f.reason); err != nil {
			rows.Close()
			return err
		}
		if v, r := sfid.RedactTokens(f.value), sfid.RedactTokens(f.reason); v != f.value || r != f.reason {
			fixes = append(fixes, fix{f.row, v, r})
		}
	}
	if err := rows.Close(); err != nil {
		return err
	}
	if err := rows.Err(); err != nil {
		return err
	}
	l.redacted = len(fixes)
	for _, f := range fixes {
		if err := l.exec(ctx, `UPDATE rejects SET value = CASE WHEN value IS NULL THEN NULL ELSE ? END, reason = ? WHERE rowid = ?`, f.value, f.reason, f.row); err != nil {
			return err
		}
	}
	return nil
}

// checkIPs validates the distinct source IPs of sessions and logins in Go
// (DuckDB has no inet extension here), rewrites the ones whose canonical form
// differs, turns rows with an unreadable IP into rejects, and lists the
// distinct canonical addresses in source_ips, so that the checks classify
// them without another pass over the rows.
func (l *loader) checkIPs(ctx context.Context) error {
	if err := l.exec(ctx, `CREATE OR REPLACE TEMP TABLE sa_raw_ips AS
		SELECT ip, row_number() OVER () - 1 AS n FROM (
		    SELECT source_ip AS ip FROM sessions WHERE sa_reject IS NULL AND source_ip IS NOT NULL
		    UNION SELECT source_ip FROM logins WHERE sa_reject IS NULL AND source_ip IS NOT NULL)`); err != nil {
		return err
	}
	var n int64
	if err := l.conn.QueryRowContext(ctx, `SELECT count(*) FROM sa_raw_ips`).Scan(&n); err != nil {
		return err
	}
	// The addresses come to Go a batch at a time, each batch one string of
	// length-prefixed values ("7:1.2.3.4"), which any text survives; a row
	// per address cost half a second at ten million logins.
	var fixes [][]any
	for start := int64(0); start < n; start += ipBatch {
		var batch string
		if err := l.conn.QueryRowContext(ctx, `SELECT string_agg(strlen(ip) || ':' || ip, '' ORDER BY n)
			FROM sa_raw_ips WHERE n >= ? AND n < ?`, start, start+ipBatch).Scan(&batch); err != nil {
			return err
		}
		for batch != "" {
			size, rest, ok := strings.Cut(batch, ":")
			k, err := strconv.Atoi(size)
			if !ok || err != nil || k > len(rest) {
				return fmt.Errorf("internal error: bad address batch at %.20q", batch)
			}
			ip := rest[:k]
			batch = rest[k:]
			canon, valid := CanonicalIP(ip)
			switch {
			case !valid:
				fixes = append(fixes, []any{ip, nil})
			case canon != ip:
				fixes = append(fixes, []any{ip, canon})
			}
		}
	}
	if err := l.exec(ctx, `CREATE OR REPLACE TEMP TABLE sa_ipfix (raw VARCHAR, canon VARCHAR)`); err != nil {
		return err
	}
	if err := insertRows(ctx, l.conn, "sa_ipfix", 2, fixes); err != nil {
		return err
	}
	if len(fixes) > 0 {
		for _, k := range []Kind{Sessions, Logins} {
			if err := l.exec(ctx, fmt.Sprintf(`UPDATE %s AS p SET source_ip = coalesce(x.canon, p.source_ip),
				sa_reject = CASE WHEN x.canon IS NULL THEN to_json({'field': f.ip_label, 'reason': f.ip_label || ' is not an IPv4 or IPv6 address', 'value': p.source_ip})::VARCHAR END
				FROM sa_ipfix x, sa_files f
				WHERE p.source_ip = x.raw AND p.sa_reject IS NULL AND f.file_index = p.src_file`, k)); err != nil {
				return err
			}
		}
	}
	// An address only duplicate rows have is listed too: it is classified
	// and never looked up.
	return l.exec(ctx, `INSERT INTO source_ips
		SELECT DISTINCT coalesce(x.canon, r.ip) FROM sa_raw_ips r LEFT JOIN sa_ipfix x ON x.raw = r.ip
		WHERE x.raw IS NULL OR x.canon IS NOT NULL`)
}

// ipBatch is how many distinct addresses come to Go at once (a variable so
// that a test can make batches small).
var ipBatch int64 = 200_000

// skipLines records the lines DuckDB's CSV reader rejected, so that lineSQL
// can step over them, and returns whether any file had such lines.
func (l *loader) skipLines(ctx context.Context) (bool, error) {
	// A row's line is its position among the accepted rows plus 2 (the header
	// is line 1, or base says how many lines come before it), plus one for
	// each rejected or blank line at or before it. With the
	// rejected lines s_0 < s_1 < … of a file, that is one for each j with
	// s_j - j <= position + 2, since s_j - j never decreases.
	var skips [][]any
	for _, f := range l.files {
		refused := append(slices.Clone(f.structural), f.blank...)
		slices.Sort(refused)
		for j, s := range refused {
			skips = append(skips, []any{f.index, s - int64(j)})
		}
	}
	if len(skips) == 0 {
		return false, nil
	}
	if err := l.exec(ctx, `CREATE OR REPLACE TEMP TABLE sa_skips (file_index INTEGER, threshold BIGINT)`); err != nil {
		return false, err
	}
	return true, insertRows(ctx, l.conn, "sa_skips", 2, skips)
}

// lineSQL is the SQL for the line of row p of table k, from file f
// (sa_files): the JSON line it carries, or its CSV line counted from its
// position. Lines count records: a quoted value that spans lines counts once.
func (l *loader) lineSQL(k Kind) string {
	line := "p.rowid - f.base + 2"
	if l.skips {
		line = fmt.Sprintf("%[1]s + (SELECT count(*) FROM sa_skips k WHERE k.file_index = p.src_file AND k.threshold <= %[1]s)", line)
	}
	if l.lines[k] {
		line = "coalesce(p.sa_line, " + line + ")"
	}
	return line
}

// countRejects counts, per file, the rows the parse step judged unusable.
func (l *loader) countRejects(ctx context.Context) error {
	l.rejected = map[Kind]bool{}
	for _, k := range kinds {
		if err := l.perFile(ctx, fmt.Sprintf("SELECT src_file, count(*) FROM %s WHERE sa_reject IS NOT NULL GROUP BY ALL", k), func(f *inputFile, n int64) {
			f.stats.Rejected += n
			f.parseRejects = n
			l.rejected[k] = true
		}); err != nil {
			return err
		}
	}
	return nil
}

// findBlankLines lists the blank lines of the CSV files whose rejects need
// their lines. DuckDB's reader steps over a blank line without a row or a
// reject, so a line counted from a row's position would be short by the
// blank lines before it; finding them reads the file again, so only files
// with a row the parse step rejected pay for it.
func (l *loader) findBlankLines(ctx context.Context) error {
	for _, f := range l.files {
		if f.format.json || f.parseRejects == 0 {
			continue
		}
		blank, err := blankLines(ctx, f.path, f.format.headerLine)
		if err != nil && ctx.Err() != nil {
			// Interrupted (SIGINT, SIGTERM): not the file's fault, so
			// not unusable input (exit 2).
			return fmt.Errorf("finding the lines of rejected rows of %s: %w", f.path, err)
		}
		if err != nil {
			return &InputError{File: f.path, Err: fmt.Errorf("finding the lines of rejected rows: %w", err)}
		}
		f.blank = blank
	}
	return nil
}

// moveRejects moves the rows the parse step judged unusable into rejects.
func (l *loader) moveRejects(ctx context.Context) error {
	for _, k := range kinds {
		if !l.rejected[k] {
			continue
		}
		if err := l.exec(ctx, fmt.Sprintf(`INSERT INTO rejects
			SELECT f.path, %s, p.sa_reject->>'field', p.sa_reject->>'reason', p.sa_reject->>'value'
			FROM %s p JOIN sa_files f ON f.file_index = p.src_file WHERE p.sa_reject IS NOT NULL ORDER BY p.rowid`, l.lineSQL(k), k)); err != nil {
			return err
		}
		// A rejected row of a login export with Ids is kept with its Id when
		// the Id itself was readable (a rejected row's unreadable Id is
		// empty; a Setup download's rows have none), with its reason: the
		// records of a REST page saved on one line share their line, so
		// rejects cannot tell their reasons apart by file and line. A
		// reason of this step is a column's label and fixed words, which
		// hold no token for redactRejects to take out.
		if k == Logins {
			if err := l.exec(ctx, fmt.Sprintf(`INSERT INTO rejected_logins
				SELECT CASE WHEN starts_with(p.id, '0Ya') THEN p.id END, f.path, %s, p.sa_reject->>'reason'
				FROM logins p JOIN sa_files f ON f.file_index = p.src_file
				WHERE p.sa_reject IS NOT NULL AND f.shape <> 'setup' ORDER BY p.rowid`, l.lineSQL(k))); err != nil {
				return err
			}
		}
		if err := l.exec(ctx, fmt.Sprintf("DELETE FROM %s WHERE sa_reject IS NOT NULL", k)); err != nil {
			return err
		}
	}
	return nil
}

// refuseRepeatedHeader stops the audit at a CSV row that repeats its file's
// header, as two exports joined into one file give: the rows after it are
// read by the first header's columns, so a second export whose columns come
// in another order would load with its values swapped (a LoginType read as
// the Status, an Id as the ParentId). Such a row is rejected, since a column
// name is never a valid value of a typed field; it is told by a rejected
// value that is one of its file's column names, in any column (the second
// header may have moved them), in any case, and without a second file's
// byte-order mark (before which quotes are no quotes to the reader). Only
// CSV files have a header in their rows: a JSON record is only a reject.
func (l *loader) refuseRepeatedHeader(ctx context.Context) error {
	columns := map[string]map[string]bool{} // file -> its column names, lower case
	paths := map[string]string{}            // file as rejects name it -> as given
	var names []string
	for _, f := range l.files {
		if f.format.json {
			continue
		}
		cols := map[string]bool{}
		for _, h := range f.format.header {
			if h = strings.ToLower(strings.TrimSpace(h)); h == "" {
				continue // a blank required value is no header
			}
			cols[h] = true
			names = append(names, "'"+sqlQuote(h)+"'")
		}
		columns[tableName(f.path)], paths[tableName(f.path)] = cols, f.path
	}
	if len(names) == 0 {
		return nil
	}
	rows, err := l.conn.QueryContext(ctx, `SELECT file, line, field, v FROM (
		    SELECT *, trim(replace(value, chr(65279), ''), ' "') AS v FROM rejects WHERE field IS NOT NULL)
		WHERE lower(v) IN (`+strings.Join(names, ", ")+`) ORDER BY line`)
	if err != nil {
		return fmt.Errorf("looking for repeated headers: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var file, field, value string
		var line sql.NullInt64
		if err := rows.Scan(&file, &line, &field, &value); err != nil {
			return err
		}
		if columns[file][strings.ToLower(value)] && line.Valid {
			return &InputError{File: paths[file], Err: fmt.Errorf("line %d repeats the header (%q under the column %q): "+
				"two exports joined into one file? The rows after it would be read by the first header's columns; give each export as its own file",
				line.Int64, value, field)}
		}
	}
	return rows.Err()
}

// finish gives Setup rows their Ids, de-duplicates each kind by Id (the first
// file and row win), and fills in usernames, user ids and LoginGeo details
// from the other exports, updating only the rows that lack them.
func (l *loader) finish(ctx context.Context) error {
	// Setup downloads carry no Id: each row is its own record, keyed by file and line.
	if l.setupDownloads() > 0 {
		if err := l.exec(ctx, `UPDATE logins AS p SET id = 'row:' || p.src_file || ':' || `+l.lineSQL(Logins)+`
			FROM sa_files f WHERE f.file_index = p.src_file AND p.id = ''`); err != nil {
			return fmt.Errorf("keying Setup rows: %w", err)
		}
	}
	if err := l.recordCoverage(ctx); err != nil {
		return fmt.Errorf("finding what the login history covers: %w", err)
	}
	if err := l.recordSpans(ctx); err != nil {
		return fmt.Errorf("finding the time each export covers: %w", err)
	}
	for _, k := range kinds {
		if err := l.dedup(ctx, k); err != nil {
			return fmt.Errorf("removing repeated %s Ids: %w", k, err)
		}
	}
	if err := l.dedupSetup(ctx); err != nil {
		return fmt.Errorf("removing logins repeated across Setup downloads: %w", err)
	}
	who := []string{
		// Who is who: the users export first, then what sessions and logins say.
		`CREATE OR REPLACE TEMP TABLE sa_who AS
		 SELECT user_id, username, min(priority) AS priority FROM (
		     SELECT id AS user_id, username, 0 AS priority FROM users WHERE username IS NOT NULL
		     UNION ALL SELECT DISTINCT user_id, username, 1 FROM sessions WHERE username IS NOT NULL
		     UNION ALL SELECT DISTINCT user_id, username, 2 FROM logins WHERE username IS NOT NULL AND user_id IS NOT NULL)
		 GROUP BY ALL`,
		`CREATE OR REPLACE TEMP TABLE sa_name_of AS SELECT user_id, arg_min(username, priority) AS username FROM sa_who GROUP BY user_id`,
		`CREATE OR REPLACE TEMP TABLE sa_id_of AS SELECT lower(username) AS lname, arg_min(user_id, priority) AS user_id FROM sa_who GROUP BY lower(username)`,
		`UPDATE sessions AS p SET username = n.username FROM sa_name_of n WHERE p.username IS NULL AND n.user_id = p.user_id`,
		// Setup downloads name the user: the users and sessions exports give the Id.
		`UPDATE logins AS p SET user_id = i.user_id, user_key = i.user_id
		 FROM sa_id_of i WHERE p.user_id IS NULL AND i.lname = lower(p.username)`,
	}
	if err := l.execSteps(ctx, who); err != nil {
		return err
	}
	// Once Setup rows name their users by Id, before anything counts them.
	if err := l.dedupSetupCopies(ctx); err != nil {
		return fmt.Errorf("removing Setup download rows that copy API logins: %w", err)
	}
	steps := []string{
		companionFamilies,
		`INSERT INTO usernames
		 SELECT user_id, user_id, username FROM sa_name_of
		 UNION ALL
		 SELECT user_key, NULL, arg_min(username, rowid) FROM logins WHERE user_id IS NULL GROUP BY user_key`,
	}
	if l.geo {
		steps = append(steps, geoSteps...)
	}
	if err := l.loadCountries(ctx); err != nil {
		return fmt.Errorf("listing country names: %w", err)
	}
	return l.execSteps(ctx, append(steps, countrySteps...))
}

// recordCoverage fills login_coverage (schema.sql) with the span of each
// export of logins with Ids. It runs before duplicates are dropped: a login
// that two overlapping exports share is kept in one of them only, which would
// leave the other's span short of where it overlaps and open a gap between
// them that no login was missing from.
func (l *loader) recordCoverage(ctx context.Context) error {
	var exports [][]any // file index, export
	for file, export := range l.loginExports() {
		if !l.files[file].setupLogins() { // keyed 'row:…': no Ids to match sessions against
			exports = append(exports, []any{file, export})
		}
	}
	if err := l.exec(ctx, `CREATE OR REPLACE TEMP TABLE sa_exports (file_index INTEGER, export INTEGER)`); err != nil {
		return err
	}
	if err := insertRows(ctx, l.conn, "sa_exports", 2, exports); err != nil {
		return err
	}
	return l.exec(ctx, `INSERT INTO login_coverage
		SELECT e.export, min(f.first_login), max(f.last_login)
		FROM (SELECT src_file, min(login_time) AS first_login, max(login_time) AS last_login FROM logins GROUP BY src_file) f
		JOIN sa_exports e ON e.file_index = f.src_file
		GROUP BY e.export`)
}

// loginExports maps each logins file to its export, named by the index of
// its first file: the REST pages of one query (restQueries) are one export,
// unless they hold more records than its totalSize, when they are of
// several queries that matched as many and nothing tells which page is
// whose, so each page is an export of its own. Every other file is an
// export of its own: a CSV file, a page that holds its whole query (done,
// with totalSize records, as an sf CLI result does), and a JSON file that
// names no totalSize, which nothing ties to another.
func (l *loader) loginExports() map[int]int {
	out := map[int]int{}
	for _, f := range l.files {
		if f.kind == Logins {
			out[f.index] = f.index
		}
	}
	queries := restQueries(l.files, func(f *inputFile) bool {
		p := f.page
		whole := p.hasDone && p.done && (p.inResult || p.hasTotal && f.stats.Read == p.totalSize)
		return f.kind == Logins && p.hasTotal && !whole
	})
	for _, q := range queries {
		if q.read > q.total {
			continue
		}
		for _, f := range q.files {
			out[f.index] = q.files[0].index
		}
	}
	return out
}

// companionFamilies puts the API session that a UI login creates beside its
// UI session since Spring '25 (SessionType API, LoginType Unknown) in the UI
// session's family. Salesforce does not say which ParentId the companion
// has: when it is the UI session's, it is in the family already; when it is
// its own, it would be a family of its own, so that one login counted twice
// (two live families from one new place) and ending the UI family left it
// running. A companion is an own-parented API session of LoginType Unknown
// that names the login a UI family's first session names, of the same user,
// created within a minute of it; it takes that family's key (the first
// such family, should there be two). The checks' live_companions
// (analyze/prelude.sql) then finds it in that family.
const companionFamilies = `UPDATE sessions AS c SET parent_id = u.family
	FROM (
	    SELECT c.id, arg_min(u.parent_id, (u.created, u.id)) AS family
	    FROM sessions c
	    JOIN sessions u ON u.login_history_id = c.login_history_id AND u.user_key = c.user_key
	    WHERE c.parent_id = c.id AND lower(c.session_type) = 'api' AND lower(c.login_type) = 'unknown'
	        AND u.parent_id = u.id AND u.id <> c.id AND lower(u.session_type) = 'ui'
	        AND u.created BETWEEN c.created - INTERVAL 1 MINUTE AND c.created + INTERVAL 1 MINUTE
	    GROUP BY c.id
	) AS u
	WHERE c.id = u.id`

// execSteps runs finish's statements in order, releasing memory after each.
func (l *loader) execSteps(ctx context.Context, steps []string) error {
	for _, s := range steps {
		if err := l.exec(ctx, s); err != nil {
			return fmt.Errorf("resolving users and places (%s): %w", strings.Join(strings.Fields(s)[:3], " "), err)
		}
		if err := ReleaseMemory(ctx, l.conn); err != nil {
			return err
		}
	}
	return nil
}

// unmatchedSetupUsers warns when the logins of a Setup download, which name
// users only by username, cannot all be tied to a user Id while some users of
// the sessions export, or of a Login History API export, have no username:
// they may be the same people, each then counted as two users, whose
// sessions the checks judge without the download's logins, and whose copies
// of one login (in the download and the API export) both count.
func (l *loader) unmatchedSetupUsers(ctx context.Context) (string, error) {
	if l.setupDownloads() == 0 {
		return "", nil
	}
	var names, ids int64
	var where string
	if err := l.conn.QueryRowContext(ctx, `WITH unnamed AS (
		    SELECT user_id, 'the sessions export' AS src FROM sessions WHERE username IS NULL AND user_id IS NOT NULL
		    UNION ALL
		    SELECT user_id, 'the Login History API export' FROM logins WHERE user_id IS NOT NULL AND NOT (id >= 'row:' AND id < 'row;')
		        AND user_id NOT IN (SELECT user_id FROM usernames WHERE user_id IS NOT NULL))
		SELECT (SELECT count(DISTINCT user_key) FROM logins WHERE user_id IS NULL),
		    (SELECT count(DISTINCT user_id) FROM unnamed),
		    (SELECT coalesce(string_agg(DISTINCT src, ' or ' ORDER BY src DESC), '') FROM unnamed)`).Scan(&names, &ids, &where); err != nil {
		return "", err
	}
	if names == 0 || ids == 0 {
		return "", nil
	}
	return fmt.Sprintf("The Setup download of Login History names users by username, and %s could not be tied to a user Id, "+
		"while %s of %s %s no username (and no other export names them): "+
		"if they are the same people, each counts as two users (ip_shared_by_users, failed_login_burst), "+
		"a login in both the download and the API export counts twice, "+
		"and concurrent_sessions, ip_new_for_user and failed_login_burst judge their sessions without the download's logins. "+
		"Give a User export (--users, with Id and Username) that names them.",
		words.Count(names, "username", "usernames"), words.Count(ids, "user", "users"), where, hasOrHave(ids)), nil
}

// hasOrHave is the verb for n things: "1 user has", "2 users have".
func hasOrHave(n int64) string {
	if n == 1 {
		return "has"
	}
	return "have"
}

// geoSteps fill in the LoginGeo details that rows of sessions and logins
// lack from the LoginGeo export.
var geoSteps = func() []string {
	var steps []string
	for _, k := range []Kind{Sessions, Logins} {
		steps = append(steps, fmt.Sprintf(`UPDATE %s AS p SET city = coalesce(p.city, g.city), country = coalesce(p.country, g.country),
		     country_iso = coalesce(p.country_iso, g.country_iso),
		     latitude = coalesce(p.latitude, g.latitude), longitude = coalesce(p.longitude, g.longitude)
		 FROM geo g WHERE g.id = p.login_geo_id
		     AND (p.city IS NULL OR p.country IS NULL OR p.country_iso IS NULL OR p.latitude IS NULL OR p.longitude IS NULL)`, k))
	}
	return steps
}()

//go:embed countries.csv
var countriesCSV string

// countries are the rows of countries.csv: a name and its ISO 3166-1 code.
// The file is embedded, so one it cannot read is a defect of the build, and
// every test of the package fails on it.
var countries = func() []struct{ name, iso string } {
	records, err := csv.NewReader(strings.NewReader(countriesCSV)).ReadAll()
	if err != nil {
		panic(fmt.Sprintf("countries.csv: %v", err))
	}
	var out []struct{ name, iso string }
	for _, r := range records[1:] { // the header
		out = append(out, struct{ name, iso string }{r[0], r[1]})
	}
	return out
}()

// loadCountries lists the country names of countries.csv with their ISO
// 3166-1 codes in sa_countries, for countrySteps. The list is the names
// ISO 3166-1 gives each country (short, common and official, as Debian's
// iso-codes lists them) and the forms geolocation services and people use
// besides (United States of America, UK, Russia, Vietnam, Ivory Coast, …);
// a name that could mean two countries ("Korea") is left out.
func (l *loader) loadCountries(ctx context.Context) error {
	var rows [][]any
	for _, c := range countries {
		rows = append(rows, []any{c.name, c.iso})
	}
	if err := l.exec(ctx, `CREATE OR REPLACE TEMP TABLE sa_countries (name VARCHAR, iso VARCHAR)`); err != nil {
		return err
	}
	return insertRows(ctx, l.conn, "sa_countries", 2, rows)
}

// countrySteps give the rows that name their country without its ISO code
// the code of that name: a Setup download's Location ends in the country's
// English name, while API exports and sessions give codes, and the checks
// compare countries code with code and name with name. Names are matched
// ignoring case, accents and spacing, once per distinct name. A name not in
// the list keeps no code.
var countrySteps = func() []string {
	var steps []string
	for _, k := range []Kind{Sessions, Logins} {
		steps = append(steps, fmt.Sprintf(`UPDATE %[1]s AS p SET country_iso = m.iso
		 FROM (SELECT n.country, c.iso
		       FROM (SELECT DISTINCT country FROM %[1]s WHERE country_iso IS NULL AND country IS NOT NULL) n
		       JOIN (SELECT sa_country_name(name) AS name, iso FROM sa_countries) c ON c.name = sa_country_name(n.country)) m
		 WHERE p.country_iso IS NULL AND p.country = m.country`, k))
	}
	return steps
}()

// dedup deletes the rows of a kind whose Id an earlier row already had:
// rows are in file order, so the earliest rowid wins.
func (l *loader) dedup(ctx context.Context, k Kind) error {
	// Rows in ascending Id order, as bulk exports usually list them, cannot
	// repeat an Id: one pass comparing each Id with the one before (LAG over
	// the rows in file order, which DuckDB streams in that order) shows it
	// and spares the hashing below, three times dearer.
	var unordered bool
	if err := l.conn.QueryRowContext(ctx, fmt.Sprintf(`SELECT EXISTS (
		SELECT 1 FROM (SELECT id, lag(id) OVER () AS prev FROM %s) WHERE id <= prev)`, k)).Scan(&unordered); err != nil {
		return err
	}
	if !unordered {
		return nil
	}
	// Ranking rows by Id costs a sort of the whole kind, so only the rows of
	// repeated Ids are ranked. Looking for them groups 8-byte hashes rather
	// than the Ids (at 50M logins a DISTINCT over the Ids ran out of memory),
	// and checks the Ids only of hashes seen twice.
	if err := l.exec(ctx, fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE sa_dup_rows AS
		WITH repeated AS (
		    SELECT id FROM %[1]s
		    WHERE hash(id) IN (SELECT hash(id) FROM %[1]s GROUP BY ALL HAVING count(*) > 1)
		    GROUP BY id HAVING count(*) > 1)
		SELECT row, src_file FROM (
		    SELECT rowid AS row, src_file, row_number() OVER (PARTITION BY id ORDER BY rowid) AS n
		    FROM %[1]s WHERE id IN (SELECT id FROM repeated))
		WHERE n > 1`, k)); err != nil {
		return err
	}
	return l.dropDupRows(ctx, k)
}

// dropDupRows counts the rows of sa_dup_rows as their files' duplicates and
// deletes them from table k.
func (l *loader) dropDupRows(ctx context.Context, k Kind) error {
	found := false
	if err := l.perFile(ctx, "SELECT src_file, count(*) FROM sa_dup_rows GROUP BY ALL", func(f *inputFile, n int64) {
		f.stats.Duplicates += n
		found = true
	}); err != nil {
		return err
	}
	if !found {
		return nil
	}
	return l.exec(ctx, fmt.Sprintf("DELETE FROM %s WHERE rowid IN (SELECT row FROM sa_dup_rows)", k))
}

// dedupSetup removes the logins that Setup downloads given together repeat:
// two downloads of overlapping periods hold the same logins, which have no
// Id to match them by. A login is the same when every column the load keeps
// is (the username in any case). Within one download identical rows are two
// logins (it gives times to the minute), so for each such login the
// download holding the most copies keeps its rows (the first of them on a
// tie) and the others' copies count as duplicates.
func (l *loader) dedupSetup(ctx context.Context) error {
	if l.setupDownloads() < 2 {
		return nil
	}
	if err := l.exec(ctx, `CREATE OR REPLACE TEMP TABLE sa_dup_rows AS
		WITH setup AS (
		    SELECT rowid AS row, src_file, {u: lower(username), t: login_time, ip: source_ip, s: status, city: city,
		        country: country, iso: country_iso, lat: latitude, lon: longitude, geo: login_geo_id} AS login
		    FROM logins WHERE id >= 'row:' AND id < 'row;'
		), per_file AS (
		    SELECT login, src_file, count(*) AS copies FROM setup GROUP BY ALL
		), keeper AS (
		    SELECT login, arg_min(src_file, (-copies, src_file)) AS src_file FROM per_file GROUP BY login HAVING count(*) > 1
		)
		SELECT s.row, s.src_file FROM setup s JOIN keeper k ON s.login IS NOT DISTINCT FROM k.login WHERE s.src_file <> k.src_file`); err != nil {
		return err
	}
	return l.dropDupRows(ctx, Logins)
}

// dedupSetupCopies removes the rows of Setup downloads that copy logins of
// an API export given with them: a download and an export of overlapping
// periods hold the same logins, which would count twice (ten failures
// reading as twenty, three logins of history as six). A Setup row copies
// an API login of the same user (once its username is tied to an Id), IP
// and status (in any case) in the same minute, the download giving times
// to the minute; in a minute holding several such logins, as many Setup
// rows as there are API logins are copies, and count as their file's
// duplicates. The API rows stay: they have Ids, seconds and places.
func (l *loader) dedupSetupCopies(ctx context.Context) error {
	if l.setupDownloads() == 0 || l.setupDownloads() == l.countFiles(func(f *inputFile) bool { return f.kind == Logins }) {
		return nil
	}
	if err := l.exec(ctx, `CREATE OR REPLACE TEMP TABLE sa_dup_rows AS
		WITH setup AS (
		    SELECT rowid AS row, src_file, user_key, date_trunc('minute', login_time) AS minute, source_ip, lower(status) AS status,
		        row_number() OVER (PARTITION BY user_key, date_trunc('minute', login_time), source_ip, lower(status) ORDER BY rowid) AS n
		    FROM logins WHERE id >= 'row:' AND id < 'row;' AND user_id IS NOT NULL
		), api AS (
		    SELECT user_key, date_trunc('minute', login_time) AS minute, source_ip, lower(status) AS status, count(*) AS copies
		    FROM logins
		    WHERE NOT (id >= 'row:' AND id < 'row;')
		        AND user_key IN (SELECT user_key FROM setup)
		        AND login_time >= (SELECT min(minute) FROM setup)
		        AND login_time < (SELECT max(minute) FROM setup) + INTERVAL 1 MINUTE
		    GROUP BY ALL
		)
		SELECT s.row, s.src_file FROM setup s
		JOIN api a ON a.user_key = s.user_key AND a.minute = s.minute AND a.source_ip IS NOT DISTINCT FROM s.source_ip AND a.status = s.status
		WHERE s.n <= a.copies`); err != nil {
		return err
	}
	return l.dropDupRows(ctx, Logins)
}

// recordSpans sets, per file of sessions or logins, the time range its
// valid rows cover (Earliest and Latest). It runs before duplicates are
// dropped, as recordCoverage does: an export overlapping an earlier one
// covers its whole span, not only the part the earlier one lacks, and an
// export whose every row another one holds covers its own span all the same.
func (l *loader) recordSpans(ctx context.Context) error {
	for k, timeCol := range map[Kind]string{Sessions: "created", Logins: "login_time"} {
		rows, err := l.conn.QueryContext(ctx, fmt.Sprintf("SELECT src_file, min(%s), max(%s) FROM %s GROUP BY src_file", timeCol, timeCol, k))
		if err != nil {
			return err
		}
		for rows.Next() {
			var idx int
			var lo, hi sql.NullTime
			if err := rows.Scan(&idx, &lo, &hi); err != nil {
				rows.Close()
				return err
			}
			s := &l.files[idx].stats
			s.Earliest, s.Latest = lo.Time, hi.Time
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// stats counts, per file, the rows loaded, and checks that every row read is
// accounted for (recordSpans has set the time range each export covers).
func (l *loader) stats(ctx context.Context) (Stats, error) {
	for _, k := range kinds {
		if err := l.perFile(ctx, fmt.Sprintf("SELECT src_file, count(*) FROM %s GROUP BY src_file", k), func(f *inputFile, n int64) {
			f.stats.Loaded = n
		}); err != nil {
			return Stats{}, err
		}
	}
	var out Stats
	for _, f := range l.files {
		if f.stats.Read != f.stats.Loaded+f.stats.Duplicates+f.stats.Rejected {
			return Stats{}, fmt.Errorf("internal error: %s: read %d rows but loaded %d, duplicates %d, rejected %d",
				f.path, f.stats.Read, f.stats.Loaded, f.stats.Duplicates, f.stats.Rejected)
		}
		out.Files = append(out.Files, f.stats)
	}
	return out, nil
}
