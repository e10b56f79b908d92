package secret

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// secretValue is a recognisable token that must never appear in output.
const secretValue = "xoxb-0123-SUPERSECRET"

func TestSecretFmtNeverPrintsValue(t *testing.T) {
	s := Secret(secretValue)
	type holder struct {
		Token Secret
		Ptr   *Secret
	}
	h := holder{Token: s, Ptr: &s}
	tests := []struct {
		format string
		arg    any
		want   string // exact output, or "" to check only that the value is absent
	}{
		{"%v", s, "[redacted]"},
		{"%+v", s, "[redacted]"},
		{"%#v", s, `secret.Secret("[redacted]")`},
		{"%s", s, "[redacted]"},
		{"%q", s, `"[redacted]"`},
		{"%x", s, fmt.Sprintf("%x", "[redacted]")},
		{"%X", s, fmt.Sprintf("%X", "[redacted]")},
		{"%12s|", s, "  [redacted]|"},
		{"%-12v|", s, "[redacted]  |"},
		{"%.3s", s, "[re"},
		{"%d", s, ""},
		{"%v", &s, ""},
		{"%v", h, ""},
		{"%+v", h, ""},
		{"%#v", h, ""},
		{"%v", []Secret{s, s}, "[[redacted] [redacted]]"},
		{"%v", map[string]Secret{"k": s}, "map[k:[redacted]]"},
		{"%s", s.String(), "[redacted]"},
		{"%s", s.GoString(), `secret.Secret("[redacted]")`},
	}
	for _, tt := range tests {
		got := fmt.Sprintf(tt.format, tt.arg)
		if strings.Contains(got, "SUPERSECRET") {
			t.Errorf("Sprintf(%q, %T) = %q leaks the secret", tt.format, tt.arg, got)
		}
		if tt.want != "" && got != tt.want {
			t.Errorf("Sprintf(%q, %T) = %q, want %q", tt.format, tt.arg, got, tt.want)
		}
	}
	if got := s.Reveal(); got != secretValue {
		t.Errorf("Reveal() = %q, want %q", got, secretValue)
	}
}

func TestSecretEmptyPrintsEmpty(t *testing.T) {
	var s Secret
	for _, tt := range []struct{ format, want string }{
		{"%v", ""}, {"%s", ""}, {"%q", `""`}, {"%#v", `secret.Secret("")`},
	} {
		if got := fmt.Sprintf(tt.format, s); got != tt.want {
			t.Errorf("Sprintf(%q, empty) = %q, want %q", tt.format, got, tt.want)
		}
	}
	b, err := json.Marshal(s)
	if err != nil || string(b) != `""` {
		t.Errorf("json.Marshal(empty) = %s, %v; want \"\"", b, err)
	}
}

func TestSecretSlogJSONYAML(t *testing.T) {
	s := Secret(secretValue)
	type holder struct {
		Token Secret  `json:"token" yaml:"token"`
		Empty Secret  `json:"empty" yaml:"empty"`
		Ptr   *Secret `json:"ptr" yaml:"ptr"`
	}
	h := holder{Token: s, Ptr: &s}
	var text, js bytes.Buffer
	for _, lg := range []*slog.Logger{slog.New(slog.NewTextHandler(&text, nil)), slog.New(slog.NewJSONHandler(&js, nil))} {
		lg.Info("secret", "token", s, "ptr", &s, slog.Group("g", "t", s), "holder", h)
	}
	j, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	y, err := yaml.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	txt, err := s.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, out string
		redacted  int // how many times "[redacted]" must show
	}{
		{"slog text", text.String(), 3},
		{"slog json", js.String(), 3},
		{"json", string(j), 2},
		{"yaml", string(y), 2},
		{"text", string(txt), 1},
	}
	for _, tt := range tests {
		if strings.Contains(tt.out, "SUPERSECRET") {
			t.Errorf("%s leaks the secret: %s", tt.name, tt.out)
		}
		if n := strings.Count(tt.out, Redacted); n < tt.redacted {
			t.Errorf("%s shows %s %d times, want at least %d: %s", tt.name, Redacted, n, tt.redacted, tt.out)
		}
	}
	if !strings.Contains(string(j), `"empty":""`) {
		t.Errorf("json shows an empty secret as something: %s", j)
	}
}
