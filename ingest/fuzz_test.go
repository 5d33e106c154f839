package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The parsers in Go (the CSV header sniffer, header matching, JSON record
// extraction and IP reading) must never panic, whatever a file holds.

func FuzzSniffAndMatchHeader(f *testing.F) {
	f.Add([]byte(sessionsHeader + "\n"))
	f.Add([]byte("\ufeffUsername,Login Time,Source IP,Status\r\n"))
	f.Add([]byte("\x1f\x8b\x08"))
	f.Add([]byte(`"a""b",c` + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fm, err := sniffReader(bytes.NewReader(data), false)
		if err != nil || fm.json {
			return
		}
		for _, k := range []Kind{Sessions, Logins, Users, Geo} {
			m, err := matchHeader("f.csv", k, fm.header)
			if err == nil && len(m.column) != len(fm.header) {
				t.Fatalf("got %d mapped columns for a header of %d", len(m.column), len(fm.header))
			}
		}
	})
}

func FuzzJSONRecords(f *testing.F) {
	f.Add([]byte(`{"totalSize":1,"done":true,"records":[{"attributes":{"type":"AuthSession"},"Id":"0Ak","Users":{"Username":"a"},"LoginGeo":null}]}`))
	f.Add([]byte(`{"status":0,"result":{"records":[{"Id":1.5e3,"IsCurrent":true}]}}`))
	f.Add([]byte(`{"records":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var recs []jsonRecord
		notFound := func() error { return noRecordsError(data) }
		if err := eachJSONRecordIn(bytes.NewReader(data), notFound, func(r jsonRecord) error { recs = append(recs, r); return nil }); err != nil {
			return
		}
		last := int64(0)
		for _, r := range recs {
			if r.line < last {
				t.Fatalf("record lines go backwards: %d after %d", r.line, last)
			}
			last = r.line
			for _, fd := range r.fields {
				if fd.key == "attributes" || strings.HasSuffix(fd.key, ".attributes") {
					t.Fatalf("got attributes key %q in a flattened record", fd.key)
				}
			}
		}
	})
}

// FuzzFlattenObject holds flattenObject to the reading it replaced: the
// object decoded by encoding/json into maps, then walked (flattenDecoded).
// Objects with a name given twice at one level are left out of the
// comparison, since a map keeps only one of the two.
func FuzzFlattenObject(f *testing.F) {
	for _, s := range []string{
		`{"attributes":{"type":"LoginHistory","url":"/x"},"Id":"0Ya","LoginTime":"2026-11-26T09:00:00.000+0000","LoginGeo":{"City":"S\u00e3o Paulo","Latitude":-23.55,"attributes":{}}}`,
		`{"a":[1,"<b>",{"c":null}],"d":true,"e":false,"f":null,"g":-1.5e+3,"h":"\ud83d\ude00 \" \\ \/"}`,
		`{ "x" : { "y" : { "z" : "\u0000" } } , "w" : "\xff" }`,
		"{\"bad\":\"\xff\xfe\"}",
		`{}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		i := 0
		for i < len(data) && strings.IndexByte(" \t\r\n", data[i]) >= 0 {
			i++
		}
		if !json.Valid(data) || i == len(data) || data[i] != '{' {
			return
		}
		got := map[string]string{}
		n := 0
		end := flattenObject("", data, i, func(key, value string, null bool) {
			n++
			got[key] = fmt.Sprint(value, null)
		}, nil)
		if strings.TrimSpace(string(data[end:])) != "" {
			t.Fatalf("flattenObject stopped at %d of %q", end, data)
		}
		if hasRepeatedNames(data) {
			return
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var rec map[string]any
		if err := dec.Decode(&rec); err != nil {
			t.Fatal(err)
		}
		want := map[string]string{}
		flattenDecoded("", rec, func(key, value string, null bool) { want[key] = fmt.Sprint(value, null) })
		if n != len(got) || !cmp.Equal(want, got) {
			t.Errorf("flattenObject(%q) gave %d fields %v, want %v", data, n, got, want)
		}
	})
}

// flattenDecoded is how records were read before flattenObject: decoded into
// maps, then walked.
func flattenDecoded(prefix string, rec map[string]any, emit func(key, value string, null bool)) {
	for k, v := range rec {
		if k == "attributes" {
			continue
		}
		key := k
		if prefix != "" {
			key = prefix + "." + k
		}
		switch t := v.(type) {
		case map[string]any:
			flattenDecoded(key, t, emit)
		case nil:
			emit(key, "", true)
		case string:
			emit(key, t, false)
		case json.Number:
			emit(key, t.String(), false)
		case bool:
			emit(key, strconv.FormatBool(t), false)
		default:
			b, _ := json.Marshal(t)
			emit(key, string(b), false)
		}
	}
}

// hasRepeatedNames says whether some object in data gives a name twice.
func hasRepeatedNames(data []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(data))
	type frame struct {
		names  map[string]bool // nil for an array
		isName bool            // the object's next token is a name
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			continue
		}
		if n := len(stack); n > 0 && stack[n-1].names != nil {
			top := stack[n-1]
			if top.isName {
				name := tok.(string)
				if top.names[name] {
					return true
				}
				top.names[name], top.isName = true, false
				continue
			}
			top.isName = true // tok starts the value; a name comes after it
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{names: map[string]bool{}, isName: true})
		case json.Delim('['):
			stack = append(stack, &frame{})
		}
	}
}

