package gen

import (
	"fmt"
	"net/netip"
)

// The planted cases, hits and near misses, for every check. They sit on users
// of their own (spread over the org) and are timed so that each case trips
// its own check and no other: foreign origins are surrounded by two quiet
// days, so the travel between them and the user's home stays slow, and
// incidents that must not leave a live session leave none.
func newPlan(asOf int64, users int) *plan {
	pl := &planner{asOf: asOf, plan: &plan{users: map[int]*userPlan{}}, attackerHost: 10}
	const slots = 29 // 19 dedicated users and 10 who share an address
	for j := range slots {
		pl.slots = append(pl.slots, 1+j*(users-1)/slots)
	}
	a := asOf
	live := func(modified int64) famSpec { return famSpec{kind: famUI, modified: modified} }
	home := origin{geo: -1}
	var (
		newYork, boston, sanFrancisco = cityIndex("New York"), cityIndex("Boston"), cityIndex("San Francisco")
		tokyo, london, moscow, paris  = cityIndex("Tokyo"), cityIndex("London"), cityIndex("Moscow"), cityIndex("Paris")
		warsaw, sydney, frankfurt     = cityIndex("Warsaw"), cityIndex("Sydney"), cityIndex("Frankfurt")
		saoPaulo, berlin, singapore   = cityIndex("São Paulo"), cityIndex("Berlin"), cityIndex("Singapore")
		chicago, lagos, madrid        = cityIndex("Chicago"), cityIndex("Lagos"), cityIndex("Madrid")
		toronto, amsterdam            = cityIndex("Toronto"), cityIndex("Amsterdam")
	)

	// concurrent_sessions: two live families far apart, logins slow enough
	// apart not to be travel.
	for _, c := range []struct {
		hit  bool
		note string
		home int
		away origin
		at   int64
	}{
		{true, "live families from New York and San Francisco (4,130 km), logins 9 h apart", newYork, pl.attacker(sanFrancisco), a - 10*hour},
		{false, "live families from New York and Boston, only 306 km apart", newYork, pl.attacker(boston), a - 10*hour},
		{false, "live families from Tokyo and the trusted VPN egress in Ashburn", tokyo, pl.vpn(), a - 5*hour},
	} {
		u := pl.dedicated("concurrent_sessions", c.hit, c.note, c.home, false)
		u.quiet(a-14*hour, a)
		u.login(c.at, home, live(a-25*minute))
		u.login(a-hour, c.away, live(a-5*minute))
	}

	// impossible_travel: consecutive successful logins too far apart too
	// fast, four days ago, with no session left.
	londonMoscow := int64(distanceKm(london, moscow) / 850 * hour)
	for _, c := range []struct {
		hit  bool
		note string
		home int
		at   int64
		legs []leg
	}{
		{true, "London then Moscow (2,500 km) one hour later", london, a - 4*day - 3*hour,
			[]leg{{hour, pl.attacker(moscow)}}},
		{false, "London then Moscow at 850 km/h", london, a - 6*day,
			[]leg{{londonMoscow, pl.attacker(moscow)}}},
		{true, "Paris, the trusted VPN 20 min later, then Warsaw (1,370 km) 1 h after Paris", paris, a - 5*day,
			[]leg{{20 * minute, pl.vpn()}, {hour, pl.attacker(warsaw)}}},
	} {
		u := pl.dedicated("impossible_travel", c.hit, c.note, c.home, false)
		u.quiet(c.at-2*day, c.at+2*day)
		u.login(c.at, home, famSpec{})
		for _, l := range c.legs {
			u.login(c.at+l.after, l.from, famSpec{})
		}
	}

	// familyCase is a single UI family created and last used at given times.
	type familyCase struct {
		hit               bool
		note              string
		created, modified int64
	}

	// session_over_age: a live UI session created more than 12 h ago.
	for _, c := range []familyCase{
		{true, "live UI session created 13 h before as-of", a - 13*hour, a - 20*minute},
		{false, "live UI session created 11 h 50 min before as-of", a - 11*hour - 50*minute, a - 20*minute},
		{false, "UI session created 30 h before as-of, expired 18 h before it", a - 30*hour, a - 26*hour},
	} {
		u := pl.dedicated("session_over_age", c.hit, c.note, sydney, false)
		u.quiet(a-32*hour, a)
		u.login(c.created, home, live(c.modified))
	}

	// token_over_rotation: a live OAuth session older than 90 days.
	for _, c := range []struct {
		hit  bool
		note string
		age  int64
	}{
		{true, "live Oauth2 session created 95 days before as-of", 95 * day},
		{false, "live Oauth2 session created 89 days before as-of", 89 * day},
	} {
		u := pl.dedicated("token_over_rotation", c.hit, c.note, frankfurt, true)
		u.login(a-c.age, home, famSpec{kind: famOauth, modified: a - hour, valid: day})
	}

	// ip_new_for_user: a live family from a country the user's recent
	// logins never came from.
	for _, c := range []struct {
		hit      bool
		note     string
		home     int
		away     int
		quiet    int64
		baseline []int64
	}{
		{true, "8+ logins from France in the last 30 days, then a live family from Brazil", paris, saoPaulo, 3 * day,
			[]int64{28, 25, 22, 19, 16, 13, 10, 7}},
		{false, "only 4 logins from Germany in the last 35 days, then a live family from Singapore", berlin, singapore, 35 * day,
			[]int64{26, 19, 12, 5}},
	} {
		u := pl.dedicated("ip_new_for_user", c.hit, c.note, c.home, false)
		u.quiet(a-c.quiet, a)
		for _, d := range c.baseline {
			u.login(a-d*day, home, famSpec{})
		}
		u.login(a-2*hour, pl.attacker(c.away), live(a-10*minute))
	}

	// failed_login_burst: failures every 110 s from one address, then a
	// success from it 40 min after the first.
	for _, c := range []struct {
		hit      bool
		note     string
		failures int
	}{
		{true, "10 Invalid Password in 17 min, then a success from the same address", 10},
		{false, "9 Invalid Password in 15 min, then a success from the same address", 9},
	} {
		u := pl.dedicated("failed_login_burst", c.hit, c.note, chicago, false)
		t := a - 3*day
		u.quiet(t-2*day, t+2*day)
		from := pl.attacker(lagos)
		for i := range c.failures {
			u.add(plannedLogin{at: t + int64(i)*110, origin: from, status: "Invalid Password"})
		}
		success := plannedLogin{at: t + 40*minute, origin: from}
		if c.hit {
			success.browser = hostileBrowser
		}
		u.add(success)
	}

	// session_without_login: the session's LoginHistoryId is not in the file.
	for _, c := range []familyCase{
		{true, "live UI family whose login row is missing, created 3 h before as-of", a - 3*hour, a - 15*minute},
		{false, "expired UI family whose login row is missing", a - 30*hour, a - 29*hour},
	} {
		u := pl.dedicated("session_without_login", c.hit, c.note, madrid, false)
		u.quiet(a-32*hour, a)
		u.add(plannedLogin{at: c.created, origin: home, fam: live(c.modified), phantom: true})
	}

	// ip_denied: a live family from the denied range, geolocated at home.
	// The near miss comes from the first address past the range (the one
	// planted origin outside the documentation networks), since a login
	// from inside it is reported too, even one whose session has expired.
	for _, c := range []struct {
		hit  bool
		note string
		from netip.Addr
	}{
		{true, "live UI family from " + DeniedRange, rangeHost(deniedNet, 77)},
		{false, "live UI family from 203.0.114.1, just past " + DeniedRange, netip.AddrFrom4([4]byte{203, 0, 114, 1})},
	} {
		u := pl.dedicated("ip_denied", c.hit, c.note, toronto, false)
		u.login(a-hour, origin{ip: c.from, geo: toronto}, live(a-5*minute))
	}

	// ip_shared_by_users: ordinary users (keeping their own homes) log in
	// from one address within a few hours.
	sharers := pl.rest()
	for _, c := range []struct {
		hit   bool
		note  string
		users int
		at    int64
	}{
		{true, "10 users log in from one address within 4 h", 10, a - 5*day},
		{false, "9 users log in from one address within 4 h", 9, a - 10*day},
	} {
		shared := pl.attacker(amsterdam)
		p := pl.newPlant("ip_shared_by_users", c.hit, c.note, c.users)
		for i, ui := range sharers[:c.users] {
			u := pl.user(ui, p, i)
			t := c.at + int64(i)*25*minute
			u.quiet(t-2*day, t+2*day)
			u.login(t, shared, famSpec{})
		}
	}
	return pl.plan
}

