package ingest

import (
	"context"
	"database/sql"
	_ "embed"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"
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
	// Progress, when set, receives one line per step of a long load.
	Progress func(msg string)
}

// FileStats accounts for every row of one input file:
// Read = Loaded + Duplicates + Rejected.
type FileStats struct {
	File       string
	Kind       Kind
	Format     string
	Read       int64
	Loaded     int64
	Duplicates int64 // valid rows whose Id an earlier row or file already had
	Rejected   int64
	Earliest   time.Time // earliest CreatedDate (sessions) or LoginTime (logins) loaded
	Latest     time.Time
}

// Stats is the outcome of a load, one entry per input file in the order given.
type Stats struct {
	Files []FileStats
}

// Rejected is the number of rows of all files that went to the rejects table.
func (s Stats) Rejected() int64 {
	var n int64
	for _, f := range s.Files {
		n += f.Rejected
	}
	return n
}

// colType says how a staging column is parsed and validated.
type colType int

const (
	tText colType = iota
	tID
	tTime
	tInt
	tBool
	tIP
	tLat
	tLon
)

// sqlType is the DuckDB type a column is parsed into.
func (t colType) sqlType() string {
	switch t {
	case tTime:
		return "TIMESTAMP"
	case tInt:
		return "BIGINT"
	case tBool:
		return "BOOLEAN"
	case tLat, tLon:
		return "DOUBLE"
	}
	return "VARCHAR"
}

// what ends the sentence "<field> '<value>' is not …" for a value that does not parse.
func (t colType) what() string {
	switch t {
	case tID:
		return "a Salesforce Id (15 or 18 letters and digits)"
	case tTime:
		return "a date-time"
	case tInt:
		return "a whole number"
	case tBool:
		return "true or false"
	case tLat:
		return "a latitude between -90 and 90"
	case tLon:
		return "a longitude between -180 and 180"
	}
	return ""
}

// column types of every canonical field; required fields reject a blank value.
var colTypes = map[Kind]map[string]colType{
	Sessions: {
		"id": tID, "user_id": tID, "created": tTime, "last_modified": tTime, "num_seconds_valid": tInt,
		"source_ip": tIP, "parent_id": tID, "login_history_id": tID, "login_geo_id": tID,
		"is_current": tBool, "latitude": tLat, "longitude": tLon,
	},
	Logins: {
		"id": tID, "user_id": tID, "login_time": tTime, "source_ip": tIP, "login_geo_id": tID,
		"latitude": tLat, "longitude": tLon,
	},
	Users: {"id": tID, "is_active": tBool},
	Geo:   {"id": tID, "latitude": tLat, "longitude": tLon},
}

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
	// structural holds the lines DuckDB's CSV reader rejected, ascending.
	structural []int64
	stats      FileStats
}

// Load reads every input file into the tables of schema.sql. A file that
// cannot be used at all stops the load with an *InputError or a
// *MissingColumnsError; a row that cannot be used goes to the rejects table
// with its file, line, field and reason.
func Load(ctx context.Context, db *sql.DB, in Inputs, opts Options) (Stats, error) {
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return Stats{}, err
	}
	defer conn.Close()
	l := &loader{conn: conn, opts: opts}
	return l.load(ctx, in)
}

