package ingest

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// A dbtx runs statements: a *sql.DB, *sql.Conn or *sql.Tx.
type dbtx interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// ReleaseMemory hands the memory DuckDB has freed back to the system.
// DuckDB's allocator keeps freed memory for reuse, so after a big step the
// process stays as large as that step's peak, and the next step's peak comes
// on top of it: at fifty million logins that alone pushed the audit past its
// memory budget. Setting the memory limit again, to the value Open was given
// (kept in the sa_memory_limit variable: current_setting rounds it), makes
// DuckDB flush its allocator. Without a limit it does nothing.
func ReleaseMemory(ctx context.Context, db dbtx) error {
	var limit sql.NullString
	if err := db.QueryRowContext(ctx, `SELECT getvariable('sa_memory_limit')`).Scan(&limit); err != nil {
		return fmt.Errorf("reading the memory limit: %w", err)
	}
	if !limit.Valid {
		return nil
	}
	if _, err := db.ExecContext(ctx, fmt.Sprintf("SET memory_limit = '%s'", sqlQuote(limit.String))); err != nil {
		return fmt.Errorf("releasing memory: %w", err)
	}
	return nil
}

// PeakRSS is the process's peak resident set so far, from /proc/self/status
// (VmHWM), in MiB; 0 where the system does not say. The audit logs it after
// each phase and each check, so a run near its memory budget shows which
// step took it there.
func PeakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				return 0
			}
			return kb >> 10
		}
	}
	return 0
}
