package ingest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// geoRecord is one LoginHistory or AuthSession record with its user's name
// and its place, its relationships written in form: "nested" as the REST
// API writes them, "flat" as dotted keys ("LoginGeo.City"), "both" nested
// and dotted with the same values, or "two values": nested, then dotted
// with another city. Every third record has no place (a null LoginGeo).
func geoRecord(k Kind, i int, form string) string {
	city, lat := []string{"Paris", "São Paulo", "Lyon"}[i%3], fmt.Sprintf("%d.25", 10+i)
	var b strings.Builder
	user := "User"
	if k == Sessions {
		user = "Users"
		fmt.Fprintf(&b, `{"attributes":{"type":"AuthSession"},"Id":"0Ak%015d","UsersId":"005000000000001AAA","CreatedDate":"2026-11-26T09:00:00.000+0000",`+
			`"LastModifiedDate":"2026-11-26T09:30:00.000+0000","NumSecondsValid":7200,"SessionType":"UI","SourceIp":"203.0.113.%d"`, i, i)
	} else {
		fmt.Fprintf(&b, `{"attributes":{"type":"LoginHistory"},"Id":"0Ya%015d","UserId":"005000000000001AAA","LoginTime":"2026-11-26T09:%02d:00.000+0000",`+
			`"SourceIp":"203.0.113.%d","Status":"Success"`, i, i, i)
	}
	nested := func(city string) {
		fmt.Fprintf(&b, `,%q:{"attributes":{"type":"User"},"Username":"u%d@acme.com"}`, user, i)
		if i%3 == 0 {
			b.WriteString(`,"LoginGeo":null`)
			return
		}
		fmt.Fprintf(&b, `,"LoginGeo":{"attributes":{"type":"LoginGeo"},"City":%q,"Country":"France","CountryIso":"FR","Latitude":%s,"Longitude":-2.5}`, city, lat)
	}
	flat := func(city string) {
		fmt.Fprintf(&b, `,"%s.Username":"u%d@acme.com"`, user, i)
		if i%3 == 0 {
			b.WriteString(`,"LoginGeo.City":null,"LoginGeo.Country":null,"LoginGeo.CountryIso":null,"LoginGeo.Latitude":null,"LoginGeo.Longitude":null`)
			return
		}
		fmt.Fprintf(&b, `,"LoginGeo.City":%q,"LoginGeo.Country":"France","LoginGeo.CountryIso":"FR","LoginGeo.Latitude":%s,"LoginGeo.Longitude":-2.5`, city, lat)
	}
	switch form {
	case "nested":
		nested(city)
	case "flat":
		flat(city)
	case "both":
		nested(city)
		flat(city)
	case "two values":
		nested(city)
		flat("Marseille")
	}
	return b.String() + "}"
}

