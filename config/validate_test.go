package config

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// validConfig is Default plus one complete target; it validates cleanly.
func validConfig() Config {
	c := Default()
	c.Slack.AppToken = "xapp-1-A"
	c.Slack.BotToken = "xoxb-1-B"
	c.Slack.Approvers = []string{"U01", "U02"}
	c.Audit.Group = "file-servers"
	c.Targets = []Target{{
		Name:        "fs01",
		Address:     "fs01.corp.example",
		Scheme:      SchemeHTTPS,
		Auth:        AuthNTLM,
		User:        `CORP\svc-wsbbot`,
		PasswordEnv: "WSBBOT_FS01_PASSWORD",
		Tags:        []string{"file-servers"},
	}}
	return c
}

// problemLines splits a joined error into its lines (nil for nil).
func problemLines(err error) []string {
	if err == nil {
		return nil
	}
	return strings.Split(err.Error(), "\n")
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
		want   []string
	}{
		{name: "default", mutate: func(c *Config) { *c = Default() }},
		{name: "valid", mutate: func(*Config) {}},
		{
			name: "enumerations",
			mutate: func(c *Config) {
				c.Language = "fr"
				c.Log.Level = "trace"
				c.Log.Format = "xml"
				c.Store.Backend = "postgres"
			},
			want: []string{
				`language: "fr" is not one of en, ja`,
				`log.level: "trace" is not one of debug, info, warn, error`,
				`log.format: "xml" is not one of text, json`,
				`store.backend: "postgres" is not one of sqlite, bbolt`,
			},
		},
		{
			name: "paths and listen",
			mutate: func(c *Config) {
				c.Runbooks.Dirs = []string{"/etc/wsbbot/runbooks", " "}
				c.HTTP.Listen = "localhost"
				c.Remote.LockWait = Duration(-time.Second)
			},
			want: []string{
				`runbooks.dirs[1]: is empty`,
				`http.listen: "localhost" is not host:port (e.g. 127.0.0.1:9090)`,
				`remote.lock_wait: -1s is out of range: 0 (refuse at once while another run changes the server) up to 1h`,
			},
		},
		{
			name:   "listen port out of range",
			mutate: func(c *Config) { c.HTTP.Listen = ":99999" },
			want:   []string{`http.listen: port "99999" is not a number in 0-65535`},
		},
		{
			name: "slack tokens never quoted",
			mutate: func(c *Config) {
				c.Slack.AppToken = "xoxb-SUPERSECRET"
				c.Slack.BotToken = "xapp-SUPERSECRET"
			},
			want: []string{
				`slack.app_token: must start with xapp- (an app-level token with connections:write, for Socket Mode)`,
				`slack.bot_token: must start with xoxb- (a bot user OAuth token)`,
			},
		},
		{
			name:   "slack token pair",
			mutate: func(c *Config) { c.Slack.AppToken = "" },
			want:   []string{`slack.app_token: is required when slack.bot_token is set (Socket Mode needs both)`},
		},
		{
			name:   "slack mode",
			mutate: func(c *Config) { c.Slack.Mode = "events" },
			want:   []string{`slack.mode: "events" is not socket (Socket Mode) or http (the Events API)`},
		},
		{
			name:   "slack http mode needs the signing secret, not the app token",
			mutate: func(c *Config) { c.Slack.Mode, c.Slack.AppToken = SlackModeHTTP, "" },
			want:   []string{`slack.signing_secret: is required when slack.mode is http (Slack signs every request with it)`},
		},
		{
			name: "slack approvers and quorum",
			mutate: func(c *Config) {
				c.Slack.APIURL = "ftp://fake"
				c.Slack.Approvers = []string{"U01", "", "U01", "U 2"}
				c.Slack.Quorum = 0
				c.Slack.ApprovalTTL = 0
			},
			want: []string{
				`slack.api_url: "ftp://fake" is not an http:// or https:// URL`,
				`slack.approvers[1]: is empty`,
				`slack.approvers[2]: "U01" is already listed as slack.approvers[0]`,
				`slack.approvers[3]: "U 2" is not a Slack id (e.g. U012ABCDEF, or a user group S012ABCDEF)`,
				`slack.quorum: 0 must be at least 1`,
				`slack.approval_ttl: 0s must be greater than 0`,
			},
		},
		{
			name: "approval rules, roles and channels",
			mutate: func(c *Config) {
				c.Slack.ApprovalRules = []ApprovalRule{
					{Approvers: []string{"U01"}},
					{Runbook: "usn-journal-cleanup", Quorum: 3, Approvers: []string{"U01", "U02"}},
					{Group: "dc", Quorum: 3, Approvers: []string{"S01"}, ApprovalTTL: -1},
				}
				c.Slack.Roles.Operator = []string{"U01", "U01"}
				c.Slack.Channels = []string{"#wsb"}
			},
			want: []string{
				`slack.approval_rules[0]: names neither a runbook nor a group, so it would cover everything: set slack.approvers instead`,
				`slack.approval_rules[1].quorum: 3 is more than the 2 listed approvers, so no request could ever be approved`,
				`slack.approval_rules[2].approval_ttl: must not be negative`,
				`slack.roles.operator[1]: "U01" is already listed as slack.roles.operator[0]`,
				`slack.channels[0]: "#wsb" is not a Slack id (e.g. a channel id such as C012ABCDEF)`,
			},
		},
		{
			name:   "quorum above approvers",
			mutate: func(c *Config) { c.Slack.Quorum = 3 },
			want:   []string{`slack.quorum: 3 is more than the 2 listed approvers, so no request could ever be approved`},
		},
		{
			name:   "api_url accepted",
			mutate: func(c *Config) { c.Slack.APIURL = "http://127.0.0.1:8089/api/" },
		},
		{
			name: "remote ranges",
			mutate: func(c *Config) {
				c.Remote.Concurrency = 10001
				c.Remote.StepTimeout = Duration(time.Hour)
				c.Remote.OutputCap = 0
			},
			want: []string{
				`remote.concurrency: 10001 is out of range 1-10000`,
				`remote.step_timeout: 1h is longer than remote.run_timeout 30m`,
				`remote.output_cap: 0B must be greater than 0`,
			},
		},
		{
			name: "header_timeout equal to operation_timeout",
			mutate: func(c *Config) {
				c.Remote.OperationTimeout = Duration(30 * time.Second)
			},
			want: []string{`remote.header_timeout: 30s must be greater than remote.operation_timeout 30s: ` +
				`the server holds a WS-Man Receive that has no new output for up to operation_timeout before answering, ` +
				`so an HTTP response-header timeout that is not longer races it and masterzen/winrm aborts healthy ` +
				`long-running commands (e.g. operation_timeout 20s, header_timeout 30s)`},
		},
		{
			name: "header_timeout below operation_timeout",
			mutate: func(c *Config) {
				c.Remote.OperationTimeout = Duration(time.Minute)
			},
			want: []string{`remote.header_timeout: 30s must be greater than remote.operation_timeout 1m: ` +
				`the server holds a WS-Man Receive that has no new output for up to operation_timeout before answering, ` +
				`so an HTTP response-header timeout that is not longer races it and masterzen/winrm aborts healthy ` +
				`long-running commands (e.g. operation_timeout 20s, header_timeout 30s)`},
		},
		{
			name:   "bad timezone",
			mutate: func(c *Config) { c.Audit.Timezone = "Asia/Tokio" },
			want:   []string{`audit.timezone: "Asia/Tokio" is not a known time zone (use an IANA name such as Asia/Tokyo or UTC)`},
		},
		{
			name:   "bad cron field count",
			mutate: func(c *Config) { c.Audit.Schedule = "0 9 * *" },
			want:   []string{`audit.schedule: "0 9 * *" has 4 fields; want 5 (minute hour day-of-month month day-of-week)`},
		},
		{
			name:   "bad cron ranges",
			mutate: func(c *Config) { c.Audit.Schedule = "60 24 0 13 8" },
			want:   []string{`audit.schedule: "60 24 0 13 8": end of range (60) above maximum (59): 60`},
		},
		{
			name: "audit schedules and watch",
			mutate: func(c *Config) {
				c.Audit.Schedules = []AuditSchedule{
					{Name: "fs-daily", Cron: "0 8 * * 1-5", Servers: []string{"fs01"}},
					{Name: "fs-daily", Cron: "0 8 * *", Timezone: "Mars/Olympus", Checklist: "ten-rules", Servers: []string{"nope"}, Groups: []string{"db"}},
					{Name: "audit", Cron: "61 * * * *"},
					{Cron: ""},
				}
				c.Watch.Every = Duration(10 * time.Second)
			},
			want: []string{
				`audit.schedules[1].name: "fs-daily" is already used by audit.schedules[0]`,
				`audit.schedules[1].checklist: "ten-rules": the bundled checklist is five-rules`,
				`audit.schedules[1].cron: "0 8 * *" has 4 fields; want 5 (minute hour day-of-month month day-of-week)`,
				`audit.schedules[1].timezone: "Mars/Olympus" is not a known time zone (use an IANA name such as Asia/Tokyo or UTC)`,
				`audit.schedules[1].servers[0]: no target is named "nope"`,
				`audit.schedules[1].groups[0]: no target has the tag "db"`,
				`audit.schedules[2].name: "audit" is the name of the schedule of audit.schedule; choose another`,
				`audit.schedules[2].cron: "61 * * * *": end of range (61) above maximum (59): 61`,
				`audit.schedules[3].name: is required (it names the schedule in the record)`,
				`audit.schedules[3].cron: is required (5-field cron, e.g. "0 9 * * 1" for Mondays 09:00)`,
				`watch.every: 10s is out of range 1m-24h`,
			},
		},
		{
			name: "audit required and unknown group",
			mutate: func(c *Config) {
				c.Audit.Schedule = ""
				c.Audit.Timezone = ""
				c.Audit.Group = "db-servers"
			},
			want: []string{
				`audit.schedule: is required (5-field cron, e.g. "0 9 * * 1" for Mondays 09:00)`,
				`audit.timezone: is required (an IANA time zone such as Asia/Tokyo or UTC)`,
				`audit.group: no target has the tag "db-servers"`,
			},
		},
		{
			name: "duplicate target names, case-insensitive",
			mutate: func(c *Config) {
				t := c.Targets[0]
				t.Name = "FS01"
				u := c.Targets[0]
				u.Name = "fs02"
				c.Targets = append(c.Targets, u, t)
			},
			want: []string{`targets[2].name: "FS01" is already used by targets[0] (names are compared case-insensitively)`},
		},
		{
			name: "target identity",
			mutate: func(c *Config) {
				t := c.Targets[0]
				c.Targets[0].Name = ""
				c.Targets[0].Address = ""
				t.Name = "-fs02"
				t.Address = "https://fs02:5986"
				u := c.Targets[0]
				u.Name = "fs03"
				u.Address = "fs03:5986"
				v := c.Targets[0]
				v.Name = "fs04"
				v.Address = "fs 04"
				c.Targets = append(c.Targets, t, u, v)
			},
			want: []string{
				`targets[0].name: is required`,
				`targets[0].address: is required (a host name or IP address)`,
				`targets[1].name: "-fs02" must match [a-z0-9][a-z0-9._-]* (letters, digits, '.', '_', '-')`,
				`targets[1].address: "https://fs02:5986" is a URL; give only the host name or IP and set scheme and port separately`,
				`targets[2].address: "fs03:5986" is not a host name or IP address; put the port in port`,
				`targets[3].address: "fs 04" is not a host name or IP address`,
			},
		},
		{
			name: "names: ASCII only, whatever Unicode case folding says",
			mutate: func(c *Config) {
				t := c.Targets[0]
				t.Name = "fs01\u017f" // long s, which (?i) folds to s
				u := c.Targets[0]
				u.Name = "FS-02"
				u.Tags = []string{"\u212aiosk", "Tokyo"} // Kelvin sign, which (?i) folds to k
				c.Targets = append(c.Targets, t, u)
			},
			want: []string{
				`targets[1].name: "fs01ſ" must match [a-z0-9][a-z0-9._-]* (letters, digits, '.', '_', '-')`,
				`targets[2].tags[0]: "Kiosk" must match [a-z0-9][a-z0-9._-]*`,
			},
		},
		{
			name: "addresses accepted",
			mutate: func(c *Config) {
				for i, a := range []string{"192.0.2.10", "2001:db8::1", "FS01", "fs01.corp.example.", "srv_01.corp"} {
					t := c.Targets[0]
					t.Name = "t" + string(rune('a'+i))
					t.Address = a
					c.Targets = append(c.Targets, t)
				}
			},
		},
		{
			name: "target enumerations and ranges",
			mutate: func(c *Config) {
				c.Targets[0].ConfiguredPort = 70000
				c.Targets[0].Scheme = "HTTPS"
				c.Targets[0].Auth = "negotiate"
				c.Targets[0].Language = "de"
				c.Targets[0].Tags = []string{"file-servers", "bad tag"}
			},
			want: []string{
				`targets[0].port: 70000 is out of range 1-65535`,
				`targets[0].scheme: "HTTPS" is not one of https, http`,
				`targets[0].auth: "negotiate" is not one of ntlm, basic, kerberos, certificate`,
				`targets[0].tags[1]: "bad tag" must match [a-z0-9][a-z0-9._-]*`,
				`targets[0].language: "de" is not one of en, ja`,
			},
		},
		{
			name: "credential reference: none and user",
			mutate: func(c *Config) {
				c.Targets[0].PasswordEnv = ""
				c.Targets[0].User = ""
			},
			want: []string{
				`targets[0].user: is required for auth ntlm`,
				`targets[0].password_env: one of password_env or password_file is required for auth ntlm`,
			},
		},
		{
			name: "credential reference: both, bad name",
			mutate: func(c *Config) {
				c.Targets[0].PasswordEnv = "hunter2!"
				c.Targets[0].PasswordFile = "/run/secrets/fs01"
			},
			want: []string{
				`targets[0].password_env: "hunter2!" is not an environment variable name (it names the variable holding the password, not the password)`,
				`targets[0].password_env: password_env and password_file are both set; use exactly one`,
			},
		},
		{
			name: "https-only options on an http target",
			mutate: func(c *Config) {
				c.Targets[0].Scheme = SchemeHTTP
				c.Targets[0].CAFile = "/etc/ca.pem"
				c.Targets[0].InsecureSkipVerify = true
				c.Targets[0].TLSServerName = "fs01"
			},
			want: []string{
				`targets[0].ca_file: ca_file is set but scheme is http`,
				`targets[0].insecure_skip_verify: insecure_skip_verify is set but scheme is http`,
				`targets[0].tls_server_name: tls_server_name is set but scheme is http`,
			},
		},
		{
			name: "ca_file with insecure_skip_verify",
			mutate: func(c *Config) {
				c.Targets[0].CAFile = "/etc/ca.pem"
				c.Targets[0].InsecureSkipVerify = true
			},
			want: []string{`targets[0].ca_file: is set but insecure_skip_verify is true, so it would not be used; remove one`},
		},
		{
			name: "certificate auth needs cert, key, https; no password",
			mutate: func(c *Config) {
				c.Targets[0].Auth = AuthCertificate
				c.Targets[0].Scheme = SchemeHTTP
				c.Targets[0].ClientCertFile = "/etc/c.pem"
			},
			want: []string{
				`targets[0].password_env: is set but auth is certificate, which uses client_cert_file and client_key_file instead`,
				`targets[0].client_key_file: is required for auth certificate`,
				`targets[0].auth: certificate needs scheme https`,
			},
		},
		{
			name: "certificate auth accepted",
			mutate: func(c *Config) {
				c.Targets[0].Auth = AuthCertificate
				c.Targets[0].PasswordEnv = ""
				c.Targets[0].User = ""
				c.Targets[0].ClientCertFile = "/etc/c.pem"
				c.Targets[0].ClientKeyFile = "/etc/c.key"
			},
		},
		{
			name: "client certificate without certificate auth",
			mutate: func(c *Config) {
				c.Targets[0].ClientCertFile = "/etc/c.pem"
				c.Targets[0].ClientKeyFile = "/etc/c.key"
			},
			want: []string{
				`targets[0].client_cert_file: is set but auth is ntlm (only auth certificate uses it)`,
				`targets[0].client_key_file: is set but auth is ntlm (only auth certificate uses it)`,
			},
		},
		{
			name: "target timeouts",
			mutate: func(c *Config) {
				c.Targets[0].OperationTimeout = Duration(30 * time.Second)
				c.Targets[0].StepTimeout = Duration(time.Hour)
				t := c.Targets[0]
				t.Name = "fs02"
				t.OperationTimeout = Duration(-time.Second)
				t.StepTimeout = Duration(-time.Second)
				c.Targets = append(c.Targets, t)
			},
			want: []string{
				`targets[0].operation_timeout: 30s must be less than remote.header_timeout 30s (see remote.header_timeout)`,
				`targets[0].step_timeout: 1h is longer than remote.run_timeout 30m`,
				`targets[1].operation_timeout: -1s must not be negative (0 inherits remote.operation_timeout)`,
				`targets[1].step_timeout: -1s must not be negative (0 inherits remote.step_timeout)`,
			},
		},
		{
			name: "declarations accepted",
			mutate: func(c *Config) {
				yes, no := true, false
				c.Targets[0].Declared = Declared{Copies: 3, Media: 2, Offsite: &yes, AVProduct: "Trend Micro", AVExclusions: &no,
					RestoreTest: time.Now().UTC().AddDate(0, -1, 0).Format(time.DateOnly)}
			},
		},
		{
			name: "declarations rejected",
			mutate: func(c *Config) {
				c.Targets[0].Declared = Declared{Copies: -1, Media: -2, AVProduct: " Trend Micro", RestoreTest: "2025-02-30"}
				t := c.Targets[0]
				t.Name = "fs02"
				t.Declared = Declared{RestoreTest: time.Now().UTC().AddDate(0, 0, 2).Format(time.DateOnly)}
				c.Targets = append(c.Targets, t)
				t.Name = "fs03"
				t.Declared = Declared{RestoreTest: "20/01/2025"}
				c.Targets = append(c.Targets, t)
			},
			want: []string{
				`targets[0].declared.copies: -1 must not be negative (0 = not declared)`,
				`targets[0].declared.media: -2 must not be negative (0 = not declared)`,
				`targets[0].declared.av_product: " Trend Micro" has leading or trailing spaces`,
				`targets[0].declared.restore_test: "2025-02-30" is not a date YYYY-MM-DD (e.g. 2025-03-31)`,
				`targets[1].declared.restore_test: ` + time.Now().UTC().AddDate(0, 0, 2).Format(time.DateOnly) + ` is in the future`,
				`targets[2].declared.restore_test: "20/01/2025" is not a date YYYY-MM-DD (e.g. 2025-03-31)`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig()
			tt.mutate(&c)
			err := c.Validate()
			if diff := cmp.Diff(tt.want, problemLines(err)); diff != "" {
				t.Errorf("Validate() problems (-want +got):\n%s", diff)
			}
			if err != nil && strings.Contains(err.Error(), "SUPERSECRET") {
				t.Errorf("Validate() leaks a token: %v", err)
			}
		})
	}
}

