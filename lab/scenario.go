package lab

import (
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"time"

	"github.com/wsbbot/wsbbot/lab/ps"
)

// Scenario ids, in the order Scenarios returns them.
const (
	ScenarioHealthy          = "healthy"
	ScenarioWriterFailed     = "writer-failed"
	ScenarioReservedFull     = "reserved-full"
	ScenarioShareUnreachable = "share-unreachable"
	ScenarioTargetMissing    = "target-missing"
	ScenarioNoBMR            = "no-bmr"
	ScenarioSameDisk         = "same-disk"
	ScenarioNoOffsite        = "no-offsite"
	ScenarioNoAVExclusion    = "no-av-exclusion"
	ScenarioNoRestoreTest    = "no-restore-test"
	ScenarioJapanese         = "japanese"
	// ScenarioBackupRecovers is a healthy host whose next backup fails
	// once (a VSS writer's transient error, 0x800423F3) and whose backups
	// after that succeed again: what the backup watch reports and then
	// sees recover. It is one of ExtraScenarios.
	ScenarioBackupRecovers = "backup-recovers"
)

// ExtraScenarios are scenarios a lab runs only when named (Options.Scenario
// or NewHost), never as part of "all": they play out over time rather than
// show one problem of the field guide.
func ExtraScenarios() []string { return []string{ScenarioBackupRecovers} }

// HRESULTs the scenarios' last backups failed with.
const (
	hrWriterWrapper      = 0x807800A1 // shadow copy of the backup volumes failed
	hrWriterNonRetryable = 0x800423F4 // VSS_E_WRITERERROR_NONRETRYABLE
	hrWriterRetryable    = 0x800423F3 // VSS_E_WRITERERROR_RETRYABLE
	hrNoSpace            = 0x80780119 // not enough space for the shadow copy
	hrInsufficientStore  = 0x8004231F // VSS_E_INSUFFICIENT_STORAGE
	hrShare              = 0x807800C5 // preparing the backup image failed (share)
	hrAccessDenied       = 0x80070005 // E_ACCESSDENIED
	hrNetworkPath        = 0x80070035 // ERROR_BAD_NETPATH
	hrTargetMissing      = 0x80780166 // backup target not found
	hrNoSuchDevice       = 0x800701B1 // ERROR_NO_SUCH_DEVICE
	hrCancelled          = 0x807800C1 // backup cancelled
)

// Scenarios returns the scenario ids in their canonical order.
func Scenarios() []string {
	return []string{
		ScenarioHealthy,
		ScenarioWriterFailed,
		ScenarioReservedFull,
		ScenarioShareUnreachable,
		ScenarioTargetMissing,
		ScenarioNoBMR,
		ScenarioSameDisk,
		ScenarioNoOffsite,
		ScenarioNoAVExclusion,
		ScenarioNoRestoreTest,
		ScenarioJapanese,
	}
}

// Well-known names of the simulated estate.
const (
	labDomain   = "contoso.local"
	nasName     = "nas01"
	nasShare    = "backup"
	nasIP       = "192.168.10.20"
	hostIPBase  = "192.168.10."
	sqlWriter   = "SqlServerWriter"
	sqlService  = "SQLWriter"
	osBuild     = "10.0.17763.5329"
	defaultJob  = 10 * time.Second
	scheduleAt  = 2 * time.Hour
	keptDaily   = 14
	reservedUse = 37 * mib
)

// tables are the command tables hosts share.
type tables struct {
	cmds    []cmdEntry
	cmdlets map[string]*cmdletEntry
	scripts *ps.Cache // parsed PowerShell, shared by every host of a lab
}

// scriptCacheSize bounds the parsed scripts a lab keeps: the bundled
// runbooks and checklists send a few dozen distinct scripts (each with its
// parameter prologue), so this holds every one of a run with room to spare.
const scriptCacheSize = 512

func newTables() *tables {
	return &tables{cmds: commandTable(), cmdlets: cmdletTable(), scripts: ps.NewCache(scriptCacheSize)}
}

// NewHost builds a host named name in the given scenario.
func NewHost(name, scenario string) (*Host, error) {
	return newHost(name, scenario, newTables())
}

