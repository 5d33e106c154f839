package apply

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/sessionaudit/sessionaudit/sfid"
)

// Record is one line of the journal, a JSON object. Kinds:
//
//	run     an executing apply started: pid, approval (the approval's rows_sha256), list,
//	        approved_by, protected (the protected users it kept from, earlier runs' included)
//	intent  a write request is about to be sent: seq, op, user_id, ids
//	result  what the org answered for the intent with the same run and seq: results, one per id
//	skip    ids a guard rail or a stop kept from being sent in this run: results with outcome skipped,
//	        and user_id for sessions found by containing that user
//	stop    the run stopped early: code, message
//
// Ops are delete_sessions (ids are AuthSession Ids), freeze_user (ids are
// UserLogin Ids), reset_password (ids holds the User Id) and end_sessions,
// containment's search for the user's live sessions: a result record with
// no intent, whose ids are the sessions found and whose one result, for the
// User Id, says whether the search was done. A freeze that could not be sent
// (the user's UserLogin not found, or the query for it failing) has such a
// result too, failed. A freeze, password reset or search a stop ended (at
// its write, or at its query: the lookup of the UserLogin, the search) has
// its result skipped, with the stop's code and the status the org answered.
type Record struct {
	Time       time.Time    `json:"time"`
	Kind       string       `json:"kind"`
	Run        string       `json:"run"`
	Seq        int          `json:"seq,omitempty"`
	Op         string       `json:"op,omitempty"`
	UserID     string       `json:"user_id,omitempty"`
	IDs        []string     `json:"ids,omitempty"`
	Results    []ItemResult `json:"results,omitempty"`
	PID        int          `json:"pid,omitempty"`
	Approval   string       `json:"approval,omitempty"`
	List       string       `json:"list,omitempty"` // run: the audit the list came from (listKeyOf)
	ApprovedBy string       `json:"approved_by,omitempty"`
	Protected  []string     `json:"protected,omitempty"` // run: the protected users it kept from (see journalState.protected)
	Code       string       `json:"code,omitempty"`
	Message    string       `json:"message,omitempty"`
}

// ItemResult is the outcome for one id.
type ItemResult struct {
	ID         string `json:"id"`
	Outcome    string `json:"outcome"` // removed, already_ended, failed, skipped; done, failed or skipped (CALLER_USER, or a stop's code) for containment steps
	HTTPStatus int    `json:"http_status,omitempty"`
	ErrorCode  string `json:"error_code,omitempty"`
}

// Outcomes of a session.
const (
	OutcomeRemoved      = "removed"
	OutcomeAlreadyEnded = "already_ended"
	OutcomeFailed       = "failed"
	OutcomeSkipped      = "skipped"
	outcomeDone         = "done" // a containment step succeeded
	// OutcomeNotSent is a containment step approved but never sent: the
	// runs so far had no --contain.
	OutcomeNotSent = "not sent"
)

const (
	opDeleteSessions = "delete_sessions"
	opFreezeUser     = "freeze_user"
	opResetPassword  = "reset_password"
	// opEndSessions is containment's search for the user's live sessions.
	// Its result record lists the sessions found (IDs) before any is sent,
	// so a run that dies after the search still leaves them to the next.
	opEndSessions = "end_sessions"
)

// containSteps are the steps of containing a user, in the order taken.
var containSteps = []string{opFreezeUser, opResetPassword, opEndSessions}

var knownKinds = map[string]bool{"run": true, "intent": true, "result": true, "skip": true, "stop": true}

// ReadJournal reads journal records from r; name is used in errors, which
// give the line. A last line without its newline is a record torn by a crash
// while it was written; it was never acknowledged, so it is ignored.
func ReadJournal(r io.Reader, name string) ([]Record, error) {
	br := bufio.NewReader(r)
	var recs []Record
	for line := 1; ; line++ {
		b, err := br.ReadBytes('\n')
		if err == io.EOF {
			return recs, nil // b, if any, is a torn record
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", name, err)
		}
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		var rec Record
		if err := json.Unmarshal(b, &rec); err != nil {
			return nil, fmt.Errorf("%s:%d: %v", name, line, err)
		}
		if err := rec.validate(); err != nil {
			return nil, fmt.Errorf("%s:%d: %v", name, line, err)
		}
		recs = append(recs, rec)
	}
}

