package gen

import (
	"math"
	"net/netip"
	"strconv"
	"strings"
)

// Address plan. The special ranges are RFC 5737 documentation networks, so no
// generated file names a real organisation's address, and each has one role a
// policy can name.
const (
	// VPNRange is the corporate VPN egress range (TEST-NET-2). About a tenth
	// of logins come from it, geolocated at the egress in Ashburn; the sample
	// policy lists it as trusted, and checks must ignore it as an origin.
	VPNRange = "198.51.100.0/24"
	// DeniedRange is the range the sample policy denies (TEST-NET-3); one
	// planted live session comes from it.
	DeniedRange = "203.0.113.0/24"
	// AttackerRange is where every other planted foreign origin comes from
	// (TEST-NET-1), one address per planted login origin.
	AttackerRange = "192.0.2.0/24"
)

// Home addresses. The city at index c owns 100.(64+c).0.0/16 of the RFC 6598
// shared space (valid dotted quads that are neither RFC 1918 nor anybody's
// public egress) and 2001:db8:c::/48 of the IPv6 documentation prefix. Within
// a /16, hosts from homeBase hold two addresses per resident (home and mobile
// carrier), hosts from travelBase the addresses of visitors, and hosts from
// plantBase those of planted users, so no two users share an address until a
// city has more than homeSlots residents.
const (
	homeBase   = 256
	homeSlots  = 24000
	travelBase = 49152
	travelSlot = 15000
	plantBase  = 65025
)

// city is a place users live in or log in from. LoginGeo names are English and
// not localised, as Salesforce writes them.
type city struct {
	name, country, iso string
	lat, lon           float64
	utcOffsetMin       int // standard time; daylight saving is ignored
	weight             int // residents per 100 users; 0 for origins nobody lives in
}

var cities = []city{
	{"New York", "United States", "US", 40.7128, -74.0060, -300, 7},
	{"Boston", "United States", "US", 42.3601, -71.0589, -300, 2},
	{"Chicago", "United States", "US", 41.8781, -87.6298, -360, 4},
	{"Austin", "United States", "US", 30.2672, -97.7431, -360, 3},
	{"San Francisco", "United States", "US", 37.7749, -122.4194, -480, 6},
	{"Seattle", "United States", "US", 47.6062, -122.3321, -480, 3},
	{"Atlanta", "United States", "US", 33.7490, -84.3880, -300, 2},
	{"Toronto", "Canada", "CA", 43.6532, -79.3832, -300, 3},
	{"Vancouver", "Canada", "CA", 49.2827, -123.1207, -480, 2},
	{"Mexico City", "Mexico", "MX", 19.4326, -99.1332, -360, 2},
	{"São Paulo", "Brazil", "BR", -23.5505, -46.6333, -180, 3},
	{"Buenos Aires", "Argentina", "AR", -34.6037, -58.3816, -180, 1},
	{"Bogotá", "Colombia", "CO", 4.7110, -74.0721, -300, 1},
	{"London", "United Kingdom", "GB", 51.5074, -0.1278, 0, 7},
	{"Manchester", "United Kingdom", "GB", 53.4808, -2.2426, 0, 2},
	{"Dublin", "Ireland", "IE", 53.3498, -6.2603, 0, 2},
	{"Paris", "France", "FR", 48.8566, 2.3522, 60, 4},
	{"Lyon", "France", "FR", 45.7640, 4.8357, 60, 1},
	{"Berlin", "Germany", "DE", 52.5200, 13.4050, 60, 3},
	{"Munich", "Germany", "DE", 48.1351, 11.5820, 60, 2},
	{"Frankfurt", "Germany", "DE", 50.1109, 8.6821, 60, 2},
	{"Amsterdam", "Netherlands", "NL", 52.3676, 4.9041, 60, 2},
	{"Madrid", "Spain", "ES", 40.4168, -3.7038, 60, 2},
	{"Milan", "Italy", "IT", 45.4642, 9.1900, 60, 2},
	{"Stockholm", "Sweden", "SE", 59.3293, 18.0686, 60, 1},
	{"Warsaw", "Poland", "PL", 52.2297, 21.0122, 60, 1},
	{"Zurich", "Switzerland", "CH", 47.3769, 8.5417, 60, 1},
	{"Dubai", "United Arab Emirates", "AE", 25.2048, 55.2708, 240, 1},
	{"Tel Aviv", "Israel", "IL", 32.0853, 34.7818, 120, 1},
	{"Johannesburg", "South Africa", "ZA", -26.2041, 28.0473, 120, 1},
	{"Lagos", "Nigeria", "NG", 6.5244, 3.3792, 60, 1},
	{"Nairobi", "Kenya", "KE", -1.2921, 36.8219, 180, 1},
	{"Mumbai", "India", "IN", 19.0760, 72.8777, 330, 3},
	{"Bengaluru", "India", "IN", 12.9716, 77.5946, 330, 4},
	{"Singapore", "Singapore", "SG", 1.3521, 103.8198, 480, 3},
	{"Hong Kong", "Hong Kong", "HK", 22.3193, 114.1694, 480, 1},
	{"Tokyo", "Japan", "JP", 35.6762, 139.6503, 540, 5},
	{"Osaka", "Japan", "JP", 34.6937, 135.5023, 540, 1},
	{"Seoul", "South Korea", "KR", 37.5665, 126.9780, 540, 2},
	{"Sydney", "Australia", "AU", -33.8688, 151.2093, 600, 3},
	{"Melbourne", "Australia", "AU", -37.8136, 144.9631, 600, 1},
	{"Auckland", "New Zealand", "NZ", -36.8485, 174.7633, 720, 1},
	{"Moscow", "Russia", "RU", 55.7558, 37.6173, 180, 0},
	{"Ashburn", "United States", "US", 39.0438, -77.4874, -300, 0},
}

