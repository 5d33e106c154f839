package analyze

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sessionaudit/sessionaudit/ingest"
	"github.com/sessionaudit/sessionaudit/sfid"
)

func TestRemovals(t *testing.T) {
	// Alice holds a Paris family (two sessions) and a Sydney family (two
	// sessions, one expired); her Paris logins make Sydney the target.
	distant := []session{
		{id: "0Ak000000000000PAR", ip: "203.0.113.7", at: paris, age: 3 * hour},
		{id: "0Ak000000000000SYD", ip: "198.51.100.4", at: sydney, age: 2 * hour},
		{id: "0Ak000000000000SY2", parent: "0Ak000000000000SYD", ip: "198.51.100.4", at: sydney, typ: "Content", age: 2 * hour},
		{id: "0Ak000000000000SYX", parent: "0Ak000000000000SYD", ip: "198.51.100.4", at: sydney, typ: "Visualforce", age: 2 * hour, expired: true},
	}
	parisLogins := []login{{ip: "203.0.113.7", at: paris, ago: 48 * hour}}
	tests := []struct {
		name     string
		policy   func(*Policy)
		sessions []session
		logins   []login
		edit     string // SQL run on the fixture before the run
		want     []removal
		withheld map[string]string // reached, left off the list, and why (session_flags)
	}{{
		name:     "a family target reaches its live sessions only",
		sessions: distant,
		logins:   parisLogins,
		want: []removal{
			{session: "0Ak000000000000SY2", user: "alice@acme.com", checks: "concurrent_sessions", severity: "high"},
			{session: "0Ak000000000000SYD", user: "alice@acme.com", checks: "concurrent_sessions", severity: "high"},
		},
	}, {
		name:     "a protected user by username in any case is never removed",
		policy:   func(p *Policy) { p.ProtectedUsers = []string{"alice@acme.com"} },
		sessions: append(distant, session{user: "ALICE@acme.com", age: 13 * hour}),
		logins:   parisLogins,
		withheld: map[string]string{
			"0Ak000000000000SYD": "no: protected user",
			"0Ak000000000000SY2": "no: protected user",
			"0Ak000000000000005": "no: protected user",
		},
	}, {
		name: "a protected user by 15-character Id is never removed",
		policy: func(p *Policy) {
			id, _ := sfid.Normalize(userID("alice@acme.com")[:15])
			p.ProtectedUsers = []string{id}
		},
		sessions: distant,
		logins:   parisLogins,
		// An 18-character Id is kept as written, its suffix unchecked: its
		// case may differ from the policy's.
		edit: `UPDATE sessions SET user_id = lower(user_id)`,
		withheld: map[string]string{
			"0Ak000000000000SYD": "no: protected user",
			"0Ak000000000000SY2": "no: protected user",
		},
	}, {
		name: "the current session is never removed",
		sessions: []session{
			{id: "0Ak000000000000CUR", age: 13 * hour, current: true},
			{id: "0Ak000000000000OLD", age: 13 * hour},
		},
		want:     []removal{{session: "0Ak000000000000OLD", user: "alice@acme.com", checks: "session_over_age", severity: "medium"}},
		withheld: map[string]string{"0Ak000000000000CUR": "no: the exporting user's own session"},
	}, {
		// IsCurrent marks the caller's family; an export that marks only
		// its first session still keeps the family's other sessions off.
		name: "the current session's family is never removed, though only its first session is marked",
		sessions: []session{
			{id: "0Ak000000000000CUR", age: 13 * hour, current: true},
			{id: "0Ak000000000000CUC", parent: "0Ak000000000000CUR", typ: "Content", age: 13 * hour},
			{id: "0Ak000000000000OLD", age: 13 * hour},
		},
		want: []removal{{session: "0Ak000000000000OLD", user: "alice@acme.com", checks: "session_over_age", severity: "medium"}},
		withheld: map[string]string{
			"0Ak000000000000CUR": "no: the exporting user's own session",
			"0Ak000000000000CUC": "no: the exporting user's own session",
		},
	}, {
		// The caller's own session may be a later one of its family (the
		// API session an export ran in, say): the family's first session
		// and the rest stay off the list too.
		name: "the current session's family is never removed, though only a later session of it is marked",
		sessions: []session{
			{id: "0Ak000000000000CUR", age: 13 * hour},
			{id: "0Ak000000000000CUC", parent: "0Ak000000000000CUR", typ: "Content", age: 13 * hour, current: true},
			{id: "0Ak000000000000OLD", age: 13 * hour},
		},
		want: []removal{{session: "0Ak000000000000OLD", user: "alice@acme.com", checks: "session_over_age", severity: "medium"}},
		withheld: map[string]string{
			"0Ak000000000000CUR": "no: the exporting user's own session",
			"0Ak000000000000CUC": "no: the exporting user's own session",
		},
	}, {
		name:     "checks left out of remove_on propose nothing",
		policy:   func(p *Policy) { p.RemoveOn = []string{"impossible_travel"} },
		sessions: []session{{age: 13 * hour}},
	}, {
		name: "a login target reaches the families its sessions belong to",
		sessions: []session{
			{id: "0Ak000000000000NY1", ip: "198.51.100.4", login: "0Ya00000000000NY00", at: newYork},
			{id: "0Ak000000000000NY2", parent: "0Ak000000000000NY1", ip: "198.51.100.4", typ: "Content", at: newYork},
			// A family only a later session of names the login: reached
			// through that session's family, its first session too.
			{id: "0Ak000000000000NY3", ip: "198.51.100.4", at: newYork, age: hour - time.Second},
			{id: "0Ak000000000000NY4", parent: "0Ak000000000000NY3", ip: "198.51.100.4", typ: "Content", at: newYork, login: "0Ya00000000000NY00"},
			{id: "0Ak000000000000OTH", ip: "198.51.100.4", at: newYork, login: "0Ya00000000000OLD0", user: "bob@acme.com"},
		},
		logins: []login{
			{ip: "203.0.113.7", at: paris, ago: 2 * hour},
			{id: "0Ya00000000000NY00", ip: "198.51.100.4", at: newYork, ago: hour},
		},
		want: []removal{
			{session: "0Ak000000000000NY1", user: "alice@acme.com", checks: "impossible_travel", severity: "high"},
			{session: "0Ak000000000000NY2", user: "alice@acme.com", checks: "impossible_travel", severity: "high"},
			{session: "0Ak000000000000NY3", user: "alice@acme.com", checks: "impossible_travel", severity: "high"},
			{session: "0Ak000000000000NY4", user: "alice@acme.com", checks: "impossible_travel", severity: "high"},
		},
	}, {
		// The next login from a jump's IP within follow_for goes with the
		// jump; a later one does not.
		name: "a jump reaches the sessions of the next logins from its IP within follow_for",
		policy: func(p *Policy) {
			p.RemoveOn = []string{"impossible_travel"}
			p.ImpossibleTravel.FollowFor = 2 * hour
		},
		sessions: []session{
			{id: "0Ak000000000000NY1", ip: "198.51.100.4", login: "0Ya00000000000NY01", at: newYork, age: 3 * hour},
			{id: "0Ak000000000000NY2", ip: "198.51.100.4", login: "0Ya00000000000NY02", at: newYork, age: 2 * hour},
			{id: "0Ak000000000000NY3", ip: "198.51.100.4", login: "0Ya00000000000NY03", at: newYork, age: 30 * minute},
		},
		logins: []login{
			{ip: "203.0.113.7", at: paris, ago: 4 * hour},
			{id: "0Ya00000000000NY01", ip: "198.51.100.4", at: newYork, ago: 3 * hour},
			{id: "0Ya00000000000NY02", ip: "198.51.100.4", at: newYork, ago: 2 * hour},
			{ip: "198.51.100.200", at: boston, ago: hour},
			{id: "0Ya00000000000NY03", ip: "198.51.100.4", at: newYork, ago: 30 * minute},
		},
		want: []removal{
			{session: "0Ak000000000000NY1", user: "alice@acme.com", checks: "impossible_travel", severity: "high"},
			{session: "0Ak000000000000NY2", user: "alice@acme.com", checks: "impossible_travel", severity: "high"},
		},
	}, {
		// A Setup download's success after a burst: no session names it, so
		// the families its user began from its IP within two minutes of its
		// minute are reached; later ones, another user's and another IP's
		// are not.
		name: "a Setup download's login target reaches its user's families begun from its IP right after it",
		sessions: []session{
			{id: "0Ak000000000000OK1", ip: "203.0.113.50", age: 90*minute - 20*time.Second},
			{id: "0Ak000000000000OK2", parent: "0Ak000000000000OK1", ip: "203.0.113.50", typ: "Content", age: 80 * minute},
			// Begun in the login's very second (the download gives its minute): within.
			{id: "0Ak000000000000AT0", ip: "203.0.113.50", age: 90 * minute},
			{id: "0Ak000000000000LAT", ip: "203.0.113.50", age: 87 * minute},
			// Begun exactly two minutes after the login's minute: not within.
			{id: "0Ak000000000000TWO", ip: "203.0.113.50", age: 88 * minute},
			{id: "0Ak000000000000BOB", ip: "203.0.113.50", age: 90*minute - 30*time.Second, user: "bob@acme.com"},
			{id: "0Ak000000000000OIP", ip: "198.51.100.4", age: 90*minute - 10*time.Second},
			// An older family of hers from that IP gains a session in that minute.
			{id: "0Ak000000000000OLD", ip: "203.0.113.50", age: 5 * hour},
			{id: "0Ak000000000000OL2", parent: "0Ak000000000000OLD", ip: "203.0.113.50", typ: "Content", age: 90*minute - 40*time.Second},
		},
		logins: func() []login {
			var ls []login
			for i := range 10 {
				ls = append(ls, login{id: fmt.Sprintf("row:1:%d", i+2), ip: "203.0.113.50", status: "Invalid Password", ago: 2*hour + time.Duration(i)*minute})
			}
			return append(ls, login{id: "row:1:20", ip: "203.0.113.50", ago: 90 * minute})
		}(),
		want: []removal{
			{session: "0Ak000000000000AT0", user: "alice@acme.com", checks: "failed_login_burst", severity: "high"},
			{session: "0Ak000000000000OK1", user: "alice@acme.com", checks: "failed_login_burst", severity: "high"},
			{session: "0Ak000000000000OK2", user: "alice@acme.com", checks: "failed_login_burst", severity: "high"},
		},
	}, {
		name: "a family target naming several families reaches each",
		sessions: []session{
			{id: "0Ak000000000000PAR", ip: "203.0.113.7", at: paris, age: 5 * hour},
			{id: "0Ak000000000000SY1", ip: "198.51.100.4", at: sydney, age: 3 * hour},
			{id: "0Ak000000000000SY2", ip: "198.51.100.4", at: sydney, age: 2 * hour},
			{id: "0Ak000000000000SY3", ip: "198.51.100.5", at: sydney, age: 1 * hour},
		},
		logins: parisLogins,
		want: []removal{
			{session: "0Ak000000000000SY1", user: "alice@acme.com", checks: "concurrent_sessions", severity: "high"},
			{session: "0Ak000000000000SY2", user: "alice@acme.com", checks: "concurrent_sessions", severity: "high"},
			{session: "0Ak000000000000SY3", user: "alice@acme.com", checks: "concurrent_sessions", severity: "high"},
		},
	}, {
		name:     "one row per session with every check and the highest severity",
		sessions: []session{{id: "0Ak000000000000SYD", ip: "198.51.100.4", at: sydney, age: 13 * hour}, {ip: "203.0.113.7", at: paris}},
		logins:   parisLogins,
		want: []removal{
			{session: "0Ak000000000000SYD", user: "alice@acme.com", checks: "concurrent_sessions;session_over_age", severity: "high"},
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := mustDB(t, tc.sessions, tc.logins)
			if tc.edit != "" {
				mustExec(t, db, tc.edit)
			}
			res := mustRun(t, db, tc.policy)
			got := mustRemovals(t, db)
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(removal{})); diff != "" {
				t.Errorf("removals differ (-want +got):\n%s", diff)
			}
			if res.Removals != int64(len(tc.want)) {
				t.Errorf("Result.Removals: got %d, want %d", res.Removals, len(tc.want))
			}
			if diff := cmp.Diff(tc.withheld, mustWithheld(t, db), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("withheld sessions differ (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(withheldCounts(tc.withheld), res.Withheld, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Result.Withheld differs (-want +got):\n%s", diff)
			}
		})
	}
}

