package apply

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/sessionaudit/sessionaudit/sfid"
)

// FuzzDecodeRemovals: any input is read or rejected with an error, never a
// panic, and every row read carries an 18-character session Id and an
// 18-character or empty user Id.
func FuzzDecodeRemovals(f *testing.F) {
	f.Add([]byte(listCSV(rows(2))))
	f.Add([]byte("\ufeff" + listCSV([]listRow{{session: sid(1)[:15], user: uid(1), username: "'=x", approve: "contain"}})))
	f.Fuzz(func(t *testing.T, b []byte) {
		rows, err := DecodeRemovals(bytes.NewReader(b), "fuzz.csv")
		if err != nil {
			return
		}
		for _, r := range rows {
			if n, err := sfid.Normalize(r.SessionID); err != nil || n != r.SessionID || (r.UserID != "" && len(r.UserID) != 18) {
				t.Errorf("row with session %q, user %q", r.SessionID, r.UserID)
			}
		}
		rowsSHA256(rows)
	})
}

// FuzzReadJournal: any input is read or rejected, never a panic, and what is
// read replays; a record read survives encoding and reading again.
func FuzzReadJournal(f *testing.F) {
	f.Add([]byte(`{"time":"2026-11-26T10:00:00Z","kind":"run","run":"r1","pid":7,"approval":"abc"}` + "\n" +
		`{"time":"2026-11-26T10:00:01Z","kind":"intent","run":"r1","seq":1,"op":"delete_sessions","ids":["` + sid(1) + `"]}` + "\n" +
		`{"time":"2026-11-26T10:00:02Z","kind":"result","run":"r1","seq":1,"op":"delete_sessions","results":[{"id":"` + sid(1) + `","outcome":"removed","http_status":200}]}` + "\n"))
	f.Add([]byte(`{"kind":"stop","run":"r","code":"REQUEST_LIMIT_EXCEEDED"}` + "\n" + `{"kind":"sk`))
	f.Fuzz(func(t *testing.T, b []byte) {
		recs, err := ReadJournal(bytes.NewReader(b), "fuzz")
		if err != nil {
			return
		}
		replay(recs, "")
		var buf bytes.Buffer
		for _, r := range recs {
			line, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			buf.Write(append(line, '\n'))
		}
		again, err := ReadJournal(&buf, "again")
		if err != nil || len(again) != len(recs) {
			t.Errorf("re-reading %d records: %d, %v", len(recs), len(again), err)
		}
	})
}
