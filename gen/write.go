package gen

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// rowWriter writes one table's rows in one format.
type rowWriter interface {
	write(row []field) error
	close() error
}

// flushAt is the buffer size at which rows go to the file: large enough that
// the per-write cost vanishes, small enough to stay in cache.
const flushAt = 64 << 10

// file is one output being written: rows are appended to buf and handed to w
// in large blocks; closers run in order at close (gzip before the file).
type file struct {
	name    string
	w       io.Writer
	buf     []byte
	err     error
	closers []func() error
}

// openFile creates name through out, compressing it when gz is set.
func openFile(out Outputs, name string, gz bool) (*file, error) {
	wc, err := out.Create(name)
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", name, err)
	}
	f := &file{name: name, w: wc, buf: make([]byte, 0, flushAt+4096)}
	if gz {
		// The deflate encoder writes in small pieces; bufio keeps them
		// from becoming one system call each.
		bw := bufio.NewWriterSize(wc, flushAt)
		zw, _ := gzip.NewWriterLevel(bw, gzip.BestSpeed) // the level is valid
		f.w = zw
		f.closers = append(f.closers, zw.Close, bw.Flush)
	}
	f.closers = append(f.closers, wc.Close)
	return f, nil
}

func (f *file) flushIfFull() error {
	if len(f.buf) >= flushAt {
		return f.flush()
	}
	return f.err
}

func (f *file) flush() error {
	if f.err == nil && len(f.buf) > 0 {
		if _, err := f.w.Write(f.buf); err != nil {
			f.err = fmt.Errorf("writing %s: %w", f.name, err)
		}
	}
	f.buf = f.buf[:0]
	return f.err
}

// close flushes and closes f, returning the first error it met.
func (f *file) close() error {
	err := f.flush()
	for _, c := range f.closers {
		if cerr := c(); cerr != nil && err == nil {
			err = fmt.Errorf("closing %s: %w", f.name, cerr)
		}
	}
	return err
}

// csvWriter writes one CSV file; cell writes a value in the file's dialect.
type csvWriter struct {
	f    *file
	cell func(b []byte, v field) []byte
	eol  string
}

// newBulkWriter writes Bulk API 2.0 query results: every cell double-quoted,
// nulls empty, LF line ends, ISO-8601 UTC times with milliseconds.
func newBulkWriter(f *file, t *table) *csvWriter {
	return newCSVWriter(f, t, "", appendQuoted, bulkCell, "\n")
}

func bulkCell(b []byte, v field) []byte {
	switch v.k {
	case kNull:
		return b
	case kText:
		return appendQuoted(b, v.s)
	}
	b = append(b, '"')
	b = appendPlain(b, v, "Z")
	return append(b, '"')
}

// newSetupWriter writes Setup's Login History download: a UTF-8 byte order
// mark, label headers, CRLF line ends, cells quoted only when they must be,
// and zone-less US times in UTC with minute precision.
func newSetupWriter(f *file, t *table) *csvWriter {
	return newCSVWriter(f, t, "\uFEFF", appendMinimal, setupCell, "\r\n")
}

func setupCell(b []byte, v field) []byte {
	switch v.k {
	case kText:
		return appendMinimal(b, v.s)
	case kTime:
		return time.Unix(v.n, 0).UTC().AppendFormat(b, "1/2/2006 3:04 PM")
	}
	return appendPlain(b, v, "Z")
}

func newCSVWriter(f *file, t *table, bom string, header func([]byte, string) []byte, cell func([]byte, field) []byte, eol string) *csvWriter {
	f.buf = append(f.buf, bom...)
	for i, c := range t.columns {
		if i > 0 {
			f.buf = append(f.buf, ',')
		}
		f.buf = header(f.buf, c)
	}
	f.buf = append(f.buf, eol...)
	return &csvWriter{f: f, cell: cell, eol: eol}
}

func (w *csvWriter) write(row []field) error {
	b := w.f.buf
	for i, v := range row {
		if i > 0 {
			b = append(b, ',')
		}
		b = w.cell(b, v)
	}
	w.f.buf = append(b, w.eol...)
	return w.f.flushIfFull()
}

