// Package analyze owns the audit policy, runs the checks in queries/ against
// the tables ingest loaded, and turns their findings into a removal list.
package analyze

import (
	"context"
	"database/sql"
	_ "embed"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/sessionaudit/sessionaudit/ingest"
	"github.com/sessionaudit/sessionaudit/internal/bug"
	"github.com/sessionaudit/sessionaudit/internal/words"
	"github.com/sessionaudit/sessionaudit/sfid"
)

// Result sums up one audit run. The rows are in the findings and removals
// tables.
type Result struct {
	AsOf     time.Time     // the audit's clock, in UTC
	Checks   []CheckResult // every check in id order, also those that found nothing
	Removals int64         // rows of the removals table
	// HeldBack counts the live sessions findings reached that were kept off
	// the removal list because their username is unknown while
	// protected_users names users by username (see removals.sql).
	HeldBack int64
	// Withheld counts, by reason, the live sessions findings of remove_on
	// reached that the removal list leaves out (the Sessions sheet's "no:
	// …" reasons): a protected user, the exporting user's own session, or
	// held back for want of a username. Largest first.
	Withheld []Withheld
	// Warnings are sentences for the analyst about what the audit could
	// not judge; the summary prints them.
	Warnings []string
	Steps    []Step // how long each step of the run took, in the order they ran
}

// Withheld is how many reached sessions were left off the removal list for
// one reason.
type Withheld struct {
	Reason   string
	Sessions int64
}

// Step is one timed part of a run: a preparation step ("classifying source
// IPs"), a check (named by its id), "building the removal list" or
// "flagging sessions". Steps are
// for performance logs; their names may change between versions.
type Step struct {
	Name    string
	Elapsed time.Duration
	PeakRSS int64 // the process's peak RSS in MiB when the step ended (ingest.PeakRSS)
}

// CheckResult counts one check's findings.
type CheckResult struct {
	Check  Check
	Counts map[Severity]int64 // findings by severity; missing severities are zero
	// NotChecked, when set, says why the check could judge nothing in these
	// exports ("no live session family outside trusted networks has a
	// place"): its zero is not "checked, nothing found", and the summaries
	// say so. A warning of Result says what to export instead.
	NotChecked string
}

// AtLeast returns the number of findings of severity s or higher: the
// audit's --fail-on compares against it, AtLeast(Info) counts them all.
func (r Result) AtLeast(s Severity) int64 {
	var n int64
	for _, c := range r.Checks {
		for sev, k := range c.Counts {
			if sev >= s {
				n += k
			}
		}
	}
	return n
}

// findingColumns is what every check's SELECT returns, in order.
var findingColumns = []struct{ name, typ string }{
	{"severity", "VARCHAR"},
	{"user_id", "VARCHAR"},
	{"username", "VARCHAR"},
	{"session_id", "VARCHAR"},
	{"source_ip", "VARCHAR"},
	{"observed_at", "TIMESTAMP"},
	{"detail", "VARCHAR"},
	{"target_kind", "VARCHAR"},
	{"target_id", "VARCHAR"},
}

//go:embed prelude.sql
var preludeSQL string

//go:embed reach.sql
var reachSQL string

//go:embed removals.sql
var removalsSQL string

//go:embed flags.sql
var flagsSQL string

// Run runs every check against the sessions, logins, users and geo tables
// as of asOf and replaces five tables with its results:
//
//   - ip_info(ip, network, trusted, denied, denied_by): every source IP of a
//     session or login, classified by the policy's networks;
//   - findings(check_id, severity, user_id, username, session_id, source_ip,
//     observed_at, detail, target_kind, target_id): what each check found;
//   - removals(session_id, user_id, username, session_type, source_ip,
//     created, checks, severity, reason): one row per live session reached
//     by a finding of a check in p.RemoveOn, never a protected user's and
//     never the exporting user's current session;
//   - session_flags(id, flags, withheld): the checks whose findings reach
//     each live session, and why one a removal finding reached is not on
//     the list; session_logins(id, session_row, login_time, city,
//     country_iso, country): each live session's login, for the Sessions
//     sheet.
//
// The scripts run in this order: prelude.sql (helpers), the checks,
// reach.sql and removals.sql, then flags.sql. A run that fails leaves
// none of the five tables behind (an earlier run's are gone too). A check
// that fails or returns other columns is an error naming its file.
func Run(ctx context.Context, db *sql.DB, p Policy, asOf time.Time) (Result, error) {
	checks, err := Checks()
	if err != nil {
		return Result{}, err
	}
	return run(ctx, db, p, asOf, checks)
}

