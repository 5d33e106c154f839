package apply

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sessionaudit/sessionaudit/sfid"
)

// DefaultApprovalLifetime is how long an approval lasts unless told
// otherwise: sessions churn, so a day-old review no longer describes the org.
const DefaultApprovalLifetime = 24 * time.Hour

// ApprovalPath, JournalPath, LockPath and ResultsPath name the files this
// package keeps beside the removal list at removals, each named after it:
// two lists in one folder keep apart. They sit beside the list itself, the
// path with its links resolved: reached through a link (to the file or to a
// folder on the way), one list still has one approval, one journal and one
// lock, so two applies cannot run it at once or redo each other's work.
func ApprovalPath(removals string) string { return besideList(removals, ".approval.json") }
func JournalPath(removals string) string  { return besideList(removals, ".journal") }
func LockPath(removals string) string     { return besideList(removals, ".lock") }
func ResultsPath(removals string) string  { return besideList(removals, ".results.csv") }

// besideList is the path of the list's file with suffix.
func besideList(removals, suffix string) string { return resolvedList(removals) + suffix }

// resolvedList is the list's path with its links resolved, when it can be
// (a list that is not there keeps its path as given, for the error that
// follows to name).
func resolvedList(removals string) string {
	if real, err := filepath.EvalSymlinks(removals); err == nil {
		return real
	}
	return removals
}

// Approval records who approved which rows of a removal list, when, and until
// when. It is written beside the list as JSON by Approve.
type Approval struct {
	Version    int    `json:"version"`     // 1
	Removals   string `json:"removals"`    // base name of the list
	ListSHA256 string `json:"list_sha256"` // SHA-256 of the list file's bytes
	// RowsSHA256 is the SHA-256 of the header and the approved rows, each as
	// it is in the file, CSV-encoded with LF line ends: the exact rows the
	// approver saw, independent of how the rest of the file is laid out.
	RowsSHA256 string            `json:"rows_sha256"`
	ApprovedBy string            `json:"approved_by"`
	ApprovedAt time.Time         `json:"approved_at"`
	ExpiresAt  time.Time         `json:"expires_at"`
	Selection  string            `json:"selection"` // how the rows were chosen: approve-column, only, approve-column+only, all
	Sessions   []ApprovedSession `json:"sessions"`  // in list order
}

// ApprovedSession is one approved row.
type ApprovedSession struct {
	SessionID string `json:"session_id"`
	UserID    string `json:"user_id"`           // empty when the list did not know the user
	Contain   bool   `json:"contain,omitempty"` // the row said "contain": its user may be contained
}

// containedUsers returns the users of the rows a approves for containment.
func (a Approval) containedUsers() map[string]bool {
	users := map[string]bool{}
	for _, s := range a.Sessions {
		if s.Contain && s.UserID != "" {
			users[s.UserID] = true
		}
	}
	return users
}

// ApproveOptions says what to approve.
type ApproveOptions struct {
	Removals string        // the removal list
	By       string        // the approver, recorded as given
	Only     []string      // if not nil, approve only these session Ids (15 or 18 characters)
	OnlyFile string        // the file Only was read from, for messages ("the Id file" when empty)
	Expires  time.Duration // lifetime; 0 means DefaultApprovalLifetime
	Now      time.Time     // the approval time
}

// Approve chooses the rows of the list to approve and returns the approval;
// WriteApproval records it.
//
// When any row's approve column holds a decision (yes, contain or no), only
// the rows it approves (yes or contain) are; when the column is empty, every
// row is. Only then narrows that choice to the
// listed Ids, every one of which must be in the list. A row is approved for
// containment only when its approve column says contain. Approving nothing is
// an error.
func Approve(opts ApproveOptions) (Approval, error) {
	if strings.TrimSpace(opts.By) == "" {
		return Approval{}, errors.New("the approver's name is empty")
	}
	lifetime := opts.Expires
	if lifetime == 0 {
		lifetime = DefaultApprovalLifetime
	}
	if lifetime < 0 {
		return Approval{}, fmt.Errorf("lifetime %s is negative", lifetime)
	}
	list, err := readRegularFile(opts.Removals)
	if err != nil {
		return Approval{}, fmt.Errorf("reading the removal list: %w", err)
	}
	rows, err := DecodeRemovals(bytes.NewReader(list), opts.Removals)
	if err != nil {
		return Approval{}, err
	}

	// Any decision in the approve column, a "no" too, means the column was
	// filled in: then only the rows it approves are chosen. A list of noes
	// approves nothing.
	selection := "all"
	chosen := rows
	if slices.ContainsFunc(rows, func(r Row) bool { return r.Approve != NotApproved }) {
		selection, chosen = "approve-column", filterRows(rows, func(r Row) bool { return r.Approve.approved() })
	}
	if opts.Only != nil {
		only := map[string]bool{}
		inList := map[string]bool{}
		for _, r := range rows {
			inList[r.SessionID] = true
		}
		for _, id := range opts.Only {
			n, err := sfid.Normalize(id)
			if err != nil {
				return Approval{}, err
			}
			if !inList[n] {
				return Approval{}, fmt.Errorf("session %s, listed in %s, is not in %s", id, idFileName(opts), opts.Removals)
			}
			only[n] = true
		}
		chosen = filterRows(chosen, func(r Row) bool { return only[r.SessionID] })
		if selection == "all" {
			selection = "only"
		} else {
			selection += "+only"
		}
	}
	if len(chosen) == 0 {
		return Approval{}, nothingApproved(opts, rows, selection)
	}
	// Containment freezes and resets a user by Id: a row that does not name
	// its user cannot be contained, and approving it would promise what no
	// run can do.
	for _, r := range chosen {
		if r.Approve == Contain && r.UserID == "" {
			return Approval{}, fmt.Errorf("%s:%d: field approve: session %s is marked contain, but the list does not name its user's Id (user_id is empty), "+
				"so the user cannot be contained: mark it yes to end the session, and contain the user in Setup", opts.Removals, r.Line, r.SessionID)
		}
	}

	a := Approval{
		Version:    1,
		Removals:   filepath.Base(opts.Removals),
		ListSHA256: sha256Hex(list),
		RowsSHA256: rowsSHA256(chosen),
		ApprovedBy: opts.By,
		ApprovedAt: opts.Now.UTC().Truncate(time.Second),
		Selection:  selection,
	}
	a.ExpiresAt = a.ApprovedAt.Add(lifetime)
	for _, r := range chosen {
		a.Sessions = append(a.Sessions, ApprovedSession{SessionID: r.SessionID, UserID: r.UserID, Contain: r.Approve == Contain})
	}
	return a, nil
}

