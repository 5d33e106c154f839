package ingest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/klauspost/compress/flate"
	kgzip "github.com/klauspost/compress/gzip"

	"github.com/sessionaudit/sessionaudit/internal/bug"
	"github.com/sessionaudit/sessionaudit/internal/words"
	"github.com/sessionaudit/sessionaudit/sfid"
)

// format is what sniffing a file's first bytes tells: its encoding and, for
// CSV, the header cells.
type format struct {
	gzip   bool
	json   bool
	header []string // CSV only
	// headerLine is the line of a CSV header: 1, or more after blank lines.
	headerLine int
}

// label names the format for summaries, e.g. "Bulk API CSV (gzip)".
func (f format) label(shape string) string {
	var s string
	switch {
	case f.json:
		s = "REST/sf JSON"
	case shape == "setup":
		s = "Setup download CSV"
	default:
		s = "Bulk API CSV"
	}
	if f.gzip {
		s += " (gzip)"
	}
	return s
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// InputError is an input file that cannot be used at all: unreadable, not CSV
// or JSON, or without the columns the audit needs. The command exits with 2.
type InputError struct {
	File string
	Err  error
}

func (e *InputError) Error() string { return fmt.Sprintf("%s: %v", e.File, e.Err) }
func (e *InputError) Unwrap() error { return e.Err }

// openMaybeGzip opens path and returns a reader of its decompressed content
// and whether it was gzip, judged by the magic bytes rather than the name.
func openMaybeGzip(path string) (io.Reader, bool, func() error, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false, nil, err
	}
	br := bufio.NewReaderSize(f, 64<<10)
	magic, _ := br.Peek(2)
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			f.Close()
			return nil, true, nil, fmt.Errorf("reading gzip header: %w", err)
		}
		return zr, true, func() error { zr.Close(); return f.Close() }, nil
	}
	return br, false, f.Close, nil
}

// whileVerifyingGzip runs read, DuckDB reading files, while the gzip ones
// among them are verified in Go: DuckDB's reader stops quietly at the end of
// a truncated gzip stream and never checks its checksum. The files are read
// twice at once, but decompressing is faster than DuckDB's parsing; plain
// files pay nothing. damaged is an *InputError naming the first file found
// damaged, which wins over read's error; a failed read stops the
// verification, and a stream found damaged by then is still reported.
func whileVerifyingGzip(ctx context.Context, files []*inputFile, read func() error) (damaged, readErr error) {
	var gz []*inputFile
	for _, f := range files {
		if f.format.gzip {
			gz = append(gz, f)
		}
	}
	if len(gz) == 0 {
		return nil, read()
	}
	vctx, cancel := context.WithCancel(ctx)
	defer cancel()
	verified := make(chan error, 1)
	go func() {
		// One send, whichever way the goroutine ends: verified holds it.
		defer bug.Catch("verifying gzip files", func(err error) { verified <- err })
		for _, f := range gz {
			if err := gzipVerifier(vctx, f.path); err != nil {
				verified <- &InputError{File: f.path, Err: err}
				return
			}
		}
		verified <- nil
	}()
	readErr = read()
	if readErr != nil {
		cancel()
	}
	if verr := <-verified; verr != nil && !errors.Is(verr, context.Canceled) && ctx.Err() == nil {
		return verr, readErr
	}
	return nil, readErr
}

// gzipVerifier is verifyGzip, which a test may replace.
var gzipVerifier = verifyGzip

// verifyGzip reads the gzip file at path to its end, discarding what it
// decompresses, and says what is wrong with the stream, if anything. DuckDB's
// CSV reader takes a truncated stream for the end of the file and checks no
// checksum, so a damaged export would load in part without a word; the load
// runs this beside DuckDB's read, which reads the file at the same time.
func verifyGzip(ctx context.Context, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := kgzip.NewReader(bufio.NewReaderSize(f, 256<<10))
	if err != nil {
		return gzipError(err)
	}
	defer zr.Close()
	buf := make([]byte, 256<<10)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		_, err := zr.Read(buf)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return gzipError(err)
		}
	}
}

// gzipError words a failure to decompress a gzip file for its owner.
func gzipError(err error) error {
	var corrupt flate.CorruptInputError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return errors.New("the gzip stream is truncated (the file was cut short; download it again)")
	case errors.Is(err, gzip.ErrChecksum):
		return errors.New("the gzip stream fails its checksum (the file is corrupted; download it again)")
	case errors.Is(err, gzip.ErrHeader):
		return errors.New("the gzip stream has an invalid header (the file is corrupted or has data after its end)")
	case errors.As(err, &corrupt):
		return fmt.Errorf("the gzip stream is corrupted (%v; download it again)", err)
	}
	return fmt.Errorf("reading the gzip stream: %w", err)
}

