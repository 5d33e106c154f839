package report

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sessionaudit/sessionaudit/internal/bug"
)

// sliceRows is a Rows over a slice, standing in for *sql.Rows.
type sliceRows struct {
	cols []string
	rows [][]any
	next int   // index of the row Next moves to
	err  error // returned by Err once the rows are exhausted
}

func newRows(cols []string, rows ...[]any) *sliceRows {
	return &sliceRows{cols: cols, rows: rows}
}

func (r *sliceRows) Columns() ([]string, error) { return r.cols, nil }

func (r *sliceRows) Next() bool {
	if r.next >= len(r.rows) {
		return false
	}
	r.next++
	return true
}

// Scan copies the current row into dest as database/sql does into *any.
func (r *sliceRows) Scan(dest ...any) error {
	if r.next == 0 {
		return errors.New("scan called before next")
	}
	row := r.rows[r.next-1]
	if len(dest) != len(row) {
		return errors.New("scan: wrong number of destinations")
	}
	for i, d := range dest {
		p, ok := d.(*any)
		if !ok {
			return errors.New("scan: destination is not *any")
		}
		*p = row[i]
	}
	return nil
}

func (r *sliceRows) Err() error { return r.err }

// at parses an RFC 3339 time for a test row.
func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

// eachRow hands over every row in order, across its read-ahead batches, and
// passes on the first error, from the rows or from fn.
func TestEachRow(t *testing.T) {
	const n = 1300 // batches of 512 and a short one
	var rows [][]any
	for i := range n {
		rows = append(rows, []any{int64(i), "x"})
	}
	var got []int64
	if err := eachRow(newRows([]string{"i", "s"}, rows...), 2, func(vals []any) error {
		got = append(got, vals[0].(int64))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("got %d rows, want %d", len(got), n)
	}
	for i, v := range got {
		if v != int64(i) {
			t.Fatalf("row %d holds %d: out of order", i, v)
		}
	}

	failing := newRows([]string{"i", "s"}, rows...)
	failing.err = errors.New("connection lost")
	if err := eachRow(failing, 2, func([]any) error { return nil }); err == nil || !strings.Contains(err.Error(), "connection lost") {
		t.Errorf("got %v, want the rows' error", err)
	}

	stop := errors.New("disk full")
	seen := 0
	err := eachRow(newRows([]string{"i", "s"}, rows...), 2, func([]any) error {
		seen++
		if seen == 700 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || seen != 700 {
		t.Errorf("got %v after %d rows, want fn's error after 700", err, seen)
	}
}

// panickyRows panics in Scan at its row panicAt (from 1), as a driver bug would.
type panickyRows struct {
	*sliceRows
	panicAt int
}

func (r *panickyRows) Scan(dest ...any) error {
	if r.next == r.panicAt {
		panic("the driver lost its place")
	}
	return r.sliceRows.Scan(dest...)
}

// A panic on eachRow's reading goroutine is an error eachRow returns, after
// the rows read before it, not a crash of the process (exit 2).
func TestEachRowReturnsTheReadersPanic(t *testing.T) {
	var rows [][]any
	for i := range 1300 {
		rows = append(rows, []any{int64(i), "x"})
	}
	seen := 0
	err := eachRow(&panickyRows{newRows([]string{"i", "s"}, rows...), 600}, 2, func([]any) error {
		seen++
		return nil
	})
	var p *bug.Panic
	if !errors.As(err, &p) || !strings.Contains(err.Error(), "the driver lost its place") {
		t.Fatalf("got %v, want the reader's panic as a *bug.Panic", err)
	}
	if seen != 512 {
		t.Errorf("got %d rows before the error, want the first batch's 512", seen)
	}
}
