package main

import (
	"context"
	"database/sql"

	"github.com/sessionaudit/sessionaudit/report"
)

// severityRank orders findings most severe first.
const severityRank = `CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END`

// The CSV files of an audit and the query behind each. Their columns are the
// contract with people and with `sessionaudit approve/apply`: change with care.
var csvOutputs = []struct{ file, query string }{
	{"findings.csv", `SELECT check_id AS "check", severity, user_id, username, session_id, source_ip, observed_at, detail
		FROM findings ORDER BY ` + severityRank + `, check_id, observed_at, user_id, session_id, detail`},
	{"removals.csv", `SELECT session_id, user_id, username, session_type, source_ip, created, checks, severity, reason, '' AS approve
		FROM removals ORDER BY ` + severityRank + `, username, created, session_id`},
	{"rejects.csv", `SELECT file, line, field, reason, value FROM rejects ORDER BY file, line`},
}

// sessionFlags names, per session, the checks whose findings point at it,
// its family or the login that created it. Each way a finding can point at
// a session is its own equi-join: one join on their OR is a nested loop,
// which on a million findings and as many sessions never finishes.
const sessionFlags = `
	WITH hits AS (
	    SELECT session_id AS id, check_id FROM findings WHERE session_id IS NOT NULL
	    UNION ALL
	    SELECT target_id, check_id FROM findings WHERE target_kind = 'session'
	    UNION ALL
	    SELECT s.id, f.check_id FROM findings f JOIN sessions s ON s.parent_id = f.target_id
	    WHERE f.target_kind = 'family' AND s.expires > getvariable('as_of')
	    UNION ALL
	    SELECT s.id, f.check_id FROM findings f JOIN sessions s ON s.login_history_id = f.target_id
	    WHERE f.target_kind = 'login' AND s.expires > getvariable('as_of')
	)
	SELECT id, string_agg(check_id, '; ' ORDER BY check_id) AS flags
	FROM (SELECT DISTINCT id, check_id FROM hits)
	GROUP BY id`

// The data sheets of report.xlsx, after the Summary sheet.
var xlsxSheets = []struct {
	query string
	sheet report.Sheet
}{
	{`SELECT severity, check_id, observed_at, username, source_ip, detail, session_id, user_id
		FROM findings ORDER BY ` + severityRank + `, check_id, observed_at, user_id, session_id, detail`,
		report.Sheet{Name: "Findings", Columns: []report.Column{
			{Label: "Severity", Kind: report.Severity}, {Label: "Check", Width: 22}, {Label: "Observed at", Kind: report.Time},
			{Label: "Username", Width: 28}, {Label: "Source IP", Width: 18}, {Label: "Detail", Width: 90, Wrap: true},
			{Label: "Session Id", Width: 21}, {Label: "User Id", Width: 21},
		}}},
	{`WITH flags AS (` + sessionFlags + `)
		SELECT coalesce(s.username, s.user_id) AS username, s.session_type, s.login_type, s.created, s.source_ip,
		       concat_ws(', ', s.city, coalesce(s.country_iso, s.country)) AS place,
		       flags.flags, r.session_id IS NOT NULL AS proposed, s.expires, s.id, s.parent_id, s.user_id
		FROM sessions s LEFT JOIN flags ON flags.id = s.id LEFT JOIN removals r ON r.session_id = s.id
		WHERE s.expires > getvariable('as_of')
		ORDER BY lower(coalesce(s.username, s.user_id)), s.created, s.id`,
		report.Sheet{Name: "Sessions", GroupBy: "Username", Columns: []report.Column{
			{Label: "Username", Width: 28}, {Label: "Session Type", Width: 16}, {Label: "Login Type", Width: 20},
			{Label: "Login Time", Kind: report.Time}, {Label: "Source IP", Width: 18}, {Label: "Place", Width: 22},
			{Label: "Flags", Width: 36, Wrap: true}, {Label: "Removal proposed", Width: 12}, {Label: "Expires", Kind: report.Time},
			{Label: "Session Id", Width: 21}, {Label: "Parent Id", Width: 21}, {Label: "User Id", Width: 21},
		}}},
	{`SELECT session_id, username, session_type, source_ip, created, checks, severity, reason, user_id
		FROM removals ORDER BY ` + severityRank + `, username, created, session_id`,
		report.Sheet{Name: "Removals", Columns: []report.Column{
			{Label: "Session Id", Width: 21}, {Label: "Username", Width: 28}, {Label: "Session Type", Width: 16},
			{Label: "Source IP", Width: 18}, {Label: "Created", Kind: report.Time}, {Label: "Checks", Width: 30},
			{Label: "Severity", Kind: report.Severity}, {Label: "Reason", Width: 80, Wrap: true}, {Label: "User Id", Width: 21},
		}}},
	{`SELECT file, line, field, reason, value FROM rejects ORDER BY file, line`,
		report.Sheet{Name: "Rejects", Columns: []report.Column{
			{Label: "File", Width: 40}, {Label: "Line", Kind: report.Number, Width: 10}, {Label: "Field", Width: 18},
			{Label: "Reason", Width: 60, Wrap: true}, {Label: "Value", Width: 50},
		}}},
}

// lazyRows runs its query when the writer first reads it and closes it when
// the rows run out, so the workbook's sheets hold one query open at a time.
type lazyRows struct {
	ctx   context.Context
	conn  *sql.Conn
	query string
	rows  *sql.Rows
	err   error
	done  bool
}

func (l *lazyRows) open() bool {
	if l.rows == nil && l.err == nil && !l.done {
		l.rows, l.err = l.conn.QueryContext(l.ctx, l.query)
	}
	return l.err == nil && l.rows != nil
}

func (l *lazyRows) Columns() ([]string, error) {
	if !l.open() {
		return nil, l.err
	}
	return l.rows.Columns()
}

func (l *lazyRows) Next() bool {
	if l.done || !l.open() {
		return false
	}
	if l.rows.Next() {
		return true
	}
	l.err = l.rows.Err()
	l.rows.Close()
	l.done = true
	return false
}

func (l *lazyRows) Scan(dest ...any) error { return l.rows.Scan(dest...) }

func (l *lazyRows) Err() error { return l.err }

func (l *lazyRows) close() {
	if l.rows != nil && !l.done {
		l.rows.Close()
	}
}