// maxHeaderBytes and maxHeaderColumns bound a CSV header. Salesforce's
// widest objects have some hundreds of fields (custom ones included); past a
// few thousand columns DuckDB's CSV reader runs out of its memory limit.
const (
	maxHeaderBytes   = 1 << 20
	maxHeaderColumns = 1000
)

// sniff reads the start of a file to tell JSON from CSV and, for CSV, to read
// its header record.
func sniff(path string) (format, error) {
	r, gz, closeFn, err := openMaybeGzip(path)
	if err != nil {
		return format{}, err
	}
	defer closeFn()
	return sniffReader(r, gz)
}

// sniffSize is how much of a file sniffReader reads at a time to tell
// what it is.
const sniffSize = 4096

func sniffReader(r io.Reader, gz bool) (format, error) {
	br := bufio.NewReader(r)
	// readErr words a failed read: a small gzip file cut short fails here,
	// before the verification, as does one cut among its blank lines.
	readErr := func(err error) error {
		if gz {
			return gzipError(err)
		}
		return fmt.Errorf("reading: %w", err)
	}
	// peek reads the next sniffSize bytes, or what is left of the file.
	peek := func() ([]byte, error) {
		b, err := br.Peek(sniffSize)
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
			return nil, readErr(err)
		}
		return b, nil
	}
	head, err := peek()
	if err != nil {
		return format{}, err
	}
	if what, fix := spreadsheetFile(head); what != "" {
		return format{}, fmt.Errorf("the file is %s, not an export: %s", what, fix)
	}
	if gz && len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b {
		return format{}, errors.New("the file is gzip-compressed twice: decompress it once (gunzip) and give the result, which is read as it is")
	}
	if enc := wideEncoding(head); enc != "" {
		return format{}, fmt.Errorf("the file is %s; save it as UTF-8", enc)
	}
	if bytes.HasPrefix(head, utf8BOM) {
		br.Discard(len(utf8BOM))
		head, _ = br.Peek(sniffSize) // what was read less the mark, and more
	}
	// Blank lines before the header are skipped, however many: where the
	// first read holds nothing else, it is passed over, its lines counted.
	skipped := 0
	for len(head) == sniffSize && len(bytes.TrimLeft(head, "\r\n")) == 0 {
		skipped += bytes.Count(head, []byte("\n"))
		br.Discard(len(head))
		if head, err = peek(); err != nil {
			return format{}, err
		}
	}
	trimmed := bytes.TrimLeft(head, " \t\r\n")
	if len(trimmed) == 0 {
		return format{}, errors.New("the file is empty")
	}
	if trimmed[0] == '{' || trimmed[0] == '[' {
		return format{gzip: gz, json: true}, nil
	}
	// The header is read within a bound: csv.Reader holds a record whole,
	// so a header line of a gigabyte (a few megabytes gzipped) would take
	// gigabytes, and one of a million columns ties DuckDB up for longer
	// than any audit, past its memory limit and deaf to an interrupt.
	lr := &io.LimitedReader{R: br, N: maxHeaderBytes}
	cr := csv.NewReader(lr)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	header, err := cr.Read()
	if err != nil {
		return format{}, fmt.Errorf("reading the CSV header: %w", err)
	}
	if cr.InputOffset() >= maxHeaderBytes {
		return format{}, fmt.Errorf("the first line (the header) is longer than %d MB: an export's header is a line of column names; "+
			"the file is damaged or not an export", maxHeaderBytes>>20)
	}
	if len(header) > maxHeaderColumns {
		return format{}, fmt.Errorf("the header has %s columns, more than the %s the audit reads a file with (an export has a few dozen): "+
			"export only the fields the audit reads, see Inputs in the README", words.Thousands(int64(len(header))), words.Thousands(maxHeaderColumns))
	}
	// A file of one column is an export only if that column is Id (a
	// LoginGeo export may be no more; any other kind then lacks columns,
	// which its header match says by name).
	if len(header) < 2 && !strings.EqualFold(strings.TrimSpace(header[0]), "Id") {
		line := string(trimmed)
		if i := strings.IndexAny(line, "\r\n"); i >= 0 {
			line = line[:i]
		}
		for _, sep := range []struct{ char, name string }{{";", "semicolons"}, {"\t", "tabs"}, {"|", "vertical bars"}} {
			if strings.Count(line, sep.char) >= 2 {
				// Without its quotes, the separators show.
				return format{}, fmt.Errorf("the first line (%s) is separated by %s, not commas (as spreadsheets save CSV in some languages): save it as CSV with commas, UTF-8",
					truncate(sfid.RedactTokens(strings.ReplaceAll(line, `"`, "")), 60), sep.name)
			}
		}
		return format{}, fmt.Errorf("the first line %q is not a CSV header of a Salesforce export", truncate(sfid.RedactTokens(line), 80))
	}
	// Header cells name the fields in messages and in the load's SQL; no
	// export writes a control character in one, nor a byte that is not
	// UTF-8 (a file saved in another encoding: DuckDB would stop on it with
	// an error that names no line or column).
	for i, h := range header {
		// A carriage return the reader kept is one no line feed follows:
		// the lines end in CR alone, and the header ran on into the rows.
		// One the line feed follows, at the end of the header, is a line
		// ending in CR CR LF: a CRLF file whose line feeds were turned
		// into CRLF again (as Python's csv module writes on Windows to a
		// file not opened with newline='').
		if i == len(header)-1 && strings.Count(h, "\r") == 1 && strings.HasSuffix(h, "\r") && bytes.Contains(trimmed, []byte("\r\r\n")) {
			return format{}, errors.New("its lines end in two carriage returns and a line feed (CR CR LF, a CRLF file converted to CRLF again), which no export writes: save it with LF or CRLF line endings")
		}
		if strings.Contains(h, "\r") {
			return format{}, errors.New("its lines end in a carriage return alone (as classic Mac OS saved text), which no export writes: save it with LF or CRLF line endings")
		}
		if strings.IndexFunc(h, unicode.IsControl) >= 0 {
			return format{}, fmt.Errorf("header cell %d %q has a control character; save the file as UTF-8 CSV with plain column names", i+1, truncate(sfid.RedactTokens(h), 80))
		}
		if !utf8.ValidString(h) {
			return format{}, fmt.Errorf("header cell %d %q is not valid UTF-8: the file is in another encoding; save it as UTF-8 CSV", i+1, truncate(sfid.RedactTokens(h), 80))
		}
	}
	line, _ := cr.FieldPos(0) // the reader skips blank lines before the header
	return format{gzip: gz, header: header, headerLine: skipped + line}, nil
}

