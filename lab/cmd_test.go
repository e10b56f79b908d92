package lab

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/wsbbot/wsbbot/internal/winout"
)

// Shape recognisers. Each is first checked against real captures in
// testdata/samples, then used on the lab's output: the lab must produce
// what a parser written for real Windows output recognises.
var (
	reWriterName = regexp.MustCompile(`(?m)^\s*(?:Writer name|ライター名|Nom du rédacteur)\s*:\s*['‘](.+?)['’]\s*$`)
	reWriterID   = regexp.MustCompile(`(?m)^\s*(?:Writer Id|ライター Id|ID du rédacteur)\s*:\s*\{([0-9a-f-]{36})\}\s*$`)
	reWriterSt   = regexp.MustCompile(`(?m)^\s*(?:State|状態|État)\s*:\s*\[(\d+)\]\s*(.*?)\s*$`)
	reWriterErr  = regexp.MustCompile(`(?m)^\s*(?:Last error|最後のエラー|Dernière erreur)\s*:\s*(.*?)\s*$`)
	reVersionID  = regexp.MustCompile(`(?m)^(?:Version identifier|バージョン識別子): (\d\d/\d\d/\d{4}-\d\d:\d\d)\s*$`)
	reMountvol   = regexp.MustCompile(`(?m)^\s*(\\\\\?\\Volume\{[0-9a-fA-F-]+\}\\)\s*\r?\n\s*(\S.*?)\s*$`)
	reUSNID      = regexp.MustCompile(`(?m)^Usn Journal ID\s*:\s*0x([0-9a-f]{16})\s*$`)
	reUSNMax     = regexp.MustCompile(`(?m)^Maximum Size\s*:\s*0x([0-9a-f]{16})`)
	reSSFor      = regexp.MustCompile(`(?m)^\s*(?:For volume|ボリューム): \((.+?)\)(\\\\\?\\Volume\{[0-9a-f-]+\}\\)\s*$`)
	reListProp   = regexp.MustCompile(`(?m)^([A-Za-z_]\w*)\s*: ?(.*?)\s*$`)
)

func TestRecognisersOnRealSamples(t *testing.T) {
	tests := []struct {
		name, file string
		re         *regexp.Regexp
		want       int
	}{
		{"writers en", "vssadmin-list-writers/en-02_natxo-nagios_exchange-state7-retryable.txt", reWriterName, 5},
		{"writer states en", "vssadmin-list-writers/en-02_natxo-nagios_exchange-state7-retryable.txt", reWriterSt, 5},
		{"writer ids en", "vssadmin-list-writers/en-02_natxo-nagios_exchange-state7-retryable.txt", reWriterID, 5},
		{"writer errors en", "vssadmin-list-writers/en-02_natxo-nagios_exchange-state7-retryable.txt", reWriterErr, 5},
		{"writers ja", "vssadmin-list-writers/ja-01_jpwinsup-askcorejp_all-stable.txt", reWriterName, 6},
		{"writer states ja", "vssadmin-list-writers/ja-01_jpwinsup-askcorejp_all-stable.txt", reWriterSt, 6},
		{"writers fr", "vssadmin-list-writers/fr-01_openzfsonwindows-issue406_stable-partial.txt", reWriterName, 4},
		{"versions en", "other/get-versions_en-02_pki-lab_fixed-disk-with-snapshot-id.txt", reVersionID, 1},
		{"versions ja", "other/get-versions_ja-01_jpwinsup-generation-management.txt", reVersionID, 2},
		{"mountvol en-01", "other/mountvol_en-01_msdocs-avd-msix-sample.txt", reMountvol, 3},
		{"mountvol en-02", "other/mountvol_en-02_dualboot-python-docstring.txt", reMountvol, 5},
		{"usn id", "other/fsutil-queryjournal_en-02_tonymason-comment.txt", reUSNID, 1},
		{"usn max", "other/fsutil-queryjournal_en-01_jpwinsup-16TB-usn.txt", reUSNMax, 1},
		{"shadowstorage", "other/en-01_personal-notes_console-wrap-80col.txt", reSSFor, 1},
		{"wbsummary", "other/get-wbsummary_frCA-01_auditwsbackup_success-ws2022.txt", reListProp, 11},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := strings.ReplaceAll(sample(t, tc.file), "\t", "    ")
			if got := len(tc.re.FindAllStringSubmatch(s, -1)); got != tc.want {
				t.Errorf("%d matches, want %d", got, tc.want)
			}
		})
	}
}

