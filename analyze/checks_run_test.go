package analyze

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const (
	hour   = time.Hour
	minute = time.Minute
)

// checkCase is one fixture and the findings one check must report on it.
type checkCase struct {
	name     string
	policy   func(*Policy)
	sessions []session
	logins   []login
	edit     string // SQL run on the fixture before the checks, for what its rows cannot say
	want     []finding
}

func runCheckCases(t *testing.T, check string, cases []checkCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			db := mustDB(t, tc.sessions, tc.logins)
			if tc.edit != "" {
				mustExec(t, db, tc.edit)
			}
			mustRun(t, db, tc.policy)
			got := mustFindings(t, db, check, tc.want)
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(finding{})); diff != "" {
				t.Errorf("findings of %s differ (-want +got):\n%s", check, diff)
			}
		})
	}
}

func trust(prefixes ...string) func(*Policy) {
	return func(p *Policy) {
		for _, s := range prefixes {
			prefix, err := parseNetwork(s)
			if err != nil {
				panic(err)
			}
			p.TrustedNetworks = append(p.TrustedNetworks, Network{Prefix: prefix, Source: "test"})
		}
	}
}

func TestSessionOverAge(t *testing.T) {
	runCheckCases(t, "session_over_age", []checkCase{{
		name:     "UI session 12h01m old is over the 12h limit",
		sessions: []session{{id: "0Ak000000000000AAA", age: 12*hour + minute, ip: "203.0.113.7"}},
		want: []finding{{check: "session_over_age", severity: "medium", user: "alice@acme.com", session: "0Ak000000000000AAA",
			target: "session:0Ak000000000000AAA", detail: "has been open for 12 hours 1 minute; the limit for UI sessions is 12 hours."}},
	}, {
		name:     "UI session 11h59m old is within the limit",
		sessions: []session{{age: 12*hour - minute}},
	}, {
		name:     "near miss: UI session exactly 12h old is at the limit, not over it",
		sessions: []session{{age: 12 * hour}},
	}, {
		// A session whose expiry is the audit's clock has ended.
		name:     "near miss: a session that expires at as-of is not live",
		sessions: []session{{age: 13 * hour}},
		edit:     `UPDATE sessions SET expires = TIMESTAMP '2026-11-26 12:00:00'`,
	}, {
		name:     "an untyped session is judged by session_max_age",
		sessions: []session{{id: "0Ak000000000000NOT", age: 13 * hour}},
		edit:     `UPDATE sessions SET session_type = NULL`,
		want: []finding{{check: "session_over_age", severity: "medium", user: "alice@acme.com", session: "0Ak000000000000NOT",
			target: "session:0Ak000000000000NOT", detail: "the limit for untyped sessions is 12 hours."}},
	}, {
		// Its age in words, to the minute, reads as the limit itself.
		name:     "UI session 12h0m1s old is just over the limit, and says so",
		sessions: []session{{id: "0Ak000000000000AAA", age: 12*hour + time.Second}},
		want: []finding{{check: "session_over_age", severity: "medium", user: "alice@acme.com", session: "0Ak000000000000AAA",
			target: "session:0Ak000000000000AAA", detail: "has been open for just over 12 hours; the limit for UI sessions is 12 hours."}},
	}, {
		// A limit of three units is said whole, not to its two largest
		// ("the limit is 1 day"), and an age that to its two largest
		// units reads as no more than it is "just over" it.
		name:     "a limit of 1 day 30 minutes, and a session 1 day 40 minutes old",
		policy:   func(p *Policy) { p.SessionMaxAge = 24*hour + 30*minute },
		sessions: []session{{id: "0Ak000000000000AAA", age: 24*hour + 40*minute}},
		want: []finding{{check: "session_over_age", severity: "medium", user: "alice@acme.com", session: "0Ak000000000000AAA",
			target: "session:0Ak000000000000AAA", detail: "has been open for just over 1 day 30 minutes; the limit for UI sessions is 1 day 30 minutes."}},
	}, {
		name:     "a limit of 1 day 30 minutes, and a session 1 day 2 hours old",
		policy:   func(p *Policy) { p.SessionMaxAge = 24*hour + 30*minute },
		sessions: []session{{id: "0Ak000000000000AAA", age: 26 * hour}},
		want: []finding{{check: "session_over_age", severity: "medium", user: "alice@acme.com", session: "0Ak000000000000AAA",
			target: "session:0Ak000000000000AAA", detail: "has been open for 1 day 2 hours; the limit for UI sessions is 1 day 30 minutes."}},
	}, {
		name: "API logins and OAuth tokens are not judged by session_max_age",
		sessions: []session{{typ: "APIOnlyUser", age: 20 * hour}, {typ: "ChatterNetworksAPIOnlyOAuth", age: 20 * hour},
			{typ: "STREAMING_API", age: 20 * hour}, {typ: "WDC_API", age: 20 * hour}, {typ: "ChatterNetworksAPIOnly", age: 20 * hour}},
	}, {
		name:     "an expired session is never reported",
		sessions: []session{{age: 72 * hour, expired: true}},
	}, {
		name:     "a token session is not judged by session_max_age",
		sessions: []session{{typ: "Oauth2", age: 20 * hour}, {typ: "API", age: 20 * hour}, {typ: "OAUTH2", age: 20 * hour}},
	}, {
		name: "a per-type limit replaces session_max_age, matching the type in any case",
		policy: func(p *Policy) {
			p.SessionMaxAgeByType = map[string]time.Duration{"visualforce": 2 * hour, "ui": 24 * hour}
		},
		sessions: []session{
			{id: "0Ak000000000000VFA", typ: "Visualforce", age: 3 * hour},
			{typ: "UI", age: 13 * hour},
			{id: "0Ak000000000000CNA", typ: "Content", age: 13 * hour},
		},
		want: []finding{
			{check: "session_over_age", severity: "medium", user: "alice@acme.com", session: "0Ak000000000000CNA",
				target: "session:0Ak000000000000CNA", detail: "the limit for Content sessions is 12 hours."},
			{check: "session_over_age", severity: "medium", user: "alice@acme.com", session: "0Ak000000000000VFA",
				target: "session:0Ak000000000000VFA", detail: "has been open for 3 hours; the limit for Visualforce sessions is 2 hours."},
		},
	}, {
		// The API session a UI login creates beside the UI one (Spring '25)
		// goes with it, by the UI limit, though API is a token type.
		name: "a UI login's companion API session is judged by the UI limit",
		sessions: []session{
			{id: "0Ak000000000000UIA", age: 13 * hour},
			{id: "0Ak000000000000APA", typ: "API", parent: "0Ak000000000000UIA", age: 13 * hour},
		},
		edit: `UPDATE sessions SET login_type = 'Unknown' WHERE session_type = 'API'`,
		want: []finding{
			{check: "session_over_age", severity: "medium", user: "alice@acme.com", session: "0Ak000000000000APA",
				target: "session:0Ak000000000000APA", detail: "beside the UI session of its login, has been open for 13 hours; the limit for UI sessions is 12 hours."},
			{check: "session_over_age", severity: "medium", user: "alice@acme.com", session: "0Ak000000000000UIA",
				target: "session:0Ak000000000000UIA", detail: "has been open for 13 hours; the limit for UI sessions is 12 hours."},
		},
	}, {
		// Created 50 seconds after its UI session, the companion is 12 hours
		// old by its own clock only: counted from the UI session, both go.
		name: "a UI login's companion counts its age from its UI session",
		sessions: []session{
			{id: "0Ak000000000000UIA", age: 12*hour + 30*time.Second},
			{id: "0Ak000000000000APA", typ: "API", parent: "0Ak000000000000UIA", age: 12*hour - 20*time.Second},
		},
		edit: `UPDATE sessions SET login_type = 'Unknown' WHERE session_type = 'API'`,
		want: []finding{
			{check: "session_over_age", severity: "medium", user: "alice@acme.com", session: "0Ak000000000000UIA",
				target: "session:0Ak000000000000UIA", detail: "has been open for just over 12 hours; the limit for UI sessions is 12 hours."},
			{check: "session_over_age", severity: "medium", user: "alice@acme.com", session: "0Ak000000000000APA",
				target: "session:0Ak000000000000APA", detail: "created 2026-11-26 00:00 UTC beside the UI session of its login (created 2026-11-25 23:59 UTC, the time it counts from), has been open for just over 12 hours; the limit for UI sessions is 12 hours."},
		},
	}, {
		name:   "a UI login's companion API session takes the per-type limit of UI, not of API",
		policy: func(p *Policy) { p.SessionMaxAgeByType = map[string]time.Duration{"ui": 24 * hour, "api": hour} },
		sessions: []session{
			{id: "0Ak000000000000UIA", age: 13 * hour},
			{id: "0Ak000000000000APA", typ: "API", parent: "0Ak000000000000UIA", age: 13 * hour},
		},
		edit: `UPDATE sessions SET login_type = 'Unknown' WHERE session_type = 'API'`,
	}, {
		name: "near miss: an API session of a UI family whose LoginType is not Unknown is a token",
		sessions: []session{
			{id: "0Ak000000000000UIA", age: 11 * hour},
			{id: "0Ak000000000000APA", typ: "API", parent: "0Ak000000000000UIA", age: 13 * hour},
		},
	}, {
		name: "near miss: an API session of LoginType Unknown in an OAuth family is a token",
		sessions: []session{
			{id: "0Ak000000000000OAA", typ: "Oauth2", age: 13 * hour},
			{id: "0Ak000000000000APA", typ: "API", parent: "0Ak000000000000OAA", age: 13 * hour},
		},
		edit: `UPDATE sessions SET login_type = 'Unknown' WHERE session_type = 'API'`,
	}})
}

func TestTokenOverRotation(t *testing.T) {
	runCheckCases(t, "token_over_rotation", []checkCase{{
		name:     "a token 91 days old is over the 90 day limit",
		sessions: []session{{id: "0Ak000000000000TKA", typ: "Oauth2", age: 91 * 24 * hour}},
		want: []finding{{check: "token_over_rotation", severity: "low", user: "alice@acme.com", session: "0Ak000000000000TKA",
			detail: "has been valid for 91 days; tokens should be rotated within 90 days."}},
	}, {
		// The limit is said whole, not to its two largest units (90 days).
		name:     "a limit of 90 days 30 minutes is said whole",
		policy:   func(p *Policy) { p.TokenMaxAge = 90*24*hour + 30*minute },
		sessions: []session{{id: "0Ak000000000000TKA", typ: "Oauth2", age: 91 * 24 * hour}},
		want: []finding{{check: "token_over_rotation", severity: "low", user: "alice@acme.com", session: "0Ak000000000000TKA",
			detail: "has been valid for 91 days; tokens should be rotated within 90 days 30 minutes."}},
	}, {
		name:     "a token 89 days old is within the limit",
		sessions: []session{{typ: "API", age: 89 * 24 * hour}},
	}, {
		name:     "an API-only user's session 90 days and a second old is just over the limit",
		sessions: []session{{id: "0Ak000000000000TKA", typ: "APIOnlyUser", age: 90*24*hour + time.Second}},
		want: []finding{{check: "token_over_rotation", severity: "low", user: "alice@acme.com", session: "0Ak000000000000TKA",
			detail: "has been valid for just over 90 days; tokens should be rotated within 90 days."}},
	}, {
		name:     "near miss: a token exactly 90 days old is at the limit, not over it",
		sessions: []session{{typ: "Oauth2", age: 90 * 24 * hour}},
	}, {
		name: "a UI login's companion API session is not a token",
		sessions: []session{
			{id: "0Ak000000000000UIA", age: 91 * 24 * hour},
			{id: "0Ak000000000000APA", typ: "API", parent: "0Ak000000000000UIA", age: 91 * 24 * hour},
		},
		edit: `UPDATE sessions SET login_type = 'Unknown' WHERE session_type = 'API'`,
	}, {
		name:     "near miss: an API session of LoginType Unknown in no UI family is a token",
		sessions: []session{{id: "0Ak000000000000APA", typ: "API", age: 91 * 24 * hour}},
		edit:     `UPDATE sessions SET login_type = 'Unknown' WHERE session_type = 'API'`,
		want: []finding{{check: "token_over_rotation", severity: "low", user: "alice@acme.com", session: "0Ak000000000000APA",
			detail: "has been valid for 91 days; tokens should be rotated within 90 days."}},
	}, {
		name:     "an interactive session is not a token",
		sessions: []session{{typ: "UI", age: 91 * 24 * hour}},
	}, {
		// A limit by Id is the more exact: it wins over one by username.
		name: "a user with limits by Id and by username takes the one by Id",
		policy: func(p *Policy) {
			p.TokenMaxAgeByUser = map[string]time.Duration{userID("bob@acme.com"): 180 * 24 * hour, "bob@acme.com": 30 * 24 * hour}
		},
		sessions: []session{{user: "bob@acme.com", typ: "Oauth2", age: 100 * 24 * hour}},
	}, {
		name: "per-user limits by Id and by username replace token_max_age",
		policy: func(p *Policy) {
			p.TokenMaxAgeByUser = map[string]time.Duration{
				userID("bob@acme.com"): 180 * 24 * hour,
				"carol@acme.com":       30 * 24 * hour,
			}
		},
		sessions: []session{
			{id: "0Ak000000000000BOB", user: "bob@acme.com", typ: "Oauth2", age: 100 * 24 * hour},
			{id: "0Ak000000000000CAR", user: "Carol@acme.com", typ: "Oauth2", age: 31 * 24 * hour},
			{id: "0Ak000000000000ALI", user: "alice@acme.com", typ: "Oauth2", age: 31 * 24 * hour},
		},
		want: []finding{{check: "token_over_rotation", severity: "low", user: "Carol@acme.com", session: "0Ak000000000000CAR",
			detail: "this user's tokens should be rotated within 30 days."}},
	}})
}

