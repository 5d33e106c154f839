package analyze

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/sessionaudit/sessionaudit/queries"
)

// Check is one audit check: a SQL file in queries/ and what its header says.
type Check struct {
	ID          string   // the file name without .sql
	Title       string   // a short name for tables and menus
	Severity    Severity // base severity; a finding may be raised or lowered from it
	Rationale   string   // why the check matters
	Remediation string   // what an analyst should do; may be empty
	Knobs       []string // the policy keys it reads, e.g. "impossible_travel.max_speed_kmh"
	// Removes says what its findings propose for removal when remove_on
	// lists it ("the session"), or "nothing" and why: its findings target
	// nothing (target_kind NULL), so remove_on may not list it.
	Removes string

	file  string // e.g. "queries/impossible_travel.sql", for errors
	query string // the SELECT that returns the finding columns
}

// ProposesRemovals says whether the check's findings are grounds to end a
// session: a check whose header says "removes: nothing" reports only, by
// design, though its findings may name the session they are about.
func (c Check) ProposesRemovals() bool { return !strings.HasPrefix(c.Removes, "nothing") }

// Checks returns every check in queries/, sorted by id. It fails when a
// file's header is missing a key, has an unknown one, or names an unknown
// policy knob; the error quotes the line.
func Checks() ([]Check, error) { return loadChecks(queries.FS, "queries") }

// loadChecks reads every *.sql file of fsys; dir is how errors name the folder.
func loadChecks(fsys fs.FS, dir string) ([]Check, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, fmt.Errorf("listing checks: %w", err)
	}
	slices.Sort(names)
	checks := make([]Check, 0, len(names))
	for _, name := range names {
		src, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("reading check: %w", err)
		}
		c, err := parseCheck(path.Join(dir, name), string(src))
		if err != nil {
			return nil, err
		}
		checks = append(checks, c)
	}
	return checks, nil
}

// headerLine is "-- key: value"; continuation lines start with "--" and at
// least two spaces and add to the previous key's value.
var (
	headerLine       = regexp.MustCompile(`^--\s?([A-Za-z_][A-Za-z0-9_-]*):\s*(.*)$`)
	continuationLine = regexp.MustCompile(`^--\s{2,}(\S.*)$`)
)

var headerKeys = []string{"id", "title", "severity", "rationale", "remediation", "knobs", "removes"}

// parseCheck reads a check's header and keeps the rest as its query. The
// header is the run of "--" lines that opens the file.
func parseCheck(file, src string) (Check, error) {
	src = strings.TrimPrefix(src, "\ufeff")
	lines := strings.SplitAfter(src, "\n")
	values := map[string]string{}
	lineOf := map[string]int{}
	quote := map[string]string{}
	last := ""
	body := 0
	for i, raw := range lines {
		line := strings.TrimRight(raw, "\r\n")
		if !strings.HasPrefix(line, "--") {
			break
		}
		body = i + 1
		if m := continuationLine.FindStringSubmatch(line); m != nil && last != "" {
			values[last] += " " + strings.TrimSpace(m[1])
			continue
		}
		m := headerLine.FindStringSubmatch(line)
		if m == nil {
			return Check{}, fmt.Errorf("%s:%d: %q is not a \"-- key: value\" header line", file, i+1, line)
		}
		key := m[1]
		if !slices.Contains(headerKeys, key) {
			return Check{}, fmt.Errorf("%s:%d: unknown key %q in %q (use %s)", file, i+1, key, line, strings.Join(headerKeys, ", "))
		}
		if _, dup := values[key]; dup {
			return Check{}, fmt.Errorf("%s:%d: key %q given twice in %q", file, i+1, key, line)
		}
		values[key], lineOf[key], quote[key], last = strings.TrimSpace(m[2]), i+1, line, key
	}
	for _, key := range headerKeys {
		if _, ok := values[key]; !ok && key != "remediation" {
			return Check{}, fmt.Errorf("%s: missing header line \"-- %s: …\"", file, key)
		}
		if v, ok := values[key]; ok && v == "" && key != "knobs" {
			return Check{}, fmt.Errorf("%s:%d: key %q has no value in %q", file, lineOf[key], key, quote[key])
		}
	}
	c := Check{
		ID:          values["id"],
		Title:       values["title"],
		Rationale:   values["rationale"],
		Remediation: values["remediation"],
		Removes:     values["removes"],
		Knobs:       []string{},
		file:        file,
		query:       strings.TrimSpace(strings.Join(lines[body:], "")),
	}
	if want := strings.TrimSuffix(path.Base(file), ".sql"); c.ID != want {
		return Check{}, fmt.Errorf("%s:%d: id %q differs from the file name in %q (want %q)", file, lineOf["id"], c.ID, quote["id"], want)
	}
	sev, err := ParseSeverity(values["severity"])
	if err != nil {
		return Check{}, fmt.Errorf("%s:%d: %v in %q", file, lineOf["severity"], err, quote["severity"])
	}
	c.Severity = sev
	for _, k := range strings.Split(values["knobs"], ",") {
		k = strings.TrimSpace(k)
		if k == "" {
			continue
		}
		if _, ok := policyKeys[k]; !ok || isBlock(k) {
			return Check{}, fmt.Errorf("%s:%d: knob %q is not a policy key in %q", file, lineOf["knobs"], k, quote["knobs"])
		}
		c.Knobs = append(c.Knobs, k)
	}
	c.query = strings.TrimSpace(strings.TrimSuffix(c.query, ";"))
	if c.query == "" {
		return Check{}, fmt.Errorf("%s: no query after the header", file)
	}
	// getvariable of a name the run never sets is NULL, not an error: a
	// check reading one would silently find nothing. So every call must
	// name its variable in a plain string, and the name must be set.
	code := sqlLineComment.ReplaceAllString(c.query, "")
	if calls, named := len(variableCall.FindAllString(code, -1)), len(variableRead.FindAllString(code, -1)); calls != named {
		return Check{}, fmt.Errorf("%s: calls getvariable with something other than a plain 'name', which loading cannot check", file)
	}
	for _, m := range variableRead.FindAllStringSubmatch(code, -1) {
		if f, ok := policyKeys[m[1]]; !slices.Contains(runVariables, m[1]) && (!ok || f.sqlValue == nil) {
			return Check{}, fmt.Errorf("%s: reads getvariable('%s'), which the run does not set: the variables are %s and the policy keys "+
				"given a sqlValue in analyze/policy.go", file, m[1], strings.Join(runVariables, ", "))
		}
	}
	return c, nil
}

// variableRead finds the names a query reads with getvariable, in any case
// and spacing DuckDB takes; variableCall finds every call, named or not.
var (
	variableRead   = regexp.MustCompile(`(?i)\bgetvariable\s*\(\s*'([^']*)'\s*\)`)
	variableCall   = regexp.MustCompile(`(?i)\bgetvariable\s*\(`)
	sqlLineComment = regexp.MustCompile(`--[^\n]*`)
)

// runVariables are the variables besides the policy's that a check may
// read: the audit's clock (setVariables) and whether some logins have no Id
// (prelude.sql). The run sets one more, prelude.sql's reused_families, which
// only the prelude's own views read: a check reading it fails to load.
var runVariables = []string{"as_of", "logins_without_ids"}

// isBlock reports whether key names a check's block of keys rather than a value.
func isBlock(key string) bool {
	for k := range policyKeys {
		if strings.HasPrefix(k, key+".") {
			return true
		}
	}
	return false
}
