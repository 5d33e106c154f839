package report

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// Workbook is an XLSX report: a Summary sheet, then one data sheet per Sheet.
type Workbook struct {
	Summary Summary
	Sheets  []Sheet // written in order after the Summary sheet
}

// Sheet is one data sheet, streamed from Rows.
type Sheet struct {
	Name    string   // e.g. "Findings", "Sessions", "Removals", "Rejects"
	Columns []Column // one per column of Rows, in the same order
	Rows    Rows
	// GroupBy, when set, is the Label of the column whose value change starts
	// a new group; groups are shaded alternately so each reads as one block
	// (the Sessions sheet groups by user). Rows must arrive sorted by it.
	GroupBy string
}

// Column describes how one column of a data sheet looks.
type Column struct {
	Label string
	Width float64 // in characters; zero picks a width for the Kind
	Kind  ColumnKind
	Wrap  bool // wrap long text within Width, for free-text columns such as a finding's detail
}

// ColumnKind says how a column's values are shown. Whatever the kind, a
// time.Time value is written as an Excel date-time, a number as a number and
// anything else as text.
type ColumnKind int

const (
	Text     ColumnKind = iota // plain text, never a formula
	Time                       // date-time in UTC, shown as yyyy-mm-dd hh:mm:ss UTC
	Number                     // a number
	Severity                   // info, low, medium, high or critical, coloured by level
)

// defaultWidth is the width of a column whose Width is zero.
func (k ColumnKind) defaultWidth() float64 {
	switch k {
	case Time:
		return float64(excelTimeWidth + 2)
	case Number:
		return 12
	case Severity:
		return 11
	default:
		return 24
	}
}

const (
	// excelTime is the number format of every date-time cell. Every time
	// is in UTC, which the cell says: Salesforce shows its users local
	// times, and an analyst comparing the two should not have to guess.
	excelTime = `yyyy-mm-dd hh:mm:ss "UTC"`
	// excelTimeWidth is how many characters a cell of excelTime shows.
	excelTimeWidth = len("2006-01-02 15:04:05 UTC")
	// filterButton is the width, in characters, that an autofilter's
	// drop-down button takes from a header cell.
	filterButton = 4
	summarySheet = "Summary"
	// lineHeight is the height in points of a line of 11-point text.
	lineHeight = 15
	// maxWrappedLines caps the height of a wrapped row at Excel's largest
	// (409 points): a removal's reason that joins three findings runs to 15
	// lines and more, and rows cut shorter hid its last finding. The rest of
	// a longer text is in the cell, shown when the analyst selects it.
	maxWrappedLines = 27
)

// WriteXLSX writes wb to an XLSX file at path: the Summary sheet, then each
// data sheet streamed from its Rows, so a million-row sheet keeps memory
// bounded. Each data sheet has a bold, frozen header row with an autofilter;
// a sheet longer than Excel's 1,048,576 rows continues on "<Name> (2)",
// "<Name> (3)" and so on, each with its own header. Text is always written as
// text, never as a formula. The file is written to a temporary file beside
// path and renamed into place.
func WriteXLSX(path string, wb Workbook) error {
	return writeXLSX(path, wb, excelize.TotalRows)
}

// writeXLSX is WriteXLSX with the number of rows a sheet may hold, header
// included, so tests can split sheets without writing a million rows.
func writeXLSX(path string, wb Workbook, rowLimit int) error {
	f := excelize.NewFile()
	defer f.Close()
	st, err := newStyles(f)
	if err != nil {
		return fmt.Errorf("making the workbook's styles: %w", err)
	}
	if err := writeSummarySheet(f, st, wb.Summary); err != nil {
		return fmt.Errorf("writing the summary sheet: %w", err)
	}
	var rows []*compressedRows // every data sheet's, to splice in when the file is written
	defer func() {
		for _, r := range rows {
			r.remove()
		}
	}()
	for _, s := range wb.Sheets {
		if err := writeDataSheet(f, st, s, rowLimit, filepath.Dir(path), &rows); err != nil {
			return fmt.Errorf("writing sheet %q: %w", s.Name, err)
		}
	}
	if err := f.SetDocProps(docProps(wb.Summary)); err != nil {
		return fmt.Errorf("setting document properties: %w", err)
	}
	f.SetActiveSheet(0)
	return writeFileAtomic(path, func(out *os.File) error {
		// File.Write assembles the whole zip in a bytes.Buffer before
		// writing it, which for a million-row sheet is tens of megabytes
		// more per sheet. A zip writer of our own over the file streams
		// every part straight to disk instead, and Write's buffer stays
		// empty; it also puts each data sheet's rows into its worksheet.
		// Parts over 4 GiB (far more than a sheet of this size) would
		// miss the ZIP64 version mark that excelize patches into that
		// buffer.
		zw := newPartZipWriter(out, rows)
		f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zw })
		return f.Write(io.Discard)
	})
}