// plan is where the planted cases go: what each chosen user must do, and the
// cases as Stats reports them (user Ids are filled in as users are made).
type plan struct {
	users  map[int]*userPlan
	plants []Plant
}

// userPlan is what one user must do besides their ordinary background.
type userPlan struct {
	home        int        // forced home city, or -1 for the user's own
	homeIP      netip.Addr // valid when home is forced
	integration bool
	plain       bool // a home-only desktop user: no VPN, mobile app or trips
	quietness   []window
	logins      []plannedLogin
	refs        []plantRef
}

type window struct{ from, to int64 }

// plantRef says which Plant the user is listed in, at which position.
type plantRef struct{ plant, pos int }

// origin is where a login comes from; the zero ip with geo -1 is the user's
// home address.
type origin struct {
	ip  netip.Addr
	geo int
}

type leg struct {
	after int64
	from  origin
}

type plannedLogin struct {
	at      int64
	origin  origin
	status  string // "" is Success
	browser string // "" is the user's own
	fam     famSpec
	phantom bool // written to sessions only, never to logins
}

// quiet reports whether t falls where the user's background must not log in.
func (p *userPlan) quiet(t int64) bool {
	if p == nil {
		return false
	}
	for _, w := range p.quietness {
		if t >= w.from && t <= w.to {
			return true
		}
	}
	return false
}

