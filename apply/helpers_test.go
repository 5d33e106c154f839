package apply

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sessionaudit/sessionaudit/sfid"
)

var t0 = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

// sid and uid make distinct valid 18-character Ids; the mixed case makes
// their suffixes differ from "AAA".
func sid(i int) string { return mustID(fmt.Sprintf("0AkXy%010d", i)) }
func uid(i int) string { return mustID(fmt.Sprintf("005Qz%010d", i)) }
func lid(i int) string { return mustID(fmt.Sprintf("060Lg%010d", i)) }

func mustID(s string) string {
	id, err := sfid.Normalize(s)
	if err != nil {
		panic(err)
	}
	return id
}

type listRow struct {
	session, user, username, approve string
}

// rows makes n rows for sessions 0..n-1, spread over five users.
func rows(n int) []listRow {
	var out []listRow
	for i := 0; i < n; i++ {
		out = append(out, listRow{session: sid(i), user: uid(i % 5), username: fmt.Sprintf("user%d@example.com", i%5)})
	}
	return out
}

func listCSV(rs []listRow) string {
	var b strings.Builder
	b.WriteString(strings.Join(RemovalsHeader, ",") + "\n")
	for _, r := range rs {
		fmt.Fprintf(&b, "%s,%s,%s,UI,203.0.113.7,2026-11-26T08:02:00Z,impossible_travel;new_country,high,\"travel, 900 km/h\",%s\n",
			r.session, r.user, r.username, r.approve)
	}
	return b.String()
}

// fixture is a removal list in a temporary folder and a fake org that holds
// its sessions.
type fixture struct {
	t    *testing.T
	dir  string
	list string
	org  *fakeOrg
	rows []listRow
}

func newFixture(t *testing.T, rs []listRow) *fixture {
	t.Helper()
	f := &fixture{t: t, dir: t.TempDir(), org: newFakeOrg(t), rows: rs}
	f.list = filepath.Join(f.dir, "removals.csv")
	mustWrite(t, f.list, listCSV(rs))
	for _, r := range rs {
		f.org.addSession(r.session, r.user, false)
	}
	return f
}

func mustWrite(tb testing.TB, path, content string) {
	tb.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		tb.Fatal(err)
	}
}

func mustRead(tb testing.TB, path string) string {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// approve approves the list at t0 and lets the fake org accept deletes of
// the approved sessions other than those in except.
func (f *fixture) approve(only []string, except ...string) Approval {
	f.t.Helper()
	a := mustApprove(f.t, ApproveOptions{Removals: f.list, By: "alice", Only: only, Now: t0})
	f.org.mu.Lock()
	defer f.org.mu.Unlock()
	for _, s := range a.Sessions {
		f.org.mayDelete[s.SessionID] = true
	}
	for _, id := range except {
		delete(f.org.mayDelete, id)
	}
	return a
}

func (f *fixture) options(execute bool) Options {
	return Options{Removals: f.list, Execute: execute, Now: func() time.Time { return t0.Add(time.Hour) },
		Org: f.org.orgOptions(f.org.accessToken())}
}

// checkEndedOnce fails unless every given session was deleted exactly once
// and is gone from the org.
func (f *fixture) checkEndedOnce(ids []string) {
	f.t.Helper()
	f.org.mu.Lock()
	defer f.org.mu.Unlock()
	for _, id := range ids {
		if n := f.org.deleted[id]; n != 1 {
			f.t.Errorf("session %s deleted %d times, want 1", id, n)
		}
		if _, ok := f.org.sessions[id]; ok {
			f.t.Errorf("session %s still in the org", id)
		}
	}
}

func sessionIDs(a Approval) []string {
	var ids []string
	for _, s := range a.Sessions {
		ids = append(ids, s.SessionID)
	}
	return ids
}

func outcomes(results []Result) map[string]int {
	m := map[string]int{}
	for _, r := range results {
		m[r.Outcome+"/"+r.ErrorCode]++
	}
	return m
}

// stopCode returns the code of the stop that ended a run, or "".
func stopCode(rep Report) string {
	if rep.Stopped == nil {
		return ""
	}
	return rep.Stopped.Code
}

// mustApprove approves as told and writes the approval.
func mustApprove(tb testing.TB, opts ApproveOptions) Approval {
	tb.Helper()
	a, err := Approve(opts)
	if err != nil {
		tb.Fatal(err)
	}
	if err := WriteApproval(opts.Removals, a); err != nil {
		tb.Fatal(err)
	}
	return a
}

// containFixture is a fixture for containing user 0: the org also holds two
// live sessions of that user that the list does not name (sid 100 and 101),
// which only containment finds; the list is approved as rs marks it, and
// the options run with --contain.
func containFixture(t *testing.T, rs []listRow) (*fixture, Options) {
	t.Helper()
	f := newFixture(t, rs)
	f.org.addSession(sid(100), uid(0), false)
	f.org.addSession(sid(101), uid(0), false)
	f.org.userLogins[uid(0)] = lid(0)
	f.approve(nil)
	f.org.mayDelete[sid(100)], f.org.mayDelete[sid(101)] = true, true
	f.org.mayContain[uid(0)] = true
	o := f.options(true)
	o.Contain = true
	return f, o
}

// containOneFixture is an approved list of two rows, the first approved
// for containing user 0 (whom the org may freeze), the second for removal,
// with executing options that contain.
func containOneFixture(t *testing.T) (*fixture, Options) {
	t.Helper()
	rs := rows(2)
	rs[0].approve, rs[1].approve = "contain", "yes"
	f := newFixture(t, rs)
	f.org.userLogins[uid(0)] = lid(0)
	f.approve(nil)
	f.org.mayContain[uid(0)] = true
	o := f.options(true)
	o.Contain = true
	return f, o
}

// clientCredentialsFixture is an approved list of two rows with executing
// options that log in to the fake org by client credentials.
func clientCredentialsFixture(t *testing.T) (*fixture, Options) {
	t.Helper()
	f := newFixture(t, rows(2))
	f.approve(nil)
	o := f.options(true)
	o.Org.Credentials = ClientCredentials{ClientID: f.org.clientID, ClientSecret: NewSecret(f.org.clientSecret), InstanceURL: f.org.srv.URL}
	return f, o
}

// stoppedContainment runs a list whose first row contains user 0 and whose
// second is approved, until the org's request limit stops the batch of the
// sessions containment found (sid 100 and 101), which are left.
func stoppedContainment(t *testing.T) ([]listRow, *fixture, Options) {
	t.Helper()
	rs := rows(2)
	rs[0].approve, rs[1].approve = "contain", "yes"
	f, o := containFixture(t, rs)
	f.org.inject("delete", fault{}, fault{status: 403, code: "REQUEST_LIMIT_EXCEEDED"})
	if rep, err := Run(context.Background(), o); err != nil || stopCode(rep) != "REQUEST_LIMIT_EXCEEDED" {
		t.Fatalf("first run: %v, stopped %q", err, stopCode(rep))
	}
	return rs, f, o
}
