package ingest

import (
	"bytes"
	"context"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/duckdb/duckdb-go/v2"
)

// jsonBatch is how many records go to DuckDB in one Arrow record batch (a
// variable so that a test can make batches of two).
var jsonBatch = 65536

// jsonGroup gathers the records of consecutive JSON files of one kind, shape
// and field names into Arrow batches of up to jsonBatch rows, each row with
// its file and line, so that an export of many REST pages costs one insert
// per batch rather than one per page: at a million logins in 500 pages of
// 2,000 records, planning and running a statement per page took over a
// quarter of the load.
type jsonGroup struct {
	key    string     // kind, shape and field names, which the statement depends on
	last   *inputFile // the file being added, named if an insert fails
	cols   []string   // the canonical fields the batches carry, before their "file" and "line" columns
	insert string
	b      *array.RecordBuilder
	rows   int
}

// loadJSON reads a REST query page ({"records": [...]}) or the sf CLI wrapper
// ({"status":0,"result":{"records":[...]}}), flattens each record's nested
// relationships into dotted names (Users.Username, LoginGeo.City), and adds
// the rows to the current jsonGroup, starting a new one when the file's
// fields differ from the group's.
func (l *loader) loadJSON(ctx context.Context, f *inputFile) error {
	records, err := l.ahead.take(f)
	if err != nil {
		return err
	}
	if err := l.mapJSONHeader(f, records); err != nil {
		return err
	}
	// Every column of the Arrow batch must be read by the insert: with one
	// left unread, the Arrow view (duckdb-go RegisterView, DuckDB 1.5.6)
	// handed later columns the wrong values.
	var cols []string
	for _, c := range canonicalColumns(f.kind) {
		if l.reads(c) {
			cols = append(cols, c)
		}
	}
	key := fmt.Sprint(f.kind, f.shape, f.labels) // fmt sorts the labels
	if l.json != nil && l.json.key != key {
		if err := l.flushJSON(ctx); err != nil {
			return err
		}
	}
	if l.json == nil {
		if err := l.addLineColumn(ctx, f.kind); err != nil {
			return err
		}
		fields := make([]arrow.Field, 0, len(cols)+2)
		raw := map[string]string{}
		for _, c := range cols {
			fields = append(fields, arrow.Field{Name: c, Type: arrow.BinaryTypes.String, Nullable: true})
			raw[c] = `"` + c + `"`
		}
		fields = append(fields, arrow.Field{Name: "file", Type: arrow.PrimitiveTypes.Int32},
			arrow.Field{Name: "line", Type: arrow.PrimitiveTypes.Int64})
		l.json = &jsonGroup{key: key, cols: cols,
			insert: l.insertSQL(f, raw, "sa_json_batch", `"file"`, "line"),
			b:      array.NewRecordBuilder(memory.DefaultAllocator, arrow.NewSchema(fields, nil))}
	}
	g := l.json
	g.last = f
	aliases := aliasIndex(f.kind, f.shape)
	names := map[string]string{} // JSON key -> canonical field, "" for none
	values := map[string]string{}
	from := map[string]string{} // canonical field -> the JSON key that gave it
	for _, rec := range records {
		clear(values)
		clear(from)
		for _, fd := range rec.fields {
			c, ok := names[fd.key]
			if !ok {
				c = aliases[normalizeHeader(fd.key)]
				names[fd.key] = c
			}
			// Of two names for one field the first wins; a name given twice
			// keeps its last value, as a decoded JSON object would.
			if k, ok := from[c]; c == "" || ok && k != fd.key {
				continue
			}
			from[c] = fd.key
			if fd.null {
				delete(values, c)
			} else {
				values[c] = fd.value
			}
		}
		for j, c := range cols {
			sb := g.b.Field(j).(*array.StringBuilder)
			if v, ok := values[c]; ok {
				sb.Append(v)
			} else {
				sb.AppendNull()
			}
		}
		g.b.Field(len(cols)).(*array.Int32Builder).Append(int32(f.index))
		g.b.Field(len(cols) + 1).(*array.Int64Builder).Append(rec.line)
		if g.rows++; g.rows == jsonBatch {
			if err := l.insertJSON(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

// readJSON reads and decodes the records of a JSON export.
func readJSON(path string) ([]jsonRecord, error) {
	r, _, closeFn, err := openMaybeGzip(path)
	if err != nil {
		return nil, &InputError{File: path, Err: err}
	}
	data, err := io.ReadAll(r)
	closeFn()
	if err != nil {
		return nil, &InputError{File: path, Err: err}
	}
	records, err := jsonRecords(data)
	if err != nil {
		return nil, &InputError{File: path, Err: err}
	}
	return records, nil
}

// jsonAhead reads and decodes the JSON files of a load on two goroutines, a
// few files ahead of the load, which takes them in order: decoding took half
// the load of a REST export, and DuckDB can insert one batch while the next
// pages decode. At most jsonAheadFiles files wait decoded.
type jsonAhead struct {
	results map[*inputFile]chan jsonDecoded // one per JSON file; written once by a worker
	ahead   chan struct{}                   // a token per file handed to a worker and not taken yet
	stop    chan struct{}
}

type jsonDecoded struct {
	records []jsonRecord
	err     error
}

const jsonAheadFiles = 4

// startJSONAhead starts decoding the JSON files among files; close stops it.
func startJSONAhead(files []*inputFile) *jsonAhead {
	a := &jsonAhead{results: map[*inputFile]chan jsonDecoded{}, ahead: make(chan struct{}, jsonAheadFiles), stop: make(chan struct{})}
	var jobs []*inputFile
	for _, f := range files {
		// A file that cannot be sniffed is left to the load to report.
		if info, err := sniff(f.path); err == nil && info.json {
			a.results[f] = make(chan jsonDecoded, 1)
			jobs = append(jobs, f)
		}
	}
	next := make(chan *inputFile)
	go func() {
		defer close(next)
		for _, f := range jobs {
			select {
			case a.ahead <- struct{}{}:
			case <-a.stop:
				return
			}
			select {
			case next <- f:
			case <-a.stop:
				return
			}
		}
	}()
	for range 2 {
		go func() {
			for f := range next {
				records, err := readJSON(f.path)
				a.results[f] <- jsonDecoded{records, err}
			}
		}()
	}
	return a
}

// take returns the records of f, decoding them here if f was not known to
// be JSON when the load began.
func (a *jsonAhead) take(f *inputFile) ([]jsonRecord, error) {
	ch, ok := a.results[f]
	if !ok {
		return readJSON(f.path)
	}
	d := <-ch
	<-a.ahead
	return d.records, d.err
}

func (a *jsonAhead) close() { close(a.stop) }

// insertJSON inserts the rows the current jsonGroup holds.
func (l *loader) insertJSON(ctx context.Context) error {
	g := l.json
	if g.rows == 0 {
		return nil
	}
	g.rows = 0
	rec := g.b.NewRecordBatch()
	defer rec.Release()
	err := l.conn.Raw(func(dc any) error {
		ar, err := duckdb.NewArrowFromConn(dc.(driver.Conn))
		if err != nil {
			return err
		}
		rdr, err := array.NewRecordReader(rec.Schema(), []arrow.RecordBatch{rec})
		if err != nil {
			return err
		}
		defer rdr.Release()
		release, err := ar.RegisterView(rdr, "sa_json_batch")
		if err != nil {
			return err
		}
		defer release()
		_, err = dc.(driver.ExecerContext).ExecContext(ctx, g.insert, nil)
		return err
	})
	if err != nil {
		return loadError(g.last, "loading records", err)
	}
	return nil
}

// flushJSON inserts what the current jsonGroup holds and ends it. The load
// calls it before any other file goes in, so rows stay in file order.
func (l *loader) flushJSON(ctx context.Context) error {
	if l.json == nil {
		return nil
	}
	err := l.insertJSON(ctx)
	l.json.b.Release()
	l.json = nil
	return err
}

// jsonRecord is one element of "records", flattened (see flattenObject), with
// the line it starts on.
type jsonRecord struct {
	fields []jsonField
	line   int64
}

// jsonField is one scalar of a record under its dotted name.
type jsonField struct {
	key, value string
	null       bool
}

// jsonRecords finds the records array of a REST page or an sf CLI result and
// decodes its elements, noting each one's line.
func jsonRecords(data []byte) ([]jsonRecord, error) {
	data = bytes.TrimPrefix(data, utf8BOM)
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	lineAt := newLineCounter(data)
	var found bool
	var out []jsonRecord
	width := 16
	// walk descends into objects looking for "records" at the top level or
	// under "result"; everything else is skipped.
	var walk func(depth int) error
	walk = func(depth int) error {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		if d, ok := tok.(json.Delim); !ok || d != '{' {
			return errors.New("expected a JSON object with a \"records\" array")
		}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return err
			}
			key, _ := kt.(string)
			switch {
			case key == "records":
				found = true
				t, err := dec.Token()
				if err != nil {
					return err
				}
				if t == nil {
					continue
				}
				if d, ok := t.(json.Delim); !ok || d != '[' {
					return errors.New(`"records" is not an array`)
				}
				for dec.More() {
					// The decoder checks that the record is well-formed JSON;
					// flattenObject then reads it without building maps of
					// interfaces, which took most of a REST export's load.
					line := lineAt(dec.InputOffset())
					var raw json.RawMessage
					if err := dec.Decode(&raw); err != nil {
						return fmt.Errorf("line %d: record %d is not a JSON object: %w", line, len(out)+1, err)
					}
					if raw[0] != '{' {
						return fmt.Errorf("line %d: record %d is not a JSON object", line, len(out)+1)
					}
					rec := jsonRecord{line: line, fields: make([]jsonField, 0, width)}
					flattenObject("", raw, 0, func(key, value string, null bool) {
						rec.fields = append(rec.fields, jsonField{key, value, null})
					})
					out = append(out, rec)
					width = len(rec.fields) // the records of a page have the same fields
				}
				if _, err := dec.Token(); err != nil {
					return err
				}
			case key == "result" && depth == 0:
				if err := walk(depth + 1); err != nil {
					return err
				}
			default:
				var skip json.RawMessage
				if err := dec.Decode(&skip); err != nil {
					return err
				}
			}
		}
		_, err = dec.Token()
		return err
	}
	if err := walk(0); err != nil {
		return nil, fmt.Errorf("reading JSON: %w", err)
	}
	if !found {
		return nil, errors.New(`the JSON has no "records" array (expected a REST query result or 'sf data query --json' output)`)
	}
	return out, nil
}

// newLineCounter returns a function giving the 1-based line of a byte offset;
// offsets must not decrease between calls. The line is that of the first
// non-space byte at or after the offset, so a record after ",\n" is placed on
// its own line.
func newLineCounter(data []byte) func(off int64) int64 {
	var pos int64
	line := int64(1)
	return func(off int64) int64 {
		for off < int64(len(data)) && (data[off] == ' ' || data[off] == '\t' || data[off] == '\r' || data[off] == '\n' || data[off] == ',') {
			off++
		}
		for ; pos < off && pos < int64(len(data)); pos++ {
			if data[pos] == '\n' {
				line++
			}
		}
		return line
	}
}

// flattenObject calls emit for every scalar of the JSON object starting at
// b[i], in document order, naming nested relationship fields with dots
// ("Users.Username") and skipping the "attributes" objects Salesforce adds; a
// null relationship is a null under its own name. It returns the index after
// the object. b must be well-formed JSON (the decoder has checked it). Values
// read as encoding/json reads them: strings unescaped, with invalid UTF-8 made
// U+FFFD; numbers as written; an array as compact JSON text.
func flattenObject(prefix string, b []byte, i int, emit func(key, value string, null bool)) int {
	i = skipSpace(b, i+1) // past '{'
	for b[i] != '}' {
		k, next := readString(b, i)
		i = skipSpace(b, next)
		i = skipSpace(b, i+1) // past ':'
		key := k
		if prefix != "" {
			key = prefix + "." + k
		}
		switch c := b[i]; {
		case k == "attributes":
			i = skipValue(b, i)
		case c == '{':
			i = flattenObject(key, b, i, emit)
		case c == '"':
			var v string
			v, i = readString(b, i)
			emit(key, v, false)
		case c == 'n':
			emit(key, "", true)
			i += len("null")
		case c == 't':
			emit(key, "true", false)
			i += len("true")
		case c == 'f':
			emit(key, "false", false)
			i += len("false")
		case c == '[':
			end := skipValue(b, i)
			var v any
			dec := json.NewDecoder(bytes.NewReader(b[i:end]))
			dec.UseNumber()
			dec.Decode(&v) // well-formed, so it cannot fail
			text, _ := json.Marshal(v)
			emit(key, string(text), false)
			i = end
		default: // a number, kept as written
			end := i
			for end < len(b) && strings.IndexByte("+-0123456789.eE", b[end]) >= 0 {
				end++
			}
			emit(key, string(b[i:end]), false)
			i = end
		}
		i = skipSpace(b, i)
		if b[i] == ',' {
			i = skipSpace(b, i+1)
		}
	}
	return i + 1
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index after the JSON string starting at b[i] and
// whether it holds an escape.
func stringEnd(b []byte, i int) (int, bool) {
	escaped := false
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			escaped = true
			j++
		case '"':
			return j + 1, escaped
		}
	}
	return len(b), escaped
}

// readString returns the JSON string starting at b[i], unescaped, and the
// index after it. Plain ASCII or valid UTF-8 without escapes is taken as it
// is; anything else goes through encoding/json, which decides escapes and
// invalid bytes.
func readString(b []byte, i int) (string, int) {
	end, escaped := stringEnd(b, i)
	if !escaped && utf8.Valid(b[i+1:end-1]) {
		return string(b[i+1 : end-1]), end
	}
	var s string
	json.Unmarshal(b[i:end], &s) // well-formed, so it cannot fail
	return s, end
}

// skipValue returns the index after the JSON value starting at b[i].
func skipValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		end, _ := stringEnd(b, i)
		return end
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end, _ := stringEnd(b, j)
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1
				}
			}
		}
		return len(b)
	}
	j := i
	for j < len(b) && !strings.ContainsRune(",}] \t\n\r", rune(b[j])) {
		j++
	}
	return j
}

// aliasIndex maps normalised names to canonical fields for a kind and shape.
func aliasIndex(k Kind, shapeName string) map[string]string {
	out := map[string]string{}
	for _, sh := range shapes[k] {
		if sh.name != shapeName {
			continue
		}
		for _, f := range sh.fields {
			for _, a := range f.aliases {
				out[a] = f.name
			}
		}
	}
	return out
}

// mapJSONHeader checks that the records carry the fields the audit needs,
// judging by the names the first records use (a REST record lists every
// selected field, null or not).
func (l *loader) mapJSONHeader(f *inputFile, records []jsonRecord) error {
	f.shape = "api"
	f.labels = map[string]string{}
	if len(records) == 0 {
		return nil
	}
	var header []string
	seen := map[string]bool{}
	for _, rec := range records[:min(len(records), 10)] {
		for _, fd := range rec.fields {
			if !seen[fd.key] {
				seen[fd.key] = true
				header = append(header, fd.key)
			}
		}
	}
	m, err := matchHeader(f.path, f.kind, header)
	if err != nil {
		return err
	}
	f.shape = m.shape
	for i, c := range m.column {
		if c != "" {
			f.labels[c] = header[i]
		}
	}
	return nil
}
