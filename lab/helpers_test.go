package lab

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
)

// bootstrap is remote.Bootstrap (see "PowerShell transport" in remote's
// package doc).
const bootstrap = `$ProgressPreference='SilentlyContinue';$s=[Console]::In.ReadToEnd();& ([ScriptBlock]::Create([Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($s.Trim()))))`

func newTestHost(t *testing.T, scenario string) *Host {
	t.Helper()
	h, err := NewHost(scenario, scenario)
	if err != nil {
		t.Fatalf("NewHost(%q): %v", scenario, err)
	}
	t.Cleanup(h.close)
	return h
}

type result struct {
	stdout, stderr string
	code           int
}

// run runs a command line with stdin.
func run(t *testing.T, h *Host, line, stdin string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var o, e bytes.Buffer
	code := h.Run(ctx, line, "wsbadmin", strings.NewReader(stdin), &o, &e)
	return result{o.String(), e.String(), code}
}

func runCmd(t *testing.T, h *Host, line string) result {
	t.Helper()
	return run(t, h, line, "")
}

// utf16b64 is base64 of UTF-16LE, what -EncodedCommand takes.
func utf16b64(s string) string {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u), byte(u>>8))
	}
	return base64.StdEncoding.EncodeToString(b)
}

// pywinrmLine is pywinrm's run_ps command line.
func pywinrmLine(script string) string {
	return "powershell -encodedcommand " + utf16b64(script)
}

// transportLine and transportStdin are wsbbot's own transport
// (the "PowerShell transport" section of remote's package doc).
func transportLine() string {
	return "powershell.exe -NoLogo -NoProfile -NonInteractive -ExecutionPolicy Bypass -EncodedCommand " + utf16b64(bootstrap)
}

func transportStdin(t testing.TB, params map[string]any, script string) string {
	t.Helper()
	if params == nil {
		params = map[string]any{}
	}
	js, err := json.Marshal(params)
	if err != nil {
		t.Fatal(err)
	}
	prologue := "$P = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('" + base64.StdEncoding.EncodeToString(js) + "')) | ConvertFrom-Json"
	return base64.StdEncoding.EncodeToString([]byte(prologue+"\n"+script)) + "\r\n"
}

// runPS runs a script through the transport wsbbot uses.
func runPS(t *testing.T, h *Host, params map[string]any, script string) result {
	t.Helper()
	return run(t, h, transportLine(), transportStdin(t, params, script))
}

// decodeCLIXML returns the text of a "#< CLIXML" stderr stream: the <S>
// elements of the given stream ("Error", "warning") with _xHHHH_ escapes
// resolved, concatenated.
func decodeCLIXML(t *testing.T, stderr, stream string) string {
	t.Helper()
	if stderr == "" {
		return ""
	}
	const head = "#< CLIXML\r\n"
	if !strings.HasPrefix(stderr, head) {
		t.Fatalf("stderr is not CLIXML: %q", stderr)
	}
	var doc struct {
		S []struct {
			S    string `xml:"S,attr"`
			Text string `xml:",chardata"`
		} `xml:"S"`
	}
	if err := xml.Unmarshal([]byte(stderr[len(head):]), &doc); err != nil {
		t.Fatalf("CLIXML: %v\n%s", err, stderr)
	}
	esc := regexp.MustCompile(`_x([0-9A-Fa-f]{4})_`)
	var b strings.Builder
	for _, s := range doc.S {
		if !strings.EqualFold(s.S, stream) {
			continue
		}
		b.WriteString(esc.ReplaceAllStringFunc(s.Text, func(m string) string {
			var r rune
			for _, c := range m[2:6] {
				r = r*16 + rune(strings.IndexRune("0123456789abcdef", toLowerRune(c)))
			}
			return string(r)
		}))
	}
	return b.String()
}

func toLowerRune(r rune) rune {
	if r >= 'A' && r <= 'Z' {
		return r + 32
	}
	return r
}

// unwrapConsole joins an 80-column wrapped error text back into one line
// per paragraph, the way a reader would: line breaks and the continuation
// indents become nothing or one space.
func unwrapConsole(s string) string {
	s = strings.ReplaceAll(s, " \r\n   ", "")
	s = strings.ReplaceAll(s, "\r\n   ", "")
	s = strings.ReplaceAll(s, "\r\n", " ")
	return strings.Join(strings.Fields(s), " ")
}

// squash removes all white space, to compare wrapped CJK text.
func squash(s string) string { return strings.Join(strings.Fields(s), "") }

// sample reads a saved real capture from testdata/samples, without its
// "# source:" line.
func sample(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "samples", rel))
	if err != nil {
		t.Fatalf("read sample: %v", err)
	}
	s := string(b)
	if strings.HasPrefix(s, "# source:") {
		_, s, _ = strings.Cut(s, "\n")
	}
	return s
}

// propLine finds "Name : value" in list output.
func propLine(t *testing.T, out, name string) string {
	t.Helper()
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + `\s*: ?(.*?)\r?$`)
	m := re.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no %q line in:\n%s", name, out)
	}
	return m[1]
}

// jsonValue decodes ConvertTo-Json output.
func jsonValue(t *testing.T, out string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	return v
}