// run is Run with the checks given.
func run(ctx context.Context, db *sql.DB, p Policy, asOf time.Time, checks []Check) (Result, error) {
	// DuckDB variables and temporary objects belong to one connection, so the
	// whole run holds one. Each statement commits on its own, with no
	// transaction around the run: data a transaction has written and not
	// committed stays in memory, and at fifty million logins with two million
	// findings the removal list then ran out of DuckDB's share of the
	// budget, where the same statements, committed one by one, spilled and
	// finished. A run that fails drops the tables it makes instead.
	conn, err := db.Conn(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("opening a database connection: %w", err)
	}
	defer conn.Close()
	done := false
	defer func() {
		if !done {
			dropResults(conn)
		}
	}()

	r := runner{conn: conn, p: p, asOf: asOf.UTC()}
	steps := []struct {
		what string
		do   func(context.Context) error
	}{
		{"setting policy variables", r.setVariables},
		{"loading policy tables", r.loadPolicyTables},
		{"classifying source IPs", r.inTransaction(r.loadIPInfo)},
		{"creating helpers", r.execScript(preludeSQL)},
		{"creating the findings table", r.exec(createFindings)},
	}
	var timed []Step
	clock := func(name string, start time.Time) {
		timed = append(timed, Step{Name: name, Elapsed: time.Since(start), PeakRSS: ingest.PeakRSS()})
	}
	// Each step's memory goes back to the system before the next one starts,
	// so that peaks do not stack (see ingest.ReleaseMemory).
	release := func() error { return ingest.ReleaseMemory(ctx, conn) }
	for _, s := range steps {
		start := time.Now()
		if err := s.do(ctx); err != nil {
			return Result{}, fmt.Errorf("%s: %w", s.what, err)
		}
		if err := release(); err != nil {
			return Result{}, err
		}
		clock(s.what, start)
	}
	for _, c := range checks {
		start := time.Now()
		if err := r.runCheck(ctx, c); err != nil {
			return Result{}, err
		}
		if err := release(); err != nil {
			return Result{}, err
		}
		clock(c.ID, start)
	}
	start := time.Now()
	if err := r.execScript(reachSQL + removalsSQL)(ctx); err != nil {
		return Result{}, fmt.Errorf("building the removal list: %w", err)
	}
	clock("building the removal list", start)
	start = time.Now()
	if err := r.execScript(flagsSQL)(ctx); err != nil {
		return Result{}, fmt.Errorf("flagging sessions: %w", err)
	}
	clock("flagging sessions", start)
	res, err := r.result(ctx, checks)
	if err != nil {
		return Result{}, err
	}
	res.Steps = timed
	if err := r.dropTempTables(ctx); err != nil {
		return Result{}, fmt.Errorf("dropping helper tables: %w", err)
	}
	done = true
	return res, nil
}

// inTransaction runs step inside one transaction: a step of many small
// writes (ip_info's batches), each committed on its own, took fifteen times
// as long at ten million logins.
func (r *runner) inTransaction(step func(context.Context) error) func(context.Context) error {
	return func(ctx context.Context) error {
		if _, err := r.conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
			return err
		}
		if err := step(ctx); err != nil {
			r.conn.ExecContext(context.Background(), "ROLLBACK") //nolint:errcheck // the step's error is the one to report
			return err
		}
		_, err := r.conn.ExecContext(ctx, "COMMIT")
		return err
	}
}

// resultTables are the tables a run makes and keeps (see Run).
var resultTables = []string{"ip_info", "findings", "removals", "session_flags", "session_logins"}

// dropResults drops the tables of a run that failed, so that none is left
// half made. It runs on a fresh context: the run's may be what was
// cancelled. A failure to drop is left to the caller's error.
func dropResults(conn *sql.Conn) {
	for _, t := range resultTables {
		conn.ExecContext(context.Background(), "DROP TABLE IF EXISTS "+t) //nolint:errcheck // best effort, after the error that matters
	}
}

const createFindings = `CREATE OR REPLACE TABLE findings (
    check_id    VARCHAR NOT NULL,
    severity    VARCHAR NOT NULL,
    user_id     VARCHAR,
    username    VARCHAR,
    session_id  VARCHAR,
    source_ip   VARCHAR,
    observed_at TIMESTAMP,
    detail      VARCHAR NOT NULL,
    target_kind VARCHAR,
    target_id   VARCHAR
)`

type runner struct {
	conn *sql.Conn
	p    Policy
	asOf time.Time
}

func (r *runner) exec(query string, args ...any) func(context.Context) error {
	return func(ctx context.Context) error {
		_, err := r.conn.ExecContext(ctx, query, args...)
		return err
	}
}

// execScript runs statements separated by ";" at the end of a line.
func (r *runner) execScript(script string) func(context.Context) error {
	return func(ctx context.Context) error {
		for _, stmt := range strings.Split(script, ";\n") {
			if strings.TrimSpace(stripComments(stmt)) == "" {
				continue
			}
			if _, err := r.conn.ExecContext(ctx, stmt); err != nil {
				return err
			}
			// As between steps (see run), so that the peaks of a script's
			// statements do not stack.
			if err := ingest.ReleaseMemory(ctx, r.conn); err != nil {
				return err
			}
		}
		return nil
	}
}

