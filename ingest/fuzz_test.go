package ingest

import (
	"bytes"
	"strings"
	"testing"
)

// The parsers in Go (the CSV header sniffer, header matching, JSON record
// extraction and IP reading) must never panic, whatever a file holds.

func FuzzSniffAndMatchHeader(f *testing.F) {
	f.Add([]byte(sessionsHeader + "\n"))
	f.Add([]byte("\ufeffUsername,Login Time,Source IP,Status\r\n"))
	f.Add([]byte("\x1f\x8b\x08"))
	f.Add([]byte(`"a""b",c` + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fm, err := sniffReader(bytes.NewReader(data), false)
		if err != nil || fm.json {
			return
		}
		for _, k := range []Kind{Sessions, Logins, Users, Geo} {
			m, err := matchHeader("f.csv", k, fm.header)
			if err == nil && len(m.column) != len(fm.header) {
				t.Fatalf("got %d mapped columns for a header of %d", len(m.column), len(fm.header))
			}
		}
	})
}

func FuzzJSONRecords(f *testing.F) {
	f.Add([]byte(`{"totalSize":1,"done":true,"records":[{"attributes":{"type":"AuthSession"},"Id":"0Ak","Users":{"Username":"a"},"LoginGeo":null}]}`))
	f.Add([]byte(`{"status":0,"result":{"records":[{"Id":1.5e3,"IsCurrent":true}]}}`))
	f.Add([]byte(`{"records":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := jsonRecords(data)
		if err != nil {
			return
		}
		last := int64(0)
		for _, r := range recs {
			if r.line < last {
				t.Fatalf("record lines go backwards: %d after %d", r.line, last)
			}
			last = r.line
			flattenRecord("", r.fields, func(key, _ string, _ bool) {
				if strings.HasSuffix(key, "attributes") {
					t.Fatalf("got attributes key %q in a flattened record", key)
				}
			})
		}
	})
}

func FuzzCanonicalIP(f *testing.F) {
	for _, s := range []string{"203.0.113.7", "2001:DB8::1", "::ffff:192.0.2.1", "[::1]", "fe80::1%eth0", "1.2.3", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, ok := CanonicalIP(s)
		if !ok {
			return
		}
		again, ok2 := CanonicalIP(c)
		if !ok2 || again != c {
			t.Fatalf("canonical form %q of %q is not stable: got %q", c, s, again)
		}
	})
}
