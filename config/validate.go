package config

import (
	"github.com/wsbbot/wsbbot/internal/schedule"

	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// problem is one thing wrong with the configuration. Load and Validate
// return all of them joined with errors.Join.
type problem struct {
	key  string // key path, "targets[2].port"; "" for whole-file problems
	msg  string // what is wrong and the rule
	file string // the file the value came from, when known
	env  string // the variable the value came from, when it came from one
	// unknown marks an unknown key; its message names the key itself.
	unknown bool
}

func (p *problem) Error() string {
	var b strings.Builder
	switch {
	case p.unknown:
		b.WriteString(p.msg)
	case p.key == "":
		if p.file != "" {
			b.WriteString(p.file + ": ")
		}
		b.WriteString(p.msg)
	default:
		b.WriteString(p.key + ": " + p.msg)
	}
	if p.env != "" {
		b.WriteString(" (set by " + p.env + ")")
	}
	return b.String()
}

// checker collects problems in order.
type checker struct{ problems []*problem }

func (c *checker) add(key, format string, args ...any) {
	c.problems = append(c.problems, &problem{key: key, msg: fmt.Sprintf(format, args...)})
}

func (c *checker) oneOf(key, value string, allowed ...string) {
	for _, a := range allowed {
		if value == a {
			return
		}
	}
	var shown []string
	for _, a := range allowed {
		if a != "" {
			shown = append(shown, a)
		}
	}
	c.add(key, "%q is not one of %s", value, strings.Join(shown, ", "))
}

func (c *checker) positive(key string, d Duration) {
	if d <= 0 {
		c.add(key, "%s must be greater than 0", d)
	}
}

// Validate checks every rule and returns all problems at once (joined with
// errors.Join), each naming its key path, or nil.
func (c Config) Validate() error {
	return joinProblems(c.problems())
}

func joinProblems(ps []*problem) error {
	errs := make([]error, len(ps))
	for i, p := range ps {
		errs[i] = p
	}
	return errors.Join(errs...)
}

var (
	// nameRE is the syntax of target names and tags: ASCII letters of
	// either case, not (?i), whose Unicode case folding also lets the long
	// s (U+017F) and the Kelvin sign (U+212A) pass as s and k.
	nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	// envNameRE is the syntax of an environment variable name.
	envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

func (c Config) problems() []*problem {
	var ck checker
	ck.oneOf("language", c.Language, "en", "ja")
	ck.oneOf("log.level", c.Log.Level, "debug", "info", "warn", "error")
	ck.oneOf("log.format", c.Log.Format, "text", "json")
	ck.oneOf("store.backend", c.Store.Backend, "sqlite", "bbolt")
	for i, d := range c.Runbooks.Dirs {
		if strings.TrimSpace(d) == "" {
			ck.add(fmt.Sprintf("runbooks.dirs[%d]", i), "is empty")
		}
	}
	ck.listen("http.listen", c.HTTP.Listen)
	ck.slack(c.Slack)
	ck.remote(c.Remote)
	ck.audit(c.Audit, c)
	ck.watch(c.Watch)
	ck.targets(c.Targets, c.Remote)
	return ck.problems
}

func (ck *checker) listen(key, addr string) {
	if addr == "" {
		ck.add(key, "is required (host:port, e.g. 127.0.0.1:9090)")
		return
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		ck.add(key, "%q is not host:port (e.g. 127.0.0.1:9090)", addr)
		return
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		ck.add(key, "port %q is not a number in 0-65535", port)
	}
}

func (ck *checker) slack(s Slack) {
	// Messages about tokens never quote the value.
	if s.AppToken != "" && !strings.HasPrefix(s.AppToken.Reveal(), "xapp-") {
		ck.add("slack.app_token", "must start with xapp- (an app-level token with connections:write, for Socket Mode)")
	}
	if s.BotToken != "" && !strings.HasPrefix(s.BotToken.Reveal(), "xoxb-") {
		ck.add("slack.bot_token", "must start with xoxb- (a bot user OAuth token)")
	}
	switch s.Mode {
	case SlackModeSocket:
		if s.AppToken != "" && s.BotToken == "" {
			ck.add("slack.bot_token", "is required when slack.app_token is set (Socket Mode needs both)")
		}
		if s.BotToken != "" && s.AppToken == "" {
			ck.add("slack.app_token", "is required when slack.bot_token is set (Socket Mode needs both)")
		}
	case SlackModeHTTP:
		if s.BotToken != "" && s.SigningSecret == "" {
			ck.add("slack.signing_secret", "is required when slack.mode is http (Slack signs every request with it)")
		}
	default:
		ck.add("slack.mode", "%q is not socket (Socket Mode) or http (the Events API)", s.Mode)
	}
	if s.APIURL != "" {
		u, err := url.Parse(s.APIURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			ck.add("slack.api_url", "%q is not an http:// or https:// URL", s.APIURL)
		}
	}
	ck.slackIDs("slack.approvers", s.Approvers, "U012ABCDEF, or a user group S012ABCDEF")
	groups := slices.ContainsFunc(s.Approvers, func(a string) bool { return strings.HasPrefix(a, "S") })
	if s.Quorum < 1 {
		ck.add("slack.quorum", "%d must be at least 1", s.Quorum)
	} else if len(s.Approvers) > 0 && !groups && s.Quorum > len(s.Approvers) {
		ck.add("slack.quorum", "%d is more than the %d listed approvers, so no request could ever be approved", s.Quorum, len(s.Approvers))
	}
	for i, r := range s.ApprovalRules {
		p := fmt.Sprintf("slack.approval_rules[%d]", i)
		if r.Runbook == "" && r.Group == "" {
			ck.add(p, "names neither a runbook nor a group, so it would cover everything: set slack.approvers instead")
		}
		if len(r.Approvers) == 0 {
			ck.add(p+".approvers", "is empty: a rule must name who approves")
		}
		ck.slackIDs(p+".approvers", r.Approvers, "U012ABCDEF, or a user group S012ABCDEF")
		ruleGroups := slices.ContainsFunc(r.Approvers, func(a string) bool { return strings.HasPrefix(a, "S") })
		switch {
		case r.Quorum < 0:
			ck.add(p+".quorum", "%d must be at least 1 (or 0 for slack.quorum)", r.Quorum)
		case r.Quorum > len(r.Approvers) && !ruleGroups && len(r.Approvers) > 0:
			ck.add(p+".quorum", "%d is more than the %d listed approvers, so no request could ever be approved", r.Quorum, len(r.Approvers))
		}
		if r.ApprovalTTL < 0 {
			ck.add(p+".approval_ttl", "must not be negative")
		}
	}
	ck.slackIDs("slack.roles.viewer", s.Roles.Viewer, "U012ABCDEF, or a user group S012ABCDEF")
	ck.slackIDs("slack.roles.operator", s.Roles.Operator, "U012ABCDEF, or a user group S012ABCDEF")
	ck.slackIDs("slack.roles.approver", s.Roles.Approver, "U012ABCDEF, or a user group S012ABCDEF")
	ck.slackIDs("slack.roles.admin", s.Roles.Admin, "U012ABCDEF, or a user group S012ABCDEF")
	ck.slackIDs("slack.channels", s.Channels, "a channel id such as C012ABCDEF")
	ck.positive("slack.approval_ttl", s.ApprovalTTL)
}

// slackIDs checks a list of Slack ids: none empty, none with spaces or
// commas, none repeated.
func (ck *checker) slackIDs(key string, ids []string, example string) {
	seen := map[string]int{}
	for i, a := range ids {
		k := fmt.Sprintf("%s[%d]", key, i)
		switch {
		case a == "":
			ck.add(k, "is empty")
		case strings.ContainsAny(a, " \t\r\n,#@"):
			ck.add(k, "%q is not a Slack id (e.g. %s)", a, example)
		default:
			if j, ok := seen[a]; ok {
				ck.add(k, "%q is already listed as %s[%d]", a, key, j)
			} else {
				seen[a] = i
			}
		}
	}
}

func (ck *checker) remote(r Remote) {
	if r.Concurrency < 1 || r.Concurrency > 10000 {
		ck.add("remote.concurrency", "%d is out of range 1-10000", r.Concurrency)
	}
	ck.positive("remote.operation_timeout", r.OperationTimeout)
	if r.HeaderTimeout <= r.OperationTimeout {
		ck.add("remote.header_timeout", "%s must be greater than remote.operation_timeout %s: "+
			"the server holds a WS-Man Receive that has no new output for up to operation_timeout before "+
			"answering, so an HTTP response-header timeout that is not longer races it and masterzen/winrm "+
			"aborts healthy long-running commands (e.g. operation_timeout 20s, header_timeout 30s)",
			r.HeaderTimeout, r.OperationTimeout)
	}
	ck.positive("remote.step_timeout", r.StepTimeout)
	ck.positive("remote.run_timeout", r.RunTimeout)
	if r.StepTimeout > 0 && r.RunTimeout > 0 && r.StepTimeout > r.RunTimeout {
		ck.add("remote.step_timeout", "%s is longer than remote.run_timeout %s", r.StepTimeout, r.RunTimeout)
	}
	if r.OutputCap <= 0 {
		ck.add("remote.output_cap", "%s must be greater than 0", r.OutputCap)
	}
	if r.LockWait < 0 || time.Duration(r.LockWait) > time.Hour {
		ck.add("remote.lock_wait", "%s is out of range: 0 (refuse at once while another run changes the server) up to 1h", r.LockWait)
	}
}

func (ck *checker) audit(a Audit, c Config) {
	if a.Schedule == "" {
		ck.add("audit.schedule", "is required (5-field cron, e.g. \"0 9 * * 1\" for Mondays 09:00)")
	} else if err := checkCron(a.Schedule); err != nil {
		ck.add("audit.schedule", "%v", err)
	}
	if a.Timezone == "" {
		ck.add("audit.timezone", "is required (an IANA time zone such as Asia/Tokyo or UTC)")
	} else if _, err := time.LoadLocation(a.Timezone); err != nil {
		ck.add("audit.timezone", "%q is not a known time zone (use an IANA name such as Asia/Tokyo or UTC)", a.Timezone)
	}
	if a.Group != "" && len(c.TargetsWithTag(a.Group)) == 0 {
		ck.add("audit.group", "no target has the tag %q", a.Group)
	}
	names := map[string]int{}
	for i, s := range a.Schedules {
		p := fmt.Sprintf("audit.schedules[%d].", i)
		switch {
		case s.Name == "":
			ck.add(p+"name", "is required (it names the schedule in the record)")
		case !nameRE.MatchString(s.Name):
			ck.add(p+"name", "%q must match [a-z0-9][a-z0-9._-]*", s.Name)
		case s.Name == "audit":
			ck.add(p+"name", "%q is the name of the schedule of audit.schedule; choose another", s.Name)
		default:
			if j, ok := names[s.Name]; ok {
				ck.add(p+"name", "%q is already used by audit.schedules[%d]", s.Name, j)
			} else {
				names[s.Name] = i
			}
		}
		if s.Checklist != "" && s.Checklist != "five-rules" {
			ck.add(p+"checklist", "%q: the bundled checklist is five-rules", s.Checklist)
		}
		if s.Cron == "" {
			ck.add(p+"cron", "is required (5-field cron, e.g. \"0 9 * * 1\" for Mondays 09:00)")
		} else if err := checkCron(s.Cron); err != nil {
			ck.add(p+"cron", "%v", err)
		}
		if s.Timezone != "" {
			if _, err := time.LoadLocation(s.Timezone); err != nil {
				ck.add(p+"timezone", "%q is not a known time zone (use an IANA name such as Asia/Tokyo or UTC)", s.Timezone)
			}
		}
		for j, name := range s.Servers {
			if _, ok := c.Target(name); !ok {
				ck.add(fmt.Sprintf("%sservers[%d]", p, j), "no target is named %q", name)
			}
		}
		for j, g := range s.Groups {
			if len(c.TargetsWithTag(g)) == 0 {
				ck.add(fmt.Sprintf("%sgroups[%d]", p, j), "no target has the tag %q", g)
			}
		}
	}
}

func (ck *checker) watch(w Watch) {
	if w.Every < Duration(time.Minute) || w.Every > Duration(24*time.Hour) {
		ck.add("watch.every", "%s is out of range 1m-24h", w.Every)
	}
}

func (ck *checker) targets(ts []Target, r Remote) {
	seen := map[string]int{}
	for i, t := range ts {
		p := fmt.Sprintf("targets[%d].", i)
		switch {
		case t.Name == "":
			ck.add(p+"name", "is required")
		case !nameRE.MatchString(t.Name):
			ck.add(p+"name", "%q must match [a-z0-9][a-z0-9._-]* (letters, digits, '.', '_', '-')", t.Name)
		default:
			low := strings.ToLower(t.Name)
			if j, ok := seen[low]; ok {
				ck.add(p+"name", "%q is already used by targets[%d] (names are compared case-insensitively)", t.Name, j)
			} else {
				seen[low] = i
			}
		}
		ck.address(p+"address", t.Address)
		if t.ConfiguredPort < 0 || t.ConfiguredPort > 65535 {
			ck.add(p+"port", "%d is out of range 1-65535", t.ConfiguredPort)
		}
		ck.oneOf(p+"scheme", t.Scheme, "", SchemeHTTPS, SchemeHTTP)
		ck.oneOf(p+"auth", t.Auth, "", AuthNTLM, AuthBasic, AuthKerberos, AuthCertificate)
		ck.credentials(p, t)
		ck.tls(p, t)
		for j, g := range t.Tags {
			if !nameRE.MatchString(g) {
				ck.add(fmt.Sprintf("%stags[%d]", p, j), "%q must match [a-z0-9][a-z0-9._-]*", g)
			}
		}
		ck.oneOf(p+"language", t.Language, "", "en", "ja")
		if t.OperationTimeout < 0 {
			ck.add(p+"operation_timeout", "%s must not be negative (0 inherits remote.operation_timeout)", t.OperationTimeout)
		} else if t.OperationTimeout > 0 && t.OperationTimeout >= r.HeaderTimeout {
			ck.add(p+"operation_timeout", "%s must be less than remote.header_timeout %s (see remote.header_timeout)", t.OperationTimeout, r.HeaderTimeout)
		}
		if t.StepTimeout < 0 {
			ck.add(p+"step_timeout", "%s must not be negative (0 inherits remote.step_timeout)", t.StepTimeout)
		} else if t.StepTimeout > 0 && r.RunTimeout > 0 && t.StepTimeout > r.RunTimeout {
			ck.add(p+"step_timeout", "%s is longer than remote.run_timeout %s", t.StepTimeout, r.RunTimeout)
		}
		ck.declared(p+"declared.", t.Declared, time.Now())
	}
}

// declared checks a target's declarations; now bounds restore_test (a
// date later than today anywhere on Earth, UTC+14, is in the future).
func (ck *checker) declared(p string, d Declared, now time.Time) {
	if d.Copies < 0 {
		ck.add(p+"copies", "%d must not be negative (0 = not declared)", d.Copies)
	}
	if d.Media < 0 {
		ck.add(p+"media", "%d must not be negative (0 = not declared)", d.Media)
	}
	if d.AVProduct != strings.TrimSpace(d.AVProduct) {
		ck.add(p+"av_product", "%q has leading or trailing spaces", d.AVProduct)
	}
	if d.RestoreTest == "" {
		return
	}
	day, ok := d.RestoreTestDate()
	switch {
	case !ok:
		ck.add(p+"restore_test", "%q is not a date YYYY-MM-DD (e.g. 2025-03-31)", d.RestoreTest)
	case day.After(now.UTC().Add(14 * time.Hour)):
		ck.add(p+"restore_test", "%s is in the future", d.RestoreTest)
	}
}

func (ck *checker) address(key, a string) {
	switch {
	case a == "":
		ck.add(key, "is required (a host name or IP address)")
	case strings.Contains(a, "://"):
		ck.add(key, "%q is a URL; give only the host name or IP and set scheme and port separately", a)
	case net.ParseIP(a) != nil:
	case strings.Contains(a, ":"):
		ck.add(key, "%q is not a host name or IP address; put the port in port", a)
	default:
		ok := len(a) <= 253
		for _, l := range strings.Split(strings.TrimSuffix(a, "."), ".") {
			ok = ok && isHostLabel(l)
		}
		if !ok {
			ck.add(key, "%q is not a host name or IP address", a)
		}
	}
}

func (ck *checker) credentials(p string, t Target) {
	if t.PasswordEnv != "" && !envNameRE.MatchString(t.PasswordEnv) {
		ck.add(p+"password_env", "%q is not an environment variable name (it names the variable holding the password, not the password)", t.PasswordEnv)
	}
	if t.Auth == AuthCertificate {
		if t.PasswordEnv != "" {
			ck.add(p+"password_env", "is set but auth is certificate, which uses client_cert_file and client_key_file instead")
		}
		if t.PasswordFile != "" {
			ck.add(p+"password_file", "is set but auth is certificate, which uses client_cert_file and client_key_file instead")
		}
		if t.ClientCertFile == "" {
			ck.add(p+"client_cert_file", "is required for auth certificate")
		}
		if t.ClientKeyFile == "" {
			ck.add(p+"client_key_file", "is required for auth certificate")
		}
		return
	}
	auth := t.Auth
	if auth == "" {
		auth = AuthNTLM
	}
	if t.User == "" {
		ck.add(p+"user", "is required for auth %s", auth)
	}
	switch {
	case t.PasswordEnv == "" && t.PasswordFile == "":
		ck.add(p+"password_env", "one of password_env or password_file is required for auth %s", auth)
	case t.PasswordEnv != "" && t.PasswordFile != "":
		ck.add(p+"password_env", "password_env and password_file are both set; use exactly one")
	}
	if t.ClientCertFile != "" {
		ck.add(p+"client_cert_file", "is set but auth is %s (only auth certificate uses it)", auth)
	}
	if t.ClientKeyFile != "" {
		ck.add(p+"client_key_file", "is set but auth is %s (only auth certificate uses it)", auth)
	}
}

func (ck *checker) tls(p string, t Target) {
	if t.HTTPS() {
		if t.InsecureSkipVerify && t.CAFile != "" {
			ck.add(p+"ca_file", "is set but insecure_skip_verify is true, so it would not be used; remove one")
		}
		return
	}
	for _, f := range []struct {
		key string
		set bool
	}{
		{"ca_file", t.CAFile != ""},
		{"insecure_skip_verify", t.InsecureSkipVerify},
		{"tls_server_name", t.TLSServerName != ""},
		{"client_cert_file", t.ClientCertFile != "" && t.Auth != AuthCertificate},
		{"client_key_file", t.ClientKeyFile != "" && t.Auth != AuthCertificate},
	} {
		if f.set {
			ck.add(p+f.key, "%s is set but scheme is http", f.key)
		}
	}
	if t.Auth == AuthCertificate {
		ck.add(p+"auth", "certificate needs scheme https")
	}
}

// checkCron checks a 5-field cron expression with the parser the
// scheduler uses (internal/schedule), so that what validates also runs.
func checkCron(expr string) error {
	_, err := schedule.Cron(expr, "UTC")
	return err
}

// isHostLabel reports whether l is one label of a DNS or NetBIOS host
// name, ^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$: checked by a
// loop, since that bounded repetition compiled as a regexp cost every
// wsbbot process's start-up about 1,000 allocations.
func isHostLabel(l string) bool {
	if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for i := 0; i < len(l); i++ {
		if c := l[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
