package ingest

import (
	"context"
	"database/sql"
	"fmt"
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
