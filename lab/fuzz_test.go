package lab

import (
	"bytes"
	"context"
	"encoding/xml"
	"strings"
	"testing"
	"time"
)

// FuzzPowerShell runs arbitrary scripts: the interpreter must not panic or
// hang, and whatever it writes to stderr as CLIXML must be well-formed XML.
func FuzzPowerShell(f *testing.F) {
	for _, s := range []string{
		"Get-WBSummary | ConvertTo-Json",
		"$x = Get-Service VSS; $x.Status; \"$($x.Name):\"",
		"Foo-Bar -x 'a<b>&c'",
		"@{a=1;b=@(1,'x')} | ConvertTo-Json -Depth 1",
		"Get-WinEvent -FilterHashtable @{LogName='Microsoft-Windows-Backup'; Id=4,5} -MaxEvents 2",
		"if ($true) { 'x' }",
		"'{0:N2}' -f 3.14159; [int]'12' + 1; -not $false",
		"Get-Volume | Where-Object { $_.DriveLetter -eq 'C' } | Select-Object DriveLetter, @{N='GB';E={$_.Size / 1GB}}",
		"\"unterminated",
		"$P.Drive; exit 3",
		"Restart-Service SQLWriter -Force; vssadmin list writers",
		"<# c #> Write-Host a`\n b # comment",
	} {
		f.Add(s)
	}
	tb := newTables()
	f.Fuzz(func(t *testing.T, script string) {
		h, err := newHost("fuzz", ScenarioHealthy, tb)
		if err != nil {
			t.Fatal(err)
		}
		defer h.close()
		h.SetBackupDuration(5 * time.Millisecond)
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		var o, e bytes.Buffer
		h.Run(ctx, "powershell -encodedcommand "+utf16b64(script), "u", strings.NewReader(""), &o, &e)
		if s := e.String(); strings.HasPrefix(s, "#< CLIXML\r\n") {
			var doc struct {
				S []string `xml:"S"`
			}
			if err := xml.Unmarshal([]byte(strings.TrimPrefix(s, "#< CLIXML\r\n")), &doc); err != nil {
				t.Fatalf("CLIXML not well-formed: %v\n%q", err, s)
			}
		}
	})
}

// FuzzCmdLine runs arbitrary cmd.exe lines: no panic, no hang, and an
// unknown command always fails.
func FuzzCmdLine(f *testing.F) {
	for _, s := range []string{
		"vssadmin list writers", "echo a && echo b>&2 || exit 3", "mountvol Z: \\\\?\\Volume{x}\\",
		"fsutil usn deletejournal /N /D Z:", "cmd /c \"net stop VSS & net start VSS\"", "foo | findstr x",
		"echo %COMPUTERNAME% > nul", "^&^|", "wbadmin get versions -backupTarget:E:",
	} {
		f.Add(s)
	}
	tb := newTables()
	f.Fuzz(func(t *testing.T, line string) {
		h, err := newHost("fuzz", ScenarioReservedFull, tb)
		if err != nil {
			t.Fatal(err)
		}
		defer h.close()
		h.SetBackupDuration(5 * time.Millisecond)
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		var o, e bytes.Buffer
		code := h.Run(ctx, line, "u", strings.NewReader(""), &o, &e)
		if strings.Contains(e.String(), "is not recognized as an internal or external command") && !strings.Contains(line, "&") && !strings.Contains(line, "|") && code == 0 {
			t.Fatalf("unknown command succeeded: %q", line)
		}
	})
}
