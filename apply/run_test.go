package apply

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestApproveDryRunExecuteVerify(t *testing.T) {
	f := newFixture(t, rows(450))
	f.org.pageSize = 150 // verification pages through nextRecordsUrl
	a := f.approve(nil)
	if len(a.Sessions) != 450 {
		t.Fatalf("approved %d sessions, want 450", len(a.Sessions))
	}

	dry, err := Run(context.Background(), f.options(false))
	if err != nil {
		t.Fatalf("dry run: %v", err)
	}
	if n := f.org.writeCount(); n != 0 {
		t.Fatalf("dry run sent %d write requests, want 0", n)
	}
	if dry.Refusal != "" || len(dry.Plan) != 450 || dry.Plan[0].Action != "remove" {
		t.Fatalf("dry run plan: refusal %q, %d entries, first %q", dry.Refusal, len(dry.Plan), dry.Plan[0].Action)
	}

	rep, err := Run(context.Background(), f.options(true))
	if err != nil {
		t.Fatalf("execute: %v", err)
	}
	if !rep.Complete() {
		t.Errorf("report not complete: %+v", outcomes(rep.Results))
	}
	if diff := cmp.Diff(map[string]int{"removed/": 450}, outcomes(rep.Results)); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	f.checkEndedOnce(sessionIDs(a))
	// 450 ids take three collections requests of at most 200.
	if n := f.org.writeCount(); n != 3 {
		t.Errorf("sent %d write requests, want 3", n)
	}

	results := mustRead(t, ResultsPath(f.list))
	lines := strings.Split(strings.TrimSpace(results), "\n")
	if lines[0] != "session_id,user_id,outcome,http_status,error_code,time" || len(lines) != 451 {
		t.Errorf("results file: header %q, %d lines, want 451", lines[0], len(lines))
	}
	if want := sid(0) + "," + uid(0) + ",removed,200,,2026-11-26T10:00:00Z"; lines[1] != want {
		t.Errorf("results line 2 = %q, want %q", lines[1], want)
	}

	// A second run finds everything done and sends nothing.
	before := f.org.writeCount()
	again, err := Run(context.Background(), f.options(true))
	if err != nil || !again.Complete() || f.org.writeCount() != before {
		t.Errorf("second run: err %v, complete %v, %d new writes", err, again.Complete(), f.org.writeCount()-before)
	}

	v, err := Verify(context.Background(), VerifyOptions{Removals: f.list, Org: f.org.orgOptions(f.org.accessToken())})
	if err != nil {
		t.Fatal(err)
	}
	if !v.AllGone() || v.Checked != 450 || len(v.Gone) != 450 {
		t.Errorf("verify: checked %d, gone %d, pending %d, not removed %d", v.Checked, len(v.Gone), len(v.Pending), len(v.NotRemoved))
	}
}

func TestVerifyReportsPendingAndNotRemoved(t *testing.T) {
	f := newFixture(t, rows(5))
	f.approve(nil)
	f.org.itemErrors[sid(1)] = "INSUFFICIENT_ACCESS"
	if _, err := Run(context.Background(), f.options(true)); err != nil {
		t.Fatal(err)
	}
	// The org still lists a removed session: revocation lag.
	f.org.addSession(sid(0), uid(0), false)
	v, err := Verify(context.Background(), VerifyOptions{Removals: f.list, Org: f.org.orgOptions(f.org.accessToken()),
		Now: func() time.Time { return t0.Add(time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	got := [][]string{v.Pending, v.NotRemoved}
	if diff := cmp.Diff([][]string{{sid(0)}, {sid(1)}}, got); diff != "" || v.AllGone() {
		t.Errorf("pending, not removed (-want +got):\n%s", diff)
	}
	if f.org.writeCount() != 1 {
		t.Errorf("verify wrote: %d writes in all, want 1 (the apply)", f.org.writeCount())
	}
	// Still listed 30 minutes after its removal was recorded (at t0+1h), the
	// session is no longer pending but overdue: the removal did not take, and
	// apply will not send it again. A minute earlier it is still pending.
	for _, tc := range []struct {
		after   time.Duration
		overdue bool
	}{{29 * time.Minute, false}, {30 * time.Minute, true}, {30 * 24 * time.Hour, true}} {
		v, err := Verify(context.Background(), VerifyOptions{Removals: f.list, Org: f.org.orgOptions(f.org.accessToken()),
			Now: func() time.Time { return t0.Add(time.Hour + tc.after) }})
		if err != nil {
			t.Fatal(err)
		}
		want := VerifyReport{Checked: 5, Gone: []string{sid(2), sid(3), sid(4)}, Pending: []string{sid(0)}, NotRemoved: []string{sid(1)}}
		if tc.overdue {
			want.Pending, want.Overdue = nil, []Overdue{{ID: sid(0), EndedAt: t0.Add(time.Hour), Outcome: OutcomeRemoved}}
		}
		v.ApplyRefusal = "" // a month on, the approval has expired too
		if diff := cmp.Diff(want, v); diff != "" || v.AllGone() {
			t.Errorf("%s after the removal (-want +got):\n%s", tc.after, diff)
		}
	}
	if v.ApplyRefusal != "" {
		t.Errorf("verify says apply would refuse a list approved and unchanged: %s", v.ApplyRefusal)
	}
}

// TestVerifyWhileApplying runs verify while an apply of the list holds its
// lock, with a delete in flight (journalled, not answered): the sessions it
// has not recorded ended are pending in that apply, not "not removed" (for
// which verify advises running apply again). Before, verify, which takes no
// lock, reported them not removed. Once the apply has ended, they are.
func TestVerifyWhileApplying(t *testing.T) {
	f := newFixture(t, rows(3))
	f.approve(nil)
	ctx, cancel := context.WithCancel(context.Background())
	f.org.inject("delete", fault{drop: true, then: cancel})
	if _, err := Run(ctx, f.options(true)); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: %v", err)
	}
	verify := func() VerifyReport {
		t.Helper()
		v, err := Verify(context.Background(), VerifyOptions{Removals: f.list, Org: f.org.orgOptions(f.org.accessToken()),
			Now: func() time.Time { return t0.Add(time.Hour) }})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	unlock, err := lockList(f.list) // as a running apply holds it
	if err != nil {
		t.Fatal(err)
	}
	all := []string{sid(0), sid(1), sid(2)}
	want := VerifyReport{Checked: 3, Applying: all, ApplyRunning: "process " + strconv.Itoa(os.Getpid()), ApplyHolds: LockPath(f.list)}
	if diff := cmp.Diff(want, verify()); diff != "" {
		t.Errorf("while an apply runs (-want +got):\n%s", diff)
	}
	// Its lock file removed while it runs: it still holds the list.
	if err := os.Remove(LockPath(f.list)); err != nil {
		t.Fatal(err)
	}
	want.ApplyRunning, want.ApplyHolds = "another process", resolvedList(f.list)
	if diff := cmp.Diff(want, verify()); diff != "" || verify().AllGone() {
		t.Errorf("while an apply runs, its lock file removed (-want +got):\n%s", diff)
	}
	unlock()
	if diff := cmp.Diff(VerifyReport{Checked: 3, NotRemoved: all}, verify()); diff != "" {
		t.Errorf("after the apply ended (-want +got):\n%s", diff)
	}
	// An apply that starts while verify asks the org, after verify read the
	// journal, and one that ends then, having held its lock when verify read
	// it: either way the journal verify read may lack what the apply sent,
	// so the sessions are pending in it. Verify looks before and after.
	for _, tc := range []struct {
		name    string
		started bool // the apply runs when verify starts, and ends while it asks the org
	}{{"an apply starting while verify asks the org", false}, {"an apply ending while verify asks the org", true}} {
		t.Run(tc.name, func(t *testing.T) {
			var unlock func()
			lock := func() {
				var err error
				if unlock, err = lockList(f.list); err != nil {
					t.Error(err)
				}
			}
			if tc.started {
				lock()
			}
			f.org.inject("query AuthSession Id", fault{then: func() {
				if tc.started {
					unlock()
				} else {
					lock()
				}
			}})
			got := verify()
			if !tc.started && unlock != nil {
				unlock()
			}
			want := VerifyReport{Checked: 3, Applying: all, ApplyRunning: "process " + strconv.Itoa(os.Getpid()), ApplyHolds: LockPath(f.list)}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// Sessions not removed need apply again, unless apply would refuse the list
// now: verify then says why, so its advice does not lead to a refusal.
func TestVerifyTellsWhenApplyWouldRefuse(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(f *fixture, o *VerifyOptions)
		want string
	}{
		{"the approval expired", func(f *fixture, o *VerifyOptions) {
			o.Now = func() time.Time { return t0.Add(30 * 24 * time.Hour) }
		}, "expired"},
		{"the list changed after its approval", func(f *fixture, o *VerifyOptions) {
			b, err := os.ReadFile(f.list)
			if err != nil {
				t.Fatal(err)
			}
			// The last row's username is changed.
			i := bytes.LastIndex(b, []byte("@example.com"))
			if err := os.WriteFile(f.list, slices.Concat(b[:i], []byte("@example.org"), b[i+12:]), 0o600); err != nil {
				t.Fatal(err)
			}
		}, "changed after"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, rows(3))
			f.approve(nil)
			o := VerifyOptions{Removals: f.list, Org: f.org.orgOptions(f.org.accessToken()), Now: func() time.Time { return t0.Add(time.Hour) }}
			tc.edit(f, &o)
			v, err := Verify(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			if len(v.NotRemoved) != 3 || !strings.Contains(v.ApplyRefusal, tc.want) {
				t.Errorf("not removed %v, apply refusal %q; want all 3, and a refusal saying %q", v.NotRemoved, v.ApplyRefusal, tc.want)
			}
		})
	}
}

// TestResumeAfterKill kills a run while the org is in the middle of the
// second batch, then runs again: no session is deleted twice, every approved
// one ends, and the first batch is never sent again.
func TestResumeAfterKill(t *testing.T) {
	f := newFixture(t, rows(450))
	f.org.addSession(sid(9999), uid(0), false) // not in the list: must stay
	a := f.approve(nil)

	ctx, cancel := context.WithCancel(context.Background())
	f.org.inject("delete", fault{}, fault{process: 120, drop: true, then: cancel})
	_, err := Run(ctx, f.options(true))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("killed run: err %v, want context.Canceled", err)
	}

	rep, err := Run(context.Background(), f.options(true))
	if err != nil {
		t.Fatalf("rerun: %v", err)
	}
	if !rep.Complete() {
		t.Errorf("rerun not complete: %v", outcomes(rep.Results))
	}
	f.checkEndedOnce(sessionIDs(a))
	f.org.mu.Lock()
	defer f.org.mu.Unlock()
	for i := 0; i < 200; i++ {
		if n := f.org.sent[sid(i)]; n != 1 {
			t.Errorf("acknowledged session %s sent %d times, want 1", sid(i), n)
		}
	}
	if _, ok := f.org.sessions[sid(9999)]; !ok {
		t.Error("a session outside the list was ended")
	}
	// The 120 the org ended before the connection dropped come back as
	// already ended; the other 80 of that batch and the last 50 as removed.
	if diff := cmp.Diff(map[string]int{"removed/": 330, "already_ended/ENTITY_IS_DELETED": 120}, outcomes(rep.Results)); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	if rep.Resent != 200 {
		t.Errorf("resent %d, want 200", rep.Resent)
	}
}

func TestRefusals(t *testing.T) {
	tests := []struct {
		name  string
		setup func(f *fixture, o *Options)
		want  string
	}{
		{"no approval", func(f *fixture, o *Options) {}, "has no approval"},
		{"list changed", func(f *fixture, o *Options) {
			f.approve(nil)
			mustWrite(t, f.list, strings.Replace(mustRead(t, f.list), "high", "low", 1))
		}, "changed after alice approved it"},
		{"row added", func(f *fixture, o *Options) {
			f.approve(nil)
			mustWrite(t, f.list, listCSV(append(f.rows, listRow{session: sid(77), user: uid(1), username: "x@example.com"})))
		}, "changed after alice approved it"},
		{"expired", func(f *fixture, o *Options) {
			f.approve(nil)
			o.Now = func() time.Time { return t0.Add(25 * time.Hour) }
		}, "expired at 2026-11-27T09:00:00Z"},
		{"over max", func(f *fixture, o *Options) {
			f.approve(nil)
			o.Max = 3
		}, "4 approved sessions remain, more than --max 3"},
		{"corrupt approval", func(f *fixture, o *Options) {
			f.approve(nil)
			mustWrite(t, ApprovalPath(f.list), "{")
		}, "approve the list again"},
		{"another apply holds the lock", func(f *fixture, o *Options) {
			f.approve(nil)
			unlock, err := lockList(f.list)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(unlock)
		}, "is applying"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, rows(4))
			o := f.options(true)
			tt.setup(f, &o)
			_, err := Run(context.Background(), o)
			var refusal *RefusalError
			if !errors.As(err, &refusal) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want a refusal containing %q", err, tt.want)
			}
			if f.org.requests != 0 {
				t.Errorf("refused run sent %d requests, want 0", f.org.requests)
			}
		})
	}
}

// TestPlanSaysTheListChanged checks that a plan of a list changed after its
// approval says so on every row, rather than "not approved", which reads as
// a list never approved; a list without an approval (the near miss) is not
// approved.
func TestPlanSaysTheListChanged(t *testing.T) {
	tests := []struct {
		name  string
		setup func(f *fixture)
		want  string
	}{
		{"no approval", func(f *fixture) {}, "not approved"},
		{"list changed", func(f *fixture) {
			f.approve(nil)
			mustWrite(t, f.list, strings.Replace(mustRead(t, f.list), "high", "low", 1))
		}, "the list changed after it was approved"},
		{"row added", func(f *fixture) {
			f.approve(nil)
			mustWrite(t, f.list, listCSV(append(f.rows, listRow{session: sid(77), user: uid(1), username: "x@example.com"})))
		}, "the list changed after it was approved"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, rows(3))
			tt.setup(f)
			o := f.options(false)
			o.Org.Credentials = nil // plan without the org
			rep, err := Run(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range rep.Plan {
				if e.Action != "skip" || e.Reason != tt.want {
					t.Errorf("row %s: got %s %q, want skip %q", e.Row.SessionID, e.Action, e.Reason, tt.want)
				}
			}
		})
	}
}

func TestGuardRails(t *testing.T) {
	rs := rows(10)
	f := newFixture(t, rs)
	// Session 3 is the caller's own; user 1 (sessions 1, 6) is protected by
	// name, user 2 (2, 7) by its 15-character Id.
	f.org.addSession(sid(3), uid(3), true)
	a := f.approve(nil, sid(3), sid(1), sid(6), sid(2), sid(7))
	o := f.options(true)
	o.Max = 6 // ten approved, four protected; the current session is found later
	o.Protected = []string{"USER1@example.com", uid(2)[:15]}
	rep, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"removed/": 5, "skipped/PROTECTED_USER": 4, "skipped/CURRENT_SESSION": 1}
	if diff := cmp.Diff(want, outcomes(rep.Results)); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	if !rep.Complete() {
		t.Error("guard-rail skips should leave the run complete")
	}
	if _, ok := f.org.sessions[sid(3)]; !ok {
		t.Error("the caller's own session was ended")
	}
	_ = a

	// Verify does not count the skipped sessions as pending.
	v, err := Verify(context.Background(), VerifyOptions{Removals: f.list, Org: f.org.orgOptions(f.org.accessToken())})
	if err != nil || !v.AllGone() || len(v.Skipped) != 5 {
		t.Errorf("verify: err %v, all gone %v, skipped %d", err, v.AllGone(), len(v.Skipped))
	}
}

