package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/sessionaudit/sessionaudit/apply"
)

// keptDB is the database that audit --db keeps. It is built at a temporary
// path in the folder of the file and renamed over it only when the audit
// succeeded, so a failed or interrupted run leaves the previous database as
// it was; and it refuses a path holding anything but a DuckDB database, so
// a slip such as --db sessions.csv costs nothing.
type keptDB struct {
	path     string // where the database is kept
	tmp      string // where this run builds it
	fresh    string // where keep copies it to, when it does
	unlock   func() // releases the lock beside path (see newKeptDB)
	unlocked error  // why path is not locked (no flock), or nil
	kept     bool   // keep has closed the database (it may have failed after)
}

// duckDBMagic is what a DuckDB database file holds at duckDBMagicAt, after
// the checksum of its first header block.
var duckDBMagic = []byte("DUCK")

const duckDBMagicAt = 8

// newKeptDB checks that the database may be kept at path: it is none of
// inputs, and if something is there it is an empty file or a DuckDB
// database. It then locks path for this run, as the audit locks --out, so
// that a second audit keeping the same database is refused rather than
// racing to rename its own over it; holding the lock, it removes what runs
// that were killed left building it. Its error is for the person who gave
// --db.
func newKeptDB(path string, inputs []string) (*keptDB, error) {
	// A symbolic link is kept to: the database it names is replaced, and
	// locked beside itself, so that the link and its target are one --db.
	// Renamed over, the link would become a file of its own, leaving the
	// database it named as it was, and unlocked against an audit naming it.
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		target, err := filepath.EvalSymlinks(path)
		if err != nil {
			return nil, fmt.Errorf("--db %s: it is a symbolic link whose target cannot be found (%v): refusing to replace it "+
				"(give the database's own path)", path, err)
		}
		path = target
	}
	for _, p := range []string{path, path + ".wal"} {
		st, err := os.Stat(p)
		if err != nil {
			continue // nothing there to lose (or nothing Stat can see, which the open will report)
		}
		for _, in := range inputs {
			if ist, err := os.Stat(in); err == nil && os.SameFile(st, ist) {
				return nil, fmt.Errorf("--db %s: %s is the input %s: refusing to overwrite it", path, p, in)
			}
		}
	}
	if err := checkDuckDBFile(path); err != nil {
		return nil, fmt.Errorf("--db %s: %v: refusing to replace it (move it away or choose another path)", path, err)
	}
	dir, base := filepath.Split(path)
	tmpPrefix := "." + base + ".sessionaudit-"
	// The database is built at a path beside path, which the driver reads
	// as a URL (duckdb-go's DSN): a relative path whose first part holds a
	// colon, a % not followed by two hexadecimal digits or a control
	// character fails to parse, and a ? starts the driver's options. An
	// absolute path avoids the first; the others are refused here, before
	// anything is touched, rather than as the database opens.
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs + string(filepath.Separator)
	}
	if err := dsnSafe(filepath.Join(dir, tmpPrefix+"0-0.tmp")); err != nil {
		return nil, fmt.Errorf("--db %s: %v: choose another path", path, err)
	}
	unlock, err := apply.LockFile(filepath.Join(dir, tmpPrefix+"lock"))
	var held *apply.LockedError
	var unlocked error
	switch {
	case errors.As(err, &held):
		return nil, fmt.Errorf("--db %s: %s is keeping a database there now (it holds %s): wait for it to finish, or choose another --db", path, held.Holder, held.Path)
	case errors.Is(err, apply.ErrNoFlock):
		unlock, unlocked = func() {}, err
	case err != nil:
		return nil, fmt.Errorf("--db %s: %v", path, err)
	default:
		// Listed, not globbed: the name may hold *, ? or [.
		entries, _ := os.ReadDir(filepath.Join(dir, "."))
		for _, e := range entries {
			// Only this database's builds (PID-random.tmp and its .wal),
			// not those of a --db whose name starts as this one's does.
			if rest, ok := strings.CutPrefix(e.Name(), tmpPrefix); ok && buildName.MatchString(rest) {
				os.Remove(filepath.Join(dir, e.Name()))
			}
		}
	}
	// Named by PID and a random part: in containers every run may be PID 1,
	// and unlocked two runs must not build at one path.
	random := make([]byte, 8)
	rand.Read(random)
	build := func(r []byte) string {
		return filepath.Join(dir, tmpPrefix+strconv.Itoa(os.Getpid())+"-"+hex.EncodeToString(r)+".tmp")
	}
	k := &keptDB{path: path, tmp: build(random[:4]), fresh: build(random[4:]), unlock: unlock, unlocked: unlocked}
	return k, nil
}

