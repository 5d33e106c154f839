package analyze

import (
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sessionaudit/sessionaudit/ingest"
)

var policyCmp = cmp.Options{
	cmp.Comparer(func(a, b *time.Location) bool { return a.String() == b.String() }),
	cmp.Comparer(func(a, b netip.Prefix) bool { return a == b }),
}

// writePolicy writes files into a fresh folder and returns the path of the
// first, policy.yaml.
func writePolicy(t *testing.T, yaml string, others map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, text := range others {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

func TestSamplePolicyIsTheDefault(t *testing.T) {
	got, err := LoadPolicy("../testdata/policy.yaml")
	if err != nil {
		t.Fatalf("LoadPolicy: %v", err)
	}
	// Its rules are the defaults; only where they came from differs.
	if diff := cmp.Diff(DefaultPolicy(), got, policyCmp, cmpopts.IgnoreFields(Policy{}, "Files")); diff != "" {
		t.Errorf("testdata/policy.yaml differs from DefaultPolicy (-want +got):\n%s", diff)
	}
}

func TestSamplePolicyDocumentsEveryKey(t *testing.T) {
	sample, err := os.ReadFile("../testdata/policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for key := range policyKeys {
		block, leaf, nested := strings.Cut(key, ".")
		pattern := "(?m)^" + regexp.QuoteMeta(key) + ":"
		if nested {
			pattern = "(?m)^" + regexp.QuoteMeta(block) + ":\n(  .*\n)*  " + regexp.QuoteMeta(leaf) + ":"
		}
		if !regexp.MustCompile(pattern).Match(sample) {
			t.Errorf("testdata/policy.yaml does not set %s", key)
		}
	}
}

func TestLoadPolicy(t *testing.T) {
	tests := []struct {
		name  string
		yaml  string
		files map[string]string
		edit  func(*Policy)
	}{{
		name: "an empty file keeps the defaults",
		yaml: "# nothing set\n",
		edit: func(*Policy) {}, // and a warning, see TestLoadPolicyWarnings
	}, {
		name: "one document that opens with ---",
		yaml: "---\nsession_max_age: 1d\n...\n",
		edit: func(p *Policy) { p.SessionMaxAge = 24 * time.Hour },
	}, {
		name: "one document and an empty one after ---",
		yaml: "session_max_age: 1d\n---\n",
		edit: func(p *Policy) { p.SessionMaxAge = 24 * time.Hour },
	}, {
		name: "durations with days and combinations",
		yaml: "session_max_age: 1d12h\ntoken_max_age: 45s\nfailed_login_burst:\n  window: 1h30m\n",
		edit: func(p *Policy) {
			p.SessionMaxAge = 36 * time.Hour
			p.TokenMaxAge = 45 * time.Second
			p.FailedLoginBurst.Window = 90 * time.Minute
		},
	}, {
		name: "networks as CIDRs or bare IPs, masked, with where they were listed",
		yaml: "trusted_networks:\n  - 10.1.2.3/8\n  - 2001:db8::1\ndenied_networks: [192.0.2.7]\ndenied_networks_file: lists/denied.txt\n",
		files: map[string]string{
			"lists/denied.txt": "# attackers\n203.0.113.0/24  # seen in May\n\n2001:db8:bad::/48\n",
		},
		edit: func(p *Policy) {
			p.TrustedNetworks = []Network{
				{Prefix: netip.MustParsePrefix("10.0.0.0/8"), Source: "policy.yaml:2"},
				{Prefix: netip.MustParsePrefix("2001:db8::1/128"), Source: "policy.yaml:3"},
			}
			p.DeniedNetworks = []Network{
				{Prefix: netip.MustParsePrefix("192.0.2.7/32"), Source: "policy.yaml:4"},
				{Prefix: netip.MustParsePrefix("203.0.113.0/24"), Source: "lists/denied.txt:2"},
				{Prefix: netip.MustParsePrefix("2001:db8:bad::/48"), Source: "lists/denied.txt:4"},
			}
		},
	}, {
		name: "users by name in any case or by 15- or 18-character Id",
		yaml: "protected_users: [Admin@Acme.com, 005000000000001, 005000000000002aaa, 005a0000006vm9riac]\ntoken_max_age_by_user:\n  Integration@acme.com: 365d\n  005000000000003: 30d\n",
		edit: func(p *Policy) {
			p.ProtectedUsers = []string{"admin@acme.com", "005000000000001AAA", "005000000000002AAA", "005A0000006Vm9rIAC"}
			p.TokenMaxAgeByUser = map[string]time.Duration{"integration@acme.com": 365 * day, "005000000000003AAA": 30 * day}
		},
	}, {
		// A type that is a token type by default only, given a session
		// limit, is judged as interactive: the limit would do nothing else.
		name: "a session limit for a default token type takes it out of the token types",
		yaml: "session_max_age_by_type:\n  APIOnlyUser: 24h\n",
		edit: func(p *Policy) {
			p.TokenTypes = slices.DeleteFunc(p.TokenTypes, func(s string) bool { return s == "apionlyuser" })
			p.SessionMaxAgeByType = map[string]time.Duration{"apionlyuser": 24 * time.Hour}
		},
	}, {
		name: "session types in lower case",
		yaml: "token_types: [OAuth2, API, Node]\nsession_max_age_by_type:\n  Visualforce: 2h\n",
		edit: func(p *Policy) {
			p.TokenTypes = []string{"oauth2", "api", "node"}
			p.SessionMaxAgeByType = map[string]time.Duration{"visualforce": 2 * time.Hour}
		},
	}, {
		name: "check thresholds, remove_on sorted, and a time zone",
		yaml: "timezone: Europe/Paris\nremove_on: [session_over_age, ip_denied]\nimpossible_travel: {min_distance_km: 50.5, max_speed_kmh: 1000, follow_for: 0}\nip_new_for_user: {baseline: 14d, min_history: 10, report_new_network: true}\nip_shared_by_users: {min_users: 15, window: 5m}\nconcurrent_sessions: {min_distance_km: 300}\nfailed_login_burst: {min_failures: 5, success_within: 20m}\n",
		edit: func(p *Policy) {
			p.Location, _ = time.LoadLocation("Europe/Paris")
			p.RemoveOn = []string{"ip_denied", "session_over_age"}
			p.ImpossibleTravel = ImpossibleTravelPolicy{MinDistanceKm: 50.5, MaxSpeedKmh: 1000, FollowFor: 0}
			p.IPNewForUser = IPNewForUserPolicy{Baseline: 14 * day, MinHistory: 10, ReportNewNetwork: true}
			p.IPSharedByUsers = IPSharedByUsersPolicy{MinUsers: 15, Window: 5 * time.Minute}
			p.ConcurrentSessions.MinDistanceKm = 300
			p.FailedLoginBurst.MinFailures = 5
			p.FailedLoginBurst.SuccessWithin = 20 * time.Minute
		},
	}, {
		name: "max_export_gap may be zero",
		yaml: "session_without_login: {max_export_gap: 0}\n",
		edit: func(p *Policy) { p.SessionWithoutLogin.MaxExportGap = 0 },
	}, {
		name: "max_export_gap of zero with a unit",
		yaml: "session_without_login:\n  max_export_gap: 0h\n",
		edit: func(p *Policy) { p.SessionWithoutLogin.MaxExportGap = 0 },
	}, {
		name: "max_export_gap of two days",
		yaml: "session_without_login: {max_export_gap: 2d}\n",
		edit: func(p *Policy) { p.SessionWithoutLogin.MaxExportGap = 2 * day },
	}, {
		name: "the date order of Setup downloads, in any case",
		yaml: "setup_date_order: DMY\n",
		edit: func(p *Policy) { p.SetupDateOrder = ingest.DateOrderDMY },
	}, {
		name: "month first",
		yaml: "setup_date_order: mdy\n",
		edit: func(p *Policy) { p.SetupDateOrder = ingest.DateOrderMDY },
	}, {
		name: "auto, or nothing, finds the order",
		yaml: "setup_date_order: auto\n",
		edit: func(p *Policy) {},
	}, {
		name: "token_types: [] judges every session type as interactive",
		yaml: "token_types: []\n",
		edit: func(p *Policy) { p.TokenTypes = []string{} },
	}, {
		// Commenting every check out is a way to say "none"; it also
		// errs on the side of ending nothing.
		name: "an empty remove_on proposes no removals",
		yaml: "remove_on:\n#  - ip_denied\n",
		edit: func(p *Policy) { p.RemoveOn = []string{} },
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := writePolicy(t, tc.yaml, nil)
			for name, text := range tc.files {
				full := filepath.Join(filepath.Dir(path), name)
				if err := os.MkdirAll(filepath.Dir(full), 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(full, []byte(text), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			got, err := LoadPolicy(path)
			if err != nil {
				t.Fatalf("LoadPolicy: got error %v, want none", err)
			}
			// The files it was read from, for the report: the policy, then
			// a denied_networks_file, each with its SHA-256.
			sum := func(text string) string { h := sha256.Sum256([]byte(text)); return hex.EncodeToString(h[:]) }
			wantFiles := []PolicyFile{{Path: path, SHA256: sum(tc.yaml)}}
			for name, text := range tc.files {
				wantFiles = append(wantFiles, PolicyFile{Path: filepath.Join(filepath.Dir(path), name), SHA256: sum(text)})
			}
			if diff := cmp.Diff(wantFiles, got.Files); diff != "" {
				t.Errorf("policy files differ (-want +got):\n%s", diff)
			}
			got.Files = nil
			want := DefaultPolicy()
			tc.edit(&want)
			// Sources name the policy file by its full path; compare from its folder.
			for _, nets := range [][]Network{got.TrustedNetworks, got.DeniedNetworks} {
				for i := range nets {
					nets[i].Source = strings.TrimPrefix(nets[i].Source, filepath.Dir(path)+string(filepath.Separator))
				}
			}
			if diff := cmp.Diff(want, got, policyCmp, cmpopts.IgnoreFields(Policy{}, "Warnings")); diff != "" {
				t.Errorf("policy differs (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadPolicyErrors(t *testing.T) {
	tests := []struct {
		name, yaml string
		files      map[string]string
		want       string // the error ends with this
	}{
		{"bad duration", "token_max_age: 9x\n", nil, `policy.yaml:1: token_max_age: "9x" is not a duration (use 90d, 12h or 30m)`},
		{"a number is no duration", "session_max_age: 12\n", nil, `policy.yaml:1: session_max_age: "12" has no unit (use 90d, 12h or 30m)`},
		{"zero without a unit", "failed_login_burst: {success_within: 0}\n", nil, `policy.yaml:1: failed_login_burst.success_within: "0" has no unit (use 90d, 12h or 30m)`},
		{"zero duration", "failed_login_burst:\n  window: 0s\n", nil, `policy.yaml:2: failed_login_burst.window: "0s" must be longer than zero`},
		{"under a second", "session_max_age: 0.0000001s\n", nil, `policy.yaml:1: session_max_age: "0.0000001s" is shorter than a second`},
		{"a gap under a second, not zero", "session_without_login: {max_export_gap: 0.5s}\n", nil, `policy.yaml:1: session_without_login.max_export_gap: "0.5s" is shorter than a second`},
		{"a negative gap", "session_without_login: {max_export_gap: -1h}\n", nil, `policy.yaml:1: session_without_login.max_export_gap: "-1h" is not a duration (use 90d, 12h or 30m)`},
		{"unknown key", "timezone: UTC\ntokn_max_age: 90d\n", nil, `policy.yaml:2: tokn_max_age: unknown key (see testdata/policy.yaml for the keys)`},
		{"unknown key in a block", "impossible_travel:\n  max_speed: 900\n", nil, `policy.yaml:2: impossible_travel.max_speed: unknown key (see testdata/policy.yaml for the keys)`},
		{"key given twice", "token_max_age: 1d\ntoken_max_age: 2d\n", nil, `policy.yaml:2: token_max_age: given twice`},
		{"bad CIDR", "trusted_networks: [10.0.0.0/33]\n", nil, `policy.yaml:1: trusted_networks: "10.0.0.0/33" is not a CIDR such as 203.0.113.0/24 or 2001:db8::/32`},
		{"bad IP", "denied_networks:\n  - 10.0.0.256\n", nil, `policy.yaml:2: denied_networks: "10.0.0.256" is not an IP address or CIDR`},
		{"bad line in the denied file", "denied_networks_file: denied.txt\n", map[string]string{"denied.txt": "# ok\n10.0.0.0/8\nnot-an-ip\n"}, `denied.txt:3: "not-an-ip" is not an IP address or CIDR`},
		{"bad line in a denied file with a BOM", "denied_networks_file: denied.txt\n", map[string]string{"denied.txt": "\ufeff10.0.0.0/8\nnot-an-ip\n"}, `denied.txt:2: "not-an-ip" is not an IP address or CIDR`},
		{"missing denied file", "denied_networks_file: nope.txt\n", nil, `policy.yaml:1: denied_networks_file: reading `},
		{"unknown check in remove_on", "remove_on: [ip_denied, impossibl_travel]\n", nil, `policy.yaml:1: remove_on: "impossibl_travel" is not a check (use concurrent_sessions, failed_login_burst, impossible_travel, ip_denied, session_over_age)`},
		{"bad date order", "timezone: UTC\nsetup_date_order: ymd\n", nil, `policy.yaml:2: setup_date_order: "ymd" is not auto, mdy or dmy`},
		{"bad time zone", "timezone: Mars/Olympus\n", nil, `policy.yaml:1: timezone: "Mars/Olympus" is not an IANA time zone name such as Europe/Paris or UTC`},
		// Files of the system's zoneinfo that Go loads but the database's
		// ICU does not know.
		{"a posix/ zone file", "timezone: posix/Europe/Paris\n", nil, `policy.yaml:1: timezone: "posix/Europe/Paris" is not an IANA time zone name such as Europe/Paris or UTC`},
		{"a right/ zone file", "timezone: right/UTC\n", nil, `policy.yaml:1: timezone: "right/UTC" is not an IANA time zone name such as Europe/Paris or UTC`},
		{"posixrules", "timezone: posixrules\n", nil, `policy.yaml:1: timezone: "posixrules" is not an IANA time zone name such as Europe/Paris or UTC`},
		{"localtime", "timezone: localtime\n", nil, `policy.yaml:1: timezone: "localtime" is not an IANA time zone name such as Europe/Paris or UTC`},
		{"session type twice ignoring case", "session_max_age_by_type:\n  UI: 1h\n  ui: 2h\n", nil, `policy.yaml:3: session_max_age_by_type.ui: given twice (names are compared ignoring case)`},
		{"too few users", "ip_shared_by_users: {min_users: 1}\n", nil, `policy.yaml:1: ip_shared_by_users.min_users: "1" is not a whole number of at least 2`},
		{"negative distance", "concurrent_sessions: {min_distance_km: -5}\n", nil, `policy.yaml:1: concurrent_sessions.min_distance_km: "-5" is not a number above zero`},
		{"an empty distance", "concurrent_sessions: {min_distance_km: \"\"}\n", nil, `policy.yaml:1: concurrent_sessions.min_distance_km: "" is not a number above zero`},
		{"an empty count", "ip_shared_by_users:\n  min_users: ''\n", nil, `policy.yaml:2: ip_shared_by_users.min_users: "" is not a whole number of at least 2`},
		{"not a boolean", "ip_new_for_user: {report_new_network: maybe}\n", nil, `policy.yaml:1: ip_new_for_user.report_new_network: "maybe" is not true or false`},
		{"token_types with nothing after it", "token_types:\n#  - API\n", nil, `policy.yaml:1: token_types: is empty: write [] to judge every session type as interactive (by session_max_age), or leave the key out for the default token types`},
		{"a list where a value belongs", "token_max_age: [1d]\n", nil, `policy.yaml:1: token_max_age: must be a single value, not a list or mapping`},
		{"an Id whose suffix disagrees", "protected_users: [001A0000006Vm9rAAA]\n", nil, `policy.yaml:1: protected_users: the Id "001A0000006Vm9rAAA" has the suffix "AAA", want "IAC" for its first 15 characters`},
		{"a session's Id as a protected user", "protected_users: [0Ak000000000001]\n", nil, `policy.yaml:1: protected_users: 0Ak000000000001 is not a User Id (those begin 005)`},
		{"a contact's Id as a token user", "token_max_age_by_user: {003000000000001: 10d}\n", nil, `policy.yaml:1: token_max_age_by_user: 003000000000001 is not a User Id (those begin 005)`},
		{"a token type with a session limit", "token_types: [API, APIOnlyUser]\nsession_max_age_by_type:\n  APIOnlyUser: 24h\n", nil,
			`policy.yaml:3: session_max_age_by_type.APIOnlyUser: APIOnlyUser is also in token_types, whose sessions are judged by token_max_age, never by a session limit: remove it from one of the two`},
		{"a user that is neither", "protected_users: [\"bob smith\"]\n", nil, `policy.yaml:1: protected_users: "bob smith" is neither a username nor a 15- or 18-character user Id`},
		{"not a mapping", "- timezone\n", nil, `policy.yaml:1: the policy must be a mapping of keys to values`},
		{"a check that proposes no removals", "remove_on: [impossible_travel, ip_new_for_user]\n", nil,
			`policy.yaml:1: remove_on: "ip_new_for_user" proposes no removals: it reports only, by design: a new country is a question for the user, not proof (use concurrent_sessions, failed_login_burst, impossible_travel, ip_denied, session_over_age)`},
		{"not YAML", "timezone: [UTC\n", nil, `policy.yaml:1: did not find expected ',' or ']'`},
		{"a character no token starts with", "timezone: UTC\nprotected_users: []\nsession_max_age: @8h\n", nil, `policy.yaml:3: found character that cannot start any token`},
		{"a second document", "timezone: UTC\n---\nsession_max_agee: 1h\n", nil, `policy.yaml:2: a second YAML document: a policy is one document, so remove the "---" or merge the two`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := writePolicy(t, tc.yaml, tc.files)
			_, err := LoadPolicy(path)
			if err == nil {
				t.Fatalf("LoadPolicy: got no error, want one ending %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("LoadPolicy: got error %q, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"90d", 90 * day}, {"12h", 12 * time.Hour}, {"30m", 30 * time.Minute}, {"45s", 45 * time.Second},
		{"1d12h", 36 * time.Hour}, {"1.5d", 36 * time.Hour}, {"1h30m", 90 * time.Minute}, {"250ms", 250 * time.Millisecond},
	}
	for _, tc := range tests {
		got, err := ParseDuration(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseDuration(%q): got %v, %v, want %v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "d", "90", "9x", "1d-2h", "-1d", "1e3d", "99999999999d"} {
		if got, err := ParseDuration(bad); err == nil {
			t.Errorf("ParseDuration(%q): got %v, want an error", bad, got)
		}
	}
}

func FuzzLoadPolicy(f *testing.F) {
	sample, err := os.ReadFile("../testdata/policy.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sample)
	denied := func(string) ([]byte, error) { return []byte("# list\n10.0.0.0/8\n2001:db8::1\n"), nil }
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := parsePolicy(data, "policy.yaml", denied)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "policy.yaml") && !strings.HasPrefix(err.Error(), "denied") {
				t.Errorf("got error %q, want it to name the file", err)
			}
			return
		}
		if p.Location == nil {
			t.Errorf("got a nil Location")
		}
		for _, d := range []time.Duration{p.SessionMaxAge, p.TokenMaxAge, p.IPNewForUser.Baseline, p.IPSharedByUsers.Window, p.FailedLoginBurst.Window, p.FailedLoginBurst.SuccessWithin} {
			if d <= 0 {
				t.Errorf("got duration %v, want every duration above zero", d)
			}
		}
		for _, n := range append(p.TrustedNetworks, p.DeniedNetworks...) {
			if n.Prefix != n.Prefix.Masked() {
				t.Errorf("got network %v, want it masked", n.Prefix)
			}
		}
	})
}

// A denied network from denied_networks_file is cited by the file's path as
// the policy names it from the audit's folder, not as the policy spells it
// relative to its own folder: the citation must lead to the file.
func TestDeniedNetworksFileCitedByItsPath(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pol")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	policy := filepath.Join(dir, "df.yaml")
	for name, text := range map[string]string{policy: "denied_networks_file: denied.txt\n", filepath.Join(dir, "denied.txt"): "203.0.113.0/24\n"} {
		if err := os.WriteFile(name, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	p, err := LoadPolicy(policy)
	if err != nil {
		t.Fatal(err)
	}
	want := []Network{{Prefix: netip.MustParsePrefix("203.0.113.0/24"), Source: filepath.Join(dir, "denied.txt") + ":1"}}
	if diff := cmp.Diff(want, p.DeniedNetworks, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
		t.Errorf("denied networks (-want +got):\n%s", diff)
	}
}

// A key with nothing after it keeps its default (the near miss of the
// "an empty distance" and "an empty count" errors, whose "" is a value).
func TestLoadPolicyNullKeepsTheDefault(t *testing.T) {
	p, err := LoadPolicy(writePolicy(t, "concurrent_sessions:\n  min_distance_km:\nip_shared_by_users:\n  min_users:\n", nil))
	if err != nil {
		t.Fatal(err)
	}
	d := DefaultPolicy()
	if p.ConcurrentSessions.MinDistanceKm != d.ConcurrentSessions.MinDistanceKm || p.IPSharedByUsers.MinUsers != d.IPSharedByUsers.MinUsers {
		t.Errorf("got min_distance_km %v and min_users %v, want the defaults %v and %v",
			p.ConcurrentSessions.MinDistanceKm, p.IPSharedByUsers.MinUsers, d.ConcurrentSessions.MinDistanceKm, d.IPSharedByUsers.MinUsers)
	}
}

// A policy file that sets no key (empty, comments only, an empty mapping or
// document) keeps every default, and a denied_networks_file that lists no
// network adds none: both say so, for the audit to warn. One key set, even
// to its default, and a file of one network are the near misses.
func TestLoadPolicyWarnings(t *testing.T) {
	for _, tc := range []struct {
		yaml  string
		files map[string]string
		want  string // in the one warning, "" for none; %s for the policy's path
	}{
		{"", nil, "sets no key: every default applies"},
		{"# to be filled in\n\n", nil, "sets no key"},
		{"---\n", nil, "sets no key"},
		{"~\n", nil, "sets no key"},
		{"{}\n", nil, "sets no key"},
		{"timezone: UTC\n", nil, ""},
		{"trusted_networks: []\n", nil, ""},
		{"timezone: UTC\ndenied_networks_file: denied.txt\n", map[string]string{"denied.txt": "# none yet\n"}, "denied.txt, named at %s:2, lists no network"},
		{"denied_networks_file: denied.txt\n", map[string]string{"denied.txt": ""}, "lists no network: ip_denied judges by the policy's denied_networks alone"},
		{"denied_networks_file: denied.txt\n", map[string]string{"denied.txt": "203.0.113.0/24\n"}, ""},
		// The policy's own networks do not stand for the file's.
		{"denied_networks: [192.0.2.7]\ndenied_networks_file: denied.txt\n", map[string]string{"denied.txt": "\n"}, "lists no network"},
	} {
		path := writePolicy(t, tc.yaml, tc.files)
		p, err := LoadPolicy(path)
		if err != nil {
			t.Fatalf("%q: %v", tc.yaml, err)
		}
		want := strings.ReplaceAll(tc.want, "%s", path)
		if want == "" && len(p.Warnings) > 0 || want != "" && (len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0], want)) {
			t.Errorf("%q %v: got warnings %q, want one with %q (none if empty)", tc.yaml, tc.files, p.Warnings, want)
		}
		if tc.want == "sets no key: every default applies" && !strings.Contains(p.Warnings[0], "The policy file "+path+" sets no key") {
			t.Errorf("the warning does not name %s: %q", path, p.Warnings[0])
		}
	}
	if len(DefaultPolicy().Warnings) > 0 {
		t.Error("DefaultPolicy (no --policy) has warnings: the audit would warn of a file it was not given")
	}
}
