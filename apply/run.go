package apply

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sessionaudit/sessionaudit/sfid"
)

// DefaultMax is how many sessions one run may end unless told otherwise.
const DefaultMax = 500

// collectionLimit is the most ids one sObject Collections request may carry.
const collectionLimit = 200

// callerContainDetail is why the caller's own user is not contained.
const callerContainDetail = "the caller's own user, whom apply never freezes (it would lock out this run): contain them in Setup"

// Skip codes, recorded as the error_code of a skipped session.
const (
	SkipCurrentSession = "CURRENT_SESSION" // the caller's own session family
	SkipProtectedUser  = "PROTECTED_USER"  // the policy protects the user
	SkipNotAttempted   = "NOT_ATTEMPTED"   // the run ended before it; a later run resumes
	SkipCallerUser     = "CALLER_USER"     // a containment step of the caller's own user, which apply never freezes
	// SkipWithdrawn is a session an earlier approval of the list had, or
	// containment of a user it had, that the approval now in force does
	// not: no run sends it, and it is owed no more.
	SkipWithdrawn = "WITHDRAWN"
	// SkipWithdrawnUnanswered is a withdrawn session whose delete an
	// earlier run sent without an answer: the org may have ended it, so the
	// results do not say it was never sent, and verify asks the org about
	// it. No run sends it again.
	SkipWithdrawnUnanswered = "WITHDRAWN_UNANSWERED"
)

// withdrawn says whether a skip code is a withdrawal, which leaves the
// session owed nothing.
func withdrawn(code string) bool { return code == SkipWithdrawn || code == SkipWithdrawnUnanswered }

// alreadyEnded are the per-item codes that mean the session no longer exists.
var alreadyEnded = map[string]bool{"ENTITY_IS_DELETED": true, "NOT_FOUND": true, "INVALID_CROSS_REFERENCE_KEY": true}

// Options say what Run does.
type Options struct {
	Removals  string           // the removal list; the approval, journal, lock and results sit beside it
	Execute   bool             // change the org; without it Run only plans and sends no write
	Max       int              // refuse a run that would end more approved sessions than this; 0 means DefaultMax
	Contain   bool             // contain the users of rows approved with "contain"
	Protected []string         // usernames (case-insensitive) or User Ids never touched
	Now       func() time.Time // nil means time.Now
	Org       OrgOptions       // a dry run without credentials plans without asking the org
}

// PlanEntry is one row of the removal list and what the run does with it.
type PlanEntry struct {
	Row    Row
	Action string // "remove", "contain" (remove and contain the user) or "skip"
	Reason string // why a row is skipped
	Code   string // for a guard-rail skip, SkipProtectedUser or SkipCurrentSession
}

// ContainStep is one containment step for one user.
type ContainStep struct {
	UserID  string
	Step    string // freeze_user, reset_password or end_sessions; steps not sent yet are listed in one, "freeze_user, reset_password"; contain for a user this run skips whole (no Id, or its caller)
	Outcome string // done, failed, skipped or not sent (OutcomeNotSent)
	Detail  string // an error code, or how many sessions were found
}

// Result is a session's outcome, as the results file (ResultsPath) holds it.
type Result struct {
	SessionID  string
	UserID     string
	Outcome    string // removed, already_ended, failed, skipped
	HTTPStatus int
	ErrorCode  string
	Time       time.Time
}

// Report is what a run planned and did.
type Report struct {
	Execute  bool
	Approval *Approval // nil when there is none or it could not be read
	// Refusal says why an executing run would refuse; a dry run reports it
	// here instead of returning it.
	Refusal string
	Note    string // a remark on the plan, e.g. that the org was not asked
	Plan    []PlanEntry
	Contain []ContainStep
	// Results holds, after an executing run, every session of the approval
	// with its latest outcome from the journal, including earlier runs'.
	Results     []Result
	ResultsPath string
	// Left counts the sessions that containment found in an earlier run of
	// this list, under this approval or an earlier one, of a user this
	// approval still approves containing, and that have not ended; with
	// --contain they are sent again. LeftProtected counts those whose user
	// is protected now, which are left alone.
	Left, LeftProtected int
	// Recontain lists the users this run contains again, though their
	// sessions have ended: a freeze or password reset of theirs is not done.
	Recontain []string
	Resent    int        // sessions sent before without an answer, sent again
	Stopped   *StopError // why the run stopped early, if it did
}

// Complete reports whether an executing run handled everything: each
// session removed, already ended or skipped by a guard rail, and each
// containment step approved done (a run without --contain leaves them
// not sent).
func (r Report) Complete() bool {
	if !r.Execute || r.Stopped != nil {
		return false
	}
	for _, res := range r.Results {
		switch {
		case res.Outcome == OutcomeRemoved, res.Outcome == OutcomeAlreadyEnded:
		case res.Outcome == OutcomeSkipped && (res.ErrorCode == SkipCurrentSession || res.ErrorCode == SkipProtectedUser || withdrawn(res.ErrorCode)):
		default:
			return false
		}
	}
	// A containment skipped is a guard rail's, as the caller's own session
	// is: this run's caller's own user, whom it cannot freeze without locking
	// itself out (the summary says to contain them in Setup). A row without
	// its user's Id cannot be approved for containment: approve and apply
	// refuse it.
	for _, s := range r.Contain {
		if s.Outcome == OutcomeFailed || s.Outcome == OutcomeNotSent {
			return false
		}
	}
	return true
}