func newHost(name, scenario string, tb *tables) (*Host, error) {
	if !slices.Contains(Scenarios(), scenario) && !slices.Contains(ExtraScenarios(), scenario) {
		return nil, fmt.Errorf("new host %s: unknown scenario %q (known: %s)", name, scenario, strings.Join(append(Scenarios(), ExtraScenarios()...), ", "))
	}
	if strings.TrimSpace(name) == "" {
		return nil, fmt.Errorf("new host: empty name")
	}
	lang := LangEnglish
	loc := time.UTC
	if scenario == ScenarioJapanese {
		lang = LangJapanese
		loc = time.FixedZone("JST", 9*60*60)
	}
	h := &Host{
		name:           name,
		scenario:       scenario,
		lang:           lang,
		domain:         labDomain,
		t:              textsFor(lang),
		loc:            loc,
		build:          osBuild,
		files:          map[string]string{},
		backupDuration: defaultJob,
		cmds:           tb.cmds,
		cmdlets:        tb.cmdlets,
		scripts:        tb.scripts,
	}
	h.created = h.now()
	h.buildHealthy()
	failLast, hr, det := 0, uint32(0), uint32(0)
	switch scenario {
	case ScenarioWriterFailed:
		w := h.writerByName(sqlWriter)
		w.state, w.lastErr = 8, errNonRetryable
		failLast, hr, det = 2, hrWriterWrapper, hrWriterNonRetryable
	case ScenarioReservedFull:
		v := h.findVolume(RoleSystemReserved)
		v.usn = 428 * mib // leaves 35 MiB free
		failLast, hr, det = 2, hrNoSpace, hrInsufficientStore
	case ScenarioShareUnreachable:
		s := h.shares[0]
		s.writable, s.dialect, s.connected = false, "2.0.2", false
		h.shares = append(h.shares, &share{server: nasName, name: "IPC$", writable: false, dialect: "2.0.2", connected: true})
		failLast, hr, det = 2, hrShare, hrAccessDenied
	case ScenarioTargetMissing:
		for _, d := range h.disks {
			if d.number == 2 {
				d.present = false
			}
		}
		failLast, hr, det = 2, hrTargetMissing, hrNoSuchDevice
	case ScenarioNoBMR:
		h.policy.bmr, h.policy.systemState = false, false
		h.policy.sources = []string{h.findVolume(RoleSystem).guid, h.findVolume(RoleData).guid}
	case ScenarioSameDisk:
		h.sameDiskLayout()
	case ScenarioNoOffsite:
		h.policy.targets = h.policy.targets[:1]
		h.shares[0].connected = false
	case ScenarioNoAVExclusion:
		h.defender.exclusionPath = []string{`D:\MSSQL\DATA`}
		h.defender.exclusionProcess = nil
	case ScenarioBackupRecovers:
		h.transientFailures = 1
	}
	h.buildHistory(failLast, hr, det)
	if scenario != ScenarioNoRestoreTest {
		day := h.created.AddDate(0, 0, -62)
		h.addRestoreEventLocked(time.Date(day.Year(), day.Month(), day.Day(), 10, 15, 42, 0, h.loc))
	}
	return h, nil
}