func FuzzCanonicalIP(f *testing.F) {
	for _, s := range []string{"203.0.113.7", "2001:DB8::1", "::ffff:192.0.2.1", "[::1]", "fe80::1%eth0", "1.2.3", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, ok := CanonicalIP(s)
		if !ok {
			return
		}
		again, ok2 := CanonicalIP(c)
		if !ok2 || again != c {
			t.Fatalf("canonical form %q of %q is not stable: got %q", c, s, again)
		}
	})
}

// lineEndingFault and blankLines scan CSV bytes for line breaks, quote by
// quote. Neither may fail on any content; a file with no CR has no fault,
// and its blank lines are the same whether its lines end in LF or CRLF.
func FuzzLineScanners(f *testing.F) {
	f.Add([]byte("h\na\n\nb\n"))
	f.Add([]byte("h\n\"x\n\ny\"\n\nb\n"))
	f.Add([]byte("h\na,Chrome 5\"\n\nb\n"))
	f.Add([]byte("h\n\"a\",\"x\"\"y\"\n\nb\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		lf := bytes.ReplaceAll(data, []byte("\r"), nil)
		dir := t.TempDir()
		p := dir + "/lf.csv"
		if err := os.WriteFile(p, lf, 0o644); err != nil {
			t.Fatal(err)
		}
		line, what, err := lineEndingFault(context.Background(), p)
		if err != nil || line != 0 {
			t.Fatalf("lineEndingFault(%q) = %d %q %v, want no fault", lf, line, what, err)
		}
		blank, err := blankLines(context.Background(), p, 1)
		if err != nil {
			t.Fatal(err)
		}
		crlf := dir + "/crlf.csv"
		if err := os.WriteFile(crlf, bytes.ReplaceAll(lf, []byte("\n"), []byte("\r\n")), 0o644); err != nil {
			t.Fatal(err)
		}
		if line, what, err := lineEndingFault(context.Background(), crlf); err != nil || line != 0 {
			t.Fatalf("lineEndingFault(CRLF of %q) = %d %q %v, want no fault", lf, line, what, err)
		}
		blankCRLF, err := blankLines(context.Background(), crlf, 1)
		if err != nil {
			t.Fatal(err)
		}
		if !cmp.Equal(blank, blankCRLF) {
			t.Fatalf("blank lines of %q: LF %v, CRLF %v", lf, blank, blankCRLF)
		}
	})
}

