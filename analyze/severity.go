package analyze

import (
	"fmt"
	"strings"
)

// Severity ranks a finding. Severities compare with < and >: Info is the
// lowest and Critical the highest.
type Severity int

// The severities in rising order.
const (
	Info Severity = iota
	Low
	Medium
	High
	Critical
)

var severityNames = [...]string{"info", "low", "medium", "high", "critical"}

// String returns the lower-case name checks and reports use, e.g. "high".
func (s Severity) String() string {
	if s < Info || s > Critical {
		return fmt.Sprintf("severity(%d)", int(s))
	}
	return severityNames[s]
}

// MarshalText writes the severity's name.
func (s Severity) MarshalText() ([]byte, error) {
	if s < Info || s > Critical {
		return nil, fmt.Errorf("no severity %d", int(s))
	}
	return []byte(s.String()), nil
}

// UnmarshalText reads a severity's name as ParseSeverity does.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// ParseSeverity reads a severity name (info, low, medium, high or critical),
// ignoring case and surrounding space.
func ParseSeverity(name string) (Severity, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	for i, s := range severityNames {
		if s == n {
			return Severity(i), nil
		}
	}
	return 0, fmt.Errorf("%q is not a severity (use %s)", name, strings.Join(severityNames[:], ", "))
}