// docProps describes the workbook to file browsers and search: its title,
// that sessionaudit made it, for which as-of time and when.
func docProps(s Summary) *excelize.DocProperties {
	p := &excelize.DocProperties{
		Title:          s.Title,
		Creator:        "sessionaudit",
		LastModifiedBy: "sessionaudit",
		Description:    "Session audit as of " + formatTime(s.AsOf, summaryTime),
		Version:        s.Version,
	}
	if !s.GeneratedAt.IsZero() {
		p.Created = s.GeneratedAt.UTC().Format(time.RFC3339)
		p.Modified = p.Created
	}
	return p
}

// writeDataSheet streams s onto as many sheets as rowLimit requires, and
// adds the rows of each to rows, which wait in temporary files in tmpDir:
// the workbook's own folder, so that they need no room elsewhere (a small
// /tmp, say) and a failed run's are removed with it.
func writeDataSheet(f *excelize.File, st *styles, s Sheet, rowLimit int, tmpDir string, rows *[]*compressedRows) error {
	cols, err := s.Rows.Columns()
	if err != nil {
		return fmt.Errorf("reading column names: %w", err)
	}
	if len(cols) != len(s.Columns) {
		return fmt.Errorf("%d columns described but the source has %d (%s)", len(s.Columns), len(cols), strings.Join(cols, ", "))
	}
	group := -1
	if s.GroupBy != "" {
		for i, c := range s.Columns {
			if c.Label == s.GroupBy {
				group = i
			}
		}
		if group < 0 {
			return fmt.Errorf("group-by column %q is not among the columns", s.GroupBy)
		}
	}
	// The line width of each wrapped column; zero for the others.
	perLine := make([]int, len(s.Columns))
	for i, c := range s.Columns {
		if c.Wrap {
			perLine[i] = lineWidth(columnWidth(c))
		}
	}

	var (
		part  *sheetPart
		parts int
		band  bool // shade the current group
		seen  bool // a row has been read, so last holds its group-by value
		last  any  // the group-by value of the row before
	)
	start := func(name string) error {
		var err error
		part, err = startSheetPart(f, st, name, s.Columns, tmpDir)
		if part != nil {
			*rows = append(*rows, part.rows)
		}
		return err
	}
	err = eachRow(s.Rows, len(cols), func(vals []any) error {
		if part == nil || part.count == rowLimit {
			if part != nil {
				if err := part.finish(); err != nil {
					return err
				}
			}
			parts++
			if err := start(partName(s.Name, parts)); err != nil {
				return err
			}
		}
		for i, v := range vals {
			vals[i] = cellValue(v)
		}
		if group >= 0 {
			// The shading runs on across continuation sheets, so a group
			// split between two of them still reads as one.
			if seen && vals[group] != last {
				band = !band
			}
			seen, last = true, vals[group]
		}
		lines := 1
		for i, v := range vals {
			if text, ok := v.(string); ok && perLine[i] > 0 {
				lines = max(lines, wrappedLines(text, perLine[i]))
			}
		}
		b := part.startRow(lines)
		for i, v := range vals {
			b = part.enc.cell(b, i, st.cell(s.Columns[i], v, band), v)
		}
		part.endRow(b)
		return nil
	})
	if err != nil {
		return err
	}
	if part == nil {
		// An empty source still gets its sheet, so an analyst sees that
		// there was nothing rather than wondering where the sheet went.
		if err := start(s.Name); err != nil {
			return err
		}
	}
	return part.finish()
}

// partName names the nth sheet of a data sheet that spans several.
func partName(name string, n int) string {
	if n == 1 {
		return name
	}
	return fmt.Sprintf("%s (%d)", name, n)
}

// sheetPart is one worksheet being streamed: excelize's stream writer writes
// its frame and header row, and enc its data rows into rows.
type sheetPart struct {
	f     *excelize.File
	name  string
	cols  int
	sw    *excelize.StreamWriter
	enc   *rowEncoder
	rows  *compressedRows
	count int // rows written, header included
}

// startSheetPart adds a worksheet and writes its header: column widths, a
// frozen header row and print settings that repeat the header on each page.
func startSheetPart(f *excelize.File, st *styles, name string, columns []Column, tmpDir string) (*sheetPart, error) {
	if _, err := f.NewSheet(name); err != nil {
		return nil, fmt.Errorf("adding sheet %q: %w", name, err)
	}
	// The stream writer writes sheet properties when it starts and views
	// and columns with the first row, so they are set before either.
	if err := f.SetSheetProps(name, &excelize.SheetPropsOptions{FitToPage: ptr(true)}); err != nil {
		return nil, err
	}
	sw, err := f.NewStreamWriter(name)
	if err != nil {
		return nil, err
	}
	// The stream writer puts each width it is given before those it has,
	// and writes them in that order; Excel wants <col> elements in rising
	// order and repairs the file otherwise. So the widths go in from the
	// last column to the first.
	for i := len(columns) - 1; i >= 0; i-- {
		if err := sw.SetColWidth(i+1, i+1, columnWidth(columns[i])); err != nil {
			return nil, err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{
		Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}},
	}); err != nil {
		return nil, err
	}
	header := make([]any, len(columns))
	for i, c := range columns {
		header[i] = excelize.Cell{StyleID: st.header[c.Kind], Value: c.Label}
	}
	if err := sw.SetRow("A1", header, excelize.RowOpts{Height: 20}); err != nil {
		return nil, err
	}
	if err := f.SetPageLayout(name, &excelize.PageLayoutOptions{
		Orientation: ptr("landscape"), FitToWidth: ptr(1), FitToHeight: ptr(0),
	}); err != nil {
		return nil, err
	}
	if err := f.SetDefinedName(&excelize.DefinedName{
		Name: "_xlnm.Print_Titles", RefersTo: fmt.Sprintf("'%s'!$1:$1", name), Scope: name,
	}); err != nil {
		return nil, err
	}
	// excelize keeps a sheet made by NewSheet at this path, and saves it
	// from the stream writer; partZipWriter checks both.
	rows, err := newCompressedRows(fmt.Sprintf("xl/worksheets/sheet%d.xml", sw.SheetID), tmpDir)
	if err != nil {
		return nil, err
	}
	return &sheetPart{f: f, name: name, cols: len(columns), sw: sw, enc: newRowEncoder(len(columns)), rows: rows, count: 1}, nil
}