// A session whose username is unknown may belong to a user protected_users
// names by username: it is held back from the list, and the audit warns.
// Protection by Id alone needs no name, so it holds nothing back.
func TestRemovalsHoldBackSessionsWithoutUsername(t *testing.T) {
	sessions := []session{
		{id: "0Ak000000000000OLD", user: "bob@acme.com", at: paris, age: 13 * hour},
		{id: "0Ak000000000000OL2", user: "carol@acme.com", at: paris, age: 13 * hour},
	}
	tests := []struct {
		name      string
		protected []string
		want      []removal
		heldBack  int64
		withheld  map[string]string
		warning   string
	}{{
		name:      "protected by username: the session without one is held back",
		protected: []string{"admin@acme.com"},
		want:      []removal{{session: "0Ak000000000000OL2", user: "carol@acme.com", checks: "session_over_age", severity: "medium"}},
		heldBack:  1,
		withheld:  map[string]string{"0Ak000000000000OLD": "no: held back, no username"},
		warning: "1 live session has no username (neither the sessions export, a users export nor a Login History API export gives one), " +
			"so the entries of protected_users given by username cannot be checked against it. " +
			"1 session that findings reached was held back from the removal list for that reason. " +
			"Give a User export (--users, with Id and Username) that names its user.",
	}, {
		name:      "near miss: protected by username, and its user by Id: the session without one is protected, not held back",
		protected: []string{"admin@acme.com", userID("bob@acme.com")},
		want:      []removal{{session: "0Ak000000000000OL2", user: "carol@acme.com", checks: "session_over_age", severity: "medium"}},
		withheld:  map[string]string{"0Ak000000000000OLD": "no: protected user"},
		warning: "1 live session has no username (neither the sessions export, a users export nor a Login History API export gives one), " +
			"so the entries of protected_users given by username cannot be checked against it. Give a User export",
	}, {
		name:      "protected by Id only: nothing is held back",
		protected: []string{userID("admin@acme.com")},
		want: []removal{
			{session: "0Ak000000000000OL2", user: "carol@acme.com", checks: "session_over_age", severity: "medium"},
			{session: "0Ak000000000000OLD", checks: "session_over_age", severity: "medium"},
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Another user's login keeps the history from being empty,
			// which would warn too.
			db := mustDB(t, sessions, []login{{user: "dave@acme.com", ip: "192.0.2.1", at: paris}})
			mustExec(t, db, `UPDATE sessions SET username = NULL WHERE id = '0Ak000000000000OLD'`)
			res := mustRun(t, db, func(p *Policy) { p.ProtectedUsers = tc.protected })
			got := mustRemovals(t, db)
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(removal{})); diff != "" {
				t.Errorf("removals differ (-want +got):\n%s", diff)
			}
			if res.HeldBack != tc.heldBack {
				t.Errorf("HeldBack: got %d, want %d", res.HeldBack, tc.heldBack)
			}
			if diff := cmp.Diff(tc.withheld, mustWithheld(t, db), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("withheld sessions differ (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(withheldCounts(tc.withheld), res.Withheld, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Result.Withheld differs (-want +got):\n%s", diff)
			}
			if tc.warning == "" && len(res.Warnings) > 0 {
				t.Errorf("got warnings %q, want none", res.Warnings)
			}
			if tc.warning != "" && (len(res.Warnings) != 1 || !strings.HasPrefix(res.Warnings[0], tc.warning)) {
				t.Errorf("got warnings %q, want one starting %q", res.Warnings, tc.warning)
			}
		})
	}
}

