package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/masterzen/winrm"

	"github.com/wsbbot/wsbbot/runbooks"
)

// Client runs commands on Windows targets over WinRM. It is safe for
// concurrent use.
type Client struct {
	o   Options
	sem chan struct{} // global concurrency bound

	mu    sync.Mutex
	slots map[string]*slot // one run per target name

	// encoded holds the command lines of PowerShell scripts without
	// parameters (the audit sends one script to every server), at most
	// maxEncoded of them.
	encodedMu sync.Mutex
	encoded   map[string]string

	warm warmPool // connections opened by Warm, waiting for their session
}

// maxEncoded bounds Client.encoded: runbook and checklist scripts are a
// few dozen, and a reload may bring new ones.
const maxEncoded = 256

// slot serialises the runs of one target.
type slot struct {
	ch   chan struct{}
	refs int
}

// New returns a Client. It fails when the options are inconsistent
// (HeaderTimeout not above OperationTimeout).
func New(o Options) (*Client, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Client{o: o, sem: make(chan struct{}, o.Concurrency), slots: map[string]*slot{}, encoded: map[string]string{}}, nil
}

// acquire waits for the target's slot, then for a global slot. The target
// slot comes first so that a run waiting for a busy target holds no global
// slot.
func (c *Client) acquire(ctx context.Context, name string) (release func(), err error) {
	c.mu.Lock()
	sl := c.slots[name]
	if sl == nil {
		sl = &slot{ch: make(chan struct{}, 1)}
		c.slots[name] = sl
	}
	sl.refs++
	c.mu.Unlock()
	drop := func() {
		c.mu.Lock()
		if sl.refs--; sl.refs == 0 {
			delete(c.slots, name)
		}
		c.mu.Unlock()
	}
	select {
	case sl.ch <- struct{}{}:
	case <-ctx.Done():
		drop()
		return nil, ctx.Err()
	}
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		<-sl.ch
		drop()
		return nil, ctx.Err()
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			<-c.sem
			<-sl.ch
			drop()
		})
	}, nil
}

// Session is one run on one target: one WinRM shell, reused by every step,
// holding the target's slot and a global slot until Close.
type Session struct {
	c       *Client
	t       Target
	e       errCtx
	w       *wire
	ep      *winrm.Endpoint
	params  winrm.Parameters
	shellID string
	log     *slog.Logger

	opened    time.Time
	runCtx    context.Context
	runCancel context.CancelCauseFunc
	release   func()

	mu     sync.Mutex // one step at a time; Close waits for the running step
	closed bool
	steps  int

	curMu     sync.Mutex
	curCancel context.CancelCauseFunc // cancels the running step

	bg sync.WaitGroup // terminate signals after abandoned steps
	// unsignalled is the finished command whose terminate signal is still
	// owed (sent before the next command; Delete makes it unnecessary).
	unsignalled string
}

// normalize checks t and fills its defaults.
func (c *Client) normalize(t Target) (Target, time.Duration, time.Duration, error) {
	if t.Name == "" {
		t.Name = t.Address
	}
	inv := func(format string, args ...any) error {
		return &Error{Kind: KindInvalid, Target: t.Name, Op: "open", Err: fmt.Errorf(format, args...)}
	}
	if strings.TrimSpace(t.Address) == "" {
		return t, 0, 0, inv("the target has no address")
	}
	t.Port = t.port()
	auth, err := ParseAuth(string(t.Auth))
	if err != nil {
		return t, 0, 0, inv("%w", err)
	}
	t.Auth = auth
	switch {
	case auth == AuthCertificate && !t.HTTPS:
		return t, 0, 0, inv("certificate authentication needs HTTPS")
	case auth == AuthCertificate && (len(t.ClientCertPEM) == 0 || len(t.ClientKeyPEM) == 0):
		return t, 0, 0, inv("certificate authentication needs a client certificate and key")
	case auth != AuthCertificate && t.User == "":
		return t, 0, 0, inv("%s authentication needs a user", auth)
	}
	op, hdr := t.OperationTimeout, t.HeaderTimeout
	if op <= 0 {
		op = c.o.OperationTimeout
	}
	if hdr <= 0 {
		hdr = c.o.HeaderTimeout
	}
	if hdr <= op {
		return t, 0, 0, inv("header timeout %s must be greater than operation timeout %s", hdr, op)
	}
	if t.StepTimeout <= 0 {
		t.StepTimeout = c.o.StepTimeout
	}
	return t, op, hdr, nil
}

