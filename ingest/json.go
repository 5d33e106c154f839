package ingest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/duckdb/duckdb-go/v2"

	"github.com/sessionaudit/sessionaudit/internal/bug"
	"github.com/sessionaudit/sessionaudit/internal/words"
	"github.com/sessionaudit/sessionaudit/sfid"
)

// A JSON export goes to DuckDB's own JSON reader, which reads REST pages
// several times faster than decoding them in Go: consecutive files of one
// kind whose records carry the same fields (a jsonGroup) are read by one
// statement, their fields declared as text so that each value is judged by
// the same parse step as a CSV value. A record's line is found afterwards,
// in Go, and only for the records that are rejected (resolveJSONLines).
// Where DuckDB cannot read a group (a file larger than its 16 MB object
// limit, invalid UTF-8, a value shaped unlike the first records'), the
// group's files are decoded in Go instead
// (insertDecoded), which also says what is wrong with a malformed file and
// rejects a record with invalid UTF-8.

// jsonBatch is how many records go to DuckDB in one Arrow record batch when
// a file is decoded in Go (a variable so that a test can make batches of two).
var jsonBatch = 65536

// decodedInGo, when a test sets it, hears why DuckDB's reader refused a group.
var decodedInGo func(error)

// jsonGroup is consecutive JSON files of one kind whose records have the
// same fields, read by one statement.
type jsonGroup struct {
	key      string       // kind, shape, field names, where the records are and compression
	files    []*inputFile // in load order
	cols     []string     // the canonical fields the load reads
	inResult bool         // the records are under "result" (sf CLI), not at the top (REST)
}

// loadJSON reads the first records of a REST query page ({"records": [...]})
// or of the sf CLI wrapper ({"status":0,"result":{"records":[...]}}) for the
// names of their fields, nested relationships named with dots (Users.Username,
// LoginGeo.City), and adds the file to the current jsonGroup, starting a new
// one when its fields differ from the group's.
func (l *loader) loadJSON(ctx context.Context, f *inputFile) error {
	header, inResult, page, err := jsonHeader(f.path)
	f.page = page
	if err != nil {
		return &InputError{File: f.path, Err: err}
	}
	if err := l.mapJSONHeader(f, header); err != nil {
		return err
	}
	if f.setupLogins() && l.opts.SetupDateOrder == DateOrderAuto {
		// JSON pages load in groups, with no query per file to find the
		// order, so a JSON file with Setup labels is read month first.
		l.dateWarnings = append(l.dateWarnings, fmt.Sprintf("%s has Setup download labels in JSON, whose date order is not checked: "+
			"it was read month first; set setup_date_order: dmy if its dates are day first.", f.path))
	}
	var cols []string
	for _, c := range canonicalColumns(f.kind) {
		if l.reads(c) {
			cols = append(cols, c)
		}
	}
	key := fmt.Sprint(f.kind, f.shape, f.labels, inResult, f.format.gzip) // fmt sorts the labels
	if l.json != nil && l.json.key != key {
		if err := l.flushJSON(ctx); err != nil {
			return err
		}
	}
	if l.json == nil {
		if err := l.addLineColumn(ctx, f.kind); err != nil {
			return err
		}
		l.json = &jsonGroup{key: key, cols: cols, inResult: inResult}
	}
	l.json.files = append(l.json.files, f)
	return nil
}

// flushJSON reads the files of the current jsonGroup into their table and
// ends the group. The load calls it before any other file goes in, so rows
// stay in file order.
func (l *loader) flushJSON(ctx context.Context) error {
	g := l.json
	l.json = nil
	if g == nil || len(g.files) == 0 {
		return nil
	}
	err := l.insertWithDuckDB(ctx, g)
	if err == nil {
		return nil
	}
	if isResourceError(err) {
		return loadError(g.files[len(g.files)-1], "reading JSON", err)
	}
	var damaged *InputError // a damaged gzip stream, which Go could not read either
	var crashed *bug.Panic  // the gzip verifier's, not the reader's refusal
	if errors.As(err, &damaged) || errors.As(err, &crashed) {
		return err
	}
	if decodedInGo != nil {
		decodedInGo(err)
	}
	for _, f := range g.files {
		if err := l.insertDecoded(ctx, g, f); err != nil {
			return err
		}
	}
	return nil
}