func (r Record) validate() error {
	if !knownKinds[r.Kind] {
		return fmt.Errorf("unknown kind %q", r.Kind)
	}
	if r.Run == "" {
		return fmt.Errorf("%s record without a run", r.Kind)
	}
	check := func(field, id string) error {
		if n, err := sfid.Normalize(id); err != nil || n != id {
			return fmt.Errorf("field %s: %q is not an 18-character Id", field, id)
		}
		return nil
	}
	if r.UserID != "" {
		if err := check("user_id", r.UserID); err != nil {
			return err
		}
		if !strings.HasPrefix(r.UserID, sfid.User) {
			return fmt.Errorf("field user_id: %s is not a User Id (those begin %s)", r.UserID, sfid.User)
		}
	}
	// The ids of a session step are sessions a later run may send for
	// removal (leftByContainment), so a journal naming any other record
	// (hand-edited, or written by someone else into a shared folder) is
	// refused: only AuthSession Ids are ever sent for removal.
	sessionIDs := r.Op == opDeleteSessions || r.Op == opEndSessions
	for _, id := range r.IDs {
		if err := check("ids", id); err != nil {
			return err
		}
		if sessionIDs && !strings.HasPrefix(id, sfid.AuthSession) {
			return fmt.Errorf("field ids: %s is not an AuthSession Id (those begin %s), so it is no session of step %s", id, sfid.AuthSession, r.Op)
		}
	}
	for _, it := range r.Results {
		if err := check("results.id", it.ID); err != nil {
			return err
		}
	}
	return nil
}

// journal appends records to the journal file, syncing each to disk before
// append returns: a record on disk is a fact a later run may rely on.
type journal struct {
	f   *os.File
	now func() time.Time
	run string
}

// openJournal opens (creating) the journal at path, reads what it holds and
// cuts off a torn last record so the next append starts on a line of its own.
// It is opened for appending: each record goes after whatever the file holds
// when it is written, so a second writer (a run started after the first's
// lock file was removed) can add records but never write over the other's.
func openJournal(path string) (*os.File, []Record, error) {
	f, err := openPrivateFlags(path, os.O_APPEND)
	if err != nil {
		return nil, nil, fmt.Errorf("opening the journal: %w", err)
	}
	b, err := io.ReadAll(f)
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("reading the journal: %w", err)
	}
	recs, err := ReadJournal(bytes.NewReader(b), path)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if keep := int64(bytes.LastIndexByte(b, '\n') + 1); keep != int64(len(b)) {
		if err := f.Truncate(keep); err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("cutting a torn record off the journal: %w", err)
		}
	}
	if _, err := f.Seek(0, io.SeekEnd); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("opening the journal: %w", err)
	}
	return f, recs, nil
}

// readJournalFile reads the journal at path; a missing journal is empty.
func readJournalFile(path string) ([]Record, error) {
	b, err := readRegularFile(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the journal: %w", err)
	}
	return ReadJournal(bytes.NewReader(b), path)
}

// append stamps rec with the time and the run, writes it and syncs it, and
// returns it as written.
func (j *journal) append(rec Record) (Record, error) {
	rec.Time = j.now().UTC()
	rec.Run = j.run
	b, err := json.Marshal(rec)
	if err != nil {
		return rec, fmt.Errorf("writing the journal: %w", err)
	}
	if _, err := j.f.Write(append(b, '\n')); err != nil {
		return rec, fmt.Errorf("writing the journal: %w", err)
	}
	if err := j.f.Sync(); err != nil {
		return rec, fmt.Errorf("syncing the journal: %w", err)
	}
	return rec, nil
}

