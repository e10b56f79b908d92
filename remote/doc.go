// Package remote owns command execution on Windows servers over WinRM
// (WS-Management, WinRS cmd shell): sessions with one shell per run, the
// HTTP transport underneath github.com/masterzen/winrm, hard deadlines,
// a global bound on open sessions, output caps, code-page and CLIXML decoding, and the
// classification of every failure into a stable Kind with a plain-words
// explanation. It reads no configuration: callers build Targets.
//
// # Sessions: one shell per run
//
// Client.Open waits (honouring its context) until no other run of the same
// target name is open and one of Options.Concurrency global slots is free,
// then creates one shell (WS-Man Create). Every Session.Run reuses it;
// Session.Close deletes it and releases both slots. Client.Exec is Open +
// Run + Close. Running on many servers at once is internal/fanout's (the
// checklist auditor uses it over the Executor): a dead host holds one slot
// until its deadline and never delays the others' results.
//
// Client.Warm opens a target's TCP connection in the background, sending
// nothing on it, for a session about to be opened: the first request of
// the target's next session takes it as it would a kept-alive one (same
// checks, same retry), so that the handshake's round trip overlaps the
// caller's own work (the CLI's audit warms its first batch of servers
// while it opens its record). An unclaimed connection is closed after 5 s.
//
// HTTP exchanges measured against remote/winrmtest (see the tests):
//
//	Open (Create)                                               1
//	PowerShell step with parameters or a long script:
//	  Command, Send (+1 per ~110 KB), Receive                   3
//	PowerShell step without parameters: Command, Receive        2
//	cmd step: Command, Receive                                  2
//	the previous command's Signal, first in each later step    +1
//	one more Receive per OperationTimeout the command stays silent
//	Close (Delete)                                              1
//
// The terminate Signal every client sends once a command is done is
// deferred: it goes out at the start of the session's next step, just
// before that step's Command (bounded by that step's deadline, counted in
// its RoundTrips), and is never sent when the next request is the shell's
// Delete, which ends the finished command anyway. A step that failed owes
// no Signal: an abandoned one (deadline, cancellation) has its command
// terminated at once, in the background (see Deadlines). So one command on
// a fresh host costs 4 requests (Create, Command, Receive, Delete), 5 for a
// PowerShell step with parameters (the Send), and each further step 3
// (Signal, Command, Receive), or 4 with the Send; masterzen's
// RunWithContext costs 5 per command, 2 more Sends with stdin, and a new
// shell each time. The audit's one read-only script, without parameters,
// is the 4-request case. With NTLM, a message on a new
// connection takes 3 exchanges (anonymous, NEGOTIATE, AUTHENTICATE) and 1
// on an authenticated keep-alive connection; a session's messages go one
// at a time, so it normally uses one connection and one handshake.
// Result.RoundTrips and Session.RoundTrips count HTTP exchanges, handshake
// legs included.
//
// # PowerShell transport
//
// A PowerShell step never puts its parameters on the command line. A step
// with parameters sends the constant command line
//
//	powershell.exe -NoLogo -NoProfile -NonInteractive -ExecutionPolicy Bypass -EncodedCommand <base64 UTF-16LE of Bootstrap>
//
// and stdin carries base64(UTF-8(prologue + "\n" + script)), where the
// prologue turns a base64 JSON object into $P (see EncodePowerShell). The
// command line stays far below cmd.exe's 8191-character limit whatever the
// script's length, and a parameter such as `'; Remove-Item C:\ -Recurse; '`
// is data, never code. A step without parameters whose script fits (up to
// about 2,000 characters) carries that same base64 as a literal in the
// encoded command instead, as masterzen's Powershell and pywinrm's run_ps
// send every script, and sends no stdin: one round trip fewer. cmd steps
// send the plain command line and are checked against the
// 8191-character limit before anything is sent.
//
// # Transport
//
// masterzen's builders define every SOAP message (NewOpenShellRequest,
// NewExecuteCommandRequest, NewSendInputRequest, NewGetOutputRequest,
// NewSignalRequest, NewDeleteShellRequest); remote prints each kind once
// with them and fills the values that vary (URL, MessageID, ShellId,
// CommandId, command line, stdin) into that template, byte for byte what
// the builder prints (request.go: masterzen prints a DOM with fmt for
// every message, a tenth of an audit's CPU). With Kerberos the builder's
// message itself goes to masterzen's transport. remote reads each response once, in one
// streaming pass (parseEnvelopeInfo: fault, ShellId, CommandId, streams,
// CommandState and ExitCode, read as masterzen's XPath queries read them),
// and drives a step itself: Command, Sends, then Receives until Done, one
// request at a time. masterzen's Command would long-poll Receive on a
// second connection while stdin is sent, parse every response twice (its
// XPath tree, then remote's fault check) and copy output through pipes.
//
// remote plugs its own winrm.Transporter into a copy of
// winrm.DefaultParameters (the global is never mutated). A fresh
// Transporter, bound to the step's context, is made for every step,
// because masterzen's Transporter.Post takes no context: every HTTP
// request is built with http.NewRequestWithContext, so a deadline or a
// cancellation aborts the request in flight. Each session has its own
// connections (keep-alive, HTTP/1.1 only, no proxy,
// ResponseHeaderTimeout = HeaderTimeout, TLS verified by default against
// CACertPEM or the system roots, with TLSServerName), each wrapped by
// Azure/go-ntlmssp's Negotiator for NTLM as masterzen's ClientNTLM does.
// A request holds one connection of its own from its first byte to the
// end of its answer, handshake legs included ("lanes": NTLM authenticates
// a connection, and HTTP.sys accepts an AUTHENTICATE only on the
// connection that received the challenge). A lane is no http.Transport:
// the requesting goroutine dials, handshakes, writes and reads its one
// connection itself (connRT in lane.go), with the Transport's rules kept:
// keep-alive after an answer read to its end, 90 s idle timeout, the
// request's context interrupting any blocked step, and a request sent
// again once on a new connection when a kept-alive one turns out closed.
// That negotiator retries with Basic and the password when a 401 offers
// neither NTLM nor Negotiate; a guard below it refuses any request that
// carries Basic credentials (KindAuthScheme, naming what was offered), so a
// password never leaves with a scheme other than the configured one.
// Basic sets the Authorization header; certificate authentication sends
// the client certificate and WS-Man's mutual-auth Authorization value.
// Kerberos uses masterzen's own ClientKerberos transporter, which takes no
// context: its requests cannot be aborted, only abandoned at the deadline
// (they end at the header timeout), it makes a new gokrb5 client and AS
// exchange for every message, and its idle connections close only when the
// server drops them.
//
// NTLM messages are not sealed, so over plain HTTP the server needs
// AllowUnencrypted=true (masterzen's NTLM encryption is not goroutine-safe
// and costs at least 3 exchanges per message; it is not used). Prefer
// HTTPS.
//
// # Deadlines
//
// Each step has its own deadline (Command.Timeout, else the target's or
// Options' StepTimeout),
// the session has a run deadline (Options.RunTimeout, from the end of
// Open's wait to Close), and the caller's context applies too; the error
// says which one ended the step. masterzen runs on a goroutine of its own:
// Run, Open and Close return as soon as their deadline passes, even if that
// goroutine is stuck, and abandon it; it exits when its aborted request
// returns. A command abandoned this way is sent Signal terminate in the
// background (bounded by a 5 s deadline). Close bounds the Delete by 5 s
// even when the host is dead, and cancels a step still running.
//
// # Output
//
// Each stream keeps its first Options.OutputCap bytes, counts every byte
// and keeps receiving; a capped
// stream ends with "[output truncated: N bytes produced, first M kept]".
// Text is decoded by internal/textdecode (UTF-8, UTF-16 with BOM, CP932
// fallback for Japanese programs writing ANSI bytes into the 65001 shell;
// "\n" newlines). A stderr that starts with "#< CLIXML" (PowerShell's
// serialised error records) is turned into plain text (CLIXMLToText).
//
// # Errors
//
// Every failure is an *Error with a stable Kind (used as error_kind in
// JSON), the target, the operation, the cause (a *Fault for WS-Management
// faults) and Explain, the usual fix. Kinds come from network errors
// (refused, DNS, TLS unknown CA / name mismatch, reset, EOF), HTTP status
// (401 unauthorized; any status whose body mentions unencrypted traffic),
// and WS-Man fault codes (2150859173/2150859174 quota, 2147942606 command
// too long, 170 busy, 5 access denied). Passwords never appear in errors
// or logs: Password redacts itself in every printing path.
//
// # masterzen/winrm behaviour worked around (commit 3fad6e1)
//
//   - Post ignores contexts (an in-flight request is never cancelled): the
//     per-step Transporter above.
//   - The response body is never closed on a non-SOAP Content-Type (every
//     401): remote always reads (capped at 4 MiB) and closes it.
//   - A Receive is retried forever when the error text contains
//     "OperationTimeout" or the error is a *url.Error with Timeout(): only
//     the real OperationTimeout fault, recognised by its code 2150858793
//     whatever the language of its Reason, is returned with that word;
//     every other error is stripped of *url.Error and has the word removed,
//     so it ends the step, and the step deadline bounds the retries.
//   - "EOF" in an error text turns the exit code into 16001: remote's error
//     texts never contain it, and the error is checked before the exit
//     code.
//   - The default header timeout equals the default OperationTimeout (a
//     race): New and Open require HeaderTimeout > OperationTimeout.
//   - The Stdin writer sends EnvelopeSize-1000 raw bytes per Send, whose
//     base64 exceeds MaxEnvelopeSize, WriteClose always fails (it sets EOF
//     before writing), and Close costs an extra Send: remote sends stdin
//     itself with NewSendInputRequest's message in chunks that fit, End="true"
//     on the last (the CommandId is taken from the CommandResponse, for
//     which masterzen has no accessor).
//   - masterzen's Command (long-poll on a second connection, responses
//     parsed twice, output through pipes that deadlock unless both are
//     drained, a Signal only if a cancellation is noticed between two
//     Receives) is not used: remote drives Command, Send and Receive
//     itself and terminates abandoned commands itself.
//   - A Create response without a ShellId yields "" silently: it is a
//     bad-response error here.
//
// Kept as masterzen reads it: a Done state without ExitCode reads as exit
// code 0, and undecodable base64 output contributes what decodes.
package remote