// isoDuration formats d as an xs:duration for the OperationTimeout header.
func isoDuration(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprintf("PT%dS", d/time.Second)
	}
	return fmt.Sprintf("PT%.3fS", d.Seconds())
}

// Open starts a run on t: it waits (honouring ctx) until no other run of
// the same target name is open and a global slot is free, then creates the
// one shell every step of the run uses. The run deadline (RunTimeout)
// starts once both slots are held and lasts until Close; cancelling ctx
// after Open returns does not end the session. Close must always be
// called.
func (c *Client) Open(ctx context.Context, t Target) (*Session, error) {
	t, opTimeout, hdrTimeout, err := c.normalize(t)
	if err != nil {
		return nil, err
	}
	h := hint{auth: t.Auth, https: t.HTTPS, address: t.Address, port: t.Port, timeout: hdrTimeout}
	e := errCtx{target: t.Name, hint: h}
	log := c.o.Logger.With(slog.String("target", t.Name))
	start := time.Now()
	release, err := c.acquire(ctx, t.Name)
	if err != nil {
		return nil, e.ctx(ctx, "open")
	}
	host := t.Address
	if strings.Contains(host, ":") {
		host = "[" + host + "]" // masterzen formats host:port itself
	}
	ep := &winrm.Endpoint{
		Host: host, Port: t.Port, HTTPS: t.HTTPS, Insecure: t.InsecureSkipVerify,
		TLSServerName: t.TLSServerName, CACert: t.CACertPEM, Timeout: hdrTimeout,
	}
	w, err := newWire(t, c.o, hdrTimeout, ep)
	if err != nil {
		release()
		return nil, e.make(KindInvalid, "open", 0, err)
	}
	if w.krb == nil {
		if raw, since := c.takeWarm(ctx, w.url); raw != nil {
			w.adopt(raw, since, t)
		}
	}
	if t.InsecureSkipVerify && t.HTTPS {
		log.Warn("remote: TLS certificate verification is DISABLED for this target",
			slog.String("address", t.Address), slog.Int("port", t.Port))
	}
	params := *winrm.DefaultParameters // a copy: never mutate masterzen's global
	params.Timeout = isoDuration(opTimeout)
	params.Locale = "en-US"
	params.EnvelopeSize = envelopeSize
	params.Dial = nil
	params.TransportDecorator = nil
	runCtx, runCancel := context.WithCancelCause(context.WithoutCancel(ctx))
	runCtx, runStop := context.WithDeadlineCause(runCtx, time.Now().Add(c.o.RunTimeout), &deadlineError{what: "run", d: c.o.RunTimeout})
	s := &Session{
		c: c, t: t, e: e, w: w, ep: ep, params: params, log: log, opened: start,
		runCtx: runCtx, release: release,
		runCancel: func(cause error) { runCancel(cause); runStop() },
	}

	stepCtx, _, done := s.stepContext(ctx, t.StepTimeout)
	defer done()
	stats := &stepStats{}
	var shellID string
	cl, tr, err := s.newStep(stepCtx, stats)
	if err != nil {
		s.abort()
		return nil, err
	}
	err = s.hard(stepCtx, opCreate, func() error {
		_, env, err := tr.exchange(cl, newRequest(reqCreate, requestFields{url: w.url}, &s.params))
		if err != nil {
			return err
		}
		if env.shellID == "" {
			return e.make(KindBadResponse, opCreate, 200, errors.New("no ShellId in the Create response"))
		}
		shellID = env.shellID
		return nil
	})
	if err != nil {
		s.abort()
		log.Warn("remote: open failed", kindAttr(err), slog.String("error", err.Error()),
			slog.Int64("round_trips", stats.roundTrips.Load()))
		return nil, err
	}
	s.shellID = shellID
	// Opening and closing are debug lines: an audit of 1,000 servers
	// would otherwise write 2,000 lines that say only that it went well
	// (its step lines stay, and failures are warnings).
	log.Debug("remote: session opened", slog.Duration("duration", time.Since(start)),
		slog.Int64("round_trips", stats.roundTrips.Load()))
	return s, nil
}

// abort releases what Open acquired when the shell could not be created.
func (s *Session) abort() {
	s.runCancel(context.Canceled)
	s.w.close()
	s.release()
}

func kindAttr(err error) slog.Attr {
	var re *Error
	if errors.As(err, &re) {
		return slog.String("kind", string(re.Kind))
	}
	return slog.String("kind", "")
}

// Name returns the target's name.
func (s *Session) Name() string { return s.t.Name }

