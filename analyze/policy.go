package analyze

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	// The job ships as one static binary that may run where the system has no
	// zoneinfo, and the policy's timezone must still load.
	_ "time/tzdata"

	"go.yaml.in/yaml/v3"

	"github.com/sessionaudit/sessionaudit/ingest"
	"github.com/sessionaudit/sessionaudit/internal/words"
	"github.com/sessionaudit/sessionaudit/sfid"
)

// Policy is what an audit judges against: which networks and users to trust,
// how old sessions and tokens may grow, which findings end sessions, and each
// check's thresholds. DefaultPolicy gives the values documented in
// testdata/policy.yaml; LoadPolicy reads a policy file.
type Policy struct {
	// Files are the files the policy was read from, the policy file first,
	// then a denied_networks_file, with their SHA-256: what the report
	// records, so that an audit can be matched to the rules it ran with.
	// None for DefaultPolicy.
	Files []PolicyFile
	// Warnings are what reading the files found likely to be a mistake,
	// for the audit to warn of: a policy file that sets no key (empty,
	// comments only, an empty mapping), or a denied_networks_file that lists
	// no network (a template not filled in, a file truncated or emptied by
	// whatever wrote it), which leave every default, or no denied network,
	// without a word.
	Warnings []string
	// Location is the zone in which exports with zone-less times were written.
	Location *time.Location
	// SetupDateOrder is the order of day and month in Setup downloads.
	SetupDateOrder ingest.DateOrder

	TrustedNetworks []Network // left out of every location- and IP-based check
	DeniedNetworks  []Network // denied_networks plus denied_networks_file

	// ProtectedUsers are never proposed for removal: 18-character user Ids
	// and lower-case usernames.
	ProtectedUsers []string

	SessionMaxAge       time.Duration
	SessionMaxAgeByType map[string]time.Duration // keyed by lower-case SessionType
	TokenTypes          []string                 // lower-case SessionTypes judged as tokens
	TokenMaxAge         time.Duration
	TokenMaxAgeByUser   map[string]time.Duration // keyed by 18-character Id or lower-case username

	// RemoveOn lists the checks whose targets become removals, sorted.
	RemoveOn []string

	ConcurrentSessions  ConcurrentSessionsPolicy
	ImpossibleTravel    ImpossibleTravelPolicy
	IPNewForUser        IPNewForUserPolicy
	IPSharedByUsers     IPSharedByUsersPolicy
	FailedLoginBurst    FailedLoginBurstPolicy
	SessionWithoutLogin SessionWithoutLoginPolicy
}

// Network is one trusted or denied range and where the policy named it.
type Network struct {
	Prefix netip.Prefix // masked; a bare IP is a /32 or /128
	Source string       // file:line that listed it, e.g. "denied.txt:12"
}

// ConcurrentSessionsPolicy holds the concurrent_sessions thresholds.
type ConcurrentSessionsPolicy struct {
	MinDistanceKm float64
}

// ImpossibleTravelPolicy holds the impossible_travel thresholds.
type ImpossibleTravelPolicy struct {
	MinDistanceKm float64
	MaxSpeedKmh   float64
	// FollowFor is how long after a jump to an IP new for the user the
	// user's next logins from that IP go with it (0: none do).
	FollowFor time.Duration
}

// IPNewForUserPolicy holds the ip_new_for_user thresholds. Baseline is also
// the window in which concurrent_sessions counts a user's usual places.
type IPNewForUserPolicy struct {
	Baseline         time.Duration
	MinHistory       int
	ReportNewNetwork bool
}

// IPSharedByUsersPolicy holds the ip_shared_by_users thresholds.
type IPSharedByUsersPolicy struct {
	MinUsers int
	Window   time.Duration
}

// FailedLoginBurstPolicy holds the failed_login_burst thresholds.
type FailedLoginBurstPolicy struct {
	MinFailures   int
	Window        time.Duration
	SuccessWithin time.Duration
}

// SessionWithoutLoginPolicy holds the session_without_login thresholds.
// MaxExportGap is the longest stretch between one Login History export's
// last login and the next export's first that is still taken as covered:
// exports split by month or by result file leave such a stretch between
// them, with no login only because none happened (at night, over a quiet
// weekend). A longer one is a gap, in which no session is judged.
type SessionWithoutLoginPolicy struct {
	MaxExportGap time.Duration
}

