package remote

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/masterzen/winrm"
)

// masterzenReading is what masterzen's own parsers (an XML tree queried
// with XPath) read from a response.
type masterzenReading struct {
	shellID, commandID string
	stdout, stderr     string
	done               bool
	exitCode           int
}

func readLikeMasterzen(t *testing.T, body string) masterzenReading {
	t.Helper()
	var r masterzenReading
	var out, errOut bytes.Buffer
	var err error
	r.shellID, _ = winrm.ParseOpenShellResponse(body)
	r.commandID, _ = winrm.ParseExecuteCommandResponse(body)
	if r.done, r.exitCode, err = winrm.ParseSlurpOutputErrResponse(body, &out, &errOut); err != nil {
		t.Fatalf("masterzen cannot parse it: %v", err)
	}
	r.stdout, r.stderr = out.String(), errOut.String()
	return r
}

func readOnce(t *testing.T, body string) masterzenReading {
	t.Helper()
	env, err := parseEnvelopeInfo([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return masterzenReading{shellID: env.shellID, commandID: env.commandID, stdout: string(env.stdout),
		stderr: string(env.stderr), done: env.done, exitCode: env.exitCode}
}

// TestEnvelopeReadsAsMasterzen: remote's one parsing pass reads from every
// recorded response (real Windows, pypsrp, pywinrm and masterzen
// recordings) and from variants of them exactly what masterzen's parsers
// read: ShellId, CommandId, stdout, stderr, Done and ExitCode.
func TestEnvelopeReadsAsMasterzen(t *testing.T) {
	files, err := filepath.Glob("testdata/*.xml")
	if err != nil || len(files) < 10 {
		t.Fatalf("fixtures: %v %v", files, err)
	}
	bodies := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		bodies[filepath.Base(f)] = string(b)
	}
	done := bodies["08_receive_stdout_stderr_exitcode1.xml"]
	// Other prefixes for the same namespaces (clients and servers differ).
	bodies["prefixes"] = strings.NewReplacer("rsp:", "shell:", "xmlns:rsp=", "xmlns:shell=", "s:", "env:", "xmlns:s=", "xmlns:env=").Replace(done)
	// Done without ExitCode reads as exit code 0.
	bodies["no exit code"] = strings.Replace(strings.Replace(done, "<rsp:ExitCode>1</rsp:ExitCode>", "", 1), "ExitCode>", "X>", -1)
	// Several chunks per stream, interleaved.
	bodies["chunks"] = strings.Replace(done, "<rsp:CommandState", `<rsp:Stream Name="stdout" CommandId="x">YWJj</rsp:Stream><rsp:Stream Name="stderr" CommandId="x">ZGVm</rsp:Stream><rsp:Stream Name="stdout" CommandId="x">Z2hp</rsp:Stream><rsp:CommandState`, 1)
	// A stream name remote does not read.
	bodies["other stream"] = strings.Replace(done, `Name="stderr"`, `Name="pr"`, -1)
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			want := readLikeMasterzen(t, body)
			got := readOnce(t, body)
			if got != want {
				t.Errorf("read %+v\nmasterzen reads %+v", got, want)
			}
		})
	}
	// The readings are not vacuous: the fixtures have each field.
	for field, ok := range map[string]bool{
		"ShellId":   readOnce(t, bodies["01_create_shell_response.xml"]).shellID != "",
		"CommandId": readOnce(t, bodies["02_command_response.xml"]).commandID != "",
		"stderr":    readOnce(t, done).stderr != "",
		"exit 1":    readOnce(t, done).exitCode == 1,
		"Running":   !readOnce(t, bodies["03_receive_running_partial_stdout.xml"]).done,
		"chunks":    readOnce(t, bodies["chunks"]).stdout != readOnce(t, done).stdout,
		"Japanese":  strings.Contains(readOnce(t, bodies["09_receive_utf8_japanese_codepage65001.xml"]).stdout, "こんにちは"),
	} {
		if !ok {
			t.Errorf("no %s read", field)
		}
	}
}
