// Package secret owns wsbbot's one type for credentials: Secret, a string
// (a Slack token, a WinRM password, a PEM private key) that every printing
// path shows as "[redacted]": fmt with any verb, slog (slog.LogValuer),
// encoding/json, YAML encoders and encoding.TextMarshaler users. Only
// Reveal returns the value, at the one place that sends it (an HTTP
// header, the WinRM client, a TLS key pair), never to build a message.
//
// config holds its tokens and resolved passwords as Secrets and remote its
// targets' passwords and client keys, so that neither a configuration dump,
// a log line nor an error can carry one. The package imports only the
// standard library.
package secret

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strconv"
)

// Redacted is what every printing path shows instead of a secret value.
const Redacted = "[redacted]"

// Secret holds a credential. The zero value is the empty secret, which
// prints as the empty string, not "[redacted]": `wsbbot config check` must
// be able to show that a token is unset, and an empty value discloses
// nothing.
type Secret string

// Reveal returns the secret value.
func (s Secret) Reveal() string { return string(s) }

// shown is the text printed in place of the secret.
func (s Secret) shown() string {
	if s == "" {
		return ""
	}
	return Redacted
}

// String implements fmt.Stringer.
func (s Secret) String() string { return s.shown() }

// GoString implements fmt.GoStringer (%#v).
func (s Secret) GoString() string { return "secret.Secret(" + strconv.Quote(s.shown()) + ")" }

// Format implements fmt.Formatter so that no verb or flag reaches the value.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = io.WriteString(f, s.GoString())
		return
	}
	// shown() is a plain string, so this cannot recurse into Format.
	_, _ = fmt.Fprintf(f, fmt.FormatString(f, verb), s.shown())
}

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.shown()) }

// MarshalText implements encoding.TextMarshaler.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.shown()), nil }

// MarshalJSON implements json.Marshaler.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.shown()) }

// MarshalYAML implements the Marshaler interface of gopkg.in/yaml.v3 (and of
// go.yaml.in/yaml/v3, which viper uses) without importing either.
func (s Secret) MarshalYAML() (any, error) { return s.shown(), nil }
