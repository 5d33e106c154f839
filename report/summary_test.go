package report

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"
)

func TestWriteSummaryText(t *testing.T) {
	var b strings.Builder
	if err := WriteSummaryText(&b, sampleSummary()); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "summary.txt.golden", []byte(b.String()))
}

func TestWriteSummaryTextFlagsUnbalancedInputs(t *testing.T) {
	s := Summary{Inputs: []InputStats{
		{File: "ok.csv", Read: 3, Loaded: 2, Duplicates: 1},
		{File: "short.csv", Read: 10, Loaded: 7, Rejected: 2},
	}}
	var b strings.Builder
	if err := WriteSummaryText(&b, s); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	if want := "MISMATCH in short.csv: read 10, but loaded + duplicates + rejected = 9"; !strings.Contains(got, want) {
		t.Errorf("got\n%s\nwant a line %q", got, want)
	}
	if strings.Contains(got, "ok.csv: read") || strings.Contains(got, "Every row read is accounted for") {
		t.Errorf("got\n%s\nwant only short.csv flagged", got)
	}
}

func TestWriteSummaryTextAddsUpManyPages(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 11, d, 0, 0, 0, 0, time.UTC) }
	s := Summary{Inputs: []InputStats{{File: "users.csv", Kind: "users", Format: "Bulk API CSV", Read: 5, Loaded: 5}}}
	for i := 1; i <= 14; i++ {
		in := InputStats{File: fmt.Sprintf("logins-%04d.json", i), Kind: "logins", Format: "REST JSON",
			Read: 10, Loaded: 10, Earliest: day(i), Latest: day(i + 1)}
		if i == 3 {
			in.Loaded, in.Rejected = 8, 2
		}
		if i == 9 {
			in.Loaded, in.Duplicates = 9, 1
		}
		s.Inputs = append(s.Inputs, in)
	}
	var b strings.Builder
	if err := WriteSummaryText(&b, s); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, line := range strings.Split(b.String(), "\n") {
		if f := strings.Fields(line); len(f) > 0 && (strings.HasPrefix(f[0], "logins-") || strings.HasPrefix(f[0], "(") || f[0] == "users.csv") {
			got = append(got, strings.Join(f, " "))
		}
	}
	want := []string{
		"users.csv users Bulk API CSV 5 5 0 0 -",
		"logins-0003.json logins REST JSON 10 8 0 2 2026-11-03 00:00 to 2026-11-04 00:00",
		"logins-0009.json logins REST JSON 10 9 1 0 2026-11-09 00:00 to 2026-11-10 00:00",
		"(12 more files) logins REST JSON 120 120 0 0 2026-11-01 00:00 to 2026-11-15 00:00",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("inputs table (-want +got):\n%s", diff)
	}
	if !strings.Contains(b.String(), "Every row read is accounted for") {
		t.Errorf("got\n%s\nwant the accounting line", b.String())
	}
}

// TestWriteSummaryTextSingular checks that a count of one reads in the
// singular and any other count in the plural.
func TestWriteSummaryTextSingular(t *testing.T) {
	for _, c := range []struct {
		name  string
		n     int64
		files int // logins pages, all but the last with a rejected row
		want  []string
	}{
		{"one", 1, 11, []string{"Removals: 1 session proposed for removal", "Rejects:  1 input row not loaded", "(1 more file) "}},
		{"two", 2, 12, []string{"Removals: 2 sessions proposed for removal", "Rejects:  2 input rows not loaded", "(2 more files) "}},
		{"none", 0, 0, []string{"Removals: 0 sessions proposed for removal", "Rejects:  0 input rows not loaded"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := Summary{Removals: c.n, Rejects: c.n}
			for i := range c.files {
				in := InputStats{File: fmt.Sprintf("logins-%04d.json", i), Kind: "logins", Format: "REST JSON", Read: 10, Loaded: 10}
				if i < textFiles {
					in.Loaded, in.Rejected = 9, 1
				}
				s.Inputs = append(s.Inputs, in)
			}
			var b strings.Builder
			if err := WriteSummaryText(&b, s); err != nil {
				t.Fatal(err)
			}
			for _, want := range c.want {
				if !strings.Contains(b.String(), want) {
					t.Errorf("got\n%s\nwant it to contain %q", b.String(), want)
				}
			}
		})
	}
}

