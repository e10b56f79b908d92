package remote

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/wsbbot/wsbbot/internal/secret"
	"github.com/wsbbot/wsbbot/runbooks"
)

// Auth selects how a Target authenticates.
type Auth string

// The authentication methods. The zero value means AuthNTLM.
const (
	// AuthNTLM is NTLM (Negotiate) through Azure/go-ntlmssp, as masterzen's
	// ClientNTLM does. Messages are not sealed: over plain HTTP the server
	// must allow unencrypted traffic. When the server only offers Basic, the
	// negotiator falls back to Basic on its own.
	AuthNTLM Auth = "ntlm"
	// AuthBasic is HTTP Basic. Windows turns it off by default.
	AuthBasic Auth = "basic"
	// AuthKerberos is SPNEGO/Kerberos through masterzen's ClientKerberos
	// (gokrb5). That transporter takes no context: a step deadline abandons
	// the request instead of aborting it.
	AuthKerberos Auth = "kerberos"
	// AuthCertificate is TLS client-certificate authentication (HTTPS only).
	AuthCertificate Auth = "certificate"
)

// ParseAuth converts a configuration word ("ntlm", "basic", "kerberos",
// "certificate", case-insensitive; "" is ntlm) into an Auth.
func ParseAuth(s string) (Auth, error) {
	switch a := Auth(strings.ToLower(strings.TrimSpace(s))); a {
	case "", AuthNTLM:
		return AuthNTLM, nil
	case AuthBasic, AuthKerberos, AuthCertificate:
		return a, nil
	default:
		return "", fmt.Errorf("parse auth %q: want ntlm, basic, kerberos or certificate", s)
	}
}

// Password is a target's password: secret.Secret, wsbbot's one credential
// type, under the name remote's callers know it by. Every way of printing,
// logging or marshalling it yields "[redacted]"; Reveal returns the value.
type Password = secret.Secret

// Target is one Windows server and how to reach it. The CLI builds it from
// the configuration; remote never reads configuration itself.
type Target struct {
	// Name identifies the target in logs, errors and results, and is the
	// key for "one run per target at a time". Defaults to Address.
	Name string
	// Address is a host name or IP address.
	Address string
	// Port defaults to 5985, or 5986 with HTTPS.
	Port  int
	HTTPS bool
	Auth  Auth
	User  string
	// Password is never logged or put into an error.
	Password Password
	// CACertPEM, when set, replaces the system roots for verifying the
	// server's certificate.
	CACertPEM []byte
	// InsecureSkipVerify turns certificate verification off. Every Open
	// with it set logs a warning.
	InsecureSkipVerify bool
	// TLSServerName overrides the name checked against the certificate
	// (defaults to Address).
	TLSServerName string
	// ClientCertPEM and ClientKeyPEM are the client certificate and its
	// private key (PEM) for AuthCertificate. The key never prints.
	ClientCertPEM []byte
	ClientKeyPEM  secret.Secret
	// OperationTimeout, HeaderTimeout and StepTimeout override Options for
	// this target (0 = from Options). HeaderTimeout must stay above
	// OperationTimeout. A Command's own Timeout beats StepTimeout.
	OperationTimeout, HeaderTimeout, StepTimeout time.Duration
	// KerberosRealm and KerberosConfigPath (default /etc/krb5.conf) are
	// used with AuthKerberos; the SPN is HTTP/<Address>.
	KerberosRealm, KerberosConfigPath string
}

// String describes the target without secrets.
func (t Target) String() string {
	return fmt.Sprintf("%s (%s, %s, user %s)", t.Name, t.url(), t.authOrDefault(), t.User)
}

// GoString describes the target without secrets.
func (t Target) GoString() string { return "remote.Target{" + t.String() + "}" }

// LogValue describes the target without secrets.
func (t Target) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("name", t.Name),
		slog.String("url", t.url()),
		slog.String("auth", string(t.authOrDefault())),
		slog.String("user", t.User),
	)
}

func (t Target) authOrDefault() Auth {
	if t.Auth == "" {
		return AuthNTLM
	}
	return t.Auth
}

func (t Target) port() int {
	switch {
	case t.Port != 0:
		return t.Port
	case t.HTTPS:
		return 5986
	default:
		return 5985
	}
}

