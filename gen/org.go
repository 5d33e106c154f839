package gen

import (
	"context"
	"math/bits"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

const (
	minute  = 60
	hour    = 60 * minute
	day     = 24 * hour
	history = 180 * day

	// Record numbers start a little into the nine base-62 digits, so Ids
	// look like Salesforce's rather than a run of zeros, and differ by
	// object. A user's logins (and their LoginGeo rows) and sessions are
	// numbered from the user's index shifted by perUserBits, which keeps
	// every file sorted by Id.
	userBase    = 310_000_000_000
	loginBase   = 1_200_000_000_000
	sessionBase = 2_700_000_000_000
	perUserBits = 14
	rejectBase  = 1<<perUserBits - 16 // numbers of rejected rows, above any real one

	statusSuccess = "Success"
)

// famKind is the kind of session family a successful login starts.
type famKind uint8

const (
	famNone  famKind = iota
	famUI            // UI parent with Content, Visualforce and the Spring '25 API session
	famOauth         // one Oauth2 session
)

// famSpec says which sessions a login leaves behind: the family's
// LastModifiedDate and its validity (0 means the user's session timeout).
type famSpec struct {
	kind     famKind
	modified int64
	valid    int64
}

type login struct {
	at       int64
	n        uint64
	ip       netip.Addr
	geo      int // city index, -1 when LoginGeo is unknown
	kind     *loginKind
	browser  string
	platform string
	status   string
	fam      famSpec
	phantom  bool
}

type session struct {
	n, parent         uint64
	created, modified int64
	valid             int64
	loginType, typ    string
	level             string
	login             int // index into generator.logins
	current           bool
}

type userKind uint8

const (
	kindStandard userKind = iota
	kindAdmin
	kindPartner
	kindIntegration
	kindInactive
)

type user struct {
	index     int
	n         uint64
	name      string
	username  string
	kind      userKind
	profile   int
	home      int
	slot      int
	v4        netip.Addr
	mobileV4  netip.Addr
	dualStack bool
	device    int
	uiKind    *loginKind
	mobile    *loginKind // nil without the mobile app
	api       *loginKind // integration users' connected app
	vpnShare  float64
	trip      trip
}

// trip is a visit to another city of the home country between from and to;
// gap is how long before and after it the user does not log in at all, so
// the journey stays slower than a plane.
type trip struct {
	city          int // -1 without a trip
	from, to, gap int64
	ip            netip.Addr
}

// generator makes users one at a time; its slices are reused, so memory does
// not grow with the org.
type generator struct {
	cfg        Config
	asOf       int64
	nUsers     int
	plan       *plan
	pcg        rand.PCG
	rng        *rand.Rand
	cityOfSlot [100]int
	rankOfSlot [100]int
	browsers   [][]string // device, then age in four-week steps
	u          user
	logins     []login
	sessions   []session
	row        []field
	w          struct{ users, logins, sessions rowWriter }
	rejected   bool
	stats      Stats
}

type openWriter func(t *table, i int) (rowWriter, error)

func run(ctx context.Context, cfg Config, open openWriter) (Stats, error) {
	g := newGenerator(cfg)
	loginsAs := loginTable
	if cfg.Format == FormatSetup {
		loginsAs = setupTable
	}
	var opened []rowWriter
	closeAll := func(err error) (Stats, error) {
		for _, w := range opened {
			if cerr := w.close(); cerr != nil && err == nil {
				err = cerr
			}
		}
		return g.stats, err
	}
	for i, t := range []*table{sessionTable, loginsAs, userTable} {
		w, err := open(t, i)
		if err != nil {
			return closeAll(err)
		}
		opened = append(opened, w)
	}
	g.w.sessions, g.w.logins, g.w.users = opened[0], opened[1], opened[2]
	for ui := range g.nUsers {
		if ui%256 == 0 {
			if err := ctx.Err(); err != nil {
				return closeAll(err)
			}
		}
		if err := g.user(ui); err != nil {
			return closeAll(err)
		}
	}
	return closeAll(nil)
}

func newGenerator(cfg Config) *generator {
	g := &generator{
		cfg:    cfg,
		asOf:   cfg.AsOf.Unix(),
		nUsers: max((cfg.Logins+99)/100, MinUsers),
		row:    make([]field, 32),
	}
	g.rng = rand.New(&g.pcg)
	g.plan = newPlan(g.asOf, g.nUsers)
	g.stats.Planted = g.plan.plants

	// Residents are dealt to cities by a seeded shuffle of 100 slots, each
	// city holding as many slots as its weight; user u takes slot u%100, so
	// a city's residents are numbered without a count kept anywhere.
	var slots []int
	for c, city := range cities {
		for range city.weight {
			slots = append(slots, c)
		}
	}
	if len(slots) != 100 {
		panic("gen: city weights must add up to 100")
	}
	g.pcg.Seed(cfg.Seed, mix(1<<62))
	g.rng.Shuffle(len(slots), func(i, j int) { slots[i], slots[j] = slots[j], slots[i] })
	seen := map[int]int{}
	for s, c := range slots {
		g.cityOfSlot[s], g.rankOfSlot[s] = c, seen[c]
		seen[c]++
	}

	for _, d := range devices {
		var names []string
		for age := range history/(28*day) + 1 {
			if d.major == 0 {
				names = append(names, d.browser)
			} else {
				names = append(names, d.browser+" "+strconv.Itoa(d.major-int(age)))
			}
		}
		g.browsers = append(g.browsers, names)
	}
	return g
}

// mix is SplitMix64's finaliser: it turns a counter into an unrelated-looking
// PCG stream seed.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// budget is how many logins user ui writes. The total splits evenly, then
// each pair of neighbours moves up to 60% of a share from one to the other,
// so users differ while the sum stays exact.
func (g *generator) budget(ui int) int {
	share := func(i int) int {
		return int(g.loginsBefore(i+1) - g.loginsBefore(i))
	}
	first := ui &^ 1
	if first+1 >= g.nUsers {
		return share(ui)
	}
	var pcg rand.PCG
	pcg.Seed(g.cfg.Seed, mix(1<<63|uint64(first)))
	shift := int(pcg.Uint64() % uint64(min(share(first), share(first+1))*6/10+1))
	if ui == first {
		return share(ui) + shift
	}
	return share(ui) - shift
}

// loginsBefore is floor(Logins*i/nUsers), the even split's logins of the
// users before user i, in 128 bits so the product cannot overflow.
func (g *generator) loginsBefore(i int) uint64 {
	hi, lo := bits.Mul64(uint64(g.cfg.Logins), uint64(i))
	q, _ := bits.Div64(hi, lo, uint64(g.nUsers)) // i <= nUsers, so q <= Logins
	return q
}

// user makes user ui with its logins and sessions and writes them.
func (g *generator) user(ui int) error {
	g.pcg.Seed(g.cfg.Seed, mix(uint64(ui)))
	p := g.plan.users[ui]
	u := g.makeUser(ui, p)

	g.logins = g.logins[:0]
	budget := g.budget(ui)
	for _, pl := range p.plannedLogins() {
		g.addPlanned(u, pl)
		if !pl.phantom {
			budget--
		}
	}
	g.background(u, p, budget)
	slices.SortStableFunc(g.logins, func(a, b login) int { return int(a.at - b.at) })
	for i := range g.logins {
		g.logins[i].n = loginBase + uint64(ui)<<perUserBits + uint64(i)
	}
	g.mobileSession(u)
	g.buildSessions(u)

	for _, ref := range refs(p) {
		g.stats.Planted[ref.plant].UserIDs[ref.pos] = idString(prefixUser, u.n)
		g.stats.Planted[ref.plant].Usernames[ref.pos] = u.username
	}
	if err := g.w.users.write(g.userRow(u)); err != nil {
		return err
	}
	g.stats.Users++
	for i := range g.logins {
		if g.logins[i].phantom {
			continue
		}
		if err := g.w.logins.write(g.loginRow(u, &g.logins[i])); err != nil {
			return err
		}
		g.stats.Logins++
	}
	for i := range g.sessions {
		s := &g.sessions[i]
		if err := g.w.sessions.write(g.sessionRow(u, s)); err != nil {
			return err
		}
		g.stats.Sessions++
		if s.modified+s.valid > g.asOf {
			g.stats.LiveSessions++
		}
	}
	if g.cfg.WithRejects && !g.rejected && ui >= g.nUsers/2 && len(g.sessions) > 0 {
		g.rejected = true
		return g.writeRejects(u)
	}
	return nil
}

func (p *userPlan) plannedLogins() []plannedLogin {
	if p == nil {
		return nil
	}
	return p.logins
}

func refs(p *userPlan) []plantRef {
	if p == nil {
		return nil
	}
	return p.refs
}

// makeUser draws who user ui is; a plan may force the home, the kind and a
// plain, home-only way of working.
func (g *generator) makeUser(ui int, p *userPlan) *user {
	r := g.rng
	u := &g.u
	*u = user{index: ui, n: userBase + uint64(ui), trip: trip{city: -1}}
	slot := ui % 100
	u.home = g.cityOfSlot[slot]
	u.slot = ui/100*cities[u.home].weight + g.rankOfSlot[slot]
	u.v4 = homeV4(u.home, homeBase+2*(u.slot%homeSlots))
	u.mobileV4 = homeV4(u.home, homeBase+2*(u.slot%homeSlots)+1)

	first, last := firstNames[r.IntN(len(firstNames))], lastNames[r.IntN(len(lastNames))]
	switch x := r.IntN(100); {
	case ui == 0 || x < 2:
		u.kind = kindAdmin
	case x < 3:
		u.kind = kindIntegration
	case x < 4:
		u.kind = kindInactive
	case x < 6:
		u.kind = kindPartner
	}
	u.device = r.IntN(len(devices))
	u.uiKind = kindUI
	if r.IntN(100) < 35 {
		u.uiKind = kindSAML
	}
	if r.IntN(100) < 30 {
		u.mobile = kindMobileIOS
		if r.IntN(2) == 0 {
			u.mobile = kindMobileAndroid
		}
	}
	if r.IntN(100) < 40 {
		u.vpnShare = 0.25
	}
	u.dualStack = r.IntN(100) < 15
	u.api = integrationKinds[r.IntN(len(integrationKinds))]
	if r.IntN(100) < 3 {
		u.trip = g.drawTrip(u)
	}

	if p != nil {
		u.kind = kindStandard
		if p.integration {
			u.kind = kindIntegration
		}
		if p.home >= 0 {
			u.home, u.v4 = p.home, p.homeIP
		}
		u.trip.city = -1
		if p.plain {
			u.uiKind, u.mobile, u.vpnShare, u.dualStack = kindUI, nil, 0, false
		}
	}
	switch u.kind {
	case kindAdmin:
		u.profile = profileAdmin
	case kindPartner:
		u.profile, u.uiKind, u.mobile, u.vpnShare = profilePartner, kindCommunity, nil, 0
	case kindIntegration:
		u.profile, u.mobile, u.vpnShare, u.dualStack, u.trip.city = profileIntegration, nil, 0, false, -1
	default:
		u.profile = (ui / 7) % 4 // the four ordinary profiles, in turns
	}

	u.name = first + " " + last
	local := asciiFold.Replace(strings.ToLower(first + "." + last))
	if u.kind == kindIntegration {
		u.name = u.api.application + " Integration"
		local = "integration." + strings.ReplaceAll(strings.ToLower(u.api.application), " ", "-")
	}
	domain := userDomain
	if u.kind == kindPartner {
		domain = "partners." + userDomain
	}
	u.username = local + "." + strconv.Itoa(ui) + "@" + domain
	return u
}

// drawTrip sends u to another city of the home country for 2 to 5 days,
// between 170 and 10 days before as-of; countries with one city stay home.
func (g *generator) drawTrip(u *user) trip {
	r := g.rng
	var dests []int
	for c, city := range cities {
		if c != u.home && city.weight > 0 && city.iso == cities[u.home].iso {
			dests = append(dests, c)
		}
	}
	if len(dests) == 0 {
		return trip{city: -1}
	}
	c := dests[r.IntN(len(dests))]
	from := g.asOf - 170*day + r.Int64N(155*day)
	return trip{
		city: c,
		from: from,
		to:   from + 2*day + r.Int64N(3*day),
		gap:  int64(distanceKm(u.home, c)/600*hour) + 2*hour,
		ip:   homeV4(c, travelBase+u.slot%travelSlot),
	}
}

// addPlanned adds a planted login as the plan says, filling in the user's
// home, device and way of logging in.
func (g *generator) addPlanned(u *user, pl plannedLogin) {
	l := login{at: pl.at, ip: pl.origin.ip, geo: pl.origin.geo, status: pl.status, fam: pl.fam, phantom: pl.phantom}
	if !l.ip.IsValid() {
		l.ip, l.geo = u.v4, u.home
	}
	if l.status == "" {
		l.status = statusSuccess
	}
	l.kind = u.uiKind
	if u.kind == kindIntegration {
		l.kind = u.api
	}
	g.setClient(u, &l)
	if pl.browser != "" {
		l.browser = pl.browser
	}
	g.logins = append(g.logins, l)
}

// setClient fills Browser and Platform from the login kind and the user's
// desktop, whose browser version depends on when the login happened.
func (g *generator) setClient(u *user, l *login) {
	if l.kind.browserLess {
		l.browser, l.platform = "Unknown", "Unknown"
		switch l.kind {
		case kindMobileIOS:
			l.platform = "iPhone iOS"
		case kindMobileAndroid:
			l.platform = "Android"
		}
		return
	}
	ages := g.browsers[u.device]
	age := min(max((g.asOf-l.at)/(28*day), 0), int64(len(ages)-1))
	l.browser, l.platform = ages[age], devices[u.device].platform
}

// background adds the user's ordinary logins, n at most, avoiding the plan's
// quiet windows.
func (g *generator) background(u *user, p *userPlan, n int) {
	r := g.rng
	a := g.asOf
	switch u.kind {
	case kindIntegration:
		// Around the clock from one data-centre address; about a quarter of
		// the last 80 days' logins keep a token session, most still in use.
		for left, tries := n, 0; left > 0 && tries < 2*n; tries++ {
			t, ok := g.pickTime(u, p, a-history, a-10*minute, false)
			if !ok {
				continue
			}
			left--
			l := login{at: t, ip: u.v4, geo: u.home, kind: u.api, status: statusSuccess}
			if t > a-80*day && r.IntN(4) == 0 {
				switch {
				case r.IntN(100) < 85:
					l.fam = famSpec{kind: famOauth, modified: max(t+2*minute, a-minute-r.Int64N(20*hour)), valid: day}
				case t < a-2*day:
					l.fam = famSpec{kind: famOauth, modified: t + minute + r.Int64N(6*hour), valid: day}
				}
			}
			g.setClient(u, &l)
			g.logins = append(g.logins, l)
		}
		return
	case kindInactive:
		// Deactivated two to five months ago; a couple of attempts since.
		off := a - 90*day - r.Int64N(60*day)
		for left, tries := n, 0; left > 0 && tries < 2*n; tries++ {
			lo, hi, status := a-history, off, statusSuccess
			if left <= 2 {
				lo, hi, status = off, a-day, "User is inactive"
			}
			if t, ok := g.pickTime(u, p, lo, hi, true); ok {
				left -= g.addDesktop(u, t, u.v4, u.home, status, famSpec{}, left)
			}
		}
		return
	}

	// Desktop users: 1 to 3 logins in the last 11 hours keep live families,
	// half of them logged in yesterday too (expired by now), and the rest is
	// spread over working hours of the past half year.
	left, tries := n, 0
	recent, yesterday := 1+r.IntN(3), r.IntN(2)
	for i := 0; left > 0 && i < recent+yesterday; i++ {
		lo, hi := a-11*hour, a-10*minute
		if i >= recent {
			lo, hi = a-36*hour, a-12*hour
		}
		t, ok := g.pickTime(u, p, lo, hi, false)
		if !ok {
			continue
		}
		valid := profiles[u.profile].valid
		fam := famSpec{kind: famUI, modified: t + 2*minute + r.Int64N(hour)}
		if i < recent {
			fam.modified = max(t+2*minute, a-valid*8/10) + r.Int64N(valid*8/10)
			fam.modified = min(fam.modified, a-minute)
		}
		ip, geo := g.origin(u)
		left -= g.addDesktop(u, t, ip, geo, statusSuccess, fam, left)
	}
	for ; left > 0 && tries < 2*n; tries++ {
		t, ok := g.pickTime(u, p, a-history, a-36*hour, true)
		if !ok {
			continue
		}
		away := u.trip.city >= 0 && t >= u.trip.from && t <= u.trip.to
		switch {
		case away:
			// On a trip only the laptop logs in, from the hotel.
			left -= g.addDesktop(u, t, u.trip.ip, u.trip.city, statusSuccess, famSpec{}, left)
		case u.mobile != nil && r.IntN(5) == 0:
			l := login{at: t, ip: u.mobileV4, geo: u.home, kind: u.mobile, status: statusSuccess}
			g.setClient(u, &l)
			g.logins = append(g.logins, l)
			left--
		case u.kind == kindAdmin && r.IntN(20) == 0:
			l := login{at: t, ip: u.v4, geo: u.home, kind: kindDataLoader, status: statusSuccess}
			g.setClient(u, &l)
			g.logins = append(g.logins, l)
			left--
		default:
			ip, geo := g.origin(u)
			if u.dualStack && ip.Is6() && r.IntN(50) == 0 {
				geo = -1 // the geolocation service did not know the address
			}
			left -= g.addDesktop(u, t, ip, geo, statusSuccess, famSpec{}, left)
		}
	}
}

// addDesktop adds a browser login, now and then after a mistyped password
// when room allows two rows, and returns how many rows it added.
func (g *generator) addDesktop(u *user, t int64, ip netip.Addr, geo int, status string, fam famSpec, room int) int {
	l := login{at: t, ip: ip, geo: geo, kind: u.uiKind, status: status, fam: fam}
	g.setClient(u, &l)
	added := 1
	if status == statusSuccess && room >= 2 && g.rng.IntN(100) < 3 {
		f := l
		f.at = t - 15 - g.rng.Int64N(165)
		f.status, f.fam = failureStatuses[g.rng.IntN(len(failureStatuses))], famSpec{}
		g.logins = append(g.logins, f)
		added++
	}
	g.logins = append(g.logins, l)
	return added
}

// origin picks where a desktop login at home comes from: the VPN, or the
// home line (IPv6 addresses rotate their host part, as privacy addresses do).
func (g *generator) origin(u *user) (netip.Addr, int) {
	r := g.rng
	switch {
	case u.vpnShare > 0 && r.Float64() < u.vpnShare:
		return rangeHost(vpnNet, 1+r.IntN(254)), vpnCity
	case u.dualStack && r.IntN(10) < 6:
		return homeV6(u.home, u.slot%65536, r.Uint64()), u.home
	}
	return u.v4, u.home
}

// pickTime draws a time in [lo, hi) outside the plan's quiet windows and the
// user's travel gaps, mostly in local working hours when business is set.
// It gives up after a few tries when the range is nearly all quiet.
func (g *generator) pickTime(u *user, p *userPlan, lo, hi int64, business bool) (int64, bool) {
	if hi <= lo {
		return 0, false
	}
	r := g.rng
	for try := range 24 {
		t := lo + r.Int64N(hi-lo)
		if p.quiet(t) || u.trip.inGap(t) {
			continue
		}
		if business && try < 12 {
			local := t + int64(cities[u.home].utcOffsetMin)*minute
			hour, weekday := local%day/hour, (local/day+4)%7 // 1970-01-01 was a Thursday
			if (hour < 7 || hour >= 19 || weekday == 0 || weekday == 6) && r.IntN(10) != 0 {
				continue
			}
		}
		return t, true
	}
	return 0, false
}

func (t trip) inGap(at int64) bool {
	return t.city >= 0 && (at >= t.from-t.gap && at < t.from || at > t.to && at <= t.to+t.gap)
}

// mobileSession keeps an Oauth2 session for the latest mobile app login of
// the last 30 days, refreshed within the last 1.6 hours.
func (g *generator) mobileSession(u *user) {
	if u.mobile == nil {
		return
	}
	for i := len(g.logins) - 1; i >= 0; i-- {
		l := &g.logins[i]
		if l.kind != u.mobile || l.status != statusSuccess {
			continue
		}
		if l.at > g.asOf-30*day {
			l.fam = famSpec{kind: famOauth, modified: g.asOf - minute - g.rng.Int64N(96*minute), valid: 2 * hour}
		}
		return
	}
}

// buildSessions turns the families the logins asked for into sessions.
func (g *generator) buildSessions(u *user) {
	r := g.rng
	g.sessions = g.sessions[:0]
	add := func(s session) *session {
		s.n = sessionBase + uint64(u.index)<<perUserBits + uint64(len(g.sessions))
		g.sessions = append(g.sessions, s)
		return &g.sessions[len(g.sessions)-1]
	}
	current := -1 // the admin exporting the data: their latest live UI family
	for i := range g.logins {
		l := &g.logins[i]
		if l.fam.kind == famNone || l.status != statusSuccess {
			continue
		}
		valid := l.fam.valid
		if valid == 0 {
			valid = profiles[u.profile].valid
		}
		created := l.at + 1 + r.Int64N(3)
		base := session{created: created, modified: l.fam.modified, valid: valid, loginType: l.kind.loginType, level: "STANDARD", login: i}
		if l.fam.kind == famOauth {
			base.typ = "Oauth2"
			p := add(base)
			p.parent = p.n
			continue
		}
		base.typ = "UI"
		if u.kind == kindPartner {
			base.typ = "ChatterNetworks"
		}
		if u.kind == kindAdmin {
			base.level = "HIGH_ASSURANCE"
		}
		p := add(base)
		p.parent = p.n
		parent := *p
		if u.index == 0 && parent.modified+valid > g.asOf {
			current = len(g.sessions) - 1
		}
		child := func(typ, loginType string, after int64) {
			c := base
			c.typ, c.loginType, c.level, c.parent = typ, loginType, "STANDARD", parent.n
			c.created = created + after
			c.modified = max(c.created, parent.modified-r.Int64N(5*minute))
			add(c)
		}
		if u.kind != kindPartner {
			child("API", "Unknown", 1)
			child("Visualforce", base.loginType, 5+r.Int64N(85))
		}
		child("Content", base.loginType, 2+r.Int64N(28))
	}
	if current >= 0 {
		family := g.sessions[current].n
		for i := range g.sessions {
			g.sessions[i].current = g.sessions[i].parent == family
		}
	}
}

func (g *generator) userRow(u *user) []field {
	row := g.row[:len(userTable.columns)]
	row[0] = idField(prefixUser, u.n)
	row[1] = textField(u.username)
	row[2] = textField(u.name)
	row[3] = textField(profiles[u.profile].userType)
	row[4] = boolField(u.kind != kindInactive)
	row[5] = textField(profiles[u.profile].name)
	return row
}

func (g *generator) loginRow(u *user, l *login) []field {
	if g.cfg.Format == FormatSetup {
		return g.setupRow(u, l)
	}
	row := g.row[:len(loginTable.columns)]
	row[0] = idField(prefixLogin, l.n)
	row[1] = idField(prefixUser, u.n)
	row[2] = timeField(l.at)
	row[3] = textField(l.kind.loginType)
	row[4] = textField(l.kind.subType)
	row[5] = ipField(l.ip)
	row[6] = textField(l.status)
	row[7] = textField(l.browser)
	row[8] = textField(l.platform)
	row[9] = textField(l.kind.application)
	row[10] = textField(l.kind.loginURL)
	row[11], row[12] = field{}, field{}
	if l.geo >= 0 {
		row[11] = textField(cities[l.geo].iso)
		row[12] = idField(prefixGeo, l.n)
	}
	fillGeo(row[13:18], l.geo)
	return row
}

func (g *generator) setupRow(u *user, l *login) []field {
	row := g.row[:len(setupTable.columns)]
	row[0] = textField(u.username)
	row[1] = timeField(l.at)
	row[2] = ipField(l.ip)
	row[3] = field{}
	if l.geo >= 0 {
		row[3] = textField(cityText[l.geo].location)
	}
	k := l.kind
	row[4] = textField(k.loginType)
	row[5] = textField(l.status)
	row[6] = textField(l.browser)
	row[7] = textField(l.platform)
	row[8] = textField(k.application)
	row[9] = textField(k.loginURL)
	row[10] = textField(k.clientVersion)
	row[11] = textField(k.apiType)
	row[12] = textField(k.apiVersion)
	row[13] = textField(k.tls)
	row[14] = textField(k.cipher)
	return row
}

func (g *generator) sessionRow(u *user, s *session) []field {
	l := &g.logins[s.login]
	row := g.row[:len(sessionTable.columns)]
	row[0] = idField(prefixSession, s.n)
	row[1] = idField(prefixUser, u.n)
	row[2] = textField(u.username)
	row[3] = timeField(s.created)
	row[4] = timeField(s.modified)
	row[5] = intField(s.valid)
	row[6] = textField(profiles[u.profile].userType)
	row[7] = ipField(l.ip)
	row[8] = textField(s.loginType)
	row[9] = textField(s.typ)
	row[10] = textField(s.level)
	row[11] = idField(prefixSession, s.parent)
	row[12] = idField(prefixLogin, l.n)
	row[13] = field{}
	if l.geo >= 0 {
		row[13] = idField(prefixGeo, l.n)
	}
	row[14] = boolField(s.current)
	fillGeo(row[15:20], l.geo)
	return row
}

// writeRejects writes rows a loader must reject, copied from u's last login
// and first session with one field broken (or the row cut short), under Ids
// no real row has.
func (g *generator) writeRejects(u *user) error {
	badTime, badIP := "2026-11-31T25:61:00.000Z", "999.12.0.7"
	timeCol, ipCol := 2, 5
	switch g.cfg.Format {
	case FormatSetup:
		badTime, timeCol, ipCol = "11/31/2026 25:61 PM", 1, 2
	case FormatJSON:
		badTime = "2026-11-31T25:61:00.000+0000"
	}
	l := g.logins[len(g.logins)-1]
	for i, broken := range []func(row []field) []field{
		func(row []field) []field { row[timeCol] = textField(badTime); return row },
		func(row []field) []field { row[ipCol] = textField(badIP); return row },
		func(row []field) []field { return row[:4] },
	} {
		l.n = loginBase + uint64(u.index)<<perUserBits + rejectBase + uint64(i)
		if err := g.w.logins.write(broken(g.loginRow(u, &l))); err != nil {
			return err
		}
		g.stats.Rejects++
	}
	// The sessions file is Bulk CSV in the setup format too.
	s := g.sessions[0]
	s.n = sessionBase + uint64(u.index)<<perUserBits + rejectBase
	row := g.sessionRow(u, &s)
	row[3] = textField("2026-11-31T25:61:00.000Z")
	if g.cfg.Format == FormatJSON {
		row[3] = textField(badTime)
	}
	g.stats.Rejects++
	return g.w.sessions.write(row)
}
