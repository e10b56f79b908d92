package runbooks

import (
	"strings"
	"testing"
)

func TestReadOnlyAllowsWhatOnlyReads(t *testing.T) {
	for _, tc := range []struct {
		shell  Shell
		script string
	}{
		{ShellPowerShell, "Get-Service -Name VSS | Select-Object Name,Status | ConvertTo-Json"},
		{ShellPowerShell, "$ErrorActionPreference = 'SilentlyContinue'\n$pol = Get-WBPolicy\n@{ bmr = $pol.BMR; n = @($pol.BackupTargets | Where-Object { $_ }).Count } | ConvertTo-Json -Depth 3"},
		{ShellPowerShell, "$srv = $P.share.Split('\\') | Where-Object { $_ -ne '' } | Select-Object -First 1\nTest-NetConnection -ComputerName $srv -Port 445"},
		{ShellPowerShell, "Get-WinEvent -FilterHashtable @{LogName='Microsoft-Windows-Backup'; Id=18} -MaxEvents 5 | Select-Object @{n='Time';e={$_.TimeCreated}}"},
		{ShellPowerShell, "vssadmin list writers 2>&1 | Out-String"},
		{ShellPowerShell, "fsutil usn queryjournal C: 2>$null"},
		{ShellPowerShell, "mountvol"},
		{ShellPowerShell, "[math]::Round((Get-Volume -DriveLetter C).SizeRemaining / 1MB, 1)"},
		{ShellPowerShell, "\"$($env:COMPUTERNAME): $((Get-Date).AddDays(-1).ToString('s'))\""},
		{ShellPowerShell, "if ($x -eq 1) { Get-Service } elseif ($y) { Get-Process } else { 'none' }\nforeach ($s in Get-Service) { $s.Name }"},
		{ShellPowerShell, "try { Get-WBSummary } catch { Write-Output $_.Exception.Message }"},
		{ShellPowerShell, "Get-Service | % { $_.Name } | ? { $_ -like 'S*' } | sort"},
		{ShellPowerShell, "# Remove-Item in a comment\n<# Stop-Computer #>\nGet-Date"},
		{ShellPowerShell, "'Remove-Item C:\\x' | Out-String"},
		{ShellCmd, "vssadmin list shadowstorage"},
		{ShellCmd, "wbadmin get versions 2>nul"},
		{ShellCmd, "fsutil fsinfo volumeinfo C:"},
		{ShellCmd, "mountvol C:\\ /L"},
		{ShellCmd, "sc query VSS && vssadmin list writers"},
	} {
		if ps := readOnlyProblems(tc.shell, tc.script); len(ps) != 0 {
			t.Errorf("%s %q refused: %+v", tc.shell, tc.script, ps)
		}
	}
}