func (t Target) scheme() string {
	if t.HTTPS {
		return "https"
	}
	return "http"
}

func (t Target) url() string {
	return t.scheme() + "://" + net.JoinHostPort(t.Address, strconv.Itoa(t.port())) + "/wsman"
}

// Command is one step run in a Session.
type Command struct {
	// Shell is runbooks.ShellPowerShell (also when empty: the script runs
	// with powershell.exe, as described at EncodePowerShell) or
	// runbooks.ShellCmd (Script is the plain command line of the cmd
	// shell).
	Shell  runbooks.Shell
	Script string
	// Params reach a PowerShell script as $P.Name, as data (never spliced
	// into code). Not allowed with runbooks.ShellCmd.
	Params map[string]any
	// Timeout bounds the step; 0 means Target.StepTimeout, then
	// Options.StepTimeout.
	Timeout time.Duration
	// Name labels the step in logs.
	Name string
	// Quiet logs success ("remote: step finished") at debug level instead
	// of info; a failure is a warning either way.
	Quiet bool
}

// Result is what a step produced.
type Result struct {
	// Stdout and Stderr are decoded text (UTF-8, or CP932 as a fallback),
	// with "\n" line endings. A stderr in PowerShell's CLIXML form is
	// turned into plain text. A capped stream ends with a marker line.
	Stdout, Stderr string
	ExitCode       int
	// StdoutBytes and StderrBytes count every byte the command produced,
	// including what the cap dropped.
	StdoutBytes, StderrBytes int64
	// Truncated reports that at least one stream hit Options.OutputCap.
	Truncated bool
	// Encoding is the encoding detected for stdout ("utf-8", "cp932", ...),
	// followed by ",stderr=<enc>" when stderr's differs.
	Encoding string
	Duration time.Duration
	// RoundTrips counts the HTTP exchanges of this step (NTLM handshake
	// legs included).
	RoundTrips int
}

// Options configure a Client. Zero fields take the documented defaults.
type Options struct {
	// Concurrency bounds the sessions open at once across all targets
	// (default 100).
	Concurrency int
	// OperationTimeout is the WS-Man OperationTimeout: how long the server
	// long-polls a Receive before answering with a TimedOut fault (default
	// 20s).
	OperationTimeout time.Duration
	// HeaderTimeout bounds the wait for response headers (default 30s). It
	// must exceed OperationTimeout, or every quiet Receive would fail on
	// the client before the server's fault arrives.
	HeaderTimeout time.Duration
	// StepTimeout is the default deadline of one step (default 5m).
	StepTimeout time.Duration
	// RunTimeout bounds a Session from Open to Close (default 30m).
	RunTimeout time.Duration
	// OutputCap is the number of bytes kept per stream per step (default
	// 1 MiB). The rest is counted and dropped.
	OutputCap int64
	// Logger receives structured logs (default: discarded).
	Logger *slog.Logger
	// DialContext, when set, replaces the TCP dialer.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Defaults applied by New.
const (
	DefaultConcurrency      = 100
	DefaultOperationTimeout = 20 * time.Second
	DefaultHeaderTimeout    = 30 * time.Second
	DefaultStepTimeout      = 5 * time.Minute
	DefaultRunTimeout       = 30 * time.Minute
	DefaultOutputCap        = 1 << 20
)

func (o Options) withDefaults() (Options, error) {
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.OperationTimeout <= 0 {
		o.OperationTimeout = DefaultOperationTimeout
	}
	if o.HeaderTimeout <= 0 {
		o.HeaderTimeout = DefaultHeaderTimeout
	}
	if o.StepTimeout <= 0 {
		o.StepTimeout = DefaultStepTimeout
	}
	if o.RunTimeout <= 0 {
		o.RunTimeout = DefaultRunTimeout
	}
	if o.OutputCap <= 0 {
		o.OutputCap = DefaultOutputCap
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.HeaderTimeout <= o.OperationTimeout {
		return o, fmt.Errorf("remote options: HeaderTimeout (%s) must be greater than OperationTimeout (%s)", o.HeaderTimeout, o.OperationTimeout)
	}
	return o, nil
}
