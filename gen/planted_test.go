package gen

import (
	"fmt"
	"math"
	"net/netip"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// wantPlanted is how many hits and near misses every check gets, whatever
// the org's size.
var wantPlanted = map[string][2]int{ // check: {hits, near misses}
	"concurrent_sessions":   {1, 2},
	"impossible_travel":     {2, 1},
	"session_over_age":      {1, 2},
	"token_over_rotation":   {1, 1},
	"ip_new_for_user":       {1, 1},
	"ip_shared_by_users":    {1, 1},
	"failed_login_burst":    {1, 1},
	"session_without_login": {1, 1},
	"ip_denied":             {1, 1},
}

func TestPlantedCounts(t *testing.T) {
	for _, logins := range []int{0, 3000, 20000} {
		_, st := mustGenerate(t, Config{Logins: logins, Seed: 1})
		got := map[string][2]int{}
		for check := range wantPlanted {
			got[check] = [2]int{st.Count(check, true), st.Count(check, false)}
		}
		if diff := cmp.Diff(wantPlanted, got); diff != "" {
			t.Errorf("logins=%d: planted counts (-want +got):\n%s", logins, diff)
		}
		for _, p := range st.Planted {
			for i := range p.UserIDs {
				if len(p.UserIDs[i]) != 18 || p.Usernames[i] == "" {
					t.Errorf("logins=%d: %v: user %d not filled in", logins, p, i)
				}
			}
			if len(p.IPs) == 0 {
				t.Errorf("logins=%d: %v: no origin recorded", logins, p)
			}
		}
	}
}

// TestPlantedCasesAreExactlyWhatChecksFind runs a plain Go reading of every
// check over the generated files: at the default thresholds it must find
// exactly the planted hits (so the background never trips a check and no
// near miss does), and with each threshold loosened past its near miss it
// must find that near miss too (so the near misses are near).
func TestPlantedCasesAreExactlyWhatChecksFind(t *testing.T) {
	for _, tc := range []struct {
		logins int
		seed   uint64
	}{{3000, 1}, {3000, 2}, {60000, 7}} {
		t.Run(fmt.Sprintf("logins=%d/seed=%d", tc.logins, tc.seed), func(t *testing.T) {
			out, st := mustGenerate(t, Config{Logins: tc.logins, Seed: tc.seed})
			o := newOracle(t, out)
			want := map[string][]string{}
			for _, p := range st.Planted {
				if !p.Hit {
					continue
				}
				key := p.UserIDs
				if p.Check == "ip_shared_by_users" {
					key = p.IPs
				}
				want[p.Check] = append(want[p.Check], key...)
			}
			for check := range want {
				slices.Sort(want[check])
			}
			if diff := cmp.Diff(want, o.run(defaultThresholds)); diff != "" {
				t.Errorf("findings at default thresholds (-planted +found):\n%s", diff)
			}

			loose := o.run(looseThresholds)
			for check, n := range map[string]int{
				"concurrent_sessions": 1, "impossible_travel": 1, "session_over_age": 1, "token_over_rotation": 1,
				"ip_new_for_user": 1, "ip_shared_by_users": 1, "failed_login_burst": 1,
			} {
				if got := len(loose[check]) - len(want[check]); got != n {
					t.Errorf("%s with loosened thresholds: got %d more findings, want %d (the near miss): %v", check, got, n, loose[check])
				}
			}
		})
	}
}

type thresholds struct {
	concurrentKm  float64
	travelKmh     float64
	uiMaxAge      time.Duration
	tokenMaxAge   time.Duration
	newCountryMin int
	sharedUsers   int
	burstFailures int
	trustVPN      bool
	burstWindow   time.Duration
}

var (
	defaultThresholds = thresholds{500, 900, 12 * time.Hour, 90 * 24 * time.Hour, 5, 10, 10, true, 20 * time.Minute}
	looseThresholds   = thresholds{250, 800, 11*time.Hour + 40*time.Minute, 88 * 24 * time.Hour, 4, 9, 9, true, 20 * time.Minute}
)

type oLogin struct {
	id, user, ip, status, iso string
	at                        time.Time
	lat, lon                  float64
	geo                       bool
}

type oSession struct {
	id, user, ip, typ, parent, login string
	created, expires                 time.Time
	lat, lon                         float64
	geo                              bool
}

type oracle struct {
	asOf     time.Time
	logins   []oLogin // by user, then time
	byID     map[string]oLogin
	sessions []oSession
	vpn      netip.Prefix
	denied   netip.Prefix
}

func newOracle(t *testing.T, out memOutputs) *oracle {
	t.Helper()
	o := &oracle{asOf: testAsOf, byID: map[string]oLogin{}, vpn: netip.MustParsePrefix(VPNRange), denied: netip.MustParsePrefix(DeniedRange)}
	rows, _ := mustReadCSV(t, out, "logins.csv", loginTable)
	for _, r := range rows {
		l := oLogin{id: r["Id"], user: r["UserId"], ip: r["SourceIp"], status: r["Status"], iso: r["LoginGeo.CountryIso"],
			at: mustTime(t, r["LoginTime"]), geo: r["LoginGeoId"] != ""}
		l.lat, l.lon = mustFloat(r["LoginGeo.Latitude"]), mustFloat(r["LoginGeo.Longitude"])
		o.logins = append(o.logins, l)
		o.byID[l.id] = l
	}
	sort.SliceStable(o.logins, func(i, j int) bool {
		a, b := o.logins[i], o.logins[j]
		return a.user < b.user || a.user == b.user && a.at.Before(b.at)
	})
	srows, _ := mustReadCSV(t, out, "sessions.csv", sessionTable)
	for _, r := range srows {
		s := oSession{id: r["Id"], user: r["UsersId"], ip: r["SourceIp"], typ: r["SessionType"], parent: r["ParentId"], login: r["LoginHistoryId"],
			created: mustTime(t, r["CreatedDate"]), geo: r["LoginGeoId"] != ""}
		var secs int
		fmt.Sscan(r["NumSecondsValid"], &secs)
		s.expires = mustTime(t, r["LastModifiedDate"]).Add(time.Duration(secs) * time.Second)
		s.lat, s.lon = mustFloat(r["LoginGeo.Latitude"]), mustFloat(r["LoginGeo.Longitude"])
		o.sessions = append(o.sessions, s)
	}
	return o
}

func (o *oracle) trusted(ip string, th thresholds) bool {
	return th.trustVPN && o.vpn.Contains(netip.MustParseAddr(ip))
}

func (o *oracle) live(s oSession) bool { return s.expires.After(o.asOf) }

// run returns the users (or, for ip_shared_by_users, the addresses) each
// check reports, sorted.
func (o *oracle) run(th thresholds) map[string][]string {
	found := map[string]map[string]bool{}
	flag := func(check, key string) {
		if found[check] == nil {
			found[check] = map[string]bool{}
		}
		found[check][key] = true
	}

	// Live families by user, their origin being the parent's.
	type family struct {
		s       oSession
		loginAt time.Time
	}
	families := map[string][]family{}
	var first, last time.Time
	for _, l := range o.logins {
		if first.IsZero() || l.at.Before(first) {
			first = l.at
		}
		if l.at.After(last) {
			last = l.at
		}
	}
	for _, s := range o.sessions {
		if !o.live(s) {
			continue
		}
		if s.id == s.parent {
			at := s.created
			if l, ok := o.byID[s.login]; ok {
				at = l.at
			}
			families[s.user] = append(families[s.user], family{s, at})
		}
		age := o.asOf.Sub(s.created)
		switch token := s.typ == "API" || s.typ == "Oauth2"; {
		case !token && age > th.uiMaxAge:
			flag("session_over_age", s.user)
		case token && age > th.tokenMaxAge:
			flag("token_over_rotation", s.user)
		}
		if _, ok := o.byID[s.login]; !ok && !s.created.Before(first) && !s.created.After(last) {
			flag("session_without_login", s.user)
		}
		if o.denied.Contains(netip.MustParseAddr(s.ip)) {
			flag("ip_denied", s.user)
		}
	}
	for user, fams := range families {
		for i, a := range fams {
			for _, b := range fams[i+1:] {
				if a.s.geo && b.s.geo && !o.trusted(a.s.ip, th) && !o.trusted(b.s.ip, th) &&
					km(a.s.lat, a.s.lon, b.s.lat, b.s.lon) >= th.concurrentKm {
					flag("concurrent_sessions", user)
				}
			}
		}
	}

	// Logins, user by user.
	for i := 0; i < len(o.logins); {
		j := i
		for j < len(o.logins) && o.logins[j].user == o.logins[i].user {
			j++
		}
		user, ls := o.logins[i].user, o.logins[i:j]
		i = j

		var prev *oLogin
		for k := range ls {
			l := &ls[k]
			if l.status != "Success" || !l.geo || o.trusted(l.ip, th) {
				continue
			}
			if prev != nil && prev.ip != l.ip {
				d := km(prev.lat, prev.lon, l.lat, l.lon)
				h := l.at.Sub(prev.at).Hours()
				if d >= 100 && (h <= 0 || d/h > th.travelKmh) {
					flag("impossible_travel", user)
				}
			}
			prev = l
		}

		for _, f := range families[user] {
			if !f.s.geo || o.trusted(f.s.ip, th) {
				continue
			}
			countries, n := map[string]bool{}, 0
			for _, l := range ls {
				if l.status == "Success" && l.geo && !o.trusted(l.ip, th) && l.at.Before(f.loginAt) && !l.at.Before(f.loginAt.Add(-30*24*time.Hour)) {
					countries[l.iso] = true
					n++
				}
			}
			iso := ""
			for _, l := range ls {
				if l.id == f.s.login {
					iso = l.iso
				}
			}
			if n >= th.newCountryMin && iso != "" && !countries[iso] {
				flag("ip_new_for_user", user)
			}
		}

		o.bursts(ls, th, func() { flag("failed_login_burst", user) })
	}
	// Logins, untrusted address by address.
	byIP := map[string][]oLogin{}
	for _, l := range o.logins {
		if !o.trusted(l.ip, th) {
			byIP[l.ip] = append(byIP[l.ip], l)
		}
	}
	for _, ls := range byIP {
		sort.Slice(ls, func(i, j int) bool { return ls[i].at.Before(ls[j].at) })
		o.bursts(ls, th, func() {
			for _, l := range ls {
				if l.status != "Success" {
					flag("failed_login_burst", l.user)
				}
			}
		})
		for _, l := range ls {
			if o.denied.Contains(netip.MustParseAddr(l.ip)) {
				flag("ip_denied", l.user)
			}
		}
	}

	// Addresses shared by many users within a day.
	for ip, ls := range byIP {
		for k, l := range ls {
			users := map[string]bool{}
			for _, m := range ls[k:] {
				if m.status == "Success" && m.at.Sub(l.at) <= 24*time.Hour {
					users[m.user] = true
				}
			}
			if len(users) >= th.sharedUsers {
				flag("ip_shared_by_users", ip)
			}
		}
	}

	out := map[string][]string{}
	for check, keys := range found {
		for k := range keys {
			out[check] = append(out[check], k)
		}
		slices.Sort(out[check])
	}
	return out
}

// bursts calls found when ls (sorted by time) holds burstFailures failed
// logins within burstWindow; whether a success follows only raises the
// severity, so it does not matter here.
func (o *oracle) bursts(ls []oLogin, th thresholds, found func()) {
	var failures []time.Time
	for _, l := range ls {
		if l.status != "Success" {
			failures = append(failures, l.at)
		}
	}
	for k := range failures {
		if k+th.burstFailures-1 < len(failures) && failures[k+th.burstFailures-1].Sub(failures[k]) <= th.burstWindow {
			found()
			return
		}
	}
}

func km(lat1, lon1, lat2, lon2 float64) float64 {
	const rad = math.Pi / 180
	dlat, dlon := (lat2-lat1)*rad, (lon2-lon1)*rad
	h := math.Sin(dlat/2)*math.Sin(dlat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dlon/2)*math.Sin(dlon/2)
	return 2 * 6371 * math.Asin(math.Sqrt(h))
}

func mustTime(tb testing.TB, s string) time.Time {
	tb.Helper()
	t, err := time.Parse("2006-01-02T15:04:05.000Z", s)
	if err != nil {
		tb.Fatalf("bad time %q: %v", s, err)
	}
	return t
}

func mustFloat(s string) float64 {
	var f float64
	fmt.Sscan(s, &f)
	return f
}

// TestBackgroundNeverOutrunsAPlane walks many more users than the files
// above hold, at the level of the generator's own login records, and checks
// that nobody outside the plan logs in from two places faster than 900 km/h.
// Travellers are the ones at risk: their trip logins must come from the trip.
func TestBackgroundNeverOutrunsAPlane(t *testing.T) {
	g := newGenerator(Config{Logins: 600_000, Seed: 9, AsOf: testAsOf, Format: FormatBulk})
	var n int
	g.w.users, g.w.logins, g.w.sessions = countWriter{&n}, countWriter{&n}, countWriter{&n}
	travellers := 0
	for ui := range g.nUsers {
		if err := g.user(ui); err != nil {
			t.Fatal(err)
		}
		if g.plan.users[ui] != nil {
			continue
		}
		if g.u.trip.city >= 0 {
			travellers++
		}
		var prev *login
		for i := range g.logins {
			l := &g.logins[i]
			if l.status != statusSuccess || l.geo < 0 || vpnNet.Contains(l.ip) {
				continue
			}
			if prev != nil && prev.ip != l.ip {
				d, h := distanceKm(prev.geo, l.geo), float64(l.at-prev.at)/hour
				if d >= 100 && (h <= 0 || d/h > 900) {
					t.Errorf("user %d: %s at %d then %s at %d: %.0f km in %.2f h", ui, cities[prev.geo].name, prev.at, cities[l.geo].name, l.at, d, h)
				}
			}
			prev = l
		}
	}
	if travellers < 50 {
		t.Errorf("got %d travellers, want at least 50 for this test to mean anything", travellers)
	}
}
