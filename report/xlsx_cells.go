package report

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// rowEncoder writes data rows as worksheet XML, byte for byte as excelize's
// StreamWriter.SetRow writes the same rows of excelize.Cell values (the tests
// hold it to that), but without SetRow's allocations, cell-name parsing and
// per-string regular expression, which made SetRow most of a large sheet's
// time. It takes the values cellValue makes: string, int64, int32, int,
// finite float64, time.Time in UTC from 1900 on, or nil.
type rowEncoder struct {
	cols []string // column letters, A, B, …
	row  []byte   // the current row's number, in decimal
}

func newRowEncoder(columns int) *rowEncoder {
	e := &rowEncoder{cols: make([]string, columns)}
	for i := range e.cols {
		e.cols[i], _ = excelize.ColumnNumberToName(i + 1) // cannot fail for a column a sheet can have
	}
	return e
}

// startRow appends the start of row n, height points tall, or of the
// default height when height is zero.
func (e *rowEncoder) startRow(b []byte, n int, height float64) []byte {
	e.row = strconv.AppendInt(e.row[:0], int64(n), 10)
	b = append(b, `<row r="`...)
	b = append(b, e.row...)
	b = append(b, '"')
	if height > 0 {
		b = append(b, ` ht="`...)
		b = strconv.AppendFloat(b, height, 'f', -1, 64)
		b = append(b, `" customHeight="1"`...)
	}
	return append(b, '>')
}

func endRow(b []byte) []byte { return append(b, `</row>`...) }

// cell appends the cell in column col (0-based) of the current row with the
// given style and value. A nil value still makes a cell, so that its style
// (a group's shading) shows.
func (e *rowEncoder) cell(b []byte, col, style int, v any) []byte {
	b = append(b, `<c r="`...)
	b = append(b, e.cols[col]...)
	b = append(b, e.row...)
	b = append(b, '"')
	if style != 0 {
		b = append(b, ` s="`...)
		b = strconv.AppendInt(b, int64(style), 10)
		b = append(b, '"')
	}
	switch v := v.(type) {
	case string:
		b = appendInlineString(b, v)
	case int64:
		b = append(b, `><v>`...)
		b = strconv.AppendInt(b, v, 10)
		b = append(b, `</v>`...)
	case int32:
		b = append(b, `><v>`...)
		b = strconv.AppendInt(b, int64(v), 10)
		b = append(b, `</v>`...)
	case int:
		b = append(b, `><v>`...)
		b = strconv.AppendInt(b, int64(v), 10)
		b = append(b, `</v>`...)
	case float64:
		b = append(b, `><v>`...)
		b = appendExcelFloat(b, v)
		b = append(b, `</v>`...)
	case time.Time:
		b = append(b, `><v>`...)
		b = strconv.AppendFloat(b, excelSerial(v), 'f', -1, 64)
		b = append(b, `</v>`...)
	default: // nil
		b = append(b, '>')
	}
	return append(b, `</c>`...)
}

// appendInlineString appends the type and content of a text cell: an inline
// string, which no spreadsheet program evaluates as a formula.
func appendInlineString(b []byte, s string) []byte {
	b = append(b, ` t="inlineStr"><is><t`...)
	if len(s) > excelize.TotalCellChars && utf16Len(s) > excelize.TotalCellChars {
		s = truncateUTF16(s, excelize.TotalCellChars)
	}
	if s != "" && (isXMLSpace(s[0]) || isXMLSpace(s[len(s)-1])) {
		b = append(b, ` xml:space="preserve"`...)
	}
	b = append(b, '>')
	if plainText(s) {
		b = append(b, s...)
	} else {
		start := len(b)
		b = appendEscapedText(b, s)
		if strings.Contains(string(b[start:]), "_x") {
			escaped := protectOfficeEscapes(string(b[start:]))
			b = append(b[:start], escaped...)
		}
	}
	return append(b, `</t></is>`...)
}

// textSafe marks the ASCII bytes that stand for themselves in XML text.
var textSafe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = true
	}
	for _, c := range `"&'<>` {
		t[c] = false
	}
	t['\n'] = true // excelize leaves newlines as they are
	return t
}()

// plainText reports whether s goes into XML text as it is: printable ASCII
// and newlines, none of them escaped, and nothing that reads as an Office
// _xHHHH_ escape. Most values (names, Ids, IPs, types) are.
func plainText(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf || !textSafe[c] || c == '_' && i+1 < len(s) && s[i+1] == 'x' {
			return false
		}
	}
	return true
}