// TestProtectionOutlivesThePolicy checks that a user an earlier run of the
// list kept from stays protected when a later run is given no policy (or an
// older one), while without such a run the same rerun ends the user's sessions.
func TestProtectionOutlivesThePolicy(t *testing.T) {
	for _, tt := range []struct {
		name      string
		firstRun  []string // protected_users of the run the request limit stops
		protected bool     // user 1's sessions are kept by the rerun, which has no policy
	}{
		{"protected by the first run", []string{"USER1@example.com"}, true},
		{"near miss: the first run protected another user", []string{"user9@example.com"}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, rows(10))
			f.approve(nil)
			o := f.options(true)
			o.Protected = tt.firstRun
			f.org.inject("delete", fault{status: 403, code: "REQUEST_LIMIT_EXCEEDED"})
			if rep, err := Run(context.Background(), o); err != nil || stopCode(rep) != "REQUEST_LIMIT_EXCEEDED" {
				t.Fatalf("first run: err %v, stop %q, want the request limit", err, stopCode(rep))
			}

			o.Protected = nil
			plan, err := Run(context.Background(), f.options(false))
			if err != nil {
				t.Fatal(err)
			}
			var reasons []string
			for _, e := range plan.Plan {
				if e.Row.UserID == uid(1) {
					reasons = append(reasons, e.Action+": "+e.Reason)
				}
			}
			wantReason := "remove: "
			if tt.protected {
				wantReason = "skip: protected user (in protected_users when an earlier run of this list ran)"
			}
			if diff := cmp.Diff([]string{wantReason, wantReason}, reasons); diff != "" {
				t.Errorf("plan for user 1's sessions (-want +got):\n%s", diff)
			}

			rep, err := Run(context.Background(), o)
			if err != nil || !rep.Complete() {
				t.Fatalf("rerun: err %v, complete %v", err, rep.Complete())
			}
			want := map[string]int{"removed/": 10}
			if tt.protected {
				want = map[string]int{"removed/": 8, "skipped/PROTECTED_USER": 2}
			}
			if diff := cmp.Diff(want, outcomes(rep.Results)); diff != "" {
				t.Errorf("outcomes (-want +got):\n%s", diff)
			}
			f.org.mu.Lock()
			_, kept := f.org.sessions[sid(1)]
			f.org.mu.Unlock()
			if kept != tt.protected {
				t.Errorf("user 1's session 1 still in the org: %v, want %v", kept, tt.protected)
			}
		})
	}
}

func TestApproveColumnAndContainment(t *testing.T) {
	rs := rows(6)
	rs[0].approve = "contain" // user 0, who also has session 5 and a session not in the list
	rs[1].approve = "YES"
	rs[2].approve = "no"
	rs[3].approve, rs[3].user = "contain", "" // an unknown user cannot be contained
	f := newFixture(t, rs)
	// Containment needs the user's Id: approving contain without one is
	// refused, naming the row, rather than promising what no run can do.
	if _, err := Approve(ApproveOptions{Removals: f.list, By: "alice", Now: t0}); err == nil ||
		!strings.Contains(err.Error(), "removals.csv:5: field approve") || !strings.Contains(err.Error(), "cannot be contained") {
		t.Fatalf("approving contain for a row without its user's Id: err %v, want a refusal naming line 5", err)
	}
	rs[3].approve = "yes" // the analyst ends the session only
	f = newFixture(t, rs)
	f.org.addSession(sid(100), uid(0), false)
	f.org.addSession(sid(101), uid(0), false)
	f.org.userLogins[uid(0)] = lid(0)
	a := f.approve(nil)
	if diff := cmp.Diff([]ApprovedSession{{sid(0), uid(0), true}, {sid(1), uid(1), false}, {sid(3), "", false}}, a.Sessions); diff != "" {
		t.Fatalf("approved (-want +got):\n%s", diff)
	}
	f.org.mayDelete[sid(5)] = true // user 0's, found by containment
	f.org.mayDelete[sid(100)] = true
	f.org.mayDelete[sid(101)] = true
	f.org.mayContain[uid(0)] = true
	// 101 ends before containment gets to it.
	f.org.itemErrors[sid(101)] = "ENTITY_IS_DELETED"

	// Without --contain a contain row is only removed.
	o := f.options(true)
	o.Max = 3
	f.org.inject("delete", fault{status: 403, code: "REQUEST_LIMIT_EXCEEDED"})
	rep, err := Run(context.Background(), o)
	if err != nil || rep.Stopped == nil || rep.Stopped.Code != "REQUEST_LIMIT_EXCEEDED" {
		t.Fatalf("err %v, stopped %v, want a REQUEST_LIMIT_EXCEEDED stop", err, rep.Stopped)
	}
	_ = rep

	o.Contain = true
	rep, err = Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Complete() {
		t.Errorf("not complete: %v %+v", outcomes(rep.Results), rep.Contain)
	}
	if !f.org.frozen[lid(0)] || f.org.resets[uid(0)] != 1 {
		t.Errorf("frozen %v, resets %d, want frozen and 1 reset", f.org.frozen[lid(0)], f.org.resets[uid(0)])
	}
	want := map[string]int{"removed/": 5, "already_ended/ENTITY_IS_DELETED": 1}
	if diff := cmp.Diff(want, outcomes(rep.Results)); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	// A rerun repeats no containment step.
	rep, err = Run(context.Background(), o)
	if err != nil || f.org.resets[uid(0)] != 1 {
		t.Errorf("rerun: err %v, resets %d, want 1", err, f.org.resets[uid(0)])
	}
	for _, s := range rep.Contain {
		if s.Step != opEndSessions && s.Detail != "in an earlier run" {
			t.Errorf("rerun step %+v, want done in an earlier run", s)
		}
	}
}

func TestFaults(t *testing.T) {
	tests := []struct {
		name   string
		creds  func(f *fixture) Credentials
		faults map[string][]fault
		setup  func(f *fixture, o *Options)
		want   map[string]int
		stop   string
	}{
		{name: "503 then success", faults: map[string][]fault{"delete": {{status: 503, code: "SERVER_UNAVAILABLE"}, {status: 500}}},
			want: map[string]int{"removed/": 4}},
		{name: "dropped connection after the org ended some", faults: map[string][]fault{"delete": {{process: 2, drop: true}}},
			want: map[string]int{"removed/": 2, "already_ended/ENTITY_IS_DELETED": 2}},
		{name: "slow answer", faults: map[string][]fault{"delete": {{delay: 300 * time.Millisecond}}},
			setup: func(f *fixture, o *Options) { o.Org.RequestTimeout = 100 * time.Millisecond },
			// The retry overtakes the slow request, which then finds nothing to end.
			want: map[string]int{"removed/": 4}},
		// The org failed the one batch at every attempt: its sessions
		// failed, to be sent again by the next run (two such requests in
		// a row stop the run: TestOrgDownStops).
		{name: "retries run out", faults: map[string][]fault{"delete": {{status: 503}, {status: 503}, {status: 503}}},
			setup: func(f *fixture, o *Options) { o.Org.MaxRetries = 2 },
			want:  map[string]int{"failed/": 4}},
		// A gateway answered for the org: the first delete may have ended
		// sessions (it ended two), so the four were sent without an
		// answer, not refused.
		{name: "gateway timeouts till retries run out", faults: map[string][]fault{"delete": {{process: 2, status: 504}, {status: 502}, {status: 504}}},
			setup: func(f *fixture, o *Options) { o.Org.MaxRetries = 2 },
			want:  map[string]int{"failed/NO_RESPONSE": 4}},
		// A redirect (a proxy, an instance URL that is not the org's) is
		// not followed and says so: its row had no error code at all.
		{name: "redirect", faults: map[string][]fault{"delete": {{status: 302}}},
			want: map[string]int{"failed/REDIRECT": 4}},
		{name: "per-item errors", setup: func(f *fixture, o *Options) {
			f.org.itemErrors[sid(0)] = "NOT_FOUND"
			f.org.itemErrors[sid(1)] = "INVALID_CROSS_REFERENCE_KEY"
			f.org.itemErrors[sid(2)] = "INSUFFICIENT_ACCESS"
		}, want: map[string]int{"removed/": 1, "already_ended/NOT_FOUND": 1, "already_ended/INVALID_CROSS_REFERENCE_KEY": 1, "failed/INSUFFICIENT_ACCESS": 1}},
		{name: "401 with a static token stops", setup: func(f *fixture, o *Options) { f.org.token = "rotated" },
			want: map[string]int{"skipped/INVALID_SESSION_ID": 4}, stop: "INVALID_SESSION_ID"},
		{name: "401 with client credentials logs in again", creds: func(f *fixture) Credentials {
			return ClientCredentials{ClientID: f.org.clientID, ClientSecret: NewSecret(f.org.clientSecret), InstanceURL: f.org.srv.URL}
		}, setup: func(f *fixture, o *Options) {
			// The token expires after the first query.
			f.org.inject("query", fault{then: func() { f.org.token = "expired" }})
		}, want: map[string]int{"removed/": 4}},
		// The org ended two before the connection dropped, then refused
		// the retry: the four were sent without an answer, not refused.
		{name: "dropped connection, then the request limit", faults: map[string][]fault{"delete": {{process: 2, drop: true}, {status: 403, code: "REQUEST_LIMIT_EXCEEDED"}}},
			want: map[string]int{"failed/NO_RESPONSE": 4}, stop: "REQUEST_LIMIT_EXCEEDED"},
		{name: "dropped connection, then a 400", faults: map[string][]fault{"delete": {{process: 2, drop: true}, {status: 400, code: "MALFORMED_QUERY"}}},
			want: map[string]int{"failed/NO_RESPONSE": 4}},
		{name: "403 request limit stops", faults: map[string][]fault{"delete": {{status: 403, code: "REQUEST_LIMIT_EXCEEDED"}}},
			want: map[string]int{"skipped/REQUEST_LIMIT_EXCEEDED": 4}, stop: "REQUEST_LIMIT_EXCEEDED"},
		{name: "429 without Retry-After stops", faults: map[string][]fault{"delete": {{status: 429}}},
			want: map[string]int{"skipped/REQUEST_LIMIT_EXCEEDED": 4}, stop: "REQUEST_LIMIT_EXCEEDED"},
		{name: "REQUEST_LIMIT_EXCEEDED under a 503 stops", faults: map[string][]fault{"delete": {{status: 503, code: "REQUEST_LIMIT_EXCEEDED"}}},
			want: map[string]int{"skipped/REQUEST_LIMIT_EXCEEDED": 4}, stop: "REQUEST_LIMIT_EXCEEDED"},
		{name: "API share", setup: func(f *fixture, o *Options) {
			f.org.used, f.org.limit = 49, 100 // the current-session query makes it 50 of 100
		}, want: map[string]int{"skipped/API_SHARE_LIMIT": 4}, stop: "API_SHARE_LIMIT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, rows(4))
			f.approve(nil)
			o := f.options(true)
			if tt.creds != nil {
				o.Org.Credentials = tt.creds(f)
			}
			for route, fs := range tt.faults {
				f.org.inject(route, fs...)
			}
			if tt.setup != nil {
				tt.setup(f, &o)
			}
			rep, err := Run(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, outcomes(rep.Results)); diff != "" {
				t.Errorf("outcomes (-want +got):\n%s", diff)
			}
			stop := stopCode(rep)
			if stop != tt.stop {
				t.Errorf("stopped %q, want %q", stop, tt.stop)
			}
			for id, n := range f.org.deleted {
				if n > 1 {
					t.Errorf("session %s deleted %d times", id, n)
				}
			}
			if tt.stop == "" {
				return
			}
			// The stop is resumable: with the fault gone the same command finishes.
			f.org.token, f.org.used = "00Dfake!AccessTokenSECRET-0", 0
			rep, err = Run(context.Background(), o)
			if err != nil || !rep.Complete() {
				t.Errorf("resume: err %v, outcomes %v", err, outcomes(rep.Results))
			}
			f.checkEndedOnce(sessionIDs(*rep.Approval))
		})
	}
}

