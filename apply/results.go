package apply

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sessionaudit/sessionaudit/internal/words"
)

// ResultsHeader is the header of the results file (ResultsPath).
var ResultsHeader = []string{"session_id", "user_id", "outcome", "http_status", "error_code", "time"}

// buildResults lists every approved session, then every other session the
// list's runs sent or skipped (those of earlier approvals of the list, and
// those found by containment), each with its outcome from the journal: the
// first removed or already_ended if there is one, else the latest, else
// failed NO_RESPONSE if it was sent without an answer, else skipped
// NOT_ATTEMPTED. A session that has not ended and that the approval now in
// force owes nothing (neither approved nor found by containing a user it
// approves containing) is skipped WITHDRAWN: no run will send it; or
// WITHDRAWN_UNANSWERED when a run sent it without an answer, since the org
// may have ended it all the same.
func buildResults(a Approval, listKey string, s *journalState, now time.Time) []Result {
	var out []Result
	seen := map[string]bool{}
	add := func(id, userID string, owed bool) {
		if seen[id] {
			return
		}
		seen[id] = true
		res := Result{SessionID: id, UserID: userID, Outcome: OutcomeSkipped, ErrorCode: SkipNotAttempted, Time: now.UTC()}
		tr, ended := s.ended[id]
		ok := ended
		if !ok {
			tr, ok = s.latest[id]
		}
		switch {
		case !ended && !owed:
			res.ErrorCode = SkipWithdrawn
			if s.unacked[id] || s.unanswered[id] {
				res.ErrorCode = SkipWithdrawnUnanswered
			}
		case ok:
			res.Outcome, res.HTTPStatus, res.ErrorCode, res.Time = tr.Outcome, tr.HTTPStatus, tr.ErrorCode, tr.Time
		case s.unacked[id]:
			res.Outcome, res.ErrorCode = OutcomeFailed, noResponseCode
		}
		out = append(out, res)
	}
	for _, as := range a.Sessions {
		add(as.SessionID, as.UserID, true)
	}
	// Of the rest, a session found by containing a user is owed while the
	// approval contains that user; one an earlier approval had is not; and
	// one a journal from before runs named their users leaves unclear is
	// owed, as it was then.
	contained := a.containedUsers()
	for _, id := range s.byList[listKey] {
		user := s.userOf[id]
		add(id, user, user != "" && contained[user] || user == "" && !s.approvedRow[id])
	}
	return out
}

// writeResults writes the results file in place of the previous one.
func writeResults(path string, results []Result) error {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write(ResultsHeader)
	for _, r := range results {
		status := ""
		if r.HTTPStatus != 0 {
			status = strconv.Itoa(r.HTTPStatus)
		}
		w.Write([]string{r.SessionID, r.UserID, r.Outcome, status, r.ErrorCode, r.Time.UTC().Format(time.RFC3339)})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return fmt.Errorf("writing the results: %w", err)
	}
	if err := writeFileAtomic(path, buf.Bytes()); err != nil {
		return fmt.Errorf("writing the results: %w", err)
	}
	return nil
}

