// Package words holds the wording that every command's messages share, so
// that a count reads the same in the audit's summary, its warnings and
// apply's report.
package words

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
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

// Printable is text from an input (a file name, a username) as a terminal
// may show it: a control character in it (an escape sequence, a carriage
// return, a tab or newline), a Unicode line or paragraph separator or a
// bidirectional override could clear the screen, or erase, move or forge
// lines of a summary or a log. Each is written as an escape, \x1b, \u2028
// or \u202e, and so is each byte that is not UTF-8.
func Printable(s string) string {
	clean := true
	for i, r := range s {
		if invalidAt(s, i, r) || unicode.IsControl(r) || unprintable(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		switch {
		case invalidAt(s, i, r):
			fmt.Fprintf(&b, "\\x%02x", s[i])
		case unicode.IsControl(r): // C0 and C1, all below U+0100
			fmt.Fprintf(&b, "\\x%02x", r)
		case unprintable(r):
			fmt.Fprintf(&b, "\\u%04x", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// unprintable says whether r, above the control characters, could move or
// forge text where it is shown: a bidirectional control, or a Unicode line
// or paragraph separator.
func unprintable(r rune) bool {
	return unicode.Is(unicode.Bidi_Control, r) || r == '\u2028' || r == '\u2029'
}

// invalidAt says whether rune r at byte i of s is an invalid byte rather
// than a U+FFFD written in the text.
func invalidAt(s string, i int, r rune) bool {
	if r != utf8.RuneError {
		return false
	}
	_, size := utf8.DecodeRuneInString(s[i:])
	return size == 1
}
