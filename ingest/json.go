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

// jsonBatch is how many records go to DuckDB in one Arrow record batch.
const jsonBatch = 8192

// loadJSON reads a REST query page ({"records": [...]}) or the sf CLI wrapper
// ({"status":0,"result":{"records":[...]}}), flattens each record's nested
// relationships into dotted names (Users.Username, LoginGeo.City), and hands
// the rows to DuckDB as Arrow record batches.
func (l *loader) loadJSON(ctx context.Context, f *inputFile) error {
	r, _, closeFn, err := openMaybeGzip(f.path)
	if err != nil {
		return &InputError{File: f.path, Err: err}
	}
	data, err := io.ReadAll(r)
	closeFn()
	if err != nil {
		return &InputError{File: f.path, Err: err}
	}
	records, err := jsonRecords(data)
	if err != nil {
		return &InputError{File: f.path, Err: err}
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
	fields := make([]arrow.Field, 0, len(cols)+1)
	for _, c := range cols {
		fields = append(fields, arrow.Field{Name: c, Type: arrow.BinaryTypes.String, Nullable: true})
	}
	fields = append(fields, arrow.Field{Name: "line", Type: arrow.PrimitiveTypes.Int64})
	schema := arrow.NewSchema(fields, nil)
	aliases := aliasIndex(f.kind, f.shape)

	raw := map[string]string{}
	for _, c := range cols {
		raw[c] = `"` + c + `"`
	}
	if err := l.addLineColumn(ctx, f.kind); err != nil {
		return err
	}
	insert := l.insertSQL(f, raw, "sa_json_batch", "line")

	return l.conn.Raw(func(dc any) error {
		ar, err := duckdb.NewArrowFromConn(dc.(driver.Conn))
		if err != nil {
			return err
		}
		b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		defer b.Release()
		flush := func() error {
			rec := b.NewRecordBatch()
			defer rec.Release()
			if rec.NumRows() == 0 {
				return nil
			}
			rdr, err := array.NewRecordReader(schema, []arrow.RecordBatch{rec})
			if err != nil {
				return err
			}
			defer rdr.Release()
			release, err := ar.RegisterView(rdr, "sa_json_batch")
			if err != nil {
				return err
			}
			defer release()
			_, err = dc.(driver.ExecerContext).ExecContext(ctx, insert, nil)
			return err
		}
		for i, rec := range records {
			values := map[string]string{}
			present := map[string]bool{}
			flattenRecord("", rec.fields, func(key string, v string, null bool) {
				c := aliases[normalizeHeader(key)]
				if c == "" || present[c] {
					return
				}
				present[c] = true
				if !null {
					values[c] = v
				}
			})
			for j, c := range cols {
				sb := b.Field(j).(*array.StringBuilder)
				if v, ok := values[c]; ok {
					sb.Append(v)
				} else {
					sb.AppendNull()
				}
			}
			b.Field(len(cols)).(*array.Int64Builder).Append(rec.line)
			if (i+1)%jsonBatch == 0 {
				if err := flush(); err != nil {
					return loadError(f, "loading records", err)
				}
			}
		}
		if err := flush(); err != nil {
			return loadError(f, "loading records", err)
		}
		return nil
	})
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