// WritePlan writes the plan as a table: one line per row of the list.
func (r Report) WritePlan(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SESSION\tUSER\tUSERNAME\tACTION\tREASON")
	for _, e := range r.Plan {
		// A username is whatever the export held: escaped, a control
		// character or bidirectional override in it cannot erase, move or
		// forge rows of the plan.
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.Row.SessionID, e.Row.UserID, words.Printable(e.Row.Username), e.Action, words.Printable(e.Reason))
	}
	tw.Flush()
	counts := map[string]int{}
	for _, e := range r.Plan {
		counts[e.Action]++
	}
	fmt.Fprintf(w, "\n%s: %s to remove, %s to remove and contain their user, %s skipped.\n",
		words.Count(len(r.Plan), "row", "rows"), words.Thousands(int64(counts["remove"])), words.Thousands(int64(counts["contain"])), words.Thousands(int64(counts["skip"])))
	if r.Approval != nil {
		fmt.Fprintf(w, "Approved by %s at %s, expires %s.\n", r.Approval.ApprovedBy,
			r.Approval.ApprovedAt.Format(time.RFC3339), r.Approval.ExpiresAt.Format(time.RFC3339))
	}
	if r.Refusal != "" {
		fmt.Fprintf(w, "--execute would refuse: %s.\n", r.Refusal)
	}
	if r.Left > 0 {
		fmt.Fprintf(w, "%s that containment found in an earlier run %s not ended: --execute --contain sends %s again.\n",
			words.Count(r.Left, "session", "sessions"), hasHave(r.Left), itThem(r.Left))
	}
	if r.LeftProtected > 0 {
		fmt.Fprintf(w, "%s that containment found in an earlier run %s not ended, but %s user is protected now: %s left alone.\n",
			words.Count(r.LeftProtected, "session", "sessions"), hasHave(r.LeftProtected), itsTheir(r.LeftProtected), itIsTheyAre(r.LeftProtected))
	}
	if len(r.Recontain) > 0 {
		fmt.Fprintf(w, "%s approved for containment %s a freeze, password reset or search for their sessions not done: --execute --contain does it.\n",
			words.Count(len(r.Recontain), "user", "users"), hasHave(len(r.Recontain)))
	}
	r.writeContain(w)
	if r.Note != "" {
		fmt.Fprintf(w, "Note: %s.\n", r.Note)
	}
}

// unansweredResult says whether a session was sent without an answer: the
// org may have ended it, and the next run learns which.
func unansweredResult(res Result) bool {
	return res.Outcome == OutcomeFailed && res.ErrorCode == noResponseCode && res.HTTPStatus == 0
}

// writeContain writes a line for each containment step the run did, or
// that is still owed: failed, or approved and never sent.
func (r Report) writeContain(w io.Writer) {
	for _, s := range r.Contain {
		fmt.Fprintf(w, "contain %s: %s %s", s.UserID, s.Step, s.Outcome)
		if s.Detail != "" {
			fmt.Fprintf(w, " (%s)", s.Detail)
		}
		fmt.Fprintln(w)
	}
}

// WriteSummary writes what an executing run did.
func (r Report) WriteSummary(w io.Writer) {
	counts := map[string]int{}
	unanswered := 0
	for _, res := range r.Results {
		counts[res.Outcome]++
		if unansweredResult(res) {
			unanswered++
		}
	}
	failed := words.Thousands(int64(counts[OutcomeFailed])) + " failed"
	if unanswered > 0 {
		failed += fmt.Sprintf(" (%s of them sent without an answer)", words.Thousands(int64(unanswered)))
	}
	fmt.Fprintf(w, "%s: %s removed, %s already ended, %s, %s skipped.\n", words.Count(len(r.Results), "session", "sessions"),
		words.Thousands(int64(counts[OutcomeRemoved])), words.Thousands(int64(counts[OutcomeAlreadyEnded])), failed, words.Thousands(int64(counts[OutcomeSkipped])))
	if r.Resent > 0 {
		fmt.Fprintf(w, "%s sent by an interrupted run without an answer %s sent again.\n",
			words.Count(r.Resent, "session", "sessions"), oneOrMore(r.Resent, "was", "were"))
	}
	r.writeContain(w)
	for _, res := range r.Results {
		switch {
		case unansweredResult(res):
			fmt.Fprintf(w, "no answer: %s was sent, but the run was interrupted or the connection lost before the org answered: the next run sends it again\n", res.SessionID)
		case res.Outcome == OutcomeFailed:
			fmt.Fprintln(w, strings.TrimSpace(fmt.Sprintf("failed: %s HTTP %d %s", res.SessionID, res.HTTPStatus, res.ErrorCode)))
		}
	}
	if r.Stopped != nil {
		fmt.Fprintf(w, "Stopped early: %s: %s.\n", r.Stopped.Code, r.Stopped.Message) // the message says how to resume
	}
	if r.ResultsPath != "" {
		fmt.Fprintf(w, "Results: %s\n", r.ResultsPath)
	}
}

// The words that agree with a count of n in the sentences above.
func hasHave(n int) string     { return oneOrMore(n, "has", "have") }
func itThem(n int) string      { return oneOrMore(n, "it", "them") }
func itsTheir(n int) string    { return oneOrMore(n, "its", "their") }
func itIsTheyAre(n int) string { return oneOrMore(n, "it is", "they are") }

func oneOrMore(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