// Run plans the approved removals of opts.Removals and, with opts.Execute,
// carries them out exactly once.
//
// An executing run holds the lock beside the list, and returns a
// *RefusalError, having sent nothing, when there is no valid unexpired
// approval for the list as it is now or when more than opts.Max approved
// sessions remain. It never sends a session that is neither approved nor
// found by containing a user whose row was approved with "contain" (with
// opts.Contain), belongs to a protected user, is in the caller's own session family or that the
// journal records as ended. Every write is journalled before it is sent and
// its answer after; a run killed at any point is resumed by running it
// again. A *StopError (limit, API share, rejected token) ends the run with
// the report and results file written; other errors are returned as such.
// An executing run without credentials returns ErrNoCredentials, but only
// after the list, its approval and --max have passed.
func Run(ctx context.Context, opts Options) (Report, error) {
	// Resolved once: a link repointed while the run works cannot split its
	// lock, journal and list between two lists.
	opts.Removals = resolvedList(opts.Removals)
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Max == 0 {
		opts.Max = DefaultMax
	}
	if opts.Max < 0 {
		return Report{}, fmt.Errorf("max %d is negative", opts.Max)
	}
	rep := Report{Execute: opts.Execute}
	if opts.Execute {
		unlock, err := lockList(opts.Removals)
		if err != nil {
			return rep, err
		}
		defer unlock()
	}

	list, err := readRegularFile(opts.Removals)
	if err != nil {
		return rep, fmt.Errorf("reading the removal list: %w", err)
	}
	rows, err := DecodeRemovals(bytes.NewReader(list), opts.Removals)
	if err != nil {
		return rep, err
	}
	listKey := listKeyOf(rows)
	approved := map[string]ApprovedSession{}
	var approval Approval
	rep.Approval, err = validApproval(opts.Removals, list, rows, opts.Now())
	// An approval that matches the list but has expired sends nothing more,
	// but a rerun of a list it already saw through still finishes (below).
	refusal, _ := err.(*RefusalError)
	expired := refusal != nil && refusal.Expired && rep.Approval != nil
	switch {
	case err != nil && opts.Execute && !expired:
		return rep, err
	case err != nil && !expired:
		rep.Refusal = refusal.Reason
	default:
		approval = *rep.Approval
		for _, s := range approval.Sessions {
			approved[s.SessionID] = s
		}
	}

	recs, err := readJournalFile(JournalPath(opts.Removals))
	if err != nil {
		return rep, err
	}
	state := replay(recs, listKey)
	// The users protected now and by any earlier run beside this journal.
	pinned := pinnedProtected(opts.Protected, state.protected)

	pl := listPlan{rows: rows, approved: approved, approval: approval, listKey: listKey, state: state,
		protected: newProtectedSet(pinned), protectedNow: newProtectedSet(opts.Protected), contain: opts.Contain, expired: expired}
	// A plan whose rows all said "not approved" would read as a list never
	// approved, when it was approved and changed since.
	notApproved := "not approved"
	if refusal != nil && refusal.Changed {
		notApproved = "the list changed after it was approved"
	}
	plan, toSend, containing := pl.sessions(notApproved)
	rep.Plan = plan
	resume, guarded := pl.leftovers(&rep, containing)
	pl.owedSteps(&rep, containing)
	if expired && (len(toSend) > 0 || len(resume) > 0 || len(rep.Recontain) > 0) {
		if opts.Execute {
			return rep, refusal
		}
		rep.Refusal = refusal.Reason
	}
	if len(toSend) > opts.Max {
		err := refuse("%d approved sessions remain, more than --max %d: raise --max or approve fewer (a batch is never truncated)", len(toSend), opts.Max)
		if opts.Execute {
			return rep, err
		}
		if rep.Refusal == "" {
			rep.Refusal = err.(*RefusalError).Reason
		}
	}

	if opts.Org.Credentials == nil && !opts.Execute {
		rep.Note = "no credentials in the environment, so the caller's own sessions were not looked up"
		return rep, nil
	}
	if len(toSend) == 0 && len(resume) == 0 && len(rep.Recontain) == 0 {
		// The journal has every approved session ended (or it is protected),
		// every session containment found that this run may send, and every
		// containment step this run may send done:
		// a rerun of a finished list must not need the org, whose token may
		// have expired since, nor credentials at all.
		rep.Note = "nothing is left to send, so the org was not asked"
		if !opts.Execute {
			return rep, nil
		}
		// What a guard rail keeps from now (a user protected since the
		// last run) is journalled as a run that sends nothing would
		// journal it: the users it protects stay protected for every later
		// run, and the results and verify read the sessions kept for it as
		// skipped, not as the failure of an earlier run.
		skips := guardSkips(rep.Plan, guarded)
		if state.lacks(pinned, skips) {
			f, recs, err := openJournal(JournalPath(opts.Removals))
			if err != nil {
				return rep, err
			}
			defer f.Close()
			r := &runner{listKey: listKey, protected: pinned, recs: recs, rep: &rep, j: &journal{f: f, now: opts.Now, run: runID(opts.Now())}}
			if err := r.begin(approval, skips); err != nil {
				return rep, err
			}
			state = replay(r.recs, listKey)
		}
		rep.Results = buildResults(approval, listKey, state, opts.Now())
		rep.ResultsPath = ResultsPath(opts.Removals)
		return rep, writeResults(rep.ResultsPath, rep.Results)
	}
	if opts.Org.Credentials == nil {
		return rep, ErrNoCredentials
	}
	c, err := newClient(opts.Org)
	if err != nil {
		return rep, err
	}
	current, currentUsers, curErr := currentSessions(ctx, c)
	if down := orgDown("looking up the caller's own sessions", curErr); down != nil {
		// The org is down or out of reach: a stop, journalled as any
		// other, for a later run to resume.
		curErr = down
	}
	var stop *StopError
	switch {
	case curErr != nil && !opts.Execute && ctx.Err() == nil:
		// A dry run plans without the org, as without credentials: a stale
		// token must not hide the plan from the analyst reviewing it.
		rep.Note = fmt.Sprintf("the org could not be asked which session is the caller's own (%v), so the plan does not mark it", curErr)
		return rep, nil
	case curErr != nil && (!opts.Execute || !errors.As(curErr, &stop)):
		return rep, fmt.Errorf("looking up the caller's own sessions: %w", curErr)
	}
	for i, e := range rep.Plan {
		if e.Action != "skip" && current[e.Row.SessionID] {
			rep.Plan[i].Action, rep.Plan[i].Reason, rep.Plan[i].Code = "skip", "the caller's own session", SkipCurrentSession
		}
	}
	// Nor is the caller's own user ever contained (see contain): what the
	// plan owes of their containment is skipped as a guard rail's, for this
	// run, whose caller they are.
	for i, s := range rep.Contain {
		if currentUsers[s.UserID] && (s.Outcome == OutcomeNotSent || s.Outcome == OutcomeFailed) {
			rep.Contain[i] = ContainStep{UserID: s.UserID, Step: s.Step, Outcome: OutcomeSkipped, Detail: callerContainDetail}
		}
	}
	if !opts.Execute {
		return rep, nil
	}

	f, recs, err := openJournal(JournalPath(opts.Removals))
	if err != nil {
		return rep, err
	}
	defer f.Close()
	r := &runner{c: c, listKey: listKey, protected: pinned, state: replay(recs, listKey), recs: recs, current: current, currentUsers: currentUsers, rep: &rep,
		j: &journal{f: f, now: opts.Now, run: runID(opts.Now())}}
	runErr := r.execute(ctx, approval, rep.Plan, resume, guarded, rep.Recontain, curErr)
	if errors.As(runErr, &stop) {
		rep.Stopped, runErr = stop, nil
	}
	rep.Results = buildResults(approval, listKey, replay(r.recs, listKey), opts.Now())
	rep.ResultsPath = ResultsPath(opts.Removals)
	if err := writeResults(rep.ResultsPath, rep.Results); err != nil {
		return rep, errors.Join(runErr, err)
	}
	return rep, runErr
}

