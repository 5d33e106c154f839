package report

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/sessionaudit/sessionaudit/internal/words"
)

// Summary is what an analyst reads first: what went in, what the checks
// found, and what the audit proposes.
type Summary struct {
	Title       string
	AsOf        time.Time // the audit's clock: checks measure ages against it
	GeneratedAt time.Time
	Version     string
	// Policy names the policy the audit ran with: its files and their
	// SHA-256, or that the defaults were used.
	Policy   string
	Inputs   []InputStats
	Checks   []CheckStats
	Removals int64 // sessions proposed for removal
	// Withheld are the sessions findings proposed for removal that the list
	// leaves out, by reason, largest first: the count beside Removals.
	Withheld []Withheld
	Rejects  int64 // input rows that were not loaded
	// Warnings say what the audit could not judge, one sentence each.
	Warnings []string
}

// Withheld is how many sessions were left off the removal list for one
// reason, such as "protected user".
type Withheld struct {
	Reason   string
	Sessions int64
}

// withheldCounts sums the sessions left off the removal list and lists
// them by reason, as the Sessions sheet words each: 4 and "protected user:
// 3; the exporting user's own session: 1".
func withheldCounts(ws []Withheld) (int64, string) {
	var n int64
	var parts []string
	for _, w := range ws {
		n += w.Sessions
		parts = append(parts, w.Reason+": "+words.Thousands(w.Sessions))
	}
	return n, strings.Join(parts, "; ")
}

// InputStats accounts for one input file. Every row read is either loaded, a
// duplicate of a loaded row, or rejected.
type InputStats struct {
	File       string
	Kind       string // sessions, logins, users or geo
	Format     string // e.g. "Bulk API CSV (gzip)"
	Read       int64
	Loaded     int64
	Duplicates int64
	Rejected   int64
	Earliest   time.Time // the earliest time the export covers; zero when unknown
	Latest     time.Time // the latest time the export covers; zero when unknown
}

// balanced reports whether every row read is accounted for.
func (in InputStats) balanced() bool {
	return in.Read == in.Loaded+in.Duplicates+in.Rejected
}

// accounting says whether every row read is accounted for: one line when
// read = loaded + duplicates + rejected holds for every input, else one line
// for each input where it does not.
func accounting(inputs []InputStats) []string {
	var lines []string
	for _, in := range inputs {
		if !in.balanced() {
			lines = append(lines, fmt.Sprintf("MISMATCH in %s: read %s, but loaded + duplicates + rejected = %s",
				in.File, words.Thousands(in.Read), words.Thousands(in.Loaded+in.Duplicates+in.Rejected)))
		}
	}
	if len(lines) == 0 {
		return []string{"Every row read is accounted for: read = loaded + duplicates + rejected."}
	}
	return lines
}

// textFiles is how many files of one kind and format the text summary lists
// one by one.
const textFiles = 10

// textInputs are the rows of the text summary's inputs table. Where one kind
// comes in more than textFiles files of one format (the pages of a REST
// export), it lists the files with duplicate or rejected rows, up to
// textFiles, and one row adding up the rest, so that a cron job's log is not
// hundreds of lines. The workbook's Summary sheet lists every file.
func textInputs(inputs []InputStats) []InputStats {
	type key struct{ kind, format string }
	var order []key
	groups := map[key][]InputStats{}
	for _, in := range inputs {
		k := key{in.Kind, in.Format}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], in)
	}
	var out []InputStats
	for _, k := range order {
		g := groups[k]
		if len(g) <= textFiles {
			out = append(out, g...)
			continue
		}
		rest := InputStats{Kind: k.kind, Format: k.format}
		shown, others := 0, 0
		for _, in := range g {
			if shown < textFiles && (in.Duplicates > 0 || in.Rejected > 0 || !in.balanced()) {
				out = append(out, in)
				shown++
				continue
			}
			others++
			rest.Read += in.Read
			rest.Loaded += in.Loaded
			rest.Duplicates += in.Duplicates
			rest.Rejected += in.Rejected
			if !in.Earliest.IsZero() && (rest.Earliest.IsZero() || in.Earliest.Before(rest.Earliest)) {
				rest.Earliest = in.Earliest
			}
			if in.Latest.After(rest.Latest) {
				rest.Latest = in.Latest
			}
		}
		rest.File = "(" + words.Count(int64(others), "more file", "more files") + ")"
		if shown == 0 {
			rest.File = "(" + words.Count(int64(others), "file", "files") + ")"
		}
		out = append(out, rest)
	}
	return out
}

// CheckStats counts one check's findings.
type CheckStats struct {
	ID       string
	Title    string
	Severity string           // the check's base severity
	Counts   map[string]int64 // findings by severity; missing severities are zero
	// NotChecked, when set, says why the check had nothing to judge: its
	// row reads "not checked" instead of zeros, and a warning says more.
	NotChecked string
}

// row is the check's count for each of severities, then its total.
func (c CheckStats) row() []int64 {
	row := make([]int64, 0, len(severities)+1)
	for _, sev := range severities {
		row = append(row, c.Counts[sev])
	}
	var total int64
	for _, n := range c.Counts {
		total += n
	}
	return append(row, total)
}

// checkTotals adds up the rows of checks.
func checkTotals(checks []CheckStats) []int64 {
	sums := make([]int64, len(severities)+1)
	for _, c := range checks {
		for i, n := range c.row() {
			sums[i] += n
		}
	}
	return sums
}

// severities are the finding severities in rising order, as the summary
// tables list them.
var severities = []string{"info", "low", "medium", "high", "critical"}

