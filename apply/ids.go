package apply

import "fmt"

// idSuffixAlphabet maps the 5-bit capitalisation mask of each 5-character
// chunk of a 15-character Id to the character of the case-safe suffix.
const idSuffixAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"

// NormalizeID returns the 18-character form of a Salesforce Id given in its
// 15-character (case-sensitive) or 18-character form, so both forms of one
// record compare equal. It rejects anything else, including an 18-character
// Id whose suffix does not match its first 15 characters: an Id that reaches
// a query or a delete has always passed through here.
func NormalizeID(id string) (string, error) {
	if len(id) != 15 && len(id) != 18 {
		return "", fmt.Errorf("id %q has %d characters, want 15 or 18", id, len(id))
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return "", fmt.Errorf("id %q has a character that is not a letter or a digit", id)
		}
	}
	var suffix [3]byte
	for chunk := 0; chunk < 3; chunk++ {
		mask := 0
		for i := 0; i < 5; i++ {
			if c := id[chunk*5+i]; 'A' <= c && c <= 'Z' {
				mask |= 1 << i
			}
		}
		suffix[chunk] = idSuffixAlphabet[mask]
	}
	if len(id) == 18 {
		for i := 0; i < 3; i++ {
			// The suffix is itself case-insensitive: that is its purpose.
			if upper(id[15+i]) != suffix[i] {
				return "", fmt.Errorf("id %q has the suffix %q, want %q for its first 15 characters", id, id[15:], string(suffix[:]))
			}
		}
	}
	return id[:15] + string(suffix[:]), nil
}

func upper(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}
