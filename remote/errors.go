package remote

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Kind classifies a failure. The values are stable: they appear as
// error_kind in JSON output.
type Kind string

// The failure kinds.
const (
	KindConnectionRefused Kind = "connection-refused" // nothing listening, or a firewall rejecting
	KindDNS               Kind = "dns"                // the name does not resolve
	KindTLSUnknownCA      Kind = "tls-unknown-ca"     // certificate signed by an untrusted authority
	KindTLSNameMismatch   Kind = "tls-name-mismatch"  // certificate does not name the host
	KindTLS               Kind = "tls"                // any other TLS failure
	KindUnauthorized      Kind = "unauthorized"       // HTTP 401, or access denied
	KindAuthScheme        Kind = "auth-scheme"        // the server does not offer the configured authentication scheme
	KindUnencrypted       Kind = "unencrypted"        // the server refuses unencrypted traffic
	KindQuota             Kind = "quota"              // MaxShellsPerUser / MaxConcurrentOperationsPerUser
	KindCommandTooLong    Kind = "command-too-long"   // cmd.exe's 8191-character limit
	KindTimeout           Kind = "timeout"            // a step, run or caller deadline passed
	KindCanceled          Kind = "canceled"           // the caller canceled
	KindHeaderTimeout     Kind = "header-timeout"     // connected, but no response headers in time
	KindConnectionDropped Kind = "connection-dropped" // reset or closed in the middle of a response
	KindBadResponse       Kind = "bad-response"       // not SOAP, unparseable, unexpected
	KindFault             Kind = "fault"              // any other WS-Management fault
	KindBusy              Kind = "busy"               // ERROR_BUSY (170)
	KindNetwork           Kind = "network"            // other network failures (unreachable, ...)
	KindInvalid           Kind = "invalid"            // the request itself is invalid (bad target, params, PEM)
)

// WS-Management fault codes (f:WSManFault Code) remote recognises.
const (
	FaultOperationTimeout uint32 = 2150858793 // 0x80338029, Receive long-poll expired: retried
	FaultInvalidSelectors uint32 = 2150858843 // 0x8033805B, unknown shell or command
	FaultShellQuota       uint32 = 2150859173 // 0x803381A5, MaxShellsPerUser
	FaultCommandTooLong   uint32 = 2147942606 // 0x800700CE, ERROR_FILENAME_EXCED_RANGE
	FaultBusy             uint32 = 170        // ERROR_BUSY
	faultBusyHRESULT      uint32 = 0x800700AA
	faultAccessDenied     uint32 = 5
	faultAccessDeniedHR   uint32 = 0x80070005
)

// Error is every failure remote returns.
type Error struct {
	Kind Kind
	// Target is the target's Name.
	Target string
	// Op is what was being done: open, create-shell, command, send,
	// receive, signal, delete-shell, encode, ...
	Op string
	// Err is the underlying cause: a *Fault for WS-Management faults, a
	// network or TLS error, a context error.
	Err error
	// HTTPStatus is the HTTP status of the response, when there was one.
	HTTPStatus int

	hint hint
}

// hint carries what Explain needs to tailor its advice.
type hint struct {
	auth    Auth
	https   bool
	address string
	port    int
	timeout time.Duration
}

// Error describes the failure in plain words. It never contains a password.
func (e *Error) Error() string {
	var b strings.Builder
	if e.Target != "" {
		b.WriteString(e.Target)
		b.WriteString(": ")
	}
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	b.WriteString(e.summary())
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return sanitize(b.String(), e.isOperationTimeout())
}

// Unwrap returns the cause. The cause never is a *url.Error, so masterzen
// never mistakes a remote error for its retryable client timeout.
func (e *Error) Unwrap() error { return e.Err }

// isOperationTimeout reports the one error whose text may (and must)
// contain "OperationTimeout": masterzen retries the Receive on it.
func (e *Error) isOperationTimeout() bool {
	var f *Fault
	return errors.As(e.Err, &f) && f.Code == FaultOperationTimeout
}

// sanitize keeps the substrings masterzen matches on out of error text:
// "OperationTimeout" makes it retry a Receive forever, "EOF" turns the exit
// code into 16001. Only the real OperationTimeout fault keeps its name.
func sanitize(s string, opTimeout bool) string {
	if !opTimeout {
		s = strings.ReplaceAll(s, "OperationTimeout", "operation timeout")
	}
	return strings.ReplaceAll(s, "EOF", "end of stream")
}

