package remote

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"unicode/utf16"
)

// bootstrapHead silences progress records (which PowerShell would
// otherwise serialise into stderr as CLIXML) before the script runs.
const bootstrapHead = `$ProgressPreference='SilentlyContinue';`

// Bootstrap is the constant PowerShell program a step with parameters (or
// a script too long for the command line) runs. It reads stdin to the
// end, base64-decodes it as UTF-8 and runs the result as a script block.
// Because the command line only ever carries this constant, it stays far
// below cmd.exe's 8191-character limit whatever the script's length, and
// no data is ever spliced into code.
const Bootstrap = bootstrapHead + `$s=[Console]::In.ReadToEnd();& ([ScriptBlock]::Create([Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($s.Trim()))))`

// inlineBootstrap is Bootstrap with stdin replaced by a literal: the same
// script block, made from base64 that sits in a single-quoted string
// (whose alphabet cannot end the string), in the same scope.
func inlineBootstrap(b64 string) string {
	return bootstrapHead + `& ([ScriptBlock]::Create([Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('` + b64 + `'))))`
}

// psCommandLine is the command line prefix; the base64 of Bootstrap follows.
const psCommandLine = "powershell.exe -NoLogo -NoProfile -NonInteractive -ExecutionPolicy Bypass -EncodedCommand "

// maxCmdLine is cmd.exe's command-line limit, in UTF-16 code units.
const maxCmdLine = 8191

// bootstrapLine is the constant command line that runs Bootstrap.
var bootstrapLine = psCommandLine + base64.StdEncoding.EncodeToString(utf16LE(Bootstrap))

// EncodePowerShell builds what a PowerShell step sends: a command line,
// and the stdin that carries the script, or nil when the command line
// carries it.
//
// The script travels as base64(UTF-8(prologue + "\n" + script)), where the
// one-line prologue
//
//	$P = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('<base64 JSON>')) | ConvertFrom-Json
//
// makes params available as $P.Name. Parameters are therefore pure data.
// A nil or empty params map becomes {}. It fails when params cannot be
// marshalled to JSON.
//
// With parameters, the command line is the constant one that runs
// Bootstrap and stdin is that base64 + "\r\n": a parameter never appears
// on a command line (process-creation auditing logs command lines). A
// script without parameters is sent as masterzen's Powershell and
// pywinrm's run_ps send every script: whole on the command line, as the
// base64 literal of inlineBootstrap, with no stdin. That saves the Send,
// one round trip of the four or five a fresh host costs. It falls back to
// Bootstrap and stdin when that line would pass maxCmdLine (an ASCII
// script of more than 2,085 characters).
func EncodePowerShell(script string, params map[string]any) (cmdline string, stdin []byte, err error) {
	js := []byte("{}")
	if len(params) > 0 {
		js, err = json.Marshal(params)
		if err != nil {
			return "", nil, fmt.Errorf("encode parameters as JSON: %w", err)
		}
	}
	full := "$P = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('" +
		base64.StdEncoding.EncodeToString(js) + "')) | ConvertFrom-Json\n" + script
	b64 := base64.StdEncoding.EncodeToString([]byte(full))
	if len(params) == 0 {
		// The inline program is ASCII: its UTF-16 length is its length,
		// and base64 turns every 3 bytes of its UTF-16LE into 4 characters.
		inline := inlineBootstrap(b64)
		if len(psCommandLine)+base64.StdEncoding.EncodedLen(2*len(inline)) <= maxCmdLine {
			return psCommandLine + base64.StdEncoding.EncodeToString(utf16LE(inline)), nil, nil
		}
	}
	return bootstrapLine, []byte(b64 + "\r\n"), nil
}

// utf16LE encodes s as UTF-16 little-endian, what -EncodedCommand expects.
func utf16LE(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		binary.LittleEndian.PutUint16(b[2*i:], c)
	}
	return b
}

// utf16Len is the length of s in UTF-16 code units, the unit of cmd.exe's
// command-line limit.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}
