package report

import (
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"
)

// writeSummarySheet lays the summary out on the workbook's first sheet so an
// analyst sees the audit at a glance: when it ran and what it proposes, the
// inputs with their row accounting and time coverage, then the findings of
// each check by severity.
func writeSummarySheet(f *excelize.File, st *styles, s Summary) error {
	if err := f.SetSheetName(f.GetSheetName(0), summarySheet); err != nil {
		return err
	}
	w := &summaryWriter{f: f, st: st, widths: map[int]float64{}}
	title := s.Title
	if title == "" {
		title = "Session audit"
	}
	w.overflowing(1, title, st.title)
	w.skip(2)

	var findings int64
	if len(s.Checks) > 0 {
		findings = checkTotals(s.Checks)[len(severities)]
	}
	for _, kv := range []struct {
		label string
		time  time.Time
	}{
		{"As of", s.AsOf},
		{"Generated at", s.GeneratedAt},
	} {
		w.set(1, kv.label, st.label)
		w.setTime(2, kv.time, st.valueTime)
		w.skip(1)
	}
	var withheld any // no line when none was left off
	var withheldWhy string
	if n, why := withheldCounts(s.Withheld); n > 0 {
		withheld, withheldWhy = n, "("+why+"; see the Sessions sheet)"
	}
	for _, kv := range []struct {
		label string
		value any    // text runs on over the empty cells beside it
		note  string // beside a count
	}{
		{"Version", s.Version, ""},
		{"Policy", s.Policy, ""},
		{"Findings", findings, ""},
		{"Sessions proposed for removal", s.Removals, ""},
		{"Reached, left off the list", withheld, withheldWhy},
		{"Input rows rejected", s.Rejects, ""},
	} {
		if kv.value == nil {
			continue
		}
		w.set(1, kv.label, st.label)
		if text, ok := kv.value.(string); ok {
			w.overflowing(2, text, st.value)
		} else {
			w.set(2, kv.value, st.value)
		}
		if kv.note != "" {
			w.overflowing(3, kv.note, st.note)
		}
		w.skip(1)
	}
	writeInputsTable(w, s.Inputs)
	writeChecksTable(w, s.Checks)
	if len(s.Warnings) > 0 {
		w.skip(1)
		w.heading("Warnings")
		for _, line := range s.Warnings {
			w.paragraph(line, st.paragraph)
			w.skip(1)
		}
	}
	w.skip(1)
	w.heading("Reading this workbook")
	for _, line := range readingNotes {
		w.paragraph(line, st.paragraph)
		w.skip(1)
	}
	if w.err != nil {
		return w.err
	}
	if err := f.SetPageLayout(summarySheet, &excelize.PageLayoutOptions{
		Orientation: ptr("landscape"), FitToWidth: ptr(1), FitToHeight: ptr(0),
	}); err != nil {
		return err
	}
	if err := f.SetSheetProps(summarySheet, &excelize.SheetPropsOptions{FitToPage: ptr(true)}); err != nil {
		return err
	}
	if err := w.setDimension(); err != nil {
		return err
	}
	return w.applyWidths()
}

// writeInputsTable writes the Inputs table: each file's row accounting and
// the time it covers, a total row when there are several, and the lines
// that say whether every row read is accounted for.
func writeInputsTable(w *summaryWriter, inputs []InputStats) {
	w.skip(1)
	w.heading("Inputs")
	for i, label := range []string{"File", "Kind", "Format", "Read", "Loaded", "Duplicates", "Rejected", "Earliest", "Latest"} {
		style := w.st.header[Text]
		switch {
		case i >= 7:
			style = w.st.header[Time]
		case i >= 3:
			style = w.st.header[Number]
		}
		w.set(i+1, label, style)
	}
	w.height(18)
	w.skip(1)
	if len(inputs) == 0 {
		w.overflowing(1, "none", w.st.note)
		w.skip(1)
	}
	var sums [4]int64
	for _, in := range inputs {
		w.set(1, in.File, 0)
		w.set(2, in.Kind, 0)
		w.set(3, in.Format, 0)
		for i, n := range []int64{in.Read, in.Loaded, in.Duplicates, in.Rejected} {
			w.set(4+i, n, w.st.count)
			sums[i] += n
		}
		switch {
		case in.timeless(): // a users or LoginGeo export's times are left empty
		case in.empty():
			w.set(8, "no rows", w.st.unknown)
		default:
			w.setTime(8, in.Earliest, w.st.timeCell)
			w.setTime(9, in.Latest, w.st.timeCell)
		}
		w.skip(1)
	}
	if len(inputs) > 1 {
		w.set(1, "Total", w.st.total)
		for col := 2; col <= 9; col++ {
			w.set(col, nil, w.st.total)
		}
		for i, n := range sums {
			w.set(4+i, n, w.st.countTotal)
		}
		w.skip(1)
	}
	for _, line := range accounting(inputs) {
		w.overflowing(1, line, w.st.note)
		w.skip(1)
	}
}

