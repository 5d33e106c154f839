package report

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// benchSessionColumns are the Sessions sheet's columns as the audit
// describes them (cmd/sessionaudit/outputs.go).
var benchSessionColumns = []Column{
	{Label: "Username", Width: 28}, {Label: "Session Type", Width: 16}, {Label: "Login Type", Width: 20},
	{Label: "Login Time", Kind: Time}, {Label: "Source IP", Width: 18}, {Label: "Place", Width: 22},
	{Label: "Flags", Width: 36, Wrap: true}, {Label: "Removal proposed", Width: 12}, {Label: "Expires", Kind: Time},
	{Label: "Session Id", Width: 21}, {Label: "Parent Id", Width: 21}, {Label: "User Id", Width: 21},
}

// fakeSessionRows yields n rows shaped like the Sessions sheet's query
// results, about eight to a user, without holding them all in memory. Its
// values are made up front so the benchmark measures the writer, not them.
type fakeSessionRows struct {
	n, i  int
	users []any
	ips   []any
	ids   []any
	times []any
	bytes int64 // text bytes of every value, for MB/s
}

var (
	benchSessionTypes = []any{"UI", "SubstituteUser", "Oauth2", "API", "ChatterNetworks"}
	benchLoginTypes   = []any{"Application", "Remote Access 2.0", "SAML Idp Initiated SSO", "Other Apex API"}
	benchPlaces       = []any{"Sydney, AU", "Frankfurt am Main, DE", "São Paulo, BR", "New York, US", "Osaka, JP"}
	benchFlags        = []any{"concurrent_sessions; impossible_travel", "over_age"}
)

func newFakeSessionRows(n int) *fakeSessionRows {
	r := &fakeSessionRows{n: n}
	for u := range n/8 + 1 {
		r.users = append(r.users, fmt.Sprintf("firstname.lastname%06d@example.com", u))
	}
	start := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	for i := range 1024 {
		r.ips = append(r.ips, fmt.Sprintf("%d.%d.%d.%d", 10+i%200, i%256, (i*7)%256, (i*13)%256))
		r.ids = append(r.ids, fmt.Sprintf("0Ak5g00000%04dAbC", i))
		r.times = append(r.times, start.Add(time.Duration(i)*37*time.Second))
	}
	vals := make([]any, len(benchSessionColumns))
	for r.Next() {
		r.fill(vals)
		for _, v := range vals {
			switch v := v.(type) {
			case string:
				r.bytes += int64(len(v))
			case time.Time:
				r.bytes += int64(len("2026-11-26 12:00:00"))
			case bool:
				r.bytes += 5
			}
		}
	}
	r.i = 0
	return r
}

func (r *fakeSessionRows) Columns() ([]string, error) {
	return []string{"username", "session_type", "login_type", "created", "source_ip", "place",
		"flags", "proposed", "expires", "id", "parent_id", "user_id"}, nil
}

func (r *fakeSessionRows) Next() bool {
	if r.i >= r.n {
		return false
	}
	r.i++
	return true
}

func (r *fakeSessionRows) fill(vals []any) {
	i := r.i - 1
	var flags, parent any
	if i%20 == 0 {
		flags = benchFlags[i/20%len(benchFlags)]
	}
	if i%3 == 0 {
		parent = r.ids[(i+1)%len(r.ids)]
	}
	vals[0] = r.users[i/8]
	vals[1] = benchSessionTypes[i%len(benchSessionTypes)]
	vals[2] = benchLoginTypes[i%len(benchLoginTypes)]
	vals[3] = r.times[i%len(r.times)]
	vals[4] = r.ips[i%len(r.ips)]
	vals[5] = benchPlaces[i%len(benchPlaces)]
	vals[6] = flags
	vals[7] = i%50 == 0
	vals[8] = r.times[(i+200)%len(r.times)]
	vals[9] = r.ids[i%len(r.ids)]
	vals[10] = parent
	vals[11] = r.ids[(i/8)%len(r.ids)]
}

func (r *fakeSessionRows) Scan(dest ...any) error {
	var vals [12]any
	r.fill(vals[:])
	for i, d := range dest {
		*d.(*any) = vals[i]
	}
	return nil
}

func (r *fakeSessionRows) Err() error { return nil }

// BenchmarkWriteXLSXSessions writes a workbook whose Sessions sheet has 200k
// rows, as a 10M-login audit's has 812k. It reports ns/row, MB/s of the
// values' text and the file's bytes per row.
func BenchmarkWriteXLSXSessions(b *testing.B) {
	const n = 200_000
	rows := newFakeSessionRows(n)
	path := filepath.Join(b.TempDir(), "report.xlsx")
	b.SetBytes(rows.bytes)
	b.ReportAllocs()
	for b.Loop() {
		rows.i = 0
		wb := Workbook{Summary: sampleSummary(), Sheets: []Sheet{
			{Name: "Sessions", GroupBy: "Username", Columns: benchSessionColumns, Rows: rows},
		}}
		if err := WriteXLSX(path, wb); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/row")
	if fi, err := os.Stat(path); err == nil {
		b.ReportMetric(float64(fi.Size())/n, "file-B/row")
	}
}
