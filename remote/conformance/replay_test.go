package conformance

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/masterzen/winrm"

	"github.com/wsbbot/wsbbot/remote"
	"github.com/wsbbot/wsbbot/runbooks"
)

const fixtures = "../../testdata/winrm-fixtures"

// step is one recorded response: the fixture file and the HTTP status it
// was recorded with, and the action the client must have sent for it.
type step struct {
	action, file string
	status       int
}

// replay serves recorded Windows responses in order, whatever the request
// says except its action, which it records, so a real client can be run
// against what real Windows servers sent.
type replay struct {
	t     *testing.T
	mu    sync.Mutex
	steps []step
	got   []string
}

var actionRE = regexp.MustCompile(`<[A-Za-z]*:?Action[^>]*>[^<]*/([A-Za-z]+)</`)

func (r *replay) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	action := "?"
	if m := actionRE.FindSubmatch(body); m != nil {
		action = string(m[1])
	}
	r.mu.Lock()
	r.got = append(r.got, action)
	if len(r.steps) == 0 {
		r.mu.Unlock()
		http.Error(w, "replay exhausted", http.StatusTeapot)
		return
	}
	s := r.steps[0]
	r.steps = r.steps[1:]
	r.mu.Unlock()
	if s.action != action {
		r.t.Errorf("client sent %s where the recording has %s", action, s.action)
	}
	data, err := os.ReadFile(filepath.Join(fixtures, s.file))
	if err != nil {
		r.t.Error(err)
		return
	}
	w.Header().Set("Content-Type", "application/soap+xml;charset=UTF-8")
	w.WriteHeader(s.status)
	w.Write(bytes.TrimSpace(data))
}

func serve(t *testing.T, steps ...step) (*replay, string, int) {
	t.Helper()
	r := &replay{t: t, steps: steps}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	u := strings.TrimPrefix(srv.URL, "http://")
	host, port, _ := strings.Cut(u, ":")
	p, _ := strconv.Atoi(port)
	return r, host, p
}

var (
	create   = step{"Create", "01_create_shell_response.xml", 200}
	command  = step{"Command", "02_command_response.xml", 200}
	signal   = step{"Signal", "06_signal_response.xml", 200}
	del      = step{"Delete", "07_delete_response.xml", 200}
	timedOut = step{"Receive", "04_receive_operation_timeout_fault.http500.xml", 500}
)

func receive(file string) step { return step{"Receive", file, 200} }

// TestReplayMasterzen runs the real masterzen client against recorded
// Windows conversations and checks what it reads.
func TestReplayMasterzen(t *testing.T) {
	tests := []struct {
		name           string
		steps          []step
		stdout, stderr string
		exit           int
	}{
		{"two OperationTimeout faults then Done (pypsrp recording)",
			[]step{create, command, receive("03_receive_running_partial_stdout.xml"), timedOut, timedOut, receive("05_receive_done_exitcode0.xml"), signal, del},
			"hi\nhi again\n", "", 0},
		{"stdout, stderr and exit code 1",
			[]step{create, command, receive("08_receive_stdout_stderr_exitcode1.xml"), signal, del},
			"out \r\n", "err \r\n", 1},
		{"UTF-8 Japanese under code page 65001",
			[]step{create, command, receive("09_receive_utf8_japanese_codepage65001.xml"), signal, del},
			"こんにちは\n", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, host, port := serve(t, tt.steps...)
			ep := winrm.NewEndpoint(host, port, false, false, nil, nil, nil, 10*time.Second)
			c, err := winrm.NewClient(ep, "u", "p")
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			var stdout, stderr bytes.Buffer
			code, err := c.RunWithContext(ctx, "whatever", &stdout, &stderr)
			if err != nil {
				t.Fatal(err)
			}
			if stdout.String() != tt.stdout || stderr.String() != tt.stderr || code != tt.exit {
				t.Errorf("read stdout %q stderr %q exit %d; want %q %q %d", stdout.String(), stderr.String(), code, tt.stdout, tt.stderr, tt.exit)
			}
			if len(r.steps) != 0 {
				t.Errorf("client stopped with %d recorded responses unread (sent %v)", len(r.steps), r.got)
			}
		})
	}
}

// TestReplayRemote runs wsbbot's own executor (masterzen underneath, with
// wsbbot's transport) against the recordings, including the faults that
// masterzen alone mistakes for normal replies. remote sends no terminate
// Signal after a one-step run's command (it defers the signal to the next
// step, and the shell's Delete ends the finished command), so the recorded
// Signal before Delete is left out; every recorded response must be used.
func TestReplayRemote(t *testing.T) {
	client, err := remote.New(remote.Options{OperationTimeout: 5 * time.Second, HeaderTimeout: 10 * time.Second, StepTimeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	run := func(t *testing.T, steps ...step) (remote.Result, error) {
		t.Helper()
		r, host, port := serve(t, steps...)
		tg := remote.Target{Name: "replay", Address: host, Port: port, Auth: remote.AuthBasic, User: "u", Password: "p"}
		res, err := client.Exec(context.Background(), tg, remote.Command{Shell: runbooks.ShellCmd, Script: "whatever"})
		r.mu.Lock()
		defer r.mu.Unlock()
		if len(r.steps) != 0 || len(r.got) != len(steps) {
			t.Errorf("client sent %v; the recording has %d requests, %d unread", r.got, len(steps), len(r.steps))
		}
		return res, err
	}
	t.Run("timeouts then output", func(t *testing.T) {
		res, err := run(t, create, command, receive("03_receive_running_partial_stdout.xml"), timedOut, timedOut, receive("05_receive_done_exitcode0.xml"), del)
		if err != nil || res.Stdout != "hi\nhi again\n" || res.ExitCode != 0 {
			t.Errorf("got %+v, %v", res, err)
		}
	})
	t.Run("CLIXML stderr becomes plain text", func(t *testing.T) {
		res, err := run(t, create, command, receive("13_receive_ps_clixml_stderr_exitcode1_pywinrm.xml"), del)
		if err != nil {
			t.Fatal(err)
		}
		if res.ExitCode != 1 || strings.Contains(res.Stderr, "CLIXML") || strings.Contains(res.Stderr, "_x000D_") || !strings.Contains(res.Stderr, "Error") {
			t.Errorf("got exit %d stderr %q", res.ExitCode, res.Stderr)
		}
	})
	for _, tt := range []struct {
		name  string
		steps []step
		kind  remote.Kind
	}{
		{"command too long", []step{create, {"Command", "11_fault_command_too_long_masterzen.http500.xml", 500}, del}, remote.KindCommandTooLong},
		{"unknown command id", []step{create, command, {"Receive", "10_fault_invalid_selectors_unknown_commandid.http500.xml", 500}, del}, remote.KindFault},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := run(t, tt.steps...)
			var re *remote.Error
			if !errors.As(err, &re) || re.Kind != tt.kind || re.Explain() == "" {
				t.Errorf("got %v, want a %s error with an explanation", err, tt.kind)
			}
		})
	}
}