// stripComments drops "--" comment lines.
func stripComments(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "--") {
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// setVariables makes as_of and every scalar policy knob readable as
// getvariable('<key>'), and ranks severities for severity_rank().
func (r *runner) setVariables(ctx context.Context) error {
	stmts := []string{
		fmt.Sprintf("SET VARIABLE as_of = TIMESTAMP '%s'", r.asOf.Format("2006-01-02 15:04:05.999999")),
	}
	for _, key := range slices.Sorted(maps.Keys(policyKeys)) {
		if f := policyKeys[key]; f.sqlValue != nil {
			stmts = append(stmts, fmt.Sprintf("SET VARIABLE %q = %s", key, f.sqlValue(&r.p)))
		}
	}
	quoted := make([]string, len(severityNames))
	for i, s := range severityNames {
		quoted[i] = "'" + s + "'"
	}
	stmts = append(stmts, fmt.Sprintf(
		"CREATE OR REPLACE TEMP MACRO severity_rank(s) AS list_position([%s], lower(s)) - 1", strings.Join(quoted, ", ")))
	for _, s := range stmts {
		if _, err := r.conn.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	return nil
}

// loadPolicyTables loads the policy's lists and maps as policy_<key> tables.
func (r *runner) loadPolicyTables(ctx context.Context) error {
	p := r.p
	var tokenTypes, byType, byUser, protected, removeOn [][]any
	for _, t := range p.TokenTypes {
		tokenTypes = append(tokenTypes, []any{t})
	}
	for _, t := range slices.Sorted(maps.Keys(p.SessionMaxAgeByType)) {
		byType = append(byType, []any{t, p.SessionMaxAgeByType[t].Microseconds()})
	}
	for _, u := range slices.Sorted(maps.Keys(p.TokenMaxAgeByUser)) {
		id, name := splitUser(u)
		byUser = append(byUser, []any{id, name, p.TokenMaxAgeByUser[u].Microseconds()})
	}
	for _, u := range p.ProtectedUsers {
		id, name := splitUser(u)
		protected = append(protected, []any{id, name})
	}
	for _, c := range p.RemoveOn {
		removeOn = append(removeOn, []any{c})
	}
	tables := []struct {
		create, row string
		rows        [][]any
	}{
		{"policy_token_types(session_type VARCHAR)", "(?)", tokenTypes},
		{"policy_session_max_age_by_type(session_type VARCHAR, max_age INTERVAL)", "(?, to_microseconds(?))", byType},
		{"policy_token_max_age_by_user(user_id VARCHAR, username VARCHAR, max_age INTERVAL)", "(?, ?, to_microseconds(?))", byUser},
		{"policy_protected_users(user_id VARCHAR, username VARCHAR)", "(?, ?)", protected},
		{"policy_remove_on(check_id VARCHAR)", "(?)", removeOn},
	}
	for _, t := range tables {
		if _, err := r.conn.ExecContext(ctx, "CREATE OR REPLACE TEMP TABLE "+t.create); err != nil {
			return err
		}
		name, _, _ := strings.Cut(t.create, "(")
		if err := ingest.InsertRows(ctx, r.conn, name, t.row, t.rows); err != nil {
			return err
		}
	}
	return nil
}

// splitUser tells an 18-character Id from a lower-case username, as the
// policy stores them.
func splitUser(u string) (id, username any) {
	if n, err := sfid.Normalize(u); err == nil && n == u {
		return u, nil
	}
	return nil, u
}

// loadIPInfo classifies every distinct source IP of sessions and logins in
// Go, since DuckDB's inet extension cannot be loaded, and stores the result
// as ip_info for the checks to join.
//
// The addresses travel as text, one a line, in both directions: binding one
// VARCHAR of a million lines and splitting it in SQL is some twenty times
// faster than binding a list parameter per column (the driver makes a value
// per element) or scanning a row at a time. Source IPs are canonical netip
// text (ingest), so they hold no tab or newline.
//
// The classes go back as two more strings with a line per address, in the
// batch's order: DuckDB unnests the three side by side, which costs far less
// than splitting a line per address into its fields. And while DuckDB
// stores one batch and reads the next, another goroutine classifies.
func (r *runner) loadIPInfo(ctx context.Context) error {
	if _, err := r.conn.ExecContext(ctx, `CREATE OR REPLACE TABLE ip_info (
    ip        VARCHAR NOT NULL, -- as in sessions.source_ip and logins.source_ip
    network   VARCHAR,          -- the IPv4 /24 or IPv6 /48 it belongs to; NULL when unreadable
    trusted   BOOLEAN NOT NULL, -- in trusted_networks
    denied    BOOLEAN NOT NULL, -- in denied_networks or denied_networks_file
    denied_by VARCHAR           -- the most specific denied network and where the policy lists it
)`); err != nil {
		return err
	}
	// The distinct addresses (ingest lists them in source_ips) go to Go a
	// batch at a time, each batch as one string (scanning a row per address
	// costs far more): at fifty million logins, one string of them all, and
	// its copies, took a gigabyte. The batches are ranges of source_ips'
	// rowids, which the load wrote before this transaction began.
	var n int64
	if err := r.conn.QueryRowContext(ctx, `SELECT coalesce(max(rowid) + 1, 0) FROM source_ips`).Scan(&n); err != nil {
		return err
	}
	trusted, denied := newNetworkSet(r.p.TrustedNetworks), newNetworkSet(r.p.DeniedNetworks)

	// One goroutine classifies the batches it is sent, in order; the rest of
	// the run's statements stay on this one, the transaction's.
	batches := make(chan string)
	results := make(chan classifiedBatch, 1)
	classify := func(batch string) (c classifiedBatch) {
		defer bug.Catch("classifying source IPs", func(err error) { c.err = err })
		return classifyBatch(batch, trusted, denied)
	}
	go func() {
		defer close(results)
		for batch := range batches {
			results <- classify(batch)
		}
	}()
	defer func() {
		close(batches)
		for range results { // let the goroutine finish when returning early
		}
	}()
	store := func(c classifiedBatch) error {
		if c.err != nil {
			return c.err
		}
		_, err := r.conn.ExecContext(ctx, `INSERT INTO ip_info
SELECT ip, nullif(network, ''), class[1] = 'T', class[2] = 'D', nullif(class[3:], '')
FROM (SELECT
    unnest(string_split(?, e'\n')) AS ip,
    unnest(string_split(?, e'\n')) AS network,
    unnest(string_split(?, e'\n')) AS class)`, c.ips, c.networks, c.classes)
		if err != nil {
			return fmt.Errorf("inserting into ip_info: %w", err)
		}
		return nil
	}
	pending := false // a batch is being classified
	for start := int64(0); start < n; start += ipBatch {
		var batch sql.NullString // NULL for a range with no rows left
		if err := r.conn.QueryRowContext(ctx, `SELECT string_agg(ip, e'\n') FROM source_ips WHERE rowid >= ? AND rowid < ?`,
			start, start+ipBatch).Scan(&batch); err != nil {
			return err
		}
		if !batch.Valid {
			continue
		}
		batches <- batch.String
		if pending {
			if err := store(<-results); err != nil {
				return err
			}
		}
		pending = true
	}
	if pending {
		if err := store(<-results); err != nil {
			return err
		}
	}
	return nil
}

// classifiedBatch is a batch of addresses, one a line, with a line per
// address in networks (its network, "" when unreadable) and in classes: T
// (trusted) or -, D (denied) or -, then the denying network and where it is
// listed. err is a panic of the classification's, as a *bug.Panic.
type classifiedBatch struct {
	ips, networks, classes string
	err                    error
}

// classifyBatch classifies the addresses of batch, one a line.
func classifyBatch(batch string, trusted, denied networkSet) classifiedBatch {
	// A network takes about as many bytes as its address, and a class two:
	// growing the buffers once saves copying them as they double.
	networks := make([]byte, 0, len(batch)+len(batch)/4+64)
	classes := make([]byte, 0, len(batch)/4+1024)
	first := true
	for ip := range strings.SplitSeq(batch, "\n") {
		if !first {
			networks = append(networks, '\n')
			classes = append(classes, '\n')
		}
		first = false
		c := classifyIP(ip, trusted, denied)
		networks = append(networks, c.network...)
		classes = append(classes, flag(c.trusted, "T", "-")...)
		classes = append(classes, flag(c.denied, "D", "-")...)
		classes = append(classes, c.deniedBy...)
	}
	return classifiedBatch{ips: batch, networks: string(networks), classes: string(classes)}
}

// ipBatch is how many distinct addresses are classified at once (a variable
// so that a test can make batches of two).
var ipBatch int64 = 200_000

func flag(b bool, yes, no string) string {
	if b {
		return yes
	}
	return no
}

// ipClass is what the policy says of one source IP.
type ipClass struct {
	network         string // IPv4 /24 or IPv6 /48; "" when the IP is unreadable
	trusted, denied bool
	deniedBy        string // the most specific denied network and where it is listed
}

// classifyIP says which network ip belongs to and whether the policy trusts
// or denies it.
func classifyIP(ip string, trusted, denied networkSet) ipClass {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ipClass{}
	}
	a = a.Unmap().WithZone("")
	bits := 48
	if a.Is4() {
		bits = 24
	}
	c := ipClass{network: netip.PrefixFrom(a, bits).Masked().String()}
	_, c.trusted = trusted.match(a)
	if d, ok := denied.match(a); ok {
		// The source names a file, whose name may hold a newline or bytes
		// that are not UTF-8: the classes travel one a line, as text, so it
		// is cited as the summary prints a file name (a\x0ab.yaml:5).
		c.denied, c.deniedBy = true, fmt.Sprintf("%s (%s)", d.Prefix, words.Printable(d.Source))
	}
	return c
}

// networkSet finds the most specific network holding an address with one map
// look-up per prefix length in use, so a long denied list stays cheap.
type networkSet struct {
	byPrefix map[netip.Prefix]Network
	lengths  []int // prefix lengths in use, longest first
}

func newNetworkSet(nets []Network) networkSet {
	s := networkSet{byPrefix: map[netip.Prefix]Network{}}
	for _, n := range nets {
		p := n.Prefix
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		if _, dup := s.byPrefix[p]; !dup {
			s.byPrefix[p] = n
		}
		if !slices.Contains(s.lengths, p.Bits()) {
			s.lengths = append(s.lengths, p.Bits())
		}
	}
	slices.Sort(s.lengths)
	slices.Reverse(s.lengths)
	return s
}

func (s networkSet) match(a netip.Addr) (Network, bool) {
	for _, bits := range s.lengths {
		if bits > a.BitLen() {
			continue
		}
		if n, ok := s.byPrefix[netip.PrefixFrom(a, bits).Masked()]; ok {
			return n, true
		}
	}
	return Network{}, false
}

// runCheck checks that c returns the finding columns, then adds its rows
// to findings and checks their values.
func (r *runner) runCheck(ctx context.Context, c Check) error {
	rows, err := r.conn.QueryContext(ctx, "DESCRIBE "+c.query)
	if err != nil {
		return fmt.Errorf("%s: %w", c.file, err)
	}
	var got []string
	for rows.Next() {
		var name, typ string
		var null, key, def, extra sql.NullString
		if err := rows.Scan(&name, &typ, &null, &key, &def, &extra); err != nil {
			rows.Close()
			return fmt.Errorf("%s: describing columns: %w", c.file, err)
		}
		got = append(got, name+" "+typ)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s: %w", c.file, err)
	}
	want := make([]string, len(findingColumns))
	for i, col := range findingColumns {
		want[i] = col.name + " " + col.typ
	}
	if !slices.Equal(got, want) {
		return fmt.Errorf("%s: returns columns (%s), want (%s)", c.file, strings.Join(got, ", "), strings.Join(want, ", "))
	}
	if _, err := r.conn.ExecContext(ctx, "INSERT INTO findings SELECT ?, * FROM ("+c.query+"\n)", c.ID); err != nil {
		return fmt.Errorf("%s: %w", c.file, err)
	}
	var sev, kind, target sql.NullString
	err = r.conn.QueryRowContext(ctx, `SELECT severity, target_kind, target_id FROM findings
WHERE check_id = ? AND (severity_rank(severity) IS NULL OR severity <> lower(severity)
    OR coalesce(target_kind, '') NOT IN ('', 'login', 'family', 'session')
    OR (target_kind IS NULL) <> (target_id IS NULL))
LIMIT 1`, c.ID).Scan(&sev, &kind, &target)
	switch {
	case err == sql.ErrNoRows:
		return nil
	case err != nil:
		return fmt.Errorf("%s: checking findings: %w", c.file, err)
	}
	return fmt.Errorf("%s: returned a finding with severity %q, target_kind %q and target_id %q; want a severity of %s and a target_kind of login, family, session or NULL with a target_id exactly when target_kind is set",
		c.file, sev.String, kind.String, target.String, strings.Join(severityNames[:], ", "))
}

// unnamedWarning warns when the policy names users by username but some
// live sessions have none, so those entries cannot apply to them, with
// res.HeldBack, the sessions held back from the removal list for it.
func (r *runner) unnamedWarning(ctx context.Context, res *Result) error {
	var keys []string
	for _, u := range r.p.ProtectedUsers {
		if _, name := splitUser(u); name != nil {
			keys = append(keys, "protected_users")
			break
		}
	}
	for u := range r.p.TokenMaxAgeByUser {
		if _, name := splitUser(u); name != nil {
			keys = append(keys, "token_max_age_by_user")
			break
		}
	}
	if len(keys) == 0 {
		return nil
	}
	var unnamed int64
	if err := r.conn.QueryRowContext(ctx, `SELECT count(*) FROM sessions WHERE username IS NULL AND is_live(expires)`).Scan(&unnamed); err != nil {
		return err
	}
	if unnamed == 0 {
		return nil
	}
	it := map[bool]string{true: "it", false: "them"}[unnamed == 1]
	w := fmt.Sprintf("%s no username (neither the sessions export, a users export nor a Login History API export gives one), "+
		"so the entries of %s given by username cannot be checked against %s.",
		words.Count(unnamed, "live session has", "live sessions have"), strings.Join(keys, " and "), it)
	if res.HeldBack > 0 {
		w += fmt.Sprintf(" %s that findings reached %s held back from the removal list for that reason.",
			words.Count(res.HeldBack, "session", "sessions"), map[bool]string{true: "was", false: "were"}[res.HeldBack == 1])
	}
	whose := map[bool]string{true: "its user", false: "their users"}[unnamed == 1]
	res.Warnings = append(res.Warnings, w+" Give a User export (--users, with Id and Username) that names "+whose+".")
	return nil
}

// unknownProtectedWarning warns of protected_users entries that match no
// user of the users export: a misspelt name or Id protects no one, and the
// user it was meant for is proposed for removal like any other. Without a
// users export nothing lists every user (a break-glass administrator may
// have no session or login in the exports), so nothing is said.
func (r *runner) unknownProtectedWarning(ctx context.Context, res *Result) error {
	if len(r.p.ProtectedUsers) == 0 {
		return nil
	}
	var names sql.NullString
	var n int
	if err := r.conn.QueryRowContext(ctx, `SELECT string_agg(coalesce(p.user_id, p.username), ', ' ORDER BY coalesce(p.user_id, p.username)), count(*)
		FROM policy_protected_users p
		WHERE EXISTS (SELECT 1 FROM users)
		    AND NOT EXISTS (SELECT 1 FROM users u WHERE lower(u.id) = lower(p.user_id) OR lower(u.username) = p.username)`).Scan(&names, &n); err != nil {
		return err
	}
	if n == 0 {
		return nil
	}
	is := map[bool]string{true: "is no user", false: "are no users"}[n == 1]
	res.Warnings = append(res.Warnings, fmt.Sprintf("The policy's protected_users names %s, which %s of the users export: "+
		"check the spelling, since an entry that matches no one protects no one, and the user it was meant for is proposed for removal like any other.",
		names.String, is))
	return nil
}

// documentedTypes are the SessionTypes Salesforce documents, in lower case
// as the policy keeps them (the set is open: an org may have others).
var documentedTypes = []string{"ui", "aura", "content", "visualforce", "api", "apionlyuser", "oauth2", "substituteuser",
	"chatternetworks", "chatternetworksapionly", "chatternetworksapionlyoauth", "tempuifrontdoor", "tempcontentexchange",
	"tempvisualforceexchange", "tempoauthaccesstokenfrontdoor", "sitepreview", "sitestudio", "usersite", "livepreview",
	"oauthapprovalui", "streaming_api", "wdc_api", "lightningcontainercomponent", "datadownloadonly", "node", "unspecifiedtype"}

// unknownTypesWarning warns of the session types session_max_age_by_type and
// token_types name that Salesforce does not document and no session of the
// export has: most likely misspelt ("Visualforse", "Oath2"), so that a limit
// meant for a type judges nothing, and a token type's sessions are judged
// by the session limits instead, as over-age sessions.
func (r *runner) unknownTypesWarning(ctx context.Context, res *Result) error {
	named := map[string][]string{}
	for t := range r.p.SessionMaxAgeByType {
		named[t] = append(named[t], "session_max_age_by_type")
	}
	for _, t := range r.p.TokenTypes {
		named[t] = append(named[t], "token_types")
	}
	var unknown []string
	for t := range named {
		if !slices.Contains(documentedTypes, t) {
			unknown = append(unknown, t)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	rows, err := r.conn.QueryContext(ctx, `SELECT DISTINCT lower(session_type) FROM sessions WHERE session_type IS NOT NULL`)
	if err != nil {
		return err
	}
	defer rows.Close()
	seen := map[string]bool{}
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return err
		}
		seen[t] = true
	}
	if err := rows.Err(); err != nil {
		return err
	}
	slices.Sort(unknown)
	for _, t := range unknown {
		if seen[t] {
			continue
		}
		keys := named[t]
		slices.Sort(keys)
		verb := "names"
		if len(keys) > 1 {
			verb = "name" // session_max_age_by_type and token_types
		}
		w := fmt.Sprintf("The policy's %s %s the session type %s, which Salesforce does not document and no session of the export has: check the spelling", strings.Join(keys, " and "), verb, t)
		if slices.Contains(keys, "token_types") {
			w += ": a token type missing from token_types has its sessions judged by the session limits, as sessions over age."
		} else {
			w += ": a limit for a type no session has judges nothing."
		}
		res.Warnings = append(res.Warnings, w)
	}
	return nil
}

// dropTempTables drops the run's temporary tables (the policy tables and
// the prelude's), which would otherwise hold memory on the pooled connection
// while the reports are written.
func (r *runner) dropTempTables(ctx context.Context) error {
	rows, err := r.conn.QueryContext(ctx, "SELECT table_name FROM duckdb_tables() WHERE temporary")
	if err != nil {
		return err
	}
	var names []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return err
		}
		names = append(names, name)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, name := range names {
		if _, err := r.conn.ExecContext(ctx, fmt.Sprintf("DROP TABLE temp.%q", name)); err != nil {
			return err
		}
	}
	return nil
}

