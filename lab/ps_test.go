package lab

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/masterzen/winrm"

	"github.com/wsbbot/wsbbot/internal/winout"
	"github.com/wsbbot/wsbbot/lab/ps"
)

func TestPowerShellEncodings(t *testing.T) {
	h := newTestHost(t, ScenarioHealthy)
	script := "Write-Output $env:COMPUTERNAME\nGet-WBBareMetalRecovery"
	tests := []struct {
		name, line, stdin string
	}{
		{"masterzen winrm.Powershell", winrm.Powershell(script), ""},
		{"pywinrm run_ps", pywinrmLine(script), ""},
		{"-Command", `powershell -NoProfile -Command "Write-Output $env:COMPUTERNAME; Get-WBBareMetalRecovery"`, ""},
		{"stdin transport", transportLine(), transportStdin(t, nil, script)},
		{"cmd /c wrapper", "cmd /c " + pywinrmLine(script), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, h, tc.line, tc.stdin)
			if r.stdout != "HEALTHY\r\nTrue\r\n" || r.stderr != "" || r.code != 0 {
				t.Errorf("got %+v", r)
			}
		})
	}
}

func TestTransportParameters(t *testing.T) {
	h := newTestHost(t, ScenarioHealthy)
	params := map[string]any{"Service": `SQL'Wri"ter $(x)`, "Drive": "Z:", "N": 3, "Path": `\\nas01\backup`}
	script := `Write-Output $P.Service
Write-Output "$($P.Drive)\x"
Write-Output ($P.N + 1)
Write-Output "$P.Drive"
Write-Output $P.Path`
	r := runPS(t, h, params, script)
	want := "SQL'Wri\"ter $(x)\r\nZ:\\x\r\n4\r\n@{Drive=Z:; N=3; Path=\\\\nas01\\backup; Service=SQL'Wri\"ter $(x)}.Drive\r\n\\\\nas01\\backup\r\n"
	if r.stdout != want || r.code != 0 || r.stderr != "" {
		t.Errorf("got %q (code %d, stderr %q)\nwant %q", r.stdout, r.code, r.stderr, want)
	}
	// No parameters: the prologue carries {}.
	if r := runPS(t, h, nil, "Write-Output ($P -eq $null)"); r.stdout != "False\r\n" {
		t.Errorf("empty params: %+v", r)
	}
}

func TestConvertToJSONLikePS51(t *testing.T) {
	h := newTestHost(t, ScenarioHealthy)
	tests := []struct{ script, want string }{
		{"@{a=1; b=@(1,'x'); c=@{d=$true}; e=$null} | ConvertTo-Json",
			"{\r\n    \"a\":  1,\r\n    \"b\":  [\r\n              1,\r\n              \"x\"\r\n          ],\r\n    \"c\":  {\r\n              \"d\":  true\r\n          },\r\n    \"e\":  null\r\n}\r\n"},
		{"@{a=1; b=@(1,'x'); c=@{d=$true}; e=$null} | ConvertTo-Json -Compress", `{"a":1,"b":[1,"x"],"c":{"d":true},"e":null}` + "\r\n"},
		{"'<O''Brien & Co>' | ConvertTo-Json", `"\u003cO\u0027Brien \u0026 Co\u003e"` + "\r\n"},
		{"@(1,2) | ConvertTo-Json", "[\r\n    1,\r\n    2\r\n]\r\n"},
		{"ConvertTo-Json -InputObject @() -Compress", "[]\r\n"},
	}
	for _, tc := range tests {
		if r := runPS(t, h, nil, tc.script); r.stdout != tc.want || r.code != 0 {
			t.Errorf("%s:\n got %q\nwant %q (code %d %s)", tc.script, r.stdout, tc.want, r.code, r.stderr)
		}
	}
	// Dates, unsigned HRESULTs, depth 2.
	r := runPS(t, h, nil, "Get-WBSummary | ConvertTo-Json")
	if !regexp.MustCompile(`"LastBackupTime":  "\\/Date\(\d{13}\)\\/"`).MatchString(r.stdout) {
		t.Errorf("date not in 5.1 form:\n%s", r.stdout)
	}
	pol, _ := jsonValue(t, runPS(t, h, nil, "Get-WBPolicy | ConvertTo-Json").stdout).(map[string]any)
	targets, _ := pol["BackupTargets"].([]any)
	first, _ := targets[0].(map[string]any)
	if _, isString := first["WBDisk"].(string); !isString || pol["BMR"] != true {
		t.Errorf("depth 2 should flatten WBDisk to a string: %v", first)
	}
	pol4, _ := jsonValue(t, runPS(t, h, nil, "Get-WBPolicy | ConvertTo-Json -Depth 4").stdout).(map[string]any)
	first4, _ := pol4["BackupTargets"].([]any)[0].(map[string]any)
	if d, ok := first4["WBDisk"].(map[string]any); !ok || d["DiskNumber"] != float64(2) {
		t.Errorf("depth 4: %v", first4["WBDisk"])
	}
}

