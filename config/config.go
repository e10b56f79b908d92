// Package config owns wsbbot's typed configuration: the Config type and its
// defaults (Default), loading from an optional YAML file plus WSBBOT_*
// environment variables through one private viper instance (Load), strict
// decoding (a misspelled key is an error), validation that reports every
// problem at once with its key path (Validate), and the redacted YAML view
// used by `wsbbot config check` (Redacted). Tokens and resolved passwords
// are internal/secret's Secret, which never prints its value.
//
// Precedence is environment over file over defaults. Every scalar key is
// bound to exactly one variable: the key path upper-cased with "." replaced
// by "_" and prefixed with WSBBOT_ (slack.bot_token <- WSBBOT_SLACK_BOT_TOKEN).
// runbooks.dirs and slack.approvers also take a comma-separated variable;
// targets come only from the file (and a plainly written targets section is
// decoded straight from the YAML nodes, without viper: targets.go). An
// empty variable counts as unset.
// WSBBOT_* variables that are not configuration keys (WSBBOT_CONFIG,
// WSBBOT_LAB_PASSWORD, password_env references) are ignored.
//
// Only cmd/wsbbot imports this package; the rest of wsbbot receives plain
// values from it.
package config

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/wsbbot/wsbbot/internal/secret"
)

// Config is the whole configuration. The file shape is documented, key by
// key, in wsbbot.example.yaml next to this file.
type Config struct {
	// Language is the reply language ("en" or "ja") when neither --lang
	// nor the locale (LC_ALL, LANG) names one; see runbooks.ChooseLang.
	Language string   `mapstructure:"language" yaml:"language" json:"language"`
	Log      Log      `mapstructure:"log" yaml:"log" json:"log"`
	Runbooks Runbooks `mapstructure:"runbooks" yaml:"runbooks" json:"runbooks"`
	Store    Store    `mapstructure:"store" yaml:"store" json:"store"`
	HTTP     HTTP     `mapstructure:"http" yaml:"http" json:"http"`
	Slack    Slack    `mapstructure:"slack" yaml:"slack" json:"slack"`
	Remote   Remote   `mapstructure:"remote" yaml:"remote" json:"remote"`
	Audit    Audit    `mapstructure:"audit" yaml:"audit" json:"audit"`
	Watch    Watch    `mapstructure:"watch" yaml:"watch" json:"watch"`
	// Targets is the inventory of Windows servers.
	Targets []Target `mapstructure:"targets" yaml:"targets" json:"targets"`
}

// Log configures the slog handler.
type Log struct {
	Level  string `mapstructure:"level" yaml:"level" json:"level"`    // debug | info | warn | error
	Format string `mapstructure:"format" yaml:"format" json:"format"` // text | json
}

// Runbooks names extra folders of runbook, checklist and catalogue YAML that
// add to or override the bundled set.
type Runbooks struct {
	Dirs []string `mapstructure:"dirs" yaml:"dirs" json:"dirs"`
}

// Store configures the embedded database.
type Store struct {
	// Path is the database file. Load makes it absolute: "" becomes
	// wsbbot.db in the state directory (StateDir), and a relative path
	// written in the configuration file is taken from that file's folder,
	// so the record does not depend on the folder wsbbot was started in.
	Path string `mapstructure:"path" yaml:"path" json:"path"`
	// Backend is how the file is kept: "sqlite" (the default; WAL mode,
	// so the CLI reads the record while the bot writes it; a bbolt file
	// from an older wsbbot is migrated on first open, and kept as
	// PATH.bbolt) or "bbolt" (the former format, one process at a time).
	Backend string `mapstructure:"backend" yaml:"backend" json:"backend"`
}

// HTTP configures the /healthz and /metrics listener.
type HTTP struct {
	Listen string `mapstructure:"listen" yaml:"listen" json:"listen"` // host:port
}

// The values of slack.mode.
const (
	SlackModeSocket = "socket"
	SlackModeHTTP   = "http"
)