func (e *Error) summary() string {
	h := e.hint
	switch e.Kind {
	case KindConnectionRefused:
		return "connection refused: nothing accepts connections on the WinRM port"
	case KindDNS:
		return "the host name does not resolve"
	case KindTLSUnknownCA:
		return "the server's TLS certificate is signed by an authority this bot does not trust"
	case KindTLSNameMismatch:
		return "the server's TLS certificate is not valid for this host name"
	case KindTLS:
		return "the TLS connection failed"
	case KindUnauthorized:
		switch {
		case e.HTTPStatus == 401:
			return "the server rejected the credentials (HTTP 401)"
		case e.HTTPStatus == 0 && h.auth == AuthKerberos:
			return "Kerberos authentication failed"
		default:
			return "access denied"
		}
	case KindAuthScheme:
		return fmt.Sprintf("the server does not offer %s authentication; the credentials were not sent", h.auth)
	case KindUnencrypted:
		return "the server refuses unencrypted traffic"
	case KindQuota:
		return "the server's WinRM shell or operation quota for this user is exhausted"
	case KindCommandTooLong:
		return "the command line exceeds cmd.exe's 8191-character limit"
	case KindTimeout:
		if e.isOperationTimeout() {
			return "the WS-Man OperationTimeout expired"
		}
		return "deadline exceeded"
	case KindCanceled:
		return "canceled"
	case KindHeaderTimeout:
		if h.timeout > 0 {
			return fmt.Sprintf("the server accepted the connection but sent no response within %s", h.timeout)
		}
		return "the server accepted the connection but sent no response"
	case KindConnectionDropped:
		return "the connection was closed before the response was complete"
	case KindBadResponse:
		return "the server's answer is not a usable WS-Management response"
	case KindFault:
		return "the server returned a WS-Management fault"
	case KindBusy:
		return "the server is busy (ERROR_BUSY)"
	case KindNetwork:
		return "network error"
	case KindInvalid:
		return "invalid request"
	default:
		return string(e.Kind)
	}
}

