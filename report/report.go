// Package report writes what an audit found for the people who act on it: CSV
// files, an XLSX workbook with a summary sheet, and the plain-text summary the
// CLI prints. It reads query results through Rows, once and streaming, so a
// million-row result never sits in memory, and it knows nothing about the
// database that produced them.
//
// Every text value in a report may come from an attacker (a Browser string,
// a username), so report never lets one become a formula: CSV values that a
// spreadsheet would evaluate are prefixed with a quote, and XLSX cells are
// written as typed strings.
package report

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/sessionaudit/sessionaudit/internal/bug"
)

// Rows is satisfied by *sql.Rows; report reads each source once, streaming.
//
// Values scanned into an *any are expected to be string, int64, int32,
// float64, bool, time.Time (UTC), []byte or nil; any other type is written as
// the text fmt.Sprint gives it.
type Rows interface {
	Columns() ([]string, error)
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// eachRow scans every row of rows, which has n columns, and calls fn with its
// values. The slice is reused from one call to the next, so fn must not keep it.
//
// The rows are read one batch ahead, on another goroutine: turning the
// database's values into Go values costs about as much as writing them out
// (a second of each for the 800,000 live sessions of a 10M-login org), and
// the two overlap on two cores. rows is only ever used by that goroutine,
// and eachRow returns only once it has stopped.
func eachRow(rows Rows, n int, fn func(vals []any) error) error {
	const batchRows = 512
	type batch struct {
		vals [][]any
		err  error
	}
	full := make(chan batch, 2)
	free := make(chan [][]any, 3)
	for range 3 {
		b := make([][]any, batchRows)
		for i := range b {
			b[i] = make([]any, n)
		}
		free <- b
	}
	stop := make(chan struct{})
	go func() {
		defer close(full)
		// The loop below drains full until it is closed.
		defer bug.Catch("reading rows for the reports", func(err error) { full <- batch{err: err} })
		dest := make([]any, n)
		for {
			var b [][]any
			select {
			case <-stop:
				return
			default:
			}
			select {
			case b = <-free:
			case <-stop:
				return
			}
			k := 0
			for k < len(b) && rows.Next() {
				for i := range dest {
					dest[i] = &b[k][i]
				}
				if err := rows.Scan(dest...); err != nil {
					full <- batch{err: fmt.Errorf("reading a row: %w", err)}
					return
				}
				k++
			}
			if k > 0 {
				full <- batch{vals: b[:k]}
			}
			if k < len(b) {
				if err := rows.Err(); err != nil {
					full <- batch{err: fmt.Errorf("reading rows: %w", err)}
				}
				return
			}
		}
	}()
	var err error
	for b := range full {
		if err == nil {
			err = b.err
		}
		for _, vals := range b.vals {
			if err != nil {
				break
			}
			err = fn(vals)
		}
		if err != nil {
			select {
			case <-stop:
			default:
				close(stop) // the reader stops at its next batch; drain until it does
			}
			continue
		}
		free <- b.vals[:cap(b.vals)]
	}
	return err
}

// writeFileAtomic writes path through a temporary file in the same folder and
// renames it into place, so a reader never sees half a report and a failed run
// leaves the previous one untouched.
func writeFileAtomic(path string, write func(f *os.File) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := write(tmp); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	// CreateTemp makes the file private; a report is meant to be read like
	// any file the job writes with os.Create under a usual umask.
	if err := tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
