package apply

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/jszwec/csvutil"

	"github.com/sessionaudit/sessionaudit/sfid"
)

// RemovalsHeader is the exact header of the removal list `sessionaudit audit`
// writes and this package reads.
var RemovalsHeader = []string{"session_id", "user_id", "username", "session_type", "source_ip", "created", "checks", "severity", "reason", "approve"}

// Decision is what an analyst wrote in a row's approve column.
type Decision int

const (
	NotApproved Decision = iota // empty: no decision written
	Declined                    // "no" or "n": the analyst decided against it
	Remove                      // yes, y, true, x or 1: end the session
	Contain                     // "contain": end the session and contain its user
)

func (d Decision) String() string {
	switch d {
	case Remove:
		return "remove"
	case Contain:
		return "contain"
	case Declined:
		return "declined"
	}
	return "not approved"
}

// approved says whether the decision ends the session.
func (d Decision) approved() bool { return d == Remove || d == Contain }

// parseDecision reads an approve cell; anything it does not know is an error
// rather than a silent "no", so a typo cannot quietly drop or add a removal.
func parseDecision(s string) (Decision, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "":
		return NotApproved, nil
	case "no", "n":
		return Declined, nil
	case "yes", "y", "true", "x", "1":
		return Remove, nil
	case "contain":
		return Contain, nil
	}
	return NotApproved, fmt.Errorf("%q is not one of yes, y, true, x, 1, contain, no, n or empty", s)
}

// Row is one row of the removal list.
type Row struct {
	Line        int       // line of the file the row starts on
	SessionID   string    // 18-character AuthSession Id
	UserID      string    // 18-character User Id; empty when the export did not know it
	Username    string    // as written, spreadsheet neutralisation removed
	SessionType string    //
	SourceIP    string    //
	Created     time.Time // UTC
	Checks      []string  // check ids that flagged the session
	Severity    string    //
	Reason      string    //
	Approve     Decision  // the analyst's approve column

	cells []string // the record exactly as it is in the file, for hashing
}

// removalRecord is a row of the removal list as text; Row is built from it
// so that every conversion error can name its line and field.
type removalRecord struct {
	SessionID   string `csv:"session_id"`
	UserID      string `csv:"user_id"`
	Username    string `csv:"username"`
	SessionType string `csv:"session_type"`
	SourceIP    string `csv:"source_ip"`
	Created     string `csv:"created"`
	Checks      string `csv:"checks"`
	Severity    string `csv:"severity"`
	Reason      string `csv:"reason"`
	Approve     string `csv:"approve"`
}

// ReadRemovals reads the removal list at path; see DecodeRemovals.
func ReadRemovals(path string) ([]Row, error) {
	b, err := readRegularFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the removal list: %w", err)
	}
	return DecodeRemovals(bytes.NewReader(b), path)
}

// DecodeRemovals reads a removal list from r; name is the file name used in
// errors, which say file, line and field. It accepts a UTF-8 byte order mark
// and CRLF line ends (a spreadsheet may add both), requires the header to be
// exactly RemovalsHeader, strips the leading quote that neutralised a cell
// for spreadsheets, normalises Ids to 18 characters and rejects a session Id
// that occurs twice.
func DecodeRemovals(r io.Reader, name string) ([]Row, error) {
	br := bufio.NewReader(r)
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
	}
	cr := csv.NewReader(br)
	dec, err := csvutil.NewDecoder(cr)
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: empty file, want the header %s", name, strings.Join(RemovalsHeader, ","))
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if h := dec.Header(); !slices.Equal(h, RemovalsHeader) {
		return nil, fmt.Errorf("%s:1: header is %q, want %q", name, strings.Join(h, ","), strings.Join(RemovalsHeader, ","))
	}
	var rows []Row
	seen := map[string]int{}
	for {
		var rec removalRecord
		err := dec.Decode(&rec)
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			// csv.ParseError and csvutil.DecodeError both carry the line.
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		row, field, err := rec.row(line, dec.Record())
		if err != nil {
			return nil, fmt.Errorf("%s:%d: field %s: %w", name, line, field, err)
		}
		if first, ok := seen[row.SessionID]; ok {
			return nil, fmt.Errorf("%s:%d: field session_id: %s is also on line %d", name, line, row.SessionID, first)
		}
		seen[row.SessionID] = line
		rows = append(rows, row)
	}
}

// row converts a text record; on error it returns the name of the field.
func (rec removalRecord) row(line int, cells []string) (Row, string, error) {
	row := Row{
		Line:        line,
		Username:    unneutralise(rec.Username),
		SessionType: unneutralise(rec.SessionType),
		SourceIP:    unneutralise(rec.SourceIP),
		Severity:    unneutralise(rec.Severity),
		Reason:      unneutralise(rec.Reason),
		cells:       slices.Clone(cells),
	}
	var err error
	if row.SessionID, err = sfid.Normalize(unneutralise(rec.SessionID)); err != nil {
		return Row{}, "session_id", err
	}
	// Apply deletes the listed Ids through sObject Collections, which deletes
	// whatever record an Id names: only AuthSession Ids may be listed.
	if !strings.HasPrefix(row.SessionID, sfid.AuthSession) {
		return Row{}, "session_id", fmt.Errorf("%s is not an AuthSession Id (those begin %s), so it is not a session to end", row.SessionID, sfid.AuthSession)
	}
	// The audit leaves user_id empty when no export named the user; such a
	// row can be removed (and protected by username) but not contained.
	if u := unneutralise(rec.UserID); u != "" {
		if row.UserID, err = sfid.Normalize(u); err != nil {
			return Row{}, "user_id", err
		}
		if !strings.HasPrefix(row.UserID, sfid.User) {
			return Row{}, "user_id", fmt.Errorf("%s is not a User Id (those begin %s)", row.UserID, sfid.User)
		}
	}
	if row.Created, err = time.Parse(time.RFC3339, unneutralise(rec.Created)); err != nil {
		return Row{}, "created", fmt.Errorf("want an RFC 3339 time like 2026-11-26T08:02:00Z: %w", err)
	}
	row.Created = row.Created.UTC()
	if c := unneutralise(rec.Checks); c != "" {
		row.Checks = strings.Split(c, ";")
	}
	if row.Approve, err = parseDecision(unneutralise(rec.Approve)); err != nil {
		return Row{}, "approve", err
	}
	return row, "", nil
}

// unneutralise undoes report's neutralisation: a value that began with =, +,
// -, @, a tab or a carriage return was written with a leading single quote.
// Only that quote is removed; a value that merely begins with a quote keeps it.
func unneutralise(s string) string {
	if len(s) >= 2 && s[0] == '\'' {
		switch s[1] {
		case '=', '+', '-', '@', '\t', '\r':
			return s[1:]
		}
	}
	return s
}