// listPlan is what planning a run of a list reads: the list's rows, the
// approval in force, the journal's state and who is protected.
type listPlan struct {
	rows         []Row
	approved     map[string]ApprovedSession // the approval's sessions by Id
	approval     Approval
	listKey      string
	state        *journalState
	protected    protectedSet // protected now or by an earlier run beside the journal
	protectedNow protectedSet // protected by this run's policy
	contain      bool         // --contain
	expired      bool         // the approval has expired
}

// guards says whether the policy protects a row's user, or may.
func (p listPlan) guards(userID, username string) bool {
	return p.protected.has(userID, username) || p.protected.unsure(userID, username)
}

// sessions plans each row of the list: what the run does with its session,
// the sessions it sends, and the users of rows it may contain (ended or
// not). notApproved is the reason a row the approval lacks is skipped.
func (p listPlan) sessions(notApproved string) (plan []PlanEntry, toSend []string, containing map[string]bool) {
	containing = map[string]bool{}
	for _, row := range p.rows {
		e := PlanEntry{Row: row, Action: "skip"}
		a, ok := p.approved[row.SessionID]
		switch {
		case !ok:
			e.Reason = notApproved
		case p.protected.has(row.UserID, row.Username):
			e.Reason, e.Code = "protected user", SkipProtectedUser
			if !p.protectedNow.has(row.UserID, row.Username) {
				e.Reason = "protected user (in protected_users when an earlier run of this list ran)"
			}
		case p.protected.unsure(row.UserID, row.Username):
			e.Reason, e.Code = p.protected.unsureReason(row.UserID), SkipProtectedUser
		default:
			switch {
			case a.Contain && p.contain:
				e.Action = "contain"
				containing[row.UserID] = true
			case a.Contain:
				e.Action, e.Reason = "remove", "approved for containment: add --contain to contain the user too"
			default:
				e.Action = "remove"
			}
			if ended, ok := p.state.ended[row.SessionID]; ok {
				e.Action, e.Reason = "skip", "ended in an earlier run ("+ended.Outcome+")"
			} else {
				toSend = append(toSend, row.SessionID)
			}
		}
		plan = append(plan, e)
	}
	return plan, toSend, containing
}

// leftovers counts, in rep, the sessions that an earlier run's containment
// found and did not end, and returns those this run sends again: only while
// their user may still be contained. guarded holds the leftovers whose user
// the policy now protects, which are left alone.
func (p listPlan) leftovers(rep *Report, containing map[string]bool) (resume, guarded []batch) {
	usernameOf := map[string]string{}
	for _, row := range p.rows {
		usernameOf[row.UserID] = row.Username
	}
	for _, b := range p.state.leftByContainment(p.approval, p.listKey) {
		if p.guards(b.userID, usernameOf[b.userID]) {
			guarded = append(guarded, b)
			rep.LeftProtected += len(b.ids)
			continue
		}
		rep.Left += len(b.ids)
		if containing[b.userID] {
			resume = append(resume, b)
		}
	}
	return resume, guarded
}