// A REST export whose relationships were flattened into dotted keys
// ("LoginGeo.City": "Paris") loads the same values as the export nested as
// the REST API writes it, whether DuckDB's reader or the Go decoder reads
// it, and whichever form a record after the header's records takes. A
// record that gives a field both ways with two values sends its page to Go,
// which keeps the last.
func TestLoadJSONFlattenedRelationshipsLoadAsNested(t *testing.T) {
	defer func() { decodedInGo = nil }()
	var refused []error
	decodedInGo = func(err error) { refused = append(refused, err) }
	const n = 14 // more than the header's records
	for _, k := range []Kind{Logins, Sessions} {
		page := func(forms func(i int) string, extra string) string {
			var recs []string
			for i := 1; i <= n; i++ {
				recs = append(recs, geoRecord(k, i, forms(i)))
			}
			if extra != "" {
				recs = append(recs, extra)
			}
			return fmt.Sprintf("{\"totalSize\":%d,\"done\":true,\"records\":[\n%s]}", len(recs), strings.Join(recs, ",\n"))
		}
		all := func(form string) func(int) string { return func(int) string { return form } }
		// A record with invalid UTF-8 in a field no check reads: DuckDB's
		// reader refuses the page, the Go decoder rejects that record alone.
		badUTF8 := strings.Replace(geoRecord(k, 99, "flat"), `"SourceIp":"203.0.113.99"`, "\"SourceIp\":\"203.0.113.99\",\"Browser\":\"Chr\xffme\"", 1)
		read := func(t *testing.T, content string) [][]string {
			db := mustDB(t)
			p := mustWrite(t, t.TempDir(), "p.json", content)
			in := Inputs{Logins: []string{p}}
			if k == Sessions {
				in = Inputs{Sessions: []string{p}}
			}
			if _, err := Load(context.Background(), db, in, Options{}); err != nil {
				t.Fatal(err)
			}
			return mustQuery(t, db, fmt.Sprintf(`SELECT id, username, city, country, country_iso, latitude, longitude FROM %s WHERE id NOT LIKE '%%99' ORDER BY id`, k))
		}
		refused = nil
		want := read(t, page(all("nested"), ""))
		if len(refused) != 0 || len(want) != n || want[0][2] != "São Paulo" || want[2][2] != "NULL" || want[1][5] != "12.25" {
			t.Fatalf("%s: the nested page: refused %v, loaded %v", k, refused, want)
		}
		for _, tc := range []struct {
			name    string
			content string
			refused int
			want    func(rows [][]string) // changes the nested page's rows to the ones expected
		}{
			{"flattened", page(all("flat"), ""), 0, nil},
			{"flattened, decoded in Go", page(all("flat"), badUTF8), 1, nil},
			{"nested, then flattened after the header's records", page(func(i int) string { return map[bool]string{true: "nested", false: "flat"}[i <= 10] }, ""), 0, nil},
			{"flattened, then nested after the header's records", page(func(i int) string { return map[bool]string{true: "flat", false: "nested"}[i <= 10] }, ""), 0, nil},
			{"both forms in each record, one value", page(all("both"), ""), 0, nil},
			{"both forms with two values", page(func(i int) string { return map[bool]string{true: "two values", false: "nested"}[i == 13] }, ""), 1,
				func(rows [][]string) { rows[12][2] = "Marseille" }},
		} {
			t.Run(fmt.Sprintf("%s %s", k, tc.name), func(t *testing.T) {
				refused = nil
				got := read(t, tc.content)
				if len(refused) != tc.refused {
					t.Errorf("DuckDB's reader refused %d groups (%v), want %d", len(refused), refused, tc.refused)
				}
				w := want
				if tc.want != nil {
					w = nil
					for _, r := range want {
						w = append(w, append([]string(nil), r...))
					}
					tc.want(w)
				}
				if diff := cmp.Diff(w, got); diff != "" {
					t.Errorf("loaded (-want +got):\n%s", diff)
				}
			})
		}
	}
}

// jsonStructType declares a dotted name both as a nested path and as one
// field whose key holds the dot, and reads whichever a record gives.
func TestJSONStructTypeReadsDottedKeys(t *testing.T) {
	typ, raw, ok := jsonStructType([]string{"id", "city"}, map[string]string{"id": "Id", "city": "LoginGeo.City"})
	if !ok {
		t.Fatal("not ok")
	}
	if want := `STRUCT("Id" VARCHAR, "LoginGeo" STRUCT("City" VARCHAR), "LoginGeo.City" VARCHAR)`; typ != want {
		t.Errorf("type %s, want %s", typ, want)
	}
	if raw["id"] != `r."Id"` || !strings.Contains(raw["city"], `coalesce(r."LoginGeo"."City", r."LoginGeo.City")`) {
		t.Errorf("expressions %v", raw)
	}
}