// writeChecksTable writes the Findings by check table: each check's
// findings by severity, or why it could not judge, and a total row.
func writeChecksTable(w *summaryWriter, checks []CheckStats) {
	w.skip(1)
	w.heading("Findings by check")
	w.set(1, "Check", w.st.header[Text])
	w.set(2, "ID", w.st.header[Text])
	w.set(3, "Base severity", w.st.header[Text])
	for i, sev := range severities {
		w.set(4+i, title1(sev), w.st.severityHeader[sev])
	}
	w.set(9, "Total", w.st.header[Number])
	w.height(18)
	w.skip(1)
	if len(checks) == 0 {
		w.overflowing(1, "no checks ran", w.st.note)
		w.skip(1)
	}
	for _, c := range checks {
		w.set(1, c.Title, 0)
		w.set(2, c.ID, 0)
		w.set(3, c.Severity, w.st.severity[c.Severity])
		if c.NotChecked != "" {
			// The reason reads beside the counts it replaces.
			w.overflowing(4, "not checked: "+c.NotChecked, w.st.note)
			w.skip(1)
			continue
		}
		for i, n := range c.row() {
			w.set(4+i, n, w.st.count)
		}
		w.skip(1)
	}
	if len(checks) > 0 {
		w.set(1, "Total", w.st.total)
		w.set(2, nil, w.st.total)
		w.set(3, nil, w.st.total)
		for i, n := range checkTotals(checks) {
			w.set(4+i, n, w.st.countTotal)
		}
		w.skip(1)
	}
}

// readingNotes end the Summary sheet: what an analyst needs to read the
// other sheets without the README.
var readingNotes = []string{
	"Findings: one row per finding, most severe first. Detail says what was found and why it matters; Observed at dates it (a session's creation, the suspect login, a burst's first login, the far place's latest session for concurrent sessions). Every time in this workbook is UTC.",
	"Base severity is a check's usual severity. A check rates each finding by what it found (a failed-login burst followed by a success is high, a new network in a familiar country low), and the counts above are by the findings' own severity.",
	"Sessions: every live session, as Setup > Session Management lists them, grouped by user. Flags names the checks whose findings reach the session; blank means none did. Removal proposed is yes for a session on the removal list, or says why a session that a removing check reached is left off it.",
	"Removals: the sessions proposed for removal, with their findings as the reason. Nothing is removed from this workbook: mark the approve column of removals.csv, then run sessionaudit approve and sessionaudit apply.",
	"Rejects: every input row that was not loaded, with its file, line, field and the reason.",
}

// summaryWriter writes the summary sheet row by row, remembering the widest
// value of each column so the columns can be sized to fit.
type summaryWriter struct {
	f      *excelize.File
	st     *styles
	row    int // 0-based until the first set; rows are 1-based
	widths map[int]float64
	// The last row and column written, for the sheet's dimension.
	lastRow, lastCol int
	err              error
}

func (w *summaryWriter) cell(col int) string {
	name, err := excelize.CoordinatesToCellName(col, w.row+1)
	if err != nil && w.err == nil {
		w.err = err
	}
	w.lastRow, w.lastCol = max(w.lastRow, w.row+1), max(w.lastCol, col)
	return name
}