// TestOrgDownStops has the org down (a 5xx to every attempt, or no answer)
// at each kind of request: the run stops (ORG_UNAVAILABLE), journalled as
// any stop, saying which request the org did not serve, and the same
// command resumes once the org is back. Before, the same outage on the
// first request (the lookup of the caller's own sessions) was an error
// (exit 1) with nothing journalled, and verify's likewise.
func TestOrgDownStops(t *testing.T) {
	five := func(f fault) []fault { return slices.Repeat([]fault{f}, 5) }
	tests := []struct {
		name       string
		login      bool // log in by client credentials, so that the token endpoint is asked
		contain    bool // the first row is approved for containing its user, and the run contains
		containTwo bool // both rows (users 0 and 1) are, and the run contains them
		rows       int  // rows in the list, 2 when 0
		route      string
		faults     []fault
		also       map[string][]fault // faults of other routes
		want       map[string]int     // outcomes
		message    string             // in the stop's message; "" for a run that is not stopped
	}{
		{name: "500 to the lookup of the caller's own sessions", route: "query", faults: five(fault{status: 500}),
			want:    map[string]int{"skipped/ORG_UNAVAILABLE": 2},
			message: "looking up the caller's own sessions: the org answered HTTP 500 to 5 attempts in a row (injected): it is down or failing: run again later"},
		// Extra drops: Go's transport sends a GET again by itself on a
		// connection closed without an answer.
		{name: "no answer to the lookup", route: "query", faults: slices.Repeat([]fault{{drop: true}}, 10),
			want:    map[string]int{"skipped/ORG_UNAVAILABLE": 2},
			message: "looking up the caller's own sessions: the org did not answer (GET /services/data/v66.0/query after 5 attempts"},
		// Not "HTTP 500 to 5 attempts in a row" when the first got no
		// answer at all.
		{name: "no answer, then 500s, to the lookup", route: "query",
			faults:  append([]fault{{drop: true}, {drop: true}}, slices.Repeat([]fault{{status: 500}}, 5)...),
			want:    map[string]int{"skipped/ORG_UNAVAILABLE": 2},
			message: "looking up the caller's own sessions: the org answered HTTP 500 to the last of 5 attempts (injected), 3 of them with a 5xx and the rest not at all: it is down"},
		// Every attempt answered with a 5xx, the first ones 503s with a
		// Retry-After short enough to wait.
		{name: "503s with a short wait, then a 500, to the lookup", route: "query",
			faults:  append(slices.Repeat([]fault{{status: 503, retryAfter: "1"}}, 4), fault{status: 500}),
			want:    map[string]int{"skipped/ORG_UNAVAILABLE": 2},
			message: "looking up the caller's own sessions: the org answered HTTP 500 to 5 attempts in a row (injected): it is down"},
		{name: "503 from the token endpoint", login: true, route: "token", faults: five(fault{status: 503}),
			want:    map[string]int{"skipped/ORG_UNAVAILABLE": 2},
			message: "logging in failed at every attempt (getting a token by client credentials from 127.0.0.1:"},
		// After the first request, the org down stops the run when it
		// served two requests in a row at no attempt: here two batches of
		// deletes (201 sessions).
		{name: "500 to every attempt of two batches of deletes", rows: 201, route: "delete",
			faults:  slices.Repeat([]fault{{status: 500, code: "UNKNOWN_EXCEPTION"}}, 10),
			want:    map[string]int{"failed/UNKNOWN_EXCEPTION": 201},
			message: "deleting sessions: the org answered HTTP 500 UNKNOWN_EXCEPTION to 5 attempts in a row (injected)"},
		// Two requests in a row of containment: each names its request.
		{name: "500 to every attempt of the freeze and of the password reset", contain: true, route: "freeze", faults: five(fault{status: 500}),
			also:    map[string][]fault{"password": five(fault{status: 500})},
			want:    map[string]int{"skipped/ORG_UNAVAILABLE": 2},
			message: "resetting the password of " + uid(0) + ": the org answered HTTP 500 to 5 attempts in a row: it is down"}, // its body unread
		{name: "500 to every attempt of the password reset and of the search for the user's sessions", contain: true, route: "password",
			faults:  five(fault{status: 500}),
			also:    map[string][]fault{"query AuthSession UsersId": five(fault{status: 500})},
			want:    map[string]int{"skipped/ORG_UNAVAILABLE": 2},
			message: "searching for the sessions of " + uid(0) + ": the org answered HTTP 500 to 5 attempts in a row (injected)"},
		// The search for user 0's sessions, then the lookup of user 1's
		// UserLogin (user 0's was answered).
		{name: "500 to every attempt of a search for sessions and of the next user's UserLogin lookup", containTwo: true,
			route: "query AuthSession UsersId", faults: five(fault{status: 500}),
			also:    map[string][]fault{"query UserLogin UserId": append([]fault{{}}, five(fault{status: 500})...)},
			want:    map[string]int{"skipped/ORG_UNAVAILABLE": 2},
			message: "looking up the UserLogin of " + uid(1) + ": the org answered HTTP 500 to 5 attempts in a row (injected)"},
		// Near misses: one request alone the org fails at every attempt
		// is recorded failed and the run goes on, since a fault of that
		// request's own would stop every later run at it.
		{name: "near miss: 500 to every attempt of one batch of deletes", rows: 201, route: "delete",
			faults: five(fault{status: 500, code: "UNKNOWN_EXCEPTION"}),
			want:   map[string]int{"failed/UNKNOWN_EXCEPTION": 200, "removed/": 1}},
		{name: "near miss: 500 to every password reset", contain: true, route: "password", faults: five(fault{status: 500}),
			want: map[string]int{"removed/": 2}},
		// Not in a row: the batch between them was served.
		{name: "near miss: 500 to every attempt of two batches of deletes, a batch served between them", rows: 401, route: "delete",
			faults: append(append(five(fault{status: 500, code: "UNKNOWN_EXCEPTION"}), fault{}), five(fault{status: 500, code: "UNKNOWN_EXCEPTION"})...),
			want:   map[string]int{"failed/UNKNOWN_EXCEPTION": 201, "removed/": 200}},
		// A batch the org refused (an answer, if a failure), then one it
		// served no attempt of.
		{name: "near miss: a batch of deletes refused, then 500 to every attempt of the next", rows: 201, route: "delete",
			faults: append([]fault{{status: 400, code: "MALFORMED_ID"}}, five(fault{status: 500, code: "UNKNOWN_EXCEPTION"})...),
			want:   map[string]int{"failed/MALFORMED_ID": 200, "failed/UNKNOWN_EXCEPTION": 1}},
		{name: "verify: 500 to its query", route: "verify", faults: five(fault{status: 500}),
			message: "querying the sessions: the org answered HTTP 500 to 5 attempts in a row (injected)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f *fixture
			var o Options
			switch {
			case tt.contain:
				f, o = containOneFixture(t)
			case tt.containTwo:
				rs := rows(2)
				rs[0].approve, rs[1].approve = "contain", "contain"
				f = newFixture(t, rs)
				for i := range 2 {
					f.org.userLogins[uid(i)] = lid(i)
					f.org.mayContain[uid(i)] = true
				}
				f.approve(nil)
				o = f.options(true)
				o.Contain = true
			default:
				f = newFixture(t, rows(max(tt.rows, 2)))
				f.approve(nil)
				o = f.options(true)
			}
			if tt.login {
				o.Org.Credentials = ClientCredentials{ClientID: f.org.clientID, ClientSecret: NewSecret(f.org.clientSecret), InstanceURL: f.org.srv.URL}
			}
			if tt.route == "verify" {
				f.org.inject("query", tt.faults...)
				_, err := Verify(context.Background(), VerifyOptions{Removals: f.list, Org: o.Org})
				var stop *StopError
				if !errors.As(err, &stop) || stop.Code != "ORG_UNAVAILABLE" || !strings.Contains(stop.Message, tt.message) {
					t.Errorf("verify: %v; want a stop ORG_UNAVAILABLE saying %q", err, tt.message)
				}
				// Verify has nothing to resume: it is only run again.
				if stop != nil && (!strings.HasSuffix(stop.Message, ": run again later") || strings.Contains(stop.Message, "resume")) {
					t.Errorf("verify's stop says %q; want it to end ': run again later', resuming nothing", stop.Message)
				}
				return
			}
			f.org.inject(tt.route, tt.faults...)
			for route, faults := range tt.also {
				f.org.inject(route, faults...)
			}
			rep, err := Run(context.Background(), o)
			if err != nil {
				t.Fatalf("%v; want a stop", err)
			}
			if tt.message == "" {
				if rep.Stopped != nil {
					t.Errorf("stopped %+v, want the run to go on", rep.Stopped)
				}
				if diff := cmp.Diff(tt.want, outcomes(rep.Results)); diff != "" {
					t.Errorf("outcomes (-want +got):\n%s", diff)
				}
				return
			}
			if rep.Stopped == nil || rep.Stopped.Code != "ORG_UNAVAILABLE" || !strings.Contains(rep.Stopped.Message, tt.message) {
				t.Errorf("stopped %+v, want ORG_UNAVAILABLE saying %q", rep.Stopped, tt.message)
			}
			if diff := cmp.Diff(tt.want, outcomes(rep.Results)); diff != "" {
				t.Errorf("outcomes (-want +got):\n%s", diff)
			}
			recs, err := readJournalFile(JournalPath(f.list))
			if err != nil || len(recs) == 0 || recs[len(recs)-1].Kind != "stop" || recs[len(recs)-1].Code != "ORG_UNAVAILABLE" {
				t.Errorf("journal %+v (%v), want it to end with the stop", recs, err)
			}
			if strings.Contains(rep.Stopped.Message, "SECRET") {
				t.Errorf("the stop quotes a secret: %s", rep.Stopped.Message)
			}
			// The org is back: the same command finishes.
			f.org.faults = map[string][]fault{}
			rep, err = Run(context.Background(), o)
			if err != nil || !rep.Complete() {
				t.Errorf("resume: err %v, outcomes %v", err, outcomes(rep.Results))
			}
			f.checkEndedOnce(sessionIDs(*rep.Approval))
		})
	}
}

func TestBackoffGrowsWithJitterAndCap(t *testing.T) {
	for attempt, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 30 * time.Second, 30 * time.Second} {
		seen := map[time.Duration]bool{}
		for i := 0; i < 50; i++ {
			d := backoff(attempt)
			if d < want/2 || d > want {
				t.Fatalf("backoff(%d) = %s, want within [%s, %s]", attempt, d, want/2, want)
			}
			seen[d] = true
		}
		if len(seen) < 2 {
			t.Errorf("backoff(%d) has no jitter", attempt)
		}
	}
}

// TestWholeDeleteRefusedAsGone has the org refuse a collections delete as a
// whole with a code that means "already ended", which does not say which
// session it means.
func TestWholeDeleteRefusedAsGone(t *testing.T) {
	tests := []struct {
		name   string
		n      int   // sessions in the list
		gone   []int // sessions the org no longer holds
		refuse fault
		want   map[string]int
		rerun  map[string]int // after a second run, which sends what is left
	}{
		{name: "one session, 404 ENTITY_IS_DELETED", n: 1, gone: []int{0},
			refuse: fault{status: 404, code: "ENTITY_IS_DELETED"},
			want:   map[string]int{"already_ended/ENTITY_IS_DELETED": 1}},
		{name: "one session, 400 INVALID_CROSS_REFERENCE_KEY", n: 1, gone: []int{0},
			refuse: fault{status: 400, code: "INVALID_CROSS_REFERENCE_KEY"},
			want:   map[string]int{"already_ended/INVALID_CROSS_REFERENCE_KEY": 1}},
		{name: "four sessions, three gone", n: 4, gone: []int{0, 1, 2},
			refuse: fault{status: 404, code: "NOT_FOUND"},
			want:   map[string]int{"already_ended/NOT_FOUND": 3, "failed/NOT_FOUND": 1},
			rerun:  map[string]int{"already_ended/NOT_FOUND": 3, "removed/": 1}},
		// A near miss: a refusal that does not mean "gone" fails every session.
		{name: "four sessions, 400 MALFORMED_ID", n: 4, gone: []int{0},
			refuse: fault{status: 400, code: "MALFORMED_ID"},
			want:   map[string]int{"failed/MALFORMED_ID": 4},
			rerun:  map[string]int{"already_ended/ENTITY_IS_DELETED": 1, "removed/": 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, rows(tt.n))
			f.approve(nil)
			for _, i := range tt.gone {
				delete(f.org.sessions, sid(i))
			}
			f.org.inject("delete", tt.refuse)
			rep, err := Run(context.Background(), f.options(true))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, outcomes(rep.Results)); diff != "" {
				t.Errorf("outcomes (-want +got):\n%s", diff)
			}
			var ended []string
			for _, res := range rep.Results {
				if res.Outcome == OutcomeAlreadyEnded {
					ended = append(ended, res.SessionID)
				}
			}
			before := f.org.writeCount()
			rep, err = Run(context.Background(), f.options(true))
			if err != nil || !rep.Complete() {
				t.Fatalf("rerun: err %v, outcomes %v", err, outcomes(rep.Results))
			}
			if tt.rerun == nil {
				// Everything ended in the first run: the second sends nothing.
				if n := f.org.writeCount() - before; n != 0 {
					t.Errorf("rerun sent %d writes, want 0", n)
				}
				return
			}
			if diff := cmp.Diff(tt.rerun, outcomes(rep.Results)); diff != "" {
				t.Errorf("rerun outcomes (-want +got):\n%s", diff)
			}
			f.org.mu.Lock()
			defer f.org.mu.Unlock()
			for _, id := range ended {
				if n := f.org.sent[id]; n != 0 {
					t.Errorf("session %s, recorded as already ended, sent again %d times", id, n)
				}
			}
		})
	}
}