// startRow starts the next row, tall enough for the given number of lines,
// and returns the buffer to append its cells to and pass to endRow.
func (p *sheetPart) startRow(lines int) []byte {
	p.count++
	height := 0.0
	if lines > 1 {
		height = float64(lines) * lineHeight
	}
	return p.enc.startRow(p.rows.buffer(), p.count, height)
}

func (p *sheetPart) endRow(b []byte) { p.rows.wrote(endRow(b)) }

// lineWidth is how many characters fit on a line of a column width
// characters wide.
func lineWidth(width float64) int { return max(int(width)-1, 1) }

// wrappedLines estimates how many lines text takes when wrapped at perLine
// characters a line, up to maxWrappedLines. A wrapped row needs its height
// set: LibreOffice does not fit rows to wrapped text when it opens a file,
// and a streamed sheet cannot ask Excel to. The estimate counts a character
// as wide as a digit, which errs towards a little spare room.
func wrappedLines(text string, perLine int) int {
	if len(text) <= perLine && strings.IndexByte(text, '\n') < 0 {
		return 1 // no more characters than bytes
	}
	lines := 0
	for para := range strings.SplitSeq(text, "\n") {
		lines += max(1, (utf8.RuneCountInString(para)+perLine-1)/perLine)
		if lines >= maxWrappedLines {
			return maxWrappedLines
		}
	}
	return lines
}

// finish sets the autofilter over the header and every row, then ends the
// stream and waits for the rows to be stored.
func (p *sheetPart) finish() error {
	last, err := excelize.CoordinatesToCellName(max(p.cols, 1), p.count)
	if err != nil {
		return err
	}
	if err := p.f.AutoFilter(p.name, "A1:"+last, nil); err != nil {
		return fmt.Errorf("setting the autofilter on %q: %w", p.name, err)
	}
	p.rows.dimension = "A1:" + last
	if err := p.sw.Flush(); err != nil {
		return fmt.Errorf("finishing sheet %q: %w", p.name, err)
	}
	if err := p.rows.finish(); err != nil {
		return fmt.Errorf("finishing sheet %q: %w", p.name, err)
	}
	return nil
}

// FitWidth is the width of a text column whose longest value has chars
// characters: room for that value and a margin, but from 12 up to 60
// characters, so that a column stays wide enough to read and one long value
// does not push the rest of the sheet off the screen. (Wider values are
// clipped, and shown whole when the analyst selects the cell.)
func FitWidth(chars int) float64 {
	return float64(min(max(chars+2, 12), 60))
}

// columnWidth is c's width, wide enough for its label beside the filter button.
func columnWidth(c Column) float64 {
	w := c.Width
	if w <= 0 {
		w = c.Kind.defaultWidth()
	}
	w = max(w, float64(len([]rune(c.Label))+filterButton))
	return min(w, excelize.MaxColumnWidth)
}

// cellValue turns a scanned value into one the stream writer stores with the
// right type: text as an inline string (never a formula), numbers as
// numbers, times as date-times in UTC to the second.
func cellValue(v any) any {
	// Values that need no change are returned as they came, not boxed
	// anew: a row of a large sheet should not allocate.
	switch x := v.(type) {
	case nil, string, int64, int32, int:
		return v
	case bool:
		// As text, as in the CSV reports: spreadsheet programs disagree on
		// how to show a boolean cell (TRUE, or 1).
		if x {
			return "true"
		}
		return "false"
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Sprint(x) // a cell cannot hold them as numbers
		}
		return v
	case float32:
		return cellValue(float64(x))
	case []byte:
		return string(x)
	case time.Time:
		if x.Year() < 1900 {
			return x.UTC().Format(csvTime) // before Excel's epoch
		}
		// To the second, as the CSV reports write it: a spreadsheet rounds
		// the seconds it shows, so 23:59:59.6 would read as the next day.
		if x.Location() != time.UTC || x.Nanosecond() != 0 {
			return x.UTC().Truncate(time.Second)
		}
		return v
	default:
		return fmt.Sprint(v)
	}
}

func ptr[T any](v T) *T { return &v }
