//go:build conformance

package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/wsbbot/wsbbot/lab"
	"github.com/wsbbot/wsbbot/remote/winrmtest"
)

// python is the system interpreter: Debian's python3-winrm lives there, and
// another python3 earlier on PATH would not see it.
const python = "/usr/bin/python3"

type result struct {
	WinRMVersion string `json:"winrm_version"`
	Cmd          struct {
		Stdout, Stderr string
		ExitCode       int `json:"exit_code"`
	} `json:"cmd"`
	PS struct {
		Stdout, Stderr string
		ExitCode       int `json:"exit_code"`
	} `json:"ps"`
	WrongPassword string `json:"wrong_password"`
}

func pywinrm(t *testing.T, url, user, password, cmd, ps string) result {
	t.Helper()
	if err := exec.Command(python, "-c", "import winrm").Run(); err != nil {
		t.Fatalf("%s cannot import winrm (run `make conformance`, which installs python3-winrm): %v", python, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, python, "testdata/pywinrm_check.py", url, user, password, cmd, ps).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("pywinrm: %v\n%s", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	var r result
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	t.Logf("pywinrm %s: %+v", r.WinRMVersion, r)
	return r
}

// TestPywinrmAgainstFake runs pywinrm against the bare fake server with a
// handler that writes to both streams and exits non-zero.
func TestPywinrmAgainstFake(t *testing.T) {
	srv := winrmtest.New(winrmtest.Options{
		User: "wsbadmin", Password: "Passw0rd!",
		Handler: winrmtest.HandlerFunc(func(ctx context.Context, c winrmtest.Command, stdin io.Reader, stdout, stderr io.Writer) int {
			switch {
			case strings.HasPrefix(c.Line, "conformance-cmd"):
				fmt.Fprint(stdout, "out \r\n")
				fmt.Fprint(stderr, "err \r\n")
				return 3
			case strings.HasPrefix(strings.ToLower(c.Line), "powershell -encodedcommand"):
				fmt.Fprint(stdout, "ps-ok\r\n")
				return 0
			}
			fmt.Fprintf(stderr, "'%s' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n", c.Line)
			return 1
		}),
	})
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	r := pywinrm(t, srv.URL(), "wsbadmin", "Passw0rd!", "conformance-cmd /x", "Write-Output 'x'")
	if r.Cmd.Stdout != "out \r\n" || r.Cmd.Stderr != "err \r\n" || r.Cmd.ExitCode != 3 {
		t.Errorf("run_cmd = %+v", r.Cmd)
	}
	if r.PS.Stdout != "ps-ok\r\n" || r.PS.ExitCode != 0 {
		t.Errorf("run_ps = %+v", r.PS)
	}
	if !strings.HasPrefix(r.WrongPassword, "InvalidCredentialsError") {
		t.Errorf("wrong password: %s", r.WrongPassword)
	}
	// pywinrm's run_cmd: Create, Command, Receive, Signal, Delete.
	for _, a := range []string{winrmtest.ActionCreate, winrmtest.ActionCommand, winrmtest.ActionReceive, winrmtest.ActionSignal, winrmtest.ActionDelete} {
		if srv.Count(a) == 0 {
			t.Errorf("no %s request recorded", a)
		}
	}
}

// TestPywinrmAgainstLab runs pywinrm against simulated hosts.
func TestPywinrmAgainstLab(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	l, err := lab.Start(ctx, lab.Options{Hosts: 2, Scenario: "all", User: "wsbadmin", Password: "Passw0rd!"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for _, h := range l.Hosts() {
		t.Run(h.Name, func(t *testing.T) {
			url := fmt.Sprintf("http://%s:%d/wsman", h.Address, h.Port)
			r := pywinrm(t, url, "wsbadmin", "Passw0rd!", "vssadmin list writers", "Get-Service -Name VSS | Select-Object -ExpandProperty Name")
			if r.Cmd.ExitCode != 0 || !strings.Contains(r.Cmd.Stdout, "Writer name: 'System Writer'") {
				t.Errorf("vssadmin list writers = %+v", r.Cmd)
			}
			if r.PS.ExitCode != 0 || strings.TrimSpace(r.PS.Stdout) != "VSS" || r.PS.Stderr != "" {
				t.Errorf("run_ps = %+v", r.PS)
			}
			if !strings.HasPrefix(r.WrongPassword, "InvalidCredentialsError") {
				t.Errorf("wrong password: %s", r.WrongPassword)
			}
			bad := pywinrm(t, url, "wsbadmin", "Passw0rd!", "frobnicate now", "Write-Output 'ok'")
			if bad.Cmd.ExitCode != 1 || !strings.Contains(bad.Cmd.Stderr, "'frobnicate' is not recognized") {
				t.Errorf("unknown command = %+v", bad.Cmd)
			}
		})
	}
}
