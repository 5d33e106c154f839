package ingest

import (
	"bytes"
	"context"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

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
// 2,000 records, the statements of a page each took more than half the load.
type jsonGroup struct {
	key    string     // kind, shape and field names, which the statement depends on
	last   *inputFile // the file being added, named if an insert fails
	cols   []string   // the canonical fields the batches carry, then "file" and "line"
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
	present := map[string]bool{}
	for _, rec := range records {
		clear(values)
		clear(present)
		flattenRecord("", rec.fields, func(key string, v string, null bool) {
			c, ok := names[key]
			if !ok {
				c = aliases[normalizeHeader(key)]
				names[key] = c
			}
			if c == "" || present[c] {
				return
			}
			present[c] = true
			if !null {
				values[c] = v
			}
		})
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

// jsonRecord is one element of "records" with the line it starts on.
type jsonRecord struct {
	fields map[string]any
	line   int64
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
					line := lineAt(dec.InputOffset())
					var rec map[string]any
					if err := dec.Decode(&rec); err != nil {
						return fmt.Errorf("line %d: record %d is not a JSON object: %w", line, len(out)+1, err)
					}
					out = append(out, jsonRecord{fields: rec, line: line})
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

// flattenRecord calls emit for every scalar of a record, naming nested
// relationship fields with dots ("Users.Username") and skipping the
// "attributes" objects Salesforce adds. A null relationship yields nothing.
func flattenRecord(prefix string, rec map[string]any, emit func(key, value string, null bool)) {
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
			flattenRecord(key, t, emit)
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
		flattenRecord("", rec.fields, func(key, _ string, _ bool) {
			if !seen[key] {
				seen[key] = true
				header = append(header, key)
			}
		})
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