// buildHealthy sets up the healthy server: three disks (system, data, a
// dedicated backup disk), writers and services, a policy with bare-metal
// recovery backing up to the local disk and to \\nas01\backup, Defender
// exclusions for the backup, and a reachable NAS.
func (h *Host) buildHealthy() {
	n := h.name
	sum := fnv.New32a()
	_, _ = sum.Write([]byte(strings.ToLower(n)))
	seed := sum.Sum32()

	h.disks = []*disk{
		{number: 0, friendly: "Msft Virtual Disk", size: 127 * gib, style: "MBR", present: true, boot: true, mbrSignature: seed | 1, location: "Integrated : Adapter 0 : Port 0 : Target 0 : LUN 0"},
		{number: 1, friendly: "Msft Virtual Disk", size: 1 * tib, style: "GPT", present: true, gptGUID: guid(n, "disk1"), location: "Integrated : Adapter 0 : Port 0 : Target 0 : LUN 1"},
		{number: 2, friendly: "WD Elements 25A3 USB Device", serial: fmt.Sprintf("575843314139%08X", seed), size: 2 * tib, style: "GPT", present: true, gptGUID: guid(n, "disk2"), location: "Integrated : Adapter 1 : Port 0 : Target 0 : LUN 0"},
	}
	for _, d := range h.disks {
		d.uniqueID = strings.ToUpper(strings.ReplaceAll(guid(n, fmt.Sprintf("disk-uid-%d", d.number)), "-", ""))
		d.physicalSector = 4096
	}
	cSize := 127*gib - 1031*mib
	short := h.name
	if len(short) > 15 {
		short = short[:15]
	}
	labelDay := h.created.AddDate(0, 0, -180)
	targetLabel := fmt.Sprintf("%s %s DISK_01", strings.ToUpper(short), labelDay.Format("2006_01_02 15:04"))
	h.volumes = []*volume{
		{role: RoleSystemReserved, label: "System Reserved", fs: "NTFS", size: 500 * mib, used: reservedUse, usn: 32 * mib, disk: 0, part: 1, offset: 1 * mib, mbrType: 0x07, active: true, system: true},
		{role: RoleSystem, letter: 'C', fs: "NTFS", size: cSize, used: 31*gib + 412*mib, usn: 32 * mib, disk: 0, part: 2, offset: 501 * mib, mbrType: 0x07, boot: true},
		{role: RoleRecovery, fs: "NTFS", size: 529 * mib, used: 442 * mib, disk: 0, part: 3, offset: 501*mib + cSize, mbrType: 0x27, hidden: true},
		{role: RoleData, letter: 'D', label: "Data", fs: "NTFS", size: 1*tib - 18*mib, used: 412 * gib, usn: 32 * mib, disk: 1, part: 2, offset: 17 * mib, gptType: "{ebd0a0a2-b9e5-4433-87c0-68b6b72699c7}"},
		{role: RoleBackupTarget, letter: 'E', label: targetLabel, fs: "NTFS", size: 2*tib - 18*mib, used: 1342 * gib, usn: 32 * mib, disk: 2, part: 2, offset: 17 * mib, gptType: "{ebd0a0a2-b9e5-4433-87c0-68b6b72699c7}"},
	}
	for i, v := range h.volumes {
		v.guid = guid(n, "volume-"+v.role)
		v.usnID = uint64(0x01d6a0c52c1b9016) + uint64(seed)*uint64(i+1)
		v.usnNext = uint64(0x0000000c04d18550) + uint64(i)*0x100000
	}
	c, d := h.findVolume(RoleSystem), h.findVolume(RoleData)
	c.shadowMx, c.shadowUs = c.size/10, 2211*mib
	d.shadowMx, d.shadowUs = d.size/10, 14*gib+700*mib

	h.services = []*service{
		{name: "VSS", display: "Volume Shadow Copy", running: true, startType: "Manual", svcType: 16},
		{name: "swprv", display: "Microsoft Software Shadow Copy Provider", running: true, startType: "Manual", svcType: 32},
		{name: "CryptSvc", display: "Cryptographic Services", running: true, startType: "Automatic", svcType: 32},
		{name: sqlService, display: "SQL Server VSS Writer", running: true, startType: "Automatic", svcType: 16},
		{name: "MSSQLSERVER", display: "SQL Server (MSSQLSERVER)", running: true, startType: "Automatic", svcType: 16},
		{name: "BITS", display: "Background Intelligent Transfer Service", running: true, startType: "Manual", svcType: 32},
		{name: "Winmgmt", display: "Windows Management Instrumentation", running: true, startType: "Automatic", svcType: 32, dependents: []string{"iphlpsvc"}},
		{name: "iphlpsvc", display: "IP Helper", running: true, startType: "Automatic", svcType: 32},
		{name: "Schedule", display: "Task Scheduler", running: true, startType: "Automatic", svcType: 32, cannotStop: true},
		{name: "EventSystem", display: "COM+ Event System", running: true, startType: "Automatic", svcType: 32},
		{name: "wbengine", display: "Block Level Backup Engine Service", running: false, startType: "Manual", svcType: 16},
		{name: "WinDefend", display: "Windows Defender Antivirus Service", running: true, startType: "Automatic", svcType: 16},
		{name: "WinRM", display: "Windows Remote Management (WS-Management)", running: true, startType: "Automatic", svcType: 32, cannotStop: true},
		{name: "LanmanWorkstation", display: "Workstation", running: true, startType: "Automatic", svcType: 32},
	}
	type w struct{ name, id, svc string }
	for _, x := range []w{
		{"Task Scheduler Writer", "d61d61c8-d73a-4eee-8cdd-f6f9786b7124", "Schedule"},
		{"VSS Metadata Store Writer", "75dfb225-e2e4-4d39-9ac9-ffaff65ddf06", "VSS"},
		{"Performance Counters Writer", "0bada1de-01a9-4625-8278-69e735f39dd2", ""},
		{"System Writer", "e8132975-6f93-4464-a53e-1050253ae220", "CryptSvc"},
		{sqlWriter, "a65faa63-5ea8-4ebc-9dbd-a0c4db26912a", sqlService},
		{"ASR Writer", "be000cbe-11fe-4426-9c58-531aa6355fc4", "VSS"},
		{"BITS Writer", "4969d978-be47-48b0-b100-f328f07ac1e0", "BITS"},
		{"Shadow Copy Optimization Writer", "4dc3bdd4-ab48-4d07-adb0-3bee2926fd7f", "VSS"},
		{"Registry Writer", "afbab4a2-367d-4d15-a586-71dbb18f8485", "VSS"},
		{"COM+ REGDB Writer", "542da469-d3e1-473c-9f4f-7847f01fc64f", "VSS"},
		{"WMI Writer", "a6ad56c2-b509-4e6c-bb19-49d8f43532f0", "Winmgmt"},
	} {
		h.writers = append(h.writers, &writer{name: x.name, id: x.id, instance: guid(n, "writer-instance-0-"+x.name), state: 1, lastErr: errNone, service: x.svc})
	}

	h.nas = nas{name: nasName, fqdn: nasName + "." + labDomain, ip: nasIP, reachable: true}
	h.shares = []*share{{server: nasName, name: nasShare, writable: true, dialect: "3.1.1", connected: true}}

	e := h.findVolume(RoleBackupTarget)
	h.policy = policy{
		targets: []target{
			{kind: "Disk", label: targetLabel, disk: 2, vol: e.guid},
			{kind: "Network", label: `\\` + nasName + `\` + nasShare, path: `\\` + nasName + `\` + nasShare},
		},
		sources:     []string{h.findVolume(RoleSystemReserved).guid, c.guid, d.guid},
		bmr:         true,
		systemState: true,
		schedule:    []time.Duration{scheduleAt},
	}
	h.defender = defender{
		exclusionPath:    []string{`E:\`, `\\` + nasName + `\` + nasShare, `C:\Windows\Logs\WindowsServerBackup`},
		exclusionProcess: []string{`C:\Windows\System32\wbengine.exe`, `C:\Windows\System32\vssvc.exe`},
		serviceEnabled:   true,
		realtime:         true,
	}
}

// sameDiskLayout puts the backup target volume E: on disk 1, next to the
// source volume D:, and removes the dedicated backup disk.
func (h *Host) sameDiskLayout() {
	h.disks = slices.DeleteFunc(h.disks, func(d *disk) bool { return d.number == 2 })
	d, e := h.findVolume(RoleData), h.findVolume(RoleBackupTarget)
	d.size = 600 * gib
	e.disk, e.part, e.offset = 1, 3, d.offset+d.size
	e.size = 1*tib - 18*mib - 600*gib - 1*mib
	e.used = 280 * gib
	e.label = "Backup"
	h.policy.targets[0] = target{kind: "Volume", label: "Backup", vol: e.guid}
}

// buildHistory fills the catalog, the event log and Get-WBSummary with a
// daily backup at 02:00 for the last two weeks; the last failLast runs
// failed with hr / detailed hr.
func (h *Host) buildHistory(failLast int, hr, det uint32) {
	now := h.created
	last := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, h.loc).Add(scheduleAt)
	if last.After(now) {
		last = last.AddDate(0, 0, -1)
	}
	targets := h.policy.targets
	for i := keptDaily - 1; i >= 0; i-- {
		start := last.AddDate(0, 0, -i).Add(time.Duration(3+i%5) * time.Second)
		snap := start.Add(12 * time.Second)
		end := start.Add(time.Duration(38+i%9)*time.Minute + time.Duration(7*i)*time.Second)
		h.addEventLocked(EventBackupStarted, 4, start, h.t.evStarted)
		failed := i < failLast
		if failed {
			h.addEventLocked(EventBackupFailed, 2, end, fmt.Sprintf(h.t.evFailed, eventTime(start), fmt.Sprintf("0x%08X", hr), h.t.hrMessage(hr)),
				eventTime(start), int64(int32(hr)), int64(int32(det)))
			h.result.lastTime, h.result.hr, h.result.detailedHR = snap, hr, det
			h.result.lastTarget = h.targetLabel()
			h.history = append(h.history, pastJob{start: start, end: end, hr: hr, detailedHR: det})
			continue
		}
		h.addEventLocked(EventBackupSucceeded, 4, end, h.t.evSucceeded)
		h.addEventLocked(EventBackupCompleted, 4, end, h.t.evCompleted)
		h.recordSuccessLocked(snap, end, targets, start)
	}
}

// targetLabel is the label Get-WBSummary shows for the policy's first
// target.
func (h *Host) targetLabel() string {
	if len(h.policy.targets) == 0 {
		return ""
	}
	return h.policy.targets[0].label
}

// recordSuccessLocked adds the versions, shadows, summary and job history
// of a successful backup.
func (h *Host) recordSuccessLocked(snap, end time.Time, targets []target, start time.Time) {
	vid := snap.UTC().Format("01/02/2006-15:04")
	for _, tg := range targets {
		switch tg.kind {
		case "Network":
			// WSB keeps one version on a network share.
			h.versions = slices.DeleteFunc(h.versions, func(v version) bool { return v.network })
			h.versions = append(h.versions, version{when: snap, targetLabel: tg.path, network: true, snapshot: guid(h.name, "snapshot-net-"+vid), bmr: h.policy.bmr, system: h.policy.systemState})
		default:
			label := tg.label
			if v := h.findVolume(tg.vol); v != nil && v.letter != 0 {
				label = string(v.letter) + ":"
			}
			h.versions = append(h.versions, version{when: snap, targetLabel: label, snapshot: guid(h.name, "snapshot-"+vid), bmr: h.policy.bmr, system: h.policy.systemState})
		}
	}
	slices.SortStableFunc(h.versions, func(a, b version) int { return a.when.Compare(b.when) })
	h.result = backupResult{lastTime: snap, lastTarget: h.targetLabel(), successTime: snap, successLabel: h.targetLabel()}
	if len(targets) > 0 {
		if v := h.findVolume(targets[0].vol); v != nil {
			h.result.successPath = strings.TrimSuffix(volumeName(v.guid), `\`)
		} else {
			h.result.successPath = targets[0].path
		}
	}
	h.history = append(h.history, pastJob{start: start, end: end, versionID: vid})
	h.shadows = h.shadows[:0]
	set := guid(h.name, "shadowset-"+vid)
	for _, v := range h.sourceVolumes() {
		if v.letter == 0 {
			continue
		}
		h.shadowNo++
		h.shadows = append(h.shadows, shadow{setID: set, id: guid(h.name, "shadow-"+vid+"-"+v.guid), vol: v.guid, created: snap, index: h.shadowNo})
	}
}

// nextBackupTime is the next scheduled run after now.
func (h *Host) nextBackupTime() time.Time {
	now := h.now()
	if len(h.policy.schedule) == 0 {
		return time.Time{}
	}
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, h.loc)
	for i := 0; i < 2; i++ {
		for _, at := range h.policy.schedule {
			t := day.AddDate(0, 0, i).Add(at)
			if t.After(now) {
				return t
			}
		}
	}
	return day.AddDate(0, 0, 1).Add(h.policy.schedule[0])
}