// A REST page's totalSize, done and nextRecordsUrl are read wherever they
// sit in the page (sorted keys put totalSize after the records), and the
// load warns when pages are missing: the pages of a query hold fewer
// distinct records than totalSize (a page given twice counts once), or a
// page says done: false and none given says done: true. The near misses
// (every page given, in any key order; an sf CLI result that says done:
// true; records another export also holds) do not warn.
func TestLoadWarnsOfMissingRESTPagesInAnyKeyOrder(t *testing.T) {
	// Records whose values hold brackets, braces and escaped quotes, which
	// the skip over the records after the header's must step over.
	rec := func(i int) string {
		return fmt.Sprintf(`{"attributes":{"type":"LoginHistory"},"Browser":"x\\\"]}[{\\","Id":"0Ya%015d","LoginTime":"2026-11-26T09:00:00.000+0000",`+
			`"SourceIp":"203.0.113.1","Status":"Success","UserId":"005000000000001AAA"}`, i)
	}
	recs := func(from, to int) string {
		var out []string
		for i := from; i <= to; i++ {
			out = append(out, rec(i))
		}
		return "[\n" + strings.Join(out, ",\n") + "]"
	}
	// sorted is a page as jq -S or Python's sort_keys writes it.
	sorted := func(total, from, to int, next string) string {
		head := `"done":true,`
		if next != "" {
			head = `"done":false,"nextRecordsUrl":"/services/data/v66.0/query/01gXX-` + next + `",`
		}
		tail := ""
		if total > 0 {
			tail = fmt.Sprintf(`,"totalSize":%d`, total)
		}
		return "{" + head + `"records":` + recs(from, to) + tail + "}"
	}
	api := func(total, from, to int, done bool) string {
		return fmt.Sprintf(`{"totalSize":%d,"done":%t,"records":%s}`, total, done, recs(from, to))
	}
	cli := func(total, from, to int, done bool) string {
		return fmt.Sprintf(`{"status":0,"result":{"records":%s,"totalSize":%d,"done":%t},"warnings":[]}`, recs(from, to), total, done)
	}
	type file struct{ name, content string }
	for _, tc := range []struct {
		name  string
		files []file
		want  []string // with DIR for the folder
	}{
		{"sorted keys, the first page of two", []file{{"p1.json", sorted(40, 1, 20, "20")}}, []string{
			"The logins query behind the REST page given holds 40 records (totalSize), but they have only 20: the other pages were not given, so the audit does not see 20 of its logins. Fetch every nextRecordsUrl page."}},
		{"the first page of a large query", []file{{"p1.json", api(30000, 1, 2, false)}}, []string{
			"The logins query behind the REST page given holds 30,000 records (totalSize), but they have only 2: the other pages were not given, so the audit does not see 29,998 of its logins. Fetch every nextRecordsUrl page."}},
		{"an sf CLI result of a large query cut short", []file{{"cli.json", cli(12000, 1, 2, false)}}, []string{
			"The logins query of the sf data query result DIR/cli.json matched 12,000 records (totalSize), but it holds only 2: the audit does not see 11,998 of its logins." +
				" sf data query stops at its org-max-query-limit setting: raise it (sf config set org-max-query-limit) and query again."}},
		{"sorted keys, a short first page", []file{{"p1.json", sorted(6, 1, 3, "3")}}, []string{
			"The logins query behind the REST page given holds 6 records (totalSize), but they have only 3: the other pages were not given, so the audit does not see 3 of its logins. Fetch every nextRecordsUrl page."}},
		{"sorted keys in gzip", []file{{"p1.json.gz", gz(t, sorted(40, 1, 20, "20"))}}, []string{
			"The logins query behind the REST page given holds 40 records (totalSize), but they have only 20: the other pages were not given, so the audit does not see 20 of its logins. Fetch every nextRecordsUrl page."}},
		{"done false without totalSize", []file{{"p1.json", sorted(0, 1, 20, "20")}}, []string{
			"DIR/p1.json says done: false (more pages follow), but no logins page given says done: true (the last page): the audit does not see the logins of the pages after. Fetch every nextRecordsUrl page."}},
		{"done false after the records, without totalSize", []file{{"p1.json", `{"records":` + recs(1, 12) + `,"nextRecordsUrl":"/services/data/v66.0/query/01gXX-12","done":false}`}}, []string{
			"DIR/p1.json says done: false (more pages follow), but no logins page given says done: true (the last page): the audit does not see the logins of the pages after. Fetch every nextRecordsUrl page."}},
		{"a nextRecordsUrl without done or totalSize", []file{{"p1.json", `{"records":` + recs(1, 12) + `,"nextRecordsUrl":"/services/data/v66.0/query/01gXX-12"}`}}, []string{
			"DIR/p1.json says done: false (more pages follow), but no logins page given says done: true (the last page): the audit does not see the logins of the pages after. Fetch every nextRecordsUrl page."}},
		{"a page given twice", []file{{"p1.json", api(40, 1, 20, false)}, {"p1-copy.json", api(40, 1, 20, false)}}, []string{
			"The logins query behind the 2 REST pages given (DIR/p1-copy.json repeats DIR/p1.json: counted once) holds 40 records (totalSize), but they have only 20: the other pages were not given, so the audit does not see 20 of its logins. Fetch every nextRecordsUrl page."}},
		{"a page given twice, the copy with sorted keys", []file{{"p1.json", api(40, 1, 20, false)}, {"p1-sorted.json", sorted(40, 1, 20, "20")}}, []string{
			"The logins query behind the 2 REST pages given (DIR/p1-sorted.json repeats DIR/p1.json: counted once) holds 40 records (totalSize), but they have only 20: the other pages were not given, so the audit does not see 20 of its logins. Fetch every nextRecordsUrl page."}},
		{"an sf CLI result cut short", []file{{"cli.json", cli(40, 1, 20, false)}}, []string{
			"The logins query of the sf data query result DIR/cli.json matched 40 records (totalSize), but it holds only 20: the audit does not see 20 of its logins." +
				" sf data query stops at its org-max-query-limit setting: raise it (sf config set org-max-query-limit) and query again."}},
		{"an sf CLI result cut short that says done", []file{{"cli.json", cli(40, 1, 20, true)}}, []string{
			"The logins query of the sf data query result DIR/cli.json matched 40 records (totalSize), but it holds only 20: the audit does not see 20 of its logins." +
				" sf data query stops at its org-max-query-limit setting: raise it (sf config set org-max-query-limit) and query again."}},
		{"a REST page and an sf CLI result of one query", []file{{"p1.json", api(40, 1, 10, false)}, {"cli.json", cli(40, 11, 20, false)}}, []string{
			"The logins query behind the 2 REST pages given holds 40 records (totalSize), but they have only 20: the other pages were not given, so the audit does not see 20 of its logins. Fetch every nextRecordsUrl page." +
				" sf data query stops at its org-max-query-limit setting: raise it (sf config set org-max-query-limit) and query again."}},
		{"near miss: every page, sorted keys", []file{{"p1.json", sorted(40, 1, 20, "20")}, {"p2.json", sorted(40, 21, 40, "")}}, nil},
		{"near miss: every page without totalSize", []file{{"p1.json", sorted(0, 1, 20, "20")}, {"p2.json", sorted(0, 21, 40, "")}}, nil},
		{"near miss: an sf CLI result that says done", []file{{"cli.json", cli(20, 1, 20, true)}}, nil},
		{"near miss: pages whose records an earlier export holds", []file{
			{"older.json", api(30, 1, 30, true)}, {"p1.json", sorted(40, 11, 30, "20")}, {"p2.json", sorted(40, 31, 50, "")}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			var paths []string
			for _, f := range tc.files {
				paths = append(paths, mustWrite(t, dir, f.name, f.content))
			}
			st, err := Load(context.Background(), mustDB(t), Inputs{Logins: paths}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, w := range tc.want {
				want = append(want, strings.ReplaceAll(w, "DIR", dir))
			}
			if diff := cmp.Diff(want, st.Warnings); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
		})
	}
}

// The header scan reads a page's totalSize, done and nextRecordsUrl before
// or after its records, at the top or in an sf CLI result, and tells a page
// by its first record, whatever the order of its keys.
func TestJSONHeaderReadsThePageAnywhere(t *testing.T) {
	var recs []string
	for i := range 15 {
		recs = append(recs, fmt.Sprintf(`{"Id":"0Ya%015d","Note":"]\"}"}`, i))
	}
	records := "[" + strings.Join(recs, ",") + "]"
	sortedRecs := strings.ReplaceAll(records, `{"Id":"0Ya000000000000000","Note":"]\"}"}`, `{"Note":"]\"}","Id":"0Ya000000000000000"}`)
	want := pageInfo{totalSize: 40, hasTotal: true, done: false, hasDone: true, nextURL: "/q/01g-15"}
	for _, tc := range []struct {
		name, content string
		inResult      bool
	}{
		{"the API's order", `{"totalSize":40,"done":false,"nextRecordsUrl":"/q/01g-15","records":` + records + `}`, false},
		{"sorted keys", `{"done":false,"nextRecordsUrl":"/q/01g-15","records":` + sortedRecs + `,"totalSize":40}`, false},
		{"all after the records", `{"records":` + records + `,"totalSize":40,"nextRecordsUrl":"/q/01g-15","done":false}`, false},
		{"an sf CLI result", `{"status":0,"result":{"records":` + records + `,"totalSize":40,"done":false,"nextRecordsUrl":"/q/01g-15"},"warnings":[]}`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := mustWrite(t, t.TempDir(), "p.json", tc.content)
			_, inResult, page, err := jsonHeader(p)
			if err != nil {
				t.Fatal(err)
			}
			w := want
			w.inResult = tc.inResult
			_, _, ref, err := jsonHeader(mustWrite(t, t.TempDir(), "q.json", `{"records":`+records+`}`))
			if err != nil {
				t.Fatal(err)
			}
			w.first = ref.first
			if inResult != tc.inResult || page != w {
				t.Errorf("got %+v (in result %t), want %+v", page, inResult, w)
			}
		})
	}
}