// RoundTrips returns the HTTP exchanges of the session so far (Create,
// every step, Delete; NTLM handshake legs included).
func (s *Session) RoundTrips() int { return int(s.w.total.Load()) }

// stepContext derives a step's context from parent, the step deadline and
// the run deadline.
func (s *Session) stepContext(parent context.Context, timeout time.Duration) (context.Context, context.CancelCauseFunc, func()) {
	base, cancel := context.WithCancelCause(parent)
	stopRun := context.AfterFunc(s.runCtx, func() { cancel(context.Cause(s.runCtx)) })
	ctx, stopDL := context.WithDeadlineCause(base, time.Now().Add(timeout), &deadlineError{what: "step", d: timeout})
	s.curMu.Lock()
	s.curCancel = cancel
	s.curMu.Unlock()
	return ctx, cancel, func() {
		s.curMu.Lock()
		s.curCancel = nil
		s.curMu.Unlock()
		stopRun()
		stopDL()
		cancel(context.Canceled)
	}
}

// newStep makes the masterzen client of one step: a fresh Client whose
// Transporter is bound to ctx (masterzen's Post takes no context).
func (s *Session) newStep(ctx context.Context, stats *stepStats) (*winrm.Client, *stepTransport, error) {
	tr := &stepTransport{w: s.w, ctx: context.WithValue(ctx, statsKey{}, stats), e: s.e}
	params := s.params
	params.TransportDecorator = func() winrm.Transporter { return tr }
	cl, err := winrm.NewClientWithParameters(s.ep, s.t.User, s.t.Password.Reveal(), &params)
	if err != nil {
		return nil, nil, s.e.make(KindInvalid, "open", 0, fmt.Errorf("masterzen client: %w", err))
	}
	return cl, tr, nil
}

// hard runs fn and returns as soon as fn returns or ctx ends, whichever
// is first. With Kerberos, masterzen's transport takes no context: fn
// runs on its own goroutine, abandoned when ctx ends (its request ends at
// the header timeout, after which it exits). Every other transport is
// remote's own (lanes over connRT), which ctx interrupts at whatever step
// it is blocked in, dial, TLS, write or read: fn runs on the caller's
// goroutine, which saves a goroutine and its stack's growth per request
// (3% of an audit's CPU), and returns when ctx ends as promptly.
func (s *Session) hard(ctx context.Context, op string, fn func() error) error {
	if s.w.krb == nil {
		return fn() // its errors after ctx ended are e.ctx's (errCtx.transport)
	}
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		select {
		case err := <-done:
			return err
		default:
			return s.e.ctx(ctx, op)
		}
	}
}

// prepare builds the command line and stdin of cmd.
func (s *Session) prepare(cmd Command) (string, []byte, error) {
	switch cmd.Shell {
	case runbooks.ShellPowerShell, "":
		c := s.c
		if len(cmd.Params) == 0 {
			c.encodedMu.Lock()
			line, ok := c.encoded[cmd.Script]
			c.encodedMu.Unlock()
			if ok {
				return line, nil, nil
			}
		}
		line, stdin, err := EncodePowerShell(cmd.Script, cmd.Params)
		if err != nil {
			return "", nil, s.e.make(KindInvalid, "encode", 0, err)
		}
		if len(cmd.Params) == 0 && stdin == nil {
			c.encodedMu.Lock()
			if len(c.encoded) < maxEncoded {
				c.encoded[cmd.Script] = line
			}
			c.encodedMu.Unlock()
		}
		return line, stdin, nil
	case runbooks.ShellCmd:
		if len(cmd.Params) > 0 {
			return "", nil, s.e.make(KindInvalid, "encode", 0, errors.New("parameters need the PowerShell shell"))
		}
		if n := utf16Len(cmd.Script); n > maxCmdLine {
			return "", nil, s.e.make(KindCommandTooLong, "encode", 0,
				fmt.Errorf("the command line has %d characters", n))
		}
		return cmd.Script, nil, nil
	default:
		return "", nil, s.e.make(KindInvalid, "encode", 0, fmt.Errorf("unknown shell %q", cmd.Shell))
	}
}