// dsnSafe says why the database driver could not open a database at path,
// which it reads as a URL, or returns nil.
func dsnSafe(path string) error {
	if strings.Contains(path, "?") {
		return errors.New("the database cannot be opened at a path with a ?, which its driver reads as the start of its options")
	}
	if _, err := url.Parse(path); err != nil {
		return errors.New("the database cannot be opened at a path with a % not followed by two hexadecimal digits, or with a control character, which its driver cannot read")
	}
	return nil
}

// buildName matches what follows a database's prefix in the name of one of
// its builds: PID-random.tmp, or that with .wal.
var buildName = regexp.MustCompile(`^[0-9]+-[0-9a-f]+\.tmp(\.wal)?$`)

// checkDuckDBFile returns nil when path holds nothing, an empty file or a
// DuckDB database, and otherwise says what is there.
func checkDuckDBFile(path string) error {
	// Examined before it is opened: opening a FIFO would wait for a writer.
	st, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return errors.New("it is not a regular file")
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if st.Size() == 0 {
		return nil
	}
	head := make([]byte, duckDBMagicAt+len(duckDBMagic))
	if _, err := io.ReadFull(f, head); err != nil || !bytes.Equal(head[duckDBMagicAt:], duckDBMagic) {
		return errors.New("it is not a DuckDB database")
	}
	return nil
}

// keep closes db, which must have been opened at k.tmp, and moves it to
// k.path in place of the database there. The old write-ahead log goes
// first: DuckDB would replay it against the new database. When the load
// redacted a token in a reject, the database is first copied into a fresh
// file, which is kept instead: the file it was built in still holds the
// token in its blocks, in the rejected row the load deleted and in the
// reject as it was before redaction (COPY FROM DATABASE is DuckDB's way to
// compact a file; it takes a few seconds a million logins, so only then).
func (k *keptDB) keep(ctx context.Context, db *sql.DB, redacted bool) error {
	k.kept = true
	built := k.tmp
	if redacted {
		if err := copyDatabase(ctx, db, k.fresh); err != nil {
			return fmt.Errorf("copying the database: %w", err)
		}
		built = k.fresh
	}
	if err := db.Close(); err != nil {
		return fmt.Errorf("closing the database: %w", err)
	}
	if redacted {
		os.Remove(k.tmp)
		os.Remove(k.tmp + ".wal")
	}
	if err := os.Remove(k.path + ".wal"); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := os.Rename(built, k.path); err != nil {
		return err
	}
	// A clean close checkpoints the log into the file, so this is rare.
	if err := os.Rename(built+".wal", k.path+".wal"); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// copyDatabase copies every table of db's database into a new one at path.
func copyDatabase(ctx context.Context, db *sql.DB, path string) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	var name string
	if err := conn.QueryRowContext(ctx, "SELECT current_database()").Scan(&name); err != nil {
		return err
	}
	for _, stmt := range []string{
		"ATTACH '" + strings.ReplaceAll(path, "'", "''") + "' AS sa_kept",
		`COPY FROM DATABASE "` + strings.ReplaceAll(name, `"`, `""`) + `" TO sa_kept`,
		"DETACH sa_kept",
	} {
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	return nil
}

// discard removes what this run built (after keep there is nothing left)
// and releases the lock.
func (k *keptDB) discard() {
	k.removeTmp()
	k.unlock()
}

func (k *keptDB) removeTmp() {
	os.Remove(k.tmp)
	os.Remove(k.tmp + ".wal")
	os.Remove(k.fresh)
	os.Remove(k.fresh + ".wal")
}