// Slack configures the Slack adapter and the approval policy.
type Slack struct {
	// Mode is how Slack reaches the bot: "socket" (Socket Mode, the
	// default: no public URL) or "http" (the Events API, with
	// SigningSecret, on http.listen's /slack/events).
	Mode            string        `mapstructure:"mode" yaml:"mode" json:"mode"`
	SigningSecret   secret.Secret `mapstructure:"signing_secret" yaml:"signing_secret" json:"signing_secret"` // the app's signing secret (mode http)
	AppToken        secret.Secret `mapstructure:"app_token" yaml:"app_token" json:"app_token"`                // xapp-... (Socket Mode)
	BotToken        secret.Secret `mapstructure:"bot_token" yaml:"bot_token" json:"bot_token"`                // xoxb-...
	APIURL          string        `mapstructure:"api_url" yaml:"api_url" json:"api_url"`                      // override for a fake Slack
	IncidentChannel string        `mapstructure:"incident_channel" yaml:"incident_channel" json:"incident_channel"`
	AuditChannel    string        `mapstructure:"audit_channel" yaml:"audit_channel" json:"audit_channel"`
	Approvers       []string      `mapstructure:"approvers" yaml:"approvers" json:"approvers"` // Slack user or user-group ids
	Quorum          int           `mapstructure:"quorum" yaml:"quorum" json:"quorum"`          // approvals needed
	ApprovalTTL     Duration      `mapstructure:"approval_ttl" yaml:"approval_ttl" json:"approval_ttl"`
	// ApprovalRules give some runbooks or server groups their own
	// approvers, quorum or time-to-live; the first rule that matches wins.
	ApprovalRules []ApprovalRule `mapstructure:"approval_rules" yaml:"approval_rules" json:"approval_rules"`
	// Roles say who may do what; with none given everyone is an operator.
	Roles Roles `mapstructure:"roles" yaml:"roles" json:"roles"`
	// Channels are the channel ids where the bot acts (empty: wherever it
	// is invited and asked); direct messages are always answered.
	Channels []string `mapstructure:"channels" yaml:"channels" json:"channels"`
}

// ApprovalRule is the approval policy of a runbook, a server group (a
// target tag), or both.
type ApprovalRule struct {
	Runbook     string   `mapstructure:"runbook" yaml:"runbook" json:"runbook"`
	Group       string   `mapstructure:"group" yaml:"group" json:"group"`
	Approvers   []string `mapstructure:"approvers" yaml:"approvers" json:"approvers"`
	Quorum      int      `mapstructure:"quorum" yaml:"quorum" json:"quorum"`                   // 0: slack.quorum
	ApprovalTTL Duration `mapstructure:"approval_ttl" yaml:"approval_ttl" json:"approval_ttl"` // 0: slack.approval_ttl
}

// Roles list Slack user or user-group ids per role; each role includes
// the ones before it: viewer (lookups, guides, history), operator
// (diagnose, audit, request fixes, cancel), approver (also approves
// where no approval rule names others), admin (everything).
type Roles struct {
	Viewer   []string `mapstructure:"viewer" yaml:"viewer" json:"viewer"`
	Operator []string `mapstructure:"operator" yaml:"operator" json:"operator"`
	Approver []string `mapstructure:"approver" yaml:"approver" json:"approver"`
	Admin    []string `mapstructure:"admin" yaml:"admin" json:"admin"`
}

// Remote configures WinRM execution for all targets.
type Remote struct {
	// Concurrency bounds the global fan-out.
	Concurrency int `mapstructure:"concurrency" yaml:"concurrency" json:"concurrency"`
	// OperationTimeout is the WS-Man OperationTimeout sent with each request.
	OperationTimeout Duration `mapstructure:"operation_timeout" yaml:"operation_timeout" json:"operation_timeout"`
	// HeaderTimeout is the HTTP response-header timeout; it must exceed
	// OperationTimeout.
	HeaderTimeout Duration `mapstructure:"header_timeout" yaml:"header_timeout" json:"header_timeout"`
	StepTimeout   Duration `mapstructure:"step_timeout" yaml:"step_timeout" json:"step_timeout"`
	RunTimeout    Duration `mapstructure:"run_timeout" yaml:"run_timeout" json:"run_timeout"`
	// OutputCap bounds the output kept per step.
	OutputCap ByteSize `mapstructure:"output_cap" yaml:"output_cap" json:"output_cap"`
	// LockDir is the folder of the per-server change locks shared by every
	// wsbbot process of the machine; "" is hostlock's default
	// (/run/lock/wsbbot, or %ProgramData%\wsbbot\locks).
	LockDir string `mapstructure:"lock_dir" yaml:"lock_dir" json:"lock_dir"`
	// LockWait is how long a change waits for another run changing the
	// same server before it is refused (0: refuse at once).
	LockWait Duration `mapstructure:"lock_wait" yaml:"lock_wait" json:"lock_wait"`
}

