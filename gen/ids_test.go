package gen

import (
	"strings"
	"testing"
)

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