// idFileName names the Id file of opts for messages.
func idFileName(opts ApproveOptions) string {
	if opts.OnlyFile != "" {
		return "the Id file " + opts.OnlyFile
	}
	return "the Id file"
}

// nothingApproved says in plain words why no row of the list was chosen.
func nothingApproved(opts ApproveOptions, rows []Row, selection string) error {
	removals, idFile := opts.Removals, idFileName(opts)
	declined := 0
	for _, r := range rows {
		if r.Approve == Declined {
			declined++
		}
	}
	switch {
	case len(rows) == 0:
		return fmt.Errorf("%s has no rows, so nothing is approved", removals)
	case selection == "only":
		return fmt.Errorf("%s lists no session, so nothing is approved", idFile)
	case selection == "approve-column+only":
		return fmt.Errorf("no session listed in %s is marked yes or contain in %s, so nothing is approved", idFile, removals)
	case declined == len(rows):
		return fmt.Errorf("every row of %s is marked no, so nothing is approved: mark the sessions to end yes (or contain)", removals)
	}
	return fmt.Errorf("no row of %s is marked yes or contain (%d marked no, the rest empty), so nothing is approved: "+
		"mark the sessions to end yes (or contain)", removals, declined)
}

// WriteApproval writes a beside the removal list, replacing any earlier
// approval in one rename.
func WriteApproval(removals string, a Approval) error {
	b, err := json.MarshalIndent(a, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding the approval: %w", err)
	}
	if err := writeFileAtomic(ApprovalPath(removals), append(b, '\n')); err != nil {
		return fmt.Errorf("writing the approval: %w", err)
	}
	return nil
}

// ReadApproval reads the approval beside the removal list. A missing approval
// is reported as an error satisfying errors.Is(err, fs.ErrNotExist).
func ReadApproval(removals string) (Approval, error) {
	path := ApprovalPath(removals)
	b, err := readRegularFile(path)
	if err != nil {
		return Approval{}, fmt.Errorf("reading the approval: %w", err)
	}
	var a Approval
	if err := json.Unmarshal(b, &a); err != nil {
		return Approval{}, &BadApprovalError{Path: path, Err: err}
	}
	switch a.Version {
	case 1:
	case 0: // a JSON object of other keys, or of none
		return Approval{}, &BadApprovalError{Path: path, Err: errors.New("not an approval: it has no version, as every approval sessionaudit approve writes has")}
	default:
		return Approval{}, &BadApprovalError{Path: path, Err: fmt.Errorf("version %d, want 1", a.Version)}
	}
	isID := func(id string) bool { n, err := sfid.Normalize(id); return err == nil && n == id }
	for i, s := range a.Sessions {
		if !isID(s.SessionID) || (s.UserID != "" && !isID(s.UserID)) {
			return Approval{}, &BadApprovalError{Path: path, Err: fmt.Errorf("session %d: %q, %q are not 18-character Ids", i+1, s.SessionID, s.UserID)}
		}
	}
	return a, nil
}

// BadApprovalError is an approval file that is not one approve wrote (or
// that was edited since): like a missing one, it is bad input, not a failure.
type BadApprovalError struct {
	Path string
	Err  error
}

func (e *BadApprovalError) Error() string { return fmt.Sprintf("%s: %v", e.Path, e.Err) }
func (e *BadApprovalError) Unwrap() error { return e.Err }