type loader struct {
	conn  *sql.Conn
	opts  Options
	files []*inputFile
	skips bool // some CSV file had lines DuckDB's reader rejected (sa_skips)
}

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
	seen := map[string]bool{}
	for _, group := range []struct {
		kind  Kind
		paths []string
	}{{Users, in.Users}, {Geo, in.Geo}, {Sessions, in.Sessions}, {Logins, in.Logins}} {
		for _, p := range group.paths {
			if seen[p] {
				return Stats{}, &InputError{File: p, Err: errors.New("the file is given twice")}
			}
			seen[p] = true
			l.files = append(l.files, &inputFile{index: len(l.files), path: p, kind: group.kind})
		}
	}
	if err := l.exec(ctx, macrosSQL); err != nil {
		return Stats{}, fmt.Errorf("creating parse macros: %w", err)
	}
	if err := l.exec(ctx, `CREATE OR REPLACE TEMP TABLE sa_files (file_index INTEGER, path VARCHAR, shape VARCHAR, ip_label VARCHAR, base BIGINT)`); err != nil {
		return Stats{}, err
	}
	for _, k := range []Kind{Users, Geo, Sessions, Logins} {
		if err := l.createParsed(ctx, k); err != nil {
			return Stats{}, err
		}
	}
	for _, f := range l.files {
		if err := l.loadFile(ctx, f); err != nil {
			return Stats{}, err
		}
		if err := ReleaseMemory(ctx, l.conn); err != nil {
			return Stats{}, err
		}
	}
	for _, k := range []Kind{Sessions, Logins} {
		if err := l.checkIPs(ctx, k); err != nil {
			return Stats{}, fmt.Errorf("checking the source IPs of %s: %w", k, err)
		}
	}
	var err error
	if l.skips, err = l.skipLines(ctx); err != nil {
		return Stats{}, fmt.Errorf("recording refused lines: %w", err)
	}
	if err := l.writeRejects(ctx); err != nil {
		return Stats{}, fmt.Errorf("recording rejects: %w", err)
	}
	l.progress("de-duplicating and resolving users")
	if err := l.finish(ctx); err != nil {
		return Stats{}, err
	}
	st, err := l.stats(ctx)
	if err != nil {
		return Stats{}, fmt.Errorf("counting rows: %w", err)
	}
	// The connection goes back to the pool, temp tables and all: free the
	// staging copies so the checks have the memory.
	for _, t := range []string{"sa_parsed_users", "sa_parsed_geo", "sa_parsed_sessions", "sa_parsed_logins",
		"sa_who", "sa_name_of", "sa_id_of", "sa_files", "sa_ipfix", "sa_skips", "sa_reject_errors", "sa_reject_scans"} {
		if err := l.exec(ctx, "DROP TABLE IF EXISTS "+t); err != nil {
			return Stats{}, err
		}
	}
	return st, ReleaseMemory(ctx, l.conn)
}

func parsedTable(k Kind) string { return "sa_parsed_" + string(k) }

// createParsed makes the staging table of a kind: its canonical fields parsed
// to their types, plus the file, the JSON line (CSV lines come from rowid) and
// the first reason the row is unusable, if any.
func (l *loader) createParsed(ctx context.Context, k Kind) error {
	var cols []string
	for _, c := range canonicalColumns(k) {
		cols = append(cols, fmt.Sprintf("%s %s", c, colTypes[k][c].sqlType()))
	}
	cols = append(cols, "file_index INTEGER", "line BIGINT", "reject STRUCT(field VARCHAR, reason VARCHAR, value VARCHAR)")
	return l.exec(ctx, fmt.Sprintf("CREATE OR REPLACE TEMP TABLE %s (%s)", parsedTable(k), strings.Join(cols, ", ")))
}

func (l *loader) loadFile(ctx context.Context, f *inputFile) error {
	l.progress("reading %s", f.path)
	fmtInfo, err := sniff(f.path)
	if err != nil {
		return &InputError{File: f.path, Err: err}
	}
	f.format = fmtInfo
	var base int64
	if err := l.conn.QueryRowContext(ctx, fmt.Sprintf("SELECT count(*) FROM %s", parsedTable(f.kind))).Scan(&base); err != nil {
		return err
	}
	if fmtInfo.json {
		err = l.loadJSON(ctx, f)
	} else {
		err = l.loadCSV(ctx, f)
	}
	if err != nil {
		return err
	}
	f.stats.File, f.stats.Kind, f.stats.Format = f.path, f.kind, fmtInfo.label(f.shape)
	if err := l.exec(ctx, `INSERT INTO sources VALUES (?, ?, ?, ?)`, f.index, f.path, string(f.kind), f.stats.Format); err != nil {
		return err
	}
	return l.exec(ctx, `INSERT INTO sa_files VALUES (?, ?, ?, ?, ?)`, f.index, f.path, f.shape, f.labels["source_ip"], base)
}

