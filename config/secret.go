package config

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strconv"
)

// redactedText is what every printing path shows instead of a secret value.
const redactedText = "[redacted]"

// Secret holds a credential (a Slack token, a resolved password). Every way
// of printing it — fmt with any verb (%v %+v %#v %s %q %x ...), slog (it is
// a slog.LogValuer), encoding/json, YAML encoders (MarshalYAML) and
// encoding.TextMarshaler users — shows "[redacted]" instead of the value.
// Only Reveal returns the value; call it at the one place that needs it
// (the HTTP header, the WinRM client), never to build a message.
//
// An empty Secret prints as the empty string, not "[redacted]": `wsbbot
// config check` must be able to show that a token is unset, and an empty
// value discloses nothing.
type Secret string

// Reveal returns the secret value.
func (s Secret) Reveal() string { return string(s) }

// shown is the text printed in place of the secret.
func (s Secret) shown() string {
	if s == "" {
		return ""
	}
	return redactedText
}

// String implements fmt.Stringer.
func (s Secret) String() string { return s.shown() }

// GoString implements fmt.GoStringer (%#v).
func (s Secret) GoString() string { return "config.Secret(" + strconv.Quote(s.shown()) + ")" }

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
// go.yaml.in/yaml/v3, which viper uses).
func (s Secret) MarshalYAML() (any, error) { return s.shown(), nil }
