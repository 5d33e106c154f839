package gen

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"io"
	"maps"
	"slices"
	"testing"
	"time"
)

var testAsOf = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// memOutputs keeps every file Generate writes in memory.
type memOutputs map[string]*memFile

type memFile struct {
	bytes.Buffer
	closed bool
}

func (f *memFile) Close() error { f.closed = true; return nil }

func (m memOutputs) Create(name string) (io.WriteCloser, error) {
	f := &memFile{}
	m[name] = f
	return f, nil
}

func (m memOutputs) names() []string { return slices.Sorted(maps.Keys(m)) }

func mustGenerate(tb testing.TB, cfg Config) (memOutputs, Stats) {
	tb.Helper()
	if cfg.AsOf.IsZero() {
		cfg.AsOf = testAsOf
	}
	if cfg.Format == "" {
		cfg.Format = FormatBulk
	}
	out := memOutputs{}
	st, err := Generate(context.Background(), cfg, out)
	if err != nil {
		tb.Fatalf("Generate(%+v): %v", cfg, err)
	}
	for name, f := range out {
		if !f.closed {
			tb.Errorf("%s was not closed", name)
		}
	}
	return out, st
}

// record is one CSV row by column name.
type record map[string]string

// mustReadCSV parses a Bulk CSV file (gunzipping *.gz), checking its header,
// and returns its rows; rows of another width are returned apart.
func mustReadCSV(tb testing.TB, out memOutputs, name string, want *table) (rows []record, odd [][]string) {
	tb.Helper()
	f, ok := out[name]
	if !ok {
		tb.Fatalf("no file %s; have %v", name, out.names())
	}
	var r io.Reader = bytes.NewReader(f.Bytes())
	if len(name) > 3 && name[len(name)-3:] == ".gz" {
		zr, err := gzip.NewReader(r)
		if err != nil {
			tb.Fatalf("%s: %v", name, err)
		}
		r = zr
	}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	all, err := cr.ReadAll()
	if err != nil {
		tb.Fatalf("reading %s: %v", name, err)
	}
	if !slices.Equal(all[0], want.columns) {
		tb.Fatalf("%s header: got %q, want %q", name, all[0], want.columns)
	}
	for _, row := range all[1:] {
		if len(row) != len(want.columns) {
			odd = append(odd, row)
			continue
		}
		rec := record{}
		for i, c := range want.columns {
			rec[c] = row[i]
		}
		rows = append(rows, rec)
	}
	return rows, odd
}
