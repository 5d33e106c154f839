package main

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sessionaudit/sessionaudit/ingest"
	"github.com/sessionaudit/sessionaudit/report"
)

// mustConn opens a connection to a new, empty audit database.
func mustConn(t *testing.T) *sql.Conn {
	t.Helper()
	db, err := ingest.Open(context.Background(), ingest.DBOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// mustExec runs a statement on conn.
func mustExec(t *testing.T, conn *sql.Conn, q string) {
	t.Helper()
	if _, err := conn.ExecContext(context.Background(), q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// TestSessionsSheetFlags checks that the Sessions sheet lists the live
// sessions with the flags analyze wrote for them (session_flags), says which
// are proposed for removal and why one a finding reached is not, and shows each one's login time and, where the
// export gave the session none, its login's place (session_logins). A
// session that expires at the as-of time is no longer live (is_live), so
// the sheet leaves it out, with the one that expired before (X).
func TestSessionsSheetFlags(t *testing.T) {
	ctx := context.Background()
	conn := mustConn(t)
	mustExec(t, conn, `SET VARIABLE as_of = TIMESTAMP '2026-11-26 12:00:00'`)
	mustExec(t, conn, `INSERT INTO sessions (id, user_key, username, created, last_modified, num_seconds_valid, expires,
		parent_id, is_current, src_file)
	SELECT id, 'u', 'alice@acme.com', TIMESTAMP '2026-11-26 10:00:00', TIMESTAMP '2026-11-26 11:00:00', 7200,
		TIMESTAMP '2026-11-26 11:00:00' + INTERVAL (hours) HOUR, id, false, 0
	FROM (VALUES ('P', 2), ('Q', 2), ('X', 0), ('E', 1)) v(id, hours)`)
	mustExec(t, conn, `CREATE TABLE session_flags AS SELECT * FROM (VALUES
		('P', 'a; b', NULL), ('Q', 'd', 'no: protected user'), ('X', 'c', NULL), ('E', 'e', NULL)) v(id, flags, withheld)`)
	mustExec(t, conn, `CREATE TABLE removals AS SELECT 'P' AS session_id`)
	// Q's export gave it no place and it was created after its login: the
	// sheet shows the login's time and place.
	mustExec(t, conn, `CREATE TABLE session_logins AS SELECT s.id, s.rowid AS session_row, v.* EXCLUDE (id) FROM (VALUES
		('P', TIMESTAMP '2026-11-26 09:59:00', NULL, NULL, NULL),
		('Q', TIMESTAMP '2026-11-26 09:30:00', 'Paris', 'FR', 'France')) v(id, login_time, city, country_iso, country)
		JOIN sessions s USING (id)`)
	mustExec(t, conn, `UPDATE sessions SET city = 'Lyon', country_iso = 'FR' WHERE id = 'P'`)

	rows := &pagedRows{ctx: ctx, conn: conn, q: xlsxSheets[1].q, size: 2}
	defer rows.close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var got [][]string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		row := make([]string, 5)
		for i, c := range cols {
			v, _ := vals[i].(string)
			switch c {
			case "id":
				row[0] = v
			case "flags":
				row[1] = v
			case "proposed":
				row[2] = v
			case "login_time":
				row[3] = vals[i].(time.Time).Format("15:04")
			case "place":
				row[4] = v
			}
		}
		got = append(got, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"P", "a; b", "yes", "09:59", "Lyon, FR"}, {"Q", "d", "no: protected user", "09:30", "Paris, FR"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("live sessions' id, flags, proposal, login time and place (-want +got):\n%s", diff)
	}
}

// TestPagedRows reads numbered rows back in order across pages: a last page
// short of full, a last page just full, and no rows at all, which still
// has its columns. The sorted table is gone once the rows run out.
func TestPagedRows(t *testing.T) {
	ctx := context.Background()
	conn := mustConn(t)
	for _, n := range []int{7, 6, 0} {
		t.Run(fmt.Sprint(n, " rows"), func(t *testing.T) {
			// Sorted descending by a, then ascending by b: the order is the
			// query's, not the table's.
			rows := &pagedRows{ctx: ctx, conn: conn, size: 3,
				q: fmt.Sprintf("SELECT i %% 2 AS a, i AS b, 'row ' || i AS c FROM range(%d) t(i) ORDER BY a DESC, b", n)}
			defer rows.close()
			cols, err := rows.Columns()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{"a", "b", "c"}, cols); diff != "" {
				t.Errorf("columns (-want +got):\n%s", diff)
			}
			var got []int64
			for rows.Next() {
				var a, b int64
				var c string
				if err := rows.Scan(&a, &b, &c); err != nil {
					t.Fatal(err)
				}
				got = append(got, b)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			var want []int64
			for _, odd := range []int64{1, 0} {
				for i := int64(0); i < int64(n); i++ {
					if i%2 == odd {
						want = append(want, i)
					}
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
			var tables int
			if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'report_rows'").Scan(&tables); err != nil {
				t.Fatal(err)
			}
			if tables != 0 {
				t.Errorf("the numbered table is still there after the last row")
			}
		})
	}
}

// TestFitColumns checks that each sheet's username, place and other
// variable text columns are as wide as the longest value the sheet shows,
// and keep their own width when the sheet is empty.
func TestFitColumns(t *testing.T) {
	ctx := context.Background()
	conn := mustConn(t)
	const long = "integration.support-desk-connector.690@acme.example" // 51 characters
	mustExec(t, conn, `SET VARIABLE as_of = TIMESTAMP '2026-11-26 12:00:00'`)
	// The expired session's longer username and place are not on the sheet.
	mustExec(t, conn, `INSERT INTO sessions (id, user_key, username, created, last_modified, num_seconds_valid, expires,
		parent_id, is_current, src_file, session_type, login_type, source_ip, city, country_iso)
	SELECT id, 'u', username, TIMESTAMP '2026-11-26 10:00:00', TIMESTAMP '2026-11-26 11:00:00', 7200,
		TIMESTAMP '2026-11-26 11:00:00' + INTERVAL (hours) HOUR, id, false, 0, 'UI', login_type, ip, city, iso
	FROM (VALUES ('A', '`+long+`', 2, 'Chatter Communities External User', '192.0.2.1', 'São Paulo', 'BR'),
		('B', 'a-much-longer-username-of-someone-who-has-since-logged-out@acme.example', 0, 'Application',
			'192.0.2.1', 'Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogoch', 'GB'),
		('C', 'c@acme.example', 2, 'Application', '192.0.2.1', NULL, NULL))
		v(id, username, hours, login_type, ip, city, iso)`)
	// C's export gave it no place: the sheet shows its login's.
	mustExec(t, conn, `CREATE TABLE session_logins AS
		SELECT id, rowid AS session_row, TIMESTAMP '2026-11-26 09:59:00' AS login_time, 'Rio de Janeiro' AS city, 'BR' AS country_iso, 'Brazil' AS country
		FROM sessions WHERE id = 'C'`)
	mustExec(t, conn, `CREATE TABLE findings (username VARCHAR, source_ip VARCHAR)`)
	mustExec(t, conn, `INSERT INTO findings VALUES ('ana@acme.example', '2001:db8:85a3::8a2e:370:7334'), (NULL, NULL)`)
	mustExec(t, conn, `CREATE TABLE removals (username VARCHAR, session_type VARCHAR, source_ip VARCHAR, checks VARCHAR)`)

	want := map[string]map[string]float64{
		"Findings": {"Username": report.FitWidth(16), "Source IP": report.FitWidth(28)},
		// The longest place is C's login's, "Rio de Janeiro, BR", 18 characters.
		"Sessions": {"User": report.FitWidth(51), "Session Type": report.FitWidth(2), "Login Type": report.FitWidth(33),
			"Source IP": report.FitWidth(9), "Place": report.FitWidth(18)},
		// Removals and Rejects are empty.
		"Removals": {},
		"Rejects":  {},
	}
	for _, sh := range xlsxSheets {
		t.Run(sh.sheet.Name, func(t *testing.T) {
			got, err := fitColumns(ctx, conn, sh.fit, sh.sheet.Columns)
			if err != nil {
				t.Fatal(err)
			}
			for i, c := range got {
				w, fitted := want[sh.sheet.Name][c.Label]
				if !fitted {
					w = sh.sheet.Columns[i].Width
				}
				if c.Width != w {
					t.Errorf("%s: got width %v, want %v", c.Label, c.Width, w)
				}
			}
		})
	}
	if w := xlsxSheets[1].sheet.Columns[0].Width; w != 28 {
		t.Errorf("got the Sessions sheet's own User width changed to %v, want it left at 28", w)
	}
}