// Audit configures the scheduled checklist audits: the one given by
// Schedule, Timezone and Group (posted to slack.audit_channel), and any
// more in Schedules.
type Audit struct {
	Schedule string `mapstructure:"schedule" yaml:"schedule" json:"schedule"` // 5-field cron
	Timezone string `mapstructure:"timezone" yaml:"timezone" json:"timezone"` // IANA name
	Group    string `mapstructure:"group" yaml:"group" json:"group"`          // target tag; "" = all targets
	// Schedules are further scheduled audits, each with its own scope,
	// time and channel.
	Schedules []AuditSchedule `mapstructure:"schedules" yaml:"schedules" json:"schedules"`
}

// AuditSchedule is one more scheduled audit.
type AuditSchedule struct {
	// Name identifies the schedule in the record (its due times are
	// remembered under it): unique, [a-z0-9][a-z0-9._-]*.
	Name string `mapstructure:"name" yaml:"name" json:"name"`
	// Checklist is the checklist's id ("" = five-rules, the bundled one).
	Checklist string `mapstructure:"checklist" yaml:"checklist" json:"checklist"`
	// Servers and Groups select the targets (by name, by tag); both empty
	// audits every target.
	Servers  []string `mapstructure:"servers" yaml:"servers" json:"servers"`
	Groups   []string `mapstructure:"groups" yaml:"groups" json:"groups"`
	Cron     string   `mapstructure:"cron" yaml:"cron" json:"cron"`             // 5-field cron
	Timezone string   `mapstructure:"timezone" yaml:"timezone" json:"timezone"` // IANA name; "" = audit.timezone
	// Channel is where it posts ("" = slack.audit_channel).
	Channel string `mapstructure:"channel" yaml:"channel" json:"channel"`
}

// Watch configures the backup watch: every Every, one read-only command per
// target reads its last backup result and new backup events, and a new
// failure is posted to Channel.
type Watch struct {
	Enabled bool     `mapstructure:"enabled" yaml:"enabled" json:"enabled"`
	Every   Duration `mapstructure:"every" yaml:"every" json:"every"`
	// Channel is where failures are posted ("" = slack.incident_channel).
	Channel string `mapstructure:"channel" yaml:"channel" json:"channel"`
}

// Target is one Windows server of the inventory.
type Target struct {
	Name    string `mapstructure:"name" yaml:"name" json:"name"`
	Address string `mapstructure:"address" yaml:"address" json:"address"`
	// ConfiguredPort is the file's port key; 0 means the scheme's default.
	// Use the Port method for the effective port.
	ConfiguredPort int    `mapstructure:"port" yaml:"port" json:"port"`
	Scheme         string `mapstructure:"scheme" yaml:"scheme" json:"scheme"` // https | http
	Auth           string `mapstructure:"auth" yaml:"auth" json:"auth"`       // ntlm | basic | kerberos | certificate
	User           string `mapstructure:"user" yaml:"user" json:"user"`
	// PasswordEnv names the environment variable holding the password.
	PasswordEnv string `mapstructure:"password_env" yaml:"password_env" json:"password_env"`
	// PasswordFile names a file holding the password.
	PasswordFile       string   `mapstructure:"password_file" yaml:"password_file" json:"password_file"`
	CAFile             string   `mapstructure:"ca_file" yaml:"ca_file" json:"ca_file"`
	InsecureSkipVerify bool     `mapstructure:"insecure_skip_verify" yaml:"insecure_skip_verify" json:"insecure_skip_verify"`
	TLSServerName      string   `mapstructure:"tls_server_name" yaml:"tls_server_name" json:"tls_server_name"`
	ClientCertFile     string   `mapstructure:"client_cert_file" yaml:"client_cert_file" json:"client_cert_file"`
	ClientKeyFile      string   `mapstructure:"client_key_file" yaml:"client_key_file" json:"client_key_file"`
	Tags               []string `mapstructure:"tags" yaml:"tags" json:"tags"`
	// Language is the language of the server's Windows ("", "en", "ja").
	Language string `mapstructure:"language" yaml:"language" json:"language"`
	// OperationTimeout and StepTimeout override Remote's; 0 inherits.
	OperationTimeout Duration `mapstructure:"operation_timeout" yaml:"operation_timeout" json:"operation_timeout"`
	StepTimeout      Duration `mapstructure:"step_timeout" yaml:"step_timeout" json:"step_timeout"`
	// Declared states, for the checklist audit, what the server cannot
	// show about itself.
	Declared Declared `mapstructure:"declared" yaml:"declared" json:"declared"`
}