// geoText holds a city's coordinates and Setup location as written, so rows
// do not format them again.
type geoText struct{ lat, lon, location string }

var cityText = func() []geoText {
	out := make([]geoText, len(cities))
	for i, c := range cities {
		out[i] = geoText{
			lat:      strconv.FormatFloat(c.lat, 'f', -1, 64),
			lon:      strconv.FormatFloat(c.lon, 'f', -1, 64),
			location: c.name + ", " + c.country,
		}
	}
	return out
}()

// cityIndex returns the index of the named city; the names are the table's own,
// so a miss is a programming error.
func cityIndex(name string) int {
	for i, c := range cities {
		if c.name == name {
			return i
		}
	}
	panic("gen: no city " + name)
}

// distanceKm is the great-circle distance on a sphere of radius 6371 km.
func distanceKm(a, b int) float64 {
	const rad = math.Pi / 180
	lat1, lat2 := cities[a].lat*rad, cities[b].lat*rad
	dlat, dlon := lat2-lat1, (cities[b].lon-cities[a].lon)*rad
	h := math.Sin(dlat/2)*math.Sin(dlat/2) + math.Cos(lat1)*math.Cos(lat2)*math.Sin(dlon/2)*math.Sin(dlon/2)
	return 2 * 6371 * math.Asin(math.Sqrt(h))
}

// homeV4 returns host number x of city c's IPv4 block.
func homeV4(c, x int) netip.Addr {
	return netip.AddrFrom4([4]byte{100, byte(64 + c), byte(x >> 8), byte(x)})
}

// homeV6 returns an address in slot's /64 of city c's IPv6 block; the low 64
// bits are random, as SLAAC privacy addresses are.
func homeV6(c, slot int, host uint64) netip.Addr {
	var b [16]byte
	b[0], b[1], b[2], b[3] = 0x20, 0x01, 0x0d, 0xb8
	b[4], b[5] = byte(c>>8), byte(c)
	b[6], b[7] = byte(slot>>8), byte(slot)
	for i := range 8 {
		b[15-i] = byte(host >> (8 * i))
	}
	return netip.AddrFrom16(b)
}

var (
	vpnNet      = netip.MustParsePrefix(VPNRange)
	deniedNet   = netip.MustParsePrefix(DeniedRange)
	attackerNet = netip.MustParsePrefix(AttackerRange)
	vpnCity     = cityIndex("Ashburn")
)

// rangeHost returns host h of one of the /24 ranges above.
func rangeHost(n netip.Prefix, h int) netip.Addr {
	b := n.Addr().As4()
	b[3] = byte(h)
	return netip.AddrFrom4(b)
}

// loginKind is what LoginHistory says about how a login came in. Client
// version, API type, API version and TLS only appear in Setup downloads.
type loginKind struct {
	loginType, subType, application, loginURL string
	clientVersion, apiType, apiVersion        string
	tls, cipher                               string
	browserLess                               bool // Browser and Platform are "Unknown"
}

const (
	myDomain     = "acme.my.salesforce.com"
	loginHost    = "login.salesforce.com"
	siteDomain   = "acme.my.site.com"
	userDomain   = "acme.example"
	apiVersion   = "v66.0"
	browserTLS   = "TLS 1.3"
	browserSuite = "TLS_AES_256_GCM_SHA384"
	clientTLS    = "TLS 1.2"
	clientSuite  = "ECDHE-RSA-AES256-GCM-SHA384"
)

