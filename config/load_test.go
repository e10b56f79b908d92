package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// tempConfig writes content to wsbbot.yaml in a fresh directory and
// returns its path.
func tempConfig(t testing.TB, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "wsbbot.yaml")
	writeFile(t, path, content)
	return path
}

func TestLoadDefaults(t *testing.T) {
	got, err := Load("", nil)
	if err != nil {
		t.Fatalf("Load(no file, no env) = %v", err)
	}
	if diff := cmp.Diff(Default(), got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Load(no file, no env) differs from Default() (-want +got):\n%s", diff)
	}
	if err := Default().Validate(); err != nil {
		t.Errorf("Default().Validate() = %v", err)
	}
	d := Default()
	if d.Remote.Concurrency != 100 || d.Remote.OperationTimeout.Std() != 20*time.Second ||
		d.Remote.HeaderTimeout.Std() != 30*time.Second || d.Remote.OutputCap != MiB ||
		d.Slack.Quorum != 1 || d.Slack.ApprovalTTL.Std() != 30*time.Minute ||
		d.Audit.Schedule != "0 9 * * 1" || d.Audit.Timezone != "Asia/Tokyo" ||
		d.HTTP.Listen != "127.0.0.1:9090" || d.Store.Path != "" || d.Language != "en" ||
		d.Log.Level != "info" || d.Log.Format != "text" {
		t.Errorf("Default() = %+v does not hold the documented defaults", d)
	}
}

const precedenceFile = `
language: ja
remote:
  concurrency: 50
  output_cap: 2MB
slack:
  approvers: [U0FILE1, U0FILE2]
runbooks:
  dirs: [/file/runbooks]
targets:
  - name: fs01
    address: fs01.corp.example
    user: 'CORP\svc-wsbbot'
    password_env: WSBBOT_FS01_PASSWORD
`