// DefaultPolicy returns the policy used when no file is given.
func DefaultPolicy() Policy {
	return Policy{
		Location:            time.UTC,
		SetupDateOrder:      ingest.DateOrderAuto,
		TrustedNetworks:     []Network{},
		DeniedNetworks:      []Network{},
		ProtectedUsers:      []string{},
		SessionMaxAge:       12 * time.Hour,
		SessionMaxAgeByType: map[string]time.Duration{},
		// The SessionTypes of API logins and OAuth tokens, which no person
		// keeps open at a keyboard: an integration's session lives as
		// long as its token, and is judged by token_max_age instead.
		TokenTypes:          []string{"api", "oauth2", "apionlyuser", "chatternetworksapionly", "chatternetworksapionlyoauth", "streaming_api", "wdc_api"},
		TokenMaxAge:         90 * day,
		TokenMaxAgeByUser:   map[string]time.Duration{},
		RemoveOn:            []string{"concurrent_sessions", "failed_login_burst", "impossible_travel", "ip_denied", "session_over_age"},
		ConcurrentSessions:  ConcurrentSessionsPolicy{MinDistanceKm: 500},
		ImpossibleTravel:    ImpossibleTravelPolicy{MinDistanceKm: 100, MaxSpeedKmh: 900, FollowFor: 24 * time.Hour},
		IPNewForUser:        IPNewForUserPolicy{Baseline: 30 * day, MinHistory: 5},
		IPSharedByUsers:     IPSharedByUsersPolicy{MinUsers: 10, Window: 24 * time.Hour},
		FailedLoginBurst:    FailedLoginBurstPolicy{MinFailures: 10, Window: 20 * time.Minute, SuccessWithin: time.Hour},
		SessionWithoutLogin: SessionWithoutLoginPolicy{MaxExportGap: 24 * time.Hour},
	}
}

const day = 24 * time.Hour

// LoadPolicy reads the YAML policy at path; an empty path gives
// DefaultPolicy. Keys left out keep their defaults. An unknown key or a bad
// value is an error that names the file, line and key.
func LoadPolicy(path string) (Policy, error) {
	if path == "" {
		return DefaultPolicy(), nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return Policy{}, fmt.Errorf("reading policy: %w", err)
	}
	files := []PolicyFile{{Path: path, SHA256: sha256Hex(data)}}
	p, err := parsePolicy(data, path, func(name string) ([]byte, error) {
		b, err := os.ReadFile(name)
		if err == nil {
			files = append(files, PolicyFile{Path: name, SHA256: sha256Hex(b)})
		}
		return b, err
	})
	if err != nil {
		return Policy{}, err
	}
	p.Files = files
	return p, nil
}

