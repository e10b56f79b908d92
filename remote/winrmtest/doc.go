// Package winrmtest owns the fake WinRM server that wsbbot's tests, its
// simulated lab of Windows servers and its 1,000-host benchmarks run
// against. It speaks WS-Management with the WinRS cmd shell the way a
// Windows listener does, closely enough that the real
// github.com/masterzen/winrm client cannot tell the difference for the
// operations the bot uses.
//
// # What it emulates
//
//   - POST /wsman over HTTP or HTTPS. For HTTPS it generates a CA and a
//     server certificate in-process (CACertPEM), or serves one given
//     certificate, for example one that many servers share, issued by a
//     CA from NewCA (Options.TLSCertificate). Only HTTP/1.1 is offered, as
//     with HTTP.sys.
//   - Basic authentication. A failure is answered like Windows answers it
//     (testdata/winrm-fixtures/http_401_unauthorized.txt): status 401, an
//     empty body with no Content-Type, WWW-Authenticate Negotiate, Kerberos,
//     Basic realm="WSMAN" and CredSSP, and Connection: close.
//   - Create, Command, Receive, Send, Signal and Delete on the resource
//     http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd. Responses
//     are rendered from templates cut from the recorded Windows responses
//     (fixtures 01-07, 10, 11). They keep Windows' namespace prefixes, the
//     ShellId selector, the rsp:Shell block and the CommandId. Every
//     response, faults included, has a:RelatesTo equal to the request's
//     MessageID and Content-Type application/soap+xml;charset=UTF-8.
//   - Requests are parsed namespace-aware with encoding/xml, so any prefix
//     works (s/env, a/wsa, w/wsman). CDATA command text and repeated
//     rsp:Arguments are handled. The command line a Handler sees is the
//     command and its arguments joined by spaces.
//   - Receive is a real long-poll. It returns as soon as output is queued
//     or the command is done. A command that prints and exits at once is
//     reported in one response: a Receive with output waits up to 10ms for
//     more. Output is split into several rsp:Stream chunks: one or more per
//     handler write, at most 8 KiB each. Each response stays within the
//     request's MaxEnvelopeSize, counting base64 growth. The last response
//     carries End="true" streams and CommandState Done with the ExitCode;
//     earlier ones say Running. When nothing arrives within the request's
//     OperationTimeout, Receive answers HTTP 500 with the w:TimedOut fault,
//     Code 2150858793. Options.MaxOperationTimeout and
//     OperationTimeoutScale shorten that wait for tests.
//   - Faults are HTTP 500 SOAP faults with s:Code/s:Value, s:Subcode,
//     s:Reason/s:Text and s:Detail/f:WSManFault Code and Machine. The server
//     raises them itself as listed below.
//   - WINRS_CODEPAGE. Handlers write UTF-8 text. It goes on the wire as
//     is for 65001, and converted for 932 (CP932 / Windows-31J), 437 and a
//     few other code pages. A character the code page cannot represent
//     becomes '?', as on Windows. The default code page is 437. WriteRaw
//     puts exact bytes on the wire, for example CP932 bytes in a 65001
//     shell, to test a client's fallback decoding.
//   - Signal terminate removes the command and cancels its handler.
//     ctrl_c and ctrl_break only cancel the handler; the command's Done
//     state can still be received. Delete, the shell idle timeout
//     (IdleTimeout, reported as rsp:IdleTimeOut) and Close cancel every
//     command of the shell.
//   - Fault injection per server, at runtime (Inject, ClearFaults):
//     latency, 401, generic 500, quota, ERROR_BUSY, OperationTimeout,
//     dropped connection (before the response or mid-body), garbage or
//     truncated bodies, slow headers, and a body trickled a byte at a time. Each can be limited to one action
//     and to N requests.
//   - A request log (Requests, ResetLog, Count) so that tests can count
//     round trips and see HTTP status and fault codes, and see what each
//     request carried: the command text of a Command (decoded, as the
//     client sent it) and the stdin of a Send (decoded from base64), so
//     that a test can assert which data reached a command line.
//
// The faults the server raises by itself:
//   - w:TimedOut, Code 2150858793, when a Receive sees nothing within its
//     OperationTimeout.
//   - w:InvalidSelectors, Code 2150858843, for an unknown ShellId or
//     CommandId, or a command whose Done state was already received.
//   - "The filename or extension is too long.", Code 2147942606, for a
//     command line over 8191 UTF-16 characters (32767 with
//     WINRS_SKIP_CMD_SHELL=TRUE).
//   - w:QuotaLimit, Codes 2150859173 and 2150859174, for the
//     MaxShellsPerUser and MaxConcurrentOperationsPerUser quotas.
//   - ERROR_BUSY (170) when a command's unread stdin exceeds 1 MiB.
//
// # What masterzen makes of it
//
// masterzen/winrm at 3fad6e1 sends, per RunWithContext: Create, Command,
// n Receives, Signal terminate and Delete. A command that finishes at once
// needs one Receive, so 5 requests in all. A command on a reused shell
// (ExecuteWithContext, then Command.Close) takes Command, Receive and
// Signal: 3 requests. Stdin adds one Send per EnvelopeSize-1000 bytes, plus
// the End Send.
//
// masterzen's Post does not turn an HTTP 500 into an error: the deferred
// rewrite assigns to locals, not to the results. So a SOAP fault comes back
// as a successful body:
//   - A fault answering Create leaves the shell with ShellId "".
//   - A fault answering Command fails with "unsupported action", and the
//     fault is in *winrm.ExecuteCommandError.Body.
//   - A fault answering Receive reads as "still running" and is polled
//     again at once. That is why the OperationTimeout retry works. It is
//     also why an InvalidSelectors fault (the shell has gone) makes the
//     client spin until its context ends.
//   - Faults answering Send, Signal and Delete are ignored.
//
// Only transport errors, the 401 ("invalid content type") and unparseable
// bodies become errors. The tests of this package pin that behaviour.
//
// # Known differences from Windows
//
//   - No Negotiate/NTLM, Kerberos or CredSSP handshake, and no message
//     encryption. Only Basic is accepted, even though the 401 advertises
//     all four schemes like Windows does. Client-certificate auth is not
//     checked.
//   - Only the cmd shell resource URI is served. There is no PowerShell
//     remoting (PSRP), WMI/CIM, Enumerate, Get or Identify. A command is
//     not run by cmd.exe: the Handler receives the line and emulates
//     whatever it likes. EchoHandler understands echo and exit only.
//   - Fault texts are English (en-US) whatever the request's Locale. The
//     texts and codes for the recorded faults (TimedOut, InvalidSelectors,
//     command too long) are verbatim. The others (quota, busy, internal
//     error, schema, action, resource URI, envelope size, timeout header)
//     use the documented Windows error numbers with approximated wording.
//   - Chunking follows handler writes rather than a process pipe, and
//     stdin bytes reach the handler unconverted. The 10ms settle time, the
//     1 MiB output and stdin buffers and the 8 KiB chunk size are this
//     package's choices, not measured Windows values.
//   - A MaxEnvelopeSize below 8192 is refused (w:EncodingLimit); one above
//     512000 is treated as 512000. Request bodies over 500 KiB are refused.
//   - rsp:ShellRunTime and rsp:ShellInactivity are always P0DT0H0M0S.
//     Environment variables, working directory and WINRS_NOPROFILE are
//     accepted and ignored.
//   - The 401 status line carries Go's reason phrase ("401 Unauthorized");
//     the recorded Windows one has none. The headers match.
//   - A shell belongs to the user that created it. Another user
//     addressing it gets the InvalidSelectors fault, not access denied.
package winrmtest
