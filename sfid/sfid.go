// Package sfid reads Salesforce record Ids. It is the one place that knows
// their two forms and their objects' key prefixes: analyze (policy Ids), apply (Ids that reach a query or a
// delete) and gen (the Ids it writes) all use it. The load does the same in
// SQL, for speed (sa_id18 in ingest/macros.sql), and a test of ingest holds
// the two to the same answers.
//
// A 15-character Id is case-sensitive. Its 18-character form appends a
// case-safe suffix: each 5-character chunk of the 15 gives a 5-bit mask of
// its capitals (first character lowest), which picks a character of
// ABCDEFGHIJKLMNOPQRSTUVWXYZ012345. Both forms name one record.
package sfid

import (
	"fmt"
	"regexp"
)

const suffixAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"

// The key prefixes of the objects whose Ids the exports carry: an Id begins
// with its object's, the same in every org. The load, the removal list and
// the policy each refuse an Id of another object where one of these belongs.
const (
	AuthSession  = "0Ak"
	LoginHistory = "0Ya"
	LoginGeo     = "04F"
	User         = "005"
)

// Suffix returns the case-safe suffix of the first 15 characters of id15.
func Suffix[T string | []byte](id15 T) [3]byte {
	var out [3]byte
	for chunk := range 3 {
		mask := 0
		for i := range 5 {
			if c := id15[chunk*5+i]; 'A' <= c && c <= 'Z' {
				mask |= 1 << i
			}
		}
		out[chunk] = suffixAlphabet[mask]
	}
	return out
}

// Shaped says whether s has the shape of an Id, 15 or 18 letters and
// digits, whether or not its suffix agrees with it.
func Shaped(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isDigit(c) && !isLetter(c) {
			return false
		}
	}
	return len(s) == 15 || len(s) == 18
}

// Normalize returns the 18-character form of a Salesforce Id given in either
// form, so that both forms of one record compare equal, or an error saying
// why id is none.
//
// The suffix of an 18-character Id may be in any case: that is its purpose.
// Its first 15 characters must then be capitalised as the suffix says, or be
// all in one case (an Id that went through upper- or lower-casing), which the
// suffix puts right. An Id in mixed case that disagrees with its suffix is
// refused: it might be either of two records.
func Normalize(id string) (string, error) {
	for i := 0; i < len(id); i++ {
		if c := id[i]; !isDigit(c) && !isLetter(c) {
			return "", fmt.Errorf("the Id %q has a character that is not a letter or a digit", id)
		}
	}
	if len(id) != 15 && len(id) != 18 {
		return "", fmt.Errorf("the Id %q has %d characters, want 15 or 18", id, len(id))
	}
	suffix := Suffix(id)
	if len(id) == 15 {
		return id + string(suffix[:]), nil
	}
	given := [3]byte{upper(id[15]), upper(id[16]), upper(id[17])}
	if given == suffix {
		return id[:15] + string(given[:]), nil
	}
	if !oneCase(id[:15]) {
		return "", fmt.Errorf("the Id %q has the suffix %q, want %q for its first 15 characters", id, id[15:], string(suffix[:]))
	}
	b := []byte(id[:15])
	for chunk, s := range given {
		mask := indexByte(suffixAlphabet, s)
		if mask < 0 {
			return "", fmt.Errorf("the Id %q has the suffix %q, which no 15 characters give", id, id[15:])
		}
		for i := range 5 {
			p := chunk*5 + i
			capital := mask&(1<<i) != 0
			switch {
			case isDigit(b[p]) && capital:
				return "", fmt.Errorf("the Id %q has the suffix %q, which marks a digit as a capital", id, id[15:])
			case capital:
				b[p] = upper(b[p])
			default:
				b[p] = lower(b[p])
			}
		}
	}
	return string(b) + string(given[:]), nil
}

// oneCase says whether the letters of s are all capitals or all small.
func oneCase(s string) bool {
	var caps, smalls bool
	for i := 0; i < len(s); i++ {
		caps = caps || 'A' <= s[i] && s[i] <= 'Z'
		smalls = smalls || 'a' <= s[i] && s[i] <= 'z'
	}
	return !(caps && smalls)
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

func isDigit(c byte) bool  { return '0' <= c && c <= '9' }
func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func upper(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c - 'A' + 'a'
	}
	return c
}

// A session Id needs no word boundary before it: in a URL or a form it
// follows "sid=", "sid%3D", "sid_" or "x", whose last letter would hide it
// from \b; its "!" may be URL-encoded (%21). The word bearer needs no letter
// before it (a "pallbearer" is no token), and the space after it may be
// URL-encoded (%20 or +).
var (
	bearerPattern    = regexp.MustCompile(`(?i)(^|[^A-Za-z])bearer(?:\s|%20|\+)+[A-Za-z0-9._~+/!=%-]{16,}`)
	sessionIDPattern = regexp.MustCompile(`00D[A-Za-z0-9]{12,15}(?:!|%21)[A-Za-z0-9._%-]+`)
)

// Redacted stands where RedactTokens took a token out.
const Redacted = "[REDACTED]"

// RedactTokens returns s with anything shaped like a Salesforce session Id
// or access token ("00D…!…") or a bearer token replaced by Redacted: text
// the org or the sf CLI wrote (an error message, a log line) may repeat one.
func RedactTokens(s string) string {
	s = bearerPattern.ReplaceAllString(s, "${1}Bearer "+Redacted)
	return sessionIDPattern.ReplaceAllString(s, Redacted)
}
