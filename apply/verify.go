package apply

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/sessionaudit/sessionaudit/sfid"
)

// RevocationLag is how long an ended session may still be listed: Salesforce
// takes up to 30 minutes to revoke a session everywhere.
const RevocationLag = 30 * time.Minute

// verifyChunk is how many Ids one verification query carries: 200 Ids make a
// URL of about 5,500 characters, well under the REST API's limit.
const verifyChunk = 200

// VerifyOptions say which list to verify and how to reach the org.
type VerifyOptions struct {
	Removals string
	Org      OrgOptions
	Now      func() time.Time // the clock approvals expire by; nil means time.Now
}

// VerifyReport sorts the sessions of an approval by what the org says now.
type VerifyReport struct {
	Checked int
	Gone    []string // no longer in AuthSession
	Pending []string // recorded as ended under RevocationLag ago but still listed: revocation can take up to 30 minutes
	// Overdue are recorded as ended RevocationLag or more ago and still
	// listed: the removal did not take, and apply, which sends a session
	// once, will not send it again.
	Overdue    []Overdue
	NotRemoved []string // still listed and never recorded as ended: run apply again
	// ApplyRunning, when set, says that an apply of the list held its lock
	// while verify ran ("process 1234", or "another process"): the
	// sessions it had not recorded ended are Applying, not NotRemoved.
	ApplyRunning string
	// ApplyHolds is the file that apply holds locked: its lock file, or
	// the list itself when the lock file was removed or replaced while it
	// ran.
	ApplyHolds string
	// Applying are still listed and not recorded ended while an apply of
	// the list runs: sent and awaiting the org's answer, or still to be
	// sent. Run verify again once it ends.
	Applying []string
	// Skipped are kept by a guard rail (the caller's own session, a
	// protected user) or withdrawn from the approval, and not checked; but a
	// withdrawn session a run sent without an answer is checked, and is
	// skipped only while the org still lists it (else it is Gone).
	Skipped []string
	// ApplyRefusal, when set, is why apply --execute would refuse the list
	// now (it changed after its approval, or the approval expired): the
	// sessions not removed need a new approval first.
	ApplyRefusal string
}

// Overdue is a session still listed long after its removal was recorded.
type Overdue struct {
	ID      string
	EndedAt time.Time // when the journal recorded it removed or already ended
	Outcome string    // removed or already_ended
}

// AllGone reports whether every checked session is gone.
func (v VerifyReport) AllGone() bool {
	return len(v.Pending) == 0 && len(v.Overdue) == 0 && len(v.NotRemoved) == 0 && len(v.Applying) == 0
}

