package report

import (
	"strings"
	"testing"
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
