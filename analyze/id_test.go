package analyze

import (
	"strings"
	"testing"
)

func TestNormalizeID(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		// Suffixes worked out by hand from the capitals of each 5-character chunk.
		{"005000000000001", "005000000000001AAA", true},
		{"001Dn00000AbCdE", "001Dn00000AbCdEIAV", true}, // D→bit3=I; A,C,E→bits0,2,4=V
		{"0AkXY00000abcde", "0AkXY00000abcde0AA", true}, // A,X,Y → bits 1,3,4 = 26 → 0
		{"ABCDEABCDEABCDE", "ABCDEABCDEABCDE555", true},
		{"001Dn00000AbCdEIAV", "001Dn00000AbCdEIAV", true},
		{"001dn00000abcdeiav", "001Dn00000AbCdEIAV", true}, // case restored from the suffix
		{"001DN00000ABCDEIAV", "001Dn00000AbCdEIAV", true},
		{"005000000000001BAA", "", false}, // the suffix marks a digit as a capital
		{"00500000000000", "", false},
		{"0050000000000012", "", false},
		{"005-00000000001", "", false},
		{"00500000000001é", "", false},
		{"005000000000001AA!", "", false},
		{"", "", false},
	}
	for _, tc := range tests {
		got, ok := NormalizeID(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("NormalizeID(%q): got %q, %v, want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func FuzzNormalizeID(f *testing.F) {
	f.Add("005000000000001")
	f.Add("001Dn00000AbCdEIAV")
	f.Fuzz(func(t *testing.T, id string) {
		got, ok := NormalizeID(id)
		if !ok {
			if got != "" {
				t.Errorf("NormalizeID(%q): got %q with false, want \"\"", id, got)
			}
			return
		}
		if len(got) != 18 {
			t.Fatalf("NormalizeID(%q): got %q, want 18 characters", id, got)
		}
		if !strings.EqualFold(got[:15], id[:15]) {
			t.Errorf("NormalizeID(%q): got %q, want the same first 15 characters ignoring case", id, got)
		}
		if len(id) == 15 && got[:15] != id {
			t.Errorf("NormalizeID(%q): got %q, want a 15-character Id kept as written", id, got)
		}
		if again, ok := NormalizeID(got); !ok || again != got {
			t.Errorf("NormalizeID(%q): got %q, %v, want it unchanged", got, again, ok)
		}
		if short, ok := NormalizeID(got[:15]); !ok || short != got {
			t.Errorf("NormalizeID(%q): got %q, %v, want %q", got[:15], short, ok, got)
		}
		if lower, ok := NormalizeID(strings.ToLower(got)); !ok || lower != got {
			t.Errorf("NormalizeID(%q): got %q, %v, want %q", strings.ToLower(got), lower, ok, got)
		}
	})
}

func TestSeverity(t *testing.T) {
	for _, s := range Severities() {
		got, err := ParseSeverity(strings.ToUpper(s.String()))
		if err != nil || got != s {
			t.Errorf("ParseSeverity(%q): got %v, %v, want %v", strings.ToUpper(s.String()), got, err, s)
		}
	}
	if !(Info < Low && Low < Medium && Medium < High && High < Critical) {
		t.Errorf("got severities out of order: %v", Severities())
	}
	if _, err := ParseSeverity("severe"); err == nil || !strings.Contains(err.Error(), `"severe" is not a severity (use info, low, medium, high, critical)`) {
		t.Errorf("ParseSeverity(\"severe\"): got error %v, want one listing the severities", err)
	}
}