func TestWBSummaryEveryScenario(t *testing.T) {
	wants := map[string][2]string{
		ScenarioWriterFailed:     {"0x807800A1", "0x800423F4"},
		ScenarioReservedFull:     {"0x80780119", "0x8004231F"},
		ScenarioShareUnreachable: {"0x807800C5", "0x80070005"},
		ScenarioTargetMissing:    {"0x80780166", "0x800701B1"},
	}
	sampleNames := reListProp.FindAllStringSubmatch(sample(t, "other/get-wbsummary_frCA-01_auditwsbackup_success-ws2022.txt"), -1)
	for _, sc := range Scenarios() {
		t.Run(sc, func(t *testing.T) {
			h := newTestHost(t, sc)
			r := runPS(t, h, nil, "Get-WBSummary")
			if r.code != 0 || !strings.HasPrefix(r.stdout, "\r\n\r\nNextBackupTime ") {
				t.Fatalf("Get-WBSummary: %+v", r)
			}
			names := reListProp.FindAllStringSubmatch(r.stdout, -1)
			if len(names) != len(sampleNames) {
				t.Fatalf("%d properties, the real sample has %d", len(names), len(sampleNames))
			}
			for i := range names {
				if names[i][1] != sampleNames[i][1] {
					t.Errorf("property %d is %s, the sample's %s", i, names[i][1], sampleNames[i][1])
				}
			}
			s, err := winout.ParseWBSummary(r.stdout)
			if err != nil {
				t.Fatalf("winout.ParseWBSummary: %v", err)
			}
			want := [2]string{"0x00000000", "0x00000000"}
			if w, ok := wants[sc]; ok {
				want = w
			}
			if s.LastBackupResultHR != want[0] || s.LastBackupResultDetailedHR != want[1] {
				t.Errorf("HR %s/%s, want %s/%s", s.LastBackupResultHR, s.LastBackupResultDetailedHR, want[0], want[1])
			}
			if sc == ScenarioReservedFull && propLine(t, r.stdout, "LastBackupResultHR") != "2155348249" {
				t.Errorf("LastBackupResultHR not unsigned decimal: %s", propLine(t, r.stdout, "LastBackupResultHR"))
			}
			dateRe := `^\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d\d:\d\d [AP]M$`
			if sc == ScenarioJapanese {
				dateRe = `^\d{4}/\d\d/\d\d \d{1,2}:\d\d:\d\d$`
			}
			if d := propLine(t, r.stdout, "LastBackupTime"); !regexp.MustCompile(dateRe).MatchString(d) {
				t.Errorf("LastBackupTime %q not in the host's culture", d)
			}
			fl := runPS(t, h, nil, "Get-WBSummary | Format-List LastBackupResultHR, LastBackupResultDetailedHR")
			if got := reListProp.FindAllString(fl.stdout, -1); len(got) != 2 {
				t.Errorf("Format-List with properties: %q", fl.stdout)
			}
		})
	}
}

// scenarioFacts are the checklist-relevant facts of a host, read through
// PowerShell the way a runbook would.
type scenarioFacts struct {
	writersStable  bool
	reservedFreeOK bool
	shareOK        bool
	targetPresent  bool
	bmr            bool
	sameDisk       bool
	offsite        bool
	avExclusion    bool
	restoreTested  bool
	japanese       bool
	lastBackupOK   bool
}

