package config

import (
	"errors"
	"io/fs"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wsbbot/wsbbot/internal/secret"
)

// TestTagsAgree checks that every field carries mapstructure, yaml and json
// tags with one snake_case name.
func TestTagsAgree(t *testing.T) {
	seen := 0
	var walk func(reflect.Type, string)
	walk = func(typ reflect.Type, path string) {
		for i := 0; i < typ.NumField(); i++ {
			f := typ.Field(i)
			ms, y, j := f.Tag.Get("mapstructure"), f.Tag.Get("yaml"), f.Tag.Get("json")
			where := path + f.Name
			if ms == "" || ms != y || ms != j {
				t.Errorf("%s: tags mapstructure=%q yaml=%q json=%q differ or are missing", where, ms, y, j)
			}
			if ms != strings.ToLower(ms) || strings.ContainsAny(ms, " -,") {
				t.Errorf("%s: tag %q is not snake_case", where, ms)
			}
			seen++
			ft := f.Type
			if ft.Kind() == reflect.Slice {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				walk(ft, where+".")
			}
		}
	}
	walk(reflect.TypeFor[Config](), "")
	if seen < 40 {
		t.Errorf("walked %d fields, want >= 40", seen)
	}
}

func TestEnvVars(t *testing.T) {
	got := EnvVars()
	for key, want := range map[string]string{
		"language":             "WSBBOT_LANGUAGE",
		"slack.bot_token":      "WSBBOT_SLACK_BOT_TOKEN",
		"slack.app_token":      "WSBBOT_SLACK_APP_TOKEN",
		"remote.concurrency":   "WSBBOT_REMOTE_CONCURRENCY",
		"runbooks.dirs":        "WSBBOT_RUNBOOKS_DIRS",
		"slack.approvers":      "WSBBOT_SLACK_APPROVERS",
		"audit.timezone":       "WSBBOT_AUDIT_TIMEZONE",
		"remote.output_cap":    "WSBBOT_REMOTE_OUTPUT_CAP",
		"store.backend":        "WSBBOT_STORE_BACKEND",
		"watch.every":          "WSBBOT_WATCH_EVERY",
		"watch.enabled":        "WSBBOT_WATCH_ENABLED",
		"watch.channel":        "WSBBOT_WATCH_CHANNEL",
		"slack.mode":           "WSBBOT_SLACK_MODE",
		"slack.signing_secret": "WSBBOT_SLACK_SIGNING_SECRET",
	} {
		if got[key] != want {
			t.Errorf("EnvVars()[%q] = %q, want %q", key, got[key], want)
		}
	}
	for key := range got {
		if strings.HasPrefix(key, "targets") {
			t.Errorf("EnvVars() binds %q; targets come only from the file", key)
		}
	}
	if len(got) != 36 {
		t.Errorf("EnvVars() has %d keys, want 36: %v", len(got), got)
	}
}

func TestTargetPortAndScheme(t *testing.T) {
	tests := []struct {
		t         Target
		wantPort  int
		wantHTTPS bool
	}{
		{Target{}, 5986, true},
		{Target{Scheme: "https"}, 5986, true},
		{Target{Scheme: "http"}, 5985, false},
		{Target{Scheme: "http", ConfiguredPort: 8080}, 8080, false},
		{Target{Scheme: "https", ConfiguredPort: 443}, 443, true},
	}
	for _, tt := range tests {
		if got := tt.t.Port(); got != tt.wantPort {
			t.Errorf("%+v.Port() = %d, want %d", tt.t, got, tt.wantPort)
		}
		if got := tt.t.HTTPS(); got != tt.wantHTTPS {
			t.Errorf("%+v.HTTPS() = %v, want %v", tt.t, got, tt.wantHTTPS)
		}
	}
}

func TestEffectiveTimeouts(t *testing.T) {
	r := Default().Remote
	inherit := Target{}
	override := Target{OperationTimeout: Duration(7 * time.Second), StepTimeout: Duration(9 * time.Minute)}
	if got := inherit.EffectiveOperationTimeout(r); got != 20*time.Second {
		t.Errorf("inherited operation timeout = %v, want 20s", got)
	}
	if got := inherit.EffectiveStepTimeout(r); got != 5*time.Minute {
		t.Errorf("inherited step timeout = %v, want 5m", got)
	}
	if got := override.EffectiveOperationTimeout(r); got != 7*time.Second {
		t.Errorf("overridden operation timeout = %v, want 7s", got)
	}
	if got := override.EffectiveStepTimeout(r); got != 9*time.Minute {
		t.Errorf("overridden step timeout = %v, want 9m", got)
	}
}