// result counts the findings per check and severity, and the removals.
func (r *runner) result(ctx context.Context, checks []Check) (Result, error) {
	res := Result{AsOf: r.asOf}
	counts := map[string]map[Severity]int64{}
	rows, err := r.conn.QueryContext(ctx, "SELECT check_id, severity, count(*) FROM findings GROUP BY ALL")
	if err != nil {
		return Result{}, fmt.Errorf("counting findings: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, sev string
		var n int64
		if err := rows.Scan(&id, &sev, &n); err != nil {
			return Result{}, fmt.Errorf("counting findings: %w", err)
		}
		s, err := ParseSeverity(sev)
		if err != nil {
			return Result{}, fmt.Errorf("counting findings: %w", err)
		}
		if counts[id] == nil {
			counts[id] = map[Severity]int64{}
		}
		counts[id][s] = n
	}
	if err := rows.Err(); err != nil {
		return Result{}, fmt.Errorf("counting findings: %w", err)
	}
	notChecked, notCheckedWarnings, err := r.notChecked(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("telling which checks had nothing to judge: %w", err)
	}
	for _, c := range checks {
		cr := CheckResult{Check: c, Counts: counts[c.ID], NotChecked: notChecked[c.ID]}
		if cr.Counts == nil {
			cr.Counts = map[Severity]int64{}
		}
		res.Checks = append(res.Checks, cr)
	}
	if err := r.conn.QueryRowContext(ctx, "SELECT count(*) FROM removals").Scan(&res.Removals); err != nil {
		return Result{}, fmt.Errorf("counting removals: %w", err)
	}
	if res.Withheld, err = r.withheld(ctx); err != nil {
		return Result{}, fmt.Errorf("counting sessions left off the removal list: %w", err)
	}
	// removals_held_back is empty unless protected_users names someone by
	// username (see removals.sql).
	if err := r.conn.QueryRowContext(ctx, `SELECT count(*) FROM removals_held_back`).Scan(&res.HeldBack); err != nil {
		return Result{}, fmt.Errorf("counting sessions held back for want of a username: %w", err)
	}
	if err := r.unnamedWarning(ctx, &res); err != nil {
		return Result{}, fmt.Errorf("counting sessions without a username: %w", err)
	}
	if err := r.unknownProtectedWarning(ctx, &res); err != nil {
		return Result{}, fmt.Errorf("matching protected_users to the users export: %w", err)
	}
	if err := r.unknownTypesWarning(ctx, &res); err != nil {
		return Result{}, fmt.Errorf("matching the policy's session types to the sessions export: %w", err)
	}
	res.Warnings = append(res.Warnings, notCheckedWarnings...)
	if len(r.p.RemoveOn) == 0 {
		// Its zero removals must not read as "nothing to end".
		res.Warnings = append(res.Warnings, "The policy's remove_on lists no check, so no session is proposed for removal, whatever the findings.")
	}
	return res, nil
}

// withheld counts the sessions removals_withheld leaves off the list, by
// reason, largest first.
func (r *runner) withheld(ctx context.Context) ([]Withheld, error) {
	rows, err := r.conn.QueryContext(ctx, `SELECT why, count(*) AS n FROM removals_withheld GROUP BY why ORDER BY n DESC, why`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Withheld
	for rows.Next() {
		var w Withheld
		if err := rows.Scan(&w.Reason, &w.Sessions); err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// notChecked tells the checks that had nothing to judge in these exports,
// by id, with why in a few words, so that the summaries do not show their
// zero as "checked, nothing found", and gives the warnings that say what to
// export instead. Each test but the count stops at the first row that
// settles it.
//   - concurrent_sessions and ip_new_for_user compare places: not checked
//     when there are live families outside trusted networks and none has a
//     place, from its session or from a login a session names (a sessions
//     export without the LoginGeo columns, beside a Setup download).
//   - impossible_travel compares coordinates: not checked when there are
//     successful logins outside trusted networks and none has any.
//   - session_without_login matches sessions to logins by Id: not checked
//     when no login has one (a Setup download's rows have none), so that
//     the history covers no time (login_coverage is empty).
//
// A Setup download explains the last two by itself (the audit command warns
// of it), so impossible_travel is warned of here only when some logins have
// Ids (came through the API), and session_without_login only when the
// history is empty.
//
// Two warnings come with these though no check is marked: every live family
// coming from a trusted network (judged, but most likely a trusted_networks
// broader than meant), and the gaps between login exports in which families
// session_without_login cannot judge began (historyGaps).
func (r *runner) notChecked(ctx context.Context) (map[string]string, []string, error) {
	var families, live int64
	var placeless, successes, located, withIDs, logins bool
	err := r.conn.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM live_families WHERE NOT coalesce(trusted, false)),
		(SELECT count(*) FROM live_families),
		NOT EXISTS (SELECT 1 FROM live_families WHERE NOT coalesce(trusted, false)
			AND NOT (country_key IS NULL AND (latitude IS NULL OR longitude IS NULL))),
		EXISTS (SELECT 1 FROM untrusted_successes),
		EXISTS (SELECT 1 FROM untrusted_successes WHERE latitude IS NOT NULL AND longitude IS NOT NULL),
		EXISTS (SELECT 1 FROM login_coverage),
		EXISTS (SELECT 1 FROM logins)`).Scan(&families, &live, &placeless, &successes, &located, &withIDs, &logins)
	if err != nil {
		return nil, nil, err
	}
	why := map[string]string{}
	var warnings []string
	if live > 0 && families == 0 {
		// Judged, and rightly clear, but most likely a trusted_networks
		// broader than meant (0.0.0.0/0 trusts every address).
		which := fmt.Sprintf("Every one of the %s comes from a trusted network, so concurrent_sessions and ip_new_for_user judged none of them",
			words.Count(live, "live session family", "live session families"))
		if live == 1 {
			which = "The one live session family comes from a trusted network, so concurrent_sessions and ip_new_for_user did not judge it"
		}
		warnings = append(warnings, which+": check that trusted_networks is not broader than meant.")
	}
	if families > 0 && placeless {
		const placeless = "no live session family outside trusted networks has a place"
		why["concurrent_sessions"], why["ip_new_for_user"] = placeless, placeless
		which := fmt.Sprintf("None of the %s outside trusted networks has a place", words.Count(families, "live session family", "live session families"))
		if families == 1 {
			which = "The one live session family outside trusted networks has no place"
		}
		warnings = append(warnings, which+": neither the sessions export "+
			"(its LoginGeo.City, .Country, .CountryIso, .Latitude and .Longitude) nor a login in the history that a session names gives one, "+
			"so concurrent_sessions and ip_new_for_user had nothing to compare. Export AuthSession with those LoginGeo columns, and Login History through the API.")
	}
	if successes && !located {
		why["impossible_travel"] = "no successful login outside trusted networks has coordinates"
		if withIDs {
			warnings = append(warnings, "No successful login outside trusted networks has coordinates, so impossible_travel had nothing to compare. "+
				"Export Login History through the API with LoginGeo.Latitude and LoginGeo.Longitude (or LoginGeoId, with a LoginGeo export given to --geo).")
		}
	}
	if !withIDs {
		why["session_without_login"] = "no login in the history has a Salesforce Id to match sessions against"
		if !logins {
			warnings = append(warnings, "The login history is empty, so session_without_login could match no session to its login. Give the Login History export (--logins).")
		}
	}
	gaps, err := r.historyGaps(ctx)
	if err != nil {
		return nil, nil, err
	}
	warnings = append(warnings, gaps...)
	late, err := r.historyEndedBefore(ctx)
	if err != nil {
		return nil, nil, err
	}
	if late != "" {
		warnings = append(warnings, late)
	}
	return why, warnings, nil
}

// historyEndedBefore warns of the live session families naming a login the
// history lacks that began after the history's last login: session_without_login
// judges only families begun within the history, and these (their logins may
// simply be newer than the export, as when the Login History was exported
// hours before the sessions) would otherwise pass without a word, its zero
// reading as "checked, nothing found". The families begun before the
// history's first login go unmentioned: long-lived tokens outlive the six
// months Salesforce keeps.
func (r *runner) historyEndedBefore(ctx context.Context) (string, error) {
	var families int64
	var ended, first sql.NullTime
	if err := r.conn.QueryRowContext(ctx, `WITH history AS (SELECT max(last_login) AS ended FROM login_coverage)
		SELECT count(f.began), any_value(h.ended), min(f.began)
		FROM history h LEFT JOIN families_missing_login f ON f.began > h.ended`).Scan(&families, &ended, &first); err != nil {
		return "", err
	}
	if families == 0 {
		return "", nil
	}
	const layout = "2006-01-02 15:04 UTC"
	// With one, the warning speaks of the one.
	at, them, logins, they := "the first at", "them", "their logins", "they"
	if families == 1 {
		at, them, logins, they = "at", "it", "its login", "the family"
	}
	return fmt.Sprintf("%s naming a login the history lacks began after the login history's last login (%s), %s %s, "+
		"where session_without_login cannot judge %s: %s may be newer than the export. "+
		"Export the Login History after the sessions, so that it covers the time %s began.",
		words.Count(families, "live session family", "live session families"),
		ended.Time.UTC().Format(layout), at, first.Time.UTC().Format(layout), them, logins, they), nil
}

// maxGapsNamed is how many gaps in the login history a warning lists.
const maxGapsNamed = 5

// historyGaps warns of the gaps between the stretches of time the login
// exports cover (login_history_stretches, see prelude.sql), such as those of
// two months with the one between them missing, in which live session
// families began that name a login the history lacks (families_missing_login,
// which session_without_login judges when they began within the history): it
// cannot judge them. A gap in which no such family began changes nothing and
// goes unmentioned.
func (r *runner) historyGaps(ctx context.Context) ([]string, error) {
	rows, err := r.conn.QueryContext(ctx, `WITH gaps AS (
		    SELECT last_login AS gap_from, next_first AS gap_to
		    FROM (SELECT last_login, lead(first_login) OVER (ORDER BY first_login) AS next_first FROM login_history_stretches)
		    WHERE next_first IS NOT NULL
		)
		SELECT g.gap_from, g.gap_to, count(*) AS families
		FROM gaps g JOIN families_missing_login f ON f.began > g.gap_from AND f.began < g.gap_to
		GROUP BY ALL ORDER BY g.gap_from`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var gaps []string
	var n, families int64
	for rows.Next() {
		var from, to time.Time
		var k int64
		if err := rows.Scan(&from, &to, &k); err != nil {
			return nil, err
		}
		families += k
		if n++; n <= maxGapsNamed {
			const layout = "2006-01-02 15:04 UTC"
			gaps = append(gaps, fmt.Sprintf("%s to %s (%s)", from.UTC().Format(layout), to.UTC().Format(layout), words.Thousands(k)))
		}
	}
	if err := rows.Err(); err != nil || n == 0 {
		return nil, err
	}
	list := strings.Join(gaps, ", ")
	if n > maxGapsNamed {
		list += fmt.Sprintf(" and %s more", words.Thousands(n-maxGapsNamed))
	}
	// With one family, or one gap, the warning speaks of the one.
	them, times := "them", "those times"
	if families == 1 {
		them = "it"
	}
	if n == 1 {
		times = "that time"
	}
	return []string{fmt.Sprintf("%s naming a login the history lacks began in %s between the Login History exports given "+
		"(more than session_without_login.max_export_gap from one export's last login to the next one's first), where session_without_login cannot judge %s: %s. "+
		"Give the Login History export for %s.",
		words.Count(families, "live session family", "live session families"), words.Count(n, "gap", "gaps"), them, list, times)}, nil
}
