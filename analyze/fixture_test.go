package analyze

import (
	"context"
	"database/sql"
	"fmt"
	"hash/fnv"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/sessionaudit/sessionaudit/ingest"

	"github.com/sessionaudit/sessionaudit/sfid"
)

// asOf is the audit clock of every fixture: fixture times are offsets before it.
var asOf = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// place is where a session or login came from; the zero place has no geo.
type place struct {
	city, iso string
	country   string // the country's name, as Setup downloads give it
	lat, lon  float64
	noCoords  bool // a country without coordinates
}

var (
	paris   = place{city: "Paris", iso: "FR", lat: 48.8566, lon: 2.3522}
	lyon    = place{city: "Lyon", iso: "FR", lat: 45.7640, lon: 4.8357}
	london  = place{city: "London", iso: "GB", lat: 51.5074, lon: -0.1278}
	newYork = place{city: "New York", iso: "US", lat: 40.7128, lon: -74.0060}
	sanFran = place{city: "San Francisco", iso: "US", lat: 37.7749, lon: -122.4194}
	sydney  = place{city: "Sydney", iso: "AU", lat: -33.8688, lon: 151.2093}
	lagos   = place{city: "Lagos", iso: "NG", lat: 6.5244, lon: 3.3792}
	boston  = place{city: "Boston", iso: "US", lat: 42.3601, lon: -71.0589}
)

// inCountry is a place known only by its country.
func inCountry(iso string) place { return place{iso: iso, noCoords: true} }

// named is a place as a Setup download gives it: a country name, no ISO code
// and no coordinates.
func named(country string) place { return place{country: country, noCoords: true} }

// session is one AuthSession row; zero fields take defaults: a live UI
// session of alice@acme.com created an hour before asOf, valid for another hour.
type session struct {
	id, user, ip, typ, parent, login string
	age                              time.Duration // how long before asOf it was created
	idle                             time.Duration // how long before asOf it was last modified (default a minute)
	expired                          bool          // it expired a minute before asOf
	current                          bool
	at                               place
}

// login is one LoginHistory row; zero fields take defaults: a successful
// login of alice@acme.com an hour before asOf.
type login struct {
	id, user, ip, status string
	ago                  time.Duration // how long before asOf it happened
	at                   place
	export               int // which export of the history holds it (login_coverage); 0 unless a case has several
}

// userID gives each username a fixed 18-character user Id.
func userID(username string) string {
	h := fnv.New32a()
	h.Write([]byte(username))
	id, _ := sfid.Normalize(fmt.Sprintf("005%012d", h.Sum32()))
	return id
}