func TestPassword(t *testing.T) {
	files := map[string]string{
		"/run/pw-lf":     "s3cret\n",
		"/run/pw-crlf":   "s3cret\r\n",
		"/run/pw-two":    "s3cret\n\n",
		"/run/pw-none":   "s3cret",
		"/run/pw-spaces": " s3cret \n",
		"/run/pw-empty":  "\n",
	}
	readFile := func(name string) ([]byte, error) {
		if s, ok := files[name]; ok {
			return []byte(s), nil
		}
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	env := []string{"PATH=/bin", "FS01_PW=first", "FS01_PW=s3cret", "EMPTY_PW=", "OTHER=x=y"}
	tests := []struct {
		name    string
		t       Target
		want    secret.Secret
		wantErr string
		errIs   error
	}{
		{name: "env, last wins", t: Target{Name: "fs01", PasswordEnv: "FS01_PW"}, want: "s3cret"},
		{name: "env missing", t: Target{Name: "fs01", PasswordEnv: "NOPE_PW"}, wantErr: "target fs01: password_env NOPE_PW is not set", errIs: ErrNoPassword},
		{name: "env empty", t: Target{Name: "fs01", PasswordEnv: "EMPTY_PW"}, wantErr: "password_env EMPTY_PW is empty", errIs: ErrNoPassword},
		{name: "file LF", t: Target{Name: "fs01", PasswordFile: "/run/pw-lf"}, want: "s3cret"},
		{name: "file CRLF", t: Target{Name: "fs01", PasswordFile: "/run/pw-crlf"}, want: "s3cret"},
		{name: "file trims only one newline", t: Target{Name: "fs01", PasswordFile: "/run/pw-two"}, want: "s3cret\n"},
		{name: "file without newline", t: Target{Name: "fs01", PasswordFile: "/run/pw-none"}, want: "s3cret"},
		{name: "file keeps spaces", t: Target{Name: "fs01", PasswordFile: "/run/pw-spaces"}, want: " s3cret "},
		{name: "file empty", t: Target{Name: "fs01", PasswordFile: "/run/pw-empty"}, wantErr: "password_file /run/pw-empty is empty", errIs: ErrNoPassword},
		{name: "file missing", t: Target{Name: "fs01", PasswordFile: "/run/nope"}, wantErr: "target fs01: read password_file /run/nope: open /run/nope", errIs: fs.ErrNotExist},
		{name: "certificate", t: Target{Name: "dc01", Auth: AuthCertificate}, want: ""},
		{name: "no reference", t: Target{Name: "fs01", Auth: AuthNTLM}, wantErr: "target fs01: neither password_env nor password_file is set", errIs: ErrNoPassword},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.t.Password(env, readFile)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Password() error = %v, want containing %q", err, tt.wantErr)
				}
				if tt.errIs != nil && !errors.Is(err, tt.errIs) {
					t.Errorf("Password() error %v is not %v", err, tt.errIs)
				}
				if strings.Contains(err.Error(), "s3cret") {
					t.Errorf("Password() error leaks the value: %v", err)
				}
				return
			}
			if err != nil || got.Reveal() != tt.want.Reveal() {
				t.Errorf("Password() = %q, %v; want %q", got.Reveal(), err, tt.want.Reveal())
			}
		})
	}
}

func TestPasswordDefaultReadFile(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/pw"
	writeFile(t, path, "from-disk\n")
	got, err := Target{Name: "fs01", PasswordFile: path}.Password(nil, nil)
	if err != nil || got.Reveal() != "from-disk" {
		t.Errorf("Password(nil readFile) = %q, %v; want from-disk", got.Reveal(), err)
	}
}

func TestTargetLookup(t *testing.T) {
	c := Default()
	c.Targets = []Target{
		{Name: "fs01", Tags: []string{"file-servers", "tokyo"}},
		{Name: "DC01", Tags: []string{"domain-controllers", "Tokyo"}},
		{Name: "fs02", Tags: []string{"file-servers"}},
	}
	if got, ok := c.Target("dc01"); !ok || got.Name != "DC01" {
		t.Errorf("Target(dc01) = %+v, %v", got, ok)
	}
	if got, ok := c.Target("FS02"); !ok || got.Name != "fs02" {
		t.Errorf("Target(FS02) = %+v, %v", got, ok)
	}
	if _, ok := c.Target("fs03"); ok {
		t.Error("Target(fs03) found")
	}
	names := func(ts []Target) []string {
		var out []string
		for _, t := range ts {
			out = append(out, t.Name)
		}
		return out
	}
	for tag, want := range map[string][]string{
		"file-servers": {"fs01", "fs02"},
		"TOKYO":        {"fs01", "DC01"},
		"nope":         nil,
	} {
		if diff := cmp.Diff(want, names(c.TargetsWithTag(tag))); diff != "" {
			t.Errorf("TargetsWithTag(%q) (-want +got):\n%s", tag, diff)
		}
	}
}