// TestRetryAfter checks that a short Retry-After on a 429 or 503 is waited
// out and the request sent again, and that one the run cannot wait out
// stops it, resumably, without waiting.
func TestRetryAfter(t *testing.T) {
	tests := []struct {
		name     string
		refuse   fault
		times    int           // how many requests in a row get refuse; 0 means 1
		deadline time.Duration // for the run's context; 0 means none
		waited   []time.Duration
		stop     string
		message  string // in the stop's message
	}{
		{name: "429, 5 s", refuse: fault{status: 429, code: "REQUEST_LIMIT_EXCEEDED", retryAfter: "5"},
			waited: []time.Duration{5 * time.Second}},
		{name: "503, 60 s", refuse: fault{status: 503, retryAfter: "60"},
			waited: []time.Duration{time.Minute}},
		{name: "429, 61 s", refuse: fault{status: 429, retryAfter: "61"}, stop: "REQUEST_LIMIT_EXCEEDED"},
		{name: "429, an hour: the stop says an hour", refuse: fault{status: 429, retryAfter: "3600"}, stop: "REQUEST_LIMIT_EXCEEDED",
			message: "the org asked to wait 1h0m0s"},
		{name: "503, 61 s", refuse: fault{status: 503, retryAfter: "61"}, stop: "SERVER_UNAVAILABLE"},
		{name: "429, 30 s past the deadline", refuse: fault{status: 429, retryAfter: "30"}, deadline: 10 * time.Second,
			stop: "REQUEST_LIMIT_EXCEEDED"},
		{name: "429, 5 s before the deadline", refuse: fault{status: 429, retryAfter: "5"}, deadline: 10 * time.Second,
			waited: []time.Duration{5 * time.Second}},
		// Waited out each time, until the retries ran out: the stop says
		// so, not that the org asked for a wait too long to wait out.
		{name: "503, 5 s, every time", refuse: fault{status: 503, retryAfter: "5"}, times: 5,
			waited: []time.Duration{5 * time.Second, 5 * time.Second, 5 * time.Second, 5 * time.Second}, stop: "SERVER_UNAVAILABLE",
			message: "answered HTTP 503 to 5 attempts in a row, each time asking to wait 5s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, rows(4))
			f.approve(nil)
			for i := 0; i < max(tt.times, 1); i++ {
				f.org.inject("delete", tt.refuse)
			}
			o := f.options(true)
			var waited []time.Duration
			o.Org.Sleep = func(ctx context.Context, d time.Duration) error {
				waited = append(waited, d)
				return ctx.Err()
			}
			ctx := context.Background()
			if tt.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.deadline)
				defer cancel()
			}
			rep, err := Run(ctx, o)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.waited, waited); diff != "" {
				t.Errorf("waits (-want +got):\n%s", diff)
			}
			stop := stopCode(rep)
			if stop != tt.stop {
				t.Errorf("stopped %q, want %q", stop, tt.stop)
			}
			if tt.message != "" && (rep.Stopped == nil || !strings.Contains(rep.Stopped.Message, tt.message)) {
				t.Errorf("stop %+v, want a message saying %q", rep.Stopped, tt.message)
			}
			if tt.stop == "" && !rep.Complete() {
				t.Errorf("not complete: %v", outcomes(rep.Results))
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	tests := []struct {
		h    string
		want time.Duration
		ok   bool
	}{
		{"5", 5 * time.Second, true},
		{"0", 0, true},
		{"60", 60 * time.Second, true},
		{"61", 61 * time.Second, true},
		{"3600", time.Hour, true}, // past the longest wait, but a stop says what the org asked
		{"9300000000", math.MaxInt64 / time.Second * time.Second, true},  // the longest Duration: never a wrapped short one
		{"18446744074", math.MaxInt64 / time.Second * time.Second, true}, // would wrap to 290ms unbounded
		{"99999999999999999999999", 0, false},                            // not an int64
		{"Thu, 26 Nov 2026 09:00:30 GMT", 30 * time.Second, true},
		{"Thu, 26 Nov 2026 08:59:00 GMT", 0, true}, // already past
		{"", 0, false},
		{"-1", 0, false},
		{"5s", 0, false},
		{"2026-11-26T09:00:30Z", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseRetryAfter(tt.h, t0)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseRetryAfter(%q) = %s, %v, want %s, %v", tt.h, got, ok, tt.want, tt.ok)
		}
	}
}