// PolicyFile is a file a policy was read from.
type PolicyFile struct {
	Path   string
	SHA256 string // of its bytes, in hex
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// yamlError is the error for data, read from file, that YAML could not
// parse. Some of the parser's errors ("found character that cannot start
// any token") name no line; the line is then the last of the shortest run
// of first lines that gives the same error (a policy is a few dozen lines).
func yamlError(file string, data []byte, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	var line int
	if n, _ := fmt.Sscanf(msg, "line %d: ", &line); n == 1 {
		// As the policy's other errors: file:line: what.
		return fmt.Errorf("%s:%d: %s", file, line, strings.TrimPrefix(msg, fmt.Sprintf("line %d: ", line)))
	}
	lines := bytes.SplitAfter(data, []byte("\n"))
	if len(lines) > 5000 {
		return fmt.Errorf("%s: %s", file, msg) // no policy is this long: not worth the search
	}
	var prefix []byte
	for i, line := range lines {
		prefix = append(prefix, line...)
		dec := yaml.NewDecoder(bytes.NewReader(prefix))
		var n yaml.Node
		for {
			e := dec.Decode(&n)
			if e != nil {
				if e.Error() == err.Error() {
					return fmt.Errorf("%s:%d: %s", file, i+1, msg)
				}
				break
			}
		}
	}
	return fmt.Errorf("%s: %s", file, msg)
}

// parsePolicy reads a policy from data, naming file in errors and resolving
// denied_networks_file against file's folder; readFile reads that file.
func parsePolicy(data []byte, file string, readFile func(string) ([]byte, error)) (Policy, error) {
	d := &policyDecoder{file: file, readFile: readFile, p: DefaultPolicy()}
	// A policy is one YAML document: a second one (after "---") would be
	// read by no one, so its keys are refused rather than ignored.
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil && err != io.EOF {
		return Policy{}, yamlError(file, data, err)
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil && len(extra.Content) > 0 && !(extra.Content[0].Kind == yaml.ScalarNode && extra.Content[0].Tag == "!!null"):
		return Policy{}, fmt.Errorf("%s:%d: a second YAML document: a policy is one document, so remove the \"---\" or merge the two", file, extra.Line)
	case err != nil && err != io.EOF:
		return Policy{}, yamlError(file, data, err)
	}
	// A file that sets no key keeps every default.
	if len(doc.Content) == 0 || setsNoKey(resolve(doc.Content[0])) {
		d.p.Warnings = append(d.p.Warnings, fmt.Sprintf("The policy file %s sets no key: every default applies, with no trusted or denied networks. "+
			"Give the policy meant, or no --policy for the defaults.", words.Printable(file)))
		return d.p, nil
	}
	root := resolve(doc.Content[0])
	if root.Kind != yaml.MappingNode {
		return Policy{}, fmt.Errorf("%s:%d: the policy must be a mapping of keys to values", file, root.Line)
	}
	if err := d.mapping(root, "", func(k, v *yaml.Node) error {
		f, ok := policyKeys[k.Value]
		if !ok {
			return d.errf(k, k.Value, "unknown key (see testdata/policy.yaml for the keys)")
		}
		return f.decode(d, k.Value, v)
	}); err != nil {
		return Policy{}, err
	}
	if err := d.checkRemoveOn(); err != nil {
		return Policy{}, err
	}
	if err := d.checkTypeLimits(); err != nil {
		return Policy{}, err
	}
	return d.p, nil
}

// checkTypeLimits settles a SessionType with a session_max_age_by_type
// limit that is also a token type. A token type is judged by token_max_age
// and never by session_max_age, so such a limit would silently do nothing:
// when token_types is given, naming the type in both is an error; when the
// type is a token type by default only, the limit says the policy judges it
// as interactive, and it leaves the token types.
func (d *policyDecoder) checkTypeLimits() error {
	for _, t := range slices.Sorted(maps.Keys(d.typeLimits)) {
		if !slices.Contains(d.p.TokenTypes, t) {
			continue
		}
		if d.tokenTypes {
			name := strings.TrimSpace(d.typeLimits[t].Value)
			return d.errf(d.typeLimits[t], "session_max_age_by_type."+name, "%s is also in token_types, whose sessions are judged by token_max_age, never by a session limit: remove it from one of the two", name)
		}
		d.p.TokenTypes = slices.DeleteFunc(d.p.TokenTypes, func(s string) bool { return s == t })
	}
	return nil
}

// checkRemoveOn makes sure remove_on names only checks that exist and can
// propose removals (see Check.Removes). It runs
// after decoding because the list of checks itself names policy keys.
func (d *policyDecoder) checkRemoveOn() error {
	if len(d.removeOn) == 0 {
		return nil
	}
	checks, err := Checks()
	if err != nil {
		return err
	}
	var ids []string // of the checks that can propose removals
	byID := map[string]Check{}
	for _, c := range checks {
		byID[c.ID] = c
		if c.ProposesRemovals() {
			ids = append(ids, c.ID)
		}
	}
	for _, n := range d.removeOn {
		c, ok := byID[n.Value]
		switch {
		case !ok:
			return d.errf(n, "remove_on", "%q is not a check (use %s)", n.Value, strings.Join(ids, ", "))
		case !c.ProposesRemovals():
			return d.errf(n, "remove_on", "%q proposes no removals: it reports only, by design%s (use %s)", n.Value, removesWhy(c.Removes), strings.Join(ids, ", "))
		}
	}
	return nil
}

// policyKey is one key a policy file may hold.
type policyKey struct {
	decode func(d *policyDecoder, key string, n *yaml.Node) error
	// sqlValue renders the value as a SQL literal when checks read the key
	// as getvariable('<key>'); nil when it reaches them another way.
	sqlValue func(p *Policy) string
}

// policyKeys lists every key of a policy file, with the keys of a check's
// block written "block.key". A check's knobs must name keys from here. It is
// filled by init because decoding a block looks its keys up in it.
var policyKeys map[string]policyKey

func init() { policyKeys = policyKeyTable() }

func policyKeyTable() map[string]policyKey {
	return map[string]policyKey{
		"timezone": {decode: func(d *policyDecoder, key string, n *yaml.Node) error {
			name, err := d.scalar(n, key)
			if err != nil || name == "" {
				return err
			}
			// The system's zone files hold more than IANA names: posix/
			// and right/ copies, posixrules and localtime load here, but
			// the database (ICU) knows none of them, and would stop the
			// load of a Setup download with "Unknown TimeZone".
			first, _, _ := strings.Cut(name, "/")
			loc, err := time.LoadLocation(name)
			if err != nil || name == "Local" || first == "posix" || first == "right" || name == "posixrules" || name == "localtime" {
				return d.errf(n, key, "%q is not an IANA time zone name such as Europe/Paris or UTC", name)
			}
			d.p.Location = loc
			return nil
		}},
		"setup_date_order": {decode: func(d *policyDecoder, key string, n *yaml.Node) error {
			s, err := d.scalar(n, key)
			if err != nil || s == "" {
				return err
			}
			order := ingest.DateOrder(strings.ToLower(s))
			if !slices.Contains(ingest.DateOrders, order) {
				return d.errf(n, key, "%q is not auto, mdy or dmy", s)
			}
			d.p.SetupDateOrder = order
			return nil
		}},
		"trusted_networks": {decode: func(d *policyDecoder, key string, n *yaml.Node) error {
			nets, err := d.networks(n, key)
			d.p.TrustedNetworks = nets
			return err
		}},
		"denied_networks": {decode: func(d *policyDecoder, key string, n *yaml.Node) error {
			nets, err := d.networks(n, key)
			d.p.DeniedNetworks = append(nets, d.p.DeniedNetworks...)
			return err
		}},
		"denied_networks_file": {decode: (*policyDecoder).deniedNetworksFile},
		"protected_users": {decode: func(d *policyDecoder, key string, n *yaml.Node) error {
			users, err := d.list(n, func(item *yaml.Node) (string, error) { return d.user(item, key) })
			d.p.ProtectedUsers = users
			return err
		}},
		"session_max_age": {
			decode:   durationKey(func(p *Policy) *time.Duration { return &p.SessionMaxAge }),
			sqlValue: func(p *Policy) string { return sqlInterval(p.SessionMaxAge) },
		},
		"session_max_age_by_type": {decode: func(d *policyDecoder, key string, n *yaml.Node) error {
			m := map[string]time.Duration{}
			d.p.SessionMaxAgeByType = m
			d.typeLimits = map[string]*yaml.Node{}
			return d.durationMap(n, key, func(k *yaml.Node) (string, error) {
				t := strings.ToLower(strings.TrimSpace(k.Value))
				d.typeLimits[t] = k
				return t, nil
			}, m)
		}},
		"token_types": {decode: func(d *policyDecoder, key string, n *yaml.Node) error {
			// A key with nothing after it (its items commented out, say)
			// could mean no token types or the default ones. Read as none,
			// every API and OAuth session would be judged by
			// session_max_age and proposed for removal after 12 hours:
			// the file has to say which.
			if isNull(resolve(n)) {
				return d.errf(n, key, "is empty: write [] to judge every session type as interactive (by session_max_age), or leave the key out for the default token types")
			}
			types, err := d.list(n, func(item *yaml.Node) (string, error) {
				s, err := d.scalar(item, key)
				if err == nil && s == "" {
					err = d.errf(item, key, "an empty session type")
				}
				return strings.ToLower(s), err
			})
			d.p.TokenTypes, d.tokenTypes = types, true
			return err
		}},
		"token_max_age": {
			decode:   durationKey(func(p *Policy) *time.Duration { return &p.TokenMaxAge }),
			sqlValue: func(p *Policy) string { return sqlInterval(p.TokenMaxAge) },
		},
		"token_max_age_by_user": {decode: func(d *policyDecoder, key string, n *yaml.Node) error {
			m := map[string]time.Duration{}
			d.p.TokenMaxAgeByUser = m
			return d.durationMap(n, key, func(k *yaml.Node) (string, error) { return d.user(k, key) }, m)
		}},
		"remove_on": {decode: func(d *policyDecoder, key string, n *yaml.Node) error {
			on, err := d.list(n, func(item *yaml.Node) (string, error) {
				s, err := d.scalar(item, key)
				d.removeOn = append(d.removeOn, item)
				return s, err
			})
			slices.Sort(on)
			d.p.RemoveOn = on
			return err
		}},
		"concurrent_sessions": {decode: block},
		"concurrent_sessions.min_distance_km": {
			decode:   numberKey(func(p *Policy) *float64 { return &p.ConcurrentSessions.MinDistanceKm }),
			sqlValue: func(p *Policy) string { return sqlFloat(p.ConcurrentSessions.MinDistanceKm) },
		},
		"impossible_travel": {decode: block},
		"impossible_travel.min_distance_km": {
			decode:   numberKey(func(p *Policy) *float64 { return &p.ImpossibleTravel.MinDistanceKm }),
			sqlValue: func(p *Policy) string { return sqlFloat(p.ImpossibleTravel.MinDistanceKm) },
		},
		"impossible_travel.max_speed_kmh": {
			decode:   numberKey(func(p *Policy) *float64 { return &p.ImpossibleTravel.MaxSpeedKmh }),
			sqlValue: func(p *Policy) string { return sqlFloat(p.ImpossibleTravel.MaxSpeedKmh) },
		},
		"impossible_travel.follow_for": {
			decode:   zeroDurationKey(func(p *Policy) *time.Duration { return &p.ImpossibleTravel.FollowFor }),
			sqlValue: func(p *Policy) string { return sqlInterval(p.ImpossibleTravel.FollowFor) },
		},
		"ip_new_for_user": {decode: block},
		"ip_new_for_user.baseline": {
			decode:   durationKey(func(p *Policy) *time.Duration { return &p.IPNewForUser.Baseline }),
			sqlValue: func(p *Policy) string { return sqlInterval(p.IPNewForUser.Baseline) },
		},
		"ip_new_for_user.min_history": {
			decode:   countKey(0, func(p *Policy) *int { return &p.IPNewForUser.MinHistory }),
			sqlValue: func(p *Policy) string { return strconv.Itoa(p.IPNewForUser.MinHistory) },
		},
		"ip_new_for_user.report_new_network": {
			decode:   boolKey(func(p *Policy) *bool { return &p.IPNewForUser.ReportNewNetwork }),
			sqlValue: func(p *Policy) string { return strconv.FormatBool(p.IPNewForUser.ReportNewNetwork) },
		},
		"ip_shared_by_users": {decode: block},
		"ip_shared_by_users.min_users": {
			decode:   countKey(2, func(p *Policy) *int { return &p.IPSharedByUsers.MinUsers }),
			sqlValue: func(p *Policy) string { return strconv.Itoa(p.IPSharedByUsers.MinUsers) },
		},
		"ip_shared_by_users.window": {
			decode:   durationKey(func(p *Policy) *time.Duration { return &p.IPSharedByUsers.Window }),
			sqlValue: func(p *Policy) string { return sqlInterval(p.IPSharedByUsers.Window) },
		},
		"failed_login_burst": {decode: block},
		"failed_login_burst.min_failures": {
			decode:   countKey(1, func(p *Policy) *int { return &p.FailedLoginBurst.MinFailures }),
			sqlValue: func(p *Policy) string { return strconv.Itoa(p.FailedLoginBurst.MinFailures) },
		},
		"failed_login_burst.window": {
			decode:   durationKey(func(p *Policy) *time.Duration { return &p.FailedLoginBurst.Window }),
			sqlValue: func(p *Policy) string { return sqlInterval(p.FailedLoginBurst.Window) },
		},
		"failed_login_burst.success_within": {
			decode:   durationKey(func(p *Policy) *time.Duration { return &p.FailedLoginBurst.SuccessWithin }),
			sqlValue: func(p *Policy) string { return sqlInterval(p.FailedLoginBurst.SuccessWithin) },
		},
		"session_without_login": {decode: block},
		"session_without_login.max_export_gap": {
			decode:   zeroDurationKey(func(p *Policy) *time.Duration { return &p.SessionWithoutLogin.MaxExportGap }),
			sqlValue: func(p *Policy) string { return sqlInterval(p.SessionWithoutLogin.MaxExportGap) },
		},
	}
}

// block decodes a check's block, whose keys are listed as "block.key".
func block(d *policyDecoder, key string, n *yaml.Node) error {
	return d.mapping(n, key, func(k, v *yaml.Node) error {
		full := key + "." + k.Value
		f, ok := policyKeys[full]
		if !ok {
			return d.errf(k, full, "unknown key (see testdata/policy.yaml for the keys)")
		}
		return f.decode(d, full, v)
	})
}

// policyDecoder walks the YAML tree of one policy file into p.
type policyDecoder struct {
	file     string
	readFile func(string) ([]byte, error)
	p        Policy
	removeOn []*yaml.Node // remove_on items, checked once decoding is done
	// typeLimits are the keys of session_max_age_by_type, by lower-case
	// type, and tokenTypes says whether token_types was given: the two are
	// checked against each other once decoding is done.
	typeLimits map[string]*yaml.Node
	tokenTypes bool
}

func (d *policyDecoder) errf(n *yaml.Node, key, format string, args ...any) error {
	return fmt.Errorf("%s:%d: %s: %s", d.file, n.Line, key, fmt.Sprintf(format, args...))
}

// resolve follows an alias to the node it names.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 8; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

// setsNoKey reports whether a policy's root node sets no key: null ("~", or
// nothing) or an empty mapping ("{}").
func setsNoKey(root *yaml.Node) bool {
	return isNull(root) || root.Kind == yaml.MappingNode && len(root.Content) == 0
}

// mapping calls fn for each key of the mapping n, in file order. A key given
// twice is an error. A null value (a key with nothing after it) is an empty
// mapping.
func (d *policyDecoder) mapping(n *yaml.Node, key string, fn func(k, v *yaml.Node) error) error {
	n = resolve(n)
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return d.errf(n, key, "must be a mapping of keys to values")
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			return d.errf(k, key, "a key must be plain text")
		}
		if seen[k.Value] {
			name := k.Value
			if key != "" {
				name = key + "." + k.Value
			}
			return d.errf(k, name, "given twice")
		}
		seen[k.Value] = true
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return nil
}