func TestImpossibleTravel(t *testing.T) {
	runCheckCases(t, "impossible_travel", []checkCase{{
		name: "Paris to New York at 950 km/h is a jump",
		sessions: []session{
			{id: "0Ak000000000000NYA", ip: "198.51.100.4", login: "0Ya00000000000NY00", at: newYork},
		},
		logins: []login{
			{ip: "203.0.113.7", at: paris, ago: hour + travelTime(paris, newYork, 950)},
			{id: "0Ya00000000000NY00", ip: "198.51.100.4", at: newYork, ago: hour},
		},
		want: []finding{{check: "impossible_travel", severity: "high", user: "alice@acme.com", session: "0Ak000000000000NYA",
			target: "login:0Ya00000000000NY00", detail: "after a login from 203.0.113.7 (Paris, FR): 5,837 km apart, about 950 km/h."}},
	}, {
		// Rounded, the speed reads as the limit itself.
		name: "Paris to New York at 900.3 km/h is just over the limit, and says so",
		logins: []login{
			{ip: "203.0.113.7", at: paris, ago: hour + travelTime(paris, newYork, 900.3)},
			{id: "0Ya00000000000NY00", ip: "198.51.100.4", at: newYork, ago: hour},
		},
		want: []finding{{check: "impossible_travel", severity: "high", user: "alice@acme.com",
			target: "login:0Ya00000000000NY00", detail: "5,837 km apart, just over 900 km/h."}},
	}, {
		// The session the jump created names the login that reused it
		// since: the jump's login still reaches it (login ids: 1 Paris, 2
		// New York, 3 the reuse).
		name: "a jump's session is found after a later login reused it",
		sessions: []session{
			{id: "0Ak000000000000NYA", ip: "198.51.100.4", login: "0Ya00000000000NY03", at: newYork, age: 10*hour - time.Second},
		},
		logins: []login{
			{ip: "203.0.113.7", at: paris, ago: 10*hour + travelTime(paris, newYork, 950)},
			{id: "0Ya00000000000NY00", ip: "198.51.100.4", at: newYork, ago: 10 * hour},
			{id: "0Ya00000000000NY03", ip: "198.51.100.4", at: newYork, ago: hour},
		},
		want: []finding{{check: "impossible_travel", severity: "high", user: "alice@acme.com", session: "0Ak000000000000NYA",
			target: "login:0Ya00000000000NY00 0Ya00000000000NY03", detail: "5,837 km apart, about 950 km/h. It was the user's first successful login from 198.51.100.4; " +
				"1 more came from it within 1 day, at 2026-11-26 11:00 UTC: its sessions go with this one."}},
	}, {
		// Near miss: a family created just after the jump, but from another
		// IP than the jump's, was not begun by it, though it names a later
		// login (reused): the jump reaches no session of it.
		name: "a family from another IP created just after a jump is not the jump's",
		sessions: []session{
			{id: "0Ak000000000000NYA", ip: "198.51.100.4", login: "0Ya00000000000NY03", at: newYork, age: 10*hour - time.Second},
		},
		logins: []login{
			{ip: "203.0.113.7", at: paris, ago: 10*hour + travelTime(paris, newYork, 950)},
			{id: "0Ya00000000000NY00", ip: "198.51.100.9", at: newYork, ago: 10 * hour},
			{id: "0Ya00000000000NY03", ip: "198.51.100.4", at: newYork, ago: hour},
		},
		want: []finding{{check: "impossible_travel", severity: "high", user: "alice@acme.com",
			target: "login:0Ya00000000000NY00", detail: "5,837 km apart, about 950 km/h."}},
	}, {
		// follow_for is said whole, not to its two largest units (1 day).
		name:   "follow_for of 1 day 30 minutes is said whole",
		policy: func(p *Policy) { p.ImpossibleTravel.FollowFor = 24*hour + 30*minute },
		sessions: []session{
			{id: "0Ak000000000000NYA", ip: "198.51.100.4", login: "0Ya00000000000NY03", at: newYork, age: 10*hour - time.Second},
		},
		logins: []login{
			{ip: "203.0.113.7", at: paris, ago: 10*hour + travelTime(paris, newYork, 950)},
			{id: "0Ya00000000000NY00", ip: "198.51.100.4", at: newYork, ago: 10 * hour},
			{id: "0Ya00000000000NY03", ip: "198.51.100.4", at: newYork, ago: hour},
		},
		want: []finding{{check: "impossible_travel", severity: "high", user: "alice@acme.com", session: "0Ak000000000000NYA",
			target: "login:0Ya00000000000NY00 0Ya00000000000NY03", detail: "1 more came from it within 1 day 30 minutes, at 2026-11-26 11:00 UTC"}},
	}, {
		// Whoever jumped logs in again from the same IP: the next logins
		// from it within follow_for, with a place or without, are reached
		// with the jump, each session of theirs going on the removal list,
		// whatever the user did meanwhile; a later one is not.
		name: "the next logins from the jump's new IP within follow_for go with it",
		sessions: []session{
			{id: "0Ak000000000000NYA", ip: "198.51.100.4", login: "0Ya00000000000NY01", at: newYork, age: 26 * hour},
			{id: "0Ak000000000000NYB", ip: "198.51.100.4", login: "0Ya00000000000NY02", at: newYork, age: 20 * hour},
			{id: "0Ak000000000000NYC", ip: "198.51.100.4", login: "0Ya00000000000NY03", age: 3 * hour},
			{id: "0Ak000000000000NYD", ip: "198.51.100.4", login: "0Ya00000000000NY04", at: newYork, age: hour},
		},
		logins: []login{
			{ip: "203.0.113.7", at: paris, ago: 26*hour + travelTime(paris, newYork, 950)},
			{id: "0Ya00000000000NY01", ip: "198.51.100.4", at: newYork, ago: 26 * hour},
			{id: "0Ya00000000000NY02", ip: "198.51.100.4", at: newYork, ago: 20 * hour},
			{ip: "198.51.100.200", at: boston, ago: 15 * hour},
			{id: "0Ya00000000000NY03", ip: "198.51.100.4", at: inCountry("US"), ago: 3 * hour},
			{id: "0Ya00000000000NY04", ip: "198.51.100.4", at: newYork, ago: hour},
		},
		want: []finding{{check: "impossible_travel", severity: "high", user: "alice@acme.com", session: "0Ak000000000000NYA",
			target: "login:0Ya00000000000NY01 0Ya00000000000NY02 0Ya00000000000NY03",
			detail: "about 950 km/h. It was the user's first successful login from 198.51.100.4; 2 more came from it within 1 day, the last at 2026-11-26 09:00 UTC: " +
				"their sessions go with this one."}},
	}, {
		// Whoever jumped logged in from the new IP first where LoginGeo had
		// no place for it, after the login the jump is from: the IP was new
		// all the same, and that login and the next go with the jump.
		name: "a login from the jump's new IP without a place, after the login the jump is from, goes with it",
		sessions: []session{
			{id: "0Ak000000000000NY0", ip: "198.51.100.4", login: "0Ya00000000000NY00", age: 5*hour + 30*time.Second},
			{id: "0Ak000000000000NYA", ip: "198.51.100.4", login: "0Ya00000000000NY01", at: newYork, age: 5 * hour},
			{id: "0Ak000000000000NYB", ip: "198.51.100.4", login: "0Ya00000000000NY02", age: hour},
		},
		logins: []login{
			{ip: "203.0.113.7", at: paris, ago: 5*hour + travelTime(paris, newYork, 950)},
			{id: "0Ya00000000000NY00", ip: "198.51.100.4", at: inCountry("US"), ago: 5*hour + 30*time.Second},
			{id: "0Ya00000000000NY01", ip: "198.51.100.4", at: newYork, ago: 5 * hour},
			{id: "0Ya00000000000NY02", ip: "198.51.100.4", at: inCountry("US"), ago: hour},
		},
		want: []finding{{check: "impossible_travel", severity: "high", user: "alice@acme.com", session: "0Ak000000000000NYA",
			target: "login:0Ya00000000000NY01 0Ya00000000000NY00 0Ya00000000000NY02",
			detail: "about 950 km/h. The user's first successful login from 198.51.100.4 came 30 seconds before it, at 2026-11-26 06:59 UTC, without a place; " +
				"it and 1 more from that IP up to 1 day after this one, the last at 2026-11-26 11:00 UTC, go with this one, their sessions too."}},
	}, {
		name: "one login from the jump's new IP without a place, just before it, goes with it",
		logins: []login{
			{ip: "203.0.113.7", at: paris, ago: 5*hour + travelTime(paris, newYork, 950)},
			{id: "0Ya00000000000NY00", ip: "198.51.100.4", at: inCountry("US"), ago: 5*hour + 30*time.Second},
			{id: "0Ya00000000000NY01", ip: "198.51.100.4", at: newYork, ago: 5 * hour},
		},
		want: []finding{{check: "impossible_travel", severity: "high", user: "alice@acme.com",
			target: "login:0Ya00000000000NY01 0Ya00000000000NY00",
			detail: "The user's first successful login from 198.51.100.4 came 30 seconds before it, at 2026-11-26 06:59 UTC, without a place; it goes with this one, its sessions too."}},
	}, {
		// The two logins from the IP came hours before the jump: they are
		// not "within 1 hour" of anything, only up to follow_for after it.
		name:   "logins from the jump's new IP without a place, hours before it, are not said to be within follow_for",
		policy: func(p *Policy) { p.ImpossibleTravel.FollowFor = hour },
		logins: []login{
			{ip: "203.0.113.7", at: paris, ago: 5*hour + travelTime(paris, newYork, 950)},
			{id: "0Ya00000000000NY00", ip: "198.51.100.4", at: inCountry("US"), ago: 10 * hour},
			{id: "0Ya00000000000NY02", ip: "198.51.100.4", at: inCountry("US"), ago: 9 * hour},
			{id: "0Ya00000000000NY01", ip: "198.51.100.4", at: newYork, ago: 5 * hour},
		},
		want: []finding{{check: "impossible_travel", severity: "high", user: "alice@acme.com",
			target: "login:0Ya00000000000NY01 0Ya00000000000NY00 0Ya00000000000NY02",
			detail: "The user's first successful login from 198.51.100.4 came 5 hours before it, at 2026-11-26 02:00 UTC, without a place; " +
				"it and 1 more from that IP up to 1 hour after this one, the last at 2026-11-26 03:00 UTC, go with this one, their sessions too."}},
	}, {
		// The first login from the IP came at the jump's very moment (its
		// Id orders it first): not "0 seconds before it".
		name: "a login from the jump's new IP without a place, at the jump's very moment, says so",
		logins: []login{
			{ip: "203.0.113.7", at: paris, ago: 5*hour + travelTime(paris, newYork, 950)},
			{id: "0Ya00000000000NY00", ip: "198.51.100.4", at: inCountry("US"), ago: 5 * hour},
			{id: "0Ya00000000000NY01", ip: "198.51.100.4", at: newYork, ago: 5 * hour},
		},
		want: []finding{{check: "impossible_travel", severity: "high", user: "alice@acme.com",
			target: "login:0Ya00000000000NY01 0Ya00000000000NY00",
			detail: "The user's first successful login from 198.51.100.4 came at the same moment as it, at 2026-11-26 07:00 UTC, without a place; it goes with this one, its sessions too."}},
	}, {
		name: "a login from the jump's new IP without a place, less than a second before it, says so",
		logins: []login{
			{ip: "203.0.113.7", at: paris, ago: 5*hour + travelTime(paris, newYork, 950)},
			{id: "0Ya00000000000NY00", ip: "198.51.100.4", at: inCountry("US"), ago: 5*hour + 500*time.Millisecond},
			{id: "0Ya00000000000NY01", ip: "198.51.100.4", at: newYork, ago: 5 * hour},
		},
		want: []finding{{check: "impossible_travel", severity: "high", user: "alice@acme.com",
			target: "login:0Ya00000000000NY01 0Ya00000000000NY00",
			detail: "The user's first successful login from 198.51.100.4 came less than a second before it, at 2026-11-26 06:59 UTC, without a place; it goes with this one, its sessions too."}},
	}, {
		// A second or more before is told in whole seconds, down: not
		// "less than a second" at exactly one, not "2 seconds" at 1.6.
		name: "a login from the jump's new IP without a place, exactly a second before it, says so",
		logins: []login{
			{ip: "203.0.113.7", at: paris, ago: 5*hour + travelTime(paris, newYork, 950)},
			{id: "0Ya00000000000NY00", ip: "198.51.100.4", at: inCountry("US"), ago: 5*hour + time.Second},
			{id: "0Ya00000000000NY01", ip: "198.51.100.4", at: newYork, ago: 5 * hour},
		},
		want: []finding{{check: "impossible_travel", severity: "high", user: "alice@acme.com",
			target: "login:0Ya00000000000NY01 0Ya00000000000NY00",
			detail: "The user's first successful login from 198.51.100.4 came 1 second before it, at 2026-11-26 06:59 UTC, without a place; it goes with this one, its sessions too."}},
	}, {
		name: "a login from the jump's new IP without a place, 1.6 seconds before it, is told in whole seconds down",
		logins: []login{
			{ip: "203.0.113.7", at: paris, ago: 5*hour + travelTime(paris, newYork, 950)},
			{id: "0Ya00000000000NY00", ip: "198.51.100.4", at: inCountry("US"), ago: 5*hour + 1600*time.Millisecond},
			{id: "0Ya00000000000NY01", ip: "198.51.100.4", at: newYork, ago: 5 * hour},
		},
		want: []finding{{check: "impossible_travel", severity: "high", user: "alice@acme.com",
			target: "login:0Ya00000000000NY01 0Ya00000000000NY00",
			detail: "The user's first successful login from 198.51.100.4 came 1 second before it, at 2026-11-26 06:59 UTC, without a place; it goes with this one, its sessions too."}},
	}, {
		// The user logged in from the IP a second before the login the jump
		// is from: it is no new IP, and nothing goes with the jump.
		name: "near miss: a login from the jump's IP without a place, before the login the jump is from, takes nothing with it",
		logins: []login{
			{id: "0Ya00000000000NY00", ip: "198.51.100.4", at: inCountry("US"), ago: 5*hour + travelTime(paris, newYork, 950) + time.Second},
			{ip: "203.0.113.7", at: paris, ago: 5*hour + travelTime(paris, newYork, 950)},
			{id: "0Ya00000000000NY01", ip: "198.51.100.4", at: newYork, ago: 5 * hour},
			{id: "0Ya00000000000NY02", ip: "198.51.100.4", at: inCountry("US"), ago: hour},
		},
		want: []finding{{check: "impossible_travel", severity: "high", user: "alice@acme.com",
			target: "login:0Ya00000000000NY01", detail: "5,837 km apart, about 950 km/h."}},
	}, {
		// A Setup download gives its logins to the minute: the gap is said
		// as the minutes give it, not to the second.
		name: "a first login from the jump's new IP in a Setup download is said to the minute",
		logins: []login{
			{ip: "203.0.113.7", at: paris, ago: 5*hour + travelTime(paris, newYork, 950)},
			{id: "row:1:2", ip: "198.51.100.4", at: named("United States"), ago: 5*hour + 2*time.Minute},
			{id: "0Ya00000000000NY01", ip: "198.51.100.4", at: newYork, ago: 5*hour - 30*time.Second},
		},
		want: []finding{{check: "impossible_travel", severity: "high", user: "alice@acme.com", target: "login:0Ya00000000000NY01 row:1:2",
			detail: "The user's first successful login from 198.51.100.4 came about 2 minutes before it (a Setup download gives minutes), at 2026-11-26 06:58 UTC, without a place; it goes with this one"}},
	}, {
		name: "a first login from the jump's new IP in a Setup download, in the jump's minute",
		logins: []login{
			{ip: "203.0.113.7", at: paris, ago: 5*hour + travelTime(paris, newYork, 950)},
			{id: "row:1:2", ip: "198.51.100.4", at: named("United States"), ago: 5 * hour},
			{id: "0Ya00000000000NY01", ip: "198.51.100.4", at: newYork, ago: 5*hour - 30*time.Second},
		},
		want: []finding{{check: "impossible_travel", severity: "high", user: "alice@acme.com", target: "login:0Ya00000000000NY01 row:1:2",
			detail: "came in the same minute as it (a Setup download gives minutes), at 2026-11-26 07:00 UTC, without a place"}},
	}, {
		// A Setup download that gives seconds gives its gap to the second.
		name: "a first login from the jump's new IP in a Setup download that gives seconds is said to the second",
		logins: []login{
			{ip: "203.0.113.7", at: paris, ago: 5*hour + travelTime(paris, newYork, 950)},
			{id: "row:1:2", ip: "198.51.100.4", at: named("United States"), ago: 5*hour + 10*time.Second},
			{id: "0Ya00000000000NY01", ip: "198.51.100.4", at: newYork, ago: 5*hour - 30*time.Second},
		},
		want: []finding{{check: "impossible_travel", severity: "high", user: "alice@acme.com", target: "login:0Ya00000000000NY01 row:1:2",
			detail: "The user's first successful login from 198.51.100.4 came 40 seconds before it, at 2026-11-26 06:59 UTC, without a place; it goes with this one"}},
	}, {
		// Only the first login's own source gives minutes: a Setup
		// download's login taken along after it does not make an API
		// login's seconds "about" a minute.
		name: "near miss: a first login from the jump's new IP with seconds, followed by a Setup download's, is said to the second",
		logins: []login{
			{ip: "203.0.113.7", at: paris, ago: 5*hour + travelTime(paris, newYork, 950)},
			{id: "0Ya00000000000NY00", ip: "198.51.100.4", at: inCountry("US"), ago: 5*hour + 30*time.Second},
			{id: "0Ya00000000000NY01", ip: "198.51.100.4", at: newYork, ago: 5 * hour},
			{id: "row:1:2", ip: "198.51.100.4", at: named("United States"), ago: 4 * hour},
		},
		want: []finding{{check: "impossible_travel", severity: "high", user: "alice@acme.com", target: "login:0Ya00000000000NY01 0Ya00000000000NY00 row:1:2",
			detail: "The user's first successful login from 198.51.100.4 came 30 seconds before it, at 2026-11-26 06:59 UTC, without a place; it and 1 more from that IP up to 1 day after this one, the last at 2026-11-26 08:00 UTC"}},
	}, {
		// At the same moment as the login the jump is from, the Id orders
		// the logins, as the window does: after it, the IP is new.
		name: "a login from the jump's new IP without a place, at the moment of the login the jump is from and after it by Id, goes with it",
		logins: []login{
			{id: "0Ya00000000000PA00", ip: "203.0.113.7", at: paris, ago: 5*hour + travelTime(paris, newYork, 950)},
			{id: "0Ya00000000000PA01", ip: "198.51.100.4", at: inCountry("US"), ago: 5*hour + travelTime(paris, newYork, 950)},
			{id: "0Ya00000000000NY01", ip: "198.51.100.4", at: newYork, ago: 5 * hour},
		},
		want: []finding{{check: "impossible_travel", severity: "high", user: "alice@acme.com",
			target: "login:0Ya00000000000NY01 0Ya00000000000PA01", detail: "without a place; it goes with this one, its sessions too."}},
	}, {
		name: "near miss: a login from the jump's IP without a place, at the moment of the login the jump is from but before it by Id, takes nothing with it",
		logins: []login{
			{id: "0Ya00000000000PA00", ip: "203.0.113.7", at: paris, ago: 5*hour + travelTime(paris, newYork, 950)},
			{id: "0Ya00000000000NY00", ip: "198.51.100.4", at: inCountry("US"), ago: 5*hour + travelTime(paris, newYork, 950)},
			{id: "0Ya00000000000NY01", ip: "198.51.100.4", at: newYork, ago: 5 * hour},
		},
		want: []finding{{check: "impossible_travel", severity: "high", user: "alice@acme.com",
			target: "login:0Ya00000000000NY01", detail: "5,837 km apart, about 950 km/h."}},
	}, {
		// Not even one at the jump's very moment.
		name:   "near miss: with follow_for 0, the next logins from the jump's new IP do not go with it",
		policy: func(p *Policy) { p.ImpossibleTravel.FollowFor = 0 },
		logins: []login{
			{ip: "203.0.113.7", at: paris, ago: 2*hour + travelTime(paris, newYork, 950)},
			{id: "0Ya00000000000NY01", ip: "198.51.100.4", at: newYork, ago: 2 * hour},
			{id: "0Ya00000000000NY03", ip: "198.51.100.4", ago: 2 * hour},
			{id: "0Ya00000000000NY02", ip: "198.51.100.4", at: newYork, ago: hour},
		},
		want: []finding{{check: "impossible_travel", severity: "high", user: "alice@acme.com",
			target: "login:0Ya00000000000NY01", detail: "5,837 km apart, about 950 km/h."}},
	}, {
		// The jump's own login began no live session, the next one from its
		// IP did: the finding names that session, which its target reaches
		// (the removal list ends it), rather than none.
		name: "a jump whose login began no live session names its next login's",
		sessions: []session{
			{id: "0Ak000000000000NYB", ip: "198.51.100.4", login: "0Ya00000000000NY02", at: newYork, age: hour},
		},
		logins: []login{
			{ip: "203.0.113.7", at: paris, ago: 5*hour + travelTime(paris, newYork, 950)},
			{id: "0Ya00000000000NY01", ip: "198.51.100.4", at: newYork, ago: 5 * hour},
			{id: "0Ya00000000000NY02", ip: "198.51.100.4", at: newYork, ago: hour},
		},
		want: []finding{{check: "impossible_travel", severity: "high", user: "alice@acme.com", session: "0Ak000000000000NYB",
			target: "login:0Ya00000000000NY01 0Ya00000000000NY02", detail: "It was the user's first successful login from 198.51.100.4; 1 more came from it within 1 day, at 2026-11-26 11:00 UTC: its sessions go with this one."}},
	}, {
		// A login at the jump's own moment (a higher Id) and one exactly
		// follow_for after it go with it; one a second later, and a failed
		// login in between, do not.
		name: "the next logins from the jump's new IP at its moment and exactly follow_for after go with it",
		logins: []login{
			{ip: "203.0.113.7", at: paris, ago: 25*hour + travelTime(paris, newYork, 950)},
			{id: "0Ya00000000000NY01", ip: "198.51.100.4", at: newYork, ago: 25 * hour},
			{id: "0Ya00000000000NY02", ip: "198.51.100.4", at: newYork, ago: 25 * hour},
			{id: "0Ya00000000000NY05", ip: "198.51.100.4", at: newYork, ago: 2 * hour, status: "Invalid Password"},
			{id: "0Ya00000000000NY03", ip: "198.51.100.4", at: newYork, ago: hour},
			{id: "0Ya00000000000NY04", ip: "198.51.100.4", at: newYork, ago: hour - time.Second},
		},
		want: []finding{{check: "impossible_travel", severity: "high", user: "alice@acme.com",
			target: "login:0Ya00000000000NY01 0Ya00000000000NY02 0Ya00000000000NY03",
			detail: "It was the user's first successful login from 198.51.100.4; 2 more came from it within 1 day, the last at 2026-11-26 11:00 UTC: their sessions go with this one."}},
	}, {
		// A Setup download's login is named by no session: the finding
		// names the lowest live session among those of the next logins,
		// here that of the family the download's login began.
		name: "a jump whose login began no live session names the one a Setup download's next login began",
		sessions: []session{
			{id: "0Ak000000000000NYA", ip: "198.51.100.4", at: newYork, age: 2*hour - 30*time.Second},
			{id: "0Ak000000000000NYB", ip: "198.51.100.4", login: "0Ya00000000000NY02", at: newYork, age: hour},
		},
		logins: []login{
			{ip: "203.0.113.7", at: paris, ago: 5*hour + travelTime(paris, newYork, 950)},
			{id: "0Ya00000000000NY01", ip: "198.51.100.4", at: newYork, ago: 5 * hour},
			{id: "row:1:2", ip: "198.51.100.4", at: named("United States"), ago: 2 * hour},
			{id: "0Ya00000000000NY02", ip: "198.51.100.4", at: newYork, ago: hour},
		},
		want: []finding{{check: "impossible_travel", severity: "high", user: "alice@acme.com", session: "0Ak000000000000NYA",
			target: "login:0Ya00000000000NY01 row:1:2 0Ya00000000000NY02", detail: "2 more came from it within 1 day"}},
	}, {
		// The user's login before the Paris one was near the later login:
		// Paris is the odd one out, and the later login, from a new IP, is
		// the user back home, whose next logins are the user's own.
		name: "near miss: the later login of an odd one out takes no next logins along, though from a new IP",
		logins: []login{
			{id: "0Ya00000000000NY00", ip: "198.51.100.4", at: newYork, ago: 48 * hour},
			{id: "0Ya00000000000PA00", ip: "203.0.113.7", at: paris, ago: 2 * hour},
			{id: "0Ya00000000000NY01", ip: "198.51.100.5", at: newYork, ago: hour},
			{id: "0Ya00000000000NY02", ip: "198.51.100.5", at: newYork, ago: 30 * minute},
		},
		want: []finding{
			{check: "impossible_travel", severity: "high", user: "alice@acme.com", target: "login:0Ya00000000000PA00", detail: "this one is the odd one out."},
			{check: "impossible_travel", severity: "high", user: "alice@acme.com", target: "login:0Ya00000000000NY01", detail: "5,837 km apart, about 5,837 km/h."},
		},
	}, {
		// The same, and a jump to that new IP comes later (from another
		// Paris IP): the first login from it is still the odd one out's
		// later one, which takes none along.
		name: "near miss: the later login of an odd one out takes no next logins along when a later jump goes to its IP",
		logins: []login{
			{id: "0Ya00000000000NY00", ip: "198.51.100.4", at: newYork, ago: 48 * hour},
			{id: "0Ya00000000000PA00", ip: "203.0.113.7", at: paris, ago: 4 * hour},
			{id: "0Ya00000000000NY01", ip: "198.51.100.5", at: newYork, ago: 3 * hour},
			{id: "0Ya00000000000PA01", ip: "203.0.113.8", at: paris, ago: 2 * hour},
			{id: "0Ya00000000000NY02", ip: "198.51.100.5", at: newYork, ago: hour},
		},
		want: []finding{
			{check: "impossible_travel", severity: "high", user: "alice@acme.com", target: "login:0Ya00000000000PA00", detail: "this one is the odd one out."},
			{check: "impossible_travel", severity: "high", user: "alice@acme.com", target: "login:0Ya00000000000NY01", detail: "5,837 km apart, about 5,837 km/h."},
			{check: "impossible_travel", severity: "high", user: "alice@acme.com", target: "login:0Ya00000000000PA01", detail: "1 hour after a login from 198.51.100.5"},
			{check: "impossible_travel", severity: "high", user: "alice@acme.com", target: "login:0Ya00000000000NY02", detail: "1 hour after a login from 203.0.113.8"},
		},
	}, {
		// The user's earlier logins from the IP had no place (an export
		// without LoginGeo): the IP is known all the same.
		name: "near miss: a place-less login from the jump's IP before it makes the IP known",
		logins: []login{
			{ip: "198.51.100.4", ago: 10 * 24 * hour},
			{ip: "203.0.113.7", at: paris, ago: 3 * hour},
			{id: "0Ya00000000000NY01", ip: "198.51.100.4", at: newYork, ago: 2 * hour},
			{id: "0Ya00000000000NY02", ip: "198.51.100.4", at: newYork, ago: hour},
		},
		want: []finding{{check: "impossible_travel", severity: "high", user: "alice@acme.com",
			target: "login:0Ya00000000000NY01", detail: "5,837 km apart, about 5,837 km/h."}},
	}, {
		// A jump back to an IP the user logged in from before (home, or a
		// VPN egress left out of trusted_networks) takes no logins with
		// it: the runs after such switches are the user's own. A failed
		// login from it before does not make it known.
		name: "near miss: the next logins after a jump to an IP the user used before do not go with it",
		logins: []login{
			{ip: "198.51.100.4", at: newYork, ago: 30 * 24 * hour},
			{ip: "198.51.100.9", at: newYork, ago: 20 * 24 * hour, status: "Invalid Password"},
			{ip: "203.0.113.7", at: paris, ago: 10 * 24 * hour},
			{ip: "203.0.113.7", at: paris, ago: 6 * hour},
			{id: "0Ya00000000000NY01", ip: "198.51.100.4", at: newYork, ago: 5 * hour},
			{id: "0Ya00000000000NY02", ip: "198.51.100.4", at: newYork, ago: 4 * hour},
			{id: "0Ya00000000000PA00", ip: "203.0.113.7", at: paris, ago: 3*hour + 30*minute},
			{id: "0Ya00000000000SF03", ip: "198.51.100.9", at: sanFran, ago: 3 * hour},
			{id: "0Ya00000000000SF04", ip: "198.51.100.9", at: sanFran, ago: 2 * hour},
		},
		want: []finding{
			{check: "impossible_travel", severity: "high", user: "alice@acme.com", target: "login:0Ya00000000000NY01", detail: "5,837 km apart, about 5,837 km/h."},
			{check: "impossible_travel", severity: "high", user: "alice@acme.com", target: "login:0Ya00000000000PA00", detail: "30 minutes after a login from 198.51.100.4 (New York, US)"},
			{check: "impossible_travel", severity: "high", user: "alice@acme.com", target: "login:0Ya00000000000SF03 0Ya00000000000SF04",
				detail: "It was the user's first successful login from 198.51.100.9; 1 more came from it within 1 day, at 2026-11-26 10:00 UTC"},
		},
	}, {
		// A gap is told whole seconds down: 59 minutes 59.6 seconds is not
		// "1 hour", and under a second is not "0 seconds".
		name: "gaps are told to the second below",
		logins: []login{
			{ip: "203.0.113.7", at: paris, ago: 2*hour + 59*minute + 59600*time.Millisecond},
			{id: "0Ya00000000000NY00", ip: "198.51.100.4", at: newYork, ago: 2 * hour},
			{id: "0Ya00000000000SY00", ip: "198.51.100.9", at: sydney, ago: 2*hour - 400*time.Millisecond},
		},
		want: []finding{
			{check: "impossible_travel", severity: "high", user: "alice@acme.com",
				target: "login:0Ya00000000000NY00", detail: "59 minutes 59 seconds after a login from 203.0.113.7 (Paris, FR)"},
			{check: "impossible_travel", severity: "high", user: "alice@acme.com",
				target: "login:0Ya00000000000SY00", detail: "less than a second after a login from 198.51.100.4 (New York, US)"},
		},
	}, {
		// Two live families name the jump's login: the finding names the
		// lowest Id.
		name: "a jump's login named by two live families names the lowest session",
		sessions: []session{
			{id: "0Ak000000000000NYB", ip: "198.51.100.4", login: "0Ya00000000000NY00", at: newYork},
			{id: "0Ak000000000000NYA", ip: "198.51.100.4", login: "0Ya00000000000NY00", at: newYork},
		},
		logins: []login{
			{ip: "203.0.113.7", at: paris, ago: hour + travelTime(paris, newYork, 950)},
			{id: "0Ya00000000000NY00", ip: "198.51.100.4", at: newYork, ago: hour},
		},
		want: []finding{{check: "impossible_travel", severity: "high", user: "alice@acme.com", session: "0Ak000000000000NYA",
			target: "login:0Ya00000000000NY00", detail: "about 950 km/h."}},
	}, {
		name:   "near miss: at 950 km/h under a max_speed_kmh of 1000 is a flight",
		policy: func(p *Policy) { p.ImpossibleTravel.MaxSpeedKmh = 1000 },
		logins: []login{
			{ip: "203.0.113.7", at: paris, ago: hour + travelTime(paris, newYork, 950)},
			{ip: "198.51.100.4", at: newYork, ago: hour},
		},
	}, {
		// Along one parallel: no latitude between them to tell the distance.
		name: "a jump due east, in 10 minutes",
		logins: []login{
			{ip: "203.0.113.7", at: place{city: "West", iso: "FR", lat: 48.8566, lon: 2.3522}, ago: hour + 10*minute},
			{id: "0Ya00000000000EA00", ip: "198.51.100.4", at: place{city: "East", iso: "DE", lat: 48.8566, lon: 12.0}, ago: hour},
		},
		want: []finding{{check: "impossible_travel", severity: "high", user: "alice@acme.com",
			target: "login:0Ya00000000000EA00", detail: "10 minutes after a login from 203.0.113.7 (West, FR): 705 km apart"}},
	}, {
		name: "Paris to New York at 850 km/h is a flight",
		logins: []login{
			{ip: "203.0.113.7", at: paris, ago: hour + travelTime(paris, newYork, 850)},
			{ip: "198.51.100.4", at: newYork, ago: hour},
		},
	}, {
		name:   "a trusted VPN login in between still leaves a jump",
		policy: trust("10.0.0.0/8"),
		logins: []login{
			{ip: "203.0.113.7", at: paris, ago: 5 * hour},
			{ip: "10.1.2.3", at: london, ago: 3 * hour},
			{id: "0Ya00000000000NY00", ip: "198.51.100.4", at: newYork, ago: hour},
		},
		want: []finding{{check: "impossible_travel", severity: "high", user: "alice@acme.com",
			target: "login:0Ya00000000000NY00", detail: "4 hours after a login from 203.0.113.7 (Paris, FR)"}},
	}, {
		name: "the same IP is never travel",
		logins: []login{
			{ip: "203.0.113.7", at: paris, ago: 2 * hour},
			{ip: "203.0.113.7", at: sydney, ago: hour},
		},
	}, {
		name: "logins at the same moment are infinitely fast",
		logins: []login{
			{id: "0Ya00000000000PA00", ip: "203.0.113.7", at: paris, ago: hour},
			{id: "0Ya00000000000LY00", ip: "203.0.113.8", at: lyon, ago: hour},
		},
		want: []finding{{check: "impossible_travel", severity: "high", user: "alice@acme.com",
			target: "login:0Ya00000000000PA00", detail: "at the same moment as a login from 203.0.113.8 (Lyon, FR): 391 km apart, no time to travel at all."}},
	}, {
		name:   "a jump shorter than min_distance_km is not reported",
		policy: func(p *Policy) { p.ImpossibleTravel.MinDistanceKm = 400 },
		logins: []login{
			{ip: "203.0.113.7", at: paris, ago: hour},
			{ip: "203.0.113.8", at: lyon, ago: hour},
		},
	}, {
		name: "a jump across the antimeridian is reported",
		logins: []login{
			{ip: "203.0.113.7", at: place{city: "Suva", iso: "FJ", lat: -18.1248, lon: 178.4501}, ago: 2 * hour},
			{id: "0Ya00000000000AP00", ip: "203.0.113.8", at: place{city: "Apia", iso: "WS", lat: -13.8333, lon: -171.7500}, ago: hour},
		},
		want: []finding{{check: "impossible_travel", severity: "high", user: "alice@acme.com",
			target: "login:0Ya00000000000AP00", detail: "1 hour after a login from 203.0.113.7 (Suva, FJ): 1,151 km apart"}},
	}, {
		name: "users who stay in one place do not hide a traveller",
		logins: []login{
			{ip: "203.0.113.7", at: paris, ago: 4 * hour, user: "bob@acme.com"},
			{ip: "203.0.113.8", at: paris, ago: 3 * hour, user: "bob@acme.com"},
			{ip: "203.0.113.7", at: paris, ago: 3 * hour},
			{id: "0Ya00000000000SY00", ip: "203.0.113.9", at: sydney, ago: 2 * hour},
			{id: "0Ya00000000000SY01", ip: "203.0.113.9", at: sydney, ago: hour},
		},
		want: []finding{{check: "impossible_travel", severity: "high", user: "alice@acme.com",
			target: "login:0Ya00000000000SY00 0Ya00000000000SY01", detail: "1 hour after a login from 203.0.113.7 (Paris, FR)"}},
	}, {
		// Home, away, home: the login away is the odd one out, and an
		// intruder who logs in first is named along with the later login.
		name: "an intruder who logs in first is named too when the user was home before",
		sessions: []session{
			{id: "0Ak000000000000SYA", ip: "198.51.100.4", login: "0Ya00000000000SY00", at: sydney},
			{id: "0Ak000000000000PAA", ip: "203.0.113.7", login: "0Ya00000000000PA00", at: paris},
		},
		// The user's next login from home is the user's own: the return
		// home takes no logins with it.
		logins: []login{
			{ip: "203.0.113.7", at: paris, ago: 48 * hour},
			{id: "0Ya00000000000SY00", ip: "198.51.100.4", at: sydney, ago: 2 * hour},
			{id: "0Ya00000000000PA00", ip: "203.0.113.7", at: paris, ago: hour},
			{id: "0Ya00000000000PA01", ip: "203.0.113.7", at: paris, ago: 30 * minute},
		},
		want: []finding{
			{check: "impossible_travel", severity: "high", user: "alice@acme.com", session: "0Ak000000000000SYA",
				target: "login:0Ya00000000000SY00", detail: "logged in from 198.51.100.4 (Sydney, AU) at 2026-11-26 10:00 UTC, 1 hour before a login from 203.0.113.7 (Paris, FR): " +
					"16,961 km apart, about 16,961 km/h. The login before it was near Paris, FR, as the later one is: this one is the odd one out."},
			{check: "impossible_travel", severity: "high", user: "alice@acme.com", session: "0Ak000000000000PAA",
				target: "login:0Ya00000000000PA00", detail: "logged in from 203.0.113.7 (Paris, FR) at 2026-11-26 11:00 UTC, 1 hour after a login from 198.51.100.4 (Sydney, AU)"},
		},
	}, {
		name: "near miss: with no login before the earlier one, only the later login is named",
		sessions: []session{
			{id: "0Ak000000000000SYA", ip: "198.51.100.4", login: "0Ya00000000000SY00", at: sydney},
			{id: "0Ak000000000000PAA", ip: "203.0.113.7", login: "0Ya00000000000PA00", at: paris},
		},
		logins: []login{
			{id: "0Ya00000000000SY00", ip: "198.51.100.4", at: sydney, ago: 2 * hour},
			{id: "0Ya00000000000PA00", ip: "203.0.113.7", at: paris, ago: hour},
		},
		want: []finding{{check: "impossible_travel", severity: "high", user: "alice@acme.com", session: "0Ak000000000000PAA",
			target: "login:0Ya00000000000PA00", detail: "16,961 km apart, about 16,961 km/h."}},
	}, {
		// Home is Versailles, then Paris: the odd one out's detail gives
		// the distance of its own jump, from Sydney to Paris, not that of
		// the way to it from Versailles.
		name: "the odd one out's detail gives the distance to the later login, not to the one before",
		logins: []login{
			{ip: "203.0.113.7", at: place{city: "Versailles", iso: "FR", lat: 48.8049, lon: 2.1204}, ago: 48 * hour},
			{id: "0Ya00000000000SY00", ip: "198.51.100.4", at: sydney, ago: 2 * hour},
			{id: "0Ya00000000000PA00", ip: "203.0.113.8", at: paris, ago: hour},
		},
		want: []finding{
			{check: "impossible_travel", severity: "high", user: "alice@acme.com",
				target: "login:0Ya00000000000SY00", detail: "1 hour before a login from 203.0.113.8 (Paris, FR): 16,961 km apart, about 16,961 km/h. The login before it was near Paris, FR"},
			{check: "impossible_travel", severity: "high", user: "alice@acme.com",
				target: "login:0Ya00000000000PA00", detail: "1 hour after a login from 198.51.100.4 (Sydney, AU): 16,961 km apart"},
		},
	}, {
		// The geo database moved the user's IP to Sydney for an hour: the
		// same IP is no jump, so the way to the Sydney login was none, and
		// it is the odd one out.
		name: "the odd one out reached from the same IP as the login before it is named",
		logins: []login{
			{ip: "203.0.113.7", at: paris, ago: 3 * hour},
			{id: "0Ya00000000000SY00", ip: "203.0.113.7", at: sydney, ago: 2 * hour},
			{id: "0Ya00000000000PA00", ip: "198.51.100.4", at: paris, ago: hour},
		},
		want: []finding{
			{check: "impossible_travel", severity: "high", user: "alice@acme.com",
				target: "login:0Ya00000000000SY00", detail: "this one is the odd one out."},
			{check: "impossible_travel", severity: "high", user: "alice@acme.com",
				target: "login:0Ya00000000000PA00", detail: "1 hour after a login from 203.0.113.7 (Sydney, AU)"},
		},
	}, {
		// Back and forth every ten minutes: each jump names its later
		// login, and no login is the odd one out, since each was reached by
		// a jump of its own. The first jump to London, the user's first
		// login from there, takes the next London login along.
		name: "logins flapping between two places name each later login once",
		logins: []login{
			{id: "0Ya00000000000PA10", ip: "203.0.113.7", at: paris, ago: 40 * minute},
			{id: "0Ya00000000000LO20", ip: "198.51.100.4", at: london, ago: 30 * minute},
			{id: "0Ya00000000000PA30", ip: "203.0.113.7", at: paris, ago: 20 * minute},
			{id: "0Ya00000000000LO40", ip: "198.51.100.4", at: london, ago: 10 * minute},
		},
		want: []finding{
			{check: "impossible_travel", severity: "high", user: "alice@acme.com", target: "login:0Ya00000000000LO20 0Ya00000000000LO40", detail: "10 minutes after a login from"},
			{check: "impossible_travel", severity: "high", user: "alice@acme.com", target: "login:0Ya00000000000PA30", detail: "10 minutes after a login from"},
			{check: "impossible_travel", severity: "high", user: "alice@acme.com", target: "login:0Ya00000000000LO40", detail: "10 minutes after a login from"},
		},
	}, {
		name: "failed logins and other users do not pair",
		logins: []login{
			{ip: "203.0.113.7", at: paris, ago: 2 * hour},
			{ip: "198.51.100.4", at: sydney, ago: hour, status: "Invalid Password"},
			{ip: "198.51.100.5", at: sydney, ago: hour, user: "bob@acme.com"},
		},
	}})
}

