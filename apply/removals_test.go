package apply

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestDecodeRemovals(t *testing.T) {
	in := "\ufeff" + strings.Join(RemovalsHeader, ",") + "\r\n" +
		"0AkXy0000000001," + uid(1) + ",'=cmd|'/c calc'!A1,UI,203.0.113.7,2026-11-26T08:02:00Z,a;b,high,'-12 logins,Y\r\n" +
		sid(2) + "," + uid(2)[:15] + ",'plain,API,,2026-11-26T08:03:00+01:00,,low,\"x, y\",\r\n"
	got, err := DecodeRemovals(strings.NewReader(in), "removals.csv")
	if err != nil {
		t.Fatal(err)
	}
	want := []Row{
		{Line: 2, SessionID: sid(1), UserID: uid(1), Username: "=cmd|'/c calc'!A1", SessionType: "UI", SourceIP: "203.0.113.7",
			Created: time.Date(2026, 11, 26, 8, 2, 0, 0, time.UTC), Checks: []string{"a", "b"}, Severity: "high", Reason: "-12 logins", Approve: Remove},
		{Line: 3, SessionID: sid(2), UserID: uid(2), Username: "'plain", SessionType: "API",
			Created: time.Date(2026, 11, 26, 7, 3, 0, 0, time.UTC), Severity: "low", Reason: "x, y"},
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreUnexported(Row{})); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}

	header := strings.Join(RemovalsHeader, ",") + "\n"
	line := func(session, user, created, approve string) string {
		return session + "," + user + ",u@x.com,UI,1.2.3.4," + created + ",c,high,r," + approve + "\n"
	}
	good := line(sid(1), uid(1), "2026-11-26T08:02:00Z", "")
	errs := []struct{ name, in, want string }{
		{"empty", "", "removals.csv: empty file"},
		{"header", "session_id,user_id\n", "removals.csv:1: header is"},
		{"reordered header", strings.Replace(header, "username,session_type", "session_type,username", 1), "removals.csv:1: header is"},
		{"session id", header + good + line("0Ak123", uid(1), "2026-11-26T08:02:00Z", ""), "removals.csv:3: field session_id: the Id \"0Ak123\" has 6 characters"},
		{"user id", header + line(sid(1), "005xx", "2026-11-26T08:02:00Z", ""), "removals.csv:2: field user_id"},
		// sObject Collections would delete an Account (001…) as readily as a session.
		{"an Account's Id", header + good + line("001Xy0000000001", uid(1), "2026-11-26T08:02:00Z", ""),
			"removals.csv:3: field session_id: 001Xy0000000001IAA is not an AuthSession Id (those begin 0Ak)"},
		{"a Contact's Id as the user", header + line(sid(1), "003Xy0000000001", "2026-11-26T08:02:00Z", ""),
			"removals.csv:2: field user_id: 003Xy0000000001IAA is not a User Id (those begin 005)"},
		{"user id after an empty one", header + line(sid(1), "", "2026-11-26T08:02:00Z", "") + line(sid(2), "'-", "2026-11-26T08:02:00Z", ""), "removals.csv:3: field user_id"},
		{"created", header + line(sid(1), uid(1), "26/11/2026 08:02", ""), "removals.csv:2: field created: want an RFC 3339 time"},
		{"approve", header + line(sid(1), uid(1), "2026-11-26T08:02:00Z", "maybe"), "removals.csv:2: field approve: \"maybe\" is not one of"},
		{"duplicate", header + good + line(sid(1)[:15], uid(1), "2026-11-26T08:02:00Z", ""), "removals.csv:3: field session_id: " + sid(1) + " is also on line 2"},
		{"short record", header + "a,b\n", "removals.csv: record on line 2: wrong number of fields"},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeRemovals(strings.NewReader(tt.in), "removals.csv")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestApproveSelection(t *testing.T) {
	marked := func(approves ...string) []listRow {
		rs := rows(len(approves))
		for i, a := range approves {
			rs[i].approve = a
		}
		return rs
	}
	tests := []struct {
		name      string
		rows      []listRow
		only      []string
		want      []ApprovedSession
		selection string
		err       string
	}{
		{name: "all rows when none is marked", rows: marked("", "", ""), selection: "all",
			want: []ApprovedSession{{sid(0), uid(0), false}, {sid(1), uid(1), false}, {sid(2), uid(2), false}}},
		{name: "a no is a decision: only the rows marked yes", rows: marked("no", "yes", ""), selection: "approve-column",
			want: []ApprovedSession{{sid(1), uid(1), false}}},
		{name: "a list of noes approves nothing", rows: marked("no", "N"), err: "every row of %LIST% is marked no, so nothing is approved"},
		{name: "noes and undecided rows approve nothing", rows: marked("no", ""), err: "no row of %LIST% is marked yes or contain (1 marked no, the rest empty), so nothing is approved"},
		{name: "only the marked rows", rows: marked("x", "", "Contain", "TRUE", "no"), selection: "approve-column",
			want: []ApprovedSession{{sid(0), uid(0), false}, {sid(2), uid(2), true}, {sid(3), uid(3), false}}},
		{name: "only-file narrows all rows", rows: marked("", "", ""), only: []string{sid(2)[:15]}, selection: "only",
			want: []ApprovedSession{{sid(2), uid(2), false}}},
		{name: "only-file narrows marked rows", rows: marked("1", "y", "contain"), only: []string{sid(1), sid(2)}, selection: "approve-column+only",
			want: []ApprovedSession{{sid(1), uid(1), false}, {sid(2), uid(2), true}}},
		{name: "only-file id not in the list", rows: marked(""), only: []string{sid(9)}, err: "is not in"},
		{name: "nothing selected", rows: marked("yes", ""), only: []string{sid(1)}, err: "no session listed in the Id file is marked yes or contain in %LIST%"},
		{name: "an empty Id file", rows: marked("", ""), only: []string{}, err: "the Id file lists no session"},
		{name: "a list without rows", rows: marked(), err: "%LIST% has no rows"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list := filepath.Join(t.TempDir(), "removals.csv")
			mustWrite(t, list, listCSV(tt.rows))
			opts := ApproveOptions{Removals: list, By: "bob", Only: tt.only, Now: t0, Expires: 2 * time.Hour}
			if tt.err != "" {
				want := strings.ReplaceAll(tt.err, "%LIST%", list)
				if _, err := Approve(opts); err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("error %v, want one containing %q", err, want)
				}
				return
			}
			a := mustApprove(t, opts)
			if diff := cmp.Diff(tt.want, a.Sessions); diff != "" {
				t.Errorf("sessions (-want +got):\n%s", diff)
			}
			if a.Selection != tt.selection || !a.ExpiresAt.Equal(t0.Add(2*time.Hour)) || a.ApprovedBy != "bob" {
				t.Errorf("selection %q, expires %s, by %q", a.Selection, a.ExpiresAt, a.ApprovedBy)
			}
			read, err := ReadApproval(list)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(a, read); diff != "" {
				t.Errorf("approval file (-written +read):\n%s", diff)
			}
		})
	}
}

