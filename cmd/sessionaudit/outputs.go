package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/sessionaudit/sessionaudit/apply"
	"github.com/sessionaudit/sessionaudit/report"
)

// severityRank orders findings most severe first.
const severityRank = `CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END`

// The order of the findings, the removal list and the rejects, the same in
// their CSV file and their sheet.
const (
	findingsOrder = ` ORDER BY ` + severityRank + `, check_id, observed_at, user_id, session_id, detail`
	removalsOrder = ` ORDER BY ` + severityRank + `, username, created, session_id`
	rejectsOrder  = ` ORDER BY file, line`
)

// The CSV files of an audit and the query behind each. Their columns are the
// contract with people and with `sessionaudit approve/apply`: change with care.
var csvOutputs = []struct{ file, q string }{
	{"findings.csv", `SELECT check_id AS "check", severity, user_id, username, session_id, source_ip, observed_at, detail
		FROM findings` + findingsOrder},
	{"removals.csv", `SELECT ` + removalsColumns() + `
		FROM removals` + removalsOrder},
	{"rejects.csv", `SELECT file, line, field, reason, value FROM rejects` + rejectsOrder},
}

// removalsColumns selects the removal list's columns in the order
// apply.RemovalsHeader gives, which apply requires of the file: each is a
// column of the removals table but approve, which is left for the analyst.
func removalsColumns() string {
	cols := slices.Clone(apply.RemovalsHeader)
	cols[slices.Index(cols, "approve")] = "'' AS approve"
	return strings.Join(cols, ", ")
}

// The Sessions sheet's username and place of a session s (its login's,
// sl, when the export gave it none), and which sessions it lists; its widths
// are fitted to the same.
const (
	sessionUser      = `coalesce(s.username, s.user_id)`
	sessionPlace     = `concat_ws(', ', coalesce(s.city, sl.city), coalesce(s.country_iso, s.country, sl.country_iso, sl.country))`
	liveSession      = `s.expires > getvariable('as_of')`
	withSessionLogin = `sessions s LEFT JOIN session_logins sl ON sl.session_row = s.rowid`
)

// The data sheets of report.xlsx, after the Summary sheet.
var xlsxSheets = []struct {
	q     string // ordered
	fit   string // see fitColumns
	sheet report.Sheet
}{
	{`SELECT severity, check_id, observed_at, username, source_ip, detail, session_id, user_id
		FROM findings` + findingsOrder,
		`SELECT max(length(username)) AS "Username", max(length(source_ip)) AS "Source IP" FROM findings`,
		report.Sheet{Name: "Findings", Columns: []report.Column{
			{Label: "Severity", Kind: report.Severity}, {Label: "Check", Width: 22}, {Label: "Observed at", Kind: report.Time},
			{Label: "Username", Width: 28}, {Label: "Source IP", Width: 18}, {Label: "Detail", Width: 90, Wrap: true},
			{Label: "Session Id", Width: 21}, {Label: "User Id", Width: 21},
		}}},
	{`SELECT ` + sessionUser + ` AS username, s.session_type, s.login_type, coalesce(sl.login_time, s.created) AS login_time, s.source_ip,
		       ` + sessionPlace + ` AS place,
		       flags.flags, CASE WHEN r.session_id IS NOT NULL THEN 'yes' ELSE flags.withheld END AS proposed, s.expires, s.id, s.parent_id, s.user_id
		FROM ` + withSessionLogin + ` LEFT JOIN session_flags flags ON flags.id = s.id LEFT JOIN removals r ON r.session_id = s.id
		WHERE ` + liveSession + `
		ORDER BY lower(` + sessionUser + `), s.created, s.id`,
		`SELECT max(length(` + sessionUser + `)) AS "User", max(length(s.session_type)) AS "Session Type",
		       max(length(s.login_type)) AS "Login Type", max(length(s.source_ip)) AS "Source IP",
		       max(length(` + sessionPlace + `)) AS "Place"
		FROM ` + withSessionLogin + ` WHERE ` + liveSession,
		report.Sheet{Name: "Sessions", GroupBy: "User", Columns: []report.Column{
			// The username, else the User Id: the sheet groups by it.
			{Label: "User", Width: 28}, {Label: "Session Type", Width: 16}, {Label: "Login Type", Width: 20},
			{Label: "Login Time", Kind: report.Time}, {Label: "Source IP", Width: 18}, {Label: "Place", Width: 22},
			{Label: "Flags", Width: 36, Wrap: true}, {Label: "Removal proposed", Width: 16, Wrap: true}, {Label: "Expires", Kind: report.Time},
			{Label: "Session Id", Width: 21}, {Label: "Parent Id", Width: 21}, {Label: "User Id", Width: 21},
		}}},
	{`SELECT session_id, username, session_type, source_ip, created, checks, severity, reason, user_id
		FROM removals` + removalsOrder,
		`SELECT max(length(username)) AS "Username", max(length(session_type)) AS "Session Type",
		       max(length(source_ip)) AS "Source IP", max(length(checks)) AS "Checks"
		FROM removals`,
		report.Sheet{Name: "Removals", Columns: []report.Column{
			{Label: "Session Id", Width: 21}, {Label: "Username", Width: 28}, {Label: "Session Type", Width: 16},
			{Label: "Source IP", Width: 18}, {Label: "Created", Kind: report.Time}, {Label: "Checks", Width: 30},
			{Label: "Severity", Kind: report.Severity}, {Label: "Reason", Width: 80, Wrap: true}, {Label: "User Id", Width: 21},
		}}},
	{`SELECT file, line, field, reason, value FROM rejects` + rejectsOrder,
		`SELECT max(length(file)) AS "File", max(length(field)) AS "Field", max(length(value)) AS "Value" FROM rejects`,
		report.Sheet{Name: "Rejects", Columns: []report.Column{
			{Label: "File", Width: 40}, {Label: "Line", Kind: report.Number, Width: 10}, {Label: "Field", Width: 18},
			{Label: "Reason", Width: 60, Wrap: true}, {Label: "Value", Width: 50, Wrap: true},
		}}},
}

