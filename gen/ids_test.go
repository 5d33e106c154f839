package gen

import (
	"strings"
	"testing"
)

func TestCaseSafeSuffix(t *testing.T) {
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
		got := caseSafeSuffix([]byte(tt.id15))
		if string(got[:]) != tt.want {
			t.Errorf("caseSafeSuffix(%q) = %q, want %q", tt.id15, got[:], tt.want)
		}
	}
}

func TestAppendIDShape(t *testing.T) {
	for _, n := range []uint64{0, 1, 61, 62, userBase, loginBase + 123<<perUserBits, 1<<53 - 1} {
		id := string(appendID(nil, prefixSession, n))
		if len(id) != 18 || !strings.HasPrefix(id, "0Ak5g0") {
			t.Errorf("appendID(%d) = %q, want 18 characters starting 0Ak5g0", n, id)
		}
	}
	if a, b := idString(prefixLogin, 100), idString(prefixLogin, 101); a >= b {
		t.Errorf("Ids do not sort by number: %q >= %q", a, b)
	}
}