// Run runs one step in the session's shell. It returns when the command
// ends, or at once when ctx, the step deadline (cmd.Timeout, else the
// target's or Options' StepTimeout) or the run deadline ends: then the
// error is an *Error of kind timeout or canceled, the Result holds the
// output received so far, and a terminate signal is sent in the
// background. On any error ExitCode is -1. Steps of one session run one
// at a time.
func (s *Session) Run(ctx context.Context, cmd Command) (Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	start := time.Now()
	res := Result{ExitCode: -1}
	if s.closed {
		return res, s.e.make(KindInvalid, "run", 0, errors.New("the session is closed"))
	}
	s.steps++
	log := s.log.With(slog.String("step", cmd.Name))
	line, stdin, err := s.prepare(cmd)
	if err != nil {
		log.Warn("remote: step failed", kindAttr(err), slog.String("error", err.Error()))
		return res, err
	}
	timeout := cmd.Timeout
	if timeout <= 0 {
		timeout = s.t.StepTimeout
	}
	stepCtx, cancel, done := s.stepContext(ctx, timeout)
	defer done()
	stats := &stepStats{}
	out := &capBuffer{max: s.c.o.OutputCap}
	errOut := &capBuffer{max: s.c.o.OutputCap}
	var exit int
	var finished string // the command's id, written by runCommand on success only
	cl, tr, err := s.newStep(stepCtx, stats)
	if err == nil {
		s.signalFinished(stepCtx, cl, tr)
		err = s.hard(stepCtx, opCommand, func() error {
			return s.runCommand(cancel, cl, tr, line, stdin, out, errOut, &exit, &finished)
		})
	}
	switch {
	case err == nil:
		// hard returned the goroutine's own result, so exit and
		// finished are written and safe to read here.
		res.ExitCode = exit
		s.unsignalled = finished
	case stepCtx.Err() != nil && tr != nil:
		// The command may still run: terminate it in the background
		// (masterzen does not when its Receive was aborted).
		s.terminateLater(tr.lastCommandID())
	}
	outKept, outTotal := out.snapshot()
	errKept, errTotal := errOut.snapshot()
	var outEnc, errEnc string
	res.Stdout, outEnc = decodeStreamString(outKept, outTotal, false)
	res.Stderr, errEnc = decodeStreamString(errKept, errTotal, true)
	res.StdoutBytes, res.StderrBytes = outTotal, errTotal
	res.Truncated = outTotal > int64(len(outKept)) || errTotal > int64(len(errKept))
	res.Encoding = outEnc
	if errTotal > 0 && (outTotal == 0 || errEnc != outEnc) {
		if outTotal == 0 {
			res.Encoding = errEnc
		} else {
			res.Encoding = outEnc + ",stderr=" + errEnc
		}
	}
	res.Duration = time.Since(start)
	res.RoundTrips = int(stats.roundTrips.Load())
	attrs := []any{slog.Duration("duration", res.Duration), slog.Int("round_trips", res.RoundTrips),
		slog.Int64("stdout_bytes", outTotal), slog.Int64("stderr_bytes", errTotal)}
	if err != nil {
		log.Warn("remote: step failed", append(attrs, kindAttr(err), slog.String("error", err.Error()))...)
		return res, err
	}
	level := slog.LevelInfo
	if cmd.Quiet {
		level = slog.LevelDebug
	}
	log.Log(ctx, level, "remote: step finished", append(attrs, slog.Int("exit", res.ExitCode), slog.Bool("truncated", res.Truncated))...)
	return res, nil
}

func decodeStreamString(kept []byte, total int64, clixml bool) (string, string) {
	s, enc := decodeStream(kept, total, clixml)
	return s, string(enc)
}

// runCommand is the body of a step, on the goroutine hard starts: Command,
// stdin in as few Sends as the envelope allows, then Receives until the
// command is Done, one request at a time on the session's connection.
// The messages are masterzen's (NewExecuteCommandRequest,
// NewSendInputRequest, NewGetOutputRequest, printed through newRequest's
// templates); each response is parsed once,
// by parseEnvelopeInfo, instead of masterzen's Command, which long-polls
// Receive on a second connection while stdin is sent (one more TCP and
// NTLM handshake per step), parses every response twice and copies output
// through pipes.
func (s *Session) runCommand(cancel context.CancelCauseFunc, cl *winrm.Client, tr *stepTransport,
	line string, stdin []byte, out, errOut io.Writer, exit *int, finished *string) error {
	_, env, err := tr.exchange(cl, newRequest(reqCommand, requestFields{url: s.w.url, shellID: s.shellID, command: line}, &s.params))
	if err != nil {
		return err
	}
	id := env.commandID
	if id == "" {
		return s.e.make(KindBadResponse, opCommand, 200, errors.New("no CommandId in the Command response"))
	}
	if stdin != nil {
		if err := tr.send(cl, s.w.url, s.shellID, &s.params, stdin); err != nil {
			// The command waits for the rest of its stdin: ending the
			// step makes Run terminate it in the background.
			cancel(err)
			return err
		}
	}
	for {
		_, env, err := tr.exchange(cl, newRequest(reqReceive, requestFields{url: s.w.url, shellID: s.shellID, commandID: id}, &s.params))
		var re *Error
		if errors.As(err, &re) && re.isOperationTimeout() {
			continue // the long-poll expired with no output: ask again
		}
		if err != nil {
			return err
		}
		_, _ = out.Write(env.stdout)
		_, _ = errOut.Write(env.stderr)
		if env.done {
			*exit = env.exitCode
			break
		}
	}
	// The customary terminate signal (every client sends it after Done) is
	// deferred: Run records the finished command, its signal is sent before
	// the session's next command, and skipped when the next request is the
	// shell's Delete, which ends the finished command anyway. That saves one
	// round trip per run.
	*finished = id
	return nil
}