// fitColumns returns columns with the width of some fitted to their values.
// The query returns one row: for each column to fit, named by its label, the
// most characters a value of it holds over the sheet's rows, or NULL when
// there are none, which keeps the column's own width. It is an aggregate
// over a few of the sheet's columns, far cheaper than the sheet's own
// query, so a sheet is sized before it is streamed without reading it twice.
func fitColumns(ctx context.Context, conn *sql.Conn, query string, columns []report.Column) ([]report.Column, error) {
	columns = slices.Clone(columns) // xlsxSheets' own stay as they are
	rows, err := conn.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	labels, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	chars := make([]sql.NullInt64, len(labels))
	dest := make([]any, len(labels))
	for i := range chars {
		dest[i] = &chars[i]
	}
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, err
		}
		return nil, errors.New("the query returned no row")
	}
	if err := rows.Scan(dest...); err != nil {
		return nil, err
	}
	for i, label := range labels {
		j := slices.IndexFunc(columns, func(c report.Column) bool { return c.Label == label })
		if j < 0 {
			return nil, fmt.Errorf("no column is labelled %q", label)
		}
		if chars[i].Valid {
			columns[j].Width = report.FitWidth(int(chars[i].Int64))
		}
	}
	return columns, rows.Close()
}

// pageRows is how many rows of a report are read from the database at once.
const pageRows = 50_000

// pagedRows reads a query's rows in order, a page at a time. The database
// driver materialises a whole result before it hands over the first row,
// outside DuckDB's memory limit: a million findings read in one query cost
// another half gigabyte. So pagedRows first writes the rows in order into a
// temporary table, which DuckDB can spill to disk, then reads it back
// pageRows at a time, and drops it when the rows run out or on close. It
// starts when first read, so the workbook's sheets hold one such table at a
// time; all of them use one connection, which holds the temporary table.
type pagedRows struct {
	ctx  context.Context
	conn *sql.Conn
	q    string // a query with an ORDER BY
	size int    // rows per page; pageRows when zero

	made bool      // the sorted table exists
	rows *sql.Rows // the current page
	cols []string
	read int   // rows read of the current page
	last int64 // rows in the pages opened so far
	err  error
	done bool
}

// pagedTable is the temporary table pagedRows reads from (created as
// report_rows: DuckDB's CREATE TEMP TABLE takes no "temp." prefix).
const pagedTable = "temp.report_rows"

func (p *pagedRows) pageSize() int {
	if p.size > 0 {
		return p.size
	}
	return pageRows
}

// page opens the next page, sorting the rows first if need be.
func (p *pagedRows) page() bool {
	if p.err != nil || p.done {
		return false
	}
	if !p.made {
		// The table keeps the rows in the order the query sorts them, so
		// their rowids (0, 1, …) number them: a sort costs half of what
		// numbering them with row_number() over the same order did.
		if _, p.err = p.conn.ExecContext(p.ctx, "CREATE OR REPLACE TEMP TABLE report_rows AS "+p.q); p.err != nil {
			return false
		}
		p.made = true
	}
	p.rows, p.err = p.conn.QueryContext(p.ctx, "SELECT * FROM "+pagedTable+
		" WHERE rowid >= ? AND rowid < ? ORDER BY rowid", p.last, p.last+int64(p.pageSize()))
	if p.err != nil {
		return false
	}
	p.last += int64(p.pageSize())
	p.read = 0
	if p.cols == nil {
		p.cols, p.err = p.rows.Columns()
	}
	return p.err == nil
}

func (p *pagedRows) Columns() ([]string, error) {
	if p.cols == nil && p.rows == nil {
		p.page()
	}
	return p.cols, p.err
}

func (p *pagedRows) Next() bool {
	for {
		if p.rows == nil && !p.page() {
			return false
		}
		if p.rows.Next() {
			p.read++
			return true
		}
		p.err = p.rows.Err()
		p.rows.Close()
		p.rows = nil
		if p.err != nil {
			return false
		}
		if p.read < p.pageSize() {
			// A page short of full was the last.
			p.close()
			return false
		}
	}
}

func (p *pagedRows) Scan(dest ...any) error { return p.rows.Scan(dest...) }

func (p *pagedRows) Err() error { return p.err }

// close ends the reading and drops the sorted table. It is safe to call
// more than once.
func (p *pagedRows) close() {
	if p.rows != nil {
		p.rows.Close()
		p.rows = nil
	}
	p.done = true
	if p.made {
		p.made = false
		if _, err := p.conn.ExecContext(p.ctx, "DROP TABLE IF EXISTS "+pagedTable); err != nil && p.err == nil {
			p.err = err
		}
	}
}
