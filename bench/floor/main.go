// Command floor times DuckDB alone loading export files into tables: the
// floor an audit of the same files cannot beat. It links the same DuckDB as
// sessionaudit, with the same memory limit, and reads every column of every
// file with DuckDB's own CSV reader and type detection, running no checks. A
// FILE ending in .json is REST query pages, and may be a pattern for many
// (logins-*.json): DuckDB's JSON reader loads their records into one table.
//
// Usage: floor [--memory-limit 2GB] [--threads N] FILE...
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
)

func main() {
	memoryLimit := flag.String("memory-limit", "2GB", "DuckDB memory limit")
	threads := flag.Int("threads", 0, "DuckDB threads (0: one per core)")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: floor [--memory-limit 2GB] [--threads N] FILE...")
		os.Exit(2)
	}
	if err := run(context.Background(), *memoryLimit, *threads, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, memoryLimit string, threads int, files []string) error {
	dir, err := os.MkdirTemp("", "floor-spill-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	settings := []string{
		"SET autoinstall_known_extensions = false", "SET autoload_known_extensions = false",
		fmt.Sprintf("SET memory_limit = '%s'", memoryLimit), fmt.Sprintf("SET temp_directory = '%s'", dir),
	}
	if threads > 0 {
		settings = append(settings, fmt.Sprintf("SET threads = %d", threads))
	}
	for _, s := range settings {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return err
		}
	}
	start := time.Now()
	var total int64
	for i, f := range files {
		query := "CREATE TABLE t%d AS SELECT * FROM read_csv(?)"
		if strings.HasSuffix(f, ".json") {
			query = "CREATE TABLE t%d AS SELECT unnest(records) FROM read_json(?)"
		}
		if _, err := db.ExecContext(ctx, fmt.Sprintf(query, i), f); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		var n int64
		if err := db.QueryRowContext(ctx, fmt.Sprintf("SELECT count(*) FROM t%d", i)).Scan(&n); err != nil {
			return err
		}
		total += n
	}
	fmt.Printf("loaded %d rows from %d files in %.2fs\n", total, len(files), time.Since(start).Seconds())
	return nil
}