// parseSelect turns a source of raw text columns into the parsed layout. src
// must yield the columns named by raw (canonical field -> SQL expression over
// the source, "" when the file lacks the field) and lineExpr the line.
func (l *loader) parseSelect(f *inputFile, raw map[string]string, src, lineExpr string) string {
	k := f.kind
	tz := sqlQuote(l.opts.Location.String())
	required := map[string]bool{}
	for _, r := range requiredValues[k] {
		required[r] = true
	}
	if k == Logins && f.shape == "api" {
		required["id"], required["user_id"] = true, true
	}
	if k == Logins && f.shape == "setup" {
		required["username"] = true
	}
	var inner, outer, checks []string
	for _, c := range canonicalColumns(k) {
		r := raw[c]
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
			if f.shape == "setup" {
				parse = "sa_ts_local(r_%s, '" + tz + "')"
			} else {
				parse = "sa_ts(r_%s)"
			}
		case tInt:
			parse = "sa_int(r_%s)"
		case tBool:
			parse = "sa_bool(r_%s)"
		case tLat:
			parse = "sa_latitude(r_%s)"
		case tLon:
			parse = "sa_longitude(r_%s)"
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
		if w := t.what(); w != "" {
			checks = append(checks, fmt.Sprintf("WHEN NOT sa_blank(r_%s) AND %s IS NULL THEN {'field': '%s', 'reason': '%s is not %s', 'value': r_%s}", c, expr, label, label, w, c))
		}
	}
	reject := "NULL"
	if len(checks) > 0 {
		reject = "CASE " + strings.Join(checks, " ") + " END"
	}
	return fmt.Sprintf(`SELECT %s, %d AS file_index, r_line AS line, %s AS reject FROM (SELECT %s, %s AS r_line FROM %s)`,
		strings.Join(outer, ", "), f.index, reject, strings.Join(inner, ", "), lineExpr, src)
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
	raw := map[string]string{}
	var cols []string
	for i, h := range f.format.header {
		cols = append(cols, fmt.Sprintf("'c%d': 'VARCHAR'", i))
		if c := m.column[i]; c != "" {
			raw[c] = fmt.Sprintf("c%d", i)
			f.labels[c] = strings.TrimSpace(h)
		}
	}
	compression := "none"
	if f.format.gzip {
		compression = "gzip"
	}
	for _, t := range []string{"sa_reject_errors", "sa_reject_scans"} {
		if err := l.exec(ctx, "DROP TABLE IF EXISTS "+t); err != nil {
			return err
		}
	}
	src := fmt.Sprintf(`read_csv('%s', columns={%s}, header=true, delim=',', quote='"', escape='"', auto_detect=false,
		compression='%s', store_rejects=true, rejects_table='sa_reject_errors', rejects_scan='sa_reject_scans', max_line_size=10000000)`,
		sqlQuote(f.path), strings.Join(cols, ", "), compression)
	q := fmt.Sprintf("INSERT INTO %s %s", parsedTable(f.kind), l.parseSelect(f, raw, src, "NULL::BIGINT"))
	if err := l.exec(ctx, q); err != nil {
		return loadError(f, "reading CSV", err)
	}
	return l.collectStructuralRejects(ctx, f)
}

// loadError says which file a failed load was reading (doing says how);
// only a failure that is not the machine's is bad input.
func loadError(f *inputFile, doing string, err error) error {
	if isResourceError(err) {
		return fmt.Errorf("reading %s: %w", f.path, err)
	}
	return &InputError{File: f.path, Err: fmt.Errorf("%s: %w", doing, err)}
}

// isResourceError tells a failure of the machine (memory, the spill folder,
// an interrupt) from a file DuckDB cannot read: only the latter is bad input.
func isResourceError(err error) bool {
	var de *duckdb.Error
	if !errors.As(err, &de) {
		return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
	}
	switch de.Type {
	case duckdb.ErrorTypeOutOfMemory, duckdb.ErrorTypeInterrupt, duckdb.ErrorTypeFatal, duckdb.ErrorTypeInternal:
		return true
	}
	return false
}

// collectStructuralRejects moves the rows DuckDB's CSV reader refused (wrong
// number of fields, bad encoding, unterminated quotes) into rejects.
func (l *loader) collectStructuralRejects(ctx context.Context, f *inputFile) error {
	rows, err := l.conn.QueryContext(ctx, `SELECT line, column_idx, error_type, error_message, csv_line FROM sa_reject_errors ORDER BY line, column_idx`)
	if err != nil {
		return err
	}
	defer rows.Close()
	var rejects [][]any
	lastLine := int64(-1)
	for rows.Next() {
		var line, colIdx sql.NullInt64
		var typ, msg, csvLine sql.NullString
		if err := rows.Scan(&line, &colIdx, &typ, &msg, &csvLine); err != nil {
			return err
		}
		if line.Int64 == lastLine {
			continue // one reject per line, the first error found on it
		}
		lastLine = line.Int64
		field := ""
		if colIdx.Valid && int(colIdx.Int64) < len(f.format.header) && typ.String != "TOO MANY COLUMNS" {
			field = strings.TrimSpace(f.format.header[colIdx.Int64])
		}
		f.structural = append(f.structural, line.Int64)
		rejects = append(rejects, []any{f.path, line.Int64, field, structuralReason(typ.String, msg.String, len(f.format.header)), strings.TrimRight(csvLine.String, "\r\n")})
	}
	if err := rows.Err(); err != nil {
		return err
	}
	f.stats.Rejected += int64(len(rejects))
	f.stats.Read += int64(len(rejects))
	return insertRows(ctx, l.conn, "rejects", 5, rejects)
}