// FuzzLoadAccountsForEveryRow runs fuzzed rows of a Bulk API logins or
// sessions export or of a Setup download, or a fuzzed REST page of logins,
// through the whole load: DuckDB's CSV or JSON reader and the validation
// after it, in UTC or (kind&4) in a time zone with daylight saving. The load either refuses the file
// with an InputError (which names it) or accounts for every row it read as
// loaded, a duplicate or a reject, each reject on a line the file has. Any
// other error, such as a DuckDB internal error, is a failure.
func FuzzLoadAccountsForEveryRow(f *testing.F) {
	const logins = `"0Ya000000000001AAA","005000000000001AAA","2026-11-26T08:00:00.000Z","203.0.113.7","Success"` + "\n" +
		`"0Ya000000000002AAA","005000000000001AAA","2026-13-45T08:00:00Z","203.0.113.7","Success"` + "\n" +
		`0Ya000000000003AAA,005000000000001AAA,2026-11-26T08:00:00Z` + "\n" +
		`0Ya000000000001AAA,005000000000001AAA,2026-11-26T08:00:00Z,"2001:db8::1","Invalid ""Password"""` + "\n" +
		`0Ya000000000004AAA,005000000000001AAA,2026-11-26T08:00:00Z,"a` + "\nb\",Success\n"
	const sessions = `"0Ak000000000001","005000000000001AAA","alice@acme.com","2026-11-26T08:00:00.000Z","2026-11-26T09:00:00.000Z","7200","Standard","203.0.113.7","Application","UI","STANDARD","","0Ya000000000001AAA","04F000000000001AAA","false","Paris","France","FR","48.85","2.35"` + "\n" +
		`0Ak000000000002AAA,005000000000001AAA,alice@acme.com,2026-11-26T08:00:00+0000,x,7200,Standard,2001:DB8::1,Application,Content,STANDARD,0Ak000000000001,,,true,,,,,` + "\r\n"
	const setup = "alice@acme.com,26/11/2026 08:00,203.0.113.7,Success\n\"bob@acme.com\",\"11/26/2026 8:00 AM\",\"203.0.113.8\",\"Invalid Password\"\n,,,\n"
	const page = `{"totalSize":3,"done":true,"records":[
{"attributes":{"type":"LoginHistory"},"Id":"0Ya000000000003AAA","UserId":"005000000000001AAA","LoginTime":"2026-11-26T09:00:00.000+0000","SourceIp":"203.0.113.8","Status":"Success","LoginGeo":{"City":"Paris","Latitude":48.85}},
{"attributes":{"type":"LoginHistory"},"Id":"0Ya000000000004AAA","UserId":"005000000000001AAA","LoginTime":"2026-11-26T09:00:00.000+0000","SourceIp":"1.2.3.4.5","Status":"Success"},
{"attributes":{"type":"LoginHistory"},"Id":"0Ya000000000003AAA","UserId":"005000000000001AAA","LoginTime":null,"SourceIp":"203.0.113.9","Status":"Success"}]}`
	f.Add(uint8(0), []byte(logins))
	f.Add(uint8(1), []byte(sessions))
	f.Add(uint8(2), []byte(setup))
	f.Add(uint8(3), []byte(page))
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(uint8(6), []byte("alice@acme.com,25/10/2026 02:30,203.0.113.7,Success\n"))
	// A Setup download with a Location (kind 10): country names with
	// commas, and dates as ko, hr and ja write them.
	f.Add(uint8(10), []byte("alice@acme.com,2026. 11. 26. 오후 3:04,203.0.113.7,\"Seoul, Korea, Republic of\",Success\n"+
		"alice@acme.com,26.11.2026. 15:04,203.0.113.8,\"Zagreb, Grad Zagreb, Croatia\",Success\n"+
		"bob@acme.com,2026/11/26 午後3:05,203.0.113.9,\",,\",Failed\n"))
	f.Fuzz(func(t *testing.T, kind uint8, body []byte) {
		// A CSV file gets its header, then the fuzzed rows; a JSON file
		// (kind 3) is the fuzzed text whole.
		name, content := "export.json", string(body)
		if kind%4 < 3 {
			name = "export.csv"
			header := [...]string{"Id,UserId,LoginTime,SourceIp,Status", sessionsHeader, "Username,Login Time,Source IP,Status"}[kind%4]
			if kind%4 == 2 && kind&8 != 0 {
				header = "Username,Login Time,Source IP,Location,Status"
			}
			content = header + "\n" + content
		}
		p := mustWrite(t, t.TempDir(), name, content)
		in := Inputs{Logins: []string{p}}
		table := "logins"
		if kind%4 == 1 {
			in, table = Inputs{Sessions: []string{p}}, "sessions"
		}
		// A Setup download is read in the policy's time zone, and in one
		// with daylight saving it is scanned for clock times read twice.
		opts := Options{}
		if kind&4 != 0 {
			opts.Location = paris
		}
		db := mustDB(t)
		st, err := Load(context.Background(), db, in, opts)
		if err != nil {
			var ie *InputError
			var mc *MissingColumnsError
			if errors.As(err, &ie) || errors.As(err, &mc) {
				return
			}
			t.Fatalf("got %v, want the file loaded or refused as input", err)
		}
		if len(st.Files) != 1 {
			t.Fatalf("got stats for %d files, want 1", len(st.Files))
		}
		fs := st.Files[0]
		if fs.Read != fs.Loaded+fs.Duplicates+fs.Rejected {
			t.Fatalf("read %d rows, but loaded %d, found %d duplicates and rejected %d", fs.Read, fs.Loaded, fs.Duplicates, fs.Rejected)
		}
		// A CSV file's rows start on line 2, a JSON record may on line 1.
		firstLine := 2
		if kind%4 == 3 {
			firstLine = 1
		}
		var loaded, rejected, outside int64
		if err := db.QueryRow(fmt.Sprintf(`SELECT (SELECT count(*) FROM %s), (SELECT count(*) FROM rejects),
			(SELECT count(*) FROM rejects WHERE line IS NULL OR line < ? OR line > ?)`, table),
			firstLine, strings.Count(content, "\n")+1).Scan(&loaded, &rejected, &outside); err != nil {
			t.Fatal(err)
		}
		if loaded != fs.Loaded || rejected != fs.Rejected || outside != 0 {
			t.Fatalf("the tables hold %d rows and %d rejects (%d on no line of the file), the stats say %d loaded and %d rejected", loaded, rejected, outside, fs.Loaded, fs.Rejected)
		}
	})
}