// A page whose totalSize follows its records, cut short, is refused by its
// load with the message any damaged page gets (the gzip stream's damage, or
// the JSON's), not by the header scan's skip over its records; a totalSize
// after the records that is no number is refused as one before them is.
func TestLoadDamagedPageWithTotalSizeAfterRecords(t *testing.T) {
	var recs []string
	for i := range 2000 {
		recs = append(recs, fmt.Sprintf(`{"Id":"0Ya%015d","LoginTime":"2026-11-26T08:00:00.000Z","SourceIp":"203.0.113.7","Status":"Success","UserId":"005000000000001AAA"}`, i))
	}
	page := `{"done":true,"records":[` + strings.Join(recs, ",\n") + `],"totalSize":2000}`
	half := func(s string) string { return s[:len(s)/2] }
	for _, tc := range []struct {
		name, file, content, want string
	}{
		{"gzip cut in half", "l.json.gz", half(gz(t, page)), "the gzip stream is truncated"},
		{"JSON cut in half", "l.json", half(page), "unexpected EOF"},
		{"totalSize no number", "l.json", strings.Replace(page, `"totalSize":2000`, `"totalSize":"2000"`, 1), `"totalSize" is not a number`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := mustWrite(t, t.TempDir(), tc.file, tc.content)
			_, err := Load(context.Background(), mustDB(t), Inputs{Logins: []string{p}}, Options{})
			var ie *InputError
			if !errors.As(err, &ie) || ie.File != p || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got error %v, want an InputError naming %s and saying %q", err, p, tc.want)
			}
		})
	}
}