// TestReadOnlyRefusesChangesAndDynamicCode holds the scripts that walked
// past the old substring guard, and the usual ways to hide a change.
func TestReadOnlyRefusesChangesAndDynamicCode(t *testing.T) {
	for _, tc := range []struct {
		shell        Shell
		script, want string
	}{
		{ShellPowerShell, "Stop-Computer -Force", "stop-computer"},
		{ShellCmd, "format D: /q /y", "format"},
		{ShellPowerShell, "& $P.x", "call operator"},
		{ShellPowerShell, "$ExecutionContext.InvokeCommand.InvokeScript('Remove-Item C:\\x')", "$ExecutionContext"},
		{ShellPowerShell, "&(gcm I*-Ex*n) 'Remove-Item x'", "call operator"},
		{ShellPowerShell, "cmd.exe /c del x", "cmd.exe"},
		{ShellPowerShell, "Rem`ove-Item C:\\x", "remove-item"},
		{ShellPowerShell, "Microsoft.PowerShell.Management\\Remove-Item C:\\x", "remove-item"},
		{ShellPowerShell, "Get-ChildItem C:\\x | Remove\u2013Item", "remove-item"},
		{ShellPowerShell, "Get-Service VSS | Stop-Service", "stop-service"},
		{ShellPowerShell, "Get-Service VSS | ForEach-Object Stop", "member-name"},
		{ShellPowerShell, "Get-Service VSS | % -MemberName Stop", "-membername"},
		{ShellPowerShell, "Remove-Item =,'C:\\x'", "remove-item"},
		{ShellPowerShell, "(Get-Item C:\\x).Attributes = 'Hidden'", "property attributes"},
		{ShellPowerShell, "$f = Get-Item C:\\x; $f.LastWriteTime += 1", "property lastwritetime"},
		{ShellPowerShell, "(Get-Service VSS).Stop()", ".stop()"},
		{ShellPowerShell, "(Get-Service VSS).ForEach('Stop')", "script block"},
		{ShellPowerShell, "[IO.File]::Delete('C:\\x')", "[io.file]::delete"},
		{ShellPowerShell, "[scriptblock]::Create('Remove-Item x').Invoke()", "[scriptblock]::create"},
		{ShellPowerShell, "[Environment]::Exit(1)", "[environment]::exit"},
		{ShellPowerShell, "Get-Process > C:\\procs.txt", "redirection"},
		{ShellPowerShell, ". $P.script", "dot-source"},
		{ShellPowerShell, "\"$(Remove-Item C:\\x)\"", "remove-item"},
		{ShellPowerShell, "@\"\n$(Stop-Service VSS)\n\"@", "stop-service"},
		{ShellPowerShell, "Get-Date; Invoke-Command -ScriptBlock { 1 }", "invoke-command"},
		{ShellPowerShell, "Start-Process notepad", "start-process"},
		{ShellPowerShell, "iex 'Remove-Item x'", "iex"},
		{ShellPowerShell, "Set-Content -Path \\\\nas\\b\\f -Value x", "set-content"},
		{ShellPowerShell, "Test-ComputerSecureChannel -Repair", "-repair"},
		{ShellPowerShell, "function Get-X { Remove-Item x }\nGet-X", "function"},
		{ShellPowerShell, "if ($true) { Restart-Service VSS }", "restart-service"},
		{ShellPowerShell, "$x = @{ a = (Remove-Item x) }", "remove-item"},
		{ShellPowerShell, "vssadmin delete shadows /all /quiet", "vssadmin delete"},
		{ShellPowerShell, "fsutil usn deletejournal /N /D Z:", "fsutil usn deletejournal"},
		{ShellPowerShell, "mountvol Z: \\\\?\\Volume{x}\\", "mountvol"},
		{ShellCmd, "vssadmin delete shadows /all", "vssadmin delete"},
		{ShellCmd, "wbadmin delete catalog -quiet", "wbadmin delete"},
		{ShellCmd, "mountvol Z: /D", "mountvol z: /d"},
		{ShellCmd, "v^ssadmin delete shadows /all", "vssadmin delete"},
		{ShellCmd, "vssadmin list writers & del C:\\x", "del"},
		{ShellCmd, "vssadmin list writers | del C:\\x", "del"},
		{ShellCmd, "%COMSPEC% /c del x", "expands a variable"},
		{ShellCmd, "vssadmin list writers > C:\\x.txt", "redirection"},
		{ShellCmd, "net use Z: \\\\nas\\share", "net use z:"},
		{ShellCmd, "sc stop VSS", "sc stop"},
	} {
		ps := readOnlyProblems(tc.shell, tc.script)
		if len(ps) == 0 {
			t.Errorf("%s %q passed as read-only", tc.shell, tc.script)
			continue
		}
		var all []string
		for _, p := range ps {
			all = append(all, p.Msg)
		}
		if text := strings.ToLower(strings.Join(all, " | ")); !strings.Contains(text, strings.ToLower(tc.want)) {
			t.Errorf("%q: problems %q do not name %q", tc.script, text, tc.want)
		}
	}
}

func TestReadOnlyProblemLine(t *testing.T) {
	ps := readOnlyProblems(ShellPowerShell, "Get-Date\n\"a\nb\"\nRemove-Item x")
	if len(ps) != 1 || ps[0].Line != 4 {
		t.Fatalf("problems %+v, want one on line 4", ps)
	}
}

func FuzzReadOnlyProblems(f *testing.F) {
	for _, s := range []string{"Get-Service | Select-Object Name", "& $P.x", "\"$(Remove-Item x)\"", "@\"\n$(x)\n\"@",
		"[IO.File]::Delete('x')", "$a[0].Split(',')", "<# x", "'unterminated", "vssadmin list writers 2>&1", "((((", "}}}"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, script string, cmd bool) {
		shell := ShellPowerShell
		if cmd {
			shell = ShellCmd
		}
		ps := readOnlyProblems(shell, script)
		if again := readOnlyProblems(shell, script); len(again) != len(ps) {
			t.Fatalf("not deterministic: %d then %d problems", len(ps), len(again))
		}
		// A change at the start of a script is always found.
		if !cmd && len(readOnlyProblems(shell, "Remove-Item x\n"+script)) == 0 {
			t.Fatalf("Remove-Item before %q passed", script)
		}
	})
}
