// Package words holds the wording that every command's messages share, so
// that a count reads the same in the audit's summary, its warnings and
// apply's report.
package words

import (
	"strconv"
	"strings"
)

// Count is n followed by the noun that agrees with it, with thousands
// separated: "1 session", "0 sessions", "1,234 sessions".
func Count[N ~int | ~int64](n N, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return Thousands(int64(n)) + " " + many
}

// Thousands writes n with a comma between each group of three digits:
// "3,000", "-12,345".
func Thousands(n int64) string {
	digits := strconv.FormatInt(n, 10)
	sign := ""
	if n < 0 {
		sign, digits = "-", digits[1:]
	}
	var b strings.Builder
	b.WriteString(sign)
	for i, d := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(d)
	}
	return b.String()
}