// signalFinished sends the terminate signal deferred from the previous
// step, if any, on this step's client. A failure is only logged: the
// command has finished, and the shell's Delete ends it in any case.
func (s *Session) signalFinished(ctx context.Context, cl *winrm.Client, tr *stepTransport) {
	id := s.unsignalled
	if id == "" {
		return
	}
	s.unsignalled = ""
	err := s.hard(ctx, opSignal, func() error {
		_, _, err := tr.exchange(cl, newRequest(reqSignal, requestFields{url: s.w.url, shellID: s.shellID, commandID: id}, &s.params))
		return err
	})
	if err != nil {
		s.log.Debug("remote: terminate signal failed", slog.String("error", err.Error()))
	}
}

// cancelCurrent cancels the running step, if any, with cause.
func (s *Session) cancelCurrent(cause error) {
	s.curMu.Lock()
	defer s.curMu.Unlock()
	if s.curCancel != nil {
		s.curCancel(cause)
	}
}

// terminateLater sends Signal terminate for commandID in the background,
// bounded by cleanupTimeout.
func (s *Session) terminateLater(commandID string) {
	if commandID == "" {
		return
	}
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		ctx, cancel := context.WithTimeoutCause(context.Background(), cleanupTimeout, &deadlineError{what: "cleanup", d: cleanupTimeout})
		defer cancel()
		cl, tr, err := s.newStep(ctx, &stepStats{})
		if err == nil {
			err = s.hard(ctx, opSignal, func() error {
				_, _, err := tr.exchange(cl, newRequest(reqSignal, requestFields{url: s.w.url, shellID: s.shellID, commandID: commandID}, &s.params))
				return err
			})
		}
		if err != nil {
			s.log.Debug("remote: terminate signal failed", slog.String("error", err.Error()))
		}
	}()
}

// Close deletes the shell (bounded by a short deadline even when the host
// is dead), cancels a step still running, and releases the target's slot
// and the global slot. It returns the Delete's error, if any; the slots
// are released regardless. Calling Close again returns nil.
func (s *Session) Close() error {
	s.cancelCurrent(s.e.make(KindCanceled, "close", 0, errors.New("the session was closed")))
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	ctx, cancel := context.WithTimeoutCause(context.Background(), cleanupTimeout, &deadlineError{what: "close", d: cleanupTimeout})
	defer cancel()
	cl, tr, err := s.newStep(ctx, &stepStats{})
	if err == nil {
		err = s.hard(ctx, opDelete, func() error {
			_, _, err := tr.exchange(cl, newRequest(reqDelete, requestFields{url: s.w.url, shellID: s.shellID}, &s.params))
			return err
		})
	}
	s.bg.Wait()
	s.runCancel(context.Canceled)
	s.w.close()
	s.release()
	attrs := []any{slog.Duration("duration", time.Since(s.opened)), slog.Int("round_trips", s.RoundTrips()), slog.Int("steps", s.steps)}
	if err != nil {
		s.log.Warn("remote: shell delete failed", append(attrs, kindAttr(err), slog.String("error", err.Error()))...)
		return err
	}
	s.log.Debug("remote: session closed", attrs...)
	return nil
}

// Exec runs one command on t: Open, Run, Close. A failure to delete the
// shell after a successful Run is logged, not returned.
func (c *Client) Exec(ctx context.Context, t Target, cmd Command) (Result, error) {
	s, err := c.Open(ctx, t)
	if err != nil {
		return Result{ExitCode: -1}, err
	}
	res, err := s.Run(ctx, cmd)
	_ = s.Close() // logged by Close
	return res, err
}