// Explain gives the usual fix for the failure, in plain words.
func (e *Error) Explain() string {
	h := e.hint
	hostPort := net.JoinHostPort(h.address, fmt.Sprint(h.port))
	switch e.Kind {
	case KindConnectionRefused:
		return fmt.Sprintf("Nothing accepted a connection on %s. Check that the WinRM service runs (`winrm quickconfig`, "+
			"`Get-Service WinRM`), that a listener exists for this port (`winrm enumerate winrm/config/listener`: 5985 HTTP, "+
			"5986 HTTPS), and that the Windows firewall allows the port.", hostPort)
	case KindDNS:
		return fmt.Sprintf("The name %q does not resolve. Check the spelling, the DNS suffix, or use the IP address "+
			"(Kerberos needs the name, though).", h.address)
	case KindTLSUnknownCA:
		return "The server's certificate chain does not end at a trusted authority. Give the target the issuing CA " +
			"(ca_file), or for a self-signed listener certificate, that certificate itself."
	case KindTLSNameMismatch:
		return "The certificate's names do not include the address used. Connect with a name the certificate lists, " +
			"or set tls_server_name to it; reissue the listener certificate if neither fits."
	case KindTLS:
		return "The TLS handshake failed. Check that the port really is an HTTPS listener (5986) and not HTTP (5985), " +
			"that the certificate is valid and unexpired, and for client-certificate auth that the certificate is mapped " +
			"(`winrm create winrm/config/service/certmapping`)."
	case KindUnauthorized:
		if e.HTTPStatus != 401 && e.HTTPStatus != 0 {
			return "The credentials were accepted but the account may not use WinRM: add it to Administrators or " +
				"Remote Management Users on the server."
		}
		var b strings.Builder
		b.WriteString("The server refused the credentials. Check the user name (DOMAIN\\user or user@domain) and the password.")
		switch h.auth {
		case AuthBasic:
			b.WriteString(" Basic authentication is disabled on Windows by default: " +
				"`winrm set winrm/config/service/auth @{Basic=\"true\"}` (local accounts only).")
		case AuthNTLM, "":
			b.WriteString(" For NTLM with a domain account, write DOMAIN\\user; a workgroup server may need " +
				"LocalAccountTokenFilterPolicy=1 for local administrators.")
		case AuthKerberos:
			b.WriteString(" For Kerberos, use the host name (not the IP address), make sure the SPN HTTP/<host> exists " +
				"(`setspn -L <host>`), that the realm and krb5.conf are right, that the bot reaches the KDC and " +
				"its clock is within 5 minutes of the domain's; for IP addresses use NTLM and TrustedHosts instead.")
		case AuthCertificate:
			b.WriteString(" For certificate auth, map the client certificate to a local account " +
				"(`winrm create winrm/config/service/certmapping`) and enable `@{Certificate=\"true\"}`.")
		}
		if !h.https && h.auth != AuthKerberos {
			b.WriteString(" Over plain HTTP the server also answers 401 when it refuses unencrypted traffic: use HTTPS " +
				"(5986) or `winrm set winrm/config/service @{AllowUnencrypted=\"true\"}`.")
		}
		return b.String()
	case KindAuthScheme:
		return "wsbbot sends credentials only with the scheme configured for the target, never with a weaker one the " +
			"server offers instead. Enable Negotiate on the WinRM service (`winrm get winrm/config/service/auth`, then " +
			"`winrm set winrm/config/service/auth @{Negotiate=\"true\"}`), or check that the address really is the WinRM " +
			"listener and not a proxy or another web server asking for Basic. Use auth basic only for a local account, and only over HTTPS."
	case KindUnencrypted:
		return "Basic and NTLM without message encryption over plain HTTP need " +
			"`winrm set winrm/config/service @{AllowUnencrypted=\"true\"}` on the server. Better: use an HTTPS listener (5986)."
	case KindQuota:
		return "The user has too many shells or operations open on the server. Close leftover shells " +
			"(`Get-WSManInstance -ResourceURI shell -Enumerate` then `Remove-WSManInstance`, or restart WinRM), " +
			"or raise the quota: `winrm set winrm/config/winrs @{MaxShellsPerUser=\"30\"}` and " +
			"`winrm set winrm/config/service @{MaxConcurrentOperationsPerUser=\"1500\"}`."
	case KindCommandTooLong:
		return "cmd.exe accepts at most 8191 characters per command line. Send long PowerShell through the PowerShell " +
			"shell (remote passes the script on stdin), or shorten the cmd command."
	case KindTimeout:
		return "The command did not finish before its deadline. Raise the step timeout for slow operations " +
			"(backups, VSS), or check whether the server hangs (CPU, disk, a stuck VSS writer)."
	case KindCanceled:
		return "The run was canceled before it finished; nothing needs fixing."
	case KindHeaderTimeout:
		return "The TCP connection succeeded but the server never answered. The WinRM service may be hung: restart it " +
			"(`Restart-Service WinRM`), check the server's load, or check for a proxy or load balancer swallowing the request."
	case KindConnectionDropped:
		return "The server or something in between closed the connection mid-response. Retry; if it repeats, check " +
			"for a restarting WinRM service, a reboot in progress, or a firewall/IDS resetting long-lived connections."
	case KindBadResponse:
		return "The answer was not WS-Management SOAP: something else (a web server, proxy or load balancer) may be " +
			"listening on this port, or the response was cut short. Check the listener with `winrm enumerate winrm/config/listener`."
	case KindFault:
		return "WinRM reported an error; the fault code and text above say which. Look the code up with `winrm helpmsg <code>` on any Windows machine."
	case KindBusy:
		return "The server reported ERROR_BUSY under load. Retry after a short pause or reduce fan-out concurrency."
	case KindNetwork:
		return fmt.Sprintf("The network path to %s failed. Check routing, VPN and firewalls between the bot and the server.", hostPort)
	case KindInvalid:
		return "The request could not be built; the message says which field is wrong."
	default:
		return ""
	}
}

// deadlineError is the context cause of a step or run deadline.
type deadlineError struct {
	what string // "step" or "run"
	d    time.Duration
}

func (e *deadlineError) Error() string {
	return fmt.Sprintf("the %s deadline of %s passed", e.what, e.d)
}

