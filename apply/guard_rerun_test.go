package apply

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// A rerun with nothing left to send, whose policy now protects the user of
// a session the org refused to end, journals that skip and the protection:
// the list is done (exit 0, not 4 on every cron run), and a later run
// without --policy still leaves the session alone. Run once more, it adds
// nothing to the journal.
func TestRerunWithNothingToSendJournalsGuardRails(t *testing.T) {
	f := newFixture(t, rows(2))
	f.approve(nil)
	f.org.itemErrors[sid(0)] = "INSUFFICIENT_ACCESS"
	o := f.options(true)
	if rep, err := Run(context.Background(), o); err != nil || rep.Complete() {
		t.Fatalf("first run: err %v, complete %v, want a failure", err, rep.Complete())
	}
	delete(f.org.itemErrors, sid(0))

	o.Protected = []string{"user0@example.com"}
	rep, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Note != "nothing is left to send, so the org was not asked" || !rep.Complete() {
		t.Errorf("rerun with the policy: note %q, complete %v (%v), want the org not asked and the list done", rep.Note, rep.Complete(), outcomes(rep.Results))
	}
	journal := func() string {
		b, err := os.ReadFile(JournalPath(f.list))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	before := journal()
	if _, err := Run(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	if after := journal(); after != before {
		t.Errorf("a rerun with nothing new to journal wrote %q", strings.TrimPrefix(after, before))
	}

	o.Protected = nil
	if _, err := Run(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	f.org.mu.Lock()
	defer f.org.mu.Unlock()
	if f.org.deleted[sid(0)] > 0 {
		t.Errorf("session 0, whose user an earlier run protected, was ended by a run without --policy")
	}
}

// Sessions that containment found and left, whose user the policy protects
// since, are journalled as skipped by the run that keeps them: verify does
// not report them "not removed" (exit 4 on every cron run) while apply
// reports the list done.
func TestVerifySkipsLeftoversOfUsersProtectedSince(t *testing.T) {
	_, f, o := stoppedContainment(t)
	o.Protected = []string{uid(0)}
	rep, err := Run(context.Background(), o)
	if err != nil || !rep.Complete() {
		t.Fatalf("rerun: err %v, complete %v (%v)", err, rep.Complete(), outcomes(rep.Results))
	}
	v, err := Verify(context.Background(), VerifyOptions{Removals: f.list, Org: f.org.orgOptions(f.org.accessToken()),
		Now: func() time.Time { return t0.Add(2 * time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	if !v.AllGone() || len(v.Skipped) != 2 {
		t.Errorf("verify: not removed %v, skipped %v; want %s and %s skipped", v.NotRemoved, v.Skipped, sid(100), sid(101))
	}
}

// Verify finds the sessions containment found under the list the
// approval's runs carried out, even when the list was edited since.
func TestVerifyAfterTheListWasEdited(t *testing.T) {
	_, f, _ := stoppedContainment(t)
	mustWrite(t, f.list, strings.Replace(mustRead(t, f.list), "travel, 900 km/h", "travel, 901 km/h", 1))
	v, err := Verify(context.Background(), VerifyOptions{Removals: f.list, Org: f.org.orgOptions(f.org.accessToken()),
		Now: func() time.Time { return t0.Add(2 * time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	if v.ApplyRefusal == "" || len(v.NotRemoved) != 2 {
		t.Errorf("verify: refusal %q, not removed %v; want apply's refusal and %s, %s not removed", v.ApplyRefusal, v.NotRemoved, sid(100), sid(101))
	}
}

// The org says its API use only in the answer to a request: a run started
// with the org past --max-api-share sends its first request, then stops.
func TestRunPastTheAPIShareSendsOneRequest(t *testing.T) {
	f := newFixture(t, rows(2))
	f.approve(nil)
	f.org.used, f.org.limit = 60, 100
	rep, err := Run(context.Background(), f.options(true))
	if err != nil {
		t.Fatal(err)
	}
	f.org.mu.Lock()
	defer f.org.mu.Unlock()
	if stopCode(rep) != "API_SHARE_LIMIT" || f.org.used != 61 || f.org.deleted[sid(0)]+f.org.deleted[sid(1)] > 0 {
		t.Errorf("stop %q, org use %d/%d, want API_SHARE_LIMIT after one request and nothing deleted", stopCode(rep), f.org.used, f.org.limit)
	}
}
