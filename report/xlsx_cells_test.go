package report

import (
	"archive/zip"
	"bytes"
	"io"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"
)

// excelizeRow is row 2 of a sheet as excelize's StreamWriter.SetRow writes
// it: a cell with the given style and value after each of the empty ones
// before col, height points tall.
func excelizeRow(tb testing.TB, col, style int, v any, height float64) string {
	tb.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		tb.Fatal(err)
	}
	cells := make([]any, col+1)
	for i := range col {
		cells[i] = excelize.Cell{} // written, as the writer's always are
	}
	cells[col] = excelize.Cell{StyleID: style, Value: v}
	var opts []excelize.RowOpts
	if height > 0 {
		opts = append(opts, excelize.RowOpts{Height: height})
	}
	if err := sw.SetRow("A2", cells, opts...); err != nil {
		tb.Fatal(err)
	}
	if err := sw.Flush(); err != nil {
		tb.Fatal(err)
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		tb.Fatal(err)
	}
	z, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		tb.Fatal(err)
	}
	r, err := z.Open("xl/worksheets/sheet1.xml")
	if err != nil {
		tb.Fatal(err)
	}
	defer r.Close()
	sheet, err := io.ReadAll(r)
	if err != nil {
		tb.Fatal(err)
	}
	row := regexp.MustCompile(`(?s)<row r="2".*</row>`).Find(sheet)
	if row == nil {
		tb.Fatalf("no row 2 in %s", sheet)
	}
	return string(row)
}

// encodedRow is the same row as rowEncoder writes it.
func encodedRow(col, style int, v any, height float64) string {
	e := newRowEncoder(col + 1)
	b := e.startRow(nil, 2, height)
	for i := range col {
		b = e.cell(b, i, 0, nil)
	}
	return string(endRow(e.cell(b, col, style, v)))
}

// Text that excelize escapes, marks or cuts, and numbers and times at the
// edges of what cellValue passes on.
var encoderCases = map[string]any{
	"plain":              "alice@example.com",
	"empty":              "",
	"space":              " ",
	"leading space":      " lead",
	"trailing tab":       "trail\t",
	"newlines":           "a\nb\r\nc\n",
	"markup":             `<b>&"quoted"</b> 'x'`,
	"formula":            `=HYPERLINK("http://evil.example/","x")`,
	"control characters": "x\x01y\x7f\u0085\ufffe",
	"invalid UTF-8":      string([]byte{0xff, 'a', 0xc3}),
	"replacement char":   "a\ufffdb",
	"non-ASCII":          "São Paulo, BR 😀",
	"office escapes":     "_x0041_ _x005F_x0041_ _x005f_ _x005F_ _xZZZZ_ _x12",
	"surrogate escape":   "ab_xD800_cd_x0041_ef",
	"escape at end":      "_x005F_x00",
	"long":               strings.Repeat("ab😀c", 9000),
	"long ASCII":         strings.Repeat("x", excelize.TotalCellChars+1),
	"int64":              int64(math.MinInt64),
	"int32":              int32(-5),
	"int":                42,
	"float":              0.1 + 0.2,
	"negative zero":      math.Copysign(0, -1),
	"big float":          1e21,
	"17 digits":          123456789.123456789,
	"16 integer digits":  1234567890123456.0,
	"small float":        1e-7,
	"max float":          math.MaxFloat64,
	"nil":                nil,
	"1900-01-01":         time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC),
	"1900-02-28 noon":    time.Date(1900, 2, 28, 12, 0, 0, 0, time.UTC),
	"1900-03-01":         time.Date(1900, 3, 1, 0, 0, 0, 0, time.UTC),
	"nanoseconds":        time.Date(2026, 11, 26, 10, 0, 0, 123456789, time.UTC),
	"year 9999":          time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
	"year 10000":         time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
}

func TestRowEncoderMatchesExcelize(t *testing.T) {
	for name, v := range encoderCases {
		t.Run(name, func(t *testing.T) {
			for _, height := range []float64{0, 45} {
				want := excelizeRow(t, 2, 7, v, height)
				if diff := cmp.Diff(want, encodedRow(2, 7, v, height)); diff != "" {
					t.Errorf("height %v (-excelize +ours):\n%s", height, diff)
				}
			}
		})
	}
}

// FuzzRowEncoder checks rowEncoder against excelize for any text, number
// and time that cellValue passes on.
func FuzzRowEncoder(f *testing.F) {
	for _, v := range encoderCases {
		if s, ok := v.(string); ok && len(s) < 100 {
			f.Add(s, 1.5, int64(0))
		}
	}
	f.Add("", math.Inf(1), int64(-1<<62))
	f.Fuzz(func(t *testing.T, s string, x float64, nanos int64) {
		for _, v := range []any{s, x, time.Unix(0, nanos)} {
			v = cellValue(v)
			if want, got := excelizeRow(t, 0, 1, v, 0), encodedRow(0, 1, v, 0); got != want {
				t.Errorf("%#v: got %s, want %s", v, got, want)
			}
		}
	})
}

// A removal's reason joining three findings (458, 330 and 197 characters)
// gets every line it needs in an 80-wide column; only text past Excel's
// tallest row is cut.
func TestWrappedLines(t *testing.T) {
	reason := strings.Repeat("x", 458) + "\n" + strings.Repeat("y", 330) + "\n" + strings.Repeat("z", 197)
	for _, tc := range []struct {
		text string
		want int
	}{
		{"short", 1},
		{strings.Repeat("x", 79), 1},
		{strings.Repeat("x", 80), 2},
		{"a\nb", 2},
		{reason, 6 + 5 + 3},
		{strings.Repeat("x", 79*40), maxWrappedLines},
	} {
		if got := wrappedLines(tc.text, lineWidth(80)); got != tc.want {
			t.Errorf("wrappedLines(%d characters, %d lines given) = %d, want %d", len(tc.text), strings.Count(tc.text, "\n")+1, got, tc.want)
		}
	}
	if maxWrappedLines*lineHeight > 409 {
		t.Errorf("a row of %d lines is %d points high: Excel allows 409", maxWrappedLines, maxWrappedLines*lineHeight)
	}
}