// owedSteps reports, in rep, the containment steps still owed to users
// approved for containment whose sessions this run does not contain: a
// freeze or password reset that failed, or never ran, is owed even when
// every session has ended. With --contain the user is contained again (a
// step done is never repeated: rep.Recontain); without, the step keeps the
// list incomplete, as failed or not sent, since the analyst approved
// containing the user.
func (p listPlan) owedSteps(rep *Report, containing map[string]bool) {
	seen := map[string]bool{}
	for _, e := range rep.Plan {
		if e.Action == "contain" {
			seen[e.Row.UserID] = true // the plan contains the user anyway
		}
	}
	for _, row := range p.rows {
		a, ok := p.approved[row.SessionID]
		if !ok || !a.Contain || row.UserID == "" || seen[row.UserID] || p.guards(row.UserID, row.Username) {
			continue
		}
		seen[row.UserID] = true
		var unsent []string
		for _, op := range p.state.stepsOwed(p.listKey, row.UserID) {
			if containing[row.UserID] {
				if !slices.Contains(rep.Recontain, row.UserID) {
					rep.Recontain = append(rep.Recontain, row.UserID)
				}
			} else if it, ok := p.state.stepsTried[p.listKey][op+" "+row.UserID]; ok && it.Outcome == OutcomeSkipped && it.ErrorCode == SkipCallerUser {
				// Skipped by an earlier run whose caller the user was:
				// still owed, since a run by someone else can contain
				// them (see contain). Once the org says this run's caller
				// is that user, the step is a guard rail's again (see Run).
				detail := "skipped in an earlier run, whose caller was this user: run apply --contain again " +
					"(as another user, to contain them; as this one, to skip it as this run's own), or contain them in Setup and approve their rows as yes"
				if p.expired {
					detail = "skipped in an earlier run, whose caller was this user, and the approval has expired: approve the list again, then run apply --contain " +
						"(as another user, to contain them), or contain them in Setup and approve their rows as yes"
				}
				rep.Contain = append(rep.Contain, ContainStep{UserID: row.UserID, Step: op, Outcome: OutcomeNotSent, Detail: detail})
			} else if ok {
				detail := "in an earlier run: add --contain to send it again"
				if p.expired {
					detail = "in an earlier run, and the approval has expired: approve the list again, then run with --contain to send it again"
				}
				switch {
				case it.Outcome == OutcomeSkipped && it.HTTPStatus != 0:
					// A stop the org answered the step with (see write1).
					detail = fmt.Sprintf("stopped: the org answered HTTP %d (%s) %s", it.HTTPStatus, it.ErrorCode, detail)
				case it.Outcome == OutcomeSkipped:
					detail = fmt.Sprintf("stopped (%s) before it was sent %s", it.ErrorCode, detail)
				case it.ErrorCode != "":
					detail = it.ErrorCode + " " + detail
				case it.HTTPStatus != 0:
					detail = fmt.Sprintf("HTTP %d %s", it.HTTPStatus, detail)
				}
				rep.Contain = append(rep.Contain, ContainStep{UserID: row.UserID, Step: op, Outcome: OutcomeFailed, Detail: detail})
			} else {
				unsent = append(unsent, op)
			}
		}
		if len(unsent) > 0 {
			detail := "approved for containment: add --contain to send it"
			if p.expired {
				detail = "approved for containment, but the approval has expired: approve the list again, then run with --contain"
			}
			rep.Contain = append(rep.Contain, ContainStep{UserID: row.UserID, Step: strings.Join(unsent, ", "), Outcome: OutcomeNotSent, Detail: detail})
		}
	}
}

// validApproval reads the approval of the list whose bytes and rows are
// given. It returns a *RefusalError, with the approval if one could be read,
// unless the approval is there, matches the list and has not expired.
func validApproval(removals string, list []byte, rows []Row, now time.Time) (*Approval, error) {
	a, err := ReadApproval(removals)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, refuse("%s has no approval: review it, then run sessionaudit approve --removals %s --by NAME", removals, removals)
	case err != nil:
		return nil, refuse("%v: approve the list again", err)
	}
	return &a, checkApproval(removals, a, list, rows, now)
}

func runID(t time.Time) string {
	return t.UTC().Format("20060102T150405Z") + "-" + strconv.Itoa(os.Getpid())
}

// currentSessions returns the caller's own session family and its users.
func currentSessions(ctx context.Context, c *client) (map[string]bool, map[string]bool, error) {
	sessions, users := map[string]bool{}, map[string]bool{}
	err := c.query(ctx, "SELECT Id, UsersId FROM AuthSession WHERE IsCurrent = true", func(raw json.RawMessage) error {
		var rec struct{ Id, UsersId string }
		if err := json.Unmarshal(raw, &rec); err != nil {
			return err
		}
		id, err := sfid.Normalize(rec.Id)
		if err != nil {
			return err
		}
		sessions[id] = true
		if u, err := sfid.Normalize(rec.UsersId); err == nil {
			users[u] = true
		}
		return nil
	})
	return sessions, users, err
}

// pinnedProtected is the protected_users of this run's policy followed by
// those of earlier runs beside the journal that it does not name, each once
// (trimmed, compared without case).
func pinnedProtected(now, earlier []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, p := range slices.Concat(now, earlier) {
		p = strings.TrimSpace(p)
		if key := strings.ToLower(p); p != "" && !seen[key] {
			seen[key] = true
			out = append(out, p)
		}
	}
	return out
}

type protectedSet struct {
	ids, names map[string]bool
	byName     bool // some entry is a username, not an Id
}

func newProtectedSet(list []string) protectedSet {
	p := protectedSet{ids: map[string]bool{}, names: map[string]bool{}}
	for _, s := range list {
		s = strings.TrimSpace(s)
		if id, err := sfid.Normalize(s); err == nil {
			p.ids[id] = true
		} else {
			p.byName = true
		}
		p.names[strings.ToLower(s)] = true
	}
	return p
}

func (p protectedSet) has(userID, username string) bool {
	return (userID != "" && p.ids[userID]) || (username != "" && p.names[strings.ToLower(username)])
}

// unsure says whether a row the protected set cannot match might still be
// a protected user's: one without a username when protected_users names
// anyone by username, or one without a user Id (a list edited by hand) when
// it names anyone by Id.
func (p protectedSet) unsure(userID, username string) bool {
	return (username == "" && p.byName) || (userID == "" && len(p.ids) > 0)
}

// unsureReason says why unsure held a row back.
func (p protectedSet) unsureReason(userID string) string {
	if userID == "" && len(p.ids) > 0 {
		return "no user Id, and protected_users names users by Id: it may be a protected user's"
	}
	return "no username, and protected_users names users by username: it may be a protected user's"
}

