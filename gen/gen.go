// Package gen writes a synthetic Salesforce org: the AuthSession, LoginHistory
// and User exports of a company whose users work from home cities around the
// world, sometimes through the corporate VPN, with integration users holding
// long-lived OAuth sessions, and with a few planted incidents and near misses
// for every check the audit runs.
//
// Output is a pure function of Config: the same seed, size, as-of and format
// give byte-identical files. Users are generated one after the other from a
// random stream of their own, so memory stays constant however many logins
// are asked for.
//
// Address plan (see VPNRange, DeniedRange, AttackerRange): home addresses
// come from 100.64.0.0/10 and 2001:db8::/32, a /16 and a /48 per city; the
// corporate VPN egresses from 198.51.100.0/24 in Ashburn and must be trusted
// by the policy the audit runs with; 203.0.113.0/24 must be denied by it.
// Every other planted origin is one address of 192.0.2.0/24, but for one near
// miss from 203.0.114.1, just past the denied range.
package gen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// Format is the shape of the files Generate writes.
type Format string

const (
	// FormatBulk writes sessions.csv, logins.csv and users.csv as Bulk API
	// 2.0 query results (and Data Loader) write them.
	FormatBulk Format = "bulk"
	// FormatBulkGzip writes the same files gzip-compressed, as *.csv.gz.
	FormatBulkGzip Format = "bulk-gz"
	// FormatJSON writes REST query result pages of 2,000 records:
	// sessions-0001.json, logins-0001.json, users-0001.json and on.
	FormatJSON Format = "json"
	// FormatSetup writes logins.csv as Setup's Login History download (labels,
	// no Ids, US times); sessions.csv and users.csv are written as in FormatBulk.
	FormatSetup Format = "setup"
)

// Formats lists every Format in the order help text shows them.
func Formats() []Format { return []Format{FormatBulk, FormatBulkGzip, FormatJSON, FormatSetup} }

// DefaultAsOf is the moment the generated org is exported at unless a
// Config says otherwise, in RFC 3339.
const DefaultAsOf = "2026-11-26T12:00:00Z"

// MinUsers is the fewest users an org has, whatever Config.Logins says, so
// that every planted case has users of its own.
const MinUsers = 40

// MaxLogins is the most logins Generate writes: some 3 TB of CSV, far past
// any benchmark, and well inside what the Ids' nine base-62 digits hold
// (record numbers reach about 4.4e12 there, of 62^9 = 1.35e16).
const MaxLogins int64 = 10_000_000_000

// Config says what to generate.
type Config struct {
	// Logins is how many LoginHistory rows to write, at most MaxLogins.
	// The org has one user per 100 logins (at least MinUsers) and about one
	// session per 10 logins.
	// Rows come out exactly as asked unless Logins is too small for the
	// planted cases, which then add what they need.
	Logins int
	// Seed selects the org; equal seeds give equal files.
	Seed uint64
	// AsOf is when the export is taken: login times span the 180 days
	// before it, and session liveness is judged at it. It must be set and
	// is truncated to whole seconds.
	AsOf time.Time
	// Format is the shape of the files.
	Format Format
	// WithRejects adds malformed rows a loader must reject: in the logins
	// file one with a bad time, one with a bad IP and one cut short, and in
	// the sessions file one with a bad time.
	WithRejects bool
}

// Outputs creates the files Generate writes, by name ("logins.csv",
// "sessions-0002.json"). Generate closes every writer it is given, also on
// error, and reports the first error from a write or a close.
type Outputs interface {
	Create(name string) (io.WriteCloser, error)
}

// Stats says what Generate wrote.
type Stats struct {
	Users, Logins, Sessions int // rows written, rejects not counted
	LiveSessions            int // sessions that have not expired at as-of
	Rejects                 int // malformed rows (Config.WithRejects)
	// Planted lists the planted cases in the order they were placed.
	Planted []Plant
}

// Plant is one planted case: either a hit the named check must report, or a
// near miss that resembles one and it must not report.
type Plant struct {
	Check     string   // the check's id, e.g. "impossible_travel"
	Hit       bool     // true: must be reported; false: must not be
	Note      string   // what makes it a hit or a near miss
	UserIDs   []string // the users involved, 18-character Ids
	Usernames []string // the same users' usernames
	IPs       []string // the origins that matter, in the order they appear
}

// Count returns how many planted cases of check are hits (hit true) or near
// misses (hit false).
func (s Stats) Count(check string, hit bool) int {
	n := 0
	for _, p := range s.Planted {
		if p.Check == check && p.Hit == hit {
			n++
		}
	}
	return n
}

// Generate writes the org described by cfg to out and says what it wrote.
// It stops with ctx's error when ctx is done.
func Generate(ctx context.Context, cfg Config, out Outputs) (Stats, error) {
	if cfg.Logins < 0 || int64(cfg.Logins) > MaxLogins {
		return Stats{}, fmt.Errorf("logins must be from 0 to %d, got %d", MaxLogins, cfg.Logins)
	}
	if cfg.AsOf.IsZero() {
		return Stats{}, errors.New("as-of time is required")
	}
	switch cfg.Format {
	case FormatBulk, FormatBulkGzip, FormatJSON, FormatSetup:
	default:
		return Stats{}, fmt.Errorf("unknown format %q (want bulk, bulk-gz, json or setup)", cfg.Format)
	}
	if cfg.Format != FormatJSON {
		return run(ctx, cfg, func(t *table, _ int) (rowWriter, error) {
			gz := cfg.Format == FormatBulkGzip
			name := t.file + ".csv"
			if gz {
				name += ".gz"
			}
			f, err := openFile(out, name, gz)
			if err != nil {
				return nil, err
			}
			if t == setupTable {
				return newSetupWriter(f, t), nil
			}
			return newBulkWriter(f, t), nil
		})
	}
	// Every JSON page states the total, so a first pass counts the rows.
	counts := map[*table]*int{}
	if _, err := run(ctx, cfg, func(t *table, _ int) (rowWriter, error) {
		counts[t] = new(int)
		return countWriter{counts[t]}, nil
	}); err != nil {
		return Stats{}, err
	}
	return run(ctx, cfg, func(t *table, i int) (rowWriter, error) {
		return newJSONPager(out, t, *counts[t], uint64(0x7a3100+i)), nil
	})
}