// TestApprovalHashes: a list whose approved rows are unchanged
// hashes the same rows however the file is laid out, while its file hash
// differs, and apply refuses it (any change after approval is refused).
func TestApprovalHashes(t *testing.T) {
	dir := t.TempDir()
	list := filepath.Join(dir, "removals.csv")
	mustWrite(t, list, listCSV(rows(3)))
	a := mustApprove(t, ApproveOptions{Removals: list, By: "a", Now: t0})
	crlf := strings.ReplaceAll(listCSV(rows(3)), "\n", "\r\n")
	rs, err := DecodeRemovals(strings.NewReader(crlf), "x")
	if err != nil {
		t.Fatal(err)
	}
	if got := rowsSHA256(rs); got != a.RowsSHA256 {
		t.Errorf("rows hash of the CRLF copy %s, want %s", got, a.RowsSHA256)
	}
	if err := checkApproval(list, a, []byte(crlf), rs, t0); err == nil {
		t.Error("checkApproval accepted a list whose bytes changed")
	}
	if err := checkApproval(list, a, []byte(listCSV(rows(3))), rs, t0.Add(-time.Hour)); err == nil || !strings.Contains(err.Error(), "in the future") {
		t.Errorf("approval from the future: %v", err)
	}
}

func TestReadIDFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ids.txt")
	mustWrite(t, path, "# reviewed by bob\n"+sid(1)[:15]+"\n\n  "+sid(2)+"  \n"+sid(3)+" # the VPN one\n"+sid(4)+"#no space\n")
	got, err := ReadIDFile(path)
	if err != nil || !cmp.Equal(got, []string{sid(1), sid(2), sid(3), sid(4)}) {
		t.Errorf("ReadIDFile = %v, %v", got, err)
	}
	mustWrite(t, path, "\ufeff"+sid(5)+"\n")
	if got, err := ReadIDFile(path); err != nil || !cmp.Equal(got, []string{sid(5)}) {
		t.Errorf("ReadIDFile with a byte-order mark = %v, %v", got, err)
	}
	mustWrite(t, path, sid(1)+"\nnope\n")
	if _, err := ReadIDFile(path); err == nil || !strings.Contains(err.Error(), "ids.txt:2:") {
		t.Errorf("error %v, want one naming line 2", err)
	}
}

// ReadApproval refuses a file that is not an approval, or one of another
// version, saying which.
func TestReadApprovalRefusesOtherFiles(t *testing.T) {
	for _, tt := range []struct{ name, content, want string }{
		{"a JSON object of other keys", `{"foo":1}`, "not an approval: it has no version"},
		{"another version", `{"version":2}`, "version 2, want 1"},
		{"not JSON", `removals`, "invalid character"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			list := filepath.Join(t.TempDir(), "removals.csv")
			mustWrite(t, list, listCSV(rows(1)))
			mustWrite(t, ApprovalPath(list), tt.content)
			_, err := ReadApproval(list)
			var bad *BadApprovalError
			if !errors.As(err, &bad) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want a BadApprovalError containing %q", err, tt.want)
			}
		})
	}
}