// ctxError turns a done context into an *Error, honouring its cause.
func ctxError(ctx context.Context, target, op string, h hint) *Error {
	cause := context.Cause(ctx)
	var re *Error
	var de *deadlineError
	switch {
	case errors.As(cause, &re):
		return re
	case errors.As(cause, &de):
		return &Error{Kind: KindTimeout, Target: target, Op: op, Err: de, hint: h}
	case errors.Is(cause, context.DeadlineExceeded):
		return &Error{Kind: KindTimeout, Target: target, Op: op, Err: errors.New("the caller's deadline passed"), hint: h}
	default:
		return &Error{Kind: KindCanceled, Target: target, Op: op, Err: errors.New("the caller canceled"), hint: h}
	}
}

// classifyTransport classifies an error from http.Client.Do or from reading
// a response body. The returned cause never contains a *url.Error.
func classifyTransport(err error) (Kind, error) {
	err = stripURLError(err)
	var dnsErr *net.DNSError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalidCert x509.CertificateInvalidError
	var certVerify *tls.CertificateVerificationError
	var alert tls.AlertError
	var recordErr tls.RecordHeaderError
	var netErr net.Error
	msg := err.Error()
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return KindConnectionRefused, err
	case errors.As(err, &dnsErr):
		return KindDNS, err
	case errors.As(err, &unknownCA):
		return KindTLSUnknownCA, err
	case errors.As(err, &hostErr):
		return KindTLSNameMismatch, err
	case errors.As(err, &invalidCert), errors.As(err, &certVerify), errors.As(err, &alert),
		errors.As(err, &recordErr), strings.HasPrefix(msg, "tls: "), strings.Contains(msg, "remote error: tls"),
		strings.Contains(msg, "HTTP response to HTTPS client"):
		return KindTLS, err
	case strings.Contains(msg, "timeout awaiting response headers"):
		return KindHeaderTimeout, errors.New("no response headers before the header timeout")
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ECONNABORTED),
		strings.Contains(msg, "server closed"), strings.Contains(msg, "connection reset"):
		return KindConnectionDropped, err
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return KindNetwork, err
	case errors.As(err, &netErr) && netErr.Timeout():
		// Not a *url.Error any more, so masterzen will not retry on it.
		return KindNetwork, fmt.Errorf("network timeout: %s", msg)
	default:
		return KindNetwork, err
	}
}

// stripURLError removes *url.Error wrappers: masterzen retries a Receive
// forever on a *url.Error whose Timeout() is true.
func stripURLError(err error) error {
	for {
		var ue *url.Error
		if !errors.As(err, &ue) {
			return err
		}
		if u, ok := err.(*url.Error); ok {
			err = u.Err
			continue
		}
		// Buried deeper: flatten to text.
		return errors.New(err.Error())
	}
}

// classifyFault maps a WS-Management fault to a Kind.
func classifyFault(f *Fault) Kind {
	text := strings.ToLower(f.Reason + " " + f.Message)
	switch {
	case f.Code == FaultOperationTimeout:
		return KindTimeout
	case f.Code == FaultCommandTooLong:
		return KindCommandTooLong
	case f.Code == FaultBusy || f.Code == faultBusyHRESULT:
		return KindBusy
	case isQuotaCode(f.Code), strings.Contains(text, "maxshellsperuser"),
		strings.Contains(text, "maxconcurrentoperationsperuser"), strings.Contains(text, "quota"):
		return KindQuota
	case strings.Contains(text, "unencrypted"):
		return KindUnencrypted
	case f.Code == faultAccessDenied || f.Code == faultAccessDeniedHR:
		return KindUnauthorized
	default:
		return KindFault
	}
}

// isQuotaCode recognises the ERROR_WSMAN_QUOTA_* codes around
// MaxShellsPerUser (0x803381A5) and MaxConcurrentOperationsPerUser.
func isQuotaCode(c uint32) bool {
	switch c {
	case FaultShellQuota, // ERROR_WSMAN_QUOTA_MAX_SHELLS
		0x803381A6, // ERROR_WSMAN_QUOTA_MAX_OPERATIONS
		0x803381A7, // ERROR_WSMAN_QUOTA_USER
		0x803381A8, // ERROR_WSMAN_QUOTA_SYSTEM
		0x803381AB: // ERROR_WSMAN_QUOTA_MAX_SHELLUSERS
		return true
	}
	return false
}
