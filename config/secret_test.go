package config

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

func configWithSecrets() Config {
	c := Default()
	c.Slack.AppToken = "xapp-1-SUPERSECRET-APP"
	c.Slack.BotToken = secretValue
	return c
}

func TestConfigFmtNeverPrintsSecrets(t *testing.T) {
	c := configWithSecrets()
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		got := fmt.Sprintf(format, c)
		if strings.Contains(got, "SUPERSECRET") {
			t.Errorf("Sprintf(%q, Config) leaks a secret: %s", format, got)
		}
		if !strings.Contains(got, "[redacted]") {
			t.Errorf("Sprintf(%q, Config) does not show [redacted]: %s", format, got)
		}
	}
}

func TestSecretSlog(t *testing.T) {
	c := configWithSecrets()
	handlers := map[string]func(*bytes.Buffer) slog.Handler{
		"text": func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
		"json": func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
	}
	for name, mk := range handlers {
		var buf bytes.Buffer
		lg := slog.New(mk(&buf))
		lg.Info("token", "token", c.Slack.BotToken)
		lg.Info("slack", "slack", c.Slack)
		lg.Info("config", slog.Any("config", c))
		lg.Info("group", slog.Group("g", "t", c.Slack.AppToken))
		out := buf.String()
		if strings.Contains(out, "SUPERSECRET") {
			t.Errorf("%s handler leaks a secret:\n%s", name, out)
		}
		if n := strings.Count(out, "[redacted]"); n < 5 {
			t.Errorf("%s handler shows [redacted] %d times, want >= 5:\n%s", name, n, out)
		}
	}
}

func TestSecretJSONAndYAML(t *testing.T) {
	c := configWithSecrets()
	j, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	y, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Redacted()
	if err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"json": string(j), "yaml": string(y), "Redacted": string(r)} {
		if strings.Contains(out, "SUPERSECRET") {
			t.Errorf("%s leaks a secret:\n%s", name, out)
		}
		if n := strings.Count(out, "[redacted]"); n != 2 {
			t.Errorf("%s shows [redacted] %d times, want 2:\n%s", name, n, out)
		}
	}
	// Durations and sizes print as text, not nanoseconds or bytes.
	for name, out := range map[string]string{"json": string(j), "yaml": string(y), "Redacted": string(r)} {
		for _, want := range []string{"30s", "20s", "1MiB", "30m"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s lacks %q:\n%s", name, want, out)
			}
		}
		if strings.Contains(out, "30000000000") {
			t.Errorf("%s prints a duration in nanoseconds:\n%s", name, out)
		}
	}
	var back struct {
		Slack struct {
			BotToken string `json:"bot_token"`
		} `json:"slack"`
	}
	if err := json.Unmarshal(j, &back); err != nil || back.Slack.BotToken != "[redacted]" {
		t.Errorf("json slack.bot_token = %q, %v; want [redacted]", back.Slack.BotToken, err)
	}
}