// journalState is what the journal says has happened.
type journalState struct {
	// ended holds the first removed or already_ended result of each session:
	// such a session is never sent again.
	ended map[string]timedResult
	// latest holds the latest result of each session.
	latest map[string]timedResult
	// unacked holds sessions sent in a request whose result never came.
	unacked map[string]bool
	// unanswered holds sessions some request sent without an answer at any
	// time, whatever came after (a resend the org refused whole tells
	// nothing of the first): the org may have ended them.
	unanswered map[string]bool
	// The rest is per list: the audit the list a run carried out came from,
	// its rows without the approve column (listKeyOf; a run written before
	// runs named it counts towards the list being worked on, see replay). An audit into the
	// same folder writes a new list beside the old journal, and containing a
	// user for the new list is a new containment; a new approval of the same
	// list (another row marked yes) carries on with it.
	//
	// stepsDone holds "list op user_id" of the containment steps that
	// succeeded.
	stepsDone map[string]bool
	// stepsTried holds, per list and "op user_id", the latest outcome of a
	// containment step its runs sent: failed, with an error code
	// (NO_RESPONSE for a request without an answer), skipped (CALLER_USER,
	// or a stop's code), or done.
	stepsTried map[string]map[string]ItemResult
	// byList lists, per list, the sessions its runs sent or skipped, in
	// journal order: the approved ones and those found by containment.
	byList map[string][]string
	// userOf maps a session to the user whose containment found it.
	userOf map[string]string
	// approvedRow holds the sessions a run that named its list sent or
	// skipped as an approved row, not found by containment: such runs name
	// the user of every session containment found, so a session without
	// one was approved. (Runs before them named no user either way.)
	approvedRow map[string]bool
	// listOf maps an approval's rows_sha256 to the list its runs carried out.
	listOf map[string]string
	// protected holds every user an earlier run kept from, by the
	// protected_users of its policy, in journal order: a user once protected
	// stays so for every later run beside this journal, which a rerun
	// without --policy (or with an older one) cannot undo.
	protected []string
}

type timedResult struct {
	ItemResult
	Time time.Time
}

// replay reads the journal's records into its state. listKey is the list being
// worked on (listKeyOf): runs written before runs named their list count
// towards it, as their containment then counted for the whole journal; such
// a run's search for sessions was not journalled, so a password reset done
// in one stands for it too.
func replay(recs []Record, listKey string) *journalState {
	s := &journalState{ended: map[string]timedResult{}, latest: map[string]timedResult{}, unacked: map[string]bool{}, unanswered: map[string]bool{},
		stepsDone: map[string]bool{}, stepsTried: map[string]map[string]ItemResult{}, byList: map[string][]string{}, userOf: map[string]string{},
		listOf: map[string]string{}, approvedRow: map[string]bool{}}
	runList := map[string]string{} // run → list
	legacy := map[string]bool{}    // runs that did not name their list
	seen := map[string]map[string]bool{}
	note := func(run, id string) {
		l := runList[run]
		if seen[l] == nil {
			seen[l] = map[string]bool{}
		}
		if !seen[l][id] {
			seen[l][id] = true
			s.byList[l] = append(s.byList[l], id)
		}
	}
	tried := func(run, key string, it ItemResult) {
		l := runList[run]
		if s.stepsTried[l] == nil {
			s.stepsTried[l] = map[string]ItemResult{}
		}
		s.stepsTried[l][key] = it
	}
	for _, r := range recs {
		switch r.Kind {
		case "run":
			for _, p := range r.Protected {
				if !slices.Contains(s.protected, p) {
					s.protected = append(s.protected, p)
				}
			}
			runList[r.Run] = r.List
			if r.List == "" {
				runList[r.Run], legacy[r.Run] = listKey, true
			}
			s.listOf[r.Approval] = runList[r.Run]
		case "intent":
			if slices.Contains(containSteps, r.Op) {
				for _, id := range r.IDs {
					tried(r.Run, r.Op+" "+r.UserID, ItemResult{ID: id, Outcome: OutcomeFailed, ErrorCode: noResponseCode})
				}
				continue
			}
			if r.Op != opDeleteSessions {
				continue
			}
			for _, id := range r.IDs {
				note(r.Run, id)
				if r.UserID != "" {
					s.userOf[id] = r.UserID
				} else if !legacy[r.Run] {
					s.approvedRow[id] = true
				}
				if _, ok := s.ended[id]; !ok {
					if s.unacked[id] { // the send before this one had no answer
						s.unanswered[id] = true
					}
					s.unacked[id] = true
				}
			}
		case "result", "skip":
			if r.Op == opEndSessions {
				// The sessions containment found belong to the approval
				// from now on, sent or not.
				for _, id := range r.IDs {
					note(r.Run, id)
					s.userOf[id] = r.UserID
				}
			}
			for _, it := range r.Results {
				tr := timedResult{it, r.Time}
				if slices.Contains(containSteps, r.Op) {
					if it.Outcome == outcomeDone {
						s.stepsDone[runList[r.Run]+" "+r.Op+" "+r.UserID] = true
						if legacy[r.Run] && r.Op == opResetPassword {
							s.stepsDone[runList[r.Run]+" "+opEndSessions+" "+r.UserID] = true
						}
					}
					tried(r.Run, r.Op+" "+r.UserID, it)
					continue
				}
				note(r.Run, it.ID)
				if r.UserID != "" {
					s.userOf[it.ID] = r.UserID
				} else if !legacy[r.Run] {
					s.approvedRow[it.ID] = true
				}
				if r.Kind == "result" {
					delete(s.unacked, it.ID)
				}
				if it.Outcome == OutcomeFailed && it.ErrorCode == noResponseCode && it.HTTPStatus == 0 {
					s.unanswered[it.ID] = true
				}
				s.latest[it.ID] = tr
				if _, ok := s.ended[it.ID]; !ok && (it.Outcome == OutcomeRemoved || it.Outcome == OutcomeAlreadyEnded) {
					s.ended[it.ID] = tr
				}
			}
		}
	}
	return s
}