func TestLoadPrecedence(t *testing.T) {
	fileTarget := Target{
		Name: "fs01", Address: "fs01.corp.example", Scheme: SchemeHTTPS, Auth: AuthNTLM,
		User: `CORP\svc-wsbbot`, PasswordEnv: "WSBBOT_FS01_PASSWORD",
	}
	fromFile := func(c *Config) {
		c.Language = "ja"
		c.Remote.Concurrency = 50
		c.Remote.OutputCap = 2 * MB
		c.Slack.Approvers = []string{"U0FILE1", "U0FILE2"}
		c.Runbooks.Dirs = []string{"/file/runbooks"}
		c.Targets = []Target{fileTarget}
	}
	tests := []struct {
		name   string
		file   string // "" = no file
		env    []string
		mutate func(*Config) // applied to Default() to get the expected result
	}{
		{
			name:   "file over defaults, other keys keep defaults",
			file:   precedenceFile,
			mutate: fromFile,
		},
		{
			name: "env over file",
			file: precedenceFile,
			env: []string{
				"WSBBOT_LANGUAGE=en",
				"WSBBOT_REMOTE_CONCURRENCY=70",
				"WSBBOT_SLACK_APPROVERS= U0ENV1 ,U0ENV2,,",
				"WSBBOT_RUNBOOKS_DIRS=/env/a,/env/b",
			},
			mutate: func(c *Config) {
				fromFile(c)
				c.Language = "en"
				c.Remote.Concurrency = 70
				c.Slack.Approvers = []string{"U0ENV1", "U0ENV2"}
				c.Runbooks.Dirs = []string{"/env/a", "/env/b"}
			},
		},
		{
			name: "env over defaults without a file, typed values",
			env: []string{
				"WSBBOT_SLACK_APP_TOKEN=xapp-1-ENV",
				"WSBBOT_SLACK_BOT_TOKEN=xoxb-1-ENV",
				"WSBBOT_SLACK_APPROVAL_TTL=1h",
				"WSBBOT_SLACK_QUORUM=2",
				"WSBBOT_SLACK_APPROVERS=U1,U2",
				"WSBBOT_REMOTE_OUTPUT_CAP=512KiB",
				"WSBBOT_REMOTE_OPERATION_TIMEOUT=25s",
				"WSBBOT_HTTP_LISTEN=127.0.0.1:0",
				"WSBBOT_LOG_FORMAT=json",
				"WSBBOT_AUDIT_TIMEZONE=UTC",
			},
			mutate: func(c *Config) {
				c.Slack.AppToken = "xapp-1-ENV"
				c.Slack.BotToken = "xoxb-1-ENV"
				c.Slack.ApprovalTTL = Duration(time.Hour)
				c.Slack.Quorum = 2
				c.Slack.Approvers = []string{"U1", "U2"}
				c.Remote.OutputCap = 512 * KiB
				c.Remote.OperationTimeout = Duration(25 * time.Second)
				c.HTTP.Listen = "127.0.0.1:0"
				c.Log.Format = "json"
				c.Audit.Timezone = "UTC"
			},
		},
		{
			name:   "empty variable counts as unset",
			file:   precedenceFile,
			env:    []string{"WSBBOT_REMOTE_CONCURRENCY=", "WSBBOT_LANGUAGE="},
			mutate: fromFile,
		},
		{
			name:   "last entry of a variable wins",
			env:    []string{"WSBBOT_REMOTE_CONCURRENCY=5", "WSBBOT_REMOTE_CONCURRENCY=6"},
			mutate: func(c *Config) { c.Remote.Concurrency = 6 },
		},
		{
			name: "variables that are not keys are ignored",
			env: []string{
				"WSBBOT_CONFIG=/etc/wsbbot.yaml", "WSBBOT_PASSWORD=x", "WSBBOT_LAB_PASSWORD=y",
				"WSBBOT_TARGETS=fs09", "WSBBOT_REMOTE_CONCURENCY=3", "wsbbot_language=ja", "NOEQUALS", "HOME=/root",
			},
			// HOME is read only to place the record in the state directory.
			mutate: func(c *Config) { c.Store.Path = "/root/.local/state/wsbbot/wsbbot.db" },
		},
		{
			name: "target defaults filled in",
			file: "targets: [{name: w1, address: w1, scheme: http, auth: basic, user: u, password_file: /p}]\n",
			mutate: func(c *Config) {
				c.Targets = []Target{{Name: "w1", Address: "w1", Scheme: "http", Auth: "basic", User: "u", PasswordFile: "/p"}}
			},
		},
		{
			name: "duration and size forms in the file",
			file: "remote: {output_cap: 1048576, step_timeout: 90s, run_timeout: 1h30m}\nslack: {approval_ttl: 0.5h}\n",
			mutate: func(c *Config) {
				c.Remote.StepTimeout = Duration(90 * time.Second)
				c.Remote.RunTimeout = Duration(90 * time.Minute)
				c.Slack.ApprovalTTL = Duration(30 * time.Minute)
			},
		},
		{
			name:   "empty file",
			file:   "# nothing here\n",
			mutate: func(*Config) {},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := ""
			if tt.file != "" {
				path = tempConfig(t, tt.file)
			}
			got, err := Load(path, tt.env)
			if err != nil {
				t.Fatalf("Load() = %v", err)
			}
			want := Default()
			tt.mutate(&want)
			if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Load() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadProblems(t *testing.T) {
	tests := []struct {
		name string
		file string
		env  []string
		want []string // FILE stands for the file's path
	}{
		{
			name: "misspelled key",
			file: "remote:\n  concurency: 5\n",
			want: []string{`FILE:2: unknown key "remote.concurency" (did you mean "remote.concurrency"?)`},
		},
		{
			name: "unknown keys at every level",
			file: "bogus:\nslak: {}\nremote: {Concurrency: 5, extra: {}}\ntargets:\n  - {name: a, address: a, user: u, password_env: P, tag: [x]}\n",
			want: []string{
				`FILE:1: unknown key "bogus"`,
				`FILE:3: unknown key "remote.extra"`,
				`FILE:2: unknown key "slak" (did you mean "slack"?)`,
				`FILE:5: unknown key "targets[0].tag" (did you mean "targets[0].tags"?)`,
			},
		},
		{
			name: "inline password",
			file: "targets:\n  - name: fs01\n    address: fs01\n    user: u\n    password: hunter2\n    password_env: P\n",
			want: []string{`targets[0].password: inline passwords are not allowed in FILE:5; put the password in an ` +
				`environment variable and name it with password_env, or in a file and name it with password_file`},
		},
		{
			name: "type errors name key and value",
			file: "remote:\n  concurrency: lots\n  header_timeout: 10\n  step_timeout: 5 parsecs\n  output_cap: 1MiBs\n" +
				"targets: [{name: a, address: a, user: u, password_env: P, port: https, insecure_skip_verify: maybe}]\nlog: [a]\n",
			want: []string{
				`log: a list is not a mapping`,
				`remote.concurrency: "lots" is not an integer`,
				`remote.header_timeout: 10 has no unit (use a number with a unit: 30s, 5m, 1h)`,
				`remote.step_timeout: "5 parsecs" is not a duration (use a number with a unit: 30s, 5m, 1h)`,
				`remote.output_cap: "1MiBs" is not a byte size: use a whole number of bytes or a number with a unit: 512KiB, 1MiB, 2MB`,
				`targets[0].port: "https" is not an integer`,
				`targets[0].insecure_skip_verify: "maybe" is not true or false`,
			},
		},
		{
			name: "a secret of the wrong type is not quoted",
			file: "slack:\n  app_token: xapp-1\n  bot_token: [xoxb-SUPERSECRET]\n",
			want: []string{`slack.bot_token: the value is not a string`},
		},
		{
			name: "section given as a scalar",
			file: "remote: 5\naudit: cron\n",
			want: []string{`audit: "cron" is not a mapping`, `remote: 5 is not a mapping`},
		},
		{
			name: "targets given as a scalar",
			file: "targets: fs01\n",
			want: []string{`targets[0]: is not a mapping (got a string)`},
		},
		{
			name: "env type and validation problems name the variable",
			env:  []string{"WSBBOT_REMOTE_CONCURRENCY=lots", "WSBBOT_LANGUAGE=fr", "WSBBOT_SLACK_BOT_TOKEN=SUPERSECRET"},
			want: []string{
				`remote.concurrency: "lots" is not an integer (set by WSBBOT_REMOTE_CONCURRENCY)`,
				`language: "fr" is not one of en, ja (set by WSBBOT_LANGUAGE)`,
				`slack.bot_token: must start with xoxb- (a bot user OAuth token) (set by WSBBOT_SLACK_BOT_TOKEN)`,
				`slack.app_token: is required when slack.bot_token is set (Socket Mode needs both)`,
			},
		},
		{
			name: "list items from a variable name it",
			env:  []string{"WSBBOT_SLACK_APPROVERS=U1,U2,U1"},
			want: []string{`slack.approvers[2]: "U1" is already listed as slack.approvers[0] (set by WSBBOT_SLACK_APPROVERS)`},
		},
		{
			name: "every problem at once, no validation noise for undecodable values",
			file: "language: fr\nremote:\n  concurency: 5\n  operation_timeout: 40s\naudit: {timezone: Mars/Olympus}\n" +
				"targets:\n  - {name: fs01, address: fs01, user: u, password_env: P, port: 70000}\n" +
				"  - {name: FS01, address: fs02, user: u, password_env: P, port: x, scheme: http, ca_file: /ca.pem}\n",
			want: []string{
				`FILE:3: unknown key "remote.concurency" (did you mean "remote.concurrency"?)`,
				`targets[1].port: "x" is not an integer`,
				`language: "fr" is not one of en, ja`,
				`remote.header_timeout: 30s must be greater than remote.operation_timeout 40s: the server holds a WS-Man ` +
					`Receive that has no new output for up to operation_timeout before answering, so an HTTP response-header ` +
					`timeout that is not longer races it and masterzen/winrm aborts healthy long-running commands ` +
					`(e.g. operation_timeout 20s, header_timeout 30s)`,
				`audit.timezone: "Mars/Olympus" is not a known time zone (use an IANA name such as Asia/Tokyo or UTC)`,
				`targets[0].port: 70000 is out of range 1-65535`,
				`targets[1].name: "FS01" is already used by targets[0] (names are compared case-insensitively)`,
				`targets[1].ca_file: ca_file is set but scheme is http`,
			},
		},
		{
			name: "declared: unknown key and wrong types",
			file: "targets:\n  - name: fs01\n    address: fs01\n    user: u\n    password_env: P\n" +
				"    declared: {copies: three, offsite: maybe, restore_tset: 2025-01-01}\n",
			want: []string{
				`FILE:6: unknown key "targets[0].declared.restore_tset" (did you mean "targets[0].declared.restore_test"?)`,
				`targets[0].declared.copies: "three" is not an integer`,
				`targets[0].declared.offsite: "maybe" is not true or false`,
			},
		},
		{
			name: "syntax error names file and line",
			file: "language: en\nlog:\n  level: info\n   format: text\n",
			want: []string{`FILE:4: mapping values are not allowed in this context`},
		},
		{
			name: "syntax error on the first line",
			file: "language: en: ja\n",
			want: []string{`FILE:1: mapping values are not allowed in this context`},
		},
		{
			name: "duplicate key",
			file: "language: en\nlog: {}\nlanguage: ja\n",
			want: []string{`FILE:3: mapping key "language" already defined at line 1`},
		},
		{
			name: "top level is a list",
			file: "- language: en\n",
			want: []string{`FILE:1: the top level must be a mapping of configuration keys`},
		},
		{
			name: "control characters",
			file: "language: \"en\x01\"\n",
			want: []string{`FILE: control characters are not allowed (the file must be UTF-8 text)`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := ""
			if tt.file != "" {
				path = tempConfig(t, tt.file)
			}
			_, err := Load(path, tt.env)
			var got []string
			for _, l := range problemLines(err) {
				if path != "" {
					l = strings.ReplaceAll(l, path, "FILE")
				}
				got = append(got, l)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Load() problems (-want +got):\n%s", diff)
			}
			if err != nil && (strings.Contains(err.Error(), "SUPERSECRET") || strings.Contains(err.Error(), "hunter2")) {
				t.Errorf("Load() error leaks a secret: %v", err)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.yaml")
	_, err := Load(path, nil)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("Load(missing) = %v, want an error naming %s", err, path)
	}
}

func TestLoadDoesNotTouchProcessEnv(t *testing.T) {
	t.Setenv("WSBBOT_LANGUAGE", "ja")
	t.Setenv("WSBBOT_REMOTE_CONCURRENCY", "0")
	c, err := Load("", nil)
	if err != nil || c.Language != "en" || c.Remote.Concurrency != 100 {
		t.Errorf("Load(env=nil) = language %q concurrency %d, %v; the process environment leaked in", c.Language, c.Remote.Concurrency, err)
	}
}

// TestRedactedRoundTrip checks that Redacted is valid YAML that loads back
// to the same configuration, whatever the strings contain.
func TestRedactedRoundTrip(t *testing.T) {
	c := validConfig()
	c.Slack.AppToken, c.Slack.BotToken = "", ""
	c.Slack.IncidentChannel = `#wsb: "on-call" \ 'ops'`
	c.Slack.AuditChannel = "yes"
	c.Store.Path = "null"
	c.Runbooks.Dirs = []string{"~", "0x10", "- dash", "[x]", "{y}", "a # b", "@at", "%pct", "&anchor", "*alias", "!tag", "|", ">", "日本語\tタブ", "nel\u0085ls\u2028ps\u2029bom\ufeffdel\x7f"}
	c.Targets[0].User = "CORP\\svc-wsbbot"
	c.Targets[0].TLSServerName = "\x00\x1b\u00a0\U0001F600"
	c.Targets[0].OperationTimeout = Duration(1500 * time.Millisecond)
	c.Targets[0].ConfiguredPort = 5986
	c.Targets[0].InsecureSkipVerify = true
	c.Targets = append(c.Targets, Target{
		Name: "dc01", Address: "192.0.2.10", Scheme: SchemeHTTPS, Auth: AuthCertificate,
		ClientCertFile: "/c.pem", ClientKeyFile: "/c.key",
	})
	c.Remote.OutputCap = 1500
	out, err := c.Redacted()
	if err != nil {
		t.Fatal(err)
	}
	file := tempConfig(t, string(out))
	got, err := Load(file, nil)
	if err != nil {
		t.Fatalf("Load(Redacted()) = %v\n%s", err, out)
	}
	// A relative store.path is taken from the file's folder.
	if want := filepath.Join(filepath.Dir(file), "null"); got.Store.Path != want {
		t.Errorf("store.path %q, want %q", got.Store.Path, want)
	}
	got.Store.Path = c.Store.Path
	if diff := cmp.Diff(c, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Load(Redacted()) (-want +got):\n%s\n%s", diff, out)
	}

	// With secrets set, the output carries only [redacted].
	c.Slack.AppToken, c.Slack.BotToken = "xapp-SUPERSECRET", "xoxb-SUPERSECRET"
	out, err = c.Redacted()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`app_token: '[redacted]'`, `bot_token: '[redacted]'`, `output_cap: 1500B`, `operation_timeout: 1.5s`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("Redacted() lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), "SUPERSECRET") {
		t.Errorf("Redacted() leaks a secret:\n%s", out)
	}
}

func FuzzLoad(f *testing.F) {
	// Small seeds: the engine minimises every input it finds interesting,
	// and viper's map iteration makes coverage vary from run to run.
	for _, s := range []string{
		"language: ja\n",
		"remote: {concurrency: 5, output_cap: 3KiB}\n",
		"slack: {approvers: [U1, U2], quorum: 2}\n",
		"targets: [{name: a, address: b, user: u, password_env: P, tags: [x, y]}]\naudit: {group: x}\n",
		"runbooks: {dirs: [\"a\\tb\", 'c''d']}\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, content string) {
		path := tempConfig(t, content)
		c, err := Load(path, nil)
		if err != nil {
			if strings.Contains(err.Error(), "panic") {
				t.Fatalf("Load error mentions a panic: %v", err)
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Load succeeded but Validate() = %v", err)
		}
		// Secrets come back as "[redacted]"; compare without them.
		c.Slack.AppToken, c.Slack.BotToken = "", ""
		out, err := c.Redacted()
		if err != nil {
			t.Fatalf("Redacted() = %v", err)
		}
		back, err := Load(tempConfig(t, string(out)), nil)
		if err != nil {
			t.Fatalf("Load(Redacted()) = %v\n%s", err, out)
		}
		if diff := cmp.Diff(c, back, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("Load(Redacted()) differs (-loaded +reloaded):\n%s\n%s", diff, out)
		}
	})
}

func TestLoadDeclared(t *testing.T) {
	path := tempConfig(t, "targets:\n"+
		"  - name: fs01\n    address: fs01\n    user: u\n    password_env: P\n"+
		"    declared:\n      copies: 3\n      media: 2\n      offsite: true\n      av_product: Trend Micro\n"+
		"      av_exclusions: false\n      restore_test: 2025-01-20\n"+
		"  - name: fs02\n    address: fs02\n    user: u\n    password_env: P\n")
	c, err := Load(path, nil)
	if err != nil {
		t.Fatalf("Load() = %v", err)
	}
	yes, no := true, false
	want := []Declared{
		{Copies: 3, Media: 2, Offsite: &yes, AVProduct: "Trend Micro", AVExclusions: &no, RestoreTest: "2025-01-20"},
		{},
	}
	var got []Declared
	for _, tg := range c.Targets {
		got = append(got, tg.Declared)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("declared (-want +got):\n%s", diff)
	}
	if d, ok := got[0].RestoreTestDate(); !ok || d.Format(time.DateOnly) != "2025-01-20" {
		t.Errorf("RestoreTestDate() = %v, %v", d, ok)
	}
	if _, ok := got[1].RestoreTestDate(); ok {
		t.Errorf("RestoreTestDate() of an empty declaration is ok")
	}
	// The redacted view loads back with the same declarations.
	b, err := c.Redacted()
	if err != nil {
		t.Fatal(err)
	}
	c2, err := Load(tempConfig(t, string(b)), nil)
	if err != nil {
		t.Fatalf("Load(Redacted()) = %v", err)
	}
	if diff := cmp.Diff(c.Targets[0].Declared, c2.Targets[0].Declared); diff != "" {
		t.Errorf("declared after round trip (-want +got):\n%s", diff)
	}
}

// TestLoadRefusesLargeFile: a file over MaxFileSize is refused before it is
// parsed (the YAML parsers take about 40 times its size in memory), and a
// file of exactly MaxFileSize still loads.
func TestLoadRefusesLargeFile(t *testing.T) {
	fill := func(size int) string {
		var b strings.Builder
		b.WriteString("language: en\n")
		line := "# " + strings.Repeat("x", 61) + "\n"
		for b.Len()+len(line) <= size {
			b.WriteString(line)
		}
		b.WriteString(strings.Repeat("#", size-b.Len()))
		return b.String()
	}
	atLimit := tempConfig(t, fill(int(MaxFileSize)))
	if _, err := Load(atLimit, nil); err != nil {
		t.Errorf("Load(file of exactly %d bytes) = %v", MaxFileSize, err)
	}
	over := tempConfig(t, fill(int(MaxFileSize)+1))
	_, err := Load(over, nil)
	if err == nil || !strings.Contains(err.Error(), over+" is larger than 1MiB") {
		t.Errorf("Load(file of %d bytes) = %v, want a refusal naming the file and the limit", MaxFileSize+1, err)
	}
}