// healthyFacts are what every scenario shares with healthy unless the
// scenario is about it.
func TestCmdCommandsEveryScenario(t *testing.T) {
	for _, sc := range Scenarios() {
		t.Run(sc, func(t *testing.T) {
			t.Parallel()
			h := newTestHost(t, sc)
			ja := sc == ScenarioJapanese

			// vssadmin list writers
			r := runCmd(t, h, "vssadmin list writers")
			if r.code != 0 || r.stderr != "" {
				t.Fatalf("vssadmin list writers: code %d stderr %q", r.code, r.stderr)
			}
			names := reWriterName.FindAllStringSubmatch(r.stdout, -1)
			states := reWriterSt.FindAllStringSubmatch(r.stdout, -1)
			if len(names) != 11 || len(states) != 11 || len(reWriterID.FindAllString(r.stdout, -1)) != 11 || len(reWriterErr.FindAllString(r.stdout, -1)) != 11 {
				t.Fatalf("writers %d states %d:\n%s", len(names), len(states), r.stdout)
			}
			for i, n := range names {
				want := "1"
				if sc == ScenarioWriterFailed && n[1] == sqlWriter {
					want = "8"
				}
				if states[i][1] != want {
					t.Errorf("writer %s state [%s], want [%s]", n[1], states[i][1], want)
				}
			}
			if ja != strings.Contains(r.stdout, "ライター名: ‘System Writer’") {
				t.Errorf("language of the writer list wrong:\n%s", r.stdout[:200])
			}
			ws, err := winout.ParseVSSWriters(r.stdout)
			if err != nil {
				t.Fatalf("winout.ParseVSSWriters: %v", err)
			}
			if len(ws.Writers) != 11 {
				t.Errorf("winout found %d writers", len(ws.Writers))
			}
			failed := ws.Failed()
			if sc == ScenarioWriterFailed {
				if len(failed) != 1 || failed[0].Name != sqlWriter || failed[0].State != 8 || failed[0].WriterID != "a65faa63-5ea8-4ebc-9dbd-a0c4db26912a" || failed[0].LastError != "Non-retryable error" {
					t.Errorf("winout failed writers = %+v", failed)
				}
			} else if len(failed) != 0 {
				t.Errorf("winout failed writers = %+v", failed)
			}

			// vssadmin list shadowstorage
			r = runCmd(t, h, "vssadmin list shadowstorage")
			if r.code != 0 || len(reSSFor.FindAllString(r.stdout, -1)) != 2 {
				t.Errorf("shadowstorage code %d:\n%s", r.code, r.stdout)
			}
			ss, err := winout.ParseShadowStorage(r.stdout)
			if err != nil || len(ss.Associations) != 2 || ss.Associations[0].ForVolume.Drive != "C:" || ss.Associations[0].MaxBytes <= ss.Associations[0].UsedBytes {
				t.Errorf("winout.ParseShadowStorage = %+v, %v", ss, err)
			}

			// vssadmin list shadows
			r = runCmd(t, h, "vssadmin list shadows")
			if r.code != 0 || !strings.Contains(r.stdout, "HarddiskVolumeShadowCopy") {
				t.Errorf("shadows code %d:\n%s", r.code, r.stdout)
			}

			// wbadmin get versions
			r = runCmd(t, h, "wbadmin get versions")
			ids := reVersionID.FindAllStringSubmatch(r.stdout, -1)
			wantVersions := 15 // 14 daily versions on the disk + 1 on the share
			switch sc {
			case ScenarioWriterFailed, ScenarioReservedFull, ScenarioShareUnreachable, ScenarioTargetMissing:
				wantVersions = 13 // the last two runs failed
			case ScenarioNoOffsite:
				wantVersions = 14
			}
			if r.code != 0 || len(ids) != wantVersions {
				t.Errorf("versions: code %d, %d ids, want %d\n%s", r.code, len(ids), wantVersions, r.stdout)
			}
			vs, err := winout.ParseWBAdminVersions(r.stdout)
			if err != nil || len(vs.Versions) != wantVersions {
				t.Fatalf("winout.ParseWBAdminVersions: %d versions, %v", len(vs.Versions), err)
			}
			if bmr := vs.Versions[0].BareMetalRecovery; bmr == (sc == ScenarioNoBMR) {
				t.Errorf("version bare-metal recovery = %v", bmr)
			}

			// wbadmin get status (idle)
			r = runCmd(t, h, "wbadmin get status")
			wantIdle := "No backup or recovery operation is currently running."
			if ja {
				wantIdle = "現在実行中のバックアップ操作または回復操作はありません。"
			}
			if r.code != 0 || !strings.Contains(r.stdout, wantIdle) {
				t.Errorf("get status: %d %q", r.code, r.stdout)
			}

			// fsutil usn queryjournal C:
			r = runCmd(t, h, "fsutil usn queryjournal C:")
			if r.code != 0 || !reUSNID.MatchString(r.stdout) || !strings.Contains(r.stdout, "Maximum Size     : 0x0000000002000000 (32.0 MB)") {
				t.Errorf("queryjournal: %d\n%s", r.code, r.stdout)
			}
			uj, err := winout.ParseUSNJournal(r.stdout)
			if err != nil || !uj.Active || uj.MaximumSize != 32<<20 {
				t.Errorf("winout.ParseUSNJournal = %+v, %v", uj, err)
			}

			// mountvol
			r = runCmd(t, h, "mountvol")
			mv := reMountvol.FindAllStringSubmatch(r.stdout, -1)
			wantVols, noMount := 5, 2
			if sc == ScenarioTargetMissing {
				wantVols = 4
			}
			got := 0
			for _, m := range mv {
				if strings.Contains(m[2], "***") {
					got++
				}
			}
			if r.code != 0 || len(mv) != wantVols || got != noMount {
				t.Errorf("mountvol: %d volumes (%d without mount points):\n%s", len(mv), got, r.stdout)
			}
			mp, err := winout.ParseMountvol(r.stdout)
			if err != nil || len(mp.Volumes) != wantVols || !mp.Volumes[0].NoMountPoints || mp.Volumes[1].MountPoints[0] != `C:\` {
				t.Errorf("winout.ParseMountvol = %+v, %v", mp, err)
			}

			// sc query, hostname, whoami, ver, echo, exit
			r = runCmd(t, h, "sc query VSS")
			if r.code != 0 || !strings.Contains(r.stdout, "SERVICE_NAME: VSS") || !strings.Contains(r.stdout, "STATE              : 4  RUNNING") {
				t.Errorf("sc query: %d\n%s", r.code, r.stdout)
			}
			if r = runCmd(t, h, "hostname"); r.stdout != sc+"\r\n" {
				t.Errorf("hostname = %q", r.stdout)
			}
			if r = runCmd(t, h, "whoami"); r.stdout != sc+`\wsbadmin`+"\r\n" {
				t.Errorf("whoami = %q", r.stdout)
			}
			if r = runCmd(t, h, "ver"); !strings.Contains(r.stdout, "Microsoft Windows [Version 10.0.17763") {
				t.Errorf("ver = %q", r.stdout)
			}
		})
	}
}

func TestCmdLineSemantics(t *testing.T) {
	h := newTestHost(t, ScenarioHealthy)
	tests := []struct {
		line         string
		stdout, errs string
		code         int
	}{
		{"echo hello world", "hello world\r\n", "", 0},
		{"echo.", "\r\n", "", 0},
		{"echo", "ECHO is on.\r\n", "", 0},
		{"exit 3", "", "", 3},
		{"exit /b 4", "", "", 4},
		{"cmd /c echo hi", "hi\r\n", "", 0},
		{`cmd.exe /c echo out && echo err>&2 && exit 1`, "out \r\n", "err \r\n", 1},
		{"echo a & echo b", "a \r\nb\r\n", "", 0},
		{"exit 2 || echo no", "", "", 2},
		{"hostname | findstr healthy", "healthy\r\n", "", 0},
		{"echo %COMPUTERNAME%", "HEALTHY\r\n", "", 0},
		{"vssadmin list writers | findstr /c:\"State: [1]\" > nul", "", "", 0},
		{"foo", "", "'foo' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n", 1},
		{"cmd /c foo bar", "", "'foo' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n", 1},
		{"net start SQLWriter", "", "The requested service has already been started.\r\n\r\nMore help is available by typing NET HELPMSG 2182.\r\n\r\n", 2},
		{"net stop NoSuchService", "", "The service name is invalid.\r\n\r\nMore help is available by typing NET HELPMSG 2185.\r\n\r\n", 2},
		{"sc query NoSuchService", "[SC] EnumQueryServicesStatus:OpenService FAILED 1060:\r\n\r\nThe specified service does not exist as an installed service.\r\n\r\n", "", 1060},
		{"fsutil usn queryjournal Q:", "Error:  The system cannot find the path specified.\r\n", "", 1},
		{"mountvol Q: /D", "The system cannot find the file specified.\r\n\r\n", "", 1},
		{"mountvol C: /D", "Access is denied.\r\n\r\n", "", 1},
	}
	for _, tc := range tests {
		t.Run(tc.line, func(t *testing.T) {
			r := runCmd(t, h, tc.line)
			if r.stdout != tc.stdout || r.stderr != tc.errs || r.code != tc.code {
				t.Errorf("got stdout %q stderr %q code %d\nwant stdout %q stderr %q code %d", r.stdout, r.stderr, r.code, tc.stdout, tc.errs, tc.code)
			}
		})
	}
}

func TestUnknownCommandJapanese(t *testing.T) {
	h := newTestHost(t, ScenarioJapanese)
	r := runCmd(t, h, "foo /x")
	want := "'foo' は、内部コマンドまたは外部コマンド、\r\n操作可能なプログラムまたはバッチ ファイルとして認識されていません。\r\n"
	if r.code != 1 || r.stderr != want || r.stdout != "" {
		t.Errorf("got %d %q %q", r.code, r.stdout, r.stderr)
	}
}

func TestNetStopStartRestoresWriter(t *testing.T) {
	h := newTestHost(t, ScenarioWriterFailed)
	if st := h.WriterState(sqlWriter); st != 8 {
		t.Fatalf("before: state %d", st)
	}
	r := runCmd(t, h, "net stop SQLWriter")
	want := "The SQL Server VSS Writer service is stopping.\r\nThe SQL Server VSS Writer service was stopped successfully.\r\n\r\n"
	if r.code != 0 || r.stdout != want {
		t.Fatalf("net stop: %d %q", r.code, r.stdout)
	}
	if st := h.WriterState(sqlWriter); st != -1 {
		t.Errorf("stopped service's writer still listed: %d", st)
	}
	if out := runCmd(t, h, "vssadmin list writers").stdout; strings.Contains(out, sqlWriter) {
		t.Errorf("writer listed while its service is stopped")
	}
	if r = runCmd(t, h, `net start "SQL Server VSS Writer"`); r.code != 0 || !strings.Contains(r.stdout, "The SQL Server VSS Writer service was started successfully.") {
		t.Fatalf("net start: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if st := h.WriterState(sqlWriter); st != 1 {
		t.Errorf("after restart: state %d", st)
	}
	if r = runCmd(t, h, "net stop Winmgmt"); r.code != 2 || !strings.Contains(r.stdout, "IP Helper") || !h.ServiceRunning("Winmgmt") {
		t.Errorf("net stop with dependents and no /y: %d %q", r.code, r.stdout)
	}
	if r = runCmd(t, h, "net stop Winmgmt /y"); r.code != 0 || h.ServiceRunning("Winmgmt") || h.ServiceRunning("iphlpsvc") {
		t.Errorf("net stop /y: %d %q", r.code, r.stdout)
	}
}

// TestUSNCleanupWithMountvol is the guide's fix for 0x80780119, step by
// step: temporary letter, delete the journal, remove the letter.
func TestUSNCleanupWithMountvol(t *testing.T) {
	h := newTestHost(t, ScenarioReservedFull)
	guidPath := h.VolumeGUIDPath(RoleSystemReserved)
	before := h.FreeBytes(RoleSystemReserved)
	journal := h.USNJournalBytes(RoleSystemReserved)
	if before >= 40<<20 || journal < 400<<20 {
		t.Fatalf("reserved-full: free %d journal %d", before, journal)
	}
	steps := []struct {
		line   string
		code   int
		stdout string
	}{
		{"fsutil usn deletejournal /N /D " + guidPath, 1, "Error:  The filename, directory name, or volume label syntax is incorrect.\r\n"},
		{"mountvol C: " + guidPath, 1, "The directory is not empty.\r\n\r\n"},
		{"mountvol Z: " + strings.TrimSuffix(guidPath, `\`), 1, "The filename, directory name, or volume label syntax is incorrect.\r\n\r\n"},
		{"mountvol Z: " + guidPath, 0, ""},
		{"mountvol Y: " + guidPath, 1, "The parameter is incorrect.\r\n\r\n"},
		{"mountvol Z: /L", 0, "    " + guidPath + "\r\n"},
		{"fsutil usn deletejournal /N /D Z:", 0, ""},
		{"fsutil usn deletejournal /N /D Z:", 1, "Error:  The volume change journal is not active.\r\n"},
		{"fsutil usn queryjournal Z:", 1, "Error:  The volume change journal is not active.\r\n"},
		{"mountvol Z: /D", 0, ""},
	}
	for _, s := range steps {
		r := runCmd(t, h, s.line)
		if r.code != s.code || r.stdout != s.stdout {
			t.Fatalf("%s: code %d stdout %q, want %d %q", s.line, r.code, r.stdout, s.code, s.stdout)
		}
		if strings.HasPrefix(s.line, "mountvol Z: \\") && s.code == 0 {
			if h.DriveLetter(RoleSystemReserved) != "Z" {
				t.Fatalf("letter not assigned")
			}
			out := runCmd(t, h, "mountvol").stdout
			if !strings.Contains(out, guidPath+"\r\n        Z:\\") {
				t.Errorf("mountvol does not list Z:\n%s", out)
			}
			ps := runPS(t, h, nil, "Get-Volume -DriveLetter Z | ConvertTo-Json")
			v, _ := jsonValue(t, ps.stdout).(map[string]any)
			if v["DriveLetter"] != "Z" || v["FileSystemLabel"] != "System Reserved" {
				t.Errorf("Get-Volume Z: %v", v)
			}
		}
	}
	after := h.FreeBytes(RoleSystemReserved)
	if after != before+journal || h.USNJournalBytes(RoleSystemReserved) != 0 {
		t.Errorf("free before %d after %d, journal was %d", before, after, journal)
	}
	if h.DriveLetter(RoleSystemReserved) != "" {
		t.Errorf("temporary letter left behind")
	}
	if out := runCmd(t, h, "mountvol").stdout; strings.Contains(out, "Z:\\") {
		t.Errorf("mountvol still lists Z:")
	}
	r := runCmd(t, h, "fsutil volume diskfree C:")
	if r.code != 0 || !strings.Contains(r.stdout, "Total # of free bytes        : "+strconv.FormatInt(h.FreeBytes("C"), 10)) {
		t.Errorf("diskfree: %q", r.stdout)
	}
}

func TestWbadminGetStatusFollowsAJob(t *testing.T) {
	h := newTestHost(t, ScenarioReservedFull)
	h.SetBackupDuration(600 * 1e6) // 600ms
	if err := h.StartBackup(); err != nil {
		t.Fatal(err)
	}
	if err := h.StartBackup(); err == nil {
		t.Errorf("second StartBackup while one runs: no error")
	}
	if !h.BackupRunning() {
		t.Fatal("no job running")
	}
	if st := h.WriterState("System Writer"); st != 5 {
		t.Errorf("writer during a backup: [%d], want [5]", st)
	}
	r := runCmd(t, h, "wbadmin get status")
	if r.code != 1 || !strings.Contains(r.stdout, "Creating a shadow copy of the volumes specified for backup...") ||
		!strings.Contains(r.stdout, "ERROR - The backup operation stopped before completing.") {
		t.Errorf("get status: %d\n%s", r.code, r.stdout)
	}
	if h.BackupRunning() {
		t.Errorf("job still running after get status returned")
	}
	hr, det := h.LastBackupResult()
	if hr != 0x80780119 || det != 0x8004231F {
		t.Errorf("result %#x %#x", hr, det)
	}
}

func TestWbadminStartBackupAfterFix(t *testing.T) {
	h := newTestHost(t, ScenarioWriterFailed)
	h.SetBackupDuration(300 * 1e6)
	n := h.Versions()
	if r := runCmd(t, h, "wbadmin start backup -quiet"); r.code != 1 || !strings.Contains(r.stdout, "Detailed error: The writer experienced a non-transient error.") {
		t.Fatalf("backup with a failed writer: %d\n%s", r.code, r.stdout)
	}
	if hr, det := h.LastBackupResult(); hr != 0x807800A1 || det != 0x800423F4 {
		t.Errorf("result %#x %#x", hr, det)
	}
	if r := runPS(t, h, map[string]any{"Service": "SQLWriter"}, "Restart-Service -Name $P.Service -Force"); r.code != 0 || r.stderr != "" {
		t.Fatalf("restart: %+v", r)
	}
	r := runCmd(t, h, "wbadmin start backup -quiet")
	if r.code != 0 || !strings.Contains(r.stdout, "The backup operation successfully completed.") {
		t.Fatalf("backup after the fix: %d\n%s", r.code, r.stdout)
	}
	if hr, det := h.LastBackupResult(); hr != 0 || det != 0 {
		t.Errorf("result %#x %#x", hr, det)
	}
	if h.Versions() != n+1 { // a new disk version; the share keeps only its latest
		t.Errorf("versions %d -> %d", n, h.Versions())
	}
	if r := runCmd(t, h, "wbadmin start backup"); r.code != 1 || !strings.Contains(r.stdout, "The backup operation was stopped.") {
		t.Errorf("without -quiet: %d %q", r.code, r.stdout)
	}
}

func TestScenarioOrderAndErrors(t *testing.T) {
	want := "healthy writer-failed reserved-full share-unreachable target-missing no-bmr same-disk no-offsite no-av-exclusion no-restore-test japanese"
	if got := strings.Join(Scenarios(), " "); got != want {
		t.Errorf("Scenarios() = %s", got)
	}
	if _, err := NewHost("x", "no-such"); err == nil || !strings.Contains(err.Error(), "unknown scenario") {
		t.Errorf("unknown scenario: %v", err)
	}
	if _, err := NewHost(" ", ScenarioHealthy); err == nil {
		t.Errorf("empty name accepted")
	}
}

func ExampleHost_Exec() {
	h, _ := NewHost("fs01", ScenarioWriterFailed)
	out, _, code := h.Exec(context.Background(), "sc query SQLWriter")
	fmt.Println(code, strings.Contains(out, "RUNNING"))
	// Output: 0 true
}

// backup-recovers: healthy until its next backup, which fails with a
// writer's transient error; the one after succeeds. It runs only when
// named, never in "all".
func TestScenarioBackupRecovers(t *testing.T) {
	h := newTestHost(t, ScenarioBackupRecovers)
	if hr, det := h.LastBackupResult(); hr != 0 || det != 0 {
		t.Fatalf("before: last backup %#x %#x, want success", hr, det)
	}
	if hr, det, err := h.RunBackup(); err != nil || hr != hrWriterWrapper || det != hrWriterRetryable {
		t.Fatalf("first backup: %#x %#x %v, want the transient writer error", hr, det, err)
	}
	r := runPS(t, h, nil, `Get-WinEvent -FilterHashtable @{LogName='Microsoft-Windows-Backup'; Id=5} -MaxEvents 1 | Select-Object -ExpandProperty Id`)
	if strings.TrimSpace(r.stdout) != "5" {
		t.Fatalf("no failure event: %q %q", r.stdout, r.stderr)
	}
	if hr, det, err := h.RunBackup(); err != nil || hr != 0 || det != 0 {
		t.Fatalf("second backup: %#x %#x %v, want success", hr, det, err)
	}
	if slices.Contains(Scenarios(), ScenarioBackupRecovers) {
		t.Fatal("backup-recovers is part of all")
	}
	plan, err := planHosts(0, ScenarioBackupRecovers)
	if err != nil || len(plan) != 1 || plan[0].scenario != ScenarioBackupRecovers {
		t.Fatalf("planHosts: %+v %v", plan, err)
	}
}