// runner carries out one executing run.
type runner struct {
	c            *client
	j            *journal
	recs         []Record // the journal as it now is, this run's records included
	state        *journalState
	current      map[string]bool
	currentUsers map[string]bool
	rep          *Report
	seq          int
	listKey      string   // the list's key (listKeyOf)
	protected    []string // the users kept from, as the run record keeps them
}

func (r *runner) write(rec Record) error {
	rec, err := r.j.append(rec)
	if err != nil {
		return err
	}
	r.recs = append(r.recs, rec)
	return nil
}

// begin journals the run, with the users it keeps from, and what its guard
// rails skip (guardSkips).
func (r *runner) begin(a Approval, skips []Record) error {
	if err := r.write(Record{Kind: "run", PID: os.Getpid(), Approval: a.RowsSHA256, List: r.listKey, ApprovedBy: a.ApprovedBy, Protected: r.protected}); err != nil {
		return err
	}
	for _, rec := range skips {
		if err := r.write(rec); err != nil {
			return err
		}
	}
	return nil
}

// guardSkips are the journal records of what a run keeps from by a guard
// rail: each row its plan skips with a code (a protected user, the caller's
// own session), and each session containment found and did not end whose
// user the policy now protects (guarded, see leftovers). From the journal,
// the results and verify read them as skipped.
func guardSkips(plan []PlanEntry, guarded []batch) []Record {
	var recs []Record
	var rows []ItemResult
	for _, e := range plan {
		if e.Code != "" {
			rows = append(rows, ItemResult{ID: e.Row.SessionID, Outcome: OutcomeSkipped, ErrorCode: e.Code})
		}
	}
	if len(rows) > 0 {
		recs = append(recs, Record{Kind: "skip", Op: opDeleteSessions, Results: rows})
	}
	for _, b := range guarded {
		var items []ItemResult
		for _, id := range b.ids {
			items = append(items, ItemResult{ID: id, Outcome: OutcomeSkipped, ErrorCode: SkipProtectedUser})
		}
		recs = append(recs, Record{Kind: "skip", Op: opDeleteSessions, UserID: b.userID, Results: items})
	}
	return recs
}

type batch struct {
	userID string // set for sessions found by containing this user
	ids    []string
}

// execute carries out the plan, sends again the sessions that an earlier
// run's containment left (resume) and contains again the users with a
// containment step not done (recontain); beforeErr is a stop that came
// before the run could start (while looking up the caller's sessions),
// journalled so the results say why nothing was sent.
func (r *runner) execute(ctx context.Context, a Approval, plan []PlanEntry, resume, guarded []batch, recontain []string, beforeErr error) error {
	if err := r.begin(a, guardSkips(plan, guarded)); err != nil {
		return err
	}
	var remove []string
	var containUsers []string
	for _, e := range plan {
		switch {
		case e.Code != "":
			// The caller's own session approved for containment: its user
			// is the caller, whom contain reports skipped, saying how to
			// contain them, instead of leaving the containment unmentioned
			// (with --contain; without it, the plan already reports the
			// steps owed as skipped, see Run).
			u := e.Row.UserID
			if e.Code == SkipCurrentSession && e.Row.Approve == Contain && r.currentUsers[u] && !slices.Contains(containUsers, u) &&
				!slices.ContainsFunc(r.rep.Contain, func(s ContainStep) bool { return s.UserID == u }) {
				containUsers = append(containUsers, u)
			}
		case e.Action == "remove", e.Action == "contain":
			remove = append(remove, e.Row.SessionID)
			if e.Action == "contain" && !slices.Contains(containUsers, e.Row.UserID) {
				containUsers = append(containUsers, e.Row.UserID)
			}
		}
	}
	for _, u := range recontain {
		if !slices.Contains(containUsers, u) {
			containUsers = append(containUsers, u)
		}
	}
	batches := []batch{{ids: remove}}
	for _, b := range resume {
		// As contain does, leave the caller's own user and sessions alone.
		if r.currentUsers[b.userID] {
			continue
		}
		b.ids = slices.DeleteFunc(b.ids, func(id string) bool { return r.current[id] })
		batches = append(batches, b)
	}
	if beforeErr != nil {
		return r.stop(beforeErr, batches)
	}
	queued := map[string]bool{}
	for _, b := range batches {
		for _, id := range b.ids {
			queued[id] = true
		}
	}
	// Contain first: a frozen user with a new password cannot log in again
	// between the end of one session and the next.
	for _, u := range containUsers {
		ids, err := r.contain(ctx, u)
		if err != nil {
			return r.stop(err, batches)
		}
		var extra []string
		for _, id := range ids {
			if !queued[id] {
				queued[id] = true
				extra = append(extra, id)
			}
		}
		batches = append(batches, batch{userID: u, ids: extra})
	}
	for i := range batches {
		for len(batches[i].ids) > 0 {
			n := min(collectionLimit, len(batches[i].ids))
			err := r.deleteSessions(ctx, batches[i].userID, batches[i].ids[:n])
			// Sent ids are answered or in flight: either way no longer left.
			batches[i].ids = batches[i].ids[n:]
			if err != nil {
				return r.stop(err, batches[i:])
			}
		}
	}
	return nil
}

// stop journals why the run ends early and which sessions it leaves; a
// cancelled context (a signal) is journalled the same way, so the results
// file can say NOT_ATTEMPTED rather than nothing.
func (r *runner) stop(err error, left []batch) error {
	code, msg := "ERROR", err.Error()
	var stop *StopError
	var untrusted *CertificateError
	switch {
	case errors.As(err, &stop):
		code, msg = stop.Code, stop.Message
	case errors.As(err, &untrusted):
		code = certificateCode
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		code = "CANCELLED"
	}
	// One record per batch keeps the user whose containment found the
	// sessions, so that the next run can send them again. A journal write
	// failing here is secondary to err, which is returned.
	for _, b := range left {
		var items []ItemResult
		for _, id := range b.ids {
			items = append(items, ItemResult{ID: id, Outcome: OutcomeSkipped, ErrorCode: code})
		}
		if len(items) > 0 {
			r.write(Record{Kind: "skip", Op: opDeleteSessions, UserID: b.userID, Results: items})
		}
	}
	r.write(Record{Kind: "stop", Code: code, Message: msg})
	return err
}

