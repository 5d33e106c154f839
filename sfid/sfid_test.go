package sfid

import (
	"strings"
	"testing"
)

func TestSuffix(t *testing.T) {
	// Worked by hand: each chunk's upper-case letters set bits 1, 2, 4, 8, 16
	// from the left, and the sum indexes A-Z0-5.
	tests := []struct{ id15, want string }{
		{"0055g00000AbCdE", "AAV"}, // A+C+E = 1+4+16 = 21
		{"ABCDEFGHIJKLMNO", "555"}, // 31 each
		{"a0000b0000c0000", "AAA"}, // lower case counts for nothing
		{"00000000000000Z", "AAQ"}, // 16
		{"0Ak5g000HbXm5a4", "CIB"}, // A is 2nd: 2; H is 4th: 8; X is 1st: 1
	}
	for _, tt := range tests {
		if got := Suffix(tt.id15); string(got[:]) != tt.want {
			t.Errorf("Suffix(%q) = %q, want %q", tt.id15, got[:], tt.want)
		}
		if got := Suffix([]byte(tt.id15)); string(got[:]) != tt.want {
			t.Errorf("Suffix([]byte(%q)) = %q, want %q", tt.id15, got[:], tt.want)
		}
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want, err string }{
		// The example Salesforce's documentation gives.
		{in: "001A0000006Vm9r", want: "001A0000006Vm9rIAC"},
		{in: "001A0000006Vm9rIAC", want: "001A0000006Vm9rIAC"},
		{in: "001A0000006Vm9riac", want: "001A0000006Vm9rIAC"}, // the suffix is case-insensitive
		{in: "001a0000006vm9r", want: "001a0000006vm9rAAA"},    // the 15 are not
		// Suffixes worked out by hand from the capitals of each 5-character chunk.
		{in: "005000000000001", want: "005000000000001AAA"},
		{in: "001Dn00000AbCdE", want: "001Dn00000AbCdEIAV"}, // D → bit 3 = I; A, C, E → bits 0, 2, 4 = V
		{in: "0AkXY00000abcde", want: "0AkXY00000abcde0AA"}, // A, X, Y → bits 1, 3, 4 = 26 → 0
		{in: "ABCDEABCDEABCDE", want: "ABCDEABCDEABCDE555"},
		// An Id in one case is capitalised as its suffix says.
		{in: "001dn00000abcdeiav", want: "001Dn00000AbCdEIAV"},
		{in: "001DN00000ABCDEIAV", want: "001Dn00000AbCdEIAV"},
		{in: "001a0000006vm9riac", want: "001A0000006Vm9rIAC"},
		// Refused.
		{in: "001A0000006Vm9rAAA", err: `has the suffix "AAA", want "IAC"`}, // mixed case, other suffix
		{in: "005000000000001BAA", err: "marks a digit as a capital"},
		{in: "0Ak5g00000AbCd", err: "14 characters"},
		{in: "0050000000000012", err: "16 characters"},
		{in: "0Ak5g00000AbCd'", err: "not a letter"},
		{in: "00500000000001é", err: "not a letter"},
		{in: "005000000000001AA!", err: "not a letter"},
		{in: "", err: "0 characters"},
	}
	for _, tt := range tests {
		// Id-shaped: every case but those refused for their length or characters.
		shaped := !strings.Contains(tt.err, "characters") && !strings.Contains(tt.err, "not a letter")
		if Shaped(tt.in) != shaped {
			t.Errorf("Shaped(%q) = %v, want %v", tt.in, !shaped, shaped)
		}
		got, err := Normalize(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("Normalize(%q) = %q, %v, want an error containing %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Normalize(%q) = %q, %v, want %q", tt.in, got, err, tt.want)
		}
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"005000000000001", "001Dn00000AbCdEIAV", "001dn00000abcdeiav", "001A0000006Vm9rAAA", "0Ak5g00000AbCd'"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		got, err := Normalize(id)
		if shaped := err == nil || strings.Contains(err.Error(), "suffix"); Shaped(id) != shaped {
			t.Errorf("Shaped(%q) = %v, but Normalize gives %q, %v", id, !shaped, got, err)
		}
		if err != nil {
			if got != "" {
				t.Errorf("Normalize(%q) = %q with error %v, want \"\"", id, got, err)
			}
			if !strings.Contains(err.Error(), "the Id ") {
				t.Errorf("Normalize(%q): error %q does not name the Id", id, err)
			}
			return
		}
		if len(got) != 18 || !strings.EqualFold(got[:15], id[:15]) {
			t.Fatalf("Normalize(%q) = %q, want 18 characters, the first 15 as given but for case", id, got)
		}
		if len(id) == 15 && got[:15] != id {
			t.Errorf("Normalize(%q) = %q, want a 15-character Id kept as written", id, got)
		}
		if suffix := Suffix(got); string(suffix[:]) != got[15:] {
			t.Errorf("Normalize(%q) = %q, whose suffix should be %q", id, got, suffix)
		}
		for _, form := range []string{got, got[:15], strings.ToLower(got), strings.ToUpper(got), got[:15] + strings.ToLower(got[15:])} {
			if again, err := Normalize(form); err != nil || again != got {
				t.Errorf("Normalize(%q) = %q, %v, want %q like %q", form, again, err, got, id)
			}
		}
	})
}

func TestRedactTokens(t *testing.T) {
	for in, want := range map[string]string{
		"for 00D5g000004ABCD!AQ4AQFake.T0ken-x here":   "for [REDACTED] here",
		"Authorization: Bearer abcdefghijklmnop.qrstu": "Authorization: Bearer [REDACTED]",
		"record 00D5g000004ABCDEAA is no token":        "record 00D5g000004ABCDEAA is no token", // an org Id alone
		"bearer short":                                 "bearer short",
		"Bearer abcdefghijklmnop":                      "Bearer [REDACTED]",      // 16 characters, the shortest token
		"Bearer abcdefghijklmno":                       "Bearer abcdefghijklmno", // near miss: 15
		// Inside a URL or a form, after letters that leave no word boundary.
		"frontdoor.jsp?sid%3D00D5g000001abcd!AQ8AQHtuF8ZQY.3nkSecret": "frontdoor.jsp?sid%3D[REDACTED]",
		"sid_00D5g000001abcd!AQ8AQHtuF8ZQY.3nk":                       "sid_[REDACTED]",
		"x00D5g000001abcd!AQ8AQHtuF8ZQY.3nk":                          "x[REDACTED]",
		"Authorization=Bearer%20abcdefghijklmnop1234":                 "Authorization=Bearer [REDACTED]",
		"Bearer+abcdefghijklmnop1234":                                 "Bearer [REDACTED]",
		"frontdoor.jsp?sid=00D5g000001abcd%21AQ8AQHtuF8ZQY.3nkSecret": "frontdoor.jsp?sid=[REDACTED]",
		// Near misses: the word inside another is no bearer token.
		"user pallbearer accountsreceivable_team": "user pallbearer accountsreceivable_team",
	} {
		if got := RedactTokens(in); got != want {
			t.Errorf("RedactTokens(%q) = %q, want %q", in, got, want)
		}
	}
}
