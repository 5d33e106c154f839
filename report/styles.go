package report

import (
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// Colours of the workbook, as RGB hex.
const (
	headerFill = "1F4E78" // dark blue behind white header text
	bandFill   = "EDF2F8" // every other group of a grouped sheet
	totalFill  = "F2F2F2" // totals rows of the summary tables
)

// severityColours are the fill and text colours of each severity.
var severityColours = map[string]struct{ fill, font string }{
	"critical": {"7B1010", "FFFFFF"},
	"high":     {"E0393E", "FFFFFF"},
	"medium":   {"F5A03A", "000000"},
	"low":      {"FFE36E", "000000"},
	"info":     {"D9D9D9", "000000"},
}

// styles holds the style ids a workbook uses, made once up front: creating a
// style per cell would make a million-row sheet crawl.
type styles struct {
	header   map[ColumnKind]int // aligned as the column's values are
	text     [2][2]int          // [wrap][band]
	number   [2]int             // [band]
	time     [2]int             // [band]
	severity map[string]int     // by lower-case severity

	// The summary sheet's own.
	title, heading, label, value, note, paragraph, unknown int
	count, total, countTotal, timeCell                     int
	valueTime                                              int // a time beside a label, aligned as st.value
	severityHeader                                         map[string]int
}

func newStyles(f *excelize.File) (*styles, error) {
	st := &styles{header: map[ColumnKind]int{}, severity: map[string]int{}, severityHeader: map[string]int{}}
	var err error
	add := func(s *excelize.Style) int {
		if err != nil {
			return 0
		}
		var id int
		id, err = f.NewStyle(s)
		return id
	}
	// Times and severities are centred and numbers kept off the next
	// column by an indent, so neither runs into the text beside it.
	for _, kind := range []ColumnKind{Text, Time, Number, Severity} {
		st.header[kind] = add(&excelize.Style{
			Font:      font(excelize.Font{Bold: true, Color: "FFFFFF"}),
			Fill:      solid(headerFill),
			Alignment: &excelize.Alignment{Vertical: "center", Horizontal: kind.align(), Indent: kind.indent()},
		})
	}
	numberAlign := &excelize.Alignment{Horizontal: Number.align(), Indent: Number.indent(), Vertical: "center"}
	for wrap := range 2 {
		for band := range 2 {
			st.text[wrap][band] = add(&excelize.Style{
				Fill:      bandOf(band),
				Alignment: &excelize.Alignment{Vertical: "top", WrapText: wrap == 1},
			})
		}
	}
	for band := range 2 {
		st.time[band] = add(&excelize.Style{
			Fill: bandOf(band), CustomNumFmt: ptr(excelTime),
			Alignment: &excelize.Alignment{Vertical: "top", Horizontal: Time.align()},
		})
		st.number[band] = add(&excelize.Style{
			Fill:      bandOf(band),
			Alignment: &excelize.Alignment{Vertical: "top", Horizontal: Number.align(), Indent: Number.indent()},
		})
	}
	// In a fixed order, so that the same audit writes the same file.
	for _, sev := range severities {
		c := severityColours[sev]
		st.severity[sev] = add(&excelize.Style{
			Font:      font(excelize.Font{Bold: true, Color: c.font}),
			Fill:      solid(c.fill),
			Alignment: &excelize.Alignment{Horizontal: Severity.align(), Vertical: "top"},
		})
		st.severityHeader[sev] = add(&excelize.Style{
			Font:      font(excelize.Font{Bold: true, Color: c.font}),
			Fill:      solid(c.fill),
			Alignment: numberAlign,
		})
	}
	st.title = add(&excelize.Style{Font: font(excelize.Font{Bold: true, Size: 16, Color: headerFill})})
	st.heading = add(&excelize.Style{
		Font:   font(excelize.Font{Bold: true, Size: 12, Color: headerFill}),
		Border: []excelize.Border{{Type: "bottom", Color: headerFill, Style: 2}},
	})
	st.label = add(&excelize.Style{Font: font(excelize.Font{Bold: true})})
	st.value = add(&excelize.Style{NumFmt: 3, Alignment: &excelize.Alignment{Horizontal: "left"}})
	st.note = add(&excelize.Style{Font: font(excelize.Font{Italic: true, Color: "595959"})})
	st.paragraph = add(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	st.unknown = add(&excelize.Style{Font: font(excelize.Font{Italic: true, Color: "595959"}), Alignment: &excelize.Alignment{Horizontal: Time.align()}})
	st.count = add(&excelize.Style{NumFmt: 3, Alignment: numberAlign}) // #,##0
	totalBorder := []excelize.Border{{Type: "top", Color: "808080", Style: 1}}
	st.total = add(&excelize.Style{Font: font(excelize.Font{Bold: true}), Fill: solid(totalFill), Border: totalBorder})
	st.countTotal = add(&excelize.Style{NumFmt: 3, Font: font(excelize.Font{Bold: true}), Fill: solid(totalFill), Border: totalBorder, Alignment: numberAlign})
	st.timeCell = add(&excelize.Style{CustomNumFmt: ptr(excelTime), Alignment: &excelize.Alignment{Horizontal: Time.align()}})
	st.valueTime = add(&excelize.Style{CustomNumFmt: ptr(excelTime), Alignment: &excelize.Alignment{Horizontal: "left"}})
	return st, err
}

// cell is the style of value v in column c of a row in a shaded group or not.
func (st *styles) cell(c Column, v any, band bool) int {
	b := 0
	if band {
		b = 1
	}
	switch v := v.(type) {
	case string:
		if c.Kind == Severity {
			if id, ok := st.severity[strings.ToLower(strings.TrimSpace(v))]; ok {
				return id
			}
		}
	case time.Time:
		return st.time[b]
	case int64, int32, int, float64:
		return st.number[b]
	}
	w := 0
	if c.Wrap {
		w = 1
	}
	return st.text[w][b]
}

// align is the horizontal alignment of a kind's values and header.
func (k ColumnKind) align() string {
	switch k {
	case Time, Severity:
		return "center"
	case Number:
		return "right"
	default:
		return "left"
	}
}

// indent keeps right-aligned numbers off the column to their right.
func (k ColumnKind) indent() int {
	if k == Number {
		return 1
	}
	return 0
}

// font is f in the workbook's font. A style whose font has no family shows
// in a serif fallback in some spreadsheet programs, beside Calibri cells.
func font(f excelize.Font) *excelize.Font {
	f.Family = "Calibri"
	if f.Size == 0 {
		f.Size = 11
	}
	return &f
}

func solid(colour string) excelize.Fill {
	return excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{colour}}
}

// bandOf is the fill of a row in a shaded group (band 1) or not (band 0).
func bandOf(band int) excelize.Fill {
	if band == 1 {
		return solid(bandFill)
	}
	return excelize.Fill{}
}