func (w *csvWriter) close() error { return w.f.close() }

// appendPlain writes a non-text value the way CSV and JSON share; times end
// in zone ("Z" or "+0000").
func appendPlain(b []byte, v field, zone string) []byte {
	switch v.k {
	case kText, kNumber:
		return append(b, v.s...)
	case kInt:
		return strconv.AppendInt(b, v.n, 10)
	case kBool:
		return strconv.AppendBool(b, v.n != 0)
	case kTime:
		return appendISOTime(b, v.n, zone)
	case kID:
		return appendID(b, v.s, uint64(v.n))
	case kIP:
		return v.ip.AppendTo(b)
	}
	return b
}

// appendQuoted writes s between double quotes, doubling the quotes inside.
func appendQuoted(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			b = append(b, '"')
		}
		b = append(b, s[i])
	}
	return append(b, '"')
}

// appendMinimal quotes s only when a comma, quote, line break or a leading
// or trailing space would otherwise change how it reads back.
func appendMinimal(b []byte, s string) []byte {
	needs := s != "" && (s[0] == ' ' || s[len(s)-1] == ' ')
	for i := 0; i < len(s) && !needs; i++ {
		switch s[i] {
		case ',', '"', '\r', '\n':
			needs = true
		}
	}
	if needs {
		return appendQuoted(b, s)
	}
	return append(b, s...)
}

// pageSize is how many records one REST query page holds.
const pageSize = 2000

// jsonPager writes REST query result pages of pageSize records each, named
// <file>-0001.json and on, linked by nextRecordsUrl as Salesforce links them.
// total must be known up front because every page carries totalSize.
type jsonPager struct {
	out     Outputs
	t       *table
	plan    []jsonEntry
	total   int
	locator string
	written int
	f       *file
}

// jsonEntry is one key of a record: a column, or a relationship (group) whose
// subs are the related record's columns.
type jsonEntry struct {
	key   string
	col   int
	group *relation
	subs  []jsonEntry
}

func newJSONPager(out Outputs, t *table, total int, locator uint64) *jsonPager {
	p := &jsonPager{out: out, t: t, total: total, locator: idString(prefixLocator, locator)}
	groups := map[string]int{}
	for i, c := range t.columns {
		rel, sub, dotted := strings.Cut(c, ".")
		if !dotted {
			p.plan = append(p.plan, jsonEntry{key: c, col: i})
			continue
		}
		g, ok := groups[rel]
		if !ok {
			var r *relation
			for j := range t.relations {
				if t.relations[j].name == rel {
					r = &t.relations[j]
				}
			}
			g = len(p.plan)
			groups[rel] = g
			p.plan = append(p.plan, jsonEntry{key: rel, col: i, group: r})
		}
		p.plan[g].subs = append(p.plan[g].subs, jsonEntry{key: sub, col: i})
	}
	return p
}

func (p *jsonPager) write(row []field) error {
	if p.f == nil {
		if err := p.openPage(); err != nil {
			return err
		}
	} else {
		p.f.buf = append(p.f.buf, ",\n"...)
	}
	p.f.buf = p.appendRecord(p.f.buf, row)
	p.written++
	if p.written%pageSize == 0 || p.written == p.total {
		return p.closePage()
	}
	return p.f.flushIfFull()
}

func (p *jsonPager) openPage() error {
	n := p.written/pageSize + 1
	f, err := openFile(p.out, fmt.Sprintf("%s-%04d.json", p.t.file, n), false)
	if err != nil {
		return err
	}
	p.f = f
	b := append(f.buf, `{"totalSize":`...)
	b = strconv.AppendInt(b, int64(p.total), 10)
	if next := n * pageSize; next < p.total {
		b = append(b, `,"done":false,"nextRecordsUrl":"/services/data/`+apiVersion+`/query/`...)
		b = append(b, p.locator...)
		b = append(b, '-')
		b = strconv.AppendInt(b, int64(next), 10)
		b = append(b, '"')
	} else {
		b = append(b, `,"done":true`...)
	}
	f.buf = append(b, `,"records":[`+"\n"...)
	return nil
}