// deleteSessions ends up to 200 sessions with one sObject Collections
// request. The intent is on disk before the request leaves and the per-id
// answer after it returns. If the process dies in between, the next run
// finds the intent without a result and sends those ids again: deleting a
// session that has already ended is harmless, and the org answers it with
// ENTITY_IS_DELETED (or NOT_FOUND), which is recorded as already_ended. Ids
// whose result is on disk are never sent again.
func (r *runner) deleteSessions(ctx context.Context, userID string, ids []string) error {
	for _, id := range ids {
		if r.state.unacked[id] {
			r.rep.Resent++
		}
	}
	r.seq++
	seq := r.seq
	if err := r.write(Record{Kind: "intent", Seq: seq, Op: opDeleteSessions, UserID: userID, IDs: ids}); err != nil {
		return err
	}
	path := r.c.dataPath("/composite/sobjects?ids=%s&allOrNone=false", strings.Join(ids, ","))
	status, body, err := r.c.do(ctx, http.MethodDelete, path, nil, false)
	unanswered := r.c.unanswered // before another request resets it
	// The org down: the answer is journalled as any other, then the run
	// stops.
	down := r.orgDown("deleting sessions", err)
	var results []ItemResult
	var apiErr *APIError
	var stop *StopError
	var untrusted *CertificateError
	switch {
	case errors.As(err, &untrusted):
		// The handshake failed, so the last attempt sent nothing: the
		// sessions are skipped, unless an attempt before it went
		// unanswered (the org may have ended them then).
		for _, id := range ids {
			res := ItemResult{ID: id, Outcome: OutcomeSkipped, ErrorCode: certificateCode}
			if unanswered {
				res = ItemResult{ID: id, Outcome: OutcomeFailed, ErrorCode: noResponseCode}
			}
			results = append(results, res)
		}
		if werr := r.write(Record{Kind: "result", Seq: seq, Op: opDeleteSessions, UserID: userID, Results: results}); werr != nil {
			return werr
		}
		return err
	case errors.As(err, &apiErr) && alreadyEnded[apiErr.Code]:
		results, err = r.whichGone(ctx, ids, apiErr, unanswered)
		if werr := r.write(Record{Kind: "result", Seq: seq, Op: opDeleteSessions, UserID: userID, Results: results}); werr != nil {
			return werr
		}
		// The org answered the delete, so a query it fails here is the
		// first unserved request in a row, not yet the org down: the next
		// request tells (presentSessions stops at its first failure).
		if errors.As(err, &stop) || ctx.Err() != nil {
			return err
		}
		return nil
	case unanswered && ctx.Err() == nil && (errors.As(err, &apiErr) || errors.As(err, &stop)):
		// An attempt before the last went unanswered (a timeout, a dropped
		// connection):
		// the org may have ended the sessions then, so they are recorded
		// as sent without an answer, to be sent again (an ended one comes
		// back as already ended), not as refused.
		for _, id := range ids {
			results = append(results, ItemResult{ID: id, Outcome: OutcomeFailed, ErrorCode: noResponseCode})
		}
		if stop != nil {
			if werr := r.write(Record{Kind: "result", Seq: seq, Op: opDeleteSessions, UserID: userID, Results: results}); werr != nil {
				return werr
			}
			return err
		}
	case errors.As(err, &apiErr):
		for _, id := range ids {
			results = append(results, ItemResult{ID: id, Outcome: OutcomeFailed, HTTPStatus: apiErr.Status, ErrorCode: apiErr.Code})
		}
	case errors.As(err, &stop):
		// The org refused the request (or it was never sent): nothing ended.
		for _, id := range ids {
			results = append(results, ItemResult{ID: id, Outcome: OutcomeSkipped, ErrorCode: stop.Code})
		}
		if werr := r.write(Record{Kind: "result", Seq: seq, Op: opDeleteSessions, UserID: userID, Results: results}); werr != nil {
			return werr
		}
		return err
	case err != nil:
		// Cancelled while in flight: the intent stays unanswered.
		return err
	default:
		results = matchItems(ids, status, body)
	}
	if err := r.write(Record{Kind: "result", Seq: seq, Op: opDeleteSessions, UserID: userID, Results: results}); err != nil {
		return err
	}
	if down != nil {
		return down
	}
	return nil
}

// whichGone sorts the ids of a collections delete that the org refused as a
// whole with an "already ended" code (ENTITY_IS_DELETED, NOT_FOUND,
// INVALID_CROSS_REFERENCE_KEY), which does not say which id it means. The
// org is asked which are still listed, even for a lone id (a NOT_FOUND for
// the whole request may mean the endpoint, as under an API version without
// sObject Collections): the others are already ended; those still listed
// failed, and the next run sends them again. If that query fails, every id
// failed, as for any other refusal, or was sent without an answer
// (NO_RESPONSE) when an attempt of the delete went unanswered; the query's
// error is returned.
func (r *runner) whichGone(ctx context.Context, ids []string, refused *APIError, unanswered bool) ([]ItemResult, error) {
	present, err := presentSessions(ctx, r.c, ids)
	results := make([]ItemResult, len(ids))
	for i, id := range ids {
		results[i] = ItemResult{ID: id, Outcome: OutcomeAlreadyEnded, HTTPStatus: refused.Status, ErrorCode: refused.Code}
		switch {
		case err != nil && unanswered:
			// The query could not tell, and an attempt of the delete went
			// unanswered: sent without an answer, as in deleteSessions.
			results[i] = ItemResult{ID: id, Outcome: OutcomeFailed, ErrorCode: noResponseCode}
		case err != nil || present[id]:
			results[i].Outcome = OutcomeFailed
		}
	}
	return results, err
}