var (
	kindUI = &loginKind{loginType: "Application", subType: "UI Username-Password", application: "Browser", loginURL: myDomain,
		clientVersion: "N/A", apiType: "N/A", apiVersion: "N/A", tls: browserTLS, cipher: browserSuite}
	kindSAML = &loginKind{loginType: "SAML Idp Initiated SSO", application: "Browser", loginURL: myDomain,
		clientVersion: "N/A", apiType: "N/A", apiVersion: "N/A", tls: browserTLS, cipher: browserSuite}
	kindCommunity = &loginKind{loginType: "Chatter Communities External User", application: "Browser", loginURL: siteDomain,
		clientVersion: "N/A", apiType: "N/A", apiVersion: "N/A", tls: browserTLS, cipher: browserSuite}
	kindMobileIOS = &loginKind{loginType: "Remote Access 2.0", subType: "OAuth Refresh Token", application: "Salesforce for iOS", loginURL: loginHost,
		clientVersion: "N/A", apiType: "N/A", apiVersion: "N/A", tls: browserTLS, cipher: browserSuite, browserLess: true}
	kindMobileAndroid = &loginKind{loginType: "Remote Access 2.0", subType: "OAuth Refresh Token", application: "Salesforce for Android", loginURL: loginHost,
		clientVersion: "N/A", apiType: "N/A", apiVersion: "N/A", tls: browserTLS, cipher: browserSuite, browserLess: true}
	kindDataLoader = &loginKind{loginType: "Other Apex API", application: "Data Loader", loginURL: loginHost,
		clientVersion: "N/A", apiType: "SOAP Partner", apiVersion: "62.0", tls: clientTLS, cipher: clientSuite, browserLess: true}
)

// integrationKinds are the connected apps integration users log in through.
var integrationKinds = func() []*loginKind {
	apps := []struct{ app, sub string }{
		{"ERP Sync", "OAuth Username-Password"},
		{"Billing Bridge", "OAuth Refresh Token"},
		{"Warehouse Loader", "OAuth Username-Password"},
		{"Support Desk Connector", "OAuth Refresh Token"},
		{"HR Feed", "OAuth Refresh Token"},
	}
	out := make([]*loginKind, len(apps))
	for i, a := range apps {
		out[i] = &loginKind{loginType: "Remote Access 2.0", subType: a.sub, application: a.app, loginURL: loginHost,
			clientVersion: "N/A", apiType: "N/A", apiVersion: "N/A", tls: clientTLS, cipher: clientSuite, browserLess: true}
	}
	return out
}()

// device is a desktop browser. Chromium and Firefox versions advance every
// four weeks, so the major version depends on the login time.
type device struct {
	browser  string
	major    int // at as-of; 0 for a fixed version written in browser
	platform string
}

var devices = []device{
	{"Chrome", 131, "Windows 10"},
	{"Chrome", 131, "Windows 11"},
	{"Chrome", 131, "Mac OSX"},
	{"Edge", 131, "Windows 10"},
	{"Edge", 131, "Windows 11"},
	{"Firefox", 133, "Windows 10"},
	{"Firefox", 133, "Linux"},
	{"Safari 18", 0, "Mac OSX"},
}

// failureStatuses are the reasons an ordinary user's login fails, most often
// first; every failure is followed by a success a little later.
var failureStatuses = []string{"Invalid Password", "Invalid Password", "Invalid Password", "Invalid login", "Failed: Computer activation required"}

// hostileBrowser is an attacker-chosen User-Agent summary, written as it came,
// so reports must neutralise formulas.
const hostileBrowser = `=HYPERLINK("http://192.0.2.66/reset","Chrome 131")`

type profile struct {
	name     string
	userType string
	valid    int64 // session timeout in seconds
}

var profiles = []profile{
	{"Standard User", "Standard", 28800},
	{"Marketing User", "Standard", 28800},
	{"Contract Manager", "Standard", 28800},
	{"Read Only", "Standard", 28800},
	{"System Administrator", "Standard", 7200},
	{"Partner Community User", "PowerPartner", 7200},
	{"Minimum Access - API Only Integrations", "Standard", 86400},
}

const (
	profileAdmin       = 4
	profilePartner     = 5
	profileIntegration = 6
)

// profileIDs gives each profile a stable 00e Id for the REST relationship url.
var profileIDs = func() map[string]string {
	out := make(map[string]string, len(profiles))
	for i, p := range profiles {
		out[p.name] = idString(prefixProfile, uint64(0x3b00+i))
	}
	return out
}()

// asciiFold spells names in usernames without accents.
var asciiFold = strings.NewReplacer("é", "e", "ë", "e", "ü", "u", "í", "i", "á", "a", "ó", "o")

var firstNames = []string{
	"Anna", "Ben", "Chloé", "David", "Elif", "Fatima", "George", "Hana", "Ivan", "Julia",
	"Kenji", "Laura", "Mateo", "Nadia", "Oliver", "Priya", "Quentin", "Rosa", "Sven", "Tariq",
	"Uma", "Victor", "Wei", "Ximena", "Yusuf", "Zoë", "Amara", "Bruno", "Carmen", "Diego",
	"Emma", "Felix", "Grace", "Hiro", "Ines", "Jonas", "Kwame", "Lena", "Marta", "Noah",
}

var lastNames = []string{
	"Smith", "Müller", "García", "Rossi", "Dubois", "Nowak", "Kim", "Tanaka", "Okafor", "Silva",
	"Johansson", "Cohen", "Patel", "Nguyen", "Brown", "Schmidt", "López", "Jensen", "Khan", "Murphy",
	"Wong", "Fischer", "Sato", "Moreau", "Novak", "Mensah", "Costa", "Larsen", "Reyes", "Walker",
}
