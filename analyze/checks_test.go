package analyze

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

const goodHeader = `-- id: demo
-- title: A demo check
-- severity: low
-- rationale: It shows the header,
--   across two lines.
-- knobs: token_max_age, impossible_travel.max_speed_kmh
-- removes: the session

SELECT 1;
`

func TestParseCheck(t *testing.T) {
	got, err := parseCheck("queries/demo.sql", goodHeader)
	if err != nil {
		t.Fatalf("parseCheck: %v", err)
	}
	want := Check{
		ID: "demo", Title: "A demo check", Severity: Low,
		Rationale: "It shows the header, across two lines.",
		Knobs:     []string{"token_max_age", "impossible_travel.max_speed_kmh"},
		Removes:   "the session",
		file:      "queries/demo.sql", query: "SELECT 1",
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(Check{})); diff != "" {
		t.Errorf("check differs (-want +got):\n%s", diff)
	}
}

// A getvariable in a comment is no read (the near miss of the errors below).
func TestParseCheckIgnoresCommentedVariables(t *testing.T) {
	src := strings.Replace(goodHeader, "SELECT 1;", "SELECT getvariable('as_of') -- was getvariable('old_knob')\n;", 1)
	if _, err := parseCheck("queries/demo.sql", src); err != nil {
		t.Errorf("parseCheck: got %v, want a commented getvariable ignored", err)
	}
}

func TestParseCheckErrors(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"missing key", strings.Replace(goodHeader, "-- title: A demo check\n", "", 1),
			`queries/demo.sql: missing header line "-- title: …"`},
		{"unknown key", strings.Replace(goodHeader, "-- severity: low", "-- sevrity: low", 1),
			`queries/demo.sql:3: unknown key "sevrity" in "-- sevrity: low" (use id, title, severity, rationale, remediation, knobs, removes)`},
		{"not a key line", strings.Replace(goodHeader, "-- severity: low", "-- severity low", 1),
			`queries/demo.sql:3: "-- severity low" is not a "-- key: value" header line`},
		{"key twice", strings.Replace(goodHeader, "-- severity: low", "-- severity: low\n-- title: again", 1),
			`queries/demo.sql:4: key "title" given twice in "-- title: again"`},
		{"id differs from the file", strings.Replace(goodHeader, "-- id: demo", "-- id: other", 1),
			`queries/demo.sql:1: id "other" differs from the file name in "-- id: other" (want "demo")`},
		{"bad severity", strings.Replace(goodHeader, "-- severity: low", "-- severity: severe", 1),
			`queries/demo.sql:3: "severe" is not a severity (use info, low, medium, high, critical) in "-- severity: severe"`},
		{"unknown knob", strings.Replace(goodHeader, "token_max_age,", "token_age,", 1),
			`queries/demo.sql:6: knob "token_age" is not a policy key in "-- knobs: token_age, impossible_travel.max_speed_kmh"`},
		{"a block is no knob", strings.Replace(goodHeader, "token_max_age,", "impossible_travel,", 1),
			`queries/demo.sql:6: knob "impossible_travel" is not a policy key in "-- knobs: impossible_travel, impossible_travel.max_speed_kmh"`},
		{"no removes", strings.Replace(goodHeader, "-- removes: the session\n", "", 1),
			`queries/demo.sql: missing header line "-- removes: …"`},
		{"empty value", strings.Replace(goodHeader, "-- title: A demo check", "-- title:", 1),
			`queries/demo.sql:2: key "title" has no value in "-- title:"`},
		{"no query", strings.Split(goodHeader, "\n\n")[0] + "\n",
			`queries/demo.sql: no query after the header`},
		// timezone is a policy key, but no variable: reading it gives NULL.
		{"a variable the run does not set", strings.Replace(goodHeader, "SELECT 1;", "SELECT getvariable('as_of'), getvariable('timezone');", 1),
			`queries/demo.sql: reads getvariable('timezone'), which the run does not set: the variables are as_of, logins_without_ids and the policy keys given a sqlValue in analyze/policy.go`},
		{"the same in other case and spacing", strings.Replace(goodHeader, "SELECT 1;", "SELECT GetVariable ( 'timezone' );", 1),
			`queries/demo.sql: reads getvariable('timezone'), which the run does not set: the variables are as_of, logins_without_ids and the policy keys given a sqlValue in analyze/policy.go`},
		{"a variable named by an expression", strings.Replace(goodHeader, "SELECT 1;", "SELECT getvariable('time' || 'zone');", 1),
			`queries/demo.sql: calls getvariable with something other than a plain 'name', which loading cannot check`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseCheck("queries/demo.sql", tc.src)
			if err == nil || err.Error() != tc.want {
				t.Errorf("parseCheck: got error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestLoadChecksSortsAndFailsOnABadFile(t *testing.T) {
	fsys := fstest.MapFS{
		"b.sql": {Data: []byte(strings.ReplaceAll(goodHeader, "demo", "b"))},
		"a.sql": {Data: []byte(strings.ReplaceAll(goodHeader, "demo", "a"))},
		"x.txt": {Data: []byte("not a check")},
	}
	checks, err := loadChecks(fsys, "queries")
	if err != nil {
		t.Fatalf("loadChecks: %v", err)
	}
	var ids []string
	for _, c := range checks {
		ids = append(ids, c.ID)
	}
	if want := []string{"a", "b"}; !slices.Equal(ids, want) {
		t.Errorf("got checks %v, want %v", ids, want)
	}
	fsys["c.sql"] = &fstest.MapFile{Data: []byte("SELECT 1\n")}
	if _, err := loadChecks(fsys, "queries"); err == nil || !strings.HasPrefix(err.Error(), "queries/c.sql: missing header line") {
		t.Errorf("loadChecks: got error %v, want one naming queries/c.sql", err)
	}
}

// TestChecksDeclareWhatTheyRead keeps each header's knobs honest: every
// policy variable and policy table a query reads is listed.
func TestChecksDeclareWhatTheyRead(t *testing.T) {
	checks, err := Checks()
	if err != nil {
		t.Fatalf("Checks: %v", err)
	}
	if len(checks) != 9 {
		t.Errorf("got %d checks, want 9 (a new check changes this count; README > Development > Add a check lists what else)", len(checks))
	}
	table := regexp.MustCompile(`\bpolicy_([a-z_]+)`)
	for _, c := range checks {
		var read []string
		for _, m := range variableRead.FindAllStringSubmatch(c.query, -1) {
			if !slices.Contains(runVariables, m[1]) { // the run's, not the policy's
				read = append(read, m[1])
			}
		}
		for _, m := range table.FindAllStringSubmatch(c.query, -1) {
			read = append(read, m[1])
		}
		for _, k := range read {
			if !slices.Contains(c.Knobs, k) {
				t.Errorf("%s reads %s but its knobs are %v", c.file, k, c.Knobs)
			}
		}
		if c.Title == "" || c.Rationale == "" {
			t.Errorf("%s: got an empty title or rationale", c.file)
		}
		// removes: says whether the findings name a session (the removal
		// list joins on target_kind), which remove_on is checked against.
		if noTarget := strings.Contains(c.query, "NULL::VARCHAR AS target_kind"); noTarget == c.ProposesRemovals() {
			t.Errorf("%s: removes %q, but its query gives target_kind NULL: %v", c.file, c.Removes, noTarget)
		}
	}
}