// scalar returns the text of a scalar node; null is "".
func (d *policyDecoder) scalar(n *yaml.Node, key string) (string, error) {
	n = resolve(n)
	if isNull(n) {
		return "", nil
	}
	if n.Kind != yaml.ScalarNode {
		return "", d.errf(n, key, "must be a single value, not a list or mapping")
	}
	return strings.TrimSpace(n.Value), nil
}

// givenScalar is scalar for a key that keeps its default when nothing
// follows it (given is false), where a quoted "" is a value like any other.
func (d *policyDecoder) givenScalar(n *yaml.Node, key string) (s string, given bool, err error) {
	if isNull(resolve(n)) {
		return "", false, nil
	}
	s, err = d.scalar(n, key)
	return s, true, err
}

// list decodes each item of a sequence with item, dropping repeats. A null
// value is an empty list; a single value is a list of one.
func (d *policyDecoder) list(n *yaml.Node, item func(*yaml.Node) (string, error)) ([]string, error) {
	n = resolve(n)
	if isNull(n) {
		return []string{}, nil
	}
	items := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		items = n.Content
	}
	out := []string{}
	for _, it := range items {
		s, err := item(resolve(it))
		if err != nil {
			return nil, err
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out, nil
}

// user reads a protected or per-user entry: an Id in its 18-character form,
// otherwise a username in lower case.
func (d *policyDecoder) user(n *yaml.Node, key string) (string, error) {
	s, err := d.scalar(n, key)
	if err != nil {
		return "", err
	}
	id, err := sfid.Normalize(s)
	if err == nil {
		// An Id of another object (a session's 0Ak…) would protect or tune
		// no one.
		if !strings.HasPrefix(id, sfid.User) {
			return "", d.errf(n, key, "%s is not a User Id (those begin %s)", s, sfid.User)
		}
		return id, nil
	}
	if sfid.Shaped(s) {
		// Usernames have the form of an email address: this is an Id with a
		// typo, and taken as a name it would protect or tune no one.
		return "", d.errf(n, key, "%v", err)
	}
	if s == "" || strings.ContainsAny(s, " \t\r\n") {
		return "", d.errf(n, key, "%q is neither a username nor a 15- or 18-character user Id", s)
	}
	return strings.ToLower(s), nil
}

// durationMap reads a mapping of names to durations into m, keyed by what
// name makes of each key.
func (d *policyDecoder) durationMap(n *yaml.Node, key string, name func(*yaml.Node) (string, error), m map[string]time.Duration) error {
	return d.mapping(n, key, func(k, v *yaml.Node) error {
		full := key + "." + k.Value
		norm, err := name(k)
		if err != nil {
			return err
		}
		if norm == "" {
			return d.errf(k, full, "an empty name")
		}
		if _, dup := m[norm]; dup {
			return d.errf(k, full, "given twice (names are compared ignoring case)")
		}
		dur, err := d.duration(v, full)
		m[norm] = dur
		return err
	})
}

func (d *policyDecoder) duration(n *yaml.Node, key string) (time.Duration, error) {
	s, err := d.scalar(n, key)
	if err != nil {
		return 0, err
	}
	v, err := ParseDuration(s)
	if err != nil {
		if strings.Trim(s, "0123456789") == "" && s != "" {
			return 0, d.errf(n, key, "%q has no unit (use 90d, 12h or 30m)", s)
		}
		return 0, d.errf(n, key, "%q is not a duration (use 90d, 12h or 30m)", s)
	}
	if v <= 0 {
		return 0, d.errf(n, key, "%q must be longer than zero", s)
	}
	if v < time.Second {
		// The checks count in whole seconds at most; a shorter time would
		// round to an interval of zero in the database.
		return 0, d.errf(n, key, "%q is shorter than a second", s)
	}
	return v, nil
}

func durationKey(field func(*Policy) *time.Duration) func(*policyDecoder, string, *yaml.Node) error {
	return func(d *policyDecoder, key string, n *yaml.Node) error {
		if isNull(resolve(n)) {
			return nil
		}
		v, err := d.duration(n, key)
		if err == nil {
			*field(&d.p) = v
		}
		return err
	}
}

// zeroDurationKey is durationKey for a duration that may also be zero,
// written 0 or with a unit (0s, 0h).
func zeroDurationKey(field func(*Policy) *time.Duration) func(*policyDecoder, string, *yaml.Node) error {
	return func(d *policyDecoder, key string, n *yaml.Node) error {
		if isNull(resolve(n)) {
			return nil
		}
		if s, err := d.scalar(n, key); err != nil {
			return err
		} else if v, err := ParseDuration(s); s == "0" || err == nil && v == 0 {
			*field(&d.p) = 0
			return nil
		}
		return durationKey(field)(d, key, n)
	}
}

func numberKey(field func(*Policy) *float64) func(*policyDecoder, string, *yaml.Node) error {
	return func(d *policyDecoder, key string, n *yaml.Node) error {
		s, given, err := d.givenScalar(n, key)
		if !given || err != nil {
			return err
		}
		v, err := strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v <= 0 {
			return d.errf(n, key, "%q is not a number above zero", s)
		}
		*field(&d.p) = v
		return nil
	}
}

func countKey(minimum int, field func(*Policy) *int) func(*policyDecoder, string, *yaml.Node) error {
	return func(d *policyDecoder, key string, n *yaml.Node) error {
		s, given, err := d.givenScalar(n, key)
		if !given || err != nil {
			return err
		}
		v, err := strconv.Atoi(strings.ReplaceAll(s, "_", ""))
		if err != nil || v < minimum || v > 1_000_000_000 {
			return d.errf(n, key, "%q is not a whole number of at least %d", s, minimum)
		}
		*field(&d.p) = v
		return nil
	}
}

func boolKey(field func(*Policy) *bool) func(*policyDecoder, string, *yaml.Node) error {
	return func(d *policyDecoder, key string, n *yaml.Node) error {
		s, given, err := d.givenScalar(n, key)
		if !given || err != nil {
			return err
		}
		switch strings.ToLower(s) {
		case "true", "yes", "on":
			*field(&d.p) = true
		case "false", "no", "off":
			*field(&d.p) = false
		default:
			return d.errf(n, key, "%q is not true or false", s)
		}
		return nil
	}
}

// networks reads a list of CIDRs or bare IPs.
func (d *policyDecoder) networks(n *yaml.Node, key string) ([]Network, error) {
	n = resolve(n)
	items := []*yaml.Node{n}
	switch {
	case isNull(n):
		items = nil
	case n.Kind == yaml.SequenceNode:
		items = n.Content
	}
	nets := []Network{}
	for _, item := range items {
		s, err := d.scalar(item, key)
		if err != nil {
			return nil, err
		}
		p, err := parseNetwork(s)
		if err != nil {
			return nil, d.errf(item, key, "%v", err)
		}
		nets = append(nets, Network{Prefix: p, Source: fmt.Sprintf("%s:%d", d.file, resolve(item).Line)})
	}
	return nets, nil
}

// deniedNetworksFile reads IPs and CIDRs, one a line with # comments, from a
// file named relative to the policy file's folder; its networks are cited by
// that path, as the policy's own are by the policy's.
func (d *policyDecoder) deniedNetworksFile(key string, n *yaml.Node) error {
	name, err := d.scalar(n, key)
	if err != nil || name == "" {
		return err
	}
	path := name
	if !filepath.IsAbs(path) {
		path = filepath.Join(filepath.Dir(d.file), path)
	}
	data, err := d.readFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return d.errf(n, key, "reading %s: %v", path, err)
	}
	// A text editor on Windows may begin the file with a byte-order mark, as
	// it may the policy file, which YAML reads past.
	sc := bufio.NewScanner(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff"))))
	sc.Buffer(nil, 1<<20)
	before := len(d.p.DeniedNetworks)
	for line := 1; sc.Scan(); line++ {
		text, _, _ := strings.Cut(sc.Text(), "#")
		text = strings.TrimSpace(text)
		if text == "" {
			continue
		}
		p, err := parseNetwork(text)
		if err != nil {
			return fmt.Errorf("%s:%d: %v", path, line, err)
		}
		d.p.DeniedNetworks = append(d.p.DeniedNetworks, Network{Prefix: p, Source: fmt.Sprintf("%s:%d", path, line)})
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading %s: %v", path, err)
	}
	if len(d.p.DeniedNetworks) == before {
		d.p.Warnings = append(d.p.Warnings, fmt.Sprintf("The denied_networks_file %s, named at %s:%d, lists no network: ip_denied judges by the policy's denied_networks alone. "+
			"Check that the file was not emptied by whatever writes it.", words.Printable(path), words.Printable(d.file), n.Line))
	}
	return nil
}

// parseNetwork reads a CIDR or a bare IPv4 or IPv6 address.
func parseNetwork(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not a CIDR such as 203.0.113.0/24 or 2001:db8::/32", s)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("%q is not an IP address or CIDR", s)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// removesWhy is the reason a check's "removes: nothing (reason)" header
// gives, as ": reason", or "" without one.
func removesWhy(removes string) string {
	why := strings.TrimSpace(strings.TrimPrefix(removes, "nothing"))
	if why = strings.TrimSuffix(strings.TrimPrefix(why, "("), ")"); why == "" {
		return ""
	}
	return ": " + why
}

// ParseDuration reads a duration as the policy writes one: as
// time.ParseDuration does, with d for days allowed too: 90d, 12h, 30m, 45s,
// 1d12h, 1.5h. A sign is an error.
func ParseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, errors.New("empty duration")
	}
	var total time.Duration
	rest := s
	for rest != "" {
		i := 0
		for i < len(rest) && (isDigit(rest[i]) || rest[i] == '.') {
			i++
		}
		j := i
		for j < len(rest) && !isDigit(rest[j]) && rest[j] != '.' {
			j++
		}
		num, unit := rest[:i], rest[i:j]
		if num == "" || unit == "" {
			return 0, fmt.Errorf("bad duration %q", s)
		}
		var part time.Duration
		if unit == "d" {
			f, err := strconv.ParseFloat(num, 64)
			if err != nil || f*float64(day) > math.MaxInt64/2 {
				return 0, fmt.Errorf("bad duration %q", s)
			}
			part = time.Duration(f * float64(day))
		} else {
			v, err := time.ParseDuration(num + unit)
			if err != nil {
				return 0, err
			}
			part = v
		}
		if total > math.MaxInt64/2-part {
			return 0, fmt.Errorf("duration %q is too long", s)
		}
		total += part
		rest = rest[j:]
	}
	return total, nil
}

// sqlInterval renders d as a DuckDB INTERVAL expression of whole microseconds.
func sqlInterval(d time.Duration) string {
	return fmt.Sprintf("to_microseconds(%d)", d.Microseconds())
}

func sqlFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) + "::DOUBLE" }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
