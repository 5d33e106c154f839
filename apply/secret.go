package apply

import (
	"fmt"
	"log/slog"

	"github.com/sessionaudit/sessionaudit/sfid"
)

const redacted = sfid.Redacted

// Secret holds a credential (an access token, a client secret). Every way of
// printing or encoding it — String, GoString, fmt verbs, JSON, text, slog —
// yields "[REDACTED]"; only Reveal gives the value, and only the code that
// puts it on the wire, and the client's redact, which looks for it in text
// to take it out, call Reveal.
type Secret struct{ v string }

// NewSecret wraps s.
func NewSecret(s string) Secret { return Secret{v: s} }

// Reveal returns the secret's value.
func (s Secret) Reveal() string { return s.v }

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s.v == "" }

func (Secret) String() string               { return redacted }
func (Secret) GoString() string             { return redacted }
func (Secret) Format(f fmt.State, _ rune)   { fmt.Fprint(f, redacted) }
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }
func (Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }
func (Secret) LogValue() slog.Value         { return slog.StringValue(redacted) }