// summaryTime is how the summaries show a time: to the minute in UTC is
// enough to read coverage, and the as-of and generated times keep seconds.
const (
	summaryTime    = "2006-01-02 15:04:05 UTC"
	coverageFormat = "2006-01-02 15:04"
)

// WriteSummaryText writes s to w as plain aligned text for a terminal or a
// log: the inputs with their row accounting and time coverage, a table of
// findings per check and severity, and the removal and reject counts. File
// names and warnings (which quote file names and input values) are written
// with their control characters escaped (words.Printable): a name with an
// escape sequence or a line break in it could rewrite the terminal or forge
// lines of the log a cron job mails.
func WriteSummaryText(w io.Writer, s Summary) error {
	var b strings.Builder
	if s.Title != "" {
		fmt.Fprintf(&b, "%s\n", s.Title)
	}
	fmt.Fprintf(&b, "As of %s, generated %s", formatTime(s.AsOf, summaryTime), formatTime(s.GeneratedAt, summaryTime))
	if s.Version != "" {
		fmt.Fprintf(&b, " by sessionaudit %s", s.Version)
	}
	if s.Policy != "" {
		fmt.Fprintf(&b, "\nPolicy: %s", words.Printable(s.Policy))
	}
	b.WriteString("\n\nInputs\n")
	if len(s.Inputs) == 0 {
		b.WriteString("  none\n")
	} else {
		t := textTable{right: []bool{false, false, false, true, true, true, true, false}}
		t.add("FILE", "KIND", "FORMAT", "READ", "LOADED", "DUPLICATES", "REJECTED", "COVERS (UTC)")
		for _, in := range textInputs(s.Inputs) {
			t.add(words.Printable(in.File), in.Kind, in.Format, words.Thousands(in.Read), words.Thousands(in.Loaded), words.Thousands(in.Duplicates), words.Thousands(in.Rejected), in.covers())
		}
		t.write(&b)
		for _, line := range accounting(s.Inputs) {
			fmt.Fprintf(&b, "  %s\n", words.Printable(line))
		}
	}

	b.WriteString("\nFindings\n")
	if len(s.Checks) == 0 {
		b.WriteString("  no checks ran\n")
	} else {
		// The title comes last, so a long one does not push the counts apart.
		t := textTable{right: []bool{false, true, true, true, true, true, true, false}}
		t.add(append(append([]string{"CHECK"}, upper(severities)...), "TOTAL", "TITLE")...)
		for _, c := range s.Checks {
			row := []string{c.ID}
			for _, n := range c.row() {
				row = append(row, words.Thousands(n))
			}
			title := c.Title
			if c.NotChecked != "" {
				row = append(row[:1], slices.Repeat([]string{"-"}, len(severities))...)
				row = append(row, "not checked")
				title += " (not checked: " + c.NotChecked + ")"
			}
			t.add(append(row, title)...)
		}
		total := []string{"total"}
		for _, n := range checkTotals(s.Checks) {
			total = append(total, words.Thousands(n))
		}
		t.add(total...)
		t.write(&b)
	}

	fmt.Fprintf(&b, "\nRemovals: %s proposed for removal", words.Count(s.Removals, "session", "sessions"))
	if n, why := withheldCounts(s.Withheld); n > 0 {
		more := map[bool]string{true: " more", false: ""}[s.Removals > 0]
		noun, verb := "sessions", "are"
		if n == 1 {
			noun, verb = "session", "is"
		}
		fmt.Fprintf(&b, "; %s%s %s that findings reached %s left off it (%s; see the Sessions sheet)", words.Thousands(n), more, noun, verb, why)
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "Rejects:  %s not loaded\n", words.Count(s.Rejects, "input row", "input rows"))
	for _, line := range s.Warnings {
		fmt.Fprintf(&b, "\nWarning: %s\n", words.Printable(line))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// textTable lays out rows in columns two spaces apart, indented by two.
type textTable struct {
	right []bool // right-align column i, for numbers
	rows  [][]string
}

func (t *textTable) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *textTable) write(b *strings.Builder) {
	widths := make([]int, len(t.right))
	for _, r := range t.rows {
		for i, c := range r {
			widths[i] = max(widths[i], len([]rune(c)))
		}
	}
	for _, r := range t.rows {
		var line strings.Builder
		line.WriteString("  ")
		for i, c := range r {
			if i > 0 {
				line.WriteString("  ")
			}
			pad := strings.Repeat(" ", widths[i]-len([]rune(c)))
			if t.right[i] {
				line.WriteString(pad + c)
			} else {
				line.WriteString(c + pad)
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " ") + "\n")
	}
}

// timeless says whether an export's rows carry no times (users, LoginGeo),
// so that it covers no span of time at all.
func (in InputStats) timeless() bool { return in.Kind == "users" || in.Kind == "geo" }

// empty says whether an export loaded no rows, so covers no time.
func (in InputStats) empty() bool {
	return in.Loaded == 0 && in.Earliest.IsZero() && in.Latest.IsZero()
}

// covers says which span of time an export covers: "-" for one whose rows
// carry no times, "no rows" for one that loaded none.
func (in InputStats) covers() string {
	switch {
	case in.timeless():
		return "-"
	case in.empty():
		return "no rows"
	case in.Earliest.IsZero() && in.Latest.IsZero():
		return "unknown"
	}
	return formatTime(in.Earliest, coverageFormat) + " to " + formatTime(in.Latest, coverageFormat)
}

// formatTime formats t in UTC, or says it is unknown when t is zero.
func formatTime(t time.Time, layout string) string {
	if t.IsZero() {
		return "unknown"
	}
	return t.UTC().Format(layout)
}

func upper(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strings.ToUpper(s)
	}
	return out
}