// appendEscapedText appends s escaped as encoding/xml's EscapeText escapes
// it, except newlines, which excelize puts back unescaped: quotes, ampersands,
// angle brackets, tabs and carriage returns become references, and invalid
// UTF-8 and characters XML does not allow become U+FFFD.
func appendEscapedText(b []byte, s string) []byte {
	last := 0
	for i := 0; i < len(s); {
		r, width := utf8.DecodeRuneInString(s[i:])
		i += width
		var esc string
		switch r {
		case '"':
			esc = "&#34;"
		case '\'':
			esc = "&#39;"
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '\t':
			esc = "&#x9;"
		case '\r':
			esc = "&#xD;"
		case '\n':
			continue
		default:
			if !isXMLChar(r) || (r == utf8.RuneError && width == 1) {
				esc = "\uFFFD"
				break
			}
			continue
		}
		b = append(b, s[last:i-width]...)
		b = append(b, esc...)
		last = i
	}
	return append(b, s[last:]...)
}

// isXMLChar reports whether XML 1.0 allows r in text.
func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}

func isXMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// utf16Len is the length of s in UTF-16 code units, the unit of Excel's
// limit on a cell's text.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// truncateUTF16 cuts s to at most n UTF-16 code units, between characters.
func truncateUTF16(s string, n int) string {
	units := 0
	for i, r := range s {
		if units += utf16.RuneLen(r); units > n {
			return s[:i]
		}
	}
	return s
}

var (
	officeEscape     = regexp.MustCompile(`_x[a-fA-F\d]{4}_`)
	officeEscapeTail = regexp.MustCompile(`x[a-fA-F\d]{4}_`)
)

// protectOfficeEscapes escapes the underscores of text that a spreadsheet
// program would read as an _xHHHH_ character escape, so "_x0041_" shows as
// itself rather than as "A". It follows excelize's bstrMarshal step for step,
// quirks included (it drops an escape of a UTF-16 surrogate, and doubles
// some marks after _x005F_), so that a cell reads the same whichever writes
// it; only text with "_x" in it comes here.
func protectOfficeEscapes(s string) string {
	var out strings.Builder
	cursor := 0
	for _, m := range officeEscape.FindAllStringIndex(s, -1) {
		out.WriteString(s[cursor:m[0]])
		match := s[m[0]:m[1]]
		if match == "_x005F_" {
			cursor = m[1]
			if m[1]+6 <= len(s) && officeEscapeTail.MatchString(s[m[1]:m[1]+6]) {
				if _, err := strconv.Unquote(`"\u` + s[m[1]+1:m[1]+5] + `"`); err == nil {
					out.WriteString(match + "x005F" + match)
					continue
				}
			}
			out.WriteString(match + "x005F_")
			continue
		}
		cursor = m[1] // an escape of a surrogate is dropped
		if _, err := strconv.Unquote(`"\u` + s[m[0]+2:m[1]-1] + `"`); err == nil {
			out.WriteString("_x005F" + match)
		}
	}
	out.WriteString(s[cursor:])
	return out.String()
}

// appendExcelFloat appends v as excelize writes a number: in plain decimal
// notation, cut to the 15 significant digits Excel keeps.
func appendExcelFloat(b []byte, v float64) []byte {
	start := len(b)
	b = strconv.AppendFloat(b, v, 'f', -1, 64)
	if math.Abs(v) == math.MaxFloat64 {
		return b
	}
	str := b[start:]
	const maxDigits = 15
	decimal := -1
	for i, c := range str {
		if c == '.' {
			decimal = i
			break
		}
	}
	significant := 0
	for i, c := range str {
		if c < '0' || c > '9' || significant == 0 && c == '0' {
			continue
		}
		significant++
		if significant <= maxDigits {
			continue
		}
		if decimal >= 0 && i > decimal {
			if i == decimal+1 {
				i = decimal // no digits left after the point
			}
			return b[:start+i]
		}
		if decimal < 0 {
			decimal = len(str)
		}
		for j := i; j < decimal; j++ {
			str[j] = '0'
		}
		return b[:start+decimal]
	}
	return b
}

// Excel's day 1 is 1 January 1900, and it counts a 29 February 1900 that
// never was, so serials from 1 March 1900 on are one day more.
var (
	excelDayZero     = time.Date(1899, time.December, 31, 0, 0, 0, 0, time.UTC)
	excelLeapBugOver = time.Date(1900, time.March, 1, 0, 0, 0, 0, time.UTC).Add(-time.Nanosecond)
	maxSerialStep    = 290 * 364 * 24 * time.Hour
	day              = 24 * time.Hour
)

// excelSerial is t, in UTC from 1900 on, as an Excel date-time serial
// number, computed as excelize computes it so that the digits match.
func excelSerial(t time.Time) float64 {
	tt, diff, serial := t, t.Sub(excelDayZero), 0.0
	for diff >= maxSerialStep {
		serial += float64(maxSerialStep / day)
		tt = tt.Add(-maxSerialStep)
		diff = tt.Sub(excelDayZero)
	}
	rem := diff % day
	serial += float64(diff-rem)/float64(day) + float64(rem)/float64(day)
	if t.After(excelLeapBugOver) {
		serial++
	}
	return serial
}