// structuralReason words DuckDB's CSV error types for an analyst.
func structuralReason(typ, msg string, want int) string {
	switch typ {
	case "MISSING COLUMNS":
		return fmt.Sprintf("the row has too few fields (the header has %d)", want)
	case "TOO MANY COLUMNS":
		return fmt.Sprintf("the row has too many fields (the header has %d)", want)
	case "INVALID ENCODING", "INVALID UNICODE":
		return "the row is not valid UTF-8"
	case "UNQUOTED VALUE":
		return "a quoted value is followed by other characters"
	case "LINE SIZE OVER MAXIMUM":
		return "the row is longer than 10 MB"
	}
	if msg == "" {
		return strings.ToLower(typ)
	}
	return msg
}

// insertRows appends rows to table with multi-row INSERT statements.
func insertRows(ctx context.Context, conn *sql.Conn, table string, width int, rows [][]any) error {
	const batch = 500
	for start := 0; start < len(rows); start += batch {
		end := min(start+batch, len(rows))
		ph := "(" + strings.TrimSuffix(strings.Repeat("?, ", width), ", ") + ")"
		var sb strings.Builder
		var args []any
		for i := start; i < end; i++ {
			if i > start {
				sb.WriteString(", ")
			}
			sb.WriteString(ph)
			args = append(args, rows[i]...)
		}
		if _, err := conn.ExecContext(ctx, fmt.Sprintf("INSERT INTO %s VALUES %s", table, sb.String()), args...); err != nil {
			return fmt.Errorf("inserting into %s: %w", table, err)
		}
	}
	return nil
}