// RefusalError is why an apply refused to change the org: no approval, a list
// changed since its approval, an expired approval, a batch over --max, or
// another apply holding the lock. Nothing was sent when it is returned.
type RefusalError struct {
	Reason string
	// Expired is set when the approval matches the list but has expired: a
	// run with nothing left to send may still finish on it.
	Expired bool
	// Changed is set when the list no longer matches its approval.
	Changed bool
}

func (e *RefusalError) Error() string { return "refusing to apply: " + e.Reason }

func refuse(format string, args ...any) error {
	return &RefusalError{Reason: fmt.Sprintf(format, args...)}
}

// refuseChanged is a refusal of a list that changed after its approval.
func refuseChanged(format string, args ...any) error {
	return &RefusalError{Reason: fmt.Sprintf(format, args...), Changed: true}
}

// checkApproval returns a RefusalError unless a approves the list whose bytes
// and rows are given and is still valid at now.
func checkApproval(removals string, a Approval, list []byte, rows []Row, now time.Time) error {
	if got := sha256Hex(list); got != a.ListSHA256 {
		return refuseChanged("%s changed after %s approved it at %s (SHA-256 %.12s…, approved %.12s…): review it and approve it again",
			removals, a.ApprovedBy, a.ApprovedAt.Format(time.RFC3339), got, a.ListSHA256)
	}
	byID := map[string]Row{}
	for _, r := range rows {
		byID[r.SessionID] = r
	}
	var approved []Row
	for _, s := range a.Sessions {
		r, ok := byID[s.SessionID]
		if !ok || r.UserID != s.UserID || (r.Approve == Contain) != s.Contain {
			return refuseChanged("approved session %s does not match %s: approve it again", s.SessionID, removals)
		}
		// Written before approve refused it: no run could contain a user the
		// list does not name, and the approval would promise it.
		if s.Contain && s.UserID == "" {
			return refuse("the approval of %s marks session %s contain, but the list does not name its user's Id, so no run can contain the user: "+
				"mark it yes (contain the user in Setup) and approve the list again", removals, s.SessionID)
		}
		approved = append(approved, r)
	}
	if got := rowsSHA256(approved); got != a.RowsSHA256 {
		return refuseChanged("the approved rows of %s do not match the approval's SHA-256: approve it again", removals)
	}
	if !now.Before(a.ExpiresAt) {
		err := refuse("the approval of %s by %s expired at %s: sessions churn, so review the list and approve it again",
			removals, a.ApprovedBy, a.ExpiresAt.Format(time.RFC3339))
		err.(*RefusalError).Expired = true
		return err
	}
	if now.Before(a.ApprovedAt.Add(-5 * time.Minute)) {
		return refuse("the approval of %s is dated %s, in the future: check the clock", removals, a.ApprovedAt.Format(time.RFC3339))
	}
	return nil
}

func filterRows(rows []Row, keep func(Row) bool) []Row {
	var out []Row
	for _, r := range rows {
		if keep(r) {
			out = append(out, r)
		}
	}
	return out
}

func rowsSHA256(rows []Row) string {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write(RemovalsHeader)
	for _, r := range rows {
		w.Write(r.cells)
	}
	w.Flush()
	return sha256Hex(buf.Bytes())
}

// listKeyOf is a list's key: the SHA-256 of its header and rows without the
// approve column, which an analyst edits between approvals, so it names the
// audit the list came from across those edits. The journal keeps what runs
// did per list key (a run record's List; see journalState).
func listKeyOf(rows []Row) string {
	approve := slices.Index(RemovalsHeader, "approve")
	drop := func(cells []string) []string {
		if approve < 0 || approve >= len(cells) {
			return cells
		}
		return slices.Delete(slices.Clone(cells), approve, approve+1)
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write(drop(RemovalsHeader))
	for _, r := range rows {
		w.Write(drop(r.cells))
	}
	w.Flush()
	return sha256Hex(buf.Bytes())
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// ReadIDFile reads session Ids, one a line; # starts a comment, on a line
// of its own or after an Id, and blank lines are ignored. Errors name the
// file and line.
func ReadIDFile(path string) ([]string, error) {
	if err := checkRegular(path, os.Stat); err != nil {
		return nil, fmt.Errorf("reading the ids file: %w", err)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading the ids file: %w", err)
	}
	defer f.Close()
	ids := []string{}
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		s := sc.Text()
		if line == 1 {
			s = strings.TrimPrefix(s, "\ufeff") // a byte-order mark, as Notepad writes
		}
		if i := strings.IndexByte(s, '#'); i >= 0 {
			s = s[:i] // a comment, the whole line or after the Id (no Id holds '#')
		}
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		id, err := sfid.Normalize(s)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		ids = append(ids, id)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return ids, nil
}

// writeFileAtomic writes b to a temporary file beside path, syncs it and
// renames it into place, so path holds the old or the new content, never a
// mix.
func writeFileAtomic(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