// planner hands out users and origins in a fixed order, so placement depends
// only on the org's size.
type planner struct {
	asOf         int64
	plan         *plan
	slots        []int
	next         int
	attackerHost int
}

// plantedUser adds logins and quiet windows to one user's plan and records
// the origins that matter in its Plant.
type plantedUser struct {
	pl    *planner
	u     *userPlan
	plant int
}

func (pl *planner) newPlant(check string, hit bool, note string, users int) int {
	pl.plan.plants = append(pl.plan.plants, Plant{
		Check: check, Hit: hit, Note: note,
		UserIDs: make([]string, users), Usernames: make([]string, users),
	})
	return len(pl.plan.plants) - 1
}

// dedicated takes the next user for a case of their own, at a forced home
// whose address comes from the city's planted range.
func (pl *planner) dedicated(check string, hit bool, note string, home int, integration bool) plantedUser {
	j := pl.next
	ui := pl.slots[j]
	pl.next++
	u := &userPlan{home: home, homeIP: homeV4(home, plantBase+j), integration: integration, plain: true}
	pl.plan.users[ui] = u
	p := pl.newPlant(check, hit, note, 1)
	u.refs = append(u.refs, plantRef{p, 0})
	return plantedUser{pl, u, p}
}

// rest returns the users not yet handed out.
func (pl *planner) rest() []int { return pl.slots[pl.next:] }

// user adds plant to ordinary user ui's plan, listing them at position pos.
func (pl *planner) user(ui, plant, pos int) plantedUser {
	u := pl.plan.users[ui]
	if u == nil {
		u = &userPlan{home: -1}
		pl.plan.users[ui] = u
	}
	u.refs = append(u.refs, plantRef{plant, pos})
	return plantedUser{pl, u, plant}
}

func (pl *planner) attacker(c int) origin {
	pl.attackerHost++
	return origin{ip: rangeHost(attackerNet, pl.attackerHost), geo: c}
}

func (pl *planner) vpn() origin {
	return origin{ip: rangeHost(vpnNet, 23), geo: vpnCity}
}

func (x plantedUser) quiet(from, to int64) { x.u.quietness = append(x.u.quietness, window{from, to}) }

func (x plantedUser) login(at int64, o origin, fam famSpec) {
	x.add(plannedLogin{at: at, origin: o, fam: fam})
}

func (x plantedUser) add(l plannedLogin) {
	x.u.logins = append(x.u.logins, l)
	ip := l.origin.ip
	if !ip.IsValid() {
		if !x.u.homeIP.IsValid() {
			return // an ordinary user's home is not known yet and does not matter
		}
		ip = x.u.homeIP
	}
	p := &x.pl.plan.plants[x.plant]
	s := ip.String()
	for _, have := range p.IPs {
		if have == s {
			return
		}
	}
	p.IPs = append(p.IPs, s)
}

// String names a plant for test failures.
func (p Plant) String() string {
	return fmt.Sprintf("%s hit=%t (%s) users=%v ips=%v", p.Check, p.Hit, p.Note, p.Usernames, p.IPs)
}