// lacks says whether the journal lacks a user of protected or a skip of
// skips: whether a run that sends nothing has anything to journal. A
// session the journal has ended, or whose latest result is that skip
// already, needs nothing more.
func (s *journalState) lacks(protected []string, skips []Record) bool {
	for _, p := range protected {
		if !slices.Contains(s.protected, p) {
			return true
		}
	}
	for _, rec := range skips {
		for _, it := range rec.Results {
			if _, ended := s.ended[it.ID]; ended {
				continue
			}
			if l, ok := s.latest[it.ID]; !ok || l.Outcome != it.Outcome || l.ErrorCode != it.ErrorCode {
				return true
			}
		}
	}
	return false
}

// leftByContainment returns, by user in journal order, the sessions that
// runs of the list (listKey), under any of its approvals, found by
// containing a user whose containment approval a approves, and that have not
// ended: skipped by a stop, failed, or sent without an answer. A session whose
// user the journal does not name (a skip written before skips named it) is
// left out: without the user, no guard rail can be checked.
func (s *journalState) leftByContainment(a Approval, listKey string) []batch {
	approved := map[string]bool{}
	for _, as := range a.Sessions {
		approved[as.SessionID] = true
	}
	contained := a.containedUsers()
	var left []batch
	at := map[string]int{} // user → its batch in left
	for _, id := range s.byList[listKey] {
		_, ended := s.ended[id]
		user := s.userOf[id]
		// A user whose containment this approval no longer approves (the
		// row now says yes, or no) is owed nothing more: see SkipWithdrawn.
		if ended || approved[id] || user == "" || !contained[user] {
			continue
		}
		i, ok := at[user]
		if !ok {
			i, at[user] = len(left), len(left)
			left = append(left, batch{userID: user})
		}
		left[i].ids = append(left[i].ids, id)
	}
	return left
}

// stepsOwed returns the containment steps of userID for list that the
// journal has no done result for, in the order containment takes them.
func (s *journalState) stepsOwed(listKey, userID string) []string {
	var owed []string
	for _, op := range containSteps {
		if !s.done(listKey, op, userID) {
			owed = append(owed, op)
		}
	}
	return owed
}

// done says whether containment step op of userID succeeded for list.
func (s *journalState) done(listKey, op, userID string) bool {
	return s.stepsDone[listKey+" "+op+" "+userID]
}
