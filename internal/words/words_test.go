package words

import (
	"math"
	"testing"
)

func TestCount(t *testing.T) {
	for _, c := range []struct {
		n    int64
		want string
	}{
		{0, "0 sessions"}, {1, "1 session"}, {2, "2 sessions"}, {999, "999 sessions"},
		{1000, "1,000 sessions"}, {1234567, "1,234,567 sessions"}, {-1, "-1 sessions"},
	} {
		if got := Count(c.n, "session", "sessions"); got != c.want {
			t.Errorf("Count(%d) = %q, want %q", c.n, got, c.want)
		}
	}
	if got := Count(1, "row", "rows"); got != "1 row" {
		t.Errorf("Count of an int: %q", got)
	}
}

func TestThousands(t *testing.T) {
	for _, c := range []struct {
		n    int64
		want string
	}{
		{0, "0"}, {7, "7"}, {123, "123"}, {999, "999"}, {1000, "1,000"}, {12040, "12,040"},
		{999999, "999,999"}, {1008355, "1,008,355"}, {-999, "-999"}, {-1000, "-1,000"},
		{math.MinInt64, "-9,223,372,036,854,775,808"},
	} {
		if got := Thousands(c.n); got != c.want {
			t.Errorf("Thousands(%d) = %q, want %q", c.n, got, c.want)
		}
	}
}

// Control characters, bidirectional overrides and bytes that are not UTF-8
// are escaped; other text, a U+FFFD written in it and accents included,
// stays as it is.
func TestPrintable(t *testing.T) {
	for in, want := range map[string]string{
		"logins.csv":                      "logins.csv",
		"São Paulo \uFFFD.csv":            "São Paulo \uFFFD.csv",
		"a\x1b[2Jb":                       `a\x1b[2Jb`,
		"x\ntime=1 level=INFO msg=forged": `x\x0atime=1 level=INFO msg=forged`,
		"cr\rtab\t":                       `cr\x0dtab\x09`,
		"c1\u009b2J":                      `c1\x9b2J`,
		"bidi\u202eosc.csv":               `bidi\u202eosc.csv`,
		"line\u2028sep.csv":               `line\u2028sep.csv`,
		"paragraph\u2029sep.csv":          `paragraph\u2029sep.csv`,
		"latin-1 \xe9.csv":                `latin-1 \xe9.csv`,
	} {
		if got := Printable(in); got != want {
			t.Errorf("Printable(%q) = %q, want %q", in, got, want)
		}
	}
}