// insertWithDuckDB reads the files of g with DuckDB's JSON reader. Each row
// carries the negated position of its record in the file's records as its
// line, until resolveJSONLines finds the lines that rejects need. The rows
// are joined to their file's index by path and sorted back into file order.
// A name DuckDB would read as a pattern is given through a link (readPath).
func (l *loader) insertWithDuckDB(ctx context.Context, g *jsonGroup) error {
	first := g.files[0]
	typ, raw, ok := jsonStructType(g.cols, first.labels)
	if !ok {
		return errors.New("the field names do not make one record type")
	}
	var paths []string
	var rows [][]any
	for _, f := range g.files {
		path, err := l.readPath(f)
		if err != nil {
			return fmt.Errorf("%s: %v", f.path, err) // for Go to read instead
		}
		paths = append(paths, "'"+sqlQuote(path)+"'")
		rows = append(rows, []any{path, f.index})
	}
	if err := l.exec(ctx, `CREATE OR REPLACE TEMP TABLE sa_json_files (path VARCHAR, file_index INTEGER)`); err != nil {
		return err
	}
	if err := insertRows(ctx, l.conn, "sa_json_files", 2, rows); err != nil {
		return err
	}
	records, columns := "records", fmt.Sprintf("{records: '%s[]'}", sqlQuote(typ))
	if g.inResult {
		records, columns = "result.records", fmt.Sprintf("{result: 'STRUCT(records %s[])'}", sqlQuote(typ))
	}
	compression := "uncompressed"
	if first.format.gzip {
		compression = "gzip"
	}
	src := fmt.Sprintf(`(SELECT s.r, f.file_index AS sa_file, s.ord AS sa_ord
		FROM (SELECT filename, generate_subscripts(%[1]s, 1) AS ord, unnest(%[1]s) AS r
		      FROM read_json([%[2]s], columns=%[3]s, filename=true, compression='%[4]s', format='unstructured')) s
		JOIN sa_json_files f ON f.path = s.filename)`, records, strings.Join(paths, ", "), columns, compression)
	damaged, err := whileVerifyingGzip(ctx, g.files, func() error {
		return l.exec(ctx, l.insertSQL(first, raw, src, "sa_file", "-sa_ord")+" ORDER BY file_index, line DESC")
	})
	if damaged != nil {
		return damaged
	}
	return err
}

// jsonStructType is the DuckDB type of a record with the fields of labels
// (canonical field -> dotted JSON name) that cols reads, every value as text,
// and the expression for each field over a record r. It is not ok when a
// name is both a value and a relationship.
//
// A dotted name comes from a relationship nested as the REST API writes it
// ("LoginGeo": {"City": …}), or from a key that holds the dot itself
// ("LoginGeo.City": …), as tools that flatten records write them; the
// header's names do not tell the two apart, and nothing stops a file from
// changing form after the records the header was read from. So the type
// declares both, the nested path and the dotted key as one field, and the
// field reads whichever the record gives. A record that gives both, with
// two values, stops the statement, and the group is decoded in Go, which
// keeps the last (see insertDecoded).
func jsonStructType(cols []string, labels map[string]string) (typ string, raw map[string]string, ok bool) {
	type node struct {
		names    []string // children in order of appearance
		children map[string]*node
		leaf     bool
	}
	root := &node{children: map[string]*node{}}
	raw = map[string]string{}
	for _, c := range cols {
		label := labels[c]
		if label == "" {
			continue
		}
		n, expr := root, "r"
		parts := strings.Split(label, ".")
		for i, part := range parts {
			child := n.children[part]
			if child == nil {
				child = &node{children: map[string]*node{}}
				n.children[part] = child
				n.names = append(n.names, part)
			}
			expr += "." + quoteIdent(part)
			if i == len(parts)-1 {
				child.leaf = true
			}
			n = child
		}
		raw[c] = expr
		if _, seen := root.children[label]; len(parts) > 1 && !seen {
			// A dotted key is a top-level field of its own; none of the
			// nested paths' first names has a dot, so it meets none of them.
			root.children[label] = &node{children: map[string]*node{}, leaf: true}
			root.names = append(root.names, label)
			flat := "r." + quoteIdent(label)
			raw[c] = fmt.Sprintf("CASE WHEN %[1]s <> %[2]s THEN error('a record gives %[3]s twice, nested and as one dotted name, with two values') "+
				"ELSE coalesce(%[1]s, %[2]s) END", expr, flat, sqlQuote(label))
		}
	}
	var render func(n *node) (string, bool)
	render = func(n *node) (string, bool) {
		var fields []string
		for _, name := range n.names {
			child := n.children[name]
			if child.leaf && len(child.names) > 0 {
				return "", false
			}
			t := "VARCHAR"
			if !child.leaf {
				var ok bool
				if t, ok = render(child); !ok {
					return "", false
				}
			}
			fields = append(fields, quoteIdent(name)+" "+t)
		}
		if len(fields) == 0 {
			fields = []string{`"Id" VARCHAR`} // a record type needs a field; no column reads it
		}
		return "STRUCT(" + strings.Join(fields, ", ") + ")", true
	}
	typ, ok = render(root)
	return typ, raw, ok
}