// matchItems pairs a collections response with the ids sent: by id where the
// item has one, by position where it has not (a failed item may carry a null
// id). An id left without an answer is failed with NO_RESULT, and so is one
// the org answered twice, saying different things (success and a failure):
// recorded as removed, it would never be sent again, though the org may not
// have ended it; failed, the next run sends it again and learns which.
func matchItems(ids []string, status int, body []byte) []ItemResult {
	type item struct {
		ID      *string `json:"id"`
		Success bool    `json:"success"`
		Errors  []struct {
			StatusCode string `json:"statusCode"`
		} `json:"errors"`
	}
	// outcome reads an item as a result's outcome and error code.
	outcome := func(it item) (string, string) {
		if it.Success {
			return OutcomeRemoved, ""
		}
		code := "UNKNOWN_ERROR"
		if len(it.Errors) > 0 && errorCodePattern.MatchString(it.Errors[0].StatusCode) {
			code = it.Errors[0].StatusCode
		}
		if alreadyEnded[code] {
			return OutcomeAlreadyEnded, code
		}
		return OutcomeFailed, code
	}
	var items []item
	parseErr := json.Unmarshal(body, &items)
	byID := map[string]item{}
	conflicting := map[string]bool{}
	for _, it := range items {
		if it.ID != nil {
			if id, err := sfid.Normalize(*it.ID); err == nil {
				if seen, ok := byID[id]; ok {
					o1, _ := outcome(seen)
					o2, _ := outcome(it)
					conflicting[id] = conflicting[id] || o1 != o2
				}
				byID[id] = it
			}
		}
	}
	results := make([]ItemResult, len(ids))
	for i, id := range ids {
		it, ok := byID[id]
		if !ok && parseErr == nil && len(items) == len(ids) && items[i].ID == nil {
			it, ok = items[i], true
		}
		res := ItemResult{ID: id, HTTPStatus: status}
		switch {
		case !ok || conflicting[id]:
			res.Outcome, res.ErrorCode = OutcomeFailed, "NO_RESULT"
		default:
			res.Outcome, res.ErrorCode = outcome(it)
		}
		results[i] = res
	}
	return results
}

// contain freezes userID, resets its password and returns its live sessions
// other than the caller's own, skipping the steps the journal records as
// done. A failed step is reported and the next one still runs; only a
// *StopError or a cancelled context ends containment.
func (r *runner) contain(ctx context.Context, userID string) ([]string, error) {
	step := func(name, outcome, detail string) {
		r.rep.Contain = append(r.rep.Contain, ContainStep{UserID: userID, Step: name, Outcome: outcome, Detail: detail})
	}
	if userID == "" {
		step("contain", OutcomeSkipped, "the list does not name the user's Id")
		return nil, nil
	}
	if r.currentUsers[userID] {
		// Freezing the caller would end this run and lock out its operator.
		// Journalled, so that a later run, which may not ask the org who
		// its caller is, can say why the steps are still owed and how to
		// settle them.
		step("contain", OutcomeSkipped, callerContainDetail)
		for _, op := range containSteps {
			if err := r.write(Record{Kind: "result", Op: op, UserID: userID,
				Results: []ItemResult{{ID: userID, Outcome: OutcomeSkipped, ErrorCode: SkipCallerUser}}}); err != nil {
				return nil, err
			}
		}
		return nil, nil
	}
	fatal := func(err error) bool {
		var stop *StopError
		var untrusted *CertificateError
		return errors.As(err, &stop) || errors.As(err, &untrusted) || ctx.Err() != nil
	}
	// record journals the outcome of a step that sends no write of its own
	// (whose writes write1 journals): for the user, with ids it found.
	record := func(op, outcome, code string, ids []string) error {
		return r.write(Record{Kind: "result", Op: op, UserID: userID, IDs: ids,
			Results: []ItemResult{{ID: userID, Outcome: outcome, ErrorCode: code}}})
	}
	// stopped journals a step that a stop, or an untrusted certificate,
	// ended at a query of its own (the freeze's lookup of the user's
	// UserLogin, the search for their sessions) as write1 journals one
	// ended at its write, so that the plan can say what the org answered
	// rather than that no run with --contain sent it; then it returns err.
	stopped := func(op string, err error) error {
		var stop *StopError
		var untrusted *CertificateError
		res := ItemResult{ID: userID}
		switch {
		case ctx.Err() != nil:
			return err
		case errors.As(err, &stop):
			res.Outcome, res.HTTPStatus, res.ErrorCode = OutcomeSkipped, stop.status, stop.Code
		case errors.As(err, &untrusted):
			res.Outcome, res.ErrorCode = OutcomeFailed, certificateCode
		default:
			return err
		}
		if werr := r.write(Record{Kind: "result", Op: op, UserID: userID, Results: []ItemResult{res}}); werr != nil {
			return werr
		}
		return err
	}

	if r.state.done(r.listKey, opFreezeUser, userID) {
		step(opFreezeUser, outcomeDone, "in an earlier run")
	} else {
		logins, err := r.c.queryIDs(ctx, "SELECT Id FROM UserLogin WHERE UserId = '"+userID+"'", "")
		switch {
		case err != nil && fatal(err):
			return nil, stopped(opFreezeUser, err)
		case err != nil, len(logins) == 0:
			// Journalled, so that a rerun without --contain still reports
			// the freeze as failed.
			code := "NO_USER_LOGIN"
			if err != nil {
				code = errorCode(err)
				r.c.logf("contain %s: looking up the user's UserLogin: %v", userID, r.c.safe(err))
			}
			step(opFreezeUser, OutcomeFailed, code)
			if err := record(opFreezeUser, OutcomeFailed, code, nil); err != nil {
				return nil, err
			}
			if down := r.orgDown("looking up the UserLogin of "+userID, err); down != nil {
				return nil, down
			}
		default:
			outcome, detail := outcomeDone, ""
			for _, login := range logins {
				o, d, err := r.write1(ctx, opFreezeUser, userID, login, http.MethodPatch,
					r.c.dataPath("/sobjects/UserLogin/%s", login), []byte(`{"IsFrozen":true}`), false)
				if err != nil {
					return nil, err
				}
				if o != outcomeDone {
					outcome, detail = o, d
				}
			}
			step(opFreezeUser, outcome, detail)
		}
	}

	if r.state.done(r.listKey, opResetPassword, userID) {
		step(opResetPassword, outcomeDone, "in an earlier run")
	} else {
		// Resetting twice (after a crash between request and answer) only
		// sends the user a second reset email.
		o, d, err := r.write1(ctx, opResetPassword, userID, userID, http.MethodDelete,
			r.c.dataPath("/sobjects/User/%s/password", userID), nil, true)
		if err != nil {
			return nil, err
		}
		step(opResetPassword, o, d)
	}

	// The search is journalled with the sessions it found, before any is
	// sent: a search that failed, or a run that died before recording one,
	// leaves the step owed, and a rerun with --contain searches again.
	sessions, err := r.c.queryIDs(ctx, "SELECT Id FROM AuthSession WHERE UsersId = '"+userID+"'", sfid.AuthSession)
	if err != nil {
		if fatal(err) {
			return nil, stopped(opEndSessions, err)
		}
		// The code alone (ERROR for an answer that is no query result)
		// does not say what went wrong: the log does.
		r.c.logf("contain %s: searching for the user's sessions: %v", userID, r.c.safe(err))
		step(opEndSessions, OutcomeFailed, errorCode(err))
		if err := record(opEndSessions, OutcomeFailed, errorCode(err), nil); err != nil {
			return nil, err
		}
		if down := r.orgDown("searching for the sessions of "+userID, err); down != nil {
			return nil, down
		}
		return nil, nil
	}
	var live []string
	for _, id := range sessions {
		if _, ended := r.state.ended[id]; !ended && !r.current[id] {
			live = append(live, id)
		}
	}
	if err := record(opEndSessions, outcomeDone, "", live); err != nil {
		return nil, err
	}
	step(opEndSessions, outcomeDone, fmt.Sprintf("%d live sessions found", len(live)))
	return live, nil
}

