package analyze

import "strings"

// idSuffixAlphabet maps a 5-bit capitals mask to a case-safe suffix character.
const idSuffixAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"

// NormalizeID returns the 18-character form of a Salesforce Id, and false when
// id is not one (15 or 18 letters and digits).
//
// A 15-character Id gains the case-safe suffix computed from the capitals of
// its three 5-character chunks. An 18-character Id is case-insensitive: its
// suffix says which letters of the first 15 are capitals, so the result has
// that capitalisation and an upper-case suffix, and a suffix that marks a
// digit as a capital makes it no Id. A valid 18-character Id comes back as it
// went in.
func NormalizeID(id string) (string, bool) {
	if len(id) != 15 && len(id) != 18 {
		return "", false
	}
	b := []byte(id)
	for _, c := range b {
		if !isDigit(c) && !isLetter(c) {
			return "", false
		}
	}
	if len(b) == 15 {
		for chunk := 0; chunk < 3; chunk++ {
			mask := 0
			for i := 0; i < 5; i++ {
				if c := b[chunk*5+i]; c >= 'A' && c <= 'Z' {
					mask |= 1 << i
				}
			}
			b = append(b, idSuffixAlphabet[mask])
		}
		return string(b), true
	}
	for chunk := 0; chunk < 3; chunk++ {
		s := upper(b[15+chunk])
		mask := strings.IndexByte(idSuffixAlphabet, s)
		if mask < 0 {
			return "", false
		}
		b[15+chunk] = s
		for i := 0; i < 5; i++ {
			p := chunk*5 + i
			capital := mask&(1<<i) != 0
			switch {
			case isDigit(b[p]) && capital:
				return "", false
			case isLetter(b[p]) && capital:
				b[p] = upper(b[p])
			case isLetter(b[p]):
				b[p] = lower(b[p])
			}
		}
	}
	return string(b), true
}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func upper(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c - 'A' + 'a'
	}
	return c
}