func TestCheckCron(t *testing.T) {
	tests := []struct {
		expr    string
		wantErr string
	}{
		{expr: "0 9 * * 1"},
		{expr: "*/15 * * * *"},
		{expr: "0 0-23/2 1,15 * mon-fri"},
		{expr: "30 2 * JAN,jul SUN"},
		{expr: "0 9 * * 7"},
		{expr: "  0   9 * * 1  "},
		{expr: "@weekly", wantErr: "has 1 fields; want 5"},
		{expr: "0 9 * * 1 2026", wantErr: "has 6 fields; want 5"},
		{expr: "*/0 * * * *", wantErr: `step of range should be a positive number: */0`},
		{expr: "0 10-2 * * *", wantErr: `beginning of range (10) beyond end of range (2): 10-2`},
		{expr: "0 9 * * fri-mon", wantErr: `beginning of range (5) beyond end of range (1): fri-mon`},
		{expr: "0 9 * * funday", wantErr: `funday`},
		{expr: "0 9 * jan-13 *", wantErr: `end of range (13) above maximum (12): jan-13`},
	}
	for _, tt := range tests {
		err := checkCron(tt.expr)
		if tt.wantErr == "" {
			if err != nil {
				t.Errorf("checkCron(%q) = %v, want nil", tt.expr, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("checkCron(%q) = %v, want containing %q", tt.expr, err, tt.wantErr)
		}
	}
}