func TestConcurrentSessions(t *testing.T) {
	baseline := []login{
		{ip: "203.0.113.7", at: paris, ago: 48 * hour},
		{ip: "203.0.113.7", at: paris, ago: 72 * hour},
	}
	// Two places in one country, the later family created an hour after the other.
	coasts := []session{
		{id: "0Ak000000000000NYA", ip: "198.51.100.4", at: newYork, age: 3 * hour},
		{id: "0Ak000000000000SFA", ip: "203.0.113.9", at: sanFran, age: 2 * hour},
	}
	runCheckCases(t, "concurrent_sessions", []checkCase{{
		// The Sydney session names the login that reused it 3 hours ago:
		// dated by that login, the baseline would hold the intruder's
		// Sydney logins since the session began 30 hours ago, and Paris
		// would be the suspect place.
		name: "a reused session is dated by its creation: its later logins are not the user's history",
		sessions: []session{
			{id: "0Ak000000000000SYA", ip: "198.51.100.4", at: sydney, age: 30 * hour, login: "0Ya00000000000SY03"},
			{id: "0Ak000000000000PAA", ip: "203.0.113.7", at: paris, age: 2 * hour},
		},
		logins: append(slices.Clone(baseline),
			login{ip: "198.51.100.4", at: sydney, ago: 30*hour + 30*time.Second},
			login{ip: "198.51.100.4", at: sydney, ago: 20 * hour},
			login{ip: "198.51.100.4", at: sydney, ago: 10 * hour},
			login{id: "0Ya00000000000SY03", ip: "198.51.100.4", at: sydney, ago: 3 * hour}),
		want: []finding{{check: "concurrent_sessions", severity: "high", user: "alice@acme.com", session: "0Ak000000000000SYA",
			target: "family:0Ak000000000000SYA", detail: "The Sydney, AU sessions are the suspect ones: none of the user's 2 successful logins in the 30 days before the user's first live session from an untrusted place began (2026-11-25 06:00 UTC)"}},
	}, {
		name: "Paris and Sydney at once; Sydney is the less familiar",
		sessions: []session{
			{id: "0Ak000000000000SYA", ip: "198.51.100.4", at: sydney, age: 3 * hour},
			{id: "0Ak000000000000PAA", ip: "203.0.113.7", at: paris, age: 2 * hour},
		},
		logins: baseline,
		want: []finding{{check: "concurrent_sessions", severity: "high", user: "alice@acme.com", session: "0Ak000000000000SYA",
			target: "family:0Ak000000000000SYA", detail: "alice@acme.com holds live sessions from Sydney, AU (198.51.100.4, since 2026-11-26 09:00 UTC) and Paris, FR (203.0.113.7, since 10:00 UTC), 16,961 km apart. The Sydney, AU sessions are the suspect ones: none of the user's 2 successful logins"}},
	}, {
		name: "Paris and Lyon are closer than 500 km",
		sessions: []session{
			{ip: "198.51.100.4", at: lyon},
			{ip: "203.0.113.7", at: paris},
		},
	}, {
		name:   "Paris and Lyon are further apart than a min_distance_km of 300",
		policy: func(p *Policy) { p.ConcurrentSessions.MinDistanceKm = 300 },
		sessions: []session{
			{id: "0Ak000000000000LYA", ip: "198.51.100.4", at: lyon, age: 2 * hour},
			{id: "0Ak000000000000PAA", ip: "203.0.113.7", at: paris, age: hour},
		},
		want: []finding{{check: "concurrent_sessions", severity: "high", user: "alice@acme.com", session: "0Ak000000000000PAA",
			target: "family:0Ak000000000000PAA", detail: "391 km apart."}},
	}, {
		// One address placed in two cities is the geo database's doubt,
		// not a second person.
		name: "the same IP in two places is not two places at once",
		sessions: []session{
			{ip: "203.0.113.7", at: paris, age: 3 * hour},
			{ip: "203.0.113.7", at: sydney, age: 2 * hour},
		},
	}, {
		// The baseline knows Paris by 203.0.113.7, but the Sydney family's
		// IP is that of the other Paris family: whichever Paris IP the
		// anchor is, the address was placed at both.
		name: "the same IP as any family at the anchor's place is not travel",
		sessions: []session{
			{ip: "203.0.113.7", at: paris, age: 4 * hour},
			{ip: "198.18.5.5", at: paris, age: 3 * hour},
			{ip: "198.18.5.5", at: sydney, age: 2 * hour},
		},
		logins: baseline,
	}, {
		name: "the anchor's place without an IP shares none with a far place",
		sessions: []session{
			{at: paris, age: 4 * hour},
			{id: "0Ak000000000000SYA", ip: "198.18.5.6", at: sydney, age: 2 * hour},
		},
		logins: baseline,
		want: []finding{{check: "concurrent_sessions", severity: "high", user: "alice@acme.com", session: "0Ak000000000000SYA",
			target: "family:0Ak000000000000SYA", detail: "16,961 km apart. The Sydney, AU sessions are the suspect ones"}},
	}, {
		name: "near miss: an IP of the anchor's place at another far place does not cover this one",
		sessions: []session{
			{ip: "203.0.113.7", at: paris, age: 4 * hour},
			{ip: "198.18.5.5", at: paris, age: 3 * hour},
			{id: "0Ak000000000000SYA", ip: "198.18.5.6", at: sydney, age: 2 * hour},
		},
		logins: baseline,
		want: []finding{{check: "concurrent_sessions", severity: "high", user: "alice@acme.com", session: "0Ak000000000000SYA",
			target: "family:0Ak000000000000SYA", detail: "16,961 km apart. The Sydney, AU sessions are the suspect ones"}},
	}, {
		// The Sydney family's own login (L) is in the history: the
		// baseline ends before it, so it does not make Sydney as familiar
		// as Paris.
		name: "a family's own login is not its baseline",
		sessions: []session{
			{id: "0Ak000000000000SYA", ip: "198.51.100.4", at: sydney, age: 3*hour - time.Second, login: "0Ya00000000000SYL0"},
			{id: "0Ak000000000000PAA", ip: "203.0.113.7", at: paris, age: 2 * hour},
		},
		logins: []login{
			{id: "0Ya00000000000SYL0", ip: "198.51.100.4", at: sydney, ago: 3 * hour},
			{ip: "203.0.113.7", at: paris, ago: 48 * hour},
		},
		want: []finding{{check: "concurrent_sessions", severity: "high", user: "alice@acme.com", session: "0Ak000000000000SYA",
			target: "family:0Ak000000000000SYA", detail: "The Sydney, AU sessions are the suspect ones: none of the user's 1 successful login"}},
	}, {
		name: "without coordinates, different countries count",
		sessions: []session{
			{id: "0Ak000000000000FRA", ip: "203.0.113.7", at: inCountry("FR"), age: 2 * hour},
			{id: "0Ak000000000000DEA", ip: "198.51.100.4", at: inCountry("DE"), age: hour},
		},
		want: []finding{{check: "concurrent_sessions", severity: "high", user: "alice@acme.com", session: "0Ak000000000000DEA",
			target: "family:0Ak000000000000DEA", detail: "in different countries."}},
	}, {
		name: "an expired family does not count",
		sessions: []session{
			{ip: "198.51.100.4", at: sydney, age: 3 * hour, expired: true},
			{ip: "203.0.113.7", at: paris},
		},
	}, {
		name:   "a trusted origin does not count",
		policy: trust("198.51.100.0/24"),
		sessions: []session{
			{ip: "198.51.100.4", at: sydney},
			{ip: "203.0.113.7", at: paris},
		},
	}, {
		name: "two users far apart are not one user in two places",
		sessions: []session{
			{ip: "198.51.100.4", at: sydney, user: "bob@acme.com"},
			{ip: "203.0.113.7", at: paris},
		},
	}, {
		name:     "New York and San Francisco, both US: the network the user knows least is the target, though earlier",
		sessions: coasts,
		logins: []login{
			{ip: "203.0.113.7", at: sanFran, ago: 48 * hour},
			{ip: "203.0.113.7", at: sanFran, ago: 72 * hour},
			{ip: "203.0.113.8", at: sanFran, ago: 96 * hour},
			{ip: "198.51.100.77", at: newYork, ago: 120 * hour},
		},
		want: []finding{{check: "concurrent_sessions", severity: "high", user: "alice@acme.com", session: "0Ak000000000000NYA",
			target: "family:0Ak000000000000NYA", detail: "4,129 km apart. The New York, US sessions are the suspect ones: both places are in one country (US), and 1 of the user's 4 successful logins in the 30 days before the user's first live session from an untrusted place began (2026-11-26 09:00 UTC) came from their network (198.51.100.0/24), 3 from 203.0.113.0/24."}},
	}, {
		name:     "New York and San Francisco, known alike: the later-created family is the target",
		sessions: coasts,
		logins:   []login{{ip: "192.0.2.7", at: newYork, ago: 48 * hour}, {ip: "192.0.2.7", at: newYork, ago: 72 * hour}},
		want: []finding{{check: "concurrent_sessions", severity: "high", user: "alice@acme.com", session: "0Ak000000000000SFA",
			target: "family:0Ak000000000000SFA", detail: "The San Francisco, US sessions, created later, are the suspect ones, as neither place is more familiar: 2 of the user's 2 successful logins in the 30 days before the user's first live session from an untrusted place began (2026-11-26 09:00 UTC) came from US, and 0 from each network (203.0.113.0/24, 198.51.100.0/24)."}},
	}, {
		name: "Paris and Sydney, neither known: the later-created family is the target",
		sessions: []session{
			{id: "0Ak000000000000SYA", ip: "198.51.100.4", at: sydney, age: 2 * hour},
			{id: "0Ak000000000000PAA", ip: "203.0.113.7", at: paris, age: 3 * hour},
		},
		want: []finding{{check: "concurrent_sessions", severity: "high", user: "alice@acme.com", session: "0Ak000000000000SYA",
			target: "family:0Ak000000000000SYA", detail: "The Sydney, AU sessions, created later, are the suspect ones, as neither place is more familiar: the user has no successful logins in the 30 days before the user's first live session from an untrusted place began (2026-11-26 09:00 UTC)."}},
	}, {
		// The baseline is said whole, not to its two largest units (30 days).
		name:   "a baseline of 30 days 30 minutes is said whole",
		policy: func(p *Policy) { p.IPNewForUser.Baseline = 30*day + 30*minute },
		sessions: []session{
			{id: "0Ak000000000000SYA", ip: "198.51.100.4", at: sydney, age: 2 * hour},
			{id: "0Ak000000000000PAA", ip: "203.0.113.7", at: paris, age: 3 * hour},
		},
		want: []finding{{check: "concurrent_sessions", severity: "high", user: "alice@acme.com", session: "0Ak000000000000SYA",
			target: "family:0Ak000000000000SYA", detail: "the user has no successful logins in the 30 days 30 minutes before the user's first live session"}},
	}, {
		// The intruder's logins since the sessions began would make Sydney
		// the better-known place if they counted.
		name: "logins after the first of the sessions began do not make a place familiar",
		sessions: []session{
			{id: "0Ak000000000000PAA", ip: "203.0.113.7", at: paris, age: 3 * hour},
			{id: "0Ak000000000000SYA", ip: "198.51.100.4", at: sydney, age: 2 * hour},
		},
		logins: append(slices.Clone(baseline),
			login{ip: "198.51.100.4", at: sydney, ago: 150 * time.Minute},
			login{ip: "198.51.100.4", at: sydney, ago: 90 * time.Minute},
			login{ip: "198.51.100.4", at: sydney, ago: 60 * time.Minute}),
		want: []finding{{check: "concurrent_sessions", severity: "high", user: "alice@acme.com", session: "0Ak000000000000SYA",
			target: "family:0Ak000000000000SYA", detail: "The Sydney, AU sessions are the suspect ones: none of the user's 2 successful logins in the 30 days before the user's first live session from an untrusted place began (2026-11-26 09:00 UTC) came from AU, 2 from FR."}},
	}, {
		// A Setup download gives the login that opened Sydney's session to
		// the minute, before the session's creation, which dates a family
		// whose login no session can name: the baseline ends two minutes
		// before, so that login does not count.
		name: "a Setup download's login that opened the first session does not make its place familiar",
		sessions: []session{
			{id: "0Ak000000000000SYA", ip: "198.51.100.4", at: sydney, age: 3*hour - 30*time.Second},
			{id: "0Ak000000000000PAA", ip: "203.0.113.7", at: paris, age: 2 * hour},
		},
		logins: []login{
			{id: "row:1:2", ip: "203.0.113.7", at: paris, ago: 48 * hour},
			{id: "row:1:3", ip: "198.51.100.4", at: sydney, ago: 3 * hour},
			{id: "row:1:4", ip: "203.0.113.7", at: paris, ago: 2 * hour},
		},
		want: []finding{{check: "concurrent_sessions", severity: "high", user: "alice@acme.com", session: "0Ak000000000000SYA",
			target: "family:0Ak000000000000SYA", detail: "The Sydney, AU sessions are the suspect ones: none of the user's 1 successful login in the 30 days before the user's first live session from an untrusted place began (2026-11-26 09:00 UTC) came from AU, 1 from FR."}},
	}, {
		name: "with three places, the baseline ends at the user's first, which the detail names",
		sessions: []session{
			{id: "0Ak000000000000LYA", ip: "192.0.2.9", at: lyon, age: 5 * hour},
			{id: "0Ak000000000000PAA", ip: "203.0.113.7", at: paris, age: 3 * hour},
			{id: "0Ak000000000000SYA", ip: "198.51.100.4", at: sydney, age: 2 * hour},
		},
		logins: baseline,
		want: []finding{{check: "concurrent_sessions", severity: "high", user: "alice@acme.com", session: "0Ak000000000000SYA",
			target: "family:0Ak000000000000SYA", detail: "in the 30 days before the user's first live session from an untrusted place began (2026-11-26 07:00 UTC)"}},
	}, {
		name: "logins before the first of the sessions began do",
		sessions: []session{
			{id: "0Ak000000000000PAA", ip: "203.0.113.7", at: paris, age: 3 * hour},
			{id: "0Ak000000000000SYA", ip: "198.51.100.4", at: sydney, age: 2 * hour},
		},
		logins: append(slices.Clone(baseline),
			login{ip: "198.51.100.4", at: sydney, ago: 200 * time.Minute},
			login{ip: "198.51.100.4", at: sydney, ago: 24 * hour},
			login{ip: "198.51.100.4", at: sydney, ago: 30 * hour}),
		want: []finding{{check: "concurrent_sessions", severity: "high", user: "alice@acme.com", session: "0Ak000000000000PAA",
			target: "family:0Ak000000000000PAA", detail: "The Paris, FR sessions are the suspect ones: 2 of the user's 5 successful logins in the 30 days before the user's first live session from an untrusted place began (2026-11-26 09:00 UTC) came from FR, 3 from AU."}},
	}, {
		name: "each place far from the best-known one is a finding, measured against that one",
		sessions: []session{
			{id: "0Ak000000000000PAA", ip: "203.0.113.7", at: paris, age: 5 * hour},
			{id: "0Ak000000000000SYA", ip: "198.51.100.4", at: sydney, age: 3 * hour},
			{id: "0Ak000000000000NYA", ip: "198.51.100.5", at: newYork, age: 2 * hour},
		},
		logins: baseline,
		want: []finding{{check: "concurrent_sessions", severity: "high", user: "alice@acme.com", session: "0Ak000000000000SYA",
			target: "family:0Ak000000000000SYA", detail: "from Paris, FR (203.0.113.7, since 2026-11-26 07:00 UTC) and Sydney, AU (198.51.100.4, since 09:00 UTC), 16,961 km apart. The Sydney, AU sessions are the suspect ones"},
			{check: "concurrent_sessions", severity: "high", user: "alice@acme.com", session: "0Ak000000000000NYA",
				target: "family:0Ak000000000000NYA", detail: "from Paris, FR (203.0.113.7, since 2026-11-26 07:00 UTC) and New York, US (198.51.100.5, since 10:00 UTC), 5,837 km apart. The New York, US sessions are the suspect ones"}},
	}, {
		name: "London and Lyon are 750 km apart, but each is within 500 km of Paris, the best-known place",
		sessions: []session{
			{ip: "203.0.113.7", at: paris, age: 5 * hour},
			{ip: "198.51.100.4", at: london, age: 3 * hour},
			{ip: "198.51.100.5", at: lyon, age: 2 * hour},
		},
		logins: baseline,
	}, {
		// It names, and is dated by, the place's latest session (SY3's),
		// from whichever of its IPs, as the README says observed_at is.
		name: "one finding per far place, targeting every family there, from each of its IPs",
		sessions: []session{
			{id: "0Ak000000000000PA1", ip: "203.0.113.7", at: paris, age: 5 * hour},
			{id: "0Ak000000000000PA2", ip: "203.0.113.8", at: paris, age: 4 * hour},
			{id: "0Ak000000000000SY1", ip: "198.51.100.4", at: sydney, age: 3 * hour},
			{id: "0Ak000000000000SY2", ip: "198.51.100.4", at: sydney, age: 2 * hour},
			{id: "0Ak000000000000SY3", ip: "198.51.100.5", at: sydney, age: 1 * hour},
		},
		logins: baseline,
		want: []finding{{check: "concurrent_sessions", severity: "high", user: "alice@acme.com", session: "0Ak000000000000SY3",
			target: "family:0Ak000000000000SY1 0Ak000000000000SY2 0Ak000000000000SY3", detail: "from Paris, FR (203.0.113.7, since 2026-11-26 07:00 UTC) and Sydney, AU (198.51.100.4 and 198.51.100.5, since 09:00 UTC)"}},
	}, {
		name: "neither place known: the place whose first family came first is kept, whatever came after",
		sessions: []session{
			{id: "0Ak000000000000PA1", ip: "203.0.113.7", at: paris, age: 11 * hour},
			{id: "0Ak000000000000PA2", ip: "203.0.113.7", at: paris, age: 1 * hour},
			{id: "0Ak000000000000SYA", ip: "198.51.100.4", at: sydney, age: 5 * hour},
		},
		want: []finding{{check: "concurrent_sessions", severity: "high", user: "alice@acme.com", session: "0Ak000000000000SYA",
			target: "family:0Ak000000000000SYA", detail: "The Sydney, AU sessions, created later, are the suspect ones, as neither place is more familiar"}},
	}, {
		name: "neither place known, both created at once: the detail does not call the target later",
		sessions: []session{
			{id: "0Ak000000000000SYA", ip: "198.51.100.4", at: sydney, age: 2 * hour},
			{id: "0Ak000000000000PAA", ip: "203.0.113.7", at: paris, age: 2 * hour},
		},
		want: []finding{{check: "concurrent_sessions", severity: "high", user: "alice@acme.com", session: "0Ak000000000000PAA",
			target: "family:0Ak000000000000PAA", detail: "The Paris, FR sessions are the suspect ones, as neither place is more familiar"}},
	}, {
		// No network vouches for a family without an IP: it is judged, and
		// targeted with the far place's other families (the finding names
		// the place's latest, SY2).
		name: "a family without an IP at the far place is judged and targeted",
		sessions: []session{
			{id: "0Ak000000000000PAA", ip: "203.0.113.7", at: paris, age: 3 * hour},
			{id: "0Ak000000000000SY1", at: sydney, age: 2 * hour},
			{id: "0Ak000000000000SY2", ip: "198.51.100.4", at: sydney, age: 1 * hour},
		},
		logins: baseline,
		want: []finding{{check: "concurrent_sessions", severity: "high", user: "alice@acme.com", session: "0Ak000000000000SY2",
			target: "family:0Ak000000000000SY1 0Ak000000000000SY2", detail: "from Paris, FR (203.0.113.7, since 2026-11-26 09:00 UTC) and Sydney, AU (198.51.100.4 and no IP, since 10:00 UTC), 16,961 km apart"}},
	}, {
		name: "two families without an IP, far apart",
		sessions: []session{
			{id: "0Ak000000000000PAA", at: paris, age: 3 * hour},
			{id: "0Ak000000000000SYA", at: sydney, age: 2 * hour},
		},
		logins: baseline,
		want: []finding{{check: "concurrent_sessions", severity: "high", user: "alice@acme.com", session: "0Ak000000000000SYA",
			target: "family:0Ak000000000000SYA", detail: "from Paris, FR (no IP, since 2026-11-26 09:00 UTC) and Sydney, AU (no IP, since 10:00 UTC)"}},
	}, {
		name: "near miss: a family without an IP close to the other",
		sessions: []session{
			{ip: "203.0.113.7", at: paris, age: 3 * hour},
			{at: lyon, age: 2 * hour},
		},
		logins: baseline,
	}, {
		// A name the load could not read as a code (a Setup download's
		// "Deutschland") may be the same country as a code.
		name: "near miss: an unread country name beside an ISO code is not a different country",
		sessions: []session{
			{ip: "203.0.113.7", at: inCountry("DE"), age: 2 * hour},
			{ip: "198.51.100.4", at: named("Deutschland"), age: hour},
		},
	}, {
		name: "two unread country names that differ are different countries",
		sessions: []session{
			{ip: "203.0.113.7", at: named("Deutschland"), age: 2 * hour},
			{id: "0Ak000000000000XXA", ip: "198.51.100.4", at: named("Atlantis"), age: hour},
		},
		want: []finding{{check: "concurrent_sessions", severity: "high", user: "alice@acme.com", session: "0Ak000000000000XXA",
			target: "family:0Ak000000000000XXA", detail: "in different countries."}},
	}})
}

