package gen

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestDeterministic(t *testing.T) {
	for _, f := range Formats() {
		t.Run(string(f), func(t *testing.T) {
			cfg := Config{Logins: 5000, Seed: 42, Format: f, WithRejects: true}
			a, _ := mustGenerate(t, cfg)
			b, _ := mustGenerate(t, cfg)
			if diff := cmp.Diff(a.names(), b.names()); diff != "" {
				t.Fatalf("file names differ between runs (-first +second):\n%s", diff)
			}
			for name := range a {
				if !bytes.Equal(a[name].Bytes(), b[name].Bytes()) {
					t.Errorf("%s differs between two runs with the same seed", name)
				}
			}
			cfg.Seed = 43
			c, _ := mustGenerate(t, cfg)
			for name := range a {
				if strings.HasPrefix(name, "logins") && bytes.Equal(a[name].Bytes(), c[name].Bytes()) {
					t.Errorf("%s is the same for seeds 42 and 43", name)
				}
			}
		})
	}
}

// TestSameOrgInEveryFormat checks that the format changes the shape only:
// the Bulk and JSON files hold the same records.
func TestSameOrgInEveryFormat(t *testing.T) {
	bulk, bst := mustGenerate(t, Config{Logins: 4000, Seed: 5, Format: FormatBulk})
	js, jst := mustGenerate(t, Config{Logins: 4000, Seed: 5, Format: FormatJSON})
	if diff := cmp.Diff(bst, jst); diff != "" {
		t.Errorf("stats differ between bulk and json (-bulk +json):\n%s", diff)
	}
	rows, _ := mustReadCSV(t, bulk, "sessions.csv", sessionTable)
	recs := mustReadPages(t, js, "sessions")
	if len(rows) != len(recs) {
		t.Fatalf("got %d JSON sessions, want %d", len(recs), len(rows))
	}
	for i, r := range rows {
		if got := recs[i]["Id"]; got != r["Id"] {
			t.Fatalf("session %d: got Id %v, want %s", i, got, r["Id"])
		}
	}
}

func TestBulkFiles(t *testing.T) {
	for _, f := range []Format{FormatBulk, FormatBulkGzip} {
		t.Run(string(f), func(t *testing.T) {
			out, st := mustGenerate(t, Config{Logins: 3000, Seed: 1, Format: f})
			ext := ".csv"
			if f == FormatBulkGzip {
				ext = ".csv.gz"
			}
			if diff := cmp.Diff([]string{"logins" + ext, "sessions" + ext, "users" + ext}, out.names()); diff != "" {
				t.Fatalf("files (-want +got):\n%s", diff)
			}
			for _, tc := range []struct {
				name string
				t    *table
				want int
			}{{"sessions", sessionTable, st.Sessions}, {"logins", loginTable, st.Logins}, {"users", userTable, st.Users}} {
				rows, odd := mustReadCSV(t, out, tc.name+ext, tc.t)
				if len(rows) != tc.want || len(odd) != 0 {
					t.Errorf("%s: got %d rows and %d of another width, want %d and 0", tc.name, len(rows), len(odd), tc.want)
				}
			}
			if f == FormatBulk {
				raw := out["sessions.csv"].String()
				if strings.Contains(raw, "\r") {
					t.Error("sessions.csv has CR characters, want LF line ends")
				}
				line := strings.SplitN(raw, "\n", 3)[1]
				if !strings.HasPrefix(line, `"0Ak`) || !strings.Contains(line, `.000Z"`) {
					t.Errorf("session row %q: want quoted cells and times like 2026-11-26T10:00:00.000Z", line)
				}
			}
		})
	}
}

func TestRejects(t *testing.T) {
	for _, f := range []Format{FormatBulk, FormatSetup, FormatJSON} {
		t.Run(string(f), func(t *testing.T) {
			_, plain := mustGenerate(t, Config{Logins: 3000, Seed: 1, Format: f})
			out, st := mustGenerate(t, Config{Logins: 3000, Seed: 1, Format: f, WithRejects: true})
			if st.Rejects != 4 || st.Logins != plain.Logins || st.Sessions != plain.Sessions {
				t.Errorf("got %d rejects, %d logins, %d sessions; want 4, %d, %d", st.Rejects, st.Logins, st.Sessions, plain.Logins, plain.Sessions)
			}
			var text string
			for name, file := range out {
				if strings.HasPrefix(name, "logins") {
					text += file.String()
				}
			}
			for _, bad := range []string{"999.12.0.7", "25:61"} {
				if !strings.Contains(text, bad) {
					t.Errorf("logins have no %q", bad)
				}
			}
			if f == FormatBulk {
				_, odd := mustReadCSV(t, out, "logins.csv", loginTable)
				if len(odd) != 1 || len(odd[0]) != 4 {
					t.Errorf("got short rows %q, want one of 4 cells", odd)
				}
			}
		})
	}
}