// TestFinishedListNeedsNoOrg reruns a list after the token has expired: a
// list with nothing left to send completes without asking the org, and one
// with a failed session still asks it.
func TestFinishedListNeedsNoOrg(t *testing.T) {
	tests := []struct {
		name     string
		failed   bool // the first run leaves a session failed
		noCreds  bool // the rerun has no credentials at all
		complete bool
		stop     string
		err      error
	}{
		{name: "everything ended", complete: true},
		{name: "everything ended, no credentials", noCreds: true, complete: true},
		{name: "one session failed", failed: true, stop: "INVALID_SESSION_ID"},
		{name: "one session failed, no credentials", failed: true, noCreds: true, err: ErrNoCredentials},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, o := ranOnce(t, tt.failed)
			mustWrite(t, ResultsPath(f.list), "stale")
			f.org.token = "rotated" // o's token has expired
			if tt.noCreds {
				o.Org.Credentials = nil
			}
			before := f.org.requests
			rep, err := Run(context.Background(), o)
			if tt.err != nil {
				if !errors.Is(err, tt.err) || f.org.requests > before {
					t.Errorf("got %v, asked the org %v; want %v without asking", err, f.org.requests > before, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			stop := stopCode(rep)
			if rep.Complete() != tt.complete || stop != tt.stop {
				t.Errorf("complete %v, stopped %q; want %v, %q", rep.Complete(), stop, tt.complete, tt.stop)
			}
			asked := f.org.requests > before
			if asked != !tt.complete {
				t.Errorf("asked the org: %v, want %v", asked, !tt.complete)
			}
			if got := mustRead(t, ResultsPath(f.list)); !strings.HasPrefix(got, "session_id,") {
				t.Errorf("results file not rewritten: %q", got)
			}
		})
	}
}

// ranOnce approves a list of three sessions and applies it once; with
// failed, the org refuses to end the second, which stays to be sent.
func ranOnce(t *testing.T, failed bool) (*fixture, Options) {
	t.Helper()
	f := newFixture(t, rows(3))
	f.approve(nil)
	if failed {
		f.org.itemErrors[sid(1)] = "INSUFFICIENT_ACCESS"
	}
	o := f.options(true)
	if _, err := Run(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	return f, o
}

// An expired approval sends nothing more, but a rerun of a list it saw
// through finishes (exit 0) without asking the org; with a session left to
// end, the expired approval is refused.
func TestFinishedListAfterApprovalExpired(t *testing.T) {
	for _, tt := range []struct {
		name   string
		failed bool
	}{{"everything ended", false}, {"one session left", true}} {
		t.Run(tt.name, func(t *testing.T) {
			f, o := ranOnce(t, tt.failed)
			o.Now = func() time.Time { return t0.Add(48 * time.Hour) } // past the approval's expiry
			before := f.org.requests
			rep, err := Run(context.Background(), o)
			var refusal *RefusalError
			if tt.failed {
				if !errors.As(err, &refusal) || !refusal.Expired {
					t.Fatalf("err %v, want the expired approval refused", err)
				}
			} else if err != nil || !rep.Complete() {
				t.Fatalf("err %v, complete %v; want a complete run", err, rep.Complete())
			}
			if f.org.requests != before {
				t.Errorf("sent %d requests, want none", f.org.requests-before)
			}
		})
	}
}

// A row without a username may be a user's that protected_users names by
// username: it is skipped as protected. Protection by Id alone needs no
// name, so the same row is removed. Likewise a row without a user Id (a list
// edited by hand) may be a user's that protected_users names by Id, and
// protection by username alone needs no Id.
func TestProtectedByNameSkipsRowsWithoutUsername(t *testing.T) {
	for _, c := range []struct {
		name      string
		protected []string
		noID      bool // the second row lacks its user Id rather than its username
		want      map[string]int
	}{
		{"protected by username", []string{"admin@example.com"}, false, map[string]int{"removed/": 1, "skipped/PROTECTED_USER": 1}},
		{"protected by Id only", []string{uid(4)}, false, map[string]int{"removed/": 2}},
		{"no user Id, protected by Id", []string{uid(4)}, true, map[string]int{"removed/": 1, "skipped/PROTECTED_USER": 1}},
		{"no user Id, protected by username only", []string{"admin@example.com"}, true, map[string]int{"removed/": 2}},
	} {
		t.Run(c.name, func(t *testing.T) {
			rs := rows(2)
			if c.noID {
				rs[1].user = ""
			} else {
				rs[1].username = ""
			}
			f := newFixture(t, rs)
			f.approve(nil)
			o := f.options(true)
			o.Protected = c.protected
			rep, err := Run(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.want, outcomes(rep.Results)); diff != "" {
				t.Errorf("outcomes (-want +got):\n%s", diff)
			}
			if !rep.Complete() {
				t.Error("a guard-rail skip should leave the run complete")
			}
		})
	}
}

// TestContainmentResumes stops or fails a run before it has ended every
// session that containing a user found. A rerun with --contain sends those
// left, each at most once more, and is then complete; the near misses send
// nothing.
func TestContainmentResumes(t *testing.T) {
	limit := func(f *fixture, _ context.CancelFunc) {
		// The approved batch goes through; the containment batch is refused.
		f.org.inject("delete", fault{}, fault{status: 403, code: "REQUEST_LIMIT_EXCEEDED"})
	}
	stopped := map[string]int{"removed/": 2, "skipped/REQUEST_LIMIT_EXCEEDED": 2}
	tests := []struct {
		name    string
		first   func(f *fixture, cancel context.CancelFunc) // faults for the first run
		atFirst map[string]int                              // outcomes after the first run
		rerun   func(f *fixture, o *Options)                // what changes before the rerun
		left    int                                         // sessions containment left, as the rerun finds them
		// protectedLeft counts those of a user the rerun protects.
		protectedLeft int
		want          map[string]int // outcomes after the rerun
		sends         int            // write requests of the rerun
		complete      bool
		kept          []string // sessions a complete rerun leaves in the org (a guard rail's)
	}{
		{name: "request limit on the containment batch", first: limit, atFirst: stopped,
			left: 2, want: map[string]int{"removed/": 4}, sends: 1, complete: true},
		{name: "killed after the org ended one of the containment batch",
			first: func(f *fixture, cancel context.CancelFunc) {
				f.org.inject("delete", fault{}, fault{process: 1, drop: true, then: cancel})
			},
			atFirst: map[string]int{"removed/": 2, "failed/NO_RESPONSE": 2},
			left:    2,
			want:    map[string]int{"removed/": 3, "already_ended/ENTITY_IS_DELETED": 1}, sends: 1, complete: true},
		{name: "a session found by containment failed",
			first:   func(f *fixture, _ context.CancelFunc) { f.org.itemErrors[sid(101)] = "INSUFFICIENT_ACCESS" },
			atFirst: map[string]int{"removed/": 3, "failed/INSUFFICIENT_ACCESS": 1},
			rerun:   func(f *fixture, o *Options) { delete(f.org.itemErrors, sid(101)) },
			left:    1,
			want:    map[string]int{"removed/": 4}, sends: 1, complete: true},
		{name: "request limit on the approved batch, then a found session expires",
			first: func(f *fixture, _ context.CancelFunc) {
				f.org.inject("delete", fault{status: 403, code: "REQUEST_LIMIT_EXCEEDED"})
			},
			atFirst: map[string]int{"skipped/REQUEST_LIMIT_EXCEEDED": 4},
			// The second containment no longer finds 101: only the journal knows it.
			rerun: func(f *fixture, o *Options) { delete(f.org.sessions, sid(101)) },
			left:  2,
			want:  map[string]int{"removed/": 3, "already_ended/ENTITY_IS_DELETED": 1}, sends: 2, complete: true},
		// Near misses: nothing is left, or this run may not contain the user.
		{name: "containment finished", atFirst: map[string]int{"removed/": 4},
			want: map[string]int{"removed/": 4}, complete: true},
		{name: "rerun without --contain", first: limit, atFirst: stopped,
			rerun: func(f *fixture, o *Options) { o.Contain = false },
			left:  2, want: stopped},
		{name: "user protected since: left alone, and the list is done", first: limit, atFirst: stopped,
			rerun:         func(f *fixture, o *Options) { o.Protected = []string{uid(0)} },
			protectedLeft: 2, want: map[string]int{"removed/": 2, "skipped/PROTECTED_USER": 2}, complete: true,
			kept: []string{sid(100), sid(101)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := rows(2)
			rs[0].approve, rs[1].approve = "contain", "yes"
			f, o := containFixture(t, rs)

			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.first != nil {
				tt.first(f, cancel)
			}
			rep, err := Run(ctx, o)
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.atFirst, outcomes(rep.Results)); diff != "" {
				t.Fatalf("first run outcomes (-want +got):\n%s", diff)
			}

			if tt.rerun != nil {
				tt.rerun(f, &o)
			}
			before := f.org.writeCount()
			rep, err = Run(context.Background(), o)
			if err != nil {
				t.Fatalf("rerun: %v", err)
			}
			if rep.Left != tt.left || rep.LeftProtected != tt.protectedLeft {
				t.Errorf("rerun found %d sessions left by containment and %d of a protected user, want %d and %d",
					rep.Left, rep.LeftProtected, tt.left, tt.protectedLeft)
			}
			var plan strings.Builder
			rep.WritePlan(&plan)
			if got := strings.Contains(plan.String(), "--execute --contain sends"); got != (tt.left > 0) {
				t.Errorf("the plan offers to send leftovers again: %v, want %v:\n%s", got, tt.left > 0, plan.String())
			}
			if tt.left == 1 && !strings.Contains(plan.String(), "1 session that containment found in an earlier run has not ended: --execute --contain sends it again.") {
				t.Errorf("the plan does not speak of its one leftover in the singular:\n%s", plan.String())
			}
			if got := strings.Contains(plan.String(), "protected now"); got != (tt.protectedLeft > 0) {
				t.Errorf("the plan says the leftovers' user is protected: %v, want %v:\n%s", got, tt.protectedLeft > 0, plan.String())
			}
			if diff := cmp.Diff(tt.want, outcomes(rep.Results)); diff != "" {
				t.Errorf("rerun outcomes (-want +got):\n%s", diff)
			}
			if rep.Complete() != tt.complete {
				t.Errorf("rerun complete %v, want %v (stopped %q)", rep.Complete(), tt.complete, stopCode(rep))
			}
			if n := f.org.writeCount() - before; n != tt.sends {
				t.Errorf("rerun sent %d write requests, want %d", n, tt.sends)
			}
			for _, res := range rep.Results {
				if (res.SessionID == sid(100) || res.SessionID == sid(101)) && res.UserID != uid(0) {
					t.Errorf("result %s has user %q, want %s", res.SessionID, res.UserID, uid(0))
				}
			}
			f.org.mu.Lock()
			defer f.org.mu.Unlock()
			for id, n := range f.org.deleted {
				if n > 1 {
					t.Errorf("session %s deleted %d times", id, n)
				}
			}
			if f.org.resets[uid(0)] != 1 || !f.org.frozen[lid(0)] {
				t.Errorf("resets %d, frozen %v; want 1, true", f.org.resets[uid(0)], f.org.frozen[lid(0)])
			}
			if !tt.complete {
				return
			}
			for _, id := range []string{sid(0), sid(1), sid(100), sid(101)} {
				if _, ok := f.org.sessions[id]; ok != slices.Contains(tt.kept, id) {
					t.Errorf("session %s in the org: %v, want %v", id, ok, !ok)
				}
			}
		})
	}
}

// A containment step that failed, or never ran, while every session ended is
// still owed: a rerun with --contain sends exactly the steps without a done
// result, and never one that succeeded.
func TestContainmentStepsRetried(t *testing.T) {
	ended := map[string]int{"removed/": 2}
	tests := []struct {
		name      string
		first     func(f *fixture, o *Options) // faults for the first run
		firstDone bool                         // the first run is complete
		rerun     func(f *fixture, o *Options) // what changes before the rerun
		steps     map[string]string            // the rerun's containment steps: step → outcome
		sends     int                          // write requests of the rerun
		complete  bool
		frozen    bool
		resets    int
	}{
		{name: "freeze failed",
			first: func(f *fixture, _ *Options) {
				f.org.inject("freeze", fault{status: 400, code: "FIELD_INTEGRITY_EXCEPTION"})
			},
			steps: map[string]string{opFreezeUser: outcomeDone, opResetPassword: outcomeDone, opEndSessions: outcomeDone},
			sends: 1, complete: true, frozen: true, resets: 1},
		{name: "password reset failed",
			first: func(f *fixture, _ *Options) {
				f.org.inject("password", fault{status: 403, code: "INSUFFICIENT_ACCESS_OR_READONLY"})
			},
			steps: map[string]string{opFreezeUser: outcomeDone, opResetPassword: outcomeDone, opEndSessions: outcomeDone},
			sends: 1, complete: true, frozen: true, resets: 1},
		{name: "both failed",
			first: func(f *fixture, _ *Options) {
				f.org.inject("freeze", fault{status: 400, code: "FIELD_INTEGRITY_EXCEPTION"})
				f.org.inject("password", fault{status: 400, code: "INVALID_OPERATION"})
			},
			steps: map[string]string{opFreezeUser: outcomeDone, opResetPassword: outcomeDone, opEndSessions: outcomeDone},
			sends: 2, complete: true, frozen: true, resets: 1},
		{name: "freeze fails again",
			first: func(f *fixture, _ *Options) {
				f.org.inject("freeze", fault{status: 400, code: "FIELD_INTEGRITY_EXCEPTION"})
			},
			rerun: func(f *fixture, _ *Options) {
				f.org.inject("freeze", fault{status: 400, code: "FIELD_INTEGRITY_EXCEPTION"})
			},
			steps: map[string]string{opFreezeUser: OutcomeFailed, opResetPassword: outcomeDone, opEndSessions: outcomeDone},
			sends: 1, resets: 1},
		// The analyst approved containing the user: a run without --contain
		// that ends every session has not done what was approved.
		{name: "first run without --contain ended every session, and is not complete",
			first:     func(f *fixture, o *Options) { o.Contain = false },
			firstDone: false,
			rerun:     func(f *fixture, o *Options) { o.Contain = true },
			steps:     map[string]string{opFreezeUser: outcomeDone, opResetPassword: outcomeDone, opEndSessions: outcomeDone},
			sends:     2, complete: true, frozen: true, resets: 1},
		// Near misses: nothing is owed, or this run may not contain the user.
		{name: "containment finished", firstDone: true,
			sends: 0, complete: true, frozen: true, resets: 1},
		{name: "rerun without --contain",
			first: func(f *fixture, _ *Options) {
				f.org.inject("freeze", fault{status: 400, code: "FIELD_INTEGRITY_EXCEPTION"})
			},
			rerun: func(f *fixture, o *Options) { o.Contain = false },
			steps: map[string]string{opFreezeUser: OutcomeFailed},
			sends: 0, resets: 1},
		{name: "user protected since",
			first: func(f *fixture, _ *Options) {
				f.org.inject("freeze", fault{status: 400, code: "FIELD_INTEGRITY_EXCEPTION"})
			},
			rerun: func(f *fixture, o *Options) { o.Protected = []string{uid(0)} },
			sends: 0, complete: true, resets: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, o := containOneFixture(t)
			if tt.first != nil {
				tt.first(f, &o)
			}
			rep, err := Run(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(ended, outcomes(rep.Results)); diff != "" {
				t.Fatalf("first run outcomes (-want +got):\n%s", diff)
			}
			if rep.Complete() != tt.firstDone {
				t.Fatalf("first run complete %v, want %v: %+v", rep.Complete(), tt.firstDone, rep.Contain)
			}

			o.Contain = true
			if tt.rerun != nil {
				tt.rerun(f, &o)
			}
			before := f.org.writeCount()
			dry := o
			dry.Execute = false
			if rep, err := Run(context.Background(), dry); err != nil || (len(rep.Recontain) > 0) != (tt.sends > 0) {
				t.Errorf("dry rerun: err %v, contains again %v, want %v", err, rep.Recontain, tt.sends > 0)
			}
			rep, err = Run(context.Background(), o)
			if err != nil {
				t.Fatalf("rerun: %v", err)
			}
			if diff := cmp.Diff(ended, outcomes(rep.Results)); diff != "" {
				t.Errorf("rerun outcomes (-want +got):\n%s", diff)
			}
			steps := map[string]string{}
			for _, s := range rep.Contain {
				if s.UserID != uid(0) {
					t.Errorf("rerun step %+v names another user", s)
				}
				steps[s.Step] = s.Outcome
			}
			if tt.steps == nil {
				tt.steps = map[string]string{}
			}
			if diff := cmp.Diff(tt.steps, steps); diff != "" {
				t.Errorf("rerun containment steps (-want +got):\n%s", diff)
			}
			if rep.Complete() != tt.complete {
				t.Errorf("rerun complete %v, want %v: %+v", rep.Complete(), tt.complete, rep.Contain)
			}
			if n := f.org.writeCount() - before; n != tt.sends {
				t.Errorf("rerun sent %d write requests, want %d", n, tt.sends)
			}
			f.org.mu.Lock()
			defer f.org.mu.Unlock()
			if f.org.resets[uid(0)] != tt.resets || f.org.frozen[lid(0)] != tt.frozen {
				t.Errorf("resets %d, frozen %v; want %d, %v", f.org.resets[uid(0)], f.org.frozen[lid(0)], tt.resets, tt.frozen)
			}
		})
	}
}

// TestStoppedContainmentStepIsNamed stops a run on a freeze or a password
// reset (the org answered 429, or 503 at every attempt): the plan that
// follows says the step was stopped and what the org answered. Before, the
// step's intent was left without a result, and the plan said "failed
// (NO_RESPONSE in an earlier run)", as if the org had not answered. A step
// one of whose attempts did go unanswered keeps NO_RESPONSE.
func TestStoppedContainmentStepIsNamed(t *testing.T) {
	// untrustedAt has the handshake fail on the requests match picks, as a
	// proxy intercepting TLS would.
	untrustedAt := func(match func(r *http.Request) bool) func(f *fixture, o *Options) {
		return func(f *fixture, o *Options) {
			trusted := f.org.srv.Client().Transport
			o.Org.HTTPClient = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				if match(r) {
					return nil, &url.Error{Op: r.Method, URL: r.URL.String(), Err: &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}}
				}
				return trusted.RoundTrip(r)
			})}
		}
	}
	tests := []struct {
		name   string
		setup  func(f *fixture, o *Options) // the org's and the runs' options, before the first run
		route  string
		faults []fault
		stop   string // the first run's stop, or UNTRUSTED_CERTIFICATE for its *CertificateError
		step   string
		detail string // the plan's detail for the step
	}{
		// A rejected token answered with a status: the plan names it.
		{name: "401 to the freeze", route: "freeze", faults: []fault{{status: 401, code: "INVALID_SESSION_ID"}},
			stop: "INVALID_SESSION_ID", step: opFreezeUser,
			detail: "stopped: the org answered HTTP 401 (INVALID_SESSION_ID) in an earlier run: add --contain to send it again"},
		{name: "401 to the freeze, and the fresh login refused",
			setup: func(f *fixture, o *Options) {
				o.Org.Credentials = ClientCredentials{ClientID: f.org.clientID, ClientSecret: NewSecret(f.org.clientSecret), InstanceURL: f.org.srv.URL}
				f.org.inject("token", fault{}, fault{status: 400, code: "invalid_grant"}) // the first login works
			},
			route: "freeze", faults: []fault{{status: 401, code: "INVALID_SESSION_ID"}},
			stop: "LOGIN_FAILED", step: opFreezeUser,
			detail: "stopped: the org answered HTTP 401 (LOGIN_FAILED) in an earlier run: add --contain to send it again"},
		// The API share stops the run before the freeze is sent: no status.
		// The caller's lookup, the UserLogin's, then the freeze.
		{name: "the API share before the freeze",
			setup: func(f *fixture, o *Options) { f.org.used, f.org.limit = 48, 100 },
			stop:  "API_SHARE_LIMIT", step: opFreezeUser,
			detail: "stopped (API_SHARE_LIMIT) before it was sent in an earlier run: add --contain to send it again"},
		// An untrusted certificate ends the run at once (exit 2), the step
		// journalled failed, as nothing was sent, and the deletes left
		// skipped with its code.
		{name: "untrusted certificate at the lookup of the user's UserLogin",
			setup: untrustedAt(func(r *http.Request) bool { return strings.Contains(r.URL.Query().Get("q"), "FROM UserLogin") }),
			stop:  certificateCode, step: opFreezeUser,
			detail: "UNTRUSTED_CERTIFICATE in an earlier run: add --contain to send it again"},
		{name: "untrusted certificate at the password reset",
			setup: untrustedAt(func(r *http.Request) bool {
				return rePassword.MatchString(strings.TrimPrefix(r.URL.Path, "/services/data/v66.0"))
			}),
			stop: certificateCode, step: opResetPassword,
			detail: "UNTRUSTED_CERTIFICATE in an earlier run: add --contain to send it again"},
		{name: "503 to every password reset", route: "password", faults: slices.Repeat([]fault{{status: 503, retryAfter: "1"}}, 5),
			stop: "SERVER_UNAVAILABLE", step: opResetPassword,
			detail: "stopped: the org answered HTTP 503 (SERVER_UNAVAILABLE) in an earlier run: add --contain to send it again"},
		{name: "429 to the freeze", route: "freeze", faults: []fault{{status: 429}},
			stop: "REQUEST_LIMIT_EXCEEDED", step: opFreezeUser,
			detail: "stopped: the org answered HTTP 429 (REQUEST_LIMIT_EXCEEDED) in an earlier run: add --contain to send it again"},
		{name: "no answer, then a wait too long", route: "password", faults: []fault{{drop: true}, {status: 503, retryAfter: "3600"}},
			stop: "SERVER_UNAVAILABLE", step: opResetPassword,
			detail: "NO_RESPONSE in an earlier run: add --contain to send it again"},
		// A stop at a query of the step's own: the freeze's lookup of the
		// user's UserLogin, the search for their sessions. Before, nothing
		// was journalled, and the plan said the steps were "not sent
		// (approved for containment: add --contain to send it)", as if no
		// run with --contain had been.
		{name: "429 to the lookup of the user's UserLogin", route: "query UserLogin UserId", faults: []fault{{status: 429}},
			stop: "REQUEST_LIMIT_EXCEEDED", step: opFreezeUser,
			detail: "stopped: the org answered HTTP 429 (REQUEST_LIMIT_EXCEEDED) in an earlier run: add --contain to send it again"},
		{name: "429 to the search for the user's sessions", route: "query AuthSession UsersId", faults: []fault{{status: 429}},
			stop: "REQUEST_LIMIT_EXCEEDED", step: opEndSessions,
			detail: "stopped: the org answered HTTP 429 (REQUEST_LIMIT_EXCEEDED) in an earlier run: add --contain to send it again"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, o := containOneFixture(t)
			if tt.setup != nil {
				tt.setup(f, &o)
			}
			f.org.inject(tt.route, tt.faults...)
			rep, err := Run(context.Background(), o)
			var untrusted *CertificateError
			switch {
			case tt.stop == certificateCode:
				recs, jerr := readJournalFile(JournalPath(f.list))
				if !errors.As(err, &untrusted) || jerr != nil || len(recs) == 0 || recs[len(recs)-1].Kind != "stop" || recs[len(recs)-1].Code != certificateCode {
					t.Fatalf("first run: err %v, journal %+v (%v); want a CertificateError, journalled as the stop %s", err, recs, jerr, certificateCode)
				}
				if diff := cmp.Diff(map[string]int{"skipped/" + certificateCode: 2}, outcomes(rep.Results)); diff != "" {
					t.Errorf("first run's outcomes (-want +got):\n%s", diff)
				}
			case err != nil || stopCode(rep) != tt.stop:
				t.Fatalf("first run: err %v, stopped %q; want a stop %s", err, stopCode(rep), tt.stop)
			}
			// The org trusted and its use low again, as newFakeOrg sets them.
			o.Org.HTTPClient = f.org.srv.Client()
			f.org.mu.Lock()
			f.org.used, f.org.limit = 1000, 100000
			f.org.mu.Unlock()
			dry := o
			dry.Execute, dry.Contain = false, false
			rep, err = Run(context.Background(), dry)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range rep.Contain {
				if s.Step == tt.step {
					got = append(got, s.Outcome+" ("+s.Detail+")")
				}
			}
			if want := []string{OutcomeFailed + " (" + tt.detail + ")"}; !slices.Equal(got, want) {
				t.Errorf("plan's %s: %q, want %q", tt.step, got, want)
			}
			// Resumed with the org answering, the user is contained once.
			if rep, err := Run(context.Background(), o); err != nil || !rep.Complete() {
				t.Fatalf("rerun: err %v, contain %+v", err, rep.Contain)
			}
			f.org.mu.Lock()
			defer f.org.mu.Unlock()
			if f.org.resets[uid(0)] != 1 || !f.org.frozen[lid(0)] {
				t.Errorf("resets %d, frozen %v; want 1, true", f.org.resets[uid(0)], f.org.frozen[lid(0)])
			}
		})
	}
}