// quoteIdent quotes a name for SQL.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// insertDecoded decodes a JSON file in Go and inserts its records as Arrow
// batches, each row with its file and line: the way for a group DuckDB's
// reader refused.
func (l *loader) insertDecoded(ctx context.Context, g *jsonGroup, f *inputFile) error {
	// Every column of the Arrow batch must be read by the insert: with one
	// left unread, the Arrow view (duckdb-go RegisterView, DuckDB 1.5.6)
	// handed later columns the wrong values.
	fields := make([]arrow.Field, 0, len(g.cols)+2)
	raw := map[string]string{}
	for _, c := range g.cols {
		fields = append(fields, arrow.Field{Name: c, Type: arrow.BinaryTypes.String, Nullable: true})
		raw[c] = `"` + c + `"`
	}
	fields = append(fields, arrow.Field{Name: "file", Type: arrow.PrimitiveTypes.Int32},
		arrow.Field{Name: "line", Type: arrow.PrimitiveTypes.Int64})
	b := array.NewRecordBuilder(memory.DefaultAllocator, arrow.NewSchema(fields, nil))
	defer b.Release()
	insert := l.insertSQL(f, raw, "sa_json_batch", `"file"`, "line")
	rows := 0
	flush := func() error {
		if rows == 0 {
			return nil
		}
		rows = 0
		rec := b.NewRecordBatch()
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
			_, err = dc.(driver.ExecerContext).ExecContext(ctx, insert, nil)
			return err
		})
		if err != nil {
			return loadError(f, "loading records", err)
		}
		return nil
	}
	aliases := aliasIndex(f.kind, f.shape)
	names := map[string]string{} // JSON key -> canonical field, "" for none
	values := map[string]string{}
	from := map[string]string{} // canonical field -> the JSON key that gave it
	// A record with invalid UTF-8 is rejected whole, as a CSV row is: the
	// decoder would have made its bytes U+FFFD without a word.
	var rejects, rejectedLogins [][]any
	// The records are inserted as they are decoded, a batch at a time.
	err := eachJSONRecordOf(f.path, func(rec jsonRecord) error {
		if rec.badUTF8 != "" {
			// A login's Id may still read, for session_without_login to
			// name the record (see moveRejects).
			value, id := "", ""
			for _, fd := range rec.fields {
				if fd.key == rec.badUTF8 {
					value = fd.value
				}
				if f.kind == Logins && aliases[normalizeHeader(fd.key)] == "id" {
					id = loginID(fd.value)
				}
			}
			rejects = append(rejects, []any{tableName(f.path), rec.line, rec.badUTF8, "The row is not valid UTF-8", value})
			// Setup labels come without Ids, as the download does: such a
			// record is not kept (see moveRejects).
			if f.kind == Logins && f.shape != "setup" {
				rejectedLogins = append(rejectedLogins, []any{nullIfEmpty(id), tableName(f.path), rec.line, "The row is not valid UTF-8"})
			}
			return nil
		}
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
		for j, c := range g.cols {
			sb := b.Field(j).(*array.StringBuilder)
			if v, ok := values[c]; ok {
				sb.Append(v)
			} else {
				sb.AppendNull()
			}
		}
		b.Field(len(g.cols)).(*array.Int32Builder).Append(int32(f.index))
		b.Field(len(g.cols) + 1).(*array.Int64Builder).Append(rec.line)
		if rows++; rows == jsonBatch {
			return flush()
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := flush(); err != nil {
		return err
	}
	f.stats.Read += int64(len(rejects))
	f.stats.Rejected += int64(len(rejects))
	if err := insertRows(ctx, l.conn, "rejected_logins", 4, rejectedLogins); err != nil {
		return err
	}
	return insertRows(ctx, l.conn, "rejects", 5, rejects)
}

// resolveJSONLines gives the rejected rows that DuckDB's reader loaded their
// lines: it decodes, in Go, only the files those rows come from.
func (l *loader) resolveJSONLines(ctx context.Context) error {
	for _, k := range kinds {
		if !l.lines[k] {
			continue
		}
		// The positions of the rejected records, file by file.
		q, err := l.conn.QueryContext(ctx, fmt.Sprintf(
			"SELECT src_file, -sa_line FROM %s WHERE sa_reject IS NOT NULL AND sa_line < 0 ORDER BY src_file", k))
		if err != nil {
			return err
		}
		var files []int
		positions := map[int][]int64{}
		for q.Next() {
			var file int
			var pos int64
			if err := q.Scan(&file, &pos); err != nil {
				q.Close()
				return err
			}
			if len(positions[file]) == 0 {
				files = append(files, file)
			}
			positions[file] = append(positions[file], pos)
		}
		q.Close()
		if err := q.Err(); err != nil {
			return err
		}
		if len(files) == 0 {
			continue
		}
		var rows [][]any
		for _, i := range files {
			f := l.files[i]
			// Only the lines of the rejected records' positions are kept.
			lines := map[int64]int64{}
			for _, pos := range positions[i] {
				lines[pos] = 0
			}
			var n int64
			if err := eachJSONRecordOf(f.path, func(rec jsonRecord) error {
				n++
				if _, ok := lines[n]; ok {
					lines[n] = rec.line
				}
				return nil
			}); err != nil {
				return err
			}
			for _, pos := range positions[i] {
				if pos > n {
					return fmt.Errorf("internal error: %s has %d records, not %d", f.path, n, pos)
				}
				rows = append(rows, []any{i, -pos, lines[pos]})
			}
		}
		if err := l.exec(ctx, `CREATE OR REPLACE TEMP TABLE sa_json_lines (file_index INTEGER, ord BIGINT, line BIGINT)`); err != nil {
			return err
		}
		if err := insertRows(ctx, l.conn, "sa_json_lines", 3, rows); err != nil {
			return err
		}
		if err := l.exec(ctx, fmt.Sprintf(`UPDATE %s AS p SET sa_line = x.line FROM sa_json_lines x
			WHERE p.sa_reject IS NOT NULL AND p.src_file = x.file_index AND p.sa_line = x.ord`, k)); err != nil {
			return err
		}
	}
	return nil
}

// eachJSONRecordOf reads the JSON export at path and hands its records to
// each, in order, one at a time: a file of a million records (an 'sf data
// query --json' result, which DuckDB's reader refuses past its 16 MB object
// limit) is read as a stream, and never held whole, read or decoded. An
// error of the file is an *InputError; an error of each is returned as it
// is.
func eachJSONRecordOf(path string, each func(jsonRecord) error) error {
	r, gz, closeFn, err := openMaybeGzip(path)
	if err != nil {
		return &InputError{File: path, Err: err}
	}
	defer closeFn()
	var eachErr error
	err = eachJSONRecordIn(r, func() error { return noRecordsErrorOf(path) }, func(rec jsonRecord) error {
		eachErr = each(rec)
		return eachErr
	})
	if eachErr != nil {
		return eachErr
	}
	if err != nil {
		var read *readError
		if gz && errors.As(err, &read) && !read.tooLarge {
			err = gzipError(read.err)
		}
		return &InputError{File: path, Err: err}
	}
	return nil
}

// jsonRecord is one element of "records", flattened (see flattenObject), with
// the line it starts on.
type jsonRecord struct {
	fields []jsonField
	line   int64
	// badUTF8 is the name of the record's first field with invalid UTF-8, in
	// its name or value; "" when it has none.
	badUTF8 string
}

// jsonField is one scalar of a record under its dotted name.
type jsonField struct {
	key, value string
	null       bool
}

// walkRecords reads a REST query page or an sf CLI result from dec and calls
// each for every element of its "records" array (at the top, or under
// "result"), with the decoder's offset before the element; each decodes the
// element from dec, and stops the walk by returning false. It reports
// whether a records array was found and whether it was under "result".
func walkRecords(dec *json.Decoder, page *pageInfo, each func(off int64) (bool, error)) (found, inResult bool, err error) {
	errStop := errors.New("stop")
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
				found, inResult = true, inResult || depth > 0
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
					more, err := each(dec.InputOffset())
					if err != nil {
						return err
					}
					if !more {
						return errStop
					}
				}
				if _, err := dec.Token(); err != nil {
					return err
				}
			case key == "result" && depth == 0:
				if err := walk(depth + 1); err != nil {
					return err
				}
			case (key == "totalSize" || key == "done" || key == "nextRecordsUrl") && page != nil:
				var v json.RawMessage
				if err := dec.Decode(&v); err != nil {
					return err
				}
				if err := page.set(key, v); err != nil {
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
	if err := walk(0); err != nil && err != errStop {
		return found, inResult, err
	}
	return found, inResult, nil
}

// nextRecord decodes the next element of a records array, which must be an
// object; its error reads after "record N".
func nextRecord(dec *json.Decoder) (json.RawMessage, error) {
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("is not a JSON object: %w", err)
	}
	if raw[0] != '{' {
		return nil, errors.New("is not a JSON object")
	}
	return raw, nil
}

// errNoRecords says a JSON file is not an export.
var errNoRecords = errors.New(`the JSON has no "records" array (expected a REST query result or 'sf data query --json' output)`)

// noRecordsErrorOf is noRecordsError of the file at path: an error in
// place of an export is small, and a file of a megabyte or more is taken
// for data.
func noRecordsErrorOf(path string) error {
	r, _, closeFn, err := openMaybeGzip(path)
	if err != nil {
		return errNoRecords
	}
	defer closeFn()
	data, err := io.ReadAll(io.LimitReader(r, 1<<20))
	if err != nil || len(data) == 1<<20 {
		return errNoRecords
	}
	return noRecordsError(data)
}

// noRecordsError is errNoRecords for a JSON file that holds data, or, when
// the file is an error the sf CLI or the REST API wrote in place of the
// export, that error's message (and code), which says what went wrong.
func noRecordsError(data []byte) error {
	data = bytes.TrimPrefix(data, utf8BOM)
	var cli struct {
		Status  int    `json:"status"`
		Name    string `json:"name"`
		Message string `json:"message"`
	}
	var rest []struct {
		Message   string `json:"message"`
		ErrorCode string `json:"errorCode"`
	}
	msg, code := "", ""
	if json.Unmarshal(data, &cli) == nil && cli.Status != 0 {
		msg, code = cli.Message, cli.Name
	} else if json.Unmarshal(data, &rest) == nil && len(rest) > 0 {
		msg, code = rest[0].Message, rest[0].ErrorCode
	}
	if msg = strings.TrimSpace(msg); msg == "" {
		return errNoRecords
	}
	if code != "" {
		msg += " (" + code + ")"
	}
	// The sf CLI may repeat a --target-org given as an access token.
	return fmt.Errorf("the JSON is an error, not an export: %s", truncate(sfid.RedactTokens(msg), 300))
}

// maxJSONRecord is the most bytes one record of a JSON export may take: a
// record of an export is a kilobyte or two, and a larger one would be read
// whole into memory (DuckDB's own reader stops at 16 MB an object). A
// variable so that a test can lower it.
var maxJSONRecord = 64 << 20

// eachJSONRecordIn finds the records array of a REST page or an sf CLI
// result in r and decodes its elements, noting each one's line, and hands
// each to each in order; an error of each stops it and is returned as it
// is. notFound gives the error for a stream without a records array.
func eachJSONRecordIn(r io.Reader, notFound func() error, each func(jsonRecord) error) error {
	br := bufio.NewReader(r)
	if b, err := br.Peek(len(utf8BOM)); err == nil && bytes.Equal(b, utf8BOM) {
		br.Discard(len(utf8BOM))
	}
	lr := &lineReader{r: br, line: 1, max: maxJSONRecord}
	dec := json.NewDecoder(lr)
	n := 0 // records so far
	var eachErr error
	width := 16
	found, _, err := walkRecords(dec, nil, func(off int64) (bool, error) {
		// The decoder checks that the record is well-formed JSON;
		// flattenObject then reads it without building maps of interfaces,
		// which took most of a REST export's load.
		line := lr.lineAt(off)
		raw, err := nextRecord(dec)
		if err != nil {
			return false, fmt.Errorf("line %d: record %d %w", line, n+1, err)
		}
		rec := jsonRecord{line: line, fields: make([]jsonField, 0, width)}
		flattenObject("", raw, 0, func(key, value string, null bool) {
			rec.fields = append(rec.fields, jsonField{key, value, null})
		}, func(key string) {
			if rec.badUTF8 == "" {
				rec.badUTF8 = key
			}
		})
		n++
		width = len(rec.fields) // the records of a page have the same fields
		if eachErr = each(rec); eachErr != nil {
			return false, eachErr
		}
		return true, nil
	})
	if eachErr != nil {
		return eachErr
	}
	if err != nil {
		var read *readError
		if !errors.As(err, &read) {
			return fmt.Errorf("reading JSON: %w", err)
		}
		if read.tooLarge {
			return read // in its own words, not as a record that is no object
		}
		return err
	}
	if !found {
		return notFound()
	}
	// A file is one page. DuckDB's reader would take the records of a
	// second object too, numbering them afresh, so their lines could not
	// be told apart: more after the object is refused, not skipped.
	off := dec.InputOffset()
	rest := bufio.NewReader(io.MultiReader(dec.Buffered(), lr))
	for {
		c, size, err := rest.ReadRune()
		if err != nil {
			var read *readError
			if errors.As(err, &read) {
				return read
			}
			return nil // only white space follows
		}
		if !unicode.IsSpace(c) {
			return fmt.Errorf("line %d: more follows the JSON object that holds the records (several query pages, or other data, in one file): give each page as a file of its own",
				lr.lineAt(off))
		}
		off += int64(size)
	}
}

// readError is an error reading a JSON stream, as opposed to decoding it:
// the file's (a gzip stream cut short), or a record past maxJSONRecord.
type readError struct {
	err      error
	tooLarge bool
}

func (e *readError) Error() string { return e.err.Error() }
func (e *readError) Unwrap() error { return e.err }

// lineReader passes a stream through, keeping the bytes read since the last
// offset lineAt was asked about, so that lineAt can count the lines to a
// later offset without the whole stream in memory. Offsets asked about must
// not go backwards. More than max bytes kept (a record larger than any
// export's, or a stretch without records) fail the read.
type lineReader struct {
	r     io.Reader
	kept  []byte // kept[start:] are the bytes from base on
	start int
	base  int64 // the offset of kept[start]
	line  int64 // the line at base
	max   int
}

func (lr *lineReader) Read(p []byte) (int, error) {
	n, err := lr.r.Read(p)
	lr.kept = append(lr.kept, p[:n]...)
	if len(lr.kept)-lr.start > lr.max {
		size := fmt.Sprintf("%d MB", lr.max>>20)
		if lr.max < 1<<20 {
			size = fmt.Sprintf("%d bytes", lr.max)
		}
		return n, &readError{fmt.Errorf("line %d: a record, or the text before the next one, is larger than %s, which no export's is", lr.line, size), true}
	}
	if err != nil && err != io.EOF {
		err = &readError{err: err}
	}
	return n, err
}

// lineAt returns the line of the first byte at or after off that is not
// white space or a comma (the start of a record, as an editor shows it).
func (lr *lineReader) lineAt(off int64) int64 {
	i := lr.start + int(off-lr.base)
	for i < len(lr.kept) && (lr.kept[i] == ' ' || lr.kept[i] == '\t' || lr.kept[i] == '\r' || lr.kept[i] == '\n' || lr.kept[i] == ',') {
		i++
	}
	i = min(i, len(lr.kept))
	lr.line += int64(bytes.Count(lr.kept[lr.start:i], []byte("\n")))
	lr.base += int64(i - lr.start)
	lr.start = i
	// What is counted is let go, a large piece at a time.
	if lr.start > 1<<20 && lr.start > len(lr.kept)/2 {
		lr.kept = lr.kept[:copy(lr.kept, lr.kept[lr.start:])]
		lr.start = 0
	}
	return lr.line
}

// jsonHeaderRecords is how many records name a JSON file's fields.
const jsonHeaderRecords = 10

// jsonHeader reads the names of the fields of a JSON export's first records,
// in order of appearance, and whether the records are under "result". It
// reads no further than those records.
func jsonHeader(path string) (header []string, inResult bool, page pageInfo, err error) {
	r, _, closeFn, err := openMaybeGzip(path)
	if err != nil {
		return nil, false, page, err
	}
	defer closeFn()
	br := bufio.NewReader(r)
	if b, err := br.Peek(len(utf8BOM)); err == nil && bytes.Equal(b, utf8BOM) {
		br.Discard(len(utf8BOM))
	}
	dec := json.NewDecoder(br)
	seen := map[string]bool{}
	n := 0
	found, inResult, err := walkRecords(dec, &page, func(int64) (bool, error) {
		raw, err := nextRecord(dec)
		if err != nil {
			err = fmt.Errorf("record %d %w", n+1, err)
			if line := recordLine(path, n); line > 0 {
				err = fmt.Errorf("line %d: %w", line, err)
			}
			return false, err
		}
		var fields []string // of the first record, which tells a page given twice
		flattenObject("", raw, 0, func(key, value string, null bool) {
			if !seen[key] {
				seen[key] = true
				header = append(header, key)
			}
			if n == 0 {
				fields = append(fields, fmt.Sprintf("%q:%q:%t", key, value, null))
			}
		}, nil)
		if n == 0 {
			slices.Sort(fields) // a copy saved with sorted keys is the same page
			page.first = sha256.Sum256([]byte(strings.Join(fields, ",")))
		}
		n++
		if n < jsonHeaderRecords {
			return true, nil
		}
		// totalSize and done come before the records in the REST API's
		// order, and after them in a page saved with sorted keys or in the
		// sf CLI's result: then the rest of the records are skipped to read
		// them.
		if !page.hasTotal || !page.hasDone {
			if err := readPageTail(io.MultiReader(dec.Buffered(), br), &page); err != nil {
				return false, err
			}
		}
		return false, nil
	})
	if err != nil {
		// The REST API writes its errors as an array, which is no page.
		if e := noRecordsErrorOf(path); e != errNoRecords {
			return nil, false, page, e
		}
		return nil, false, page, fmt.Errorf("reading JSON: %w", err)
	}
	if !found {
		return nil, false, page, noRecordsErrorOf(path)
	}
	page.inResult = inResult
	return header, inResult, page, nil
}

// recordLine is the line that record i (from 0) of the JSON export at path
// starts on, as eachJSONRecordIn numbers them, or 0 when it cannot be found:
// for the error of a malformed record among those jsonHeader reads, which
// reads without counting lines.
func recordLine(path string, i int) int64 {
	r, _, closeFn, err := openMaybeGzip(path)
	if err != nil {
		return 0
	}
	defer closeFn()
	br := bufio.NewReader(r)
	if b, err := br.Peek(len(utf8BOM)); err == nil && bytes.Equal(b, utf8BOM) {
		br.Discard(len(utf8BOM))
	}
	lr := &lineReader{r: br, line: 1, max: maxJSONRecord}
	dec := json.NewDecoder(lr)
	var line int64
	n := 0
	walkRecords(dec, nil, func(off int64) (bool, error) {
		if l := lr.lineAt(off); n == i {
			line = l
			return false, nil
		}
		if _, err := nextRecord(dec); err != nil {
			return false, err
		}
		n++
		return true, nil
	})
	return line
}

// pageInfo is what a REST query page says of its query, wherever in the
// page it is written (the REST API writes it before the records, a page
// saved with sorted keys and the sf CLI partly or wholly after them).
type pageInfo struct {
	totalSize int64 // the records the query matched over all its pages
	hasTotal  bool
	done      bool // no page follows this one
	hasDone   bool
	nextURL   string   // where the next page is, when done is false
	inResult  bool     // an sf CLI result, which fetched every page itself
	first     [32]byte // a hash of the first record, to tell a page given twice
}

// more says that the page is not its query's last: more pages follow.
func (p pageInfo) more() bool {
	return p.hasDone && !p.done || !p.hasDone && p.nextURL != ""
}

// set records the page's totalSize, done or nextRecordsUrl from its JSON
// value; a null is taken as absent.
func (p *pageInfo) set(key string, v json.RawMessage) error {
	if string(v) == "null" {
		return nil
	}
	switch key {
	case "totalSize":
		if err := json.Unmarshal(v, &p.totalSize); err != nil {
			return fmt.Errorf(`"totalSize" is not a number: %w`, err)
		}
		p.hasTotal = true
	case "done":
		if err := json.Unmarshal(v, &p.done); err != nil {
			return fmt.Errorf(`"done" is not true or false: %w`, err)
		}
		p.hasDone = true
	case "nextRecordsUrl":
		if err := json.Unmarshal(v, &p.nextURL); err != nil {
			return fmt.Errorf(`"nextRecordsUrl" is not text: %w`, err)
		}
	}
	return nil
}

// readPageTail reads what follows the records of a page in r, which starts
// inside the records array, between two records: it skips the rest of the
// array byte by byte (far faster than decoding the records) and reads the
// page's totalSize, done and nextRecordsUrl from the keys after it. A file
// that cannot be read to its end is no error here: its load says what is
// wrong with it, naming the line or the damage to its gzip stream.
func readPageTail(r io.Reader, page *pageInfo) error {
	buf := make([]byte, 64<<10)
	depth, inString, escaped := 0, false, false
	for {
		n, err := r.Read(buf)
		for i, c := range buf[:n] {
			switch {
			case escaped:
				escaped = false
			case inString:
				escaped = c == '\\'
				inString = c != '"'
			case c == '"':
				inString = true
			case c == '{' || c == '[':
				depth++
			case c == '}' || c == ']':
				if depth--; depth < 0 {
					return readTailKeys(io.MultiReader(bytes.NewReader(buf[i+1:n]), r), page)
				}
			}
		}
		if err != nil {
			return nil
		}
	}
}

// readTailKeys reads the keys that follow the records array, r starting just
// after it, up to the end of the object that holds the records.
func readTailKeys(r io.Reader, page *pageInfo) error {
	// Made a whole object again, the rest decodes as one.
	dec := json.NewDecoder(io.MultiReader(strings.NewReader(`{"records":null`), r))
	var tail map[string]json.RawMessage
	if err := dec.Decode(&tail); err != nil {
		return nil // for the load to tell
	}
	for _, key := range []string{"totalSize", "done", "nextRecordsUrl"} {
		if v, ok := tail[key]; ok {
			if err := page.set(key, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// restQuery is the REST pages of one kind that name one totalSize (or
// name none), taken as the pages of one query.
type restQuery struct {
	kind     Kind
	total    int64
	hasTotal bool
	files    []*inputFile // in the order given, copies included
	read     int64        // records read, a page given twice counted once
	copies   []string     // "b repeats a", for each page given twice
}

// restQueries groups the files that include accepts, all of them REST
// pages, by kind and totalSize, in the order their first pages were given.
// A page given twice (the same first record and as many records: a copy,
// even one saved with its keys in another order) is listed but read once.
func restQueries(files []*inputFile, include func(*inputFile) bool) []*restQuery {
	type key struct {
		kind     Kind
		total    int64
		hasTotal bool
	}
	type pageKey struct {
		first [32]byte
		read  int64
	}
	var out []*restQuery
	byKey := map[key]*restQuery{}
	seen := map[key]map[pageKey]*inputFile{}
	for _, f := range files {
		if !f.format.json || !include(f) {
			continue
		}
		k := key{f.kind, f.page.totalSize, f.page.hasTotal}
		q := byKey[k]
		if q == nil {
			q = &restQuery{kind: k.kind, total: k.total, hasTotal: k.hasTotal}
			byKey[k], seen[k] = q, map[pageKey]*inputFile{}
			out = append(out, q)
		}
		q.files = append(q.files, f)
		pk := pageKey{f.page.first, f.stats.Read}
		if g := seen[k][pk]; g != nil && f.stats.Read > 0 {
			q.copies = append(q.copies, fmt.Sprintf("%s repeats %s", f.path, g.path))
			continue
		}
		seen[k][pk] = f
		q.read += f.stats.Read
	}
	return out
}

// pageWarnings warns of REST queries whose pages were not all given (see
// restQueries for what a query is). A query lacks pages when
//   - its pages hold fewer records than its totalSize, a page given twice
//     counting once; or, when it has no totalSize to count against,
//   - one of its pages says more pages follow (done: false, or a
//     nextRecordsUrl without done) and none says done: true (the last page).
//
// Rows read are counted, not rows loaded: a record that another export
// also holds, and so is a duplicate, was still given. An sf CLI result
// that says done: true is a whole query (the CLI fetched every page), and
// is left out, unless it holds fewer records than its totalSize: whether
// the CLI says done: false or true when it stops at its record limit is
// not documented, and either way records are missing.
func pageWarnings(files []*inputFile) []string {
	queries := restQueries(files, func(f *inputFile) bool {
		p := f.page
		return !(p.inResult && p.hasDone && p.done && (!p.hasTotal || f.stats.Read >= p.totalSize))
	})
	var out []string
	for _, q := range queries {
		var notDone, paths []string
		ended, cli, allCLI := false, false, true
		for _, f := range q.files {
			paths = append(paths, f.path)
			cli = cli || f.page.inResult
			allCLI = allCLI && f.page.inResult
			ended = ended || f.page.hasDone && f.page.done
			if f.page.more() {
				notDone = append(notDone, f.path)
			}
		}
		var w string
		switch {
		case q.hasTotal && q.read < q.total && allCLI && len(q.copies) == 0:
			w = fmt.Sprintf("The %s query of the sf data query result %s matched %s records (totalSize), but it holds only %s: "+
				"the audit does not see %s of its %s.", q.kind, fileList(paths), words.Thousands(q.total), words.Thousands(q.read), words.Thousands(q.total-q.read), q.kind)
		case q.hasTotal && q.read < q.total:
			what := "the REST page given"
			if len(q.files) > 1 {
				what = fmt.Sprintf("the %s REST pages given", words.Thousands(int64(len(q.files))))
			}
			if len(q.copies) > 0 {
				what += fmt.Sprintf(" (%s: counted once)", strings.Join(q.copies, ", "))
			}
			w = fmt.Sprintf("The %s query behind %s holds %s records (totalSize), but they have only %s: "+
				"the other pages were not given, so the audit does not see %s of its %s. Fetch every nextRecordsUrl page.",
				q.kind, what, words.Thousands(q.total), words.Thousands(q.read), words.Thousands(q.total-q.read), q.kind)
		case !q.hasTotal && len(notDone) > 0 && !ended:
			says := "say"
			if len(notDone) == 1 {
				says = "says"
			}
			w = fmt.Sprintf("%s %s done: false (more pages follow), but no %s page given says done: true (the last page): "+
				"the audit does not see the %s of the pages after. Fetch every nextRecordsUrl page.",
				fileList(notDone), says, q.kind, q.kind)
		default:
			continue
		}
		if cli {
			w += " sf data query stops at its org-max-query-limit setting: raise it (sf config set org-max-query-limit) and query again."
		}
		out = append(out, w)
	}
	return out
}

// fileList names the first three of files, and counts the rest.
func fileList(files []string) string {
	if len(files) <= 3 {
		return strings.Join(files, ", ")
	}
	return fmt.Sprintf("%s and %s", strings.Join(files[:3], ", "), words.Count(len(files)-3, "more page", "more pages"))
}

// flattenObject calls emit for every scalar of the JSON object starting at
// b[i], in document order, naming nested relationship fields with dots
// ("Users.Username") and skipping the "attributes" objects Salesforce adds; a
// null relationship is a null under its own name. It returns the index after
// the object. b must be well-formed JSON (the decoder has checked it). Values
// read as encoding/json reads them: strings unescaped, with invalid UTF-8 made
// U+FFFD; numbers as written; an array as compact JSON text. invalid, unless
// nil, hears of each name whose own name or string value had invalid UTF-8.
func flattenObject(prefix string, b []byte, i int, emit func(key, value string, null bool), invalid func(key string)) int {
	i = skipSpace(b, i+1) // past '{'
	for b[i] != '}' {
		k, next, kValid := readString(b, i)
		i = skipSpace(b, next)
		i = skipSpace(b, i+1) // past ':'
		key := k
		if prefix != "" {
			key = prefix + "." + k
		}
		if !kValid && invalid != nil {
			invalid(key)
		}
		switch c := b[i]; {
		case k == "attributes":
			i = skipValue(b, i)
		case c == '{':
			i = flattenObject(key, b, i, emit, invalid)
		case c == '"':
			v, end, valid := readString(b, i)
			if !valid && invalid != nil {
				invalid(key)
			}
			emit(key, v, false)
			i = end
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
			if invalid != nil && !utf8.Valid(b[i:end]) {
				invalid(key)
			}
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

// readString returns the JSON string starting at b[i], unescaped, the index
// after it, and whether its bytes were valid UTF-8. Plain ASCII or valid
// UTF-8 without escapes is taken as it is; anything else goes through
// encoding/json, which decides escapes and makes invalid bytes U+FFFD.
func readString(b []byte, i int) (string, int, bool) {
	end, escaped := stringEnd(b, i)
	valid := utf8.Valid(b[i+1 : end-1])
	if !escaped && valid {
		return string(b[i+1 : end-1]), end, true
	}
	var s string
	json.Unmarshal(b[i:end], &s) // well-formed, so it cannot fail
	return s, end, valid
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
func (l *loader) mapJSONHeader(f *inputFile, header []string) error {
	f.shape = "api"
	f.labels = map[string]string{}
	if len(header) == 0 {
		return nil
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
	addUnseenLabels(f.kind, f.shape, header, f.labels)
	return nil
}

// apiFields lists, per kind, the fields the audit reads from API exports, as
// the API spells them.
var apiFields = map[Kind][]string{
	Sessions: {"Id", "UsersId", "Users.Username", "CreatedDate", "LastModifiedDate", "NumSecondsValid", "UserType", "SourceIp", "LoginType",
		"SessionType", "SessionSecurityLevel", "ParentId", "LoginHistoryId", "LoginGeoId", "IsCurrent",
		"LoginGeo.City", "LoginGeo.Country", "LoginGeo.CountryIso", "LoginGeo.Latitude", "LoginGeo.Longitude"},
	Logins: {"Id", "UserId", "User.Username", "LoginTime", "SourceIp", "Status", "CountryIso", "LoginGeoId",
		"LoginGeo.City", "LoginGeo.Country", "LoginGeo.CountryIso", "LoginGeo.Latitude", "LoginGeo.Longitude"},
	Users: {"Id", "Username", "Name", "UserType", "IsActive", "Profile.Name"},
	Geo:   {"Id", "City", "Country", "CountryIso", "Latitude", "Longitude", "Subdivision", "PostalCode"},
}

// setupFields lists the fields the audit reads from a Setup download's rows
// given as JSON (a download converted by hand), as the download labels them.
var setupFields = []string{"Username", "Login Time", "Source IP", "Status", "Location", "Country Code"}

// addUnseenLabels gives labels every field of the kind that the first
// records did not name, as the API spells it (or a Setup download labels
// it, for a file of the download's shape). DuckDB's reader reads only the
// fields its record type declares (and yields NULL for one a record lacks),
// and the type is made from the first records, so a field they all lack
// would never be read from the records after them: a REST record gives a
// relationship it lacks as a bare null ("LoginGeo": null), without its
// fields, and tools that leave out null values (a ParentId, a
// LoginHistoryId) write no key at all. A relationship keeps the spelling the
// records give it, if any.
func addUnseenLabels(k Kind, shape string, header []string, labels map[string]string) {
	aliases := aliasIndex(k, shape)
	names := apiFields[k]
	if shape == "setup" {
		names = setupFields
	}
	spelled := map[string]string{} // normalised relationship name -> the records' spelling
	for _, h := range header {
		rel, _, _ := strings.Cut(h, ".")
		if _, ok := spelled[normalizeHeader(rel)]; !ok {
			spelled[normalizeHeader(rel)] = rel
		}
	}
	for _, name := range names {
		c := aliases[normalizeHeader(name)]
		if _, ok := labels[c]; ok || c == "" {
			continue
		}
		rel, sub, nested := strings.Cut(name, ".")
		if !nested {
			labels[c] = name
			continue
		}
		if s, ok := spelled[normalizeHeader(rel)]; ok {
			rel = s
		}
		labels[c] = rel + "." + sub
	}
}