func (p *jsonPager) closePage() error {
	p.f.buf = append(p.f.buf, "\n]}\n"...)
	err := p.f.close()
	p.f = nil
	return err
}

func (p *jsonPager) close() error {
	if p.written == 0 {
		if err := p.openPage(); err != nil {
			return err
		}
		return p.closePage()
	}
	if p.f != nil || p.written != p.total {
		return fmt.Errorf("writing %s pages: wrote %d records, announced %d", p.t.file, p.written, p.total)
	}
	return nil
}

func (p *jsonPager) appendRecord(b []byte, row []field) []byte {
	b = appendAttributes(b, p.t.sobject, row[0])
	for _, e := range p.plan {
		if e.col >= len(row) {
			break // a short (rejected) row
		}
		b = append(b, ',')
		b = appendJSONString(b, e.key)
		b = append(b, ':')
		if e.group == nil {
			b = appendJSONValue(b, row[e.col])
			continue
		}
		id := e.group.id(row)
		if id.k == kNull {
			b = append(b, "null"...)
			continue
		}
		b = appendAttributes(b, e.group.sobject, id)
		for _, s := range e.subs {
			if s.col < len(row) {
				b = append(b, ',')
				b = appendJSONString(b, s.key)
				b = append(b, ':')
				b = appendJSONValue(b, row[s.col])
			}
		}
		b = append(b, '}')
	}
	return append(b, '}')
}

// appendAttributes opens a record with its attributes, leaving it open.
func appendAttributes(b []byte, sobject string, id field) []byte {
	b = append(b, `{"attributes":{"type":"`...)
	b = append(b, sobject...)
	b = append(b, `","url":"/services/data/`+apiVersion+`/sobjects/`...)
	b = append(b, sobject...)
	b = append(b, '/')
	b = appendPlain(b, id, "")
	return append(b, `"}`...)
}

func appendJSONValue(b []byte, v field) []byte {
	switch v.k {
	case kNull:
		return append(b, "null"...)
	case kText:
		return appendJSONString(b, v.s)
	case kNumber, kInt, kBool:
		return appendPlain(b, v, "")
	default:
		b = append(b, '"')
		b = appendPlain(b, v, "+0000")
		return append(b, '"')
	}
}

// appendJSONString writes s as a JSON string; s is valid UTF-8, so only
// quotes, backslashes and control characters need escaping.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// countWriter counts rows; the first pass of JSON output uses it to learn
// totalSize.
type countWriter struct{ n *int }

func (c countWriter) write([]field) error { *c.n++; return nil }
func (c countWriter) close() error        { return nil }

// appendISOTime writes Unix seconds t as 2026-11-26T10:00:00.000 and zone.
// It is the hottest formatting path, hence the arithmetic instead of
// time.Format.
func appendISOTime(b []byte, t int64, zone string) []byte {
	days, secs := t/86400, t%86400
	if secs < 0 {
		days, secs = days-1, secs+86400
	}
	y, m, d := civilDate(days)
	b = append4(b, y)
	b = append(b, '-')
	b = append2(b, m)
	b = append(b, '-')
	b = append2(b, d)
	b = append(b, 'T')
	b = append2(b, int(secs/3600))
	b = append(b, ':')
	b = append2(b, int(secs/60%60))
	b = append(b, ':')
	b = append2(b, int(secs%60))
	b = append(b, ".000"...)
	return append(b, zone...)
}

// civilDate converts days since 1970-01-01 to a proleptic Gregorian date
// (Howard Hinnant's days_from_civil, inverted).
func civilDate(z int64) (year, month, day int) {
	z += 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	day = int(doy - (153*mp+2)/5 + 1)
	month = int(mp + 3)
	if month > 12 {
		month -= 12
	}
	year = int(yoe + era*400)
	if month <= 2 {
		year++
	}
	return year, month, day
}

func append2(b []byte, n int) []byte { return append(b, byte('0'+n/10), byte('0'+n%10)) }

func append4(b []byte, n int) []byte {
	return append(b, byte('0'+n/1000%10), byte('0'+n/100%10), byte('0'+n/10%10), byte('0'+n%10))
}