func TestSetupFile(t *testing.T) {
	out, st := mustGenerate(t, Config{Logins: 3000, Seed: 1, Format: FormatSetup})
	if diff := cmp.Diff([]string{"logins.csv", "sessions.csv", "users.csv"}, out.names()); diff != "" {
		t.Fatalf("files (-want +got):\n%s", diff)
	}
	raw := out["logins.csv"].Bytes()
	if !bytes.HasPrefix(raw, []byte("\uFEFFUsername,Login Time,Source IP,Location,")) {
		t.Errorf("logins.csv starts %q, want a byte order mark and the label header", raw[:40])
	}
	if n, crlf := bytes.Count(raw, []byte("\n")), bytes.Count(raw, []byte("\r\n")); n != crlf {
		t.Errorf("got %d line ends of which %d CRLF, want all CRLF", n, crlf)
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(raw, []byte("\uFEFF")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(setupTable.columns, rows[0]); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
	if len(rows)-1 != st.Logins {
		t.Errorf("got %d rows, want %d", len(rows)-1, st.Logins)
	}
	hostile := 0
	for _, r := range rows[1:] {
		if _, err := time.Parse("1/2/2006 3:04 PM", r[1]); err != nil {
			t.Fatalf("Login Time %q: %v", r[1], err)
		}
		if r[3] != "" && !strings.Contains(r[3], ", ") {
			t.Errorf("Location %q, want City, Country", r[3])
		}
		if strings.HasPrefix(r[6], "=HYPERLINK(") {
			hostile++
		}
	}
	if hostile != 1 {
		t.Errorf("got %d hostile Browser values, want 1", hostile)
	}
	if bytes.Contains(raw, []byte(`"Application"`)) {
		t.Error("setup file quotes a value that needs no quotes")
	}
}

func TestJSONPages(t *testing.T) {
	out, st := mustGenerate(t, Config{Logins: 4500, Seed: 1, Format: FormatJSON})
	if got, want := len(mustReadPages(t, out, "logins")), st.Logins; got != want {
		t.Errorf("got %d login records, want %d", got, want)
	}
	if got, want := len(mustReadPages(t, out, "users")), st.Users; got != want {
		t.Errorf("got %d user records, want %d", got, want)
	}
	sessions := mustReadPages(t, out, "sessions")
	if len(sessions) != st.Sessions {
		t.Errorf("got %d session records, want %d", len(sessions), st.Sessions)
	}
	s := sessions[0]
	users, _ := s["Users"].(map[string]any)
	if _, ok := users["Username"].(string); !ok {
		t.Errorf("session Users = %v, want a nested record with Username", s["Users"])
	}
	if attrs, _ := users["attributes"].(map[string]any); attrs["type"] != "User" {
		t.Errorf("session Users.attributes = %v, want type User", users["attributes"])
	}
	if _, ok := s["NumSecondsValid"].(float64); !ok {
		t.Errorf("NumSecondsValid = %#v, want a JSON number", s["NumSecondsValid"])
	}
	if _, ok := s["IsCurrent"].(bool); !ok {
		t.Errorf("IsCurrent = %#v, want a JSON boolean", s["IsCurrent"])
	}
	if _, err := time.Parse("2006-01-02T15:04:05.000-0700", s["CreatedDate"].(string)); err != nil || !strings.HasSuffix(s["CreatedDate"].(string), "+0000") {
		t.Errorf("CreatedDate %q, want a +0000 time (%v)", s["CreatedDate"], err)
	}
	geo, _ := s["LoginGeo"].(map[string]any)
	if _, ok := geo["Latitude"].(float64); !ok {
		t.Errorf("LoginGeo = %v, want a nested record with a numeric Latitude", s["LoginGeo"])
	}
}

// mustReadPages follows a REST query's pages by nextRecordsUrl, checking
// totalSize and done, and returns every record.
func mustReadPages(tb testing.TB, out memOutputs, file string) []map[string]any {
	tb.Helper()
	var records []map[string]any
	for page := 1; ; page++ {
		name := fmt.Sprintf("%s-%04d.json", file, page)
		f, ok := out[name]
		if !ok {
			tb.Fatalf("no page %s", name)
		}
		var p struct {
			TotalSize      int              `json:"totalSize"`
			Done           bool             `json:"done"`
			NextRecordsURL string           `json:"nextRecordsUrl"`
			Records        []map[string]any `json:"records"`
		}
		if err := json.Unmarshal(f.Bytes(), &p); err != nil {
			tb.Fatalf("%s: %v", name, err)
		}
		records = append(records, p.Records...)
		if len(p.Records) > pageSize {
			tb.Errorf("%s: %d records, want at most %d", name, len(p.Records), pageSize)
		}
		if p.Done {
			if p.TotalSize != len(records) || p.NextRecordsURL != "" {
				tb.Errorf("%s: totalSize %d with %d records read and next %q", name, p.TotalSize, len(records), p.NextRecordsURL)
			}
			return records
		}
		if want := fmt.Sprintf("-%d", len(records)); !strings.HasPrefix(p.NextRecordsURL, "/services/data/v66.0/query/01g") || !strings.HasSuffix(p.NextRecordsURL, want) {
			tb.Errorf("%s: nextRecordsUrl %q, want a 01g locator ending %s", name, p.NextRecordsURL, want)
		}
	}
}

// TestConsistent checks the org hangs together: sessions belong to known
// users and logins, families and times make sense, and the mix of users,
// sessions and origins is what the issue asks for.
func TestConsistent(t *testing.T) {
	const logins = 40000
	out, st := mustGenerate(t, Config{Logins: logins, Seed: 3})
	if st.Logins != logins || st.Users != logins/100 {
		t.Errorf("got %d logins and %d users, want %d and %d", st.Logins, st.Users, logins, logins/100)
	}
	if st.Sessions < logins/13 || st.Sessions > logins*13/100 || st.LiveSessions < st.Sessions*6/10 || st.LiveSessions == st.Sessions {
		t.Errorf("got %d sessions, %d live; want about %d, most but not all live", st.Sessions, st.LiveSessions, logins/10)
	}
	users, _ := mustReadCSV(t, out, "users.csv", userTable)
	lrows, _ := mustReadCSV(t, out, "logins.csv", loginTable)
	srows, _ := mustReadCSV(t, out, "sessions.csv", sessionTable)

	ids := map[string]string{} // user Id to username
	for _, u := range users {
		ids[u["Id"]] = u["Username"]
		mustValidID(t, u["Id"], "005")
	}
	loginAt := map[string]time.Time{}
	loginUser := map[string]string{}
	vpn, v6 := 0, 0
	for _, l := range lrows {
		mustValidID(t, l["Id"], "0Ya")
		if l["LoginGeoId"] != "" {
			mustValidID(t, l["LoginGeoId"], "04F")
		}
		at := mustTime(t, l["LoginTime"])
		if at.After(testAsOf) || at.Before(testAsOf.AddDate(0, 0, -180)) {
			t.Errorf("login %s at %s, want within the 180 days before as-of", l["Id"], at)
		}
		if _, ok := ids[l["UserId"]]; !ok {
			t.Errorf("login %s: unknown user %s", l["Id"], l["UserId"])
		}
		loginAt[l["Id"]], loginUser[l["Id"]] = at, l["UserId"]
		ip := netip.MustParseAddr(l["SourceIp"])
		if netip.MustParsePrefix(VPNRange).Contains(ip) {
			vpn++
		}
		if ip.Is6() {
			v6++
		}
	}
	if share := float64(vpn) / float64(len(lrows)); share < 0.06 || share > 0.14 {
		t.Errorf("got %.1f%% VPN logins, want about 10%%", share*100)
	}
	if v6 == 0 {
		t.Error("got no IPv6 logins")
	}

	parents := map[string]string{}
	for _, s := range srows {
		if s["Id"] == s["ParentId"] {
			parents[s["Id"]] = s["UsersId"]
		}
	}
	missing, current := map[string]bool{}, 0
	for _, s := range srows {
		mustValidID(t, s["Id"], "0Ak")
		if ids[s["UsersId"]] != s["Users.Username"] {
			t.Errorf("session %s: user %s %q is not in users.csv", s["Id"], s["UsersId"], s["Users.Username"])
		}
		if parents[s["ParentId"]] != s["UsersId"] {
			t.Errorf("session %s: parent %s is not a family head of the same user", s["Id"], s["ParentId"])
		}
		created, modified := mustTime(t, s["CreatedDate"]), mustTime(t, s["LastModifiedDate"])
		if modified.Before(created) || modified.After(testAsOf) {
			t.Errorf("session %s: created %s, last modified %s, as-of %s", s["Id"], created, modified, testAsOf)
		}
		at, ok := loginAt[s["LoginHistoryId"]]
		switch {
		case !ok:
			missing[s["UsersId"]] = true
		case loginUser[s["LoginHistoryId"]] != s["UsersId"] || created.Before(at):
			t.Errorf("session %s created %s by login %s of %s at %s", s["Id"], created, s["LoginHistoryId"], loginUser[s["LoginHistoryId"]], at)
		}
		if s["IsCurrent"] == "true" {
			current++
		}
		switch s["NumSecondsValid"] {
		case "7200", "28800", "86400":
		default:
			t.Errorf("session %s: NumSecondsValid %s", s["Id"], s["NumSecondsValid"])
		}
	}
	var want []string
	for _, p := range st.Planted {
		if p.Check == "session_without_login" {
			want = append(want, p.UserIDs...)
		}
	}
	var got []string
	for u := range missing {
		got = append(got, u)
	}
	if diff := cmp.Diff(want, got, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("users with sessions whose login is missing (-planted +found):\n%s", diff)
	}
	if current != 4 {
		t.Errorf("got %d IsCurrent sessions, want one UI family of 4", current)
	}
}

// mustValidID checks an 18-character Id's prefix and recomputes its suffix
// another way than sfid.Suffix does.
func mustValidID(tb testing.TB, id, prefix string) {
	tb.Helper()
	if len(id) != 18 || !strings.HasPrefix(id, prefix) {
		tb.Fatalf("Id %q: want 18 characters starting %s", id, prefix)
	}
	for chunk := range 3 {
		bits := 0
		for i := 4; i >= 0; i-- {
			bits <<= 1
			if c := id[chunk*5+i]; strings.ContainsRune("ABCDEFGHIJKLMNOPQRSTUVWXYZ", rune(c)) {
				bits |= 1
			}
		}
		if want := "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"[bits]; id[15+chunk] != want {
			tb.Fatalf("Id %q: suffix character %d is %c, want %c", id, chunk, id[15+chunk], want)
		}
	}
}

// TestStreaming generates 200,000 logins (about 60 MB) and samples the heap
// while it is written: it must stay a small constant, not grow with the
// output.
func TestStreaming(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 60 MB")
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	w := &heapSampler{}
	_, err := Generate(context.Background(), Config{Logins: 200_000, Seed: 1, AsOf: testAsOf, Format: FormatBulk}, w)
	if err != nil {
		t.Fatal(err)
	}
	if w.bytes < 50<<20 {
		t.Fatalf("wrote %d bytes, want over 50 MB for the test to mean anything", w.bytes)
	}
	grown := int64(w.peak) - int64(base)
	t.Logf("heap grew by %.1f MB at most while writing %d MB", float64(grown)/(1<<20), w.bytes>>20)
	if grown > 16<<20 {
		t.Errorf("heap grew by %d MB while writing %d MB, want under 16 MB", grown>>20, w.bytes>>20)
	}
}

// heapSampler discards what it is given and notes the largest heap seen
// every 16 writes.
type heapSampler struct {
	bytes, writes int
	peak          uint64
}

func (h *heapSampler) Create(string) (io.WriteCloser, error) { return h, nil }
func (h *heapSampler) Close() error                          { return nil }
func (h *heapSampler) Write(p []byte) (int, error) {
	h.bytes += len(p)
	if h.writes++; h.writes%16 == 0 {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		h.peak = max(h.peak, ms.HeapAlloc)
	}
	return len(p), nil
}

func TestAppendISOTime(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 10000 {
		ts := r.Int64N(1<<33) - 1<<32 // 1833 to 2106
		want := time.Unix(ts, 0).UTC().Format("2006-01-02T15:04:05.000Z")
		if got := string(appendISOTime(nil, ts, "Z")); got != want {
			t.Fatalf("appendISOTime(%d) = %s, want %s", ts, got, want)
		}
	}
}

func TestGenerateErrors(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Generate(ctx, Config{Logins: 1000, AsOf: testAsOf, Format: FormatBulk}, memOutputs{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: got %v, want context.Canceled", err)
	}
	for _, cfg := range []Config{
		{Logins: -1, AsOf: testAsOf, Format: FormatBulk},
		{Logins: 10, Format: FormatBulk},
		{Logins: 10, AsOf: testAsOf, Format: "xml"},
	} {
		if _, err := Generate(context.Background(), cfg, memOutputs{}); err == nil {
			t.Errorf("Generate(%+v): got no error", cfg)
		}
	}
	failing := failingOutputs{}
	if _, err := Generate(context.Background(), Config{Logins: 3000, AsOf: testAsOf, Format: FormatBulk}, failing); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("failing writer: got %v, want the write error", err)
	}
}

// TestMaxLogins checks the arithmetic at the cap without generating: the
// even split adds up, the last users get ordinary budgets, and their record
// numbers still fit the Ids' nine base-62 digits.
func TestMaxLogins(t *testing.T) {
	for _, logins := range []int64{MaxLogins - 1, MaxLogins} {
		g := newGenerator(Config{Logins: int(logins), Seed: 1, AsOf: testAsOf, Format: FormatBulk})
		if got := g.loginsBefore(g.nUsers); got != uint64(logins) {
			t.Errorf("%d logins: the split adds up to %d, want %d", logins, got, logins)
		}
		last := g.nUsers - 1
		for _, ui := range []int{0, 1, last - 1, last} {
			if b := g.budget(ui); b < 40 || b > 160 {
				t.Errorf("%d logins: user %d has a budget of %d, want 100 give or take 60%%", logins, ui, b)
			}
		}
		top := uint64(max(loginBase, sessionBase)) + uint64(last)<<perUserBits + 1<<perUserBits - 1
		if digits := uint64(62 * 62 * 62 * 62 * 62 * 62 * 62 * 62 * 62); top >= digits {
			t.Errorf("%d logins: record numbers reach %d, past the %d that nine base-62 digits hold", logins, top, digits)
		}
	}
	// The split is exact where Logins times a user index overflows 64 bits.
	g := &generator{cfg: Config{Logins: math.MaxInt64}, nUsers: 1 << 40}
	if got, want := g.loginsBefore(1<<39), uint64(math.MaxInt64/2); got != want {
		t.Errorf("loginsBefore(2^39) of MaxInt64 logins over 2^40 users: got %d, want %d", got, want)
	}
	cfg := Config{Logins: int(MaxLogins + 1), AsOf: testAsOf, Format: FormatBulk}
	if _, err := Generate(context.Background(), cfg, memOutputs{}); err == nil {
		t.Errorf("Generate(%+v): got no error, want logins past MaxLogins refused", cfg)
	}
}

type failingOutputs struct{}

func (failingOutputs) Create(string) (io.WriteCloser, error) { return failingOutputs{}, nil }
func (failingOutputs) Write([]byte) (int, error)             { return 0, errors.New("disk full") }
func (failingOutputs) Close() error                          { return nil }

// BenchmarkGenerate measures generation and formatting alone, writing to
// nowhere: go test -bench Generate -benchtime 1x ./gen
func BenchmarkGenerate(b *testing.B) {
	for _, f := range []Format{FormatBulk, FormatBulkGzip, FormatSetup} {
		b.Run(string(f), func(b *testing.B) {
			rows := 0
			for b.Loop() {
				st, err := Generate(context.Background(), Config{Logins: 1_000_000, Seed: 1, AsOf: testAsOf, Format: f}, &heapSampler{})
				if err != nil {
					b.Fatal(err)
				}
				rows += st.Logins + st.Sessions + st.Users
			}
			b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