// The sessions left off the removal list are counted beside it, by reason;
// with none, the line says nothing of them.
func TestWriteSummaryTextWithheld(t *testing.T) {
	for _, c := range []struct {
		name     string
		withheld []Withheld
		removals int64
		want     string
	}{
		{"two reasons", []Withheld{{"protected user", 3}, {"held back, no username", 1}}, 7,
			"Removals: 7 sessions proposed for removal; 4 more sessions that findings reached are left off it (protected user: 3; held back, no username: 1; see the Sessions sheet)\n"},
		{"one", []Withheld{{"protected user", 1}}, 7, "; 1 more session that findings reached is left off it (protected user: 1; see the Sessions sheet)\n"},
		{"none proposed", []Withheld{{"protected user", 2}}, 0,
			"Removals: 0 sessions proposed for removal; 2 sessions that findings reached are left off it (protected user: 2; see the Sessions sheet)\n"},
		{"none", nil, 7, "Removals: 7 sessions proposed for removal\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var b strings.Builder
			if err := WriteSummaryText(&b, Summary{Removals: c.removals, Withheld: c.withheld}); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(b.String(), c.want) {
				t.Errorf("got\n%s\nwant it to contain %q", b.String(), c.want)
			}
		})
	}
}

// Each warning closes the text summary as a line of its own.
func TestWriteSummaryTextWarnings(t *testing.T) {
	var b strings.Builder
	if err := WriteSummaryText(&b, Summary{Warnings: []string{"First thing.", "Second thing."}}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(b.String(), "\nWarning: First thing.\n\nWarning: Second thing.\n") {
		t.Errorf("got\n%s\nwant it to end with both warnings", b.String())
	}
	b.Reset()
	if err := WriteSummaryText(&b, Summary{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "Warning") {
		t.Errorf("got\n%s\nwant no warning", b.String())
	}
}

// File names and warnings come from the inputs: an escape sequence or a
// line break in one is written escaped, so that it cannot rewrite the
// analyst's terminal or forge a line of the log a cron job mails.
func TestWriteSummaryTextEscapesControlCharacters(t *testing.T) {
	s := Summary{
		Policy:   "p\x1b[2J.yaml",
		Inputs:   []InputStats{{File: "logins-\x1b[31m\ntime=1 level=INFO msg=forged\xff.csv", Kind: "logins", Format: "Bulk API CSV", Read: 1, Loaded: 1}},
		Warnings: []string{"None of the 2 rows of x\u202e\rcsv.txt could be loaded."},
	}
	var b strings.Builder
	if err := WriteSummaryText(&b, s); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	if i := strings.IndexFunc(got, func(r rune) bool { return r != '\n' && (unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r)) }); i >= 0 {
		t.Errorf("got %q, with a control character at %d", got, i)
	}
	if !utf8.ValidString(got) {
		t.Errorf("got %q, not UTF-8", got)
	}
	for _, want := range []string{`Policy: p\x1b[2J.yaml`, `logins-\x1b[31m\x0atime=1 level=INFO msg=forged\xff.csv  logins`, `Warning: None of the 2 rows of x\u202e\x0dcsv.txt could be loaded.`} {
		if !strings.Contains(got, want) {
			t.Errorf("got\n%s\nwant it to hold %s", got, want)
		}
	}
}

// A check that had nothing to judge reads "not checked", with why, in both
// summaries, where a check that judged and found nothing (the near miss)
// reads zeros.
func TestSummaryNotChecked(t *testing.T) {
	s := sampleSummary()
	s.Checks = []CheckStats{
		{ID: "impossible_travel", Title: "Impossible travel", Severity: "high", Counts: map[string]int64{},
			NotChecked: "no successful login outside trusted networks has coordinates"},
		{ID: "ip_denied", Title: "Denied network", Severity: "high", Counts: map[string]int64{}},
	}
	var b strings.Builder
	if err := WriteSummaryText(&b, s); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, line := range strings.Split(b.String(), "\n") {
		if f := strings.Fields(line); len(f) > 0 && (f[0] == "impossible_travel" || f[0] == "ip_denied") {
			got = append(got, strings.Join(f, " "))
		}
	}
	want := []string{
		"impossible_travel - - - - - not checked Impossible travel (not checked: no successful login outside trusted networks has coordinates)",
		"ip_denied 0 0 0 0 0 0 Denied network",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("text summary's rows (-want +got):\n%s", diff)
	}

	wb := sampleWorkbook(1)
	wb.Summary = s
	f := mustWriteXLSX(t, wb, excelize.TotalRows)
	rows, err := f.GetRows(summarySheet)
	if err != nil {
		t.Fatal(err)
	}
	got = nil
	for _, r := range rows {
		if len(r) > 1 && (r[1] == "impossible_travel" || r[1] == "ip_denied") {
			got = append(got, strings.Join(r, "|"))
		}
	}
	want = []string{
		"Impossible travel|impossible_travel|high|not checked: no successful login outside trusted networks has coordinates",
		"Denied network|ip_denied|high|0|0|0|0|0|0",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Summary sheet's rows (-want +got):\n%s", diff)
	}
}
