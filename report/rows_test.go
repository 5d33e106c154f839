package report

import (
	"errors"
	"time"
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