// Declared is what an operator declares about a target for the five-rule
// checklist because the server cannot show it: copies and media of the
// 3-2-1 rule and whether one copy is off-site, an antivirus product other
// than Microsoft Defender and whether its exclusions for the backup are
// set, and the date of the last restore test.
type Declared struct {
	// Copies and Media count the copies of the data (the original
	// included) and the kinds of media they are on; 0 = not declared.
	Copies int `mapstructure:"copies" yaml:"copies" json:"copies"`
	Media  int `mapstructure:"media" yaml:"media" json:"media"`
	// Offsite says whether one copy is off-site; nil = not declared.
	Offsite *bool `mapstructure:"offsite" yaml:"offsite" json:"offsite"`
	// AVProduct names an antivirus product other than Microsoft Defender
	// (e.g. "Trend Micro"); "" = none.
	AVProduct string `mapstructure:"av_product" yaml:"av_product" json:"av_product"`
	// AVExclusions says whether AVProduct excludes the backup; nil = not
	// declared.
	AVExclusions *bool `mapstructure:"av_exclusions" yaml:"av_exclusions" json:"av_exclusions"`
	// RestoreTest is the date of the last restore test, YYYY-MM-DD
	// ("" = none declared); it may not be in the future.
	RestoreTest string `mapstructure:"restore_test" yaml:"restore_test" json:"restore_test"`
}

// RestoreTestDate parses RestoreTest as a date at midnight UTC; ok is false
// when none is declared or it is not a date.
func (d Declared) RestoreTestDate() (t time.Time, ok bool) {
	t, err := time.Parse(time.DateOnly, d.RestoreTest)
	return t, err == nil
}

// Scheme and auth values.
const (
	SchemeHTTPS     = "https"
	SchemeHTTP      = "http"
	AuthNTLM        = "ntlm"
	AuthBasic       = "basic"
	AuthKerberos    = "kerberos"
	AuthCertificate = "certificate"
)

// Default returns the configuration used for every key the file and the
// environment leave unset. It is the only place defaults are written.
func Default() Config {
	return Config{
		Language: "en",
		Log:      Log{Level: "info", Format: "text"},
		Runbooks: Runbooks{Dirs: []string{}},
		Store:    Store{Path: "", Backend: "sqlite"}, // Load resolves "" to the state directory (StateDir)
		HTTP:     HTTP{Listen: "127.0.0.1:9090"},
		Slack: Slack{
			Mode:        SlackModeSocket,
			Approvers:   []string{},
			Quorum:      1,
			ApprovalTTL: Duration(30 * time.Minute),
		},
		Remote: Remote{
			Concurrency:      100,
			OperationTimeout: Duration(20 * time.Second),
			HeaderTimeout:    Duration(30 * time.Second),
			StepTimeout:      Duration(5 * time.Minute),
			RunTimeout:       Duration(30 * time.Minute),
			OutputCap:        MiB,
			LockWait:         Duration(10 * time.Second),
		},
		Audit: Audit{
			Schedule:  "0 9 * * 1",
			Timezone:  "Asia/Tokyo",
			Schedules: []AuditSchedule{},
		},
		Watch:   Watch{Enabled: true, Every: Duration(15 * time.Minute)},
		Targets: []Target{},
	}
}