// The counts of pages in the missing-pages warnings have thousands
// separators, as its counts of records do: a 10-million-login query of
// 2,000-record pages has 5,000 of them.
func TestPageWarningsCountPagesWithSeparators(t *testing.T) {
	page := func(i int, p pageInfo) *inputFile {
		f := &inputFile{index: i, path: fmt.Sprintf("logins-%04d.json", i), kind: Logins, format: format{json: true}, page: p}
		f.page.first[0], f.page.first[1] = byte(i), byte(i>>8)
		f.stats.Read = 2
		return f
	}
	var whole, unended []*inputFile
	for i := 0; i < 1004; i++ {
		whole = append(whole, page(i, pageInfo{totalSize: 10000, hasTotal: true}))
		unended = append(unended, page(i, pageInfo{done: false, hasDone: true}))
	}
	// One past the three named: "1 more page".
	for _, tc := range []struct {
		files []*inputFile
		want  string
	}{
		{whole, "The logins query behind the 1,004 REST pages given holds 10,000 records (totalSize), but they have only 2,008:"},
		{unended, "logins-0000.json, logins-0001.json, logins-0002.json and 1,001 more pages say done: false"},
		{unended[:4], "logins-0000.json, logins-0001.json, logins-0002.json and 1 more page say done: false"},
	} {
		if ws := pageWarnings(tc.files); len(ws) != 1 || !strings.HasPrefix(ws[0], tc.want) {
			t.Errorf("got %q, want one warning starting %q", ws, tc.want)
		}
	}
}
