package analyze

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestIPInfo(t *testing.T) {
	for _, batch := range []int64{ipBatch, 2} {
		old := ipBatch
		ipBatch = batch
		testIPInfo(t)
		ipBatch = old
	}
}

func testIPInfo(t *testing.T) {
	db := mustDB(t, []session{
		{ip: "203.0.113.7"},
		{ip: "2001:db8:abcd:12::1"},
	}, []login{
		{ip: "198.51.100.20"},
		{ip: "10.9.8.7"},
		{ip: "::ffff:192.0.2.1"},
		{ip: "203.0.113.7"},
	})
	mustRun(t, db, func(p *Policy) {
		p.TrustedNetworks = []Network{{Prefix: netip.MustParsePrefix("10.0.0.0/8"), Source: "policy.yaml:3"}}
		p.DeniedNetworks = []Network{
			{Prefix: netip.MustParsePrefix("198.51.100.0/24"), Source: "policy.yaml:5"},
			{Prefix: netip.MustParsePrefix("198.51.100.16/28"), Source: "denied.txt:2"},
			{Prefix: netip.MustParsePrefix("2001:db8::/32"), Source: "denied.txt:3"},
			{Prefix: netip.MustParsePrefix("192.0.2.0/24"), Source: "denied.txt:4"},
		}
	})
	rows, err := db.Query(`SELECT ip, network, trusted, denied, coalesce(denied_by, '') FROM ip_info ORDER BY ip`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	type info struct {
		IP, Network     string
		Trusted, Denied bool
		DeniedBy        string
	}
	var got []info
	for rows.Next() {
		var i info
		if err := rows.Scan(&i.IP, &i.Network, &i.Trusted, &i.Denied, &i.DeniedBy); err != nil {
			t.Fatal(err)
		}
		got = append(got, i)
	}
	want := []info{
		{"10.9.8.7", "10.9.8.0/24", true, false, ""},
		{"198.51.100.20", "198.51.100.0/24", false, true, "198.51.100.16/28 (denied.txt:2)"},
		{"2001:db8:abcd:12::1", "2001:db8:abcd::/48", false, true, "2001:db8::/32 (denied.txt:3)"},
		{"203.0.113.7", "203.0.113.0/24", false, false, ""},
		{"::ffff:192.0.2.1", "192.0.2.0/24", false, true, "192.0.2.0/24 (denied.txt:4)"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ip_info differs (-want +got):\n%s", diff)
	}
}

// A denied network is cited by the file and line that list it, and a file
// name may hold a newline (or bytes that are not UTF-8): ip_info's classes
// travel one a line, so such a name split its line in two and stopped the
// run ("NOT NULL constraint failed: ip_info.ip", or "could not bind
// parameter" for the bytes). The name is cited as the summary prints it.
func TestIPInfoDeniedByAnOddFileName(t *testing.T) {
	db := mustDB(t, nil, []login{{ip: "198.51.100.20"}, {ip: "203.0.113.7"}})
	mustRun(t, db, func(p *Policy) {
		p.DeniedNetworks = []Network{
			{Prefix: netip.MustParsePrefix("198.51.100.0/24"), Source: "lists/a\nb.txt:2"},
			{Prefix: netip.MustParsePrefix("203.0.113.0/24"), Source: "p\xffolicy.yaml:5"},
		}
	})
	rows, err := db.Query(`SELECT ip, denied_by FROM ip_info ORDER BY ip`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got [][2]string
	for rows.Next() {
		var ip, by string
		if err := rows.Scan(&ip, &by); err != nil {
			t.Fatal(err)
		}
		got = append(got, [2]string{ip, by})
	}
	want := [][2]string{
		{"198.51.100.20", `198.51.100.0/24 (lists/a\x0ab.txt:2)`},
		{"203.0.113.7", `203.0.113.0/24 (p\xffolicy.yaml:5)`},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ip_info differs (-want +got):\n%s", diff)
	}
}

func TestRunRejectsBadChecks(t *testing.T) {
	good := "'low', NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR, NULL::TIMESTAMP, 'x'"
	tests := []struct {
		name, query, want string
	}{
		{"a column missing", "SELECT " + good + ", NULL::VARCHAR AS target_kind",
			"queries/bad.sql: returns columns ("},
		{"a column of another type", "SELECT 'low' AS severity, 1 AS user_id, NULL::VARCHAR AS username, NULL::VARCHAR AS session_id, NULL::VARCHAR AS source_ip, NULL::TIMESTAMP AS observed_at, 'x' AS detail, NULL::VARCHAR AS target_kind, NULL::VARCHAR AS target_id",
			"queries/bad.sql: returns columns (severity VARCHAR, user_id INTEGER,"},
		{"a query that fails", "SELECT * FROM no_such_table",
			"queries/bad.sql: "},
		{"an unknown severity", strings.Replace(colsQuery, "'low'", "'severe'", 1),
			`queries/bad.sql: returned a finding with severity "severe"`},
		{"a target without an id", strings.Replace(colsQuery, "NULL::VARCHAR AS target_kind", "'session' AS target_kind", 1),
			`queries/bad.sql: returned a finding with severity "low", target_kind "session" and target_id ""`},
		{"an unknown target kind", strings.Replace(strings.Replace(colsQuery, "NULL::VARCHAR AS target_kind", "'user' AS target_kind", 1), "NULL::VARCHAR AS target_id", "'005' AS target_id", 1),
			`target_kind "user"`},
		{"a NULL detail", strings.Replace(colsQuery, "'x' AS detail", "NULL::VARCHAR AS detail", 1),
			"queries/bad.sql: "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := mustDB(t, nil, nil)
			bad := Check{ID: "bad", file: "queries/bad.sql", query: tc.query}
			_, err := run(context.Background(), db, DefaultPolicy(), asOf, []Check{bad})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("run: got error %v, want one containing %q", err, tc.want)
			}
			// A failed run leaves no findings table behind.
			var n int
			if err := db.QueryRow("SELECT count(*) FROM information_schema.tables WHERE table_name = 'findings'").Scan(&n); err != nil || n != 0 {
				t.Errorf("got %d findings tables (%v) after a failed run, want 0", n, err)
			}
		})
	}
}

const colsQuery = "SELECT 'low' AS severity, NULL::VARCHAR AS user_id, NULL::VARCHAR AS username, NULL::VARCHAR AS session_id, NULL::VARCHAR AS source_ip, NULL::TIMESTAMP AS observed_at, 'x' AS detail, NULL::VARCHAR AS target_kind, NULL::VARCHAR AS target_id"