// Containment's search for the user's live sessions, and a freeze that
// could not be sent because the user's UserLogin could not be looked up,
// are journalled like the other steps: a rerun with --contain searches
// again and ends what it finds, and a rerun without says the step failed
// rather than calling the list complete.
func TestContainmentSearchRetried(t *testing.T) {
	searchFails := func(f *fixture) {
		f.org.inject("query AuthSession UsersId", fault{status: 400, code: "INVALID_FIELD"})
	}
	tests := []struct {
		name       string
		first      func(f *fixture)
		firstSteps map[string]string // the first run's containment steps: step → outcome
		rerun      func(o *Options)
		steps      map[string]string // the rerun's
		again      bool              // the rerun contains the user again
		complete   bool
		gone       bool // the session only the search finds is ended
	}{
		{name: "search failed",
			first:      searchFails,
			firstSteps: map[string]string{opFreezeUser: outcomeDone, opResetPassword: outcomeDone, opEndSessions: OutcomeFailed},
			steps:      map[string]string{opFreezeUser: outcomeDone, opResetPassword: outcomeDone, opEndSessions: outcomeDone},
			again:      true, complete: true, gone: true},
		{name: "search failed, rerun without --contain",
			first:      searchFails,
			firstSteps: map[string]string{opFreezeUser: outcomeDone, opResetPassword: outcomeDone, opEndSessions: OutcomeFailed},
			rerun:      func(o *Options) { o.Contain = false },
			steps:      map[string]string{opEndSessions: OutcomeFailed}},
		{name: "UserLogin lookup failed, rerun without --contain",
			first: func(f *fixture) {
				f.org.inject("query UserLogin UserId", fault{status: 400, code: "INVALID_FIELD"})
			},
			firstSteps: map[string]string{opFreezeUser: OutcomeFailed, opResetPassword: outcomeDone, opEndSessions: outcomeDone},
			rerun:      func(o *Options) { o.Contain = false },
			steps:      map[string]string{opFreezeUser: OutcomeFailed}, gone: true},
		{name: "no UserLogin, rerun without --contain",
			first:      func(f *fixture) { delete(f.org.userLogins, uid(0)) },
			firstSteps: map[string]string{opFreezeUser: OutcomeFailed, opResetPassword: outcomeDone, opEndSessions: outcomeDone},
			rerun:      func(o *Options) { o.Contain = false },
			steps:      map[string]string{opFreezeUser: OutcomeFailed}, gone: true},
		// Near misses: the search was done, or failed and the user is protected since.
		{name: "search done",
			firstSteps: map[string]string{opFreezeUser: outcomeDone, opResetPassword: outcomeDone, opEndSessions: outcomeDone},
			steps:      map[string]string{}, complete: true, gone: true},
		{name: "search failed, user protected since",
			first:      searchFails,
			firstSteps: map[string]string{opFreezeUser: outcomeDone, opResetPassword: outcomeDone, opEndSessions: OutcomeFailed},
			rerun:      func(o *Options) { o.Protected = []string{uid(0)} },
			steps:      map[string]string{}, complete: true},
	}
	stepsOf := func(rep Report) map[string]string {
		steps := map[string]string{}
		for _, s := range rep.Contain {
			steps[s.Step] = s.Outcome
		}
		return steps
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := rows(2)
			rs[0].approve, rs[1].approve = "contain", "yes"
			f := newFixture(t, rs)
			f.org.addSession(sid(100), uid(0), false) // user 0's, not in the list: only the search finds it
			f.org.userLogins[uid(0)] = lid(0)
			f.approve(nil)
			f.org.mayDelete[sid(100)] = true
			f.org.mayContain[uid(0)] = true
			o := f.options(true)
			o.Contain = true
			if tt.first != nil {
				tt.first(f)
			}
			rep, err := Run(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.firstSteps, stepsOf(rep)); diff != "" {
				t.Fatalf("first run containment steps (-want +got):\n%s", diff)
			}
			if want := tt.firstSteps[opFreezeUser] == outcomeDone && tt.firstSteps[opEndSessions] == outcomeDone; rep.Complete() != want {
				t.Fatalf("first run complete %v, want %v", rep.Complete(), want)
			}

			if tt.rerun != nil {
				tt.rerun(&o)
			}
			queries := f.org.used
			rep, err = Run(context.Background(), o)
			if err != nil {
				t.Fatalf("rerun: %v", err)
			}
			if diff := cmp.Diff(tt.steps, stepsOf(rep)); diff != "" {
				t.Errorf("rerun containment steps (-want +got):\n%s", diff)
			}
			if got := len(rep.Recontain) > 0; got != tt.again {
				t.Errorf("rerun contains again: %v, want %v", rep.Recontain, tt.again)
			}
			if rep.Complete() != tt.complete {
				t.Errorf("rerun complete %v, want %v: %+v", rep.Complete(), tt.complete, rep.Contain)
			}
			if tt.complete && !tt.again && f.org.used != queries {
				t.Errorf("a finished list asked the org %d times", f.org.used-queries)
			}
			f.org.mu.Lock()
			defer f.org.mu.Unlock()
			if _, there := f.org.sessions[sid(100)]; there == tt.gone {
				t.Errorf("session found only by the search in the org: %v, want %v", there, !tt.gone)
			}
			if f.org.resets[uid(0)] != 1 {
				t.Errorf("password reset %d times, want once", f.org.resets[uid(0)])
			}
		})
	}
}

// A new audit into the same folder writes a new list beside the old
// journal: containing a user for it is a new containment, which freezes and
// resets again. A new approval of the same list (one more row) carries on
// with the list's containment instead: its steps stay done, and the sessions
// its search found that did not end are sent.
func TestContainmentIsPerList(t *testing.T) {
	t.Run("a new list contains the user again", func(t *testing.T) {
		rs := []listRow{{session: sid(0), user: uid(0), username: "user0@example.com", approve: "contain"}}
		f := newFixture(t, rs)
		f.org.userLogins[uid(0)] = lid(0)
		f.org.mayContain[uid(0)] = true
		f.approve(nil)
		o := f.options(true)
		o.Contain = true
		if rep, err := Run(context.Background(), o); err != nil || !rep.Complete() {
			t.Fatalf("first list: %v %+v", err, rep.Contain)
		}
		f.org.mu.Lock()
		f.org.frozen[lid(0)] = false // the user was let back in after the first incident
		f.org.mu.Unlock()
		rs2 := []listRow{{session: sid(10), user: uid(0), username: "user0@example.com", approve: "contain"}}
		mustWrite(t, f.list, listCSV(rs2))
		f.org.addSession(sid(10), uid(0), false)
		f.rows = rs2
		f.approve(nil)
		rep, err := Run(context.Background(), o)
		if err != nil || !rep.Complete() {
			t.Fatalf("second list: %v %+v", err, rep.Contain)
		}
		for _, s := range rep.Contain {
			if s.Detail == "in an earlier run" {
				t.Errorf("step %s of the new list taken as done in an earlier run", s.Step)
			}
		}
		f.org.mu.Lock()
		defer f.org.mu.Unlock()
		if !f.org.frozen[lid(0)] || f.org.resets[uid(0)] != 2 {
			t.Errorf("frozen %v, resets %d; want frozen again and a second reset", f.org.frozen[lid(0)], f.org.resets[uid(0)])
		}
	})
	t.Run("a new approval of the same list sends what its containment left", func(t *testing.T) {
		rs := rows(3)
		rs[0].approve, rs[1].approve, rs[2].approve = "contain", "yes", ""
		f, o := containFixture(t, rs)
		f.org.inject("delete", fault{}, fault{status: 403, code: "REQUEST_LIMIT_EXCEEDED"})
		if rep, err := Run(context.Background(), o); err != nil || stopCode(rep) != "REQUEST_LIMIT_EXCEEDED" {
			t.Fatalf("first run: %v %v", err, outcomes(rep.Results))
		}
		// The analyst marks the third row too, and approves again.
		rs[2].approve = "yes"
		mustWrite(t, f.list, listCSV(rs))
		f.approve(nil)
		dry := o
		dry.Execute = false
		if rep, err := Run(context.Background(), dry); err != nil || rep.Left != 2 {
			t.Errorf("dry run: %v, %d sessions left by containment, want 2", err, rep.Left)
		}
		rep, err := Run(context.Background(), o)
		if err != nil || !rep.Complete() {
			t.Fatalf("rerun: %v, complete %v", err, rep.Complete())
		}
		if diff := cmp.Diff(map[string]int{"removed/": 5}, outcomes(rep.Results)); diff != "" {
			t.Errorf("rerun outcomes (-want +got):\n%s", diff)
		}
		for _, s := range rep.Contain {
			if s.Step != opEndSessions && s.Detail != "in an earlier run" {
				t.Errorf("step %+v sent again under the new approval of the same list", s)
			}
		}
		f.checkEndedOnce([]string{sid(0), sid(1), sid(2), sid(100), sid(101)})
		if f.org.resets[uid(0)] != 1 {
			t.Errorf("password reset %d times, want once", f.org.resets[uid(0)])
		}
	})
}

// A lone id refused with NOT_FOUND for the whole request may be the
// endpoint's answer (an API version without sObject Collections): the org is
// asked, and a session still listed failed and is sent again; one gone is
// already ended.
func TestLoneIDRefusedAsAWholeIsChecked(t *testing.T) {
	for _, tc := range []struct {
		name  string
		gone  bool
		want  map[string]int
		after bool // the rerun ends it
	}{
		{name: "still listed", want: map[string]int{"failed/NOT_FOUND": 1}, after: true},
		{name: "gone", gone: true, want: map[string]int{"already_ended/NOT_FOUND": 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, rows(1))
			f.approve(nil)
			f.org.inject("delete", fault{status: 404, code: "NOT_FOUND", then: func() {
				if tc.gone {
					delete(f.org.sessions, sid(0))
				}
			}})
			rep, err := Run(context.Background(), f.options(true))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, outcomes(rep.Results)); diff != "" {
				t.Errorf("outcomes (-want +got):\n%s", diff)
			}
			if rep.Complete() != tc.gone {
				t.Errorf("complete %v, want %v", rep.Complete(), tc.gone)
			}
			rep, err = Run(context.Background(), f.options(true))
			if err != nil {
				t.Fatal(err)
			}
			if tc.after {
				f.checkEndedOnce([]string{sid(0)})
			}
		})
	}
}

// answerQuery answers the queries whose SOQL holds match with body, and
// passes every other request on.
type answerQuery struct {
	rt          http.RoundTripper
	match, body string
}

func (a answerQuery) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.Contains(r.URL.Query().Get("q"), a.match) {
		return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(strings.NewReader(a.body)), Request: r}, nil
	}
	return a.rt.RoundTrip(r)
}

// An answer to the caller's-own-session query that is not a query result
// (a proxy's {}), or only part of one, stops the run with nothing sent, rather than reading as "no
// session of the caller's"; a real result with no records is the near miss.
func TestQueryAnswerMustBeAResult(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		sent       bool
	}{
		{"an empty object", `{}`, false},
		{"records but no done", `{"records":[]}`, false},
		{"done but no records", `{"done":true}`, false},
		// Not done and no next page: the rest of the answer is missing.
		{"not done, with no next page", `{"totalSize":3,"done":false,"records":[]}`, false},
		{"a result with no records", `{"totalSize":0,"done":true,"records":[]}`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, rows(1))
			f.approve(nil)
			o := f.options(true)
			o.Org.HTTPClient = &http.Client{Transport: answerQuery{f.org.srv.Client().Transport, "IsCurrent", tc.body}}
			_, err := Run(context.Background(), o)
			if (err == nil) != tc.sent || err != nil && !strings.Contains(err.Error(), "not a query result") && !strings.Contains(err.Error(), "names no next page") {
				t.Errorf("error %v, want one saying the answer is not a query result: %v", err, !tc.sent)
			}
			if sent := f.org.writeCount() > 0; sent != tc.sent {
				t.Errorf("sent %v, want %v", sent, tc.sent)
			}
		})
	}
}