func TestIPNewForUser(t *testing.T) {
	history := func(n int, ip string, at place) []login {
		var ls []login
		for i := range n {
			ls = append(ls, login{ip: ip, at: at, ago: time.Duration(i+2) * 24 * hour})
		}
		return ls
	}
	// setupHistory is history as a Setup download gives it: no Ids, so
	// ingest keys the rows 'row:…'. Its countries are the names ingest
	// could not read as ISO codes (it reads "France" as FR).
	setupHistory := func(n int, ip string, at place) []login {
		ls := history(n, ip, at)
		for i := range ls {
			ls[i].id = fmt.Sprintf("row:1:%d", i+2)
			ls[i].ago += hour
		}
		return ls
	}
	lagosFamily := []session{{id: "0Ak000000000000NGA", ip: "102.89.1.2", at: lagos, login: "0Ya00000000000NG00"}}
	lagosLogin := login{id: "0Ya00000000000NG00", ip: "102.89.1.2", at: lagos, ago: hour}
	runCheckCases(t, "ip_new_for_user", []checkCase{{
		name:     "a live session from a country absent from 5 baseline logins",
		sessions: lagosFamily,
		logins:   append(history(5, "203.0.113.7", paris), lagosLogin),
		want: []finding{{check: "ip_new_for_user", severity: "medium", user: "alice@acme.com", session: "0Ak000000000000NGA",
			detail: "none of the user's 5 successful logins in the 30 days before it came from NG."}},
	}, {
		// A later family's own login (Paris, half an hour ago) is in its
		// own baseline's end, not in the Lagos family's.
		name: "another family's login after this one began is not its history",
		sessions: append(slices.Clone(lagosFamily),
			session{id: "0Ak000000000000PAA", ip: "203.0.113.9", at: paris, login: "0Ya00000000000PA00", age: 30*minute - time.Second}),
		logins: append(history(5, "203.0.113.7", paris), lagosLogin, login{id: "0Ya00000000000PA00", ip: "203.0.113.9", at: paris, ago: 30 * minute}),
		want: []finding{{check: "ip_new_for_user", severity: "medium", user: "alice@acme.com", session: "0Ak000000000000NGA",
			detail: "none of the user's 5 successful logins in the 30 days before it came from NG."}},
	}, {
		name: "a family whose first session expired is named by its earliest live one",
		sessions: []session{
			{id: "0Ak000000000000NGA", ip: "102.89.1.2", at: lagos, login: "0Ya00000000000NG00", age: 5 * hour, expired: true},
			{id: "0Ak000000000000NGC", parent: "0Ak000000000000NGA", ip: "102.89.1.2", at: lagos, typ: "Content", age: 4 * hour},
		},
		logins: append(history(5, "203.0.113.7", paris), login{id: "0Ya00000000000NG00", ip: "102.89.1.2", at: lagos, ago: 5*hour + time.Second}),
		want: []finding{{check: "ip_new_for_user", severity: "medium", user: "alice@acme.com", session: "0Ak000000000000NGC",
			detail: "alice@acme.com has a live Content session from Lagos, NG (102.89.1.2) since 2026-11-26 06:59 UTC; none of the user's 5 successful logins"}},
	}, {
		// Salesforce moves a reused session's LoginHistoryId to the login
		// that reused it: dated by that login, the intruder's own logins
		// since the session began (the one that created it, 36 hours ago,
		// and one 20 hours ago) would be its history.
		name:     "a reused family is dated by its creation, not by the later login it names",
		sessions: []session{{id: "0Ak000000000000NGA", ip: "102.89.1.2", at: lagos, login: "0Ya00000000000NG00", age: 36 * hour}},
		logins: append(history(5, "203.0.113.7", paris),
			login{ip: "102.89.1.2", at: lagos, ago: 36*hour + 30*time.Second},
			login{ip: "102.89.1.2", at: lagos, ago: 20 * hour},
			lagosLogin),
		want: []finding{{check: "ip_new_for_user", severity: "medium", user: "alice@acme.com", session: "0Ak000000000000NGA",
			detail: "alice@acme.com has a live UI session from Lagos, NG (102.89.1.2) since 2026-11-25 00:00 UTC; none of the user's 5 successful logins in the 30 days before it came from NG."}},
	}, {
		name:     "a reused family whose country the user knew before it began",
		sessions: []session{{id: "0Ak000000000000NGA", ip: "102.89.1.2", at: lagos, login: "0Ya00000000000NG00", age: 36 * hour}},
		logins: append(history(5, "203.0.113.7", paris),
			login{ip: "102.89.1.9", at: lagos, ago: 72 * hour},
			login{ip: "102.89.1.2", at: lagos, ago: 36*hour + 30*time.Second},
			lagosLogin),
	}, {
		name:     "a family dated by its creation: its own login a moment before is not its history",
		sessions: []session{{id: "0Ak000000000000NGA", ip: "102.89.1.2", at: lagos}},
		logins: append(history(5, "203.0.113.7", paris),
			login{id: "row:1:9", ip: "102.89.1.2", at: lagos, ago: hour + 30*time.Second}),
		want: []finding{{check: "ip_new_for_user", severity: "medium", user: "alice@acme.com", session: "0Ak000000000000NGA",
			detail: "none of the user's 5 successful logins in the 30 days before it came from NG."}},
	}, {
		name:     "a family dated by its creation, its country seen days before",
		sessions: []session{{id: "0Ak000000000000NGA", ip: "102.89.1.2", at: lagos}},
		logins: append(history(5, "203.0.113.7", paris),
			login{id: "row:1:9", ip: "102.89.1.2", at: lagos, ago: hour + 30*time.Second},
			login{ip: "102.89.1.9", at: lagos, ago: 72 * hour}),
	}, {
		// An API export names the family's login; a Setup download given
		// too holds a copy of it, keyed by row, cut to the minute, its
		// country name read as the code.
		name:     "a Setup copy of the family's own login is not its history",
		sessions: lagosFamily,
		logins: append(history(5, "203.0.113.7", paris), lagosLogin,
			login{id: "row:1:9", ip: "102.89.1.2", at: inCountry("NG"), ago: hour + 45*time.Second}),
		want: []finding{{check: "ip_new_for_user", severity: "medium", user: "alice@acme.com", session: "0Ak000000000000NGA",
			detail: "none of the user's 5 successful logins in the 30 days before it came from NG."}},
	}, {
		name:     "near miss: a Setup login from the family's country hours before is history",
		sessions: lagosFamily,
		logins: append(history(5, "203.0.113.7", paris), lagosLogin,
			login{id: "row:1:9", ip: "102.89.1.2", at: inCountry("NG"), ago: 5 * hour}),
	}, {
		name:     "a family without an IP is judged",
		sessions: []session{{id: "0Ak000000000000NGA", at: lagos, login: "0Ya00000000000NG00"}},
		logins:   append(history(5, "203.0.113.7", paris), login{id: "0Ya00000000000NG00", at: lagos, ago: hour}),
		want: []finding{{check: "ip_new_for_user", severity: "medium", user: "alice@acme.com", session: "0Ak000000000000NGA",
			detail: "alice@acme.com has a live UI session from Lagos, NG (no IP) since 2026-11-26 11:00 UTC; none of the user's 5 successful logins"}},
	}, {
		name:     "with min_history 0, a user without history is judged, in a sentence",
		policy:   func(p *Policy) { p.IPNewForUser.MinHistory = 0 },
		sessions: lagosFamily,
		logins:   []login{lagosLogin},
		want: []finding{{check: "ip_new_for_user", severity: "medium", user: "alice@acme.com", session: "0Ak000000000000NGA",
			detail: "since 2026-11-26 11:00 UTC; the user has no successful logins in the 30 days before it."}},
	}, {
		// The baseline is said whole, not to its two largest units (30 days).
		name:     "with min_history 0 and a baseline of 30 days 30 minutes, said whole",
		policy:   func(p *Policy) { p.IPNewForUser.MinHistory, p.IPNewForUser.Baseline = 0, 30*day+30*minute },
		sessions: lagosFamily,
		logins:   []login{lagosLogin},
		want: []finding{{check: "ip_new_for_user", severity: "medium", user: "alice@acme.com", session: "0Ak000000000000NGA",
			detail: "the user has no successful logins in the 30 days 30 minutes before it."}},
	}, {
		name:     "a baseline of 4 logins is not judged",
		sessions: lagosFamily,
		logins:   append(history(4, "203.0.113.7", paris), lagosLogin),
	}, {
		name:     "logins older than the baseline do not count",
		sessions: lagosFamily,
		logins: append(history(4, "203.0.113.7", paris),
			login{ip: "203.0.113.7", at: paris, ago: 31 * 24 * hour}, lagosLogin),
	}, {
		name:     "trusted logins are no history and make no country known",
		policy:   trust("203.0.113.0/24"),
		sessions: lagosFamily,
		logins:   append(history(5, "203.0.113.7", lagos), lagosLogin),
	}, {
		name:     "a known country is not new",
		sessions: []session{{ip: "198.51.100.4", at: lyon}},
		logins:   history(5, "203.0.113.7", paris),
	}, {
		name:     "a baseline of country names without ISO codes cannot judge an ISO family",
		sessions: lagosFamily,
		logins:   append(setupHistory(5, "203.0.113.7", named("Korea")), lagosLogin),
	}, {
		name:     "only baseline logins with an ISO code count, and the detail says how many were left out",
		sessions: lagosFamily,
		logins: append(append(history(5, "203.0.113.7", paris), setupHistory(2, "203.0.113.7", named("Korea"))...),
			lagosLogin),
		want: []finding{{check: "ip_new_for_user", severity: "medium", user: "alice@acme.com", session: "0Ak000000000000NGA",
			detail: "none of the user's 5 successful logins in the 30 days before it came from NG (2 more, without a country code, could not be compared)."}},
	}, {
		name:     "a family known only by its country name is compared with names",
		sessions: []session{{id: "0Ak000000000000NGA", ip: "102.89.1.2", at: named("Nigeria")}},
		logins:   setupHistory(5, "203.0.113.7", named("Korea")),
		want: []finding{{check: "ip_new_for_user", severity: "medium", user: "alice@acme.com", session: "0Ak000000000000NGA",
			detail: "none of the user's 5 successful logins in the 30 days before it came from Nigeria."}},
	}, {
		name:     "near miss: a family from a trusted network is not judged",
		policy:   trust("102.89.0.0/16"),
		sessions: lagosFamily,
		logins:   append(history(5, "203.0.113.7", paris), lagosLogin),
	}, {
		name:     "with report_new_network, a new network in a known country is low",
		policy:   func(p *Policy) { p.IPNewForUser.ReportNewNetwork = true },
		sessions: []session{{id: "0Ak000000000000LYA", ip: "198.51.100.4", at: lyon}, {ip: "203.0.113.9", at: paris}},
		logins:   history(5, "203.0.113.7", paris),
		want: []finding{{check: "ip_new_for_user", severity: "low", user: "alice@acme.com", session: "0Ak000000000000LYA",
			detail: "came from network 198.51.100.0/24, though 5 came from FR."}},
	}, {
		// The network test looks at every login, coded or not: so do the
		// count in its sentence and min_history (5): 3 coded and 3 uncoded.
		name:     "with report_new_network, a new network counts every login of the baseline",
		policy:   func(p *Policy) { p.IPNewForUser.ReportNewNetwork = true },
		sessions: []session{{id: "0Ak000000000000LYA", ip: "198.51.100.4", at: lyon}, {ip: "203.0.113.9", at: paris}},
		logins:   append(history(3, "203.0.113.7", paris), setupHistory(3, "203.0.113.7", named("Korea"))...),
		want: []finding{{check: "ip_new_for_user", severity: "low", user: "alice@acme.com", session: "0Ak000000000000LYA",
			detail: "none of the user's 6 successful logins in the 30 days before it came from network 198.51.100.0/24, though 3 came from FR."}},
	}, {
		name: "with report_new_network, a baseline of 30 days 30 minutes is said whole",
		policy: func(p *Policy) {
			p.IPNewForUser.ReportNewNetwork, p.IPNewForUser.Baseline = true, 30*day+30*minute
		},
		sessions: []session{{id: "0Ak000000000000LYA", ip: "198.51.100.4", at: lyon}, {ip: "203.0.113.9", at: paris}},
		logins:   history(5, "203.0.113.7", paris),
		want: []finding{{check: "ip_new_for_user", severity: "low", user: "alice@acme.com", session: "0Ak000000000000LYA",
			detail: "none of the user's 5 successful logins in the 30 days 30 minutes before it came from network 198.51.100.0/24"}},
	}, {
		name:     "near miss: with report_new_network, 4 logins in all are under min_history",
		policy:   func(p *Policy) { p.IPNewForUser.ReportNewNetwork = true },
		sessions: []session{{id: "0Ak000000000000LYA", ip: "198.51.100.4", at: lyon}, {ip: "203.0.113.9", at: paris}},
		logins:   append(history(2, "203.0.113.7", paris), setupHistory(2, "203.0.113.7", named("Korea"))...),
	}, {
		name:     "with min_history 0, a baseline none of which can be compared says so",
		policy:   func(p *Policy) { p.IPNewForUser.MinHistory = 0 },
		sessions: lagosFamily,
		logins:   append(setupHistory(4, "203.0.113.7", named("Korea")), lagosLogin),
		want: []finding{{check: "ip_new_for_user", severity: "medium", user: "alice@acme.com", session: "0Ak000000000000NGA",
			detail: "none of the user's 4 successful logins in the 30 days before it can be compared with it: they have no country code."}},
	}, {
		// A family without an IP has no network to call new: in a known
		// country it is no finding (and no detail without its network).
		name:     "with report_new_network, a family without an IP in a known country",
		policy:   func(p *Policy) { p.IPNewForUser.ReportNewNetwork = true },
		sessions: []session{{id: "0Ak000000000000LYA", at: lyon}},
		logins:   history(5, "203.0.113.7", paris),
	}, {
		name:     "with report_new_network, a family without an IP in a new country",
		policy:   func(p *Policy) { p.IPNewForUser.ReportNewNetwork = true },
		sessions: []session{{id: "0Ak000000000000NGA", at: lagos}},
		logins:   history(5, "203.0.113.7", paris),
		want: []finding{{check: "ip_new_for_user", severity: "medium", user: "alice@acme.com", session: "0Ak000000000000NGA",
			detail: "from Lagos, NG (no IP) since 2026-11-26 11:00 UTC; none of the user's 5 successful logins in the 30 days before it came from NG."}},
	}})
}