func TestRemovalReasonCombinesFindings(t *testing.T) {
	db := mustDB(t, []session{
		{id: "0Ak000000000000SYD", ip: "198.51.100.4", at: sydney, age: 13 * hour},
		{ip: "203.0.113.7", at: paris},
	}, []login{{ip: "203.0.113.7", at: paris, ago: 48 * hour}})
	mustRun(t, db, nil)
	var reason string
	if err := db.QueryRow(`SELECT reason FROM removals WHERE session_id = '0Ak000000000000SYD'`).Scan(&reason); err != nil {
		t.Fatalf("reading reason: %v", err)
	}
	first := strings.Index(reason, "concurrent_sessions (high): alice@acme.com holds live sessions")
	second := strings.Index(reason, "session_over_age (medium): UI session of alice@acme.com")
	if first != 0 || second <= first {
		t.Errorf("got reason %q, want the high finding's detail first, then the medium one's", reason)
	}
}

func TestRemovalReasonIsBounded(t *testing.T) {
	// Two stand-in checks point at one family of two sessions: ip_denied
	// with three high findings, session_over_age with n medium ones. The
	// reason quotes the five most severe (by severity, check, detail), one
	// a line, and counts the rest; the checks column still names both.
	pointAt := func(id, severity string, n int) Check {
		return Check{ID: id, file: "queries/" + id + ".sql", query: fmt.Sprintf(`SELECT
    '%s' AS severity, user_id, username, id AS session_id, source_ip, created AS observed_at,
    printf('%s finding %%03d.', i) AS detail, 'family' AS target_kind, parent_id AS target_id
FROM sessions, range(%d) t(i)
WHERE id = parent_id`, severity, id, n)}
	}
	quote := func(check, severity string, i int) string {
		return fmt.Sprintf("%s (%s): %s finding %03d.", check, severity, check, i)
	}
	first := []string{
		quote("ip_denied", "high", 0), quote("ip_denied", "high", 1), quote("ip_denied", "high", 2),
		quote("session_over_age", "medium", 0), quote("session_over_age", "medium", 1),
	}
	tests := []struct {
		name string
		n    int // session_over_age findings
		want string
	}{
		{"a hundred thousand findings: the first five and a count", 100_000,
			strings.Join(first, "\n") + "\nAnd 99,998 more findings, listed in findings.csv."},
		{"one more than five: counted in the singular", 3,
			strings.Join(first, "\n") + "\nAnd 1 more finding, listed in findings.csv."},
		{"five findings: every one quoted", 2, strings.Join(first, "\n")},
		{"fewer than five: every one quoted", 1, strings.Join(first[:4], "\n")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := mustDB(t, []session{
				{id: "0Ak000000000000FAM"},
				{id: "0Ak000000000000KID", parent: "0Ak000000000000FAM", typ: "Content"},
			}, nil)
			checks := []Check{pointAt("ip_denied", "high", 3), pointAt("session_over_age", "medium", tc.n)}
			if _, err := run(context.Background(), db, DefaultPolicy(), asOf, checks); err != nil {
				t.Fatalf("run: %v", err)
			}
			rows, err := db.Query(`SELECT session_id, checks, reason FROM removals ORDER BY session_id`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var sessions []string
			for rows.Next() {
				var id, checks, reason string
				if err := rows.Scan(&id, &checks, &reason); err != nil {
					t.Fatal(err)
				}
				sessions = append(sessions, id)
				if checks != "ip_denied;session_over_age" {
					t.Errorf("%s: got checks %q, want both", id, checks)
				}
				if reason != tc.want {
					t.Errorf("%s: got reason\n%q\nwant\n%q", id, reason, tc.want)
				}
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			if want := []string{"0Ak000000000000FAM", "0Ak000000000000KID"}; !slices.Equal(sessions, want) {
				t.Errorf("got removals %v, want %v", sessions, want)
			}
		})
	}
}

func TestRunResult(t *testing.T) {
	db := mustDB(t, []session{
		{ip: "198.51.100.4", at: sydney, age: 13 * hour},
		{ip: "203.0.113.7", at: paris, typ: "Oauth2", age: 100 * 24 * time.Hour},
	}, nil)
	res := mustRun(t, db, nil)
	got := map[string]map[Severity]int64{}
	for _, c := range res.Checks {
		if len(c.Counts) > 0 {
			got[c.Check.ID] = c.Counts
		}
	}
	want := map[string]map[Severity]int64{
		"concurrent_sessions": {High: 1},
		"session_over_age":    {Medium: 1},
		"token_over_rotation": {Low: 1},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("counts differ (-want +got):\n%s", diff)
	}
	if n := len(res.Checks); n != 9 {
		t.Errorf("got %d checks in the result, want all 9 (a new check changes this count; README > Development > Add a check lists what else)", n)
	}
	if got, want := res.AtLeast(Info), int64(3); got != want {
		t.Errorf("Findings(): got %d, want %d", got, want)
	}
	if got, want := res.AtLeast(Medium), int64(2); got != want {
		t.Errorf("AtLeast(Medium): got %d, want %d", got, want)
	}
	if !res.AsOf.Equal(asOf) {
		t.Errorf("AsOf: got %v, want %v", res.AsOf, asOf)
	}
	var checkSteps []string
	for _, s := range res.Steps {
		if slices.ContainsFunc(res.Checks, func(c CheckResult) bool { return c.Check.ID == s.Name }) {
			checkSteps = append(checkSteps, s.Name)
		}
	}
	var ids []string
	for _, c := range res.Checks {
		ids = append(ids, c.Check.ID)
	}
	if !slices.Equal(checkSteps, ids) {
		t.Errorf("got timed checks %v, want every check once in id order: %v", checkSteps, ids)
	}
	if n := len(res.Steps); n < 2 || res.Steps[n-2].Name != "building the removal list" || res.Steps[n-1].Name != "flagging sessions" {
		t.Errorf("got steps %v, want the removal list and the flagging of sessions last", res.Steps)
	}
	// A second run on the same database replaces the tables rather than adding to them.
	again := mustRun(t, db, nil)
	if diff := cmp.Diff(res, again, cmp.AllowUnexported(Check{}), cmpopts.IgnoreFields(Result{}, "Steps")); diff != "" {
		t.Errorf("a second run differs (-first +second):\n%s", diff)
	}
}

// TestSessionFlags checks that session_flags flags a live session with every
// check whose finding names it, targets it, its family, the login that began
// its family, or a Setup download's login that began it, and says why one a
// removal finding reached is not on the list; each check once and
// in order. A family's reach stops at its live sessions: an expired one
// keeps only the findings that name it.
func TestSessionFlags(t *testing.T) {
	ctx := context.Background()
	db, err := ingest.Open(ctx, ingest.DBOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	exec := func(q string) {
		t.Helper()
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`SET VARIABLE as_of = TIMESTAMP '2026-11-26 12:00:00'`)
	exec(`CREATE TEMP MACRO is_live(expires) AS expires > getvariable('as_of')`)
	exec(`CREATE TEMP MACRO began_session(login_time, created) AS login_time <= created + INTERVAL 1 MINUTE`)
	// Family P holds P and C (C from login L1, P from none) and X, expired;
	// Q is a family of its own from login L2; S one that the Setup login
	// row:1:5 began; R is reached by nothing.
	exec(`INSERT INTO sessions (id, user_key, created, last_modified, num_seconds_valid, expires,
		parent_id, login_history_id, is_current, src_file)
	SELECT id, 'u', TIMESTAMP '2026-11-26 10:00:00', TIMESTAMP '2026-11-26 11:00:00', 7200,
		TIMESTAMP '2026-11-26 11:00:00' + INTERVAL (hours) HOUR, parent, login, false, 0
	FROM (VALUES ('P', 'P', NULL, 2), ('C', 'P', 'L1', 2), ('X', 'P', 'L1', 0), ('Q', 'Q', 'L2', 2),
		('S', 'S', NULL, 2), ('R', 'R', 'L3', 2), ('U', 'U', 'L5', 2)) v(id, parent, login, hours)`)
	exec(`CREATE TEMP TABLE families_of_setup_login AS SELECT 'row:1:5' AS login_id, 'S' AS family_id`)
	// U was reused: it names L5, a later login than L4, which began it.
	exec(`CREATE TEMP TABLE families_of_reused_login AS SELECT 'L4' AS login_id, 'U' AS family_id, 'U' AS live_id`)
	exec(`CREATE TEMP TABLE named_logins (id VARCHAR, login_time TIMESTAMP, login_row BIGINT)`) // for session_logins
	// Findings of remove_on reached C, P, Q and S; only C is on the list: P
	// is the exporting user's own session, S was held back, Q's user is
	// protected (removals.sql decides that; TestRemovals checks it).
	exec(`CREATE TEMP TABLE removals_withheld AS SELECT * FROM (VALUES
		('P', 'the exporting user''s own session'), ('S', 'held back, no username'), ('Q', 'protected user')) v(session_id, why)`)
	exec(`CREATE TABLE findings (check_id VARCHAR, session_id VARCHAR, target_kind VARCHAR, target_id VARCHAR)`)
	exec(`INSERT INTO findings VALUES
		('a_names', 'Q', NULL, NULL),
		('b_session', NULL, 'session', 'C'),
		('b_session', 'C', 'session', 'C'),
		('c_family', 'Q', 'family', 'P'),
		('d_login', NULL, 'login', 'L2'),
		('e_login', NULL, 'login', 'L1'),
		('f_setup_login', NULL, 'login', 'row:1:5'),
		('i_reused_login', NULL, 'login', 'L4'),
		('j_logins', NULL, 'login', 'L2 L4'),
		('g_expired', 'X', 'session', 'X'),
		('h_nothing', NULL, NULL, NULL)`)
	exec(reachSQL)
	exec(flagsSQL)
	rows, err := conn.QueryContext(ctx, `SELECT id, flags || coalesce(' | ' || withheld, '') FROM session_flags`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[string]string{}
	for rows.Next() {
		var id, flags string
		if err := rows.Scan(&id, &flags); err != nil {
			t.Fatal(err)
		}
		got[id] = flags
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"P": "c_family; e_login | no: the exporting user's own session",
		"C": "b_session; c_family; e_login",
		"X": "g_expired",
		"Q": "a_names; c_family; d_login; j_logins | no: protected user",
		"S": "f_setup_login | no: held back, no username",
		"U": "i_reused_login; j_logins",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("flags per session (-want +got):\n%s", diff)
	}
}

// TestSessionLogins checks that session_logins gives each live session whose
// login is in the history that login's time, and its place only where the
// session's export gave none; a session whose login is missing, or expired,
// has no row.
func TestSessionLogins(t *testing.T) {
	db := mustDB(t, []session{
		{id: "0Ak000000000000NOP", login: "0Ya000000000000L01", age: 2 * hour},
		{id: "0Ak000000000000SYD", login: "0Ya000000000000L02", at: sydney, age: 2 * hour},
		{id: "0Ak000000000000MIS", login: "0Ya000000000000L99", age: 2 * hour},
		{id: "0Ak000000000000EXP", login: "0Ya000000000000L01", age: 3 * hour, expired: true},
		// Reused: it names a login an hour after it began, and is shown as
		// the checks date it, by its creation.
		{id: "0Ak000000000000REU", login: "0Ya000000000000L03", age: 2 * hour},
		// A login a minute after the session's creation began it (clocks
		// differ); one 90 seconds after it reused it.
		{id: "0Ak000000000000R60", login: "0Ya000000000000L04", age: 2 * hour},
		{id: "0Ak000000000000R90", login: "0Ya000000000000L05", age: 2 * hour},
	}, []login{
		{id: "0Ya000000000000L01", at: paris, ago: 2*hour + 5*minute},
		{id: "0Ya000000000000L02", at: paris, ago: 2*hour + time.Minute},
		{id: "0Ya000000000000L03", at: paris, ago: hour},
		{id: "0Ya000000000000L04", at: paris, ago: 2*hour - time.Minute},
		{id: "0Ya000000000000L05", at: paris, ago: 2*hour - 90*time.Second},
	})
	mustRun(t, db, nil)
	rows, err := db.Query(`SELECT id, strftime(login_time, '%H:%M'), coalesce(city, '-'), coalesce(country_iso, '-') FROM session_logins ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got [][4]string
	for rows.Next() {
		var r [4]string
		if err := rows.Scan(&r[0], &r[1], &r[2], &r[3]); err != nil {
			t.Fatal(err)
		}
		got = append(got, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	want := [][4]string{
		{"0Ak000000000000NOP", "09:55", "Paris", "FR"},
		{"0Ak000000000000R60", "10:01", "Paris", "FR"},
		{"0Ak000000000000SYD", "09:59", "-", "-"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("session_logins (-want +got):\n%s", diff)
	}
}

// A finding about a login names the live session the login began
// (live_session_of_login): the session that names the login, or, for a
// family that was reused (it names a later login), one created in the two
// minutes after a login of its user from its IP. A family that names the login that began it is not taken as
// begun by another login of those two minutes (the near miss: Sydney 1,
// which impossible_travel finds), even while another user's family is
// reused.
func TestLiveSessionOfLogin(t *testing.T) {
	db := mustDB(t, []session{
		// Begun by Sydney 2, which it names; Sydney 1 came 30 s before.
		{id: "0Ak000000000000NOP", ip: "203.0.113.9", at: sydney, login: "0Ya00000000000SYD2", age: 2 * hour},
		// Another user's family, reused: it names a login three hours
		// after it began.
		{id: "0Ak000000000000REU", user: "bob@acme.com", ip: "192.0.2.1", login: "0Ya000000000000BOB", age: 5 * hour},
	}, []login{
		{id: "0Ya00000000000PAR1", ip: "198.51.100.4", at: paris, ago: 3 * hour},
		{id: "0Ya00000000000SYD1", ip: "203.0.113.9", at: sydney, ago: 2*hour + 50*time.Second},
		{id: "0Ya00000000000SYD2", ip: "203.0.113.9", at: sydney, ago: 2*hour + 20*time.Second},
		{id: "0Ya000000000000BOB", user: "bob@acme.com", ip: "192.0.2.1", ago: 2 * hour},
	})
	// Sydney 2 would go with the jump (impossible_travel.follow_for), whose
	// finding would then name its session.
	mustRun(t, db, func(p *Policy) { p.ImpossibleTravel.FollowFor = 0 })
	var got string
	if err := db.QueryRow(`SELECT string_agg(target_id || ' ' || coalesce(session_id, '-'), ', ' ORDER BY target_id)
		FROM findings WHERE check_id = 'impossible_travel'`).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if want := "0Ya00000000000SYD1 -"; got != want {
		t.Errorf("impossible_travel's findings (login, session): got %s, want %s", got, want)
	}
}

// A check with nothing to judge in the exports is marked not checked, with a
// warning saying what to export, so that its zero does not read as "checked,
// nothing found"; each near miss gives the check one thing to judge.
func TestNotChecked(t *testing.T) {
	const (
		placeless = "None of the 2 live session families outside trusted networks has a place"
		noCoords  = "No successful login outside trusted networks has coordinates"
		empty     = "The login history is empty"
		trusted   = "Every one of the 2 live session families comes from a trusted network"
		// One family is not "none of the 1" or "every one of the 1".
		placelessOne = "The one live session family outside trusted networks has no place: neither"
		trustedOne   = "The one live session family comes from a trusted network, so concurrent_sessions and ip_new_for_user did not judge it"
	)
	// Two live families, from IPs outside trusted networks, and logins that
	// have an Id, coordinates and a place.
	sessions := []session{{ip: "203.0.113.7", at: paris}, {ip: "198.51.100.4"}}
	logins := []login{{ip: "203.0.113.7", at: paris}}
	for _, tc := range []struct {
		name       string
		policy     func(*Policy)
		sessions   []session
		logins     []login
		notChecked map[string]string
		warnings   []string
	}{
		{name: "every check has something to judge", sessions: sessions, logins: logins},
		{
			// Judged and clear, but trusted_networks is most likely too broad.
			name: "every live family from a trusted network", policy: trust("0.0.0.0/0"),
			sessions: sessions, logins: logins,
			warnings: []string{trusted},
		},
		{
			name: "near miss: one live family outside trusted networks", policy: trust("198.51.100.0/24"),
			sessions: sessions, logins: logins,
		},
		{
			name:     "no family has a place",
			sessions: []session{{ip: "203.0.113.7"}, {ip: "198.51.100.4"}}, logins: logins,
			notChecked: map[string]string{
				"concurrent_sessions": "no live session family outside trusted networks has a place",
				"ip_new_for_user":     "no live session family outside trusted networks has a place",
			},
			warnings: []string{placeless},
		},
		{
			name:     "the one live family has no place",
			sessions: []session{{ip: "203.0.113.7"}}, logins: logins,
			notChecked: map[string]string{
				"concurrent_sessions": "no live session family outside trusted networks has a place",
				"ip_new_for_user":     "no live session family outside trusted networks has a place",
			},
			warnings: []string{placelessOne},
		},
		{
			name: "the one live family from a trusted network", policy: trust("0.0.0.0/0"),
			sessions: []session{{ip: "203.0.113.7", at: paris}}, logins: logins,
			warnings: []string{trustedOne},
		},
		{
			name:     "near miss: no live family at all, so none to compare",
			sessions: []session{{ip: "203.0.113.7", expired: true}}, logins: logins,
		},
		{
			name:     "no successful login has coordinates",
			sessions: sessions, logins: []login{{ip: "203.0.113.7", at: inCountry("FR")}, {ip: "203.0.113.8", status: "Invalid Password", at: paris}},
			notChecked: map[string]string{"impossible_travel": "no successful login outside trusted networks has coordinates"},
			warnings:   []string{noCoords},
		},
		{
			name:     "near miss: no successful login at all, so none to compare",
			sessions: sessions, logins: []login{{ip: "203.0.113.8", status: "Invalid Password", at: inCountry("FR")}},
		},
		{
			name:     "no login has an Id, as in a Setup download",
			sessions: sessions, logins: []login{{id: "row:1:2", ip: "203.0.113.7", at: named("France")}},
			notChecked: map[string]string{
				"impossible_travel":     "no successful login outside trusted networks has coordinates",
				"session_without_login": "no login in the history has a Salesforce Id to match sessions against",
			},
			// The audit command warns of the Setup download itself.
		},
		{
			name:     "near miss: one login of a Setup download has an Id beside it",
			sessions: sessions, logins: []login{{id: "row:1:2", ip: "203.0.113.7", at: named("France")}, {ip: "203.0.113.7", at: paris}},
		},
		{
			name:     "the login history is empty",
			sessions: sessions,
			notChecked: map[string]string{
				"session_without_login": "no login in the history has a Salesforce Id to match sessions against",
			},
			warnings: []string{empty},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := mustRun(t, mustDB(t, tc.sessions, tc.logins), tc.policy)
			got := map[string]string{}
			for _, c := range res.Checks {
				if c.NotChecked != "" {
					got[c.Check.ID] = c.NotChecked
				}
			}
			if diff := cmp.Diff(tc.notChecked, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("not checked (-want +got):\n%s", diff)
			}
			for _, w := range []string{placeless, noCoords, empty, trusted, placelessOne, trustedOne} {
				want := slices.Contains(tc.warnings, w)
				warned := slices.ContainsFunc(res.Warnings, func(got string) bool { return strings.HasPrefix(got, w) })
				if warned != want {
					t.Errorf("warned %q: %v, want %v; warnings: %q", w, warned, want, res.Warnings)
				}
			}
		})
	}
}

// A policy whose remove_on lists no check proposes nothing, and says so:
// its zero removals must not read as "nothing to end".
func TestEmptyRemoveOnWarns(t *testing.T) {
	const warning = "The policy's remove_on lists no check"
	for _, tc := range []struct {
		name     string
		removeOn []string
		removals int64
		warned   bool
	}{
		{"remove_on: [] warns", []string{}, 0, true},
		{"near miss: one check listed", []string{"session_over_age"}, 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := mustDB(t, []session{{at: paris, age: 13 * hour}}, nil)
			res := mustRun(t, db, func(p *Policy) { p.RemoveOn = tc.removeOn })
			if res.Removals != tc.removals {
				t.Errorf("Removals: got %d, want %d", res.Removals, tc.removals)
			}
			got := slices.ContainsFunc(res.Warnings, func(w string) bool { return strings.HasPrefix(w, warning) })
			if got != tc.warned {
				t.Errorf("warned %v, want %v: %q", got, tc.warned, res.Warnings)
			}
		})
	}
}

// withheldCounts is what Result.Withheld says of the sessions mustWithheld
// gives ("no: <reason>" by session): how many for each reason, largest
// first.
func withheldCounts(bySession map[string]string) []Withheld {
	n := map[string]int64{}
	for _, why := range bySession {
		n[strings.TrimPrefix(why, "no: ")]++
	}
	var out []Withheld
	for why, c := range n {
		out = append(out, Withheld{Reason: why, Sessions: c})
	}
	slices.SortFunc(out, func(a, b Withheld) int {
		if a.Sessions != b.Sessions {
			return int(b.Sessions - a.Sessions)
		}
		return strings.Compare(a.Reason, b.Reason)
	})
	return out
}