// Containment the analyst approved and no run has sent, or that failed, is
// named in the plan and in the summary, and keeps the list incomplete: a
// run without --contain ends the sessions but does not finish the list.
func TestContainmentOwedIsNamed(t *testing.T) {
	setup := func(t *testing.T) (*fixture, Options) {
		f, o := containOneFixture(t)
		o.Contain = false
		return f, o
	}
	written := func(rep Report) string {
		var b strings.Builder
		rep.WritePlan(&b)
		if rep.Execute {
			rep.WriteSummary(&b)
		}
		return b.String()
	}
	notSent := "contain " + uid(0) + ": freeze_user, reset_password, end_sessions not sent (approved for containment: add --contain to send it)"

	t.Run("never sent", func(t *testing.T) {
		_, o := setup(t)
		dry := o
		dry.Execute = false
		rep, err := Run(context.Background(), dry)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(written(rep), notSent) {
			t.Errorf("the plan without --contain does not name the containment owed:\n%s", written(rep))
		}
		rep, err = Run(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(written(rep), notSent) || rep.Complete() {
			t.Errorf("a run without --contain: complete %v, want false, and the summary naming the containment owed:\n%s", rep.Complete(), written(rep))
		}
	})
	t.Run("never sent, and the approval has expired since", func(t *testing.T) {
		_, o := setup(t)
		if _, err := Run(context.Background(), o); err != nil {
			t.Fatal(err)
		}
		o.Now = func() time.Time { return t0.Add(30 * 24 * time.Hour) }
		rep, err := Run(context.Background(), o)
		want := "contain " + uid(0) + ": freeze_user, reset_password, end_sessions not sent (approved for containment, but the approval has expired: approve the list again, then run with --contain)"
		if err != nil || rep.Complete() || !strings.Contains(written(rep), want) {
			t.Errorf("err %v, complete %v; want an incomplete run whose summary says a new approval is needed:\n%s", err, rep.Complete(), written(rep))
		}
	})
	t.Run("a plan with --contain owes nothing yet", func(t *testing.T) {
		_, o := setup(t)
		o.Execute, o.Contain = false, true
		rep, err := Run(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(written(rep), "not sent") {
			t.Errorf("the plan with --contain names containment not sent:\n%s", written(rep))
		}
	})
	t.Run("failed in an earlier run", func(t *testing.T) {
		f, o := setup(t)
		f.org.inject("freeze", fault{status: 400, code: "FIELD_INTEGRITY_EXCEPTION"})
		o.Contain = true
		if _, err := Run(context.Background(), o); err != nil {
			t.Fatal(err)
		}
		o.Execute, o.Contain = false, false
		rep, err := Run(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		want := "contain " + uid(0) + ": freeze_user failed (FIELD_INTEGRITY_EXCEPTION in an earlier run: add --contain to send it again)"
		if !strings.Contains(written(rep), want) {
			t.Errorf("the plan does not name the failed freeze still owed:\n%s", written(rep))
		}
		// Once the approval has expired, --contain alone is refused: the
		// advice is to approve the list again first.
		o.Now = func() time.Time { return t0.Add(25 * time.Hour) }
		rep, err = Run(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		want = "contain " + uid(0) + ": freeze_user failed (FIELD_INTEGRITY_EXCEPTION in an earlier run, and the approval has expired: approve the list again, then run with --contain to send it again)"
		if !strings.Contains(written(rep), want) {
			t.Errorf("after the approval expired, the plan does not say to approve again:\n%s", written(rep))
		}
	})
	// An answer without an error code is named by its status.
	t.Run("failed in an earlier run, with a status and no code", func(t *testing.T) {
		f, o := setup(t)
		f.org.inject("password", fault{status: 400})
		o.Contain = true
		if _, err := Run(context.Background(), o); err != nil {
			t.Fatal(err)
		}
		o.Execute, o.Contain = false, false
		rep, err := Run(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		want := "contain " + uid(0) + ": reset_password failed (HTTP 400 in an earlier run: add --contain to send it again)"
		if !strings.Contains(written(rep), want) {
			t.Errorf("the plan does not name the failed password reset by its status:\n%s", written(rep))
		}
	})
}

// A dry run whose token the org rejects still prints the plan, with a note
// that the caller's own session could not be looked up, as one without
// credentials does; an executing run stops instead.
func TestDryRunWithRejectedToken(t *testing.T) {
	f := newFixture(t, rows(3))
	f.approve(nil)
	f.org.inject("query", fault{status: 401, code: "INVALID_SESSION_ID"})
	rep, err := Run(context.Background(), f.options(false))
	if err != nil {
		t.Fatalf("dry run: %v", err)
	}
	if len(rep.Plan) != 3 || !strings.Contains(rep.Note, "the org could not be asked which session is the caller's own") {
		t.Errorf("dry run planned %d rows with note %q; want 3 and a note", len(rep.Plan), rep.Note)
	}
	f.org.inject("query", fault{status: 401, code: "INVALID_SESSION_ID"})
	if rep, err := Run(context.Background(), f.options(true)); err == nil && rep.Stopped == nil {
		t.Errorf("executing run with a rejected token neither failed nor stopped: %+v", rep)
	}
}

// The summary tells a session sent without an answer (an interrupted run, a
// lost connection) from one the org refused: the first may have ended, and
// the next run sends it again.
func TestSummaryTellsUnansweredFromFailed(t *testing.T) {
	rep := Report{Execute: true, Results: []Result{
		{SessionID: sid(0), Outcome: OutcomeRemoved, HTTPStatus: 200},
		{SessionID: sid(1), Outcome: OutcomeFailed, ErrorCode: noResponseCode},
		{SessionID: sid(2), Outcome: OutcomeFailed, HTTPStatus: 400, ErrorCode: "INSUFFICIENT_ACCESS"},
	}}
	var b strings.Builder
	rep.WriteSummary(&b)
	for _, want := range []string{
		"3 sessions: 1 removed, 0 already ended, 2 failed (1 of them sent without an answer), 0 skipped.",
		"no answer: " + sid(1) + " was sent, but the run was interrupted or the connection lost before the org answered: the next run sends it again",
		"failed: " + sid(2) + " HTTP 400 INSUFFICIENT_ACCESS",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary\n%s\nwant it to hold %q", b.String(), want)
		}
	}
	if strings.Contains(b.String(), "HTTP 0") {
		t.Errorf("summary gives an unanswered session HTTP 0:\n%s", b.String())
	}
}

// The plan's and the run's counts group thousands as the count before them
// does ("1,200 rows: 1,200 skipped", not "1,200 rows: 1200 skipped").
func TestReportCountsGroupThousands(t *testing.T) {
	var rep Report
	for i := range 1200 {
		rep.Plan = append(rep.Plan, PlanEntry{Row: Row{SessionID: sid(i), UserID: uid(0)}, Action: "skip", Reason: "not approved"})
		rep.Results = append(rep.Results, Result{SessionID: sid(i), Outcome: OutcomeRemoved})
	}
	var b strings.Builder
	rep.WritePlan(&b)
	rep.WriteSummary(&b)
	for _, want := range []string{
		"1,200 rows: 0 to remove, 0 to remove and contain their user, 1,200 skipped.",
		"1,200 sessions: 1,200 removed, 0 already ended, 0 failed, 0 skipped.",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("the report does not say %q:\n%s", want, b.String()[max(0, b.Len()-400):])
		}
	}
}

// A username is whatever the export held: the plan writes its control
// characters and bidirectional overrides as escapes, so a hostile name
// cannot erase or forge rows on the analyst's terminal.
func TestPlanEscapesControlCharacters(t *testing.T) {
	rep := Report{Plan: []PlanEntry{{Row: Row{SessionID: sid(0), UserID: uid(0),
		Username: "carmen@x\x1b[1A\x1b[2K\rFAKE\tLINE\nSPOOFED \u202eevil \xff"}, Action: "skip", Reason: "not approved"}}}
	var b strings.Builder
	rep.WritePlan(&b)
	out := b.String()
	for _, bad := range []string{"\x1b", "\r", "\tLINE", "\nSPOOFED", "\u202e", "\xff"} {
		if strings.Contains(out, bad) {
			t.Errorf("the plan holds %q:\n%s", bad, out)
		}
	}
	if want := `carmen@x\x1b[1A\x1b[2K\x0dFAKE\x09LINE\x0aSPOOFED \u202eevil \xff`; !strings.Contains(out, want) {
		t.Errorf("the plan\n%s\nwant the username written as %s", out, want)
	}
}

// The caller's own user, approved for containment, is never contained:
// freezing them would lock out the run. A run that asks the org who its
// caller is skips their steps as a guard rail's (complete, saying to
// contain them in Setup); a later run that does not ask owes them, saying
// how to settle them, and a run by another admin with --contain contains
// them. A user approved for containment who is not the caller (the near
// miss) is owed the steps until sent.
func TestCallersOwnUserApprovedForContainment(t *testing.T) {
	rs := rows(2)
	rs[0].approve, rs[1].approve = "contain", "contain"
	f := newFixture(t, rs)
	f.org.addSession(sid(50), uid(0), true) // user 0 runs apply
	f.org.userLogins[uid(1)] = lid(1)
	f.org.mayContain[uid(1)] = true
	f.approve(nil)
	for run, contain := range []bool{false, true, false} {
		t.Logf("run %d", run)
		o := f.options(true)
		o.Contain = contain
		rep, err := Run(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		var callers, others []ContainStep
		for _, s := range rep.Contain {
			if s.UserID == uid(0) {
				callers = append(callers, s)
			} else {
				others = append(others, s)
			}
		}
		// The third run, with nothing to send, does not ask the org who
		// its caller is: the steps the second skipped stay owed, saying
		// how to settle them.
		want := OutcomeSkipped
		if run == 2 {
			want = OutcomeNotSent
		}
		if len(callers) == 0 || slices.ContainsFunc(callers, func(s ContainStep) bool {
			return s.Outcome != want || !strings.Contains(s.Detail, "contain them in Setup")
		}) {
			t.Errorf("--contain %v: the caller's own user's steps %+v, want skipped, saying to contain them in Setup", contain, callers)
		}
		if run == 0 && !slices.ContainsFunc(others, func(s ContainStep) bool { return s.Outcome == OutcomeNotSent }) {
			t.Errorf("--contain %v: user 1's steps %+v, want containment owed (not sent)", contain, others)
		}
		if rep.Complete() != (run == 1) { // the first owes user 1's containment, the third the caller's
			t.Errorf("run %d, --contain %v: complete %v, contain steps %+v", run, contain, rep.Complete(), rep.Contain)
		}
	}
	if f.org.resets[uid(0)] != 0 || f.org.resets[uid(1)] != 1 {
		t.Errorf("resets %v, want user 1 once and the caller's own user never", f.org.resets)
	}
	// Another admin runs apply: without --contain, user 0's containment is
	// owed and the run incomplete; with it, user 0, no longer the caller,
	// is contained: the skip bound only the runs whose caller they were.
	f.org.mu.Lock()
	delete(f.org.sessions, sid(50))
	f.org.mu.Unlock()
	f.org.addSession(sid(60), uid(9), true)
	f.org.userLogins[uid(0)] = lid(0)
	f.org.mayContain[uid(0)] = true
	o := f.options(true)
	if rep, err := Run(context.Background(), o); err != nil || rep.Complete() ||
		!slices.ContainsFunc(rep.Contain, func(s ContainStep) bool { return s.UserID == uid(0) && s.Outcome == OutcomeNotSent }) {
		t.Errorf("another caller without --contain: err %v, complete %v, steps %+v; want user 0's containment owed", err, rep.Complete(), rep.Contain)
	}
	o.Contain = true
	if rep, err := Run(context.Background(), o); err != nil || !rep.Complete() || f.org.resets[uid(0)] != 1 || !f.org.frozen[lid(0)] {
		t.Errorf("another caller: err %v, complete %v, resets %v, frozen %v; want user 0 contained", err, rep.Complete(), f.org.resets, f.org.frozen)
	}
}

// A session an earlier approval of the list had, left by a stopped run and
// then withdrawn by a new approval (the analyst marked it no), is owed no
// more: the next run completes, the results say WITHDRAWN, and verify does
// not report it as not removed. Before, every later run exited 4 for it.
func TestWithdrawnAfterAStop(t *testing.T) {
	rs := rows(2)
	rs[0].approve, rs[1].approve = "yes", "yes"
	f := newFixture(t, rs)
	f.approve(nil)
	o := f.options(true)
	f.org.inject("delete", fault{status: 403, code: "REQUEST_LIMIT_EXCEEDED"})
	if rep, err := Run(context.Background(), o); err != nil || rep.Stopped == nil {
		t.Fatalf("first run: err %v, stopped %v, want a stop", err, rep.Stopped)
	}

	rs[1].approve = "no"
	mustWrite(t, f.list, listCSV(rs))
	f.approve(nil)
	rep, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Complete() {
		t.Errorf("second run not complete: %v", outcomes(rep.Results))
	}
	want := map[string]int{"removed/": 1, "skipped/WITHDRAWN": 1}
	if diff := cmp.Diff(want, outcomes(rep.Results)); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	f.org.mu.Lock()
	_, kept := f.org.sessions[sid(1)]
	f.org.mu.Unlock()
	if !kept {
		t.Error("the withdrawn session was ended")
	}
	v, err := Verify(context.Background(), VerifyOptions{Removals: f.list, Org: f.org.orgOptions(f.org.accessToken()), Now: o.Now})
	if err != nil {
		t.Fatal(err)
	}
	if !v.AllGone() || len(v.NotRemoved) != 0 || !slices.Contains(v.Skipped, sid(1)) {
		t.Errorf("verify: gone %v, not removed %v, skipped %v; want the withdrawn session skipped", v.Gone, v.NotRemoved, v.Skipped)
	}
}

// A withdrawn session whose delete a killed run sent without an answer is
// not told as never sent: the results say WITHDRAWN_UNANSWERED, the run
// completes, and verify asks the org, finding gone the one it ended and
// skipping the one it kept; also when a later run's resend was refused
// whole.
func TestWithdrawnAfterAnUnansweredSend(t *testing.T) {
	for _, refused := range []bool{false, true} {
		t.Run(map[bool]string{false: "after a kill", true: "resend refused whole"}[refused], func(t *testing.T) { withdrawnAfterAnUnansweredSend(t, refused) })
	}
}

func withdrawnAfterAnUnansweredSend(t *testing.T, refusedResend bool) {
	rs := rows(3)
	for i := range rs {
		rs[i].approve = "yes"
	}
	f := newFixture(t, rs)
	f.approve(nil)
	ctx, cancel := context.WithCancel(context.Background())
	f.org.inject("delete", fault{process: 1, drop: true, then: cancel})
	if _, err := Run(ctx, f.options(true)); !errors.Is(err, context.Canceled) {
		t.Fatalf("killed run: err %v, want context.Canceled", err)
	}

	if refusedResend {
		// A run of the same approval resends them, and the org refuses the
		// request whole: that answers nothing about the first send.
		f.org.inject("delete", fault{status: 403, code: "REQUEST_LIMIT_EXCEEDED"})
		if rep, err := Run(context.Background(), f.options(true)); err != nil || rep.Stopped == nil {
			t.Fatalf("refused resend: err %v, stopped %v, want a stop", err, rep.Stopped)
		}
	}

	rs[0].approve, rs[1].approve = "no", "no"
	mustWrite(t, f.list, listCSV(rs))
	f.approve(nil)
	o := f.options(true)
	rep, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Complete() {
		t.Errorf("second run not complete: %v", outcomes(rep.Results))
	}
	want := map[string]int{"removed/": 1, "skipped/WITHDRAWN_UNANSWERED": 2}
	if diff := cmp.Diff(want, outcomes(rep.Results)); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	f.org.mu.Lock()
	_, kept0 := f.org.sessions[sid(0)]
	_, kept1 := f.org.sessions[sid(1)]
	f.org.mu.Unlock()
	if kept0 || !kept1 {
		t.Fatalf("the org kept session 0: %v, session 1: %v; want the fault to have ended 0 alone", kept0, kept1)
	}
	v, err := Verify(context.Background(), VerifyOptions{Removals: f.list, Org: f.org.orgOptions(f.org.accessToken()), Now: o.Now})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(v.Gone)
	if !v.AllGone() || !slices.Equal(v.Gone, []string{sid(0), sid(2)}) || !slices.Equal(v.Skipped, []string{sid(1)}) || v.Checked != 2 {
		t.Errorf("verify: checked %d, gone %v, not removed %v, skipped %v; want 2 checked, 0 and 2 gone, 1 skipped", v.Checked, v.Gone, v.NotRemoved, v.Skipped)
	}
}

// A delete whose first attempt went unanswered, whose retry the org refused
// as already ended, and whose follow-up query (which of them are gone) was
// refused too, leaves its sessions sent without an answer: not failed with
// the refusal's code, as if the org had said it ended none of them.
func TestUnansweredDeleteThenRefusedQuery(t *testing.T) {
	rs := rows(3)
	for i := range rs {
		rs[i].approve = "yes"
	}
	f := newFixture(t, rs)
	f.approve(nil)
	f.org.inject("delete", fault{process: 1, drop: true}, fault{status: 404, code: "ENTITY_IS_DELETED", then: func() {
		f.org.faults["query"] = append(f.org.faults["query"], fault{status: 403, code: "REQUEST_LIMIT_EXCEEDED"})
	}})
	rep, err := Run(context.Background(), f.options(true))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]int{"failed/NO_RESPONSE": 3}, outcomes(rep.Results)); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	if stop := stopCode(rep); stop != "REQUEST_LIMIT_EXCEEDED" {
		t.Errorf("stopped %q, want REQUEST_LIMIT_EXCEEDED", stop)
	}
}

// Two lists in one folder keep their results apart, as their journals are:
// applying one no longer replaces the other's results.
func TestResultsNamedAfterTheList(t *testing.T) {
	a, b := rows(2), rows(3)[2:]
	for i := range a {
		a[i].approve = "yes"
	}
	b[0].approve = "yes"
	f := newFixture(t, a)
	other := filepath.Join(f.dir, "removals-extra.csv")
	mustWrite(t, other, listCSV(b))
	f.org.addSession(b[0].session, b[0].user, false)
	f.approve(nil)
	mustApprove(t, ApproveOptions{Removals: other, By: "alice", Now: t0})
	f.org.mayDelete[b[0].session] = true
	for _, list := range []string{f.list, other} {
		o := f.options(true)
		o.Removals = list
		if rep, err := Run(context.Background(), o); err != nil || !rep.Complete() {
			t.Fatalf("%s: err %v, complete %v", list, err, rep.Complete())
		}
	}
	for list, want := range map[string]int{f.list: 2, other: 1} {
		b, err := os.ReadFile(ResultsPath(list))
		if got := strings.Count(string(b), "\n") - 1; err != nil || got != want {
			t.Errorf("%s: %d result rows (err %v), want %d", ResultsPath(list), got, err, want)
		}
	}
}

// An approval written before approve refused contain for a row without its
// user's Id is refused by apply too: no run could contain that user, and
// running it would report the containment it promised as done.
func TestOlderApprovalOfContainWithoutUser(t *testing.T) {
	rs := rows(1)
	rs[0].approve, rs[0].user = "contain", ""
	f := newFixture(t, rs)
	list := []byte(mustRead(t, f.list))
	rows, err := ReadRemovals(f.list)
	if err != nil {
		t.Fatal(err)
	}
	a := Approval{Version: 1, Removals: "removals.csv", ListSHA256: sha256Hex(list), RowsSHA256: rowsSHA256(rows), ApprovedBy: "alice",
		ApprovedAt: t0, ExpiresAt: t0.Add(DefaultApprovalLifetime), Selection: "approve-column",
		Sessions: []ApprovedSession{{SessionID: sid(0), Contain: true}}}
	if err := WriteApproval(f.list, a); err != nil {
		t.Fatal(err)
	}
	_, err = Run(context.Background(), f.options(true))
	var refusal *RefusalError
	if !errors.As(err, &refusal) || !strings.Contains(err.Error(), "no run can contain the user") || f.org.writeCount() != 0 {
		t.Errorf("err %v, %d writes; want a refusal saying no run can contain the user, nothing sent", err, f.org.writeCount())
	}
}

// A row approved for containment whose session is the caller's own: the
// session is skipped as the caller's own, and the user's containment, which
// apply never does for its caller, is reported skipped with how to settle
// it (contain them in Setup), with --contain as without it. Before, a run
// with --contain said nothing of the user's containment at all.
func TestCallersOwnSessionApprovedForContainment(t *testing.T) {
	for _, contain := range []bool{false, true} {
		t.Run(fmt.Sprintf("--contain %v", contain), func(t *testing.T) {
			rs := rows(1)
			rs[0].approve = "contain"
			f := newFixture(t, rs)
			f.org.addSession(sid(0), uid(0), true) // the row's session is the caller's
			f.org.userLogins[uid(0)] = lid(0)
			f.org.mayContain[uid(0)] = true
			f.approve(nil)
			o := f.options(true)
			o.Contain = contain
			rep, err := Run(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(map[string]int{"skipped/CURRENT_SESSION": 1}, outcomes(rep.Results)); diff != "" {
				t.Errorf("outcomes (-want +got):\n%s", diff)
			}
			if len(rep.Contain) == 0 || slices.ContainsFunc(rep.Contain, func(s ContainStep) bool {
				return s.UserID != uid(0) || s.Outcome != OutcomeSkipped || !strings.Contains(s.Detail, "contain them in Setup")
			}) {
				t.Errorf("containment steps %+v, want the caller's user's skipped, saying to contain them in Setup", rep.Contain)
			}
			if len(rep.Contain) != 1 {
				t.Errorf("containment steps %+v, want the user's containment reported once", rep.Contain)
			}
			var out strings.Builder
			rep.WriteSummary(&out)
			if !strings.Contains(out.String(), "contain them in Setup") {
				t.Errorf("summary says nothing of containing the caller's user:\n%s", out.String())
			}
			if f.org.resets[uid(0)] != 0 || f.org.frozen[lid(0)] {
				t.Errorf("the caller's own user was contained: resets %v, frozen %v", f.org.resets, f.org.frozen)
			}
		})
	}
}

// TestContainmentSendsOnlySessions has the org answer the search for a
// user's sessions with a record that is no AuthSession (an Account's Id).
// sObject Collections deletes whatever record an Id names, so that Id must
// never be sent: the search counts as failed, to be done again, and the
// journal stays readable for the next run and for verify (it refuses a
// session step naming another record).
func TestContainmentSendsOnlySessions(t *testing.T) {
	rs := rows(2)
	rs[0].approve, rs[1].approve = "contain", "yes"
	f, o := containFixture(t, rs)
	account := mustID("001Qz0000000001")
	f.org.addSession(account, uid(0), false)
	var log bytes.Buffer
	o.Org.Log = &log
	rep, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if n := f.org.sent[account]; n != 0 {
		t.Errorf("the Account %s was sent for deletion %d times", account, n)
	}
	if strings.Contains(mustRead(t, JournalPath(f.list)), account) {
		t.Errorf("the journal names the Account as a session found:\n%s", mustRead(t, JournalPath(f.list)))
	}
	var search ContainStep
	for _, s := range rep.Contain {
		if s.Step == opEndSessions {
			search = s
		}
	}
	if search.Outcome != OutcomeFailed || rep.Complete() {
		t.Errorf("search %+v, complete %v: want the search failed and the run incomplete", search, rep.Complete())
	}
	if !strings.Contains(log.String(), account) {
		t.Errorf("the log does not say why the search failed: %q", log.String())
	}
	// The next run reads the journal, and once the org answers with
	// sessions only, ends them.
	f.org.mu.Lock()
	delete(f.org.sessions, account)
	f.org.mu.Unlock()
	rep, err = Run(context.Background(), o)
	if err != nil || !rep.Complete() {
		t.Fatalf("rerun: %v, complete %v, %v", err, rep.Complete(), outcomes(rep.Results))
	}
	f.checkEndedOnce([]string{sid(100), sid(101)})
	if _, err := Verify(context.Background(), VerifyOptions{Removals: f.list, Org: o.Org}); err != nil {
		t.Errorf("verify: %v", err)
	}
}

// TestConflictingItemAnswers has the org answer one id of a collections
// delete twice, saying different things. Taken as removed (the last answer
// won), the session was never sent again though the org may have refused
// it: apply exited 0 and verify found it still listed. It is failed
// NO_RESULT instead, for the next run to send again. The same answer twice
// (a near miss) counts once.
func TestConflictingItemAnswers(t *testing.T) {
	a, b, c := sid(1), sid(2), sid(3)
	body := `[{"id":"` + a + `","success":false,"errors":[{"statusCode":"INSUFFICIENT_ACCESS_OR_READONLY"}]},` +
		`{"id":"` + b + `","success":true,"errors":[]},` +
		`{"id":"` + c + `","success":false,"errors":[{"statusCode":"ENTITY_IS_DELETED"}]},` +
		`{"id":"` + a + `","success":true,"errors":[]},` +
		`{"id":"` + b + `","success":true,"errors":[]},` +
		`{"id":"` + c + `","success":false,"errors":[{"statusCode":"INSUFFICIENT_ACCESS_OR_READONLY"}]}]`
	got := matchItems([]string{a, b, c}, 200, []byte(body))
	want := []ItemResult{
		{ID: a, Outcome: OutcomeFailed, HTTPStatus: 200, ErrorCode: "NO_RESULT"},
		{ID: b, Outcome: OutcomeRemoved, HTTPStatus: 200},
		{ID: c, Outcome: OutcomeFailed, HTTPStatus: 200, ErrorCode: "NO_RESULT"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

// An item without an id is paired with the id sent at its position; one
// naming an id not sent is no answer for the id at its position. A status
// code not shaped like one is not quoted.
func TestMatchItemsByPosition(t *testing.T) {
	a, b := sid(1), sid(2)
	for _, tc := range []struct {
		name string
		body string
		want []ItemResult
	}{
		{"items without an id pair by position",
			`[{"id":null,"success":true,"errors":[]},{"id":null,"success":false,"errors":[{"statusCode":"ENTITY_IS_DELETED"}]}]`,
			[]ItemResult{{ID: a, Outcome: OutcomeRemoved, HTTPStatus: 200}, {ID: b, Outcome: OutcomeAlreadyEnded, HTTPStatus: 200, ErrorCode: "ENTITY_IS_DELETED"}}},
		{"near miss: an item naming an id not sent pairs with nothing",
			`[{"id":"` + sid(3) + `","success":true,"errors":[]},{"id":null,"success":true,"errors":[]}]`,
			[]ItemResult{{ID: a, Outcome: OutcomeFailed, HTTPStatus: 200, ErrorCode: "NO_RESULT"}, {ID: b, Outcome: OutcomeRemoved, HTTPStatus: 200}}},
		{"a status code not shaped like one is unknown",
			`[{"id":"` + a + `","success":false,"errors":[{"statusCode":"bad code\n"}]},{"id":"` + b + `","success":false,"errors":[{"statusCode":"INSUFFICIENT_ACCESS_OR_READONLY"}]}]`,
			[]ItemResult{{ID: a, Outcome: OutcomeFailed, HTTPStatus: 200, ErrorCode: "UNKNOWN_ERROR"}, {ID: b, Outcome: OutcomeFailed, HTTPStatus: 200, ErrorCode: "INSUFFICIENT_ACCESS_OR_READONLY"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := matchItems([]string{a, b}, 200, []byte(tc.body)); !slices.Equal(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}
