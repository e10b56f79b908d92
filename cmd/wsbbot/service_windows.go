//go:build windows

package main

import (
	"bufio"
	"context"
	"io"
	"strings"
	"sync"

	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/eventlog"
)

// serviceName is the name wsbbot's Windows service is installed under and
// the Application event log source its output goes to.
const serviceName = "wsbbot"

// runAsService runs cmd as a Windows service when the Service Control
// Manager started the process (`sc.exe create wsbbot binPath= "...\wsbbot.exe
// serve --config ...\wsbbot.yaml"`), and reports handled=false otherwise.
// Stop and Shutdown cancel cmd's context, which serve treats as SIGTERM:
// running work gets its grace period and is then recorded as cancelled.
// The service's exit code is cmd's. A service has no console, so cmd's
// stdout and stderr go to the Application event log, a line an entry.
func runAsService(cmd func(ctx context.Context, stdout, stderr io.Writer) int) (code int, handled bool) {
	isService, err := svc.IsWindowsService()
	if err != nil || !isService {
		return 0, false
	}
	out := io.Discard
	var closeLog func()
	if el, err := eventlog.Open(serviceName); err == nil {
		w := &eventLogWriter{el: el}
		out, closeLog = w, func() { w.flush(); _ = el.Close() }
	}
	h := &serviceHandler{cmd: cmd, stdout: out, stderr: out}
	if err := svc.Run(serviceName, h); err != nil && h.code == 0 {
		h.code = exitInternal
	}
	if closeLog != nil {
		closeLog()
	}
	return h.code, true
}

// serviceHandler answers the Service Control Manager while cmd runs.
type serviceHandler struct {
	cmd            func(ctx context.Context, stdout, stderr io.Writer) int
	stdout, stderr io.Writer
	code           int
}

func (h *serviceHandler) Execute(_ []string, requests <-chan svc.ChangeRequest, status chan<- svc.Status) (bool, uint32) {
	status <- svc.Status{State: svc.StartPending}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() { done <- h.cmd(ctx, h.stdout, h.stderr) }()
	const accepts = svc.AcceptStop | svc.AcceptShutdown
	status <- svc.Status{State: svc.Running, Accepts: accepts}
	for {
		select {
		case h.code = <-done:
			status <- svc.Status{State: svc.StopPending}
			return h.code != 0, uint32(h.code)
		case r := <-requests:
			switch r.Cmd {
			case svc.Interrogate:
				status <- r.CurrentStatus
			case svc.Stop, svc.Shutdown:
				status <- svc.Status{State: svc.StopPending}
				cancel()
			}
		}
	}
}

// eventLogWriter writes each complete line to the event log: lines with
// level=ERROR or "error" as errors, level=WARN as warnings, others as
// information.
// It serves stdout and stderr at once, so it locks.
type eventLogWriter struct {
	el      *eventlog.Log
	mu      sync.Mutex
	pending strings.Builder
}

func (w *eventLogWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.pending.Write(p)
	s := w.pending.String()
	i := strings.LastIndexByte(s, '\n')
	if i < 0 {
		return len(p), nil
	}
	w.pending.Reset()
	w.pending.WriteString(s[i+1:])
	sc := bufio.NewScanner(strings.NewReader(s[:i]))
	for sc.Scan() {
		w.emit(sc.Text())
	}
	return len(p), nil
}

func (w *eventLogWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if s := w.pending.String(); s != "" {
		w.emit(s)
		w.pending.Reset()
	}
}

func (w *eventLogWriter) emit(line string) {
	switch {
	case strings.Contains(line, "level=ERROR") || strings.Contains(line, `"level":"ERROR"`) || strings.HasPrefix(line, "wsbbot: "):
		_ = w.el.Error(1, line)
	case strings.Contains(line, "level=WARN") || strings.Contains(line, `"level":"WARN"`):
		_ = w.el.Warning(1, line)
	default:
		_ = w.el.Info(1, line)
	}
}
