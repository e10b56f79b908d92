package remote

import (
	"regexp"
	"strings"
	"testing"

	"github.com/masterzen/winrm"
)

var messageIDRE = regexp.MustCompile(`uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}`)

// TestRequestsAreMasterzens: every message newRequest writes is, byte for
// byte, what masterzen's builder prints for the same values, but for the
// MessageID, a fresh random UUID each time; with the parameters of
// several targets, values with XML-special characters and stdin of
// several sizes.
func TestRequestsAreMasterzens(t *testing.T) {
	params := []winrm.Parameters{*winrm.DefaultParameters, *winrm.DefaultParameters}
	params[0].Timeout, params[0].Locale, params[0].EnvelopeSize = isoDuration(60e9), "en-US", envelopeSize
	params[1].Timeout, params[1].Locale, params[1].EnvelopeSize = isoDuration(1500e6), "ja-JP", 512000
	fields := []requestFields{
		{url: "http://10.0.0.1:5985/wsman", shellID: "11AA-22BB", commandID: "33CC-44DD", command: "powershell.exe -EncodedCommand QQBCAA==", input: []byte("abc\r\n")},
		{url: "https://[fe80::1]:5986/wsman", shellID: "s&<x>", commandID: "c\"'", command: "cmd /c echo <a> & \"b\" ]]>", input: nil},
		{input: []byte{}},
		{url: "http://h/wsman", shellID: "\x00url\x00", commandID: "uuid:x", command: "", input: []byte(strings.Repeat("\x00\xff payload ", 5000))},
	}
	kinds := []requestKind{reqCreate, reqCommand, reqSend, reqSendEnd, reqReceive, reqSignal, reqDelete}
	seen := map[string]bool{}
	for pi := range params {
		p := &params[pi]
		for _, k := range kinds {
			for fi, f := range fields {
				r := newRequest(k, f, p)
				if r.op != k.op() {
					t.Errorf("%s: op %q", k.op(), r.op)
				}
				ids := messageIDRE.FindAllString(r.body, -1)
				if len(ids) != 1 {
					t.Fatalf("%s fields %d: %d version-4 MessageIDs in\n%s", k.op(), fi, len(ids), r.body)
				}
				if seen[ids[0]] {
					t.Errorf("MessageID %s used twice", ids[0])
				}
				seen[ids[0]] = true
				want := masterzenRequest(k, f, p).String()
				theirs := messageIDRE.FindAllString(want, -1)
				if len(theirs) != 1 {
					t.Fatalf("masterzen's %s message has %d MessageIDs", k.op(), len(theirs))
				}
				if want = strings.Replace(want, theirs[0], ids[0], 1); r.body != want {
					t.Errorf("%s, params %d, fields %d:\n got %q\nwant %q", k.op(), pi, fi, r.body, want)
				}
				if got := opOf(r.body); got != k.op() {
					t.Errorf("%s: the body reads as %q", k.op(), got)
				}
				if built := r.build().String(); messageIDRE.ReplaceAllString(built, "") != messageIDRE.ReplaceAllString(r.body, "") {
					t.Errorf("%s: build() is not the same message", k.op())
				}
			}
		}
	}
}