// checkIPs validates the distinct source IPs of a kind in Go (DuckDB has no
// inet extension here), rewrites the ones whose canonical form differs, and
// turns rows with an unreadable IP into rejects.
func (l *loader) checkIPs(ctx context.Context, k Kind) error {
	rows, err := l.conn.QueryContext(ctx, fmt.Sprintf(`SELECT DISTINCT source_ip FROM %s WHERE reject IS NULL AND source_ip IS NOT NULL`, parsedTable(k)))
	if err != nil {
		return err
	}
	var fixes [][]any
	for rows.Next() {
		var ip string
		if err := rows.Scan(&ip); err != nil {
			rows.Close()
			return err
		}
		canon, ok := CanonicalIP(ip)
		switch {
		case !ok:
			fixes = append(fixes, []any{ip, nil})
		case canon != ip:
			fixes = append(fixes, []any{ip, canon})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if len(fixes) == 0 {
		return nil
	}
	if err := l.exec(ctx, `CREATE OR REPLACE TEMP TABLE sa_ipfix (raw VARCHAR, canon VARCHAR)`); err != nil {
		return err
	}
	if err := insertRows(ctx, l.conn, "sa_ipfix", 2, fixes); err != nil {
		return err
	}
	t := parsedTable(k)
	return l.exec(ctx, fmt.Sprintf(`UPDATE %[1]s SET source_ip = coalesce(x.canon, %[1]s.source_ip),
		reject = CASE WHEN x.canon IS NULL THEN {'field': f.ip_label, 'reason': f.ip_label || ' is not an IPv4 or IPv6 address', 'value': %[1]s.source_ip} END
		FROM sa_ipfix x, sa_files f
		WHERE %[1]s.source_ip = x.raw AND %[1]s.reject IS NULL AND f.file_index = %[1]s.file_index`, t))
}

// skipLines records the lines DuckDB's CSV reader rejected, so that lineSQL
// can step over them, and returns whether any file had such lines.
func (l *loader) skipLines(ctx context.Context) (bool, error) {
	// A row's line is its position among the accepted rows plus 2 (the header
	// is line 1), plus one for each rejected line at or before it. With the
	// rejected lines s_0 < s_1 < … of a file, that is one for each j with
	// s_j - j <= position + 2, since s_j - j never decreases.
	var skips [][]any
	for _, f := range l.files {
		for j, s := range f.structural {
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

// lineSQL is the SQL for the line of staging row p of file f (sa_files): the
// JSON line it carries, or its CSV line counted from its position. Lines
// count records: a quoted value that spans lines counts once.
func (l *loader) lineSQL() string {
	pos := "p.rowid - f.base + 2"
	if !l.skips {
		return "coalesce(p.line, " + pos + ")"
	}
	return fmt.Sprintf("coalesce(p.line, %[1]s + (SELECT count(*) FROM sa_skips k WHERE k.file_index = p.file_index AND k.threshold <= %[1]s))", pos)
}

// writeRejects moves the rows the parse step judged unusable into rejects.
func (l *loader) writeRejects(ctx context.Context) error {
	for _, k := range []Kind{Users, Geo, Sessions, Logins} {
		if err := l.exec(ctx, fmt.Sprintf(`INSERT INTO rejects
			SELECT f.path, %s, p.reject.field, p.reject.reason, p.reject.value
			FROM %s p JOIN sa_files f USING (file_index) WHERE p.reject IS NOT NULL ORDER BY p.rowid`, l.lineSQL(), parsedTable(k))); err != nil {
			return err
		}
	}
	return nil
}

// finish de-duplicates each kind by Id (the first file and row win), fills in
// usernames, user ids and LoginGeo details from the other exports, and writes
// the tables the checks read.
func (l *loader) finish(ctx context.Context) error {
	dedup := map[Kind]string{}
	for _, k := range []Kind{Users, Geo, Sessions, Logins} {
		// Ranking rows by Id costs a sort of the whole kind, so it is done only
		// when two valid rows share an Id. Looking for them groups 8-byte
		// hashes rather than the Ids (at 50M logins a DISTINCT over the Ids
		// ran out of memory), and checks the Ids only of hashes seen twice.
		var dups bool
		q := fmt.Sprintf(`WITH valid AS (SELECT id FROM %s WHERE reject IS NULL AND id IS NOT NULL)
			SELECT EXISTS (SELECT id FROM valid
				WHERE hash(id) IN (SELECT hash(id) FROM valid GROUP BY ALL HAVING count(*) > 1)
				GROUP BY id HAVING count(*) > 1)`, parsedTable(k))
		if err := l.conn.QueryRowContext(ctx, q).Scan(&dups); err != nil {
			return fmt.Errorf("looking for repeated %s Ids: %w", k, err)
		}
		if dups {
			dedup[k] = `QUALIFY p.id IS NULL OR row_number() OVER (PARTITION BY p.id ORDER BY p.file_index, p.rowid) = 1`
		}
	}
	line := l.lineSQL()
	steps := []string{
		`INSERT INTO users SELECT p.id, p.username, p.name, p.user_type, p.is_active, p.profile_name, p.file_index, ` + line + `
		 FROM sa_parsed_users p JOIN sa_files f USING (file_index) WHERE p.reject IS NULL
		 ` + dedup[Users],
		`INSERT INTO geo SELECT p.id, p.city, p.country, p.country_iso, p.latitude, p.longitude, p.subdivision, p.postal_code, p.file_index, ` + line + `
		 FROM sa_parsed_geo p JOIN sa_files f USING (file_index) WHERE p.reject IS NULL
		 ` + dedup[Geo],
		// Who is who: the users export first, then what sessions and logins say.
		`CREATE OR REPLACE TEMP TABLE sa_who AS
		 SELECT user_id, username, min(priority) AS priority FROM (
		     SELECT id AS user_id, username, 0 AS priority FROM users WHERE username IS NOT NULL
		     UNION ALL SELECT DISTINCT user_id, username, 1 FROM sa_parsed_sessions WHERE reject IS NULL AND username IS NOT NULL
		     UNION ALL SELECT DISTINCT user_id, username, 2 FROM sa_parsed_logins WHERE reject IS NULL AND username IS NOT NULL AND user_id IS NOT NULL)
		 GROUP BY ALL`,
		`CREATE OR REPLACE TEMP TABLE sa_name_of AS SELECT user_id, arg_min(username, priority) AS username FROM sa_who GROUP BY user_id`,
		`CREATE OR REPLACE TEMP TABLE sa_id_of AS SELECT lower(username) AS lname, arg_min(user_id, priority) AS user_id FROM sa_who GROUP BY lower(username)`,
		`INSERT INTO sessions
		 SELECT p.id, p.user_id, coalesce(p.username, n.username), p.user_id,
		        p.created, p.last_modified, p.num_seconds_valid, p.last_modified + to_seconds(p.num_seconds_valid),
		        p.user_type, p.source_ip, p.login_type, p.session_type, p.session_security_level,
		        coalesce(p.parent_id, p.id), p.login_history_id, p.login_geo_id, coalesce(p.is_current, false),
		        coalesce(p.city, g.city), coalesce(p.country, g.country), coalesce(p.country_iso, g.country_iso),
		        coalesce(p.latitude, g.latitude), coalesce(p.longitude, g.longitude),
		        p.file_index, ` + line + `
		 FROM sa_parsed_sessions p JOIN sa_files f USING (file_index)
		 LEFT JOIN sa_name_of n ON n.user_id = p.user_id
		 LEFT JOIN geo g ON g.id = p.login_geo_id
		 WHERE p.reject IS NULL
		 ` + dedup[Sessions],
		// Setup downloads carry no Id: each row is its own record, keyed by file and line,
		// and "City, Region, Country" locations give the city and country.
		`INSERT INTO logins
		 SELECT coalesce(p.id, 'row:' || p.file_index || ':' || ` + line + `),
		        coalesce(p.user_id, i.user_id), coalesce(p.username, n.username),
		        coalesce(p.user_id, i.user_id, 'name:' || lower(p.username)),
		        p.login_time, p.login_type, p.source_ip, p.status, lower(p.status) = 'success',
		        p.login_geo_id,
		        coalesce(p.city, g.city, CASE WHEN contains(p.location, ',') THEN trim(split_part(p.location, ',', 1)) END),
		        coalesce(p.country, g.country, nullif(trim(string_split(p.location, ',')[-1]), '')),
		        coalesce(p.geo_country_iso, p.country_iso, g.country_iso),
		        coalesce(p.latitude, g.latitude), coalesce(p.longitude, g.longitude),
		        p.file_index, ` + line + `
		 FROM sa_parsed_logins p JOIN sa_files f USING (file_index)
		 LEFT JOIN sa_name_of n ON n.user_id = p.user_id
		 LEFT JOIN sa_id_of i ON i.lname = CASE WHEN p.user_id IS NULL THEN lower(p.username) END
		 LEFT JOIN geo g ON g.id = p.login_geo_id
		 WHERE p.reject IS NULL
		 ` + dedup[Logins],
	}
	for _, s := range steps {
		if err := l.exec(ctx, s); err != nil {
			return fmt.Errorf("building tables (%s): %w", strings.Join(strings.Fields(s)[:3], " "), err)
		}
		if err := ReleaseMemory(ctx, l.conn); err != nil {
			return err
		}
	}
	return nil
}

// stats counts, per file, the rows read, loaded and rejected, and the time
// range each export covers.
func (l *loader) stats(ctx context.Context) (Stats, error) {
	for _, k := range []Kind{Users, Geo, Sessions, Logins} {
		timeCol := map[Kind]string{Sessions: "created", Logins: "login_time"}[k]
		rng := "NULL::TIMESTAMP, NULL::TIMESTAMP"
		if timeCol != "" {
			rng = fmt.Sprintf("min(%s), max(%s)", timeCol, timeCol)
		}
		q := fmt.Sprintf(`SELECT f.file_index,
			(SELECT count(*) FROM %[1]s p WHERE p.file_index = f.file_index),
			(SELECT count(*) FROM %[1]s p WHERE p.file_index = f.file_index AND p.reject IS NULL),
			t.n, t.lo, t.hi
			FROM sa_files f LEFT JOIN (SELECT src_file, count(*) AS n, %[3]s FROM %[2]s GROUP BY src_file) t(src_file, n, lo, hi) ON t.src_file = f.file_index
			WHERE f.file_index IN (SELECT DISTINCT file_index FROM %[1]s)`, parsedTable(k), k, rng)
		rows, err := l.conn.QueryContext(ctx, q)
		if err != nil {
			return Stats{}, err
		}
		for rows.Next() {
			var idx int
			var parsed, valid int64
			var loaded sql.NullInt64
			var lo, hi sql.NullTime
			if err := rows.Scan(&idx, &parsed, &valid, &loaded, &lo, &hi); err != nil {
				rows.Close()
				return Stats{}, err
			}
			s := &l.files[idx].stats
			s.Read += parsed
			s.Rejected += parsed - valid
			s.Loaded = loaded.Int64
			s.Duplicates = valid - loaded.Int64
			s.Earliest, s.Latest = lo.Time, hi.Time
		}
		rows.Close()
		if err := rows.Err(); err != nil {
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
