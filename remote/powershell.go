package remote

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"unicode/utf16"
)

// Bootstrap is the constant PowerShell program every PowerShell step runs.
// It reads stdin to the end, base64-decodes it as UTF-8 and runs the result
// as a script block. Because the command line only ever carries this
// constant, it stays far below cmd.exe's 8191-character limit whatever the
// script's length, and no data is ever spliced into code.
const Bootstrap = `$ProgressPreference='SilentlyContinue';$s=[Console]::In.ReadToEnd();& ([ScriptBlock]::Create([Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($s.Trim()))))`

// psCommandLine is the command line prefix; the base64 of Bootstrap follows.
const psCommandLine = "powershell.exe -NoLogo -NoProfile -NonInteractive -ExecutionPolicy Bypass -EncodedCommand "

// maxCmdLine is cmd.exe's command-line limit, in UTF-16 code units.
const maxCmdLine = 8191

// EncodePowerShell builds what a PowerShell step sends: the constant command
// line that runs Bootstrap, and the stdin that carries the script.
//
// stdin is base64(UTF-8(prologue + "\n" + script)) + "\r\n", where the
// one-line prologue
//
//	$P = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('<base64 JSON>')) | ConvertFrom-Json
//
// makes params available as $P.Name. Parameters are therefore pure data.
// A nil or empty params map becomes {}. It fails when params cannot be
// marshalled to JSON.
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
	n := base64.StdEncoding.EncodedLen(len(full))
	stdin = make([]byte, n+2)
	base64.StdEncoding.Encode(stdin, []byte(full))
	copy(stdin[n:], "\r\n")
	return psCommandLine + base64.StdEncoding.EncodeToString(utf16LE(Bootstrap)), stdin, nil
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