func factsOf(t *testing.T, h *Host) scenarioFacts {
	t.Helper()
	var f scenarioFacts
	ws, err := winout.ParseVSSWriters(runCmd(t, h, "vssadmin list writers").stdout)
	if err != nil {
		t.Fatal(err)
	}
	f.writersStable = len(ws.NotStable()) == 0

	vol, _ := jsonValue(t, runPS(t, h, nil, `Get-CimInstance -ClassName Win32_Volume -Filter "Label = 'System Reserved'" | Select-Object Label, FreeSpace, Capacity | ConvertTo-Json`).stdout).(map[string]any)
	free, _ := vol["FreeSpace"].(float64)
	f.reservedFreeOK = free >= 320*(1<<20)

	r := runPS(t, h, nil, `Test-Path '\\nas01\backup'`)
	f.shareOK = r.stdout == "True\r\n"

	targets := jsonValue(t, runPS(t, h, nil, "ConvertTo-Json -InputObject @(Get-WBBackupTarget) -Depth 3").stdout).([]any)
	for _, x := range targets {
		tg := x.(map[string]any)
		switch tg["TargetType"] {
		case float64(1), float64(0):
			f.targetPresent = true
		case float64(2):
			f.offsite = true
		}
		if tg["TargetType"] == float64(0) {
			letter := strings.TrimSuffix(tg["Path"].(string), ":")
			dn := func(l string) string {
				return strings.TrimSpace(runPS(t, h, map[string]any{"L": l}, "(Get-Partition -DriveLetter $P.L).DiskNumber").stdout)
			}
			f.sameDisk = dn(letter) == dn("D") || dn(letter) == dn("C")
		}
	}
	f.bmr = runPS(t, h, nil, "Get-WBBareMetalRecovery").stdout == "True\r\n"

	mp := runPS(t, h, nil, "Get-MpPreference")
	excl := propLine(t, mp.stdout, "ExclusionPath")
	f.avExclusion = strings.Contains(excl, `E:\`)

	n := runPS(t, h, nil, fmt.Sprintf("@(Get-WinEvent -FilterHashtable @{LogName='Microsoft-Windows-Backup'; Id=%d; StartTime=(Get-Date).AddDays(-183)} -ErrorAction SilentlyContinue).Count", EventRestoreCompleted))
	f.restoreTested = n.stdout == "1\r\n"

	f.japanese = strings.Contains(runCmd(t, h, "vssadmin list writers").stdout, "ライター名")
	hr, det := h.LastBackupResult()
	f.lastBackupOK = hr == 0 && det == 0
	return f
}

// TestScenarioViolatesOnlyItsProblem compares each scenario's facts with
// the healthy host's: exactly the scenario's own facts differ.
func TestScenarioViolatesOnlyItsProblem(t *testing.T) {
	healthy := factsOf(t, newTestHost(t, ScenarioHealthy))
	want := scenarioFacts{writersStable: true, reservedFreeOK: true, shareOK: true, targetPresent: true, bmr: true, offsite: true, avExclusion: true, restoreTested: true, lastBackupOK: true}
	if healthy != want {
		t.Fatalf("healthy facts %+v", healthy)
	}
	for _, sc := range Scenarios()[1:] {
		t.Run(sc, func(t *testing.T) {
			t.Parallel()
			w := want
			switch sc {
			case ScenarioWriterFailed:
				w.writersStable, w.lastBackupOK = false, false
			case ScenarioReservedFull:
				w.reservedFreeOK, w.lastBackupOK = false, false
			case ScenarioShareUnreachable:
				w.shareOK, w.lastBackupOK = false, false
			case ScenarioTargetMissing:
				w.targetPresent, w.lastBackupOK = false, false
			case ScenarioNoBMR:
				w.bmr = false
			case ScenarioSameDisk:
				w.sameDisk = true
			case ScenarioNoOffsite:
				w.offsite = false
			case ScenarioNoAVExclusion:
				w.avExclusion = false
			case ScenarioNoRestoreTest:
				w.restoreTested = false
			case ScenarioJapanese:
				w.japanese = true
			}
			if got := factsOf(t, newTestHost(t, sc)); got != w {
				t.Errorf("facts\n got %+v\nwant %+v", got, w)
			}
		})
	}
}

func TestUnknownCmdletCLIXML(t *testing.T) {
	tests := []struct {
		scenario, want, at string
	}{
		{ScenarioHealthy, "Foo-Bar : The term 'Foo-Bar' is not recognized as the name of a cmdlet, function, script file, or operable program. Check the spelling of the name, or if a path was included, verify that the path is correct and try again.", "At line:2 char:1"},
		{ScenarioJapanese, "Foo-Bar : 用語 'Foo-Bar' は、コマンドレット、関数、スクリプト ファイル、または操作可能なプログラムの名前として認識されません。", "発生場所 行:2 文字:1"},
	}
	for _, tc := range tests {
		t.Run(tc.scenario, func(t *testing.T) {
			h := newTestHost(t, tc.scenario)
			r := runPS(t, h, nil, "Foo-Bar -Name x\nWrite-Output 'not reached'")
			if r.code != 1 || r.stdout != "" {
				t.Fatalf("code %d stdout %q", r.code, r.stdout)
			}
			text := decodeCLIXML(t, r.stderr, "Error")
			flat := unwrapConsole(text)
			if !strings.Contains(squash(text), squash(tc.want)) || !strings.Contains(text, tc.at) ||
				!strings.Contains(flat, "+ CategoryInfo : ObjectNotFound: (Foo-Bar:String) [], CommandNotFoundException") ||
				!strings.Contains(flat, "+ FullyQualifiedErrorId : CommandNotFoundException") {
				t.Errorf("error text:\n%s", text)
			}
			for _, l := range strings.Split(text, "\r\n") {
				if ps.CellWidth(l) >= 80 {
					t.Errorf("line wider than the console: %q", l)
				}
			}
			// The same through pywinrm's encoding: a first-line position.
			r = run(t, h, pywinrmLine("Foo-Bar"), "")
			if r.code != 1 || !strings.Contains(decodeCLIXML(t, r.stderr, "Error"), strings.ReplaceAll(tc.at, "2", "1")) {
				t.Errorf("pywinrm: %+v", r)
			}
		})
	}
}

func TestErrorsAndPreferences(t *testing.T) {
	h := newTestHost(t, ScenarioHealthy)
	// A non-terminating error goes to stderr and the script goes on.
	r := runPS(t, h, nil, "Get-Service -Name NoSuch\nWrite-Output after")
	if r.code != 0 || r.stdout != "after\r\n" || !strings.Contains(unwrapConsole(decodeCLIXML(t, r.stderr, "Error")), "Get-Service : Cannot find any service with service name 'NoSuch'.") {
		t.Errorf("non-terminating: %+v", r)
	}
	// ... but with Stop it ends the script with exit code 1.
	r = runPS(t, h, nil, "$ErrorActionPreference = 'Stop'\nGet-Service -Name NoSuch\nWrite-Output after")
	if r.code != 1 || r.stdout != "" || r.stderr == "" {
		t.Errorf("Stop: %+v", r)
	}
	// -ErrorAction SilentlyContinue hides it; the last statement failed.
	r = runPS(t, h, nil, "Get-Service -Name NoSuch -ErrorAction SilentlyContinue")
	if r.code != 1 || r.stdout != "" || r.stderr != "" {
		t.Errorf("SilentlyContinue: %+v", r)
	}
	// Syntax the lab does not simulate fails before anything runs.
	r = runPS(t, h, nil, "Write-Output first\nwhile ($true) { 'x' }")
	if r.code != 1 || r.stdout != "" || !strings.Contains(unwrapConsole(decodeCLIXML(t, r.stderr, "Error")), "does not simulate this PowerShell syntax: while (...) { ... }") {
		t.Errorf("unsupported syntax: %+v", r)
	}
	// exit N, throw, $LASTEXITCODE of a native command.
	if r = runPS(t, h, nil, "Write-Output a\nexit 7\nWrite-Output b"); r.code != 7 || r.stdout != "a\r\n" {
		t.Errorf("exit: %+v", r)
	}
	if r = runPS(t, h, nil, "throw 'boom'"); r.code != 1 || !strings.HasPrefix(decodeCLIXML(t, r.stderr, "Error"), "boom\r\n") {
		t.Errorf("throw: %+v", r)
	}
	if r = runPS(t, h, nil, "fsutil usn queryjournal Q:\nWrite-Output $LASTEXITCODE"); r.code != 0 || !strings.HasSuffix(r.stdout, "\r\n1\r\n") {
		t.Errorf("LASTEXITCODE: %+v", r)
	}
	// In PowerShell sc is Set-Content: `sc query VSS` writes a file named
	// "query", silently, as on Windows; sc.exe is the service controller.
	if r = runPS(t, h, nil, "sc query VSS"); r.code != 0 || r.stdout != "" || h.files["query"] != "VSS\r\n" {
		t.Errorf("sc is Set-Content in PowerShell: %+v", r)
	}
	if r = runPS(t, h, nil, "sc.exe query VSS"); r.code != 0 || !strings.Contains(r.stdout, "SERVICE_NAME: VSS") {
		t.Errorf("sc.exe: %+v", r)
	}
	// Write-Error has the fixture's shape (13_*): no position.
	r = run(t, h, pywinrmLine(`Write-Error "Error"`), "")
	if text := decodeCLIXML(t, r.stderr, "Error"); r.code != 1 || !strings.HasPrefix(text, "Write-Error \"Error\" : Error\r\n    + CategoryInfo          : NotSpecified: (:) [Write-Error], WriteErrorExcep \r\n   tion\r\n") {
		t.Errorf("Write-Error: %q", text)
	}
}

func TestHostCmdlets(t *testing.T) {
	h := newTestHost(t, ScenarioHealthy)
	tests := []struct {
		script string
		check  func(r result) bool
	}{
		{"$env:COMPUTERNAME", func(r result) bool { return r.stdout == "HEALTHY\r\n" }},
		{"Get-Service -Name SQLWriter", func(r result) bool {
			return regexp.MustCompile(`(?m)^Status\s+Name\s+DisplayName\r\n-+\s+-+\s+-+\r\nRunning\s+SQLWriter\s+SQL Server VSS Writer\r$`).MatchString(r.stdout)
		}},
		{"(Get-Service VSS).Status", func(r result) bool { return r.stdout == "Running\r\n" }},
		{"Get-Service VSS | ConvertTo-Json -Compress", func(r result) bool {
			return strings.Contains(r.stdout, `"Status":4`) && strings.Contains(r.stdout, `"StartType":3`)
		}},
		{"Get-WBBackupTarget | Select-Object -ExpandProperty TargetType", func(r result) bool { return r.stdout == "Disk\r\nNetwork\r\n" }},
		{"Get-WBJob", func(r result) bool { return strings.Contains(r.stdout, "JobState         : Unknown") }},
		{"Get-WBJob -Previous 1 | Select-Object -ExpandProperty HResult", func(r result) bool { return r.stdout == "0\r\n" }},
		{"Get-Volume -DriveLetter C | Select-Object -ExpandProperty FileSystem", func(r result) bool { return r.stdout == "NTFS\r\n" }},
		{"Get-Volume -DriveLetter Q", func(r result) bool {
			return r.code == 1 && strings.Contains(unwrapConsole(decodeCLIXML(t, r.stderr, "Error")), "No MSFT_Volume objects found with property 'DriveLetter' equal to 'Q'.")
		}},
		{"Get-Partition -DiskNumber 0 | Where-Object { -not $_.DriveLetter.Trim([char]0) } | Measure-Object | Select-Object -ExpandProperty Count", func(r result) bool { return r.stdout == "2\r\n" }},
		{"(Get-Partition -DriveLetter C).DiskNumber", func(r result) bool { return r.stdout == "0\r\n" }},
		{"Get-Disk | Select-Object -ExpandProperty Number", func(r result) bool { return r.stdout == "0\r\n1\r\n2\r\n" }},
		{"Get-PSDrive -PSProvider FileSystem | Select-Object -ExpandProperty Name", func(r result) bool { return r.stdout == "C\r\nD\r\nE\r\n" }},
		{"(Get-MpComputerStatus).AMServiceEnabled", func(r result) bool { return r.stdout == "True\r\n" }},
		{"Test-NetConnection -ComputerName nas01 -Port 445 -InformationLevel Quiet", func(r result) bool { return r.stdout == "True\r\n" }},
		{"(Test-NetConnection -ComputerName nas01 -Port 445).TcpTestSucceeded", func(r result) bool { return r.stdout == "True\r\n" }},
		{"Test-NetConnection -ComputerName nosuchhost -Port 445", func(r result) bool {
			return strings.Contains(r.stdout, "TcpTestSucceeded : False") && strings.Contains(decodeCLIXML(t, r.stderr, "warning"), "Name resolution of nosuchhost failed")
		}},
		{"(Get-SmbConnection -ServerName nas01).Dialect", func(r result) bool { return r.stdout == "3.1.1\r\n" }},
		{`Set-Content -Path '\\nas01\backup\wsbbot-write-test.txt' -Value x; Get-Content '\\nas01\backup\wsbbot-write-test.txt'; Remove-Item '\\nas01\backup\wsbbot-write-test.txt'; Test-Path '\\nas01\backup\wsbbot-write-test.txt'`,
			func(r result) bool { return r.stdout == "x\r\nFalse\r\n" && r.stderr == "" }},
		{"Get-WinEvent -LogName Microsoft-Windows-Backup -MaxEvents 3 | Select-Object -ExpandProperty Id", func(r result) bool { return r.stdout == "14\r\n4\r\n1\r\n" }},
		{"Get-WinEvent -LogName Microsoft-Windows-Backup -MaxEvents 1", func(r result) bool {
			return strings.Contains(r.stdout, "   ProviderName: Microsoft-Windows-Backup") && strings.Contains(r.stdout, "The backup operation has completed.")
		}},
		{"Get-CimInstance Win32_Volume | Where-Object DriveLetter -eq 'C:' | Select-Object -ExpandProperty Label", func(r result) bool { return r.stdout == "" && r.code == 0 }},
		{"(Get-CimInstance -ClassName Win32_OperatingSystem).Caption", func(r result) bool { return r.stdout == "Microsoft Windows Server 2019 Standard\r\n" }},
		{"Get-WmiObject -Class Win32_NoSuch", func(r result) bool {
			return r.code == 1 && strings.Contains(decodeCLIXML(t, r.stderr, "Error"), "Invalid class")
		}},
		{"Get-Command Get-WBSummary | Select-Object -ExpandProperty Source", func(r result) bool { return r.stdout == "WindowsServerBackup\r\n" }},
		{"'{0:N2} GB' -f ((Get-Volume -DriveLetter C).SizeRemaining / 1GB)", func(r result) bool { return regexp.MustCompile(`^\d+\.\d\d GB\r\n$`).MatchString(r.stdout) }},
		{"Get-Service | Where-Object { $_.Status -eq 'Stopped' } | Select-Object -ExpandProperty Name", func(r result) bool { return r.stdout == "wbengine\r\n" }},
		{"vssadmin list writers | Select-String 'State'", func(r result) bool { return r.code == 1 }},
	}
	for _, tc := range tests {
		t.Run(tc.script, func(t *testing.T) {
			r := runPS(t, h, nil, tc.script)
			if !tc.check(r) {
				t.Errorf("unexpected result: code %d\nstdout %q\nstderr %q", r.code, r.stdout, decodeCLIXML(t, r.stderr, "Error"))
			}
		})
	}
}

func TestMpPreferenceShape(t *testing.T) {
	re := regexp.MustCompile(`(?m)^(\w+)\s+: ?(.*?)\r?$`)
	want := re.FindAllStringSubmatch(sample(t, "other/get-mppreference_en-01_servicefabric-tsg_exclusionpath-set.txt"), -1)
	for _, sc := range []string{ScenarioHealthy, ScenarioNoAVExclusion} {
		h := newTestHost(t, sc)
		r := runPS(t, h, nil, "Get-MpPreference")
		got := re.FindAllStringSubmatch(r.stdout, -1)
		if len(got) != len(want) {
			t.Fatalf("%s: %d properties, sample has %d", sc, len(got), len(want))
		}
		for i := range got {
			if got[i][1] != want[i][1] {
				t.Errorf("property %d %s, sample %s", i, got[i][1], want[i][1])
			}
		}
		excl := propLine(t, r.stdout, "ExclusionPath")
		if sc == ScenarioHealthy && excl != `{E:\, \\nas01\backup, C:\Windows\Logs\WindowsServerBackup}` {
			t.Errorf("healthy ExclusionPath %q", excl)
		}
		if sc == ScenarioNoAVExclusion && excl != `{D:\MSSQL\DATA}` {
			t.Errorf("no-av-exclusion ExclusionPath %q", excl)
		}
	}
}

func TestShareScenario(t *testing.T) {
	h := newTestHost(t, ScenarioShareUnreachable)
	r := runPS(t, h, nil, `Set-Content -Path '\\nas01\backup\wsbbot-write-test.txt' -Value x`+"\n"+`Remove-Item -Path '\\nas01\backup\wsbbot-write-test.txt'`)
	text := unwrapConsole(decodeCLIXML(t, r.stderr, "Error"))
	if r.code != 1 || strings.Count(text, `Access to the path '\\nas01\backup\wsbbot-write-test.txt' is denied.`) != 2 || !strings.Contains(text, "PermissionDenied") {
		t.Errorf("write test: %d\n%s", r.code, text)
	}
	if r = runPS(t, h, nil, "(Get-SmbConnection -ServerName nas01).Dialect"); r.stdout != "2.0.2\r\n" {
		t.Errorf("dialect %q", r.stdout)
	}
	if r = runPS(t, h, nil, `Test-Path '\\nas01\backup'`); r.stdout != "False\r\n" {
		t.Errorf("Test-Path %q", r.stdout)
	}
	if r = runPS(t, h, nil, "(Test-NetConnection nas01 -Port 445).TcpTestSucceeded"); r.stdout != "True\r\n" {
		t.Errorf("the NAS answers on 445: %q", r.stdout)
	}
}

func TestFailedBackupEvent(t *testing.T) {
	h := newTestHost(t, ScenarioTargetMissing)
	ev, _ := jsonValue(t, runPS(t, h, nil, "Get-WinEvent -FilterHashtable @{LogName='Microsoft-Windows-Backup'; Id=5} -MaxEvents 1 | ConvertTo-Json -Depth 3").stdout).(map[string]any)
	props, _ := ev["Properties"].([]any)
	if ev["Id"] != float64(5) || ev["LevelDisplayName"] != "Error" || len(props) != 3 ||
		props[1].(map[string]any)["Value"] != float64(-2139618970) || !strings.Contains(ev["Message"].(string), "'0x80780166'") {
		t.Errorf("event 5: %v", ev)
	}
	if r := runPS(t, h, nil, "Get-Disk -Number 2"); r.code != 1 || !strings.Contains(unwrapConsole(decodeCLIXML(t, r.stderr, "Error")), "No MSFT_Disk objects found with property 'Number' equal to '2'.") {
		t.Errorf("Get-Disk 2: %+v", r)
	}
	if r := runPS(t, h, nil, "@(Get-WBBackupTarget).Count"); r.stdout != "1\r\n" {
		t.Errorf("targets %q", r.stdout)
	}
}

func TestRestartServiceBringsWritersBack(t *testing.T) {
	h := newTestHost(t, ScenarioWriterFailed)
	h.mu.Lock()
	h.writerByName("ASR Writer").state = 9
	h.writerByName("ASR Writer").lastErr = errTimeout
	h.mu.Unlock()
	before := reWriterID.FindAllString(runCmd(t, h, "vssadmin list writers").stdout, -1)
	if r := runPS(t, h, nil, "Restart-Service -Name Winmgmt"); r.code != 1 || !strings.Contains(unwrapConsole(decodeCLIXML(t, r.stderr, "Error")), "because it has dependent services") {
		t.Errorf("Restart-Service Winmgmt without -Force: %+v", r)
	}
	if r := runPS(t, h, map[string]any{"Service": "SQLWriter"}, "Restart-Service -Name $P.Service -PassThru | Select-Object -ExpandProperty Status"); r.code != 0 || r.stdout != "Running\r\n" {
		t.Fatalf("Restart-Service: %+v", r)
	}
	if st := h.WriterState(sqlWriter); st != 1 {
		t.Errorf("SqlServerWriter [%d] after restart", st)
	}
	if st := h.WriterState("ASR Writer"); st != 9 {
		t.Errorf("ASR Writer [%d] before the VSS restart", st)
	}
	if r := runPS(t, h, nil, "Restart-Service VSS -Force"); r.code != 0 {
		t.Fatalf("Restart-Service VSS: %+v", r)
	}
	if st := h.WriterState("ASR Writer"); st != 1 {
		t.Errorf("ASR Writer [%d] after the VSS restart", st)
	}
	if states := h.WriterStates(); len(states) != 11 {
		t.Errorf("writers %v", states)
	}
	out := runCmd(t, h, "vssadmin list writers").stdout
	after := reWriterID.FindAllString(out, -1)
	if slices.Equal(before, after) == false && len(before) != len(after) {
		t.Errorf("writer ids changed in number")
	}
	if strings.Count(out, "[1] Stable") != 11 {
		t.Errorf("not all stable:\n%s", out)
	}
}

func TestJobVisibleWhileRunning(t *testing.T) {
	h := newTestHost(t, ScenarioHealthy)
	h.SetBackupDuration(2 * time.Second)
	if err := h.StartBackup(); err != nil {
		t.Fatal(err)
	}
	r := runPS(t, h, nil, "Get-WBJob | Select-Object JobType, JobState | ConvertTo-Json -Compress")
	if r.stdout != `{"JobType":1,"JobState":2}`+"\r\n" {
		t.Errorf("Get-WBJob: %q", r.stdout)
	}
	if r = runPS(t, h, nil, "(Get-WBSummary).CurrentOperationStatus"); r.stdout != "BackupInProgress\r\n" {
		t.Errorf("summary: %q", r.stdout)
	}
	if r = runPS(t, h, nil, "Start-WBBackup -Policy (Get-WBPolicy)"); r.code != 1 || !strings.Contains(decodeCLIXML(t, r.stderr, "Error"), "already running") {
		t.Errorf("second backup: %+v", r)
	}
	r = runCmd(t, h, "wbadmin stop job -quiet")
	if r.code != 0 || h.BackupRunning() {
		t.Errorf("stop job: %+v", r)
	}
	if hr, _ := h.LastBackupResult(); hr != hrCancelled {
		t.Errorf("cancelled job result %#x", hr)
	}
}

func TestConcurrentCommands(t *testing.T) {
	h := newTestHost(t, ScenarioWriterFailed)
	h.SetBackupDuration(50 * time.Millisecond)
	var wg sync.WaitGroup
	lines := []string{
		"vssadmin list writers", "mountvol", "wbadmin get versions", "net stop SQLWriter", "net start SQLWriter",
		pywinrmLine("Restart-Service SQLWriter; Get-WBSummary | ConvertTo-Json"), "fsutil usn queryjournal C:",
		pywinrmLine("Get-Volume; Get-WBJob"), "wbadmin start backup -quiet",
	}
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			r := runCmd(t, h, lines[i%len(lines)])
			if r.stdout == "" && r.stderr == "" {
				t.Errorf("%s: no output", lines[i%len(lines)])
			}
		}(i)
	}
	wg.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for h.BackupRunning() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if h.BackupRunning() {
		t.Errorf("backup never finished")
	}
}

func TestRecordRestoreTest(t *testing.T) {
	h := newTestHost(t, ScenarioNoRestoreTest)
	script := fmt.Sprintf("@(Get-WinEvent -FilterHashtable @{LogName='Microsoft-Windows-Backup'; Id=%d} -ErrorAction SilentlyContinue).Count", EventRestoreCompleted)
	if r := runPS(t, h, nil, script); r.stdout != "0\r\n" {
		t.Fatalf("before: %q", r.stdout)
	}
	h.RecordRestoreTest(time.Now().Add(-24 * time.Hour))
	if r := runPS(t, h, nil, script); r.stdout != "1\r\n" {
		t.Errorf("after: %q", r.stdout)
	}
	if h.Name() != ScenarioNoRestoreTest || h.Scenario() != ScenarioNoRestoreTest || h.Language() != LangEnglish {
		t.Errorf("getters: %s %s %s", h.Name(), h.Scenario(), h.Language())
	}
}
