// Package ingest detects Salesforce AuthSession, LoginHistory, User and
// LoginGeo exports by their content and loads them into DuckDB tables
// (see schema.sql), recording every row it could not load in the rejects table.
//
// Start at Load (load.go): it checks the files given, tells each one's
// format (detect.go, fields.go), reads CSV with DuckDB's reader and JSON
// with DuckDB's or, for a file it refuses, in Go (json.go), validates every
// value in the same statement (macros.sql), then de-duplicates, resolves
// users, checks the distinct IPs in Go (ip.go), and accounts for every row
// read in Stats. Open (db.go) gives the database it loads into.
package ingest

import (
	"context"
	"database/sql"
	"database/sql/driver"
	_ "embed"
	"fmt"
	"strings"

	"github.com/duckdb/duckdb-go/v2"
)

// Schema creates the tables a load fills (sessions, logins, users, geo,
// usernames, source_ips, login_coverage, sources, rejects and
// rejected_logins), which the checks read.
//
//go:embed schema.sql
var Schema string

// DBOptions bounds the embedded database.
type DBOptions struct {
	Path        string // database file; empty keeps it in memory
	MemoryLimit string // DuckDB memory_limit, e.g. "2GB"; empty keeps DuckDB's default
	Threads     int    // 0 keeps DuckDB's default (one per core)
	TempDir     string // where DuckDB spills; empty keeps DuckDB's default
}

// Open opens the embedded DuckDB with extension autoinstall and autoload
// switched off, so the job never reaches the network, and creates the schema
// unless the database already has it.
func Open(ctx context.Context, opts DBOptions) (*sql.DB, error) {
	settings := []string{
		"SET autoinstall_known_extensions = false",
		"SET autoload_known_extensions = false",
		"SET TimeZone = 'UTC'",
	}
	if opts.MemoryLimit != "" {
		settings = append(settings, fmt.Sprintf("SET memory_limit = '%s'", sqlQuote(opts.MemoryLimit)),
			fmt.Sprintf("SET VARIABLE sa_memory_limit = '%s'", sqlQuote(opts.MemoryLimit)))
	}
	if opts.Threads > 0 {
		settings = append(settings, fmt.Sprintf("SET threads = %d", opts.Threads))
	}
	if opts.TempDir != "" {
		settings = append(settings, fmt.Sprintf("SET temp_directory = '%s'", sqlQuote(opts.TempDir)))
	}
	// The settings run on every new connection of the pool, so session-scoped
	// ones such as TimeZone hold whichever connection database/sql hands out.
	connector, err := duckdb.NewConnector(opts.Path, func(execer driver.ExecerContext) error {
		for _, s := range settings {
			if _, err := execer.ExecContext(ctx, s, nil); err != nil {
				return fmt.Errorf("configuring database (%s): %w", s, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("opening database %q: %w", opts.Path, err)
	}
	db := sql.OpenDB(connector)
	var n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'sessions'").Scan(&n); err != nil {
		db.Close()
		return nil, fmt.Errorf("inspecting database: %w", err)
	}
	if n == 0 {
		if _, err := db.ExecContext(ctx, Schema); err != nil {
			db.Close()
			return nil, fmt.Errorf("creating tables: %w", err)
		}
	}
	return db, nil
}

// sqlQuote escapes s for use inside a single-quoted SQL literal.
func sqlQuote(s string) string { return strings.ReplaceAll(s, "'", "''") }