// spreadsheetFile names what a file whose first bytes are a zip archive's
// or an OLE compound file's most likely is, and what to do instead, or ""
// for other files: given as an export, such a workbook would be read as text.
func spreadsheetFile(head []byte) (what, fix string) {
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return "a zip archive (an .xlsx workbook, or a zipped export)",
			"give the CSV or JSON file it holds or came from (unzip an archive; open a workbook and save its sheet as CSV, UTF-8)"
	case bytes.HasPrefix(head, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}):
		return "an Excel 97-2003 workbook (.xls)", "open it and save its sheet as CSV (UTF-8), or give the export it came from"
	}
	return "", ""
}

// wideEncoding names the encoding of a file's first bytes when it is UTF-16
// or UTF-32, by its byte-order mark or, without one, by the NUL bytes these
// encodings give ASCII text; "" otherwise. Only the first line is searched
// for NULs: a stray NUL in a row is that row's problem.
func wideEncoding(head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE, 0, 0}):
		return "UTF-32 (little-endian)"
	case bytes.HasPrefix(head, []byte{0, 0, 0xFE, 0xFF}):
		return "UTF-32 (big-endian)"
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		return "UTF-16 (little-endian)"
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return "UTF-16 (big-endian)"
	}
	first := head
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		first = head[:i]
	}
	if nuls := bytes.Count(first, []byte{0}); nuls > 0 && nuls >= len(first)/4 {
		return "UTF-16 or UTF-32 (its first line is full of NUL bytes)"
	}
	return ""
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// blankLines returns the blank lines after the header line of a CSV file,
// counted as DuckDB's reader counts lines: a quoted value that spans lines
// counts once, a blank line (nothing, or a lone CR) counts. DuckDB's reader
// steps over blank lines, which shifts the lines counted from row positions.
// As in DuckDB's reader, a quote opens a quoted value only at the start of a
// field; elsewhere (Chrome 5") it is a character of the value.
func blankLines(ctx context.Context, path string, headerLine int) ([]int64, error) {
	// Most files have none: a blank line needs two line breaks in a row,
	// which a fast search rules out before the byte-by-byte count.
	if found, err := hasBlankLine(ctx, path); err != nil || !found {
		return nil, err
	}
	r, _, closeFn, err := openMaybeGzip(path)
	if err != nil {
		return nil, err
	}
	defer closeFn()
	var out []int64
	line := int64(1)
	inQuote := false
	closed := false    // the byte before b[0] closed a quoted value: a quote next is a doubled one
	prev := byte('\n') // the byte before b[0]; the file starts a field
	empty := true      // the line so far holds nothing but CRs
	content := func(b []byte) bool { return len(bytes.Trim(b, "\r")) > 0 }
	buf := make([]byte, 256<<10)
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n, readErr := r.Read(buf)
		for b := buf[:n]; len(b) > 0; {
			if inQuote {
				i := bytes.IndexByte(b, '"')
				if i < 0 {
					break
				}
				inQuote, closed, prev, b = false, true, '"', b[i+1:]
				continue
			}
			if closed {
				closed = false
				if b[0] == '"' { // a doubled quote: the value goes on
					inQuote, prev, b = true, '"', b[1:]
					continue
				}
			}
			i := bytes.IndexAny(b, "\"\n")
			if i < 0 {
				empty = empty && !content(b)
				prev = b[len(b)-1]
				break
			}
			empty = empty && !content(b[:i])
			before := prev
			if i > 0 {
				before = b[i-1]
			}
			if b[i] == '"' {
				inQuote = before == ',' || before == '\n'
				empty = false
			} else {
				if empty && line > int64(headerLine) {
					out = append(out, line)
				}
				line, empty = line+1, true
			}
			prev, b = b[i], b[i+1:]
		}
		if readErr == io.EOF {
			return out, nil
		}
		if readErr != nil {
			return nil, readErr
		}
	}
}