// applyDefaults fills the per-target defaults that depend on nothing else:
// scheme https and auth ntlm.
func (t *Target) applyDefaults() {
	if t.Scheme == "" {
		t.Scheme = SchemeHTTPS
	}
	if t.Auth == "" {
		t.Auth = AuthNTLM
	}
}

// HTTPS reports whether the target is reached over https (the default).
func (t Target) HTTPS() bool { return t.Scheme != SchemeHTTP }

// Port returns the effective port: the configured one, else 5986 for https
// and 5985 for http.
func (t Target) Port() int {
	if t.ConfiguredPort != 0 {
		return t.ConfiguredPort
	}
	if t.HTTPS() {
		return 5986
	}
	return 5985
}

// EffectiveOperationTimeout returns the target's WS-Man operation timeout,
// inheriting remote's when the target sets none.
func (t Target) EffectiveOperationTimeout(remote Remote) time.Duration {
	if t.OperationTimeout > 0 {
		return t.OperationTimeout.Std()
	}
	return remote.OperationTimeout.Std()
}

// EffectiveStepTimeout returns the target's step timeout, inheriting
// remote's when the target sets none.
func (t Target) EffectiveStepTimeout(remote Remote) time.Duration {
	if t.StepTimeout > 0 {
		return t.StepTimeout.Std()
	}
	return remote.StepTimeout.Std()
}

// ErrNoPassword is returned (wrapped) by Target.Password when the
// credential reference does not yield a password.
var ErrNoPassword = errors.New("no password")

// Password resolves the target's credential reference. env is an
// os.Environ()-style list ("NAME=value"; the last entry for a name wins);
// readFile reads password_file (nil means os.ReadFile). One trailing
// newline ("\n" or "\r\n") is removed from the file's content. Errors name
// the variable or file, never the value. A target with auth=certificate
// and no reference has no password: Password returns "" and nil.
func (t Target) Password(env []string, readFile func(string) ([]byte, error)) (secret.Secret, error) {
	switch {
	case t.PasswordEnv != "":
		v, ok := lookupEnv(env, t.PasswordEnv)
		if !ok {
			return "", fmt.Errorf("target %s: password_env %s is not set: %w", t.Name, t.PasswordEnv, ErrNoPassword)
		}
		if v == "" {
			return "", fmt.Errorf("target %s: password_env %s is empty: %w", t.Name, t.PasswordEnv, ErrNoPassword)
		}
		return secret.Secret(v), nil
	case t.PasswordFile != "":
		if readFile == nil {
			readFile = os.ReadFile
		}
		b, err := readFile(t.PasswordFile)
		if err != nil {
			return "", fmt.Errorf("target %s: read password_file %s: %w", t.Name, t.PasswordFile, err)
		}
		s := string(b)
		if strings.HasSuffix(s, "\r\n") {
			s = s[:len(s)-2]
		} else if strings.HasSuffix(s, "\n") {
			s = s[:len(s)-1]
		}
		if s == "" {
			return "", fmt.Errorf("target %s: password_file %s is empty: %w", t.Name, t.PasswordFile, ErrNoPassword)
		}
		return secret.Secret(s), nil
	case t.Auth == AuthCertificate:
		return "", nil
	default:
		return "", fmt.Errorf("target %s: neither password_env nor password_file is set: %w", t.Name, ErrNoPassword)
	}
}

// lookupEnv finds name in an os.Environ()-style list; the last entry wins,
// as it does for os/exec.
func lookupEnv(env []string, name string) (string, bool) {
	for i := len(env) - 1; i >= 0; i-- {
		k, v, ok := strings.Cut(env[i], "=")
		if ok && k == name {
			return v, true
		}
	}
	return "", false
}

// Target returns the target with the given name, compared
// case-insensitively (names are unique regardless of case).
func (c Config) Target(name string) (Target, bool) {
	for _, t := range c.Targets {
		if strings.EqualFold(t.Name, name) {
			return t, true
		}
	}
	return Target{}, false
}

// TargetsWithTag returns, in inventory order, the targets carrying tag
// (compared case-insensitively), or nil when none does.
func (c Config) TargetsWithTag(tag string) []Target {
	var out []Target
	for _, t := range c.Targets {
		for _, g := range t.Tags {
			if strings.EqualFold(g, tag) {
				out = append(out, t)
				break
			}
		}
	}
	return out
}