// orgDown is orgDown for a request of the run after its first: the org down
// stops the run when it served neither this request nor the one before it.
// One request alone that the org fails at every attempt (a 500 to one batch
// of deletes) is recorded failed, and the run goes on: a fault of that
// request's own would otherwise stop every later run at it, and the rest of
// the list would never be sent.
func (r *runner) orgDown(what string, err error) *StopError {
	if r.c.downInARow < 2 {
		return nil
	}
	return orgDown(what, err)
}

// write1 journals and sends one containment write and returns its outcome
// (done or failed) and error code; it returns an error only for a stop (the
// org down included, once its answer is journalled) or a journal failure.
func (r *runner) write1(ctx context.Context, op, userID, id, method, path string, body []byte, secret bool) (string, string, error) {
	r.seq++
	seq := r.seq
	if err := r.write(Record{Kind: "intent", Seq: seq, Op: op, UserID: userID, IDs: []string{id}}); err != nil {
		return "", "", err
	}
	status, _, err := r.c.do(ctx, method, path, body, secret)
	res := ItemResult{ID: id, Outcome: outcomeDone, HTTPStatus: status}
	var apiErr *APIError
	var untrusted *CertificateError
	var stop *StopError
	switch {
	case errors.As(err, &apiErr):
		res.Outcome, res.HTTPStatus, res.ErrorCode = OutcomeFailed, apiErr.Status, apiErr.Code
	case errors.As(err, &stop) && ctx.Err() == nil:
		// The org answered, with a stop (its request limit, a wait too
		// long, a rejected token), or the run stopped before sending (the
		// API share): journalled as such, so that the plan can say so
		// rather than NO_RESPONSE, which an intent without a result reads
		// as. But an attempt that went unanswered first may have been
		// carried out: sent without an answer, as in deleteSessions.
		res = ItemResult{ID: id, Outcome: OutcomeSkipped, HTTPStatus: stop.status, ErrorCode: stop.Code}
		if r.c.unanswered {
			res = ItemResult{ID: id, Outcome: OutcomeFailed, ErrorCode: noResponseCode}
		}
		if werr := r.write(Record{Kind: "result", Seq: seq, Op: op, UserID: userID, Results: []ItemResult{res}}); werr != nil {
			return "", "", werr
		}
		return "", "", err
	case errors.As(err, &untrusted):
		// Not sent: the step is owed, and the run ends (see stop).
		res.Outcome, res.ErrorCode = OutcomeFailed, certificateCode
		if werr := r.write(Record{Kind: "result", Seq: seq, Op: op, UserID: userID, Results: []ItemResult{res}}); werr != nil {
			return "", "", werr
		}
		return "", "", err
	case err != nil:
		return "", "", err
	}
	if err := r.write(Record{Kind: "result", Seq: seq, Op: op, UserID: userID, Results: []ItemResult{res}}); err != nil {
		return "", "", err
	}
	what := "freezing " + userID
	if op == opResetPassword {
		what = "resetting the password of " + userID
	}
	if down := r.orgDown(what, err); down != nil {
		return "", "", down
	}
	return res.Outcome, res.ErrorCode, nil
}

func errorCode(err error) string {
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.Code != "" {
		return apiErr.Code
	}
	return "ERROR"
}