// setDimension records the range the sheet's cells take, which excelize
// leaves at A1: readers that size a sheet by it (openpyxl in read-only mode,
// for one) would see a single cell.
func (w *summaryWriter) setDimension() error {
	last, err := excelize.CoordinatesToCellName(max(w.lastCol, 1), max(w.lastRow, 1))
	if err != nil {
		return err
	}
	return w.f.SetSheetDimension(summarySheet, "A1:"+last)
}

// set writes v (text, a count or nil for a styled empty cell) into the
// current row. Text goes in as a string cell, never a formula.
func (w *summaryWriter) set(col int, v any, style int) {
	if w.err != nil {
		return
	}
	ref := w.cell(col)
	var width float64
	switch v := v.(type) {
	case string:
		w.err = w.f.SetCellStr(summarySheet, ref, v)
		width = float64(len([]rune(v)))
	case int64:
		w.err = w.f.SetCellInt(summarySheet, ref, v)
		width = float64(len(strconv.FormatInt(v, 10))) * 4 / 3 // room for thousands separators
	}
	w.widths[col] = max(w.widths[col], width)
	if style != 0 && w.err == nil {
		w.err = w.f.SetCellStyle(summarySheet, ref, ref, style)
	}
}

// overflowing writes text into a column of the current row without widening
// the column: the text runs on across the empty cells beside it, and the
// column keeps the width of the table it belongs to.
func (w *summaryWriter) overflowing(col int, text string, style int) {
	width := w.widths[col]
	w.set(col, text, style)
	w.widths[col] = width
}

// setTime writes t, to the second, as a date-time in the given style, or
// "unknown" when t is zero.
func (w *summaryWriter) setTime(col int, t time.Time, style int) {
	if t.IsZero() {
		w.set(col, "unknown", w.st.unknown)
		return
	}
	if w.err != nil {
		return
	}
	ref := w.cell(col)
	w.err = w.f.SetCellValue(summarySheet, ref, t.UTC().Truncate(time.Second)) // as cellValue writes a time
	if w.err == nil {
		w.err = w.f.SetCellStyle(summarySheet, ref, ref, style)
	}
	w.widths[col] = max(w.widths[col], float64(excelTimeWidth))
}

// summaryCols is how many columns the Summary sheet's sections span: the
// Inputs and Findings by check tables have nine each.
const summaryCols = 9

// heading writes a section heading underlined across the sheet's columns.
func (w *summaryWriter) heading(text string) {
	w.set(1, text, w.st.heading)
	for col := 2; col <= summaryCols; col++ {
		w.set(col, nil, w.st.heading)
	}
	w.height(22)
	w.skip(1)
}

// paragraph writes text wrapped across the sheet's columns in the current
// row, which it makes tall enough for the text (at some 100 characters a
// line: the columns are sized only at the end).
func (w *summaryWriter) paragraph(text string, style int) {
	if w.err != nil {
		return
	}
	first, last := w.cell(1), w.cell(summaryCols)
	if w.err = w.f.SetCellStr(summarySheet, first, text); w.err != nil {
		return
	}
	if w.err = w.f.MergeCell(summarySheet, first, last); w.err != nil {
		return
	}
	if w.err = w.f.SetCellStyle(summarySheet, first, last, style); w.err != nil {
		return
	}
	lines := (len([]rune(text)) + 99) / 100
	w.height(float64(max(lines, 1)) * 15)
}

// height sets the height of the current row in points.
func (w *summaryWriter) height(points float64) {
	if w.err == nil {
		w.err = w.f.SetRowHeight(summarySheet, w.row+1, points)
	}
}

func (w *summaryWriter) skip(rows int) { w.row += rows }

// applyWidths sizes each column to its widest value, within limits that keep
// one long file name from pushing the tables off the screen.
func (w *summaryWriter) applyWidths() error {
	for col, width := range w.widths {
		name, err := excelize.ColumnNumberToName(col)
		if err != nil {
			return err
		}
		if err := w.f.SetColWidth(summarySheet, name, name, min(max(width+2, 10), 60)); err != nil {
			return err
		}
	}
	return nil
}

// title1 capitalises the first letter of an ASCII word.
func title1(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