// lineEndingFault finds the first line of a CSV file whose line break is not
// the kind the header's is (LF or CRLF), or that holds a lone CR outside a
// quoted value: DuckDB's reader stops the whole file on either, without a
// line. It returns 0 when every line is alike. Quotes are read as in
// blankLines.
func lineEndingFault(ctx context.Context, path string) (line int64, what string, err error) {
	r, _, closeFn, err := openMaybeGzip(path)
	if err != nil {
		return 0, "", err
	}
	defer closeFn()
	br := bufio.NewReaderSize(r, 256<<10)
	line = 1
	crlf := -1 // the header's kind: 1 for CRLF, 0 for LF, -1 before it ends
	inQuote, closed := false, false
	prev := byte('\n')
	for n := 0; ; n++ {
		if n%(1<<20) == 0 {
			if err := ctx.Err(); err != nil {
				return 0, "", err
			}
		}
		c, readErr := br.ReadByte()
		if readErr == io.EOF {
			return 0, "", nil
		}
		if readErr != nil {
			return 0, "", readErr
		}
		switch {
		case inQuote:
			if c == '"' {
				inQuote, closed = false, true
			}
		case closed && c == '"':
			inQuote, closed = true, false
		case c == '"':
			closed = false
			inQuote = prev == ',' || prev == '\n'
		case c == '\r':
			closed = false
			if next, err := br.Peek(1); err == nil && next[0] == '\n' {
				break
			}
			if crlf == 1 {
				return line, "ends with a lone CR, where the lines before end with CRLF: save the file with one kind of line break", nil
			}
			return line, "holds a carriage return (CR) outside a quoted value: quote the value or remove the CR", nil
		case c == '\n':
			closed = false
			kind := 0
			if prev == '\r' {
				kind = 1
			}
			switch {
			case crlf < 0:
				crlf = kind
			case kind != crlf && kind == 1:
				return line, "ends with CRLF, where the lines before end with LF: save the file with one kind of line break", nil
			case kind != crlf:
				return line, "ends with LF, where the lines before end with CRLF: save the file with one kind of line break", nil
			}
			line++
		default:
			closed = false
		}
		prev = c
	}
}

// hasBlankLine says whether a file has two line breaks in a row anywhere
// (LF LF or LF CR LF), as a blank line, or a quoted value, would.
func hasBlankLine(ctx context.Context, path string) (bool, error) {
	r, _, closeFn, err := openMaybeGzip(path)
	if err != nil {
		return false, err
	}
	defer closeFn()
	buf := make([]byte, 2+1<<20)
	carry := 0 // the last two bytes of the chunk before, at buf[0:2]
	for {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		n, readErr := r.Read(buf[carry:])
		b := buf[:carry+n]
		if bytes.Contains(b, []byte("\n\n")) || bytes.Contains(b, []byte("\n\r\n")) {
			return true, nil
		}
		if readErr == io.EOF {
			return false, nil
		}
		if readErr != nil {
			return false, readErr
		}
		carry = copy(buf, b[max(0, len(b)-2):])
	}
}