// mustDB opens an in-memory database with the schema and the given rows.
func mustDB(tb testing.TB, sessions []session, logins []login) *sql.DB {
	tb.Helper()
	ctx := context.Background()
	db, err := ingest.Open(ctx, ingest.DBOptions{})
	if err != nil {
		tb.Fatalf("opening database: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	names := map[string]bool{}
	for i, s := range sessions {
		if s.id == "" {
			s.id = fmt.Sprintf("0Ak%015d", i+1)
		}
		if s.user == "" {
			s.user = "alice@acme.com"
		}
		if s.typ == "" {
			s.typ = "UI"
		}
		if s.parent == "" {
			s.parent = s.id
		}
		if s.age == 0 {
			s.age = time.Hour
		}
		created := asOf.Add(-s.age)
		if s.idle == 0 {
			s.idle = time.Minute
		}
		lastModified := asOf.Add(-s.idle)
		valid := int64(2 * time.Hour / time.Second)
		if s.expired {
			valid = int64((s.age - 2*time.Minute) / time.Second)
			lastModified = created
		}
		if lastModified.Before(created) {
			lastModified = created
		}
		expires := lastModified.Add(time.Duration(valid) * time.Second)
		mustExec(tb, db, `INSERT INTO sessions (id, user_id, username, user_key, created, last_modified,
			num_seconds_valid, expires, source_ip, login_type, session_type, parent_id, login_history_id,
			is_current, city, country, country_iso, latitude, longitude, src_file)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'Application', ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)`,
			s.id, userID(s.user), s.user, userID(s.user), created, lastModified, valid, expires, nullable(s.ip),
			s.typ, s.parent, nullable(s.login), s.current, nullable(s.at.city), nullable(s.at.country), nullable(s.at.iso),
			lat(s.at), lon(s.at))
		names[s.user] = true
	}
	for i, l := range logins {
		if l.id == "" {
			l.id = fmt.Sprintf("0Ya%015d", i+1)
		}
		if l.user == "" {
			l.user = "alice@acme.com"
		}
		if l.status == "" {
			l.status = "Success"
		}
		if l.ago == 0 {
			l.ago = time.Hour
		}
		// Login History exports carry only the user's Id; the load gives
		// names through the usernames table.
		mustExec(tb, db, `INSERT INTO logins (id, user_id, user_key, login_time,
			source_ip, status, success, city, country, country_iso, latitude, longitude, src_file)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			l.id, userID(l.user), userID(l.user), asOf.Add(-l.ago), nullable(l.ip), l.status,
			strings.EqualFold(l.status, "success"), nullable(l.at.city), nullable(l.at.country), nullable(l.at.iso),
			lat(l.at), lon(l.at), 1+l.export)
		names[l.user] = true
	}
	for name := range names {
		mustExec(tb, db, `INSERT INTO usernames VALUES (?, ?, ?)`, userID(name), userID(name), name)
	}
	listSourceIPs(tb, db)
	listCoverage(tb, db)
	return db
}

// listCoverage fills login_coverage, as ingest does, from the logins a test
// wrote: each src_file is an export, and rows keyed 'row:…' (a Setup
// download's) cover nothing.
func listCoverage(tb testing.TB, db *sql.DB) {
	tb.Helper()
	mustExec(tb, db, `INSERT INTO login_coverage
		SELECT src_file, min(login_time), max(login_time) FROM logins WHERE NOT starts_with(id, 'row:') GROUP BY src_file`)
}

// listSourceIPs fills source_ips, as ingest does, from the rows a test wrote.
func listSourceIPs(tb testing.TB, db *sql.DB) {
	tb.Helper()
	mustExec(tb, db, `INSERT INTO source_ips SELECT source_ip FROM sessions WHERE source_ip IS NOT NULL
		UNION SELECT source_ip FROM logins WHERE source_ip IS NOT NULL`)
}

func mustExec(tb testing.TB, db *sql.DB, query string, args ...any) {
	tb.Helper()
	if _, err := db.Exec(query, args...); err != nil {
		tb.Fatalf("%s: %v", query, err)
	}
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func lat(p place) any {
	if p.noCoords || p == (place{}) {
		return nil
	}
	return p.lat
}

func lon(p place) any {
	if p.noCoords || p == (place{}) {
		return nil
	}
	return p.lon
}

// distanceKm is the haversine distance, as the test's own oracle.
func distanceKm(a, b place) float64 {
	rad := func(d float64) float64 { return d * math.Pi / 180 }
	h := math.Pow(math.Sin(rad(b.lat-a.lat)/2), 2) +
		math.Cos(rad(a.lat))*math.Cos(rad(b.lat))*math.Pow(math.Sin(rad(b.lon-a.lon)/2), 2)
	return 2 * 6371.0088 * math.Asin(math.Sqrt(h))
}

// travelTime is how long the trip from a to b takes at kmh.
func travelTime(a, b place, kmh float64) time.Duration {
	return time.Duration(distanceKm(a, b) / kmh * float64(time.Hour))
}

// finding is the part of a findings row a test states. detail holds a phrase
// the row's detail must contain.
type finding struct {
	check, severity, user, session, target string
	detail                                 string
}

// mustFindings returns the findings of check (all checks when empty), in a
// fixed order. Where want's detail is a phrase of the row's detail, the row
// shows the phrase, so cmp.Diff shows the whole detail only on a mismatch.
func mustFindings(tb testing.TB, db *sql.DB, check string, want []finding) []finding {
	tb.Helper()
	rows, err := db.Query(`SELECT check_id, severity, coalesce(username, ''), coalesce(session_id, ''),
		coalesce(target_kind || ':' || target_id, ''), detail
		FROM findings WHERE ? = '' OR check_id = ?
		ORDER BY check_id, observed_at, session_id, target_id, detail`, check, check)
	if err != nil {
		tb.Fatalf("reading findings: %v", err)
	}
	defer rows.Close()
	var got []finding
	for rows.Next() {
		var f finding
		if err := rows.Scan(&f.check, &f.severity, &f.user, &f.session, &f.target, &f.detail); err != nil {
			tb.Fatalf("reading findings: %v", err)
		}
		if i := len(got); i < len(want) && want[i].detail != "" && strings.Contains(f.detail, want[i].detail) {
			f.detail = want[i].detail
		}
		got = append(got, f)
	}
	if err := rows.Err(); err != nil {
		tb.Fatalf("reading findings: %v", err)
	}
	return got
}

// removal is the part of a removals row a test states.
type removal struct {
	session, user, checks, severity string
}

func mustRemovals(tb testing.TB, db *sql.DB) []removal {
	tb.Helper()
	rows, err := db.Query(`SELECT session_id, coalesce(username, ''), checks, severity FROM removals ORDER BY session_id`)
	if err != nil {
		tb.Fatalf("reading removals: %v", err)
	}
	defer rows.Close()
	var got []removal
	for rows.Next() {
		var r removal
		if err := rows.Scan(&r.session, &r.user, &r.checks, &r.severity); err != nil {
			tb.Fatalf("reading removals: %v", err)
		}
		got = append(got, r)
	}
	if err := rows.Err(); err != nil {
		tb.Fatalf("reading removals: %v", err)
	}
	return got
}

// mustWithheld reads, from session_flags, the live sessions a removal
// finding reached that the list leaves out, with the reason the Sessions
// sheet gives.
func mustWithheld(tb testing.TB, db *sql.DB) map[string]string {
	tb.Helper()
	rows, err := db.Query(`SELECT id, withheld FROM session_flags WHERE withheld IS NOT NULL`)
	if err != nil {
		tb.Fatalf("reading session_flags: %v", err)
	}
	defer rows.Close()
	got := map[string]string{}
	for rows.Next() {
		var id, why string
		if err := rows.Scan(&id, &why); err != nil {
			tb.Fatalf("reading session_flags: %v", err)
		}
		got[id] = why
	}
	if err := rows.Err(); err != nil {
		tb.Fatalf("reading session_flags: %v", err)
	}
	return got
}

// mustRun runs the audit with the default policy changed by edit.
func mustRun(tb testing.TB, db *sql.DB, edit func(*Policy)) Result {
	tb.Helper()
	p := DefaultPolicy()
	if edit != nil {
		edit(&p)
	}
	res, err := Run(context.Background(), db, p, asOf)
	if err != nil {
		tb.Fatalf("Run: %v", err)
	}
	return res
}