// Verify asks the org which of the approved sessions, and those found by
// containment, are still present. It only reads: the Ids go in chunks of
// SELECT Id FROM AuthSession WHERE Id IN (…), following nextRecordsUrl.
//
// It reads the approval and the journal before it needs the org: a missing
// approval is an error satisfying errors.Is(err, fs.ErrNotExist) (about the
// list when that is missing too), and only then do missing credentials
// return ErrNoCredentials.
func Verify(ctx context.Context, opts VerifyOptions) (VerifyReport, error) {
	opts.Removals = resolvedList(opts.Removals) // once, as Run does
	var rep VerifyReport
	a, err := ReadApproval(opts.Removals)
	if err != nil {
		// Verify needs the approval, not the list, but a list that is not
		// there either is the first thing wrong: most likely its path.
		if f, lerr := os.Open(opts.Removals); lerr == nil {
			f.Close()
		} else if errors.Is(err, fs.ErrNotExist) && errors.Is(lerr, fs.ErrNotExist) {
			return rep, fmt.Errorf("reading the removal list: %w", lerr)
		}
		return rep, err
	}
	// Looked at before the journal is read, and again after the org is
	// asked: a session an apply running meanwhile has not recorded ended
	// may be in flight, not "not removed".
	running := func() {
		if holder, file, ok := applyRunning(opts.Removals); ok && rep.ApplyRunning == "" {
			rep.ApplyRunning, rep.ApplyHolds = holder, file
		}
	}
	running()
	recs, err := readJournalFile(JournalPath(opts.Removals))
	if err != nil {
		return rep, err
	}
	// The list names the audit whose containment found sessions; a new
	// approval of it may have sent nothing yet. Without the list, the runs
	// of this approval say which audit they carried out.
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	listKey := ""
	if b, err := readRegularFile(opts.Removals); err == nil {
		if rows, err := DecodeRemovals(bytes.NewReader(b), opts.Removals); err == nil {
			listKey = listKeyOf(rows)
			var refusal *RefusalError
			if errors.As(checkApproval(opts.Removals, a, b, rows, now()), &refusal) {
				rep.ApplyRefusal = refusal.Reason
			}
		} else {
			rep.ApplyRefusal = err.Error()
		}
	} else {
		rep.ApplyRefusal = fmt.Sprintf("reading the removal list: %v", err)
	}
	state := replay(recs, listKey)
	// The runs of this approval name the list they carried out: an edit
	// of the list since (which apply refuses, see ApplyRefusal) must not
	// hide the sessions their containment found.
	if k, ok := state.listOf[a.RowsSHA256]; ok && k != "" {
		listKey = k
	}
	var ids []string
	// A withdrawn session whose delete was sent without an answer is asked
	// about: gone if the org ended it, else skipped as withdrawn.
	maybeEnded := map[string]bool{}
	for _, r := range buildResults(a, listKey, state, a.ApprovedAt) {
		if _, ended := state.ended[r.SessionID]; !ended && r.Outcome == OutcomeSkipped &&
			(r.ErrorCode == SkipCurrentSession || r.ErrorCode == SkipProtectedUser || withdrawn(r.ErrorCode)) {
			if r.ErrorCode != SkipWithdrawnUnanswered {
				rep.Skipped = append(rep.Skipped, r.SessionID)
				continue
			}
			maybeEnded[r.SessionID] = true
		}
		ids = append(ids, r.SessionID)
	}
	c, err := newClient(opts.Org)
	if err != nil {
		return rep, err
	}
	present, err := presentSessions(ctx, c, ids)
	if down := orgDown("querying the sessions", err); down != nil {
		// A stop, as the org's request limit is: verify has nothing to
		// resume, only to run again.
		down.Message = strings.TrimSuffix(down.Message, " to resume")
		return rep, down
	}
	if err != nil {
		return rep, fmt.Errorf("querying the sessions: %w", err)
	}
	running()
	for _, id := range ids {
		if maybeEnded[id] && present[id] {
			rep.Skipped = append(rep.Skipped, id)
			continue
		}
		rep.Checked++
		e, ended := state.ended[id]
		switch {
		case !present[id]:
			rep.Gone = append(rep.Gone, id)
		case ended && now().Sub(e.Time) >= RevocationLag:
			rep.Overdue = append(rep.Overdue, Overdue{ID: id, EndedAt: e.Time, Outcome: e.Outcome})
		case ended:
			rep.Pending = append(rep.Pending, id)
		case rep.ApplyRunning != "":
			rep.Applying = append(rep.Applying, id)
		default:
			rep.NotRemoved = append(rep.NotRemoved, id)
		}
	}
	return rep, nil
}

// presentSessions returns which of ids the org still lists in AuthSession.
func presentSessions(ctx context.Context, c *client, ids []string) (map[string]bool, error) {
	present := map[string]bool{}
	for start := 0; start < len(ids); start += verifyChunk {
		chunk := ids[start:min(start+verifyChunk, len(ids))]
		found, err := c.queryIDs(ctx, "SELECT Id FROM AuthSession WHERE Id IN ('"+strings.Join(chunk, "','")+"')", sfid.AuthSession)
		if err != nil {
			return nil, err
		}
		for _, id := range found {
			present[id] = true
		}
	}
	return present, nil
}