// The Sessions sheet flags every live session of a family ip_new_for_user
// finds new (the finding names its earliest), and no session of the user's
// other families.
func TestIPNewForUserFlagsTheFamily(t *testing.T) {
	var logins []login
	for i := range 5 {
		logins = append(logins, login{ip: "203.0.113.7", at: paris, ago: time.Duration(i+2) * 24 * hour})
	}
	logins = append(logins, login{id: "0Ya00000000000NG00", ip: "102.89.1.2", at: lagos, ago: hour},
		login{id: "0Ya00000000000PA00", ip: "203.0.113.9", at: paris, ago: 30 * minute})
	db := mustDB(t, []session{
		{id: "0Ak000000000000NGA", ip: "102.89.1.2", at: lagos, login: "0Ya00000000000NG00"},
		{id: "0Ak000000000000NGB", parent: "0Ak000000000000NGA", ip: "102.89.1.2", at: lagos, typ: "API"},
		{id: "0Ak000000000000NGC", parent: "0Ak000000000000NGA", ip: "102.89.1.2", at: lagos, typ: "Content"},
		{id: "0Ak000000000000NGD", parent: "0Ak000000000000NGA", ip: "102.89.1.2", at: lagos, typ: "Content", expired: true},
		{id: "0Ak000000000000PAA", ip: "203.0.113.9", at: paris, login: "0Ya00000000000PA00", age: 30*minute - time.Second},
	}, logins)
	mustRun(t, db, nil)
	rows, err := db.Query(`SELECT id FROM session_flags WHERE flags LIKE '%ip_new_for_user%' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		got = append(got, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	want := []string{"0Ak000000000000NGA", "0Ak000000000000NGB", "0Ak000000000000NGC"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sessions flagged ip_new_for_user differ (-want +got):\n%s", diff)
	}
}

func TestIPSharedByUsers(t *testing.T) {
	users := func(n int, ip string, step time.Duration) []login {
		var ls []login
		for i := range n {
			ls = append(ls, login{user: string(rune('a'+i)) + "@acme.com", ip: ip, ago: hour + time.Duration(i)*step})
		}
		return ls
	}
	runCheckCases(t, "ip_shared_by_users", []checkCase{{
		name:   "10 users from one IP within 24 hours",
		logins: users(10, "198.51.100.9", 2*hour),
		want: []finding{{check: "ip_shared_by_users", severity: "medium",
			detail: "10 different users logged in successfully from 198.51.100.9 between 2026-11-25 17:00 and 2026-11-26 11:00 UTC (18 hours), up to 10 within 1 day: a@acme.com, b@acme.com, c@acme.com, d@acme.com, e@acme.com, f@acme.com, g@acme.com, h@acme.com, i@acme.com, j@acme.com."}},
	}, {
		// The window is said whole, not to its two largest units (1 day).
		name:   "a window of 1 day 45 minutes is said whole",
		policy: func(p *Policy) { p.IPSharedByUsers.Window = 24*hour + 45*minute },
		logins: users(10, "198.51.100.9", 2*hour),
		want: []finding{{check: "ip_shared_by_users", severity: "medium",
			detail: "up to 10 within 1 day 45 minutes: a@acme.com"}},
	}, {
		name:   "9 users are not enough",
		logins: users(9, "198.51.100.9", 2*hour),
	}, {
		name:   "10 users spread over exactly 24 hours",
		logins: users(10, "198.51.100.9", 160*minute),
		want: []finding{{check: "ip_shared_by_users", severity: "medium",
			detail: "10 different users logged in successfully from 198.51.100.9 between 2026-11-25 11:00 and 2026-11-26 11:00 UTC (1 day), up to 10 within 1 day"}},
	}, {
		// a@ logs in twice exactly a window apart: one user, not two in
		// the window between; j@ a month before makes ten users in all.
		name: "near miss: one user's logins exactly a window apart count once",
		logins: append(users(9, "198.51.100.9", hour),
			login{user: "a@acme.com", ip: "198.51.100.9", ago: 25 * hour},
			login{user: "j@acme.com", ip: "198.51.100.9", ago: 30 * 24 * hour}),
	}, {
		name:   "10 users spread over more than 24 hours",
		logins: users(10, "198.51.100.9", 2*hour+50*minute),
	}, {
		name:   "a trusted IP is left out",
		policy: trust("198.51.100.9"),
		logins: users(10, "198.51.100.9", time.Minute),
	}, {
		name:   "bursts days apart are two findings",
		logins: append(users(10, "198.51.100.9", time.Minute), shifted(users(10, "198.51.100.9", time.Minute), 72*hour)...),
		want: []finding{
			{check: "ip_shared_by_users", severity: "medium", detail: "10 different users logged in successfully from 198.51.100.9 between 2026-11-23 10:51 and 11:00 UTC (9 minutes)"},
			{check: "ip_shared_by_users", severity: "medium", detail: "10 different users logged in successfully from 198.51.100.9 between 2026-11-26 10:51 and 11:00 UTC (9 minutes)"},
		},
	}, {
		name:   "near miss: bursts a window apart are one",
		logins: append(users(10, "198.51.100.9", time.Minute), shifted(users(10, "198.51.100.9", time.Minute), 24*hour+9*minute)...),
		want: []finding{
			{check: "ip_shared_by_users", severity: "medium", detail: "10 different users logged in successfully from 198.51.100.9 between 2026-11-25 10:42 and 2026-11-26 11:00 UTC (1 day), up to 10 within 1 day"},
		},
	}})
}

// A burst of 30 users names the first 25 in order and counts the rest, and
// is dated by its first login, as failed_login_burst dates its bursts.
func TestIPSharedByUsersNamesAndDatesTheBurst(t *testing.T) {
	var logins []login
	var names []string
	for i := range 30 {
		name := fmt.Sprintf("u%02d@acme.com", i)
		logins = append(logins, login{user: name, ip: "198.51.100.9", ago: hour + time.Duration(29-i)*minute})
		names = append(names, name)
	}
	db := mustDB(t, nil, logins)
	mustRun(t, db, nil)
	var detail string
	var observed time.Time
	if err := db.QueryRow(`SELECT detail, observed_at FROM findings WHERE check_id = 'ip_shared_by_users'`).Scan(&detail, &observed); err != nil {
		t.Fatal(err)
	}
	if want := strings.Join(names[:25], ", ") + " and 5 more."; !strings.HasSuffix(detail, want) {
		t.Errorf("got %q, want it to end %q", detail, want)
	}
	if want := asOf.Add(-hour - 29*minute); !observed.Equal(want) {
		t.Errorf("got observed_at %s, want the burst's first login at %s", observed, want)
	}
}

func TestFailedLoginBurst(t *testing.T) {
	failures := func(n int, ip string, step time.Duration) []login {
		var ls []login
		for i := range n {
			ls = append(ls, login{ip: ip, status: "Invalid Password", ago: 2*hour + time.Duration(i)*step})
		}
		return ls
	}
	success := func(ago time.Duration) login {
		return login{id: "0Ya00000000000OK00", ip: "203.0.113.50", ago: ago}
	}
	// raised is what a burst for alice from 203.0.113.50 gives when the
	// success follows: one high finding, for the user, aimed at the
	// success (the IP's burst, of her failures alone, would say the same);
	// unraised, when no success follows.
	raised := func(userDetail string) []finding {
		return []finding{{check: "failed_login_burst", severity: "high", user: "alice@acme.com", session: "0Ak000000000000OKA",
			target: "login:0Ya00000000000OK00", detail: userDetail}}
	}
	// setupBurst is the burst as a Setup download gives it (rows keyed
	// row:1:N), with its success, row:1:20, at ago; raisedBySetup is what
	// it raises, aimed at that success.
	setupBurst := func(ago time.Duration) []login {
		ls := failures(10, "203.0.113.50", 2*minute)
		for i := range ls {
			ls[i].id = fmt.Sprintf("row:1:%d", i+2)
		}
		return append(ls, login{id: "row:1:20", ip: "203.0.113.50", ago: ago})
	}
	// apiBurstSetupSuccess is the burst as an API export gives it, 30
	// seconds past each minute (09:42:30 to 10:00:30), with a Setup
	// download's success, row:1:20, at ago.
	apiBurstSetupSuccess := func(ago time.Duration) []login {
		return append(shifted(failures(10, "203.0.113.50", 2*minute), -30*time.Second), login{id: "row:1:20", ip: "203.0.113.50", ago: ago})
	}
	// familyBegunBy is a live family begun 20 seconds after a Setup
	// download's success at ago, which no session names.
	familyBegunBy := func(ago time.Duration) []session {
		return []session{{id: "0Ak000000000000OKA", ip: "203.0.113.50", age: ago - 20*time.Second}}
	}
	raisedBySetup := func(userDetail string) []finding {
		fs := raised(userDetail)
		for i := range fs {
			fs[i].target = "login:row:1:20"
		}
		return fs
	}
	unraised := []finding{
		{check: "failed_login_burst", severity: "medium", user: "alice@acme.com", detail: "no successful login of that user from that IP followed within 1 hour."},
	}
	// spray is one failure each of twelve users, a@acme.com to l@acme.com,
	// from 198.51.100.66 a minute apart (09:49 to 10:00), with a live
	// session of each login in logins, which the spray's users make.
	spray := func(logins ...login) ([]session, []login) {
		var ls []login
		for i := range 12 {
			ls = append(ls, login{user: fmt.Sprintf("%c@acme.com", 'a'+i), ip: "198.51.100.66", status: "Invalid Password", ago: 2*hour + time.Duration(i)*minute})
		}
		var ss []session
		for i, l := range logins {
			ss = append(ss, session{id: fmt.Sprintf("0Ak00000000000SP%02d", i), user: l.user, ip: l.ip, login: l.id, age: l.ago - time.Second})
		}
		return ss, append(ls, logins...)
	}
	runCheckCases(t, "failed_login_burst", []checkCase{{
		// The IP's burst holds the user's failures alone: the same finding
		// twice, so only the user's, which names the IP, stands.
		name:   "10 failures in 18 minutes of one user from one IP are one finding",
		logins: failures(10, "203.0.113.50", 2*minute),
		want: []finding{
			{check: "failed_login_burst", severity: "medium", user: "alice@acme.com",
				detail: "10 failed logins for alice@acme.com between 2026-11-26 09:42 and 10:00 UTC (18 minutes) from 203.0.113.50: Invalid Password (10); no successful login"},
		},
	}, {
		// One more failure of hers from elsewhere in the span: the two
		// bursts differ, and both stand.
		name:   "near miss: the user's burst holds a failure from another IP, so the IP's burst stands too",
		logins: append(failures(10, "203.0.113.50", 2*minute), login{ip: "198.51.100.7", status: "Invalid Password", ago: 2*hour + 5*minute}),
		want: []finding{
			{check: "failed_login_burst", severity: "medium", user: "alice@acme.com",
				detail: "10 failed logins from 203.0.113.50 between 2026-11-26 09:42 and 10:00 UTC (18 minutes) for 1 user (alice@acme.com)"},
			{check: "failed_login_burst", severity: "medium", user: "alice@acme.com",
				detail: "11 failed logins for alice@acme.com between 2026-11-26 09:42 and 10:00 UTC (18 minutes) from 198.51.100.7, 203.0.113.50: Invalid Password (11)"},
		},
	}, {
		name:   "9 failures are not a burst",
		logins: failures(9, "203.0.113.50", 2*minute),
	}, {
		name:   "10 failures spread over 22 minutes are not a burst",
		logins: failures(10, "203.0.113.50", 2*minute+30*time.Second),
	}, {
		name:     "a success 30 minutes after the burst makes it high and is the target",
		sessions: []session{{id: "0Ak000000000000OKA", login: "0Ya00000000000OK00", ip: "203.0.113.50"}},
		logins:   append(failures(10, "203.0.113.50", 2*minute), success(90*minute)),
		want:     raised("then alice@acme.com logged in successfully from 203.0.113.50 at 10:30 UTC, 30 minutes after the last failure."),
	}, {
		name:     "a success at the same moment as the last failure (times to the minute) makes it high",
		sessions: []session{{id: "0Ak000000000000OKA", login: "0Ya00000000000OK00", ip: "203.0.113.50"}},
		logins:   append(failures(10, "203.0.113.50", 2*minute), success(2*hour)),
		want:     raised("then alice@acme.com logged in successfully from 203.0.113.50 at 10:00 UTC, the same moment as the last failure."),
	}, {
		// A Setup download gives minutes: the same minute says nothing of
		// which came first, and the detail says so.
		name:     "a Setup download's success in the same minute as the last failure",
		sessions: familyBegunBy(2 * hour),
		logins:   setupBurst(2 * hour),
		want:     raisedBySetup("then alice@acme.com logged in successfully from 203.0.113.50 at 10:00 UTC, in the same minute as the last failure (a Setup download gives minutes, so either may have come first)."),
	}, {
		// A spray goes on after a guess works: a success in the middle of
		// the burst raises it as one after it does.
		name: "a Setup download's success whose family's first session expired names its live one",
		sessions: []session{
			{id: "0Ak000000000000OKX", ip: "203.0.113.50", age: 2*hour - 20*time.Second, expired: true},
			{id: "0Ak000000000000OKA", parent: "0Ak000000000000OKX", ip: "203.0.113.50", typ: "Visualforce", age: 2*hour - 50*time.Second},
		},
		logins: setupBurst(2 * hour),
		want:   raisedBySetup("then alice@acme.com logged in successfully from 203.0.113.50 at 10:00 UTC"),
	}, {
		// The first success began no live session; a later one, from a
		// Setup download, which no session names, began one: the finding
		// names it (its target reaches it).
		name:     "a first success with no live session names the one a later Setup download's success began",
		sessions: familyBegunBy(80 * minute),
		logins:   append(failures(10, "203.0.113.50", 2*minute), success(90*minute), login{id: "row:1:20", ip: "203.0.113.50", ago: 80 * minute}),
		want: []finding{{check: "failed_login_burst", severity: "high", user: "alice@acme.com", session: "0Ak000000000000OKA",
			target: "login:0Ya00000000000OK00 row:1:20", detail: "then alice@acme.com logged in successfully from 203.0.113.50 at 10:30 UTC"}},
	}, {
		name:     "a success a minute before the last failure, with failures after it, makes it high",
		sessions: []session{{id: "0Ak000000000000OKA", login: "0Ya00000000000OK00", ip: "203.0.113.50"}},
		logins:   append(failures(10, "203.0.113.50", 2*minute), success(2*hour+minute)),
		want: raised("then alice@acme.com logged in successfully from 203.0.113.50 at 09:59 UTC, in the middle of the burst, " +
			"17 minutes after its first failure, and the failures went on until 10:00 UTC."),
	}, {
		name:     "a success at the same moment as the first failure makes it high",
		sessions: []session{{id: "0Ak000000000000OKA", login: "0Ya00000000000OK00", ip: "203.0.113.50"}},
		logins:   append(failures(10, "203.0.113.50", 2*minute), success(2*hour+18*minute)),
		want: raised("then alice@acme.com logged in successfully from 203.0.113.50 at 09:42 UTC, in the middle of the burst, " +
			"at the same moment as its first failure, and the failures went on until 10:00 UTC."),
	}, {
		// The same minute as the first failure, from a Setup download: the
		// success may have come first, and the detail says so.
		name:     "a Setup download's success in the same minute as the first failure",
		sessions: familyBegunBy(2*hour + 18*minute),
		logins:   setupBurst(2*hour + 18*minute),
		want: raisedBySetup("then alice@acme.com logged in successfully from 203.0.113.50 at 09:42 UTC, in the middle of the burst, in the same minute " +
			"as its first failure (a Setup download gives minutes, so the success may have come first), and the failures went on until 10:00 UTC."),
	}, {
		// API failures carry seconds, a Setup download's success only the
		// minute: 09:42 is the minute of the first failure, 09:42:30.
		name:     "a Setup download's success in the minute of an API burst's first failure",
		sessions: familyBegunBy(2*hour + 18*minute),
		logins:   apiBurstSetupSuccess(2*hour + 18*minute),
		want: raisedBySetup("then alice@acme.com logged in successfully from 203.0.113.50 at 09:42 UTC, in the middle of the burst, in the same minute " +
			"as its first failure (a Setup download gives minutes, so the success may have come first), and the failures went on until 10:00 UTC."),
	}, {
		name:     "a Setup download's success in the minute of an API burst's last failure",
		sessions: familyBegunBy(2 * hour),
		logins:   apiBurstSetupSuccess(2 * hour),
		want: raisedBySetup("then alice@acme.com logged in successfully from 203.0.113.50 at 10:00 UTC, in the same minute as the last failure " +
			"(a Setup download gives minutes, so either may have come first)."),
	}, {
		// 10:01 from a Setup download against an API failure at 10:00:30:
		// the gap is 30 to 90 seconds, so it is told from the failure's
		// minute, not as "30 seconds".
		name:     "a Setup download's success the minute after an API burst's last failure",
		sessions: familyBegunBy(2*hour - minute),
		logins:   apiBurstSetupSuccess(2*hour - minute),
		want: raisedBySetup("then alice@acme.com logged in successfully from 203.0.113.50 at 10:01 UTC, 1 minute after the minute of the last failure " +
			"(a Setup download gives minutes)."),
	}, {
		name:     "a Setup download's success in the middle of an API burst is timed from its first failure's minute",
		sessions: familyBegunBy(2*hour + 15*minute),
		logins:   apiBurstSetupSuccess(2*hour + 15*minute),
		want: raisedBySetup("then alice@acme.com logged in successfully from 203.0.113.50 at 09:45 UTC, in the middle of the burst, 3 minutes after the minute " +
			"of its first failure (a Setup download gives minutes), and the failures went on until 10:00 UTC."),
	}, {
		name:   "a trusted Setup download's success in the minute of an API burst's first failure is told as such",
		policy: trust("203.0.113.0/24"),
		logins: apiBurstSetupSuccess(2*hour + 18*minute),
		want: []finding{{check: "failed_login_burst", severity: "medium", user: "alice@acme.com",
			detail: "at 09:42 UTC, in the middle of the burst, in the same minute as its first failure (a Setup download gives minutes, so the success may have come first), " +
				"and the failures went on until 10:00 UTC, but that IP is in trusted_networks"}},
	}, {
		name:   "a trusted Setup download's success in the minute of an API burst's last failure is told as such",
		policy: trust("203.0.113.0/24"),
		logins: apiBurstSetupSuccess(2 * hour),
		want: []finding{{check: "failed_login_burst", severity: "medium", user: "alice@acme.com",
			detail: "at 10:00 UTC, in the same minute as the last failure (a Setup download gives minutes, so either may have come first), but that IP is in trusted_networks"}},
	}, {
		name:   "near miss: a success a minute before the first failure does not raise it",
		logins: append(failures(10, "203.0.113.50", 2*minute), success(2*hour+19*minute)),
		want:   unraised,
	}, {
		// The password guessed is proven only by a success from the
		// burst's own IP: the user logging in from elsewhere is not it.
		name:   "near miss: a success 30 minutes after the burst from another IP does not raise it",
		logins: append(failures(10, "203.0.113.50", 2*minute), login{id: "0Ya00000000000OK00", ip: "203.0.113.99", ago: 90 * minute}),
		want:   unraised,
	}, {
		name:   "a success 61 minutes after the burst does not raise it",
		logins: append(failures(10, "203.0.113.50", 2*minute), success(2*hour-61*minute)),
		want:   unraised,
	}, {
		// success_within is said whole, to the second, not to its two
		// largest units (1 hour).
		name:   "a success_within of 1 hour 30 seconds is said whole",
		policy: func(p *Policy) { p.FailedLoginBurst.SuccessWithin = hour + 30*time.Second },
		logins: failures(10, "203.0.113.50", 2*minute),
		want: []finding{{check: "failed_login_burst", severity: "medium", user: "alice@acme.com",
			detail: "no successful login of that user from that IP followed within 1 hour 30 seconds."}},
	}, {
		// Each user a spray got into is as likely the intruder's: every
		// success is a target, the first one named.
		name: "a spray's successes by two of its users are all targets",
		sessions: func() []session {
			ss, _ := spray(login{id: "0Ya00000000000SP03", user: "c@acme.com", ip: "198.51.100.66", ago: 105 * minute},
				login{id: "0Ya00000000000SP07", user: "g@acme.com", ip: "198.51.100.66", ago: 104 * minute})
			return ss
		}(),
		logins: func() []login {
			_, ls := spray(login{id: "0Ya00000000000SP03", user: "c@acme.com", ip: "198.51.100.66", ago: 105 * minute},
				login{id: "0Ya00000000000SP07", user: "g@acme.com", ip: "198.51.100.66", ago: 104 * minute})
			return ls
		}(),
		want: []finding{{check: "failed_login_burst", severity: "high", user: "c@acme.com", session: "0Ak00000000000SP00",
			target: "login:0Ya00000000000SP03 0Ya00000000000SP07",
			detail: "12 failed logins from 198.51.100.66 between 2026-11-26 09:49 and 10:00 UTC (11 minutes) for 12 users (a@acme.com, b@acme.com, c@acme.com and 9 more): Invalid Password (12); " +
				"then c@acme.com logged in successfully from 198.51.100.66 at 10:15 UTC, 15 minutes after the last failure; 1 more success followed at 10:16 UTC (users who logged in: c@acme.com, g@acme.com)."}},
	}, {
		name: "a second success of the guessed password within success_within is a target too",
		sessions: []session{{id: "0Ak000000000000OKA", login: "0Ya00000000000OK00", ip: "203.0.113.50", age: 100*minute - time.Second},
			{id: "0Ak000000000000OKB", login: "0Ya00000000000OK01", ip: "203.0.113.50", typ: "Oauth2", age: 90*minute - time.Second}},
		logins: append(failures(10, "203.0.113.50", 2*minute), login{id: "0Ya00000000000OK00", ip: "203.0.113.50", ago: 100 * minute},
			login{id: "0Ya00000000000OK01", ip: "203.0.113.50", ago: 90 * minute}),
		want: func() []finding {
			fs := raised("then alice@acme.com logged in successfully from 203.0.113.50 at 10:20 UTC, 20 minutes after the last failure; 1 more success followed at 10:30 UTC.")
			for i := range fs {
				fs[i].target = "login:0Ya00000000000OK00 0Ya00000000000OK01"
			}
			return fs
		}(),
	}, {
		name:     "three successes of the guessed password count the two that followed",
		sessions: []session{{id: "0Ak000000000000OKA", login: "0Ya00000000000OK00", ip: "203.0.113.50", age: 100*minute - time.Second}},
		logins: append(failures(10, "203.0.113.50", 2*minute), login{id: "0Ya00000000000OK00", ip: "203.0.113.50", ago: 100 * minute},
			login{id: "0Ya00000000000OK01", ip: "203.0.113.50", ago: 90 * minute}, login{id: "0Ya00000000000OK02", ip: "203.0.113.50", ago: 80 * minute}),
		want: func() []finding {
			fs := raised("then alice@acme.com logged in successfully from 203.0.113.50 at 10:20 UTC, 20 minutes after the last failure; 2 more successes followed, the last at 10:40 UTC.")
			for i := range fs {
				fs[i].target = "login:0Ya00000000000OK00 0Ya00000000000OK01 0Ya00000000000OK02"
			}
			return fs
		}(),
	}, {
		// The first success's session has ended; the second's lives.
		name: "a burst whose first success began no live session names a later success's",
		sessions: []session{{id: "0Ak000000000000OKA", login: "0Ya00000000000OK00", ip: "203.0.113.50", age: 100*minute - time.Second, expired: true},
			{id: "0Ak000000000000OKB", login: "0Ya00000000000OK01", ip: "203.0.113.50", typ: "Oauth2", age: 90*minute - time.Second}},
		logins: append(failures(10, "203.0.113.50", 2*minute), login{id: "0Ya00000000000OK00", ip: "203.0.113.50", ago: 100 * minute},
			login{id: "0Ya00000000000OK01", ip: "203.0.113.50", ago: 90 * minute}),
		want: []finding{{check: "failed_login_burst", severity: "high", user: "alice@acme.com", session: "0Ak000000000000OKB",
			target: "login:0Ya00000000000OK00 0Ya00000000000OK01", detail: "; 1 more success followed at 10:30 UTC."}},
	}, {
		// Both successes began a live session: the first's is named, though
		// the second's has the lower Id.
		name: "a burst names its first success's session, not a later one's of lower Id",
		sessions: []session{{id: "0Ak000000000000OKB", login: "0Ya00000000000OK00", ip: "203.0.113.50", age: 100*minute - time.Second},
			{id: "0Ak000000000000OKA", login: "0Ya00000000000OK01", ip: "203.0.113.50", typ: "Oauth2", age: 90*minute - time.Second}},
		logins: append(failures(10, "203.0.113.50", 2*minute), login{id: "0Ya00000000000OK00", ip: "203.0.113.50", ago: 100 * minute},
			login{id: "0Ya00000000000OK01", ip: "203.0.113.50", ago: 90 * minute}),
		want: []finding{{check: "failed_login_burst", severity: "high", user: "alice@acme.com", session: "0Ak000000000000OKB",
			target: "login:0Ya00000000000OK00 0Ya00000000000OK01", detail: "; 1 more success followed at 10:30 UTC."}},
	}, {
		name: "near miss: a second success after success_within is not a target",
		sessions: []session{{id: "0Ak000000000000OKA", login: "0Ya00000000000OK00", ip: "203.0.113.50", age: 100*minute - time.Second},
			{id: "0Ak000000000000OKB", login: "0Ya00000000000OK01", ip: "203.0.113.50", typ: "Oauth2", age: 59*minute - time.Second}},
		logins: append(failures(10, "203.0.113.50", 2*minute), login{id: "0Ya00000000000OK00", ip: "203.0.113.50", ago: 100 * minute},
			login{id: "0Ya00000000000OK01", ip: "203.0.113.50", ago: 59 * minute}),
		want: raised("then alice@acme.com logged in successfully from 203.0.113.50 at 10:20 UTC, 20 minutes after the last failure."),
	}, {
		// The success is on the first failure's day, the burst ends on the
		// next: its time gives the date.
		name:     "a success in a burst over midnight gives its date",
		sessions: []session{{id: "0Ak000000000000OKA", login: "0Ya00000000000OK00", ip: "203.0.113.50", age: 12*hour + 5*minute - time.Second}},
		logins:   append(shifted(failures(10, "203.0.113.50", 2*minute), 9*hour+52*minute), success(12*hour+5*minute)),
		want: raised("then alice@acme.com logged in successfully from 203.0.113.50 at 2026-11-25 23:55 UTC, in the middle of the burst, " +
			"5 minutes after its first failure, and the failures went on until 2026-11-26 00:08 UTC."),
	}, {
		// 10:40 to 11:00: ten failures in exactly the window.
		name: "10 failures spanning exactly the 20-minute window are a burst",
		logins: func() []login {
			ls := []login{{ip: "203.0.113.50", status: "Invalid Password", ago: hour}}
			for i := range 9 {
				ls = append(ls, login{ip: "203.0.113.50", status: "Invalid Password", ago: hour + 20*minute - time.Duration(i)*2*minute})
			}
			return ls
		}(),
		want: []finding{{check: "failed_login_burst", severity: "medium", user: "alice@acme.com",
			detail: "10 failed logins for alice@acme.com between 2026-11-26 10:40 and 11:00 UTC (20 minutes)"}},
	}, {
		name:     "a success exactly success_within after the last failure makes it high",
		sessions: []session{{id: "0Ak000000000000OKA", login: "0Ya00000000000OK00", ip: "203.0.113.50", age: hour - time.Second}},
		logins:   append(failures(10, "203.0.113.50", 2*minute), success(hour)),
		want:     raised("then alice@acme.com logged in successfully from 203.0.113.50 at 11:00 UTC, 1 hour after the last failure."),
	}, {
		// Bob was not among those who failed: his login from that IP is
		// no success of the burst's, and his session is nobody's target.
		name:     "near miss: another user's success from the burst's IP does not raise it",
		sessions: []session{{id: "0Ak000000000000BOB", user: "bob@acme.com", login: "0Ya00000000000BOB0", ip: "203.0.113.50", age: 115*minute - time.Second}},
		logins:   append(failures(10, "203.0.113.50", 2*minute), login{id: "0Ya00000000000BOB0", user: "bob@acme.com", ip: "203.0.113.50", ago: 115 * minute}),
		want:     unraised,
	}, {
		name:   "failures without an IP count for the user",
		logins: failures(10, "", minute),
		want: []finding{{check: "failed_login_burst", severity: "medium", user: "alice@acme.com",
			detail: "from no recorded IP: Invalid Password (10); no successful login of that user from a recorded IP followed within 1 hour."}},
	}, {
		name: "a user's failures from four IPs name three of them",
		logins: func() []login {
			ls := failures(10, "", 2*minute)
			for i := range ls {
				ls[i].ip = fmt.Sprintf("203.0.113.%d", 50+i%4)
			}
			return ls
		}(),
		want: []finding{{check: "failed_login_burst", severity: "medium", user: "alice@acme.com",
			detail: "(18 minutes) from 203.0.113.50, 203.0.113.51, 203.0.113.52 and 1 more: Invalid Password (10); no successful login of that user from those IPs followed"}},
	}, {
		name: "one IP's failures for five users name three of them",
		logins: func() []login {
			ls := failures(10, "203.0.113.60", 2*minute)
			for i := range ls {
				ls[i].user = fmt.Sprintf("%c@acme.com", 'a'+i%5)
			}
			return ls
		}(),
		want: []finding{{check: "failed_login_burst", severity: "medium",
			detail: "(18 minutes) for 5 users (a@acme.com, b@acme.com, c@acme.com and 2 more): Invalid Password (10); no successful login of those users from that IP"}},
	}, {
		name:   "failures from a trusted IP count for the user only",
		policy: trust("203.0.113.0/24"),
		logins: failures(10, "203.0.113.50", minute),
		want: []finding{{check: "failed_login_burst", severity: "medium", user: "alice@acme.com",
			detail: "10 failed logins for alice@acme.com"}},
	}, {
		// One failure each of twelve users is no user's burst, and the
		// trusted IP's failures are no IP's.
		name:   "near miss: a spray from a trusted IP is no burst",
		policy: trust("198.51.100.0/24"),
		logins: func() []login { _, ls := spray(); return ls }(),
	}, {
		name:     "a success from a trusted IP does not raise the burst",
		policy:   trust("203.0.113.0/24"),
		sessions: []session{{id: "0Ak000000000000OKA", login: "0Ya00000000000OK00", ip: "203.0.113.50"}},
		logins:   append(failures(10, "203.0.113.50", minute), success(90*minute)),
		want: []finding{{check: "failed_login_burst", severity: "medium", user: "alice@acme.com",
			detail: "Invalid Password (10); then alice@acme.com logged in successfully from 203.0.113.50 at 10:30 UTC, 30 minutes after the last failure, but that IP is in trusted_networks, which vouches for the login."}},
	}, {
		name:     "a success from a trusted IP after success_within is not told",
		policy:   trust("203.0.113.0/24"),
		sessions: []session{{id: "0Ak000000000000OKA", login: "0Ya00000000000OK00", ip: "203.0.113.50"}},
		logins:   append(failures(10, "203.0.113.50", minute), success(30*minute)),
		want: []finding{{check: "failed_login_burst", severity: "medium", user: "alice@acme.com",
			detail: "no successful login of that user from that IP followed within 1 hour (successes from trusted networks do not count)."}},
	}, {
		// 09:51-10:00, a success at 10:15, then 11:00-11:09: two bursts,
		// the first followed by the success.
		name:     "bursts an hour apart are two findings, and a success between them follows the first",
		sessions: []session{{id: "0Ak000000000000OKA", login: "0Ya00000000000OK00", ip: "203.0.113.50"}},
		logins: append(append(failures(10, "203.0.113.50", minute), success(105*minute)),
			shifted(failures(10, "203.0.113.50", minute), -69*minute)...),
		want: append(raised("10 failed logins for alice@acme.com between 2026-11-26 09:51 and 10:00 UTC (9 minutes)"),
			finding{check: "failed_login_burst", severity: "medium", user: "alice@acme.com",
				detail: "10 failed logins for alice@acme.com between 2026-11-26 11:00 and 11:09 UTC (9 minutes)"}),
	}, {
		// A Setup download's success has no Id a session names: the
		// findings name the family its user began from its IP just after.
		name: "a Setup download's success names the family begun from it",
		sessions: []session{
			{id: "0Ak000000000000OKA", ip: "203.0.113.50", age: 90*minute - 20*time.Second},
			{id: "0Ak000000000000LAT", ip: "203.0.113.50", age: 80 * minute},
		},
		logins: setupBurst(90 * minute),
		want:   raisedBySetup("then alice@acme.com logged in successfully from 203.0.113.50 at 10:30 UTC, 30 minutes after the last failure."),
	}, {
		name:   "near miss: a quiet spell of exactly the window keeps one burst",
		logins: append(failures(10, "203.0.113.50", minute), shifted(failures(10, "203.0.113.50", minute), -29*minute)...),
		want: []finding{
			{check: "failed_login_burst", severity: "medium", user: "alice@acme.com",
				detail: "20 failed logins for alice@acme.com between 2026-11-26 09:51 and 10:29 UTC (38 minutes)"},
		},
	}})
}

// shifted returns logins moved by d: earlier for a positive d.
func shifted(ls []login, d time.Duration) []login {
	out := slices.Clone(ls)
	for i := range out {
		out[i].ago += d
	}
	return out
}

func TestSessionWithoutLogin(t *testing.T) {
	// The history ends ten minutes before the audit; sessions were last
	// active twenty minutes before it unless a case says otherwise.
	logins := []login{{ago: 48 * hour}, {id: "0Ya00000000000HAV0", ago: 10 * minute}}
	gapped := []login{{ago: 72 * hour}, {ago: 48 * hour}, {ago: 12 * hour, export: 1}, {id: "0Ya00000000000HAV0", ago: 10 * minute, export: 1}}
	runCheckCases(t, "session_without_login", []checkCase{{
		name:     "a live session names a login the covering history lacks",
		sessions: []session{{id: "0Ak000000000000MIS", login: "0Ya00000000000GONE", ip: "203.0.113.7", idle: 20 * minute}},
		logins:   logins,
		want: []finding{{check: "session_without_login", severity: "medium", user: "alice@acme.com", session: "0Ak000000000000MIS",
			detail: "names login 0Ya00000000000GONE, which is not in the login history although the history covers 2026-11-24 12:00 UTC to 2026-11-26 11:50 UTC."}},
	}, {
		// Reused by a later login, a session names it: one active after the
		// history ends may name a login newer than the export, and the
		// finding says so.
		name:     "a session active after the history's last login says its login may be newer",
		sessions: []session{{id: "0Ak000000000000MIS", login: "0Ya00000000000GONE", ip: "203.0.113.7", idle: 9 * minute}},
		logins:   logins,
		want: []finding{{check: "session_without_login", severity: "medium", user: "alice@acme.com", session: "0Ak000000000000MIS",
			detail: "names login 0Ya00000000000GONE, which is not in the login history although the history covers 2026-11-24 12:00 UTC to 2026-11-26 11:50 UTC. " +
				"It was active at 11:51 UTC, after the history ends, so a later login may have reused it: a login history exported up to the sessions' export would settle it."}},
	}, {
		name:     "a Setup download has no Ids, so it covers no session",
		sessions: []session{{login: "0Ya00000000000GONE"}},
		logins:   []login{{id: "row:1:2", ago: 48 * hour}, {id: "row:1:3", ago: 10 * minute}},
	}, {
		name:     "coverage starts at the first login with an Id, not at earlier Setup rows",
		sessions: []session{{login: "0Ya00000000000GONE", age: 2 * hour}},
		logins:   []login{{id: "row:1:2", ago: 48 * hour}, {id: "0Ya00000000000HAV0", ago: hour}, {id: "row:1:3", ago: 10 * minute}},
	}, {
		// Two exports that do not overlap: one of the 23rd to the 24th, one
		// of the last twelve hours. A session begun on the 25th, between
		// them, names a login neither holds, and that says nothing.
		name:     "a session begun in a gap between two login exports is not judged",
		sessions: []session{{login: "0Ya00000000000GONE", age: 36 * hour}},
		logins:   gapped,
	}, {
		name:     "a session begun within the later of two exports is judged, and the finding gives that export's span",
		sessions: []session{{id: "0Ak000000000000MIS", login: "0Ya00000000000GONE", ip: "203.0.113.7", age: 2 * hour, idle: 20 * minute}},
		logins:   gapped,
		want: []finding{{check: "session_without_login", severity: "medium", user: "alice@acme.com", session: "0Ak000000000000MIS",
			detail: "names login 0Ya00000000000GONE, which is not in the login history although the history covers 2026-11-26 00:00 UTC to 2026-11-26 11:50 UTC."}},
	}, {
		// Its family began in the first stretch and was active after it
		// ended, where a later login, in the gap, may have reused it.
		name:     "a session begun within the earlier export and active after it says a later login may have reused it",
		sessions: []session{{id: "0Ak000000000000MIS", login: "0Ya00000000000GONE", ip: "203.0.113.7", age: 60 * hour, idle: 20 * minute}},
		logins:   gapped,
		want: []finding{{check: "session_without_login", severity: "medium", user: "alice@acme.com", session: "0Ak000000000000MIS",
			detail: "names login 0Ya00000000000GONE, which is not in the login history although the history covers 2026-11-23 12:00 UTC to 2026-11-24 12:00 UTC. " +
				"It was active at 2026-11-26 11:40 UTC, after the part of the history that covers its start ends (the exports given leave a gap after it), so a later login may have reused it: " +
				"a login history exported up to the sessions' export would settle it."}},
	}, {
		// 20 hours without a login between two exports, within
		// max_export_gap (24h): one stretch, as between monthly exports.
		name:     "exports less than max_export_gap apart cover the time between them",
		sessions: []session{{id: "0Ak000000000000MIS", login: "0Ya00000000000GONE", ip: "203.0.113.7", age: 24 * hour, idle: 20 * minute}},
		logins:   []login{{ago: 72 * hour}, {ago: 36 * hour}, {ago: 16 * hour, export: 1}, {id: "0Ya00000000000HAV0", ago: 10 * minute, export: 1}},
		want: []finding{{check: "session_without_login", severity: "medium", user: "alice@acme.com", session: "0Ak000000000000MIS",
			detail: "names login 0Ya00000000000GONE, which is not in the login history although the history covers 2026-11-23 12:00 UTC to 2026-11-26 11:50 UTC."}},
	}, {
		// 24 hours without a login, exactly max_export_gap: still one stretch.
		name:     "exports exactly max_export_gap apart cover the time between them",
		sessions: []session{{id: "0Ak000000000000MIS", login: "0Ya00000000000GONE", ip: "203.0.113.7", age: 24 * hour, idle: 20 * minute}},
		logins:   []login{{ago: 72 * hour}, {ago: 40 * hour}, {ago: 16 * hour, export: 1}, {id: "0Ya00000000000HAV0", ago: 10 * minute, export: 1}},
		want: []finding{{check: "session_without_login", severity: "medium", user: "alice@acme.com", session: "0Ak000000000000MIS",
			detail: "names login 0Ya00000000000GONE, which is not in the login history although the history covers 2026-11-23 12:00 UTC to 2026-11-26 11:50 UTC."}},
	}, {
		name:     "with max_export_gap 0, any time between exports is a gap",
		policy:   func(p *Policy) { p.SessionWithoutLogin.MaxExportGap = 0 },
		sessions: []session{{login: "0Ya00000000000GONE", age: 24 * hour, idle: 20 * minute}},
		logins:   []login{{ago: 72 * hour}, {ago: 36 * hour}, {ago: 16 * hour, export: 1}, {id: "0Ya00000000000HAV0", ago: 10 * minute, export: 1}},
	}, {
		// The later export starts before the earlier one ends: together
		// they cover the 23rd to now without a gap.
		name:     "exports that overlap cover one span",
		sessions: []session{{id: "0Ak000000000000MIS", login: "0Ya00000000000GONE", ip: "203.0.113.7", age: 36 * hour, idle: 20 * minute}},
		logins:   []login{{ago: 72 * hour}, {ago: 20 * hour}, {ago: 30 * hour, export: 1}, {id: "0Ya00000000000HAV0", ago: 10 * minute, export: 1}},
		want: []finding{{check: "session_without_login", severity: "medium", user: "alice@acme.com", session: "0Ak000000000000MIS",
			detail: "names login 0Ya00000000000GONE, which is not in the login history although the history covers 2026-11-23 12:00 UTC to 2026-11-26 11:50 UTC."}},
	}, {
		name:     "near miss: a session begun at the history's first login is judged",
		sessions: []session{{id: "0Ak000000000000MIS", login: "0Ya00000000000GONE", ip: "203.0.113.7", age: 48 * hour, idle: 20 * minute}},
		logins:   logins,
		want: []finding{{check: "session_without_login", severity: "medium", user: "alice@acme.com", session: "0Ak000000000000MIS",
			detail: "names login 0Ya00000000000GONE, which is not in the login history although the history covers 2026-11-24 12:00 UTC to 2026-11-26 11:50 UTC."}},
	}, {
		// The login's row was in the export but rejected: the finding
		// names that row rather than a gap in the history.
		name:     "a session whose login's row was rejected names the row",
		sessions: []session{{id: "0Ak000000000000MIS", login: "0Ya00000000000GONE", ip: "203.0.113.7", idle: 9 * minute}},
		logins:   logins,
		edit: `INSERT INTO rejected_logins VALUES ('0Ya00000000000GONE', 'logins.csv', 4, 'SourceIp is not an IPv4 or IPv6 address'),
			('0Ya00000000000GONE', 'logins.csv', 9, 'Status is empty')`,
		want: []finding{{check: "session_without_login", severity: "medium", user: "alice@acme.com", session: "0Ak000000000000MIS",
			detail: "names login 0Ya00000000000GONE, which was not loaded: its row, logins.csv line 4, was rejected (SourceIp is not an IPv4 or IPv6 address), " +
				"so whether it succeeded is unknown. Correct the row (see rejects.csv) and audit again."}},
	}, {
		name:     "near miss: another login's rejected row leaves the finding as it was",
		sessions: []session{{id: "0Ak000000000000MIS", login: "0Ya00000000000GONE", ip: "203.0.113.7", idle: 20 * minute}},
		logins:   logins,
		edit:     `INSERT INTO rejected_logins VALUES ('0Ya00000000000GON2', 'logins.csv', 4, 'SourceIp is not an IPv4 or IPv6 address')`,
		want: []finding{{check: "session_without_login", severity: "medium", user: "alice@acme.com", session: "0Ak000000000000MIS",
			detail: "names login 0Ya00000000000GONE, which is not in the login history although the history covers 2026-11-24 12:00 UTC to 2026-11-26 11:50 UTC."}},
	}, {
		// Rows whose Id could not be read were rejected: the missing login
		// may be one of them, and the finding says so.
		name:     "rejected rows whose Id could not be read may be the login",
		sessions: []session{{id: "0Ak000000000000MIS", login: "0Ya00000000000GONE", ip: "203.0.113.7", idle: 9 * minute}},
		logins:   logins,
		edit: `INSERT INTO rejected_logins VALUES (NULL, 'logins.csv', 4, 'Id is not a Salesforce Id (15 or 18 letters and digits)'),
			(NULL, 'logins.json', 7, 'The row is not valid UTF-8')`,
		want: []finding{{check: "session_without_login", severity: "medium", user: "alice@acme.com", session: "0Ak000000000000MIS",
			detail: "names login 0Ya00000000000GONE, which is not in the login history although the history covers 2026-11-24 12:00 UTC to 2026-11-26 11:50 UTC. " +
				"It was active at 11:51 UTC, after the history ends, so a later login may have reused it: a login history exported up to the sessions' export would settle it. " +
				"The login history also has 2 rejected rows whose Id could not be read (see rejects.csv): the login may be one of them."}},
	}, {
		name:     "one rejected row whose Id could not be read may be the login",
		sessions: []session{{id: "0Ak000000000000MIS", login: "0Ya00000000000GONE", ip: "203.0.113.7", idle: 20 * minute}},
		logins:   logins,
		edit:     `INSERT INTO rejected_logins VALUES (NULL, 'logins.csv', 4, 'Id is not a Salesforce Id (15 or 18 letters and digits)')`,
		want: []finding{{check: "session_without_login", severity: "medium", user: "alice@acme.com", session: "0Ak000000000000MIS",
			detail: "names login 0Ya00000000000GONE, which is not in the login history although the history covers 2026-11-24 12:00 UTC to 2026-11-26 11:50 UTC. " +
				"The login history also has 1 rejected row whose Id could not be read (see rejects.csv): the login may be that row."}},
	}, {
		// The login is there: a rejected row without an Id changes nothing.
		name:     "near miss: a rejected row whose Id could not be read, and a session whose login is there",
		sessions: []session{{login: "0Ya00000000000HAV0"}},
		logins:   logins,
		edit:     `INSERT INTO rejected_logins VALUES (NULL, 'logins.csv', 4, 'Id is not a Salesforce Id (15 or 18 letters and digits)')`,
	}, {
		name:     "a session older than the history is not judged",
		sessions: []session{{login: "0Ya00000000000GONE", age: 72 * hour}},
		logins:   logins,
	}, {
		name:     "a session whose login is there",
		sessions: []session{{login: "0Ya00000000000HAV0"}},
		logins:   logins,
	}, {
		name:     "a live session names a failed login",
		sessions: []session{{id: "0Ak000000000000BAD", login: "0Ya00000000000BAD0", ip: "203.0.113.7"}},
		logins:   append(slices.Clone(logins), login{id: "0Ya00000000000BAD0", status: "Invalid Password", ago: hour}),
		want: []finding{{check: "session_without_login", severity: "medium", user: "alice@acme.com", session: "0Ak000000000000BAD",
			detail: "names login 0Ya00000000000BAD0, which failed (Invalid Password) at 2026-11-26 11:00 UTC: a session comes from a successful login."}},
	}, {
		name:     "an expired session is not judged",
		sessions: []session{{login: "0Ya00000000000GONE", expired: true}},
		logins:   logins,
	}, {
		// Its family lives on in a session naming a login that is there.
		name: "an expired session naming a failed login is not judged",
		sessions: []session{
			{id: "0Ak000000000000ORG", login: "0Ya00000000000HAV0"},
			{id: "0Ak000000000000OLD", parent: "0Ak000000000000ORG", typ: "Content", login: "0Ya00000000000BAD0", expired: true, age: 3 * hour},
		},
		logins: append(slices.Clone(logins), login{id: "0Ya00000000000BAD0", status: "Invalid Password", ago: 3 * hour}),
	}, {
		name:     "a session naming no login is not judged",
		sessions: []session{{ip: "203.0.113.7"}},
		logins:   logins,
	}, {
		name: "a later session of a family begun before the history is not judged",
		sessions: []session{
			{id: "0Ak000000000000UIA", login: "0Ya00000000000OLD0", age: 72 * hour, expired: true},
			{id: "0Ak000000000000VFA", parent: "0Ak000000000000UIA", login: "0Ya00000000000OLD0", typ: "Visualforce"},
		},
		logins: logins,
	}, {
		name: "a later session of a family begun within the history is judged, and says when the family began",
		sessions: []session{
			{id: "0Ak000000000000UIA", login: "0Ya00000000000GONE", age: 5 * hour, expired: true},
			{id: "0Ak000000000000VFA", parent: "0Ak000000000000UIA", login: "0Ya00000000000GONE", typ: "Visualforce", idle: 20 * minute},
		},
		logins: logins,
		want: []finding{{check: "session_without_login", severity: "medium", user: "alice@acme.com", session: "0Ak000000000000VFA",
			detail: "Visualforce session of alice@acme.com from an unknown IP, created 2026-11-26 11:00 UTC in a family begun 07:00 UTC, names login 0Ya00000000000GONE"}},
	}, {
		// Its first session, which its login created, is gone from the
		// export: the family began before 11:00, perhaps before the history.
		name: "a later session of a family whose first session is not in the export is not judged",
		sessions: []session{
			{id: "0Ak000000000000VFA", parent: "0Ak000000000000UIA", login: "0Ya00000000000GONE", typ: "Visualforce", idle: 20 * minute},
		},
		logins: logins,
	}})
}

// A session last active at the history's last login was not active after
// the history ends: its finding does not say a later login may have reused
// it. The detail is compared whole, since the cases of TestSessionWithoutLogin
// match a detail by a part of it, which a sentence added after it still holds.
func TestSessionWithoutLoginActiveAtTheHistorysEnd(t *testing.T) {
	logins := []login{{ago: 48 * hour}, {id: "0Ya00000000000HAV0", ago: 10 * minute}}
	for _, tc := range []struct {
		name string
		idle time.Duration
		want string
	}{
		{"near miss: active at the history's last login", 10 * minute,
			"UI session of alice@acme.com from 203.0.113.7, created 2026-11-26 11:00 UTC, names login 0Ya00000000000GONE, " +
				"which is not in the login history although the history covers 2026-11-24 12:00 UTC to 2026-11-26 11:50 UTC."},
		{"active a minute after it", 9 * minute,
			"UI session of alice@acme.com from 203.0.113.7, created 2026-11-26 11:00 UTC, names login 0Ya00000000000GONE, " +
				"which is not in the login history although the history covers 2026-11-24 12:00 UTC to 2026-11-26 11:50 UTC. " +
				"It was active at 11:51 UTC, after the history ends, so a later login may have reused it: a login history exported up to the sessions' export would settle it."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := mustDB(t, []session{{id: "0Ak000000000000MIS", login: "0Ya00000000000GONE", ip: "203.0.113.7", idle: tc.idle}}, logins)
			mustRun(t, db, nil)
			var detail string
			if err := db.QueryRow(`SELECT detail FROM findings WHERE check_id = 'session_without_login'`).Scan(&detail); err != nil {
				t.Fatal(err)
			}
			if detail != tc.want {
				t.Errorf("got  %q\nwant %q", detail, tc.want)
			}
		})
	}
}

// Only rejected rows whose Id could not be read may be the missing login:
// one whose Id was read is another login's, and is not counted among them
// (the near miss leaves the detail as it was, to its end).
func TestSessionWithoutLoginCountsOnlyRowsWhoseIdCouldNotBeRead(t *testing.T) {
	logins := []login{{ago: 48 * hour}, {id: "0Ya00000000000HAV0", ago: 10 * minute}}
	const missing = "UI session of alice@acme.com from 203.0.113.7, created 2026-11-26 11:00 UTC, names login 0Ya00000000000GONE, " +
		"which is not in the login history although the history covers 2026-11-24 12:00 UTC to 2026-11-26 11:50 UTC."
	for _, tc := range []struct {
		name, rejected, want string
	}{
		{"near miss: another login's rejected row, its Id read", `('0Ya00000000000GON2', 'logins.csv', 4, 'Status is empty')`, missing},
		{"a row whose Id could not be read, and another login's", `(NULL, 'logins.csv', 3, 'Id is not a Salesforce Id (15 or 18 letters and digits)'), ('0Ya00000000000GON2', 'logins.csv', 4, 'Status is empty')`,
			missing + " The login history also has 1 rejected row whose Id could not be read (see rejects.csv): the login may be that row."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := mustDB(t, []session{{id: "0Ak000000000000MIS", login: "0Ya00000000000GONE", ip: "203.0.113.7", idle: 10 * minute}}, logins)
			mustExec(t, db, "INSERT INTO rejected_logins VALUES "+tc.rejected)
			mustRun(t, db, nil)
			var detail string
			if err := db.QueryRow(`SELECT detail FROM findings WHERE check_id = 'session_without_login'`).Scan(&detail); err != nil {
				t.Fatal(err)
			}
			if detail != tc.want {
				t.Errorf("got  %q\nwant %q", detail, tc.want)
			}
		})
	}
}

func TestIPDenied(t *testing.T) {
	deny := func(p *Policy) {
		p.DeniedNetworks = []Network{
			{Prefix: netip.MustParsePrefix("198.51.100.0/24"), Source: "denied.txt:3"},
			{Prefix: netip.MustParsePrefix("2001:db8::/32"), Source: "policy.yaml:9"},
		}
	}
	runCheckCases(t, "ip_denied", []checkCase{{
		name:   "a live session and a failed login from a denied network",
		policy: deny,
		sessions: []session{
			{id: "0Ak000000000000DNA", ip: "198.51.100.4", age: 2 * hour},
			{id: "0Ak000000000000D6A", ip: "2001:db8::1", typ: "API"},
		},
		logins: []login{{ip: "198.51.100.77", status: "Invalid Password", ago: 30 * minute}},
		want: []finding{
			{check: "ip_denied", severity: "high", user: "alice@acme.com", session: "0Ak000000000000DNA", target: "session:0Ak000000000000DNA",
				detail: "comes from denied network 198.51.100.0/24 (denied.txt:3)."},
			{check: "ip_denied", severity: "high", user: "alice@acme.com", session: "0Ak000000000000D6A", target: "session:0Ak000000000000D6A",
				detail: "Live API session of alice@acme.com from 2001:db8::1"},
			{check: "ip_denied", severity: "high", user: "alice@acme.com",
				detail: "Failed login (Invalid Password) of alice@acme.com from 198.51.100.77"},
		},
	}, {
		name:     "a neighbouring network and an expired session are not reported",
		policy:   deny,
		sessions: []session{{ip: "198.51.101.4"}, {ip: "198.51.100.4", expired: true, age: 3 * hour}},
		logins:   []login{{ip: "198.51.99.255"}},
	}})
}

// The run warns of the gaps the login exports leave in the history in which
// live session families naming a login the history lacks began, which
// session_without_login cannot judge. A gap in which no such family began, or
// exports less than max_export_gap apart, give no warning (the near misses).
func TestHistoryGapsWarn(t *testing.T) {
	const gapWarning = " naming a login the history lacks began in "
	gapped := []login{{ago: 72 * hour}, {ago: 48 * hour}, {ago: 12 * hour, export: 1}, {id: "0Ya00000000000HAV0", ago: 10 * minute, export: 1}}
	tests := []struct {
		name     string
		sessions []session
		logins   []login
		want     string // the warning, or "" for none
	}{
		{"a family begun in a gap names a missing login",
			[]session{{login: "0Ya00000000000GONE", age: 36 * hour, idle: 20 * minute}}, gapped,
			"1 live session family naming a login the history lacks began in 1 gap between the Login History exports given " +
				"(more than session_without_login.max_export_gap from one export's last login to the next one's first), where session_without_login cannot judge it: " +
				"2026-11-24 12:00 UTC to 2026-11-26 00:00 UTC (1). Give the Login History export for that time."},
		{"three exports given out of order, families in both gaps",
			[]session{
				{id: "0Ak000000000000AAA", login: "0Ya00000000000GON1", age: 50 * hour, idle: 20 * minute},
				{id: "0Ak000000000000BBB", login: "0Ya00000000000GON2", age: 20 * hour, idle: 20 * minute},
				{id: "0Ak000000000000CCC", login: "0Ya00000000000GON3", age: 19 * hour, idle: 20 * minute},
			},
			[]login{{ago: 10 * hour}, {ago: 96 * hour, export: 1}, {ago: 84 * hour, export: 1}, {ago: 36 * hour, export: 2}},
			"3 live session families naming a login the history lacks began in 2 gaps between the Login History exports given " +
				"(more than session_without_login.max_export_gap from one export's last login to the next one's first), where session_without_login cannot judge them: " +
				"2026-11-23 00:00 UTC to 2026-11-25 00:00 UTC (1), 2026-11-25 00:00 UTC to 2026-11-26 02:00 UTC (2)."},
		// Two families in one gap: "them", but "that time".
		{"two families begun in one gap name missing logins",
			[]session{
				{id: "0Ak000000000000AAA", login: "0Ya00000000000GON1", age: 36 * hour, idle: 20 * minute},
				{id: "0Ak000000000000BBB", login: "0Ya00000000000GON2", age: 30 * hour, idle: 20 * minute},
			}, gapped,
			"2 live session families naming a login the history lacks began in 1 gap between the Login History exports given " +
				"(more than session_without_login.max_export_gap from one export's last login to the next one's first), where session_without_login cannot judge them: " +
				"2026-11-24 12:00 UTC to 2026-11-26 00:00 UTC (2). Give the Login History export for that time."},
		// More gaps than the warning names: the rest are counted.
		{"seven gaps, five named",
			[]session{
				{id: "0Ak000000000000AAA", login: "0Ya00000000000GON1", age: 225 * hour, idle: 20 * minute},
				{id: "0Ak000000000000BBB", login: "0Ya00000000000GON2", age: 195 * hour, idle: 20 * minute},
				{id: "0Ak000000000000CCC", login: "0Ya00000000000GON3", age: 165 * hour, idle: 20 * minute},
				{id: "0Ak000000000000DDD", login: "0Ya00000000000GON4", age: 135 * hour, idle: 20 * minute},
				{id: "0Ak000000000000EEE", login: "0Ya00000000000GON5", age: 105 * hour, idle: 20 * minute},
				{id: "0Ak000000000000FFF", login: "0Ya00000000000GON6", age: 75 * hour, idle: 20 * minute},
				{id: "0Ak000000000000GGG", login: "0Ya00000000000GON7", age: 45 * hour, idle: 20 * minute},
			},
			[]login{{ago: 240 * hour}, {ago: 210 * hour, export: 1}, {ago: 180 * hour, export: 2}, {ago: 150 * hour, export: 3},
				{ago: 120 * hour, export: 4}, {ago: 90 * hour, export: 5}, {ago: 60 * hour, export: 6}, {ago: 30 * hour, export: 7}},
			"7 live session families naming a login the history lacks began in 7 gaps between the Login History exports given " +
				"(more than session_without_login.max_export_gap from one export's last login to the next one's first), where session_without_login cannot judge them: " +
				"2026-11-16 12:00 UTC to 2026-11-17 18:00 UTC (1), 2026-11-17 18:00 UTC to 2026-11-19 00:00 UTC (1), 2026-11-19 00:00 UTC to 2026-11-20 06:00 UTC (1), " +
				"2026-11-20 06:00 UTC to 2026-11-21 12:00 UTC (1), 2026-11-21 12:00 UTC to 2026-11-22 18:00 UTC (1) and 2 more. Give the Login History export for those times."},
		{"near miss: a family begun in a gap whose login the history holds",
			[]session{{login: "0Ya00000000000HAV0", age: 36 * hour, idle: 20 * minute}}, gapped, ""},
		// Its first session is not in the export: the family began at an
		// unknown time, and the check would not judge it with the history
		// complete either.
		{"near miss: a family begun in a gap whose first session is not in the export",
			[]session{{id: "0Ak000000000000VFA", parent: "0Ak000000000000PAR", typ: "Visualforce", login: "0Ya00000000000GONE", age: 36 * hour, idle: 20 * minute}},
			gapped, ""},
		{"near miss: a gap in which no family began",
			[]session{{login: "0Ya00000000000GONE", age: 2 * hour, idle: 20 * minute}}, gapped, ""},
		{"near miss: exports less than max_export_gap apart",
			[]session{{login: "0Ya00000000000GONE", age: 24 * hour, idle: 20 * minute}},
			[]login{{ago: 72 * hour}, {ago: 36 * hour}, {ago: 16 * hour, export: 1}, {ago: 10 * minute, export: 1}}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := mustRun(t, mustDB(t, tc.sessions, tc.logins), nil)
			checkWarning(t, res, gapWarning, tc.want)
		})
	}
}

// The run warns of the live session families naming a login the history
// lacks that began after the history's last login (a Login History exported
// hours before the sessions), which session_without_login cannot judge: its
// zero would read as "checked, nothing found". A family begun within the
// history is judged instead, and one begun after it whose login the history
// holds is no question (the near misses).
func TestHistoryEndWarns(t *testing.T) {
	const marker = " began after the login history's last login "
	history := []login{{ago: 48 * hour}, {id: "0Ya00000000000HAV0", ago: 6 * hour}}
	tests := []struct {
		name     string
		sessions []session
		want     string // the warning, or "" for none
	}{
		{"two families begun after the history ends name missing logins",
			[]session{
				{id: "0Ak000000000000AAA", login: "0Ya00000000000GON1", age: 3 * hour},
				{id: "0Ak000000000000BBB", login: "0Ya00000000000GON2", age: 2 * hour},
				{id: "0Ak000000000000VFA", parent: "0Ak000000000000BBB", typ: "Visualforce", login: "0Ya00000000000GON2", age: time.Hour},
			},
			"2 live session families naming a login the history lacks began after the login history's last login (2026-11-26 06:00 UTC), " +
				"the first at 2026-11-26 09:00 UTC, where session_without_login cannot judge them: their logins may be newer than the export. " +
				"Export the Login History after the sessions, so that it covers the time they began."},
		// With one, the warning speaks of the one: not "the first at", "them".
		{"one family begun after the history ends names a missing login",
			[]session{{id: "0Ak000000000000AAA", login: "0Ya00000000000GON1", age: 3 * hour}},
			"1 live session family naming a login the history lacks began after the login history's last login (2026-11-26 06:00 UTC), " +
				"at 2026-11-26 09:00 UTC, where session_without_login cannot judge it: its login may be newer than the export. " +
				"Export the Login History after the sessions, so that it covers the time the family began."},
		{"near miss: a family begun within the history is judged",
			[]session{{login: "0Ya00000000000GONE", age: 7 * hour, idle: 20 * minute}}, ""},
		{"near miss: a family begun after the history ends whose login the history holds",
			[]session{{login: "0Ya00000000000HAV0", age: 3 * hour}}, ""},
		// At the history's last login is within it: judged.
		{"near miss: a family begun at the history's last login is judged",
			[]session{{login: "0Ya00000000000GONE", age: 6 * hour}}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := mustRun(t, mustDB(t, tc.sessions, history), nil)
			checkWarning(t, res, marker, tc.want)
		})
	}
}

// A protected_users entry that matches no user of the users export protects
// no one: the run says so, and says nothing when no users export lists
// every user.
func TestUnknownProtectedUsersWarn(t *testing.T) {
	const warning = "The policy's protected_users names "
	tests := []struct {
		name      string
		users     []string // usernames of the users export
		protected []string
		want      string // the warning, or "" for none
	}{
		{"a misspelt username", []string{"Alice@Acme.example", "bob@acme.example"}, []string{"alcie@acme.example", "bob@acme.example"},
			warning + "alcie@acme.example, which is no user of the users export: check the spelling, since an entry that matches no one protects no one, " +
				"and the user it was meant for is proposed for removal like any other."},
		{"an Id and a username", []string{"bob@acme.example"}, []string{userID("carol@acme.example"), "dave@acme.example"},
			warning + userID("carol@acme.example") + ", dave@acme.example, which are no users of the users export:"},
		{"near miss: a username in another case and an Id", []string{"Alice@Acme.example", "bob@acme.example"}, []string{"alice@acme.example", userID("bob@acme.example")}, ""},
		{"near miss: no users export", nil, []string{"alcie@acme.example"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := mustDB(t, []session{{}}, []login{{}})
			for _, u := range tc.users {
				mustExec(t, db, `INSERT INTO users (id, username, src_file) VALUES (?, ?, 0)`, userID(strings.ToLower(u)), u)
			}
			res := mustRun(t, db, func(p *Policy) { p.ProtectedUsers = tc.protected })
			checkWarning(t, res, warning, tc.want)
		})
	}
}

// A session type the policy names that Salesforce does not document and no
// session of the export has is most likely misspelt: the run says so. A
// documented type no session has, and an undocumented one the export has,
// are taken as meant (the near misses).
func TestUnknownSessionTypesWarn(t *testing.T) {
	const marker = ", which Salesforce does not document and no session of the export has"
	tests := []struct {
		name   string
		policy func(p *Policy)
		want   string // the warning, or "" for none
	}{
		{"a misspelt type with a limit", func(p *Policy) { p.SessionMaxAgeByType = map[string]time.Duration{"visualforse": time.Hour} },
			"The policy's session_max_age_by_type names the session type visualforse, which Salesforce does not document and no session of the export has: " +
				"check the spelling: a limit for a type no session has judges nothing."},
		{"a misspelt token type", func(p *Policy) { p.TokenTypes = []string{"oath2", "api"} },
			"The policy's token_types names the session type oath2, which Salesforce does not document and no session of the export has: " +
				"check the spelling: a token type missing from token_types has its sessions judged by the session limits, as sessions over age."},
		// Named by both keys: the token type's consequence is the one told.
		{"a misspelt type with a limit and as a token type", func(p *Policy) {
			p.SessionMaxAgeByType, p.TokenTypes = map[string]time.Duration{"oath2": time.Hour}, []string{"oath2", "api"}
		},
			"The policy's session_max_age_by_type and token_types name the session type oath2, which Salesforce does not document and no session of the export has: " +
				"check the spelling: a token type missing from token_types has its sessions judged by the session limits, as sessions over age."},
		{"near miss: a documented type no session has", func(p *Policy) { p.SessionMaxAgeByType = map[string]time.Duration{"sitepreview": time.Hour} }, ""},
		{"near miss: an undocumented type the export has", func(p *Policy) { p.SessionMaxAgeByType = map[string]time.Duration{"newtype": time.Hour} }, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := mustDB(t, []session{{}, {id: "0Ak000000000000NEW", typ: "NewType"}}, []login{{}})
			res := mustRun(t, db, tc.policy)
			var got string
			for _, w := range res.Warnings {
				if strings.Contains(w, marker) {
					got = w
				}
			}
			if got != tc.want {
				t.Errorf("got warning %q, want %q", got, tc.want)
			}
		})
	}
}

// checkWarning checks that the run's warning containing marker starts with
// want, or that there is none when want is empty.
func checkWarning(tb testing.TB, res Result, marker, want string) {
	tb.Helper()
	var got string
	for _, w := range res.Warnings {
		if strings.Contains(w, marker) {
			got = w
		}
	}
	if want == "" && got != "" || want != "" && !strings.HasPrefix(got, want) {
		tb.Errorf("got warning %q, want one starting %q", got, want)
	}
}
