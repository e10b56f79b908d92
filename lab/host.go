package lab

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/wsbbot/wsbbot/lab/ps"
)

// Byte units.
const (
	kib = int64(1) << 10
	mib = int64(1) << 20
	gib = int64(1) << 30
	tib = int64(1) << 40
)

// VSS writer last-error keys.
const (
	errNone         = "none"
	errRetryable    = "retryable"
	errNonRetryable = "nonretryable"
	errInconsistent = "inconsistent"
	errTimeout      = "timeout"
)

// Event ids of the Microsoft-Windows-Backup log the lab writes.
// EventRestoreCompleted is the lab's choice: no capture of a WSB recovery
// event was found, so runbooks should treat the id as configurable.
const (
	EventBackupStarted    = 1
	EventBackupSucceeded  = 4
	EventBackupFailed     = 5
	EventBackupCompleted  = 14
	EventRestoreCompleted = 18
)

// Volume roles: which volume of the simulated server a volume is.
const (
	RoleSystemReserved = "system-reserved"
	RoleSystem         = "system"
	RoleRecovery       = "recovery"
	RoleData           = "data"
	RoleBackupTarget   = "backup-target"
)

// writer is one VSS writer.
type writer struct {
	name, id, instance string
	state              int
	lastErr            string
	service            string // service whose restart resets it; "" none
	restarts           int
}

// service is one Windows service.
type service struct {
	name, display string
	running       bool
	startType     string // Automatic | Manual | Disabled
	svcType       int    // 16 own process, 32 shared process
	dependents    []string
	cannotStop    bool
}

// disk is one physical disk.
type disk struct {
	number         int
	friendly       string
	serial         string
	uniqueID       string
	size           int64
	style          string // MBR | GPT
	present        bool
	boot           bool
	mbrSignature   uint32
	gptGUID        string
	location       string
	physicalSector int
}

// volume is one partition with its volume.
type volume struct {
	role     string
	guid     string
	letter   byte // 0: no drive letter
	label    string
	fs       string
	size     int64
	used     int64 // bytes used, not counting the USN journal
	usn      int64 // USN journal size in bytes; 0: no active journal
	usnID    uint64
	usnNext  uint64
	disk     int
	part     int
	offset   int64
	mbrType  int    // MBR partition type (0x07 IFS, 0x27 recovery)
	gptType  string // GPT partition type GUID
	active   bool
	system   bool
	boot     bool
	hidden   bool
	shadowMx int64 // shadow storage maximum; 0: no association
	shadowUs int64 // shadow storage used
}

func (v *volume) free() int64 { return v.size - v.used - v.usn }

// target is one backup target of the WSB policy.
type target struct {
	kind  string // Disk | Volume | Network
	label string
	disk  int    // Disk: the disk number
	vol   string // Disk, Volume: the target volume's guid
	path  string // Network: the UNC path
}

// policy is the scheduled WSB policy.
type policy struct {
	targets     []target
	sources     []string // volume guids
	bmr         bool
	systemState bool
	schedule    []time.Duration // times of day
}

// version is one backup version in the catalog.
type version struct {
	when        time.Time
	targetLabel string // "E:" or the UNC path
	network     bool
	snapshot    string
	bmr, system bool
}

// backupResult is what Get-WBSummary reports about the last backup.
type backupResult struct {
	lastTime       time.Time
	lastTarget     string
	hr, detailedHR uint32
	successTime    time.Time
	successPath    string
	successLabel   string
}

// event is one record of the Microsoft-Windows-Backup log.
type event struct {
	id       int
	level    int // 2 Error, 3 Warning, 4 Information
	recordID int64
	when     time.Time
	message  string
	props    []any
}

// share is an SMB share on the NAS.
type share struct {
	server, name string
	writable     bool
	dialect      string
	connected    bool
}

// nas is the file server holding the network backup target.
type nas struct {
	name, fqdn, ip string
	reachable      bool
}

// defender is the Microsoft Defender configuration.
type defender struct {
	exclusionPath      []string
	exclusionProcess   []string
	exclusionExtension []string
	serviceEnabled     bool
	realtime           bool
}

// job is a running WSB operation.
type job struct {
	start    time.Time
	duration time.Duration
	done     chan struct{}
	timer    *time.Timer
	volumes  []string // friendly names of the volumes it backs up
	target   string
	result   jobResult
	finished bool
}

// jobResult is the end of a backup job.
type jobResult struct {
	end            time.Time
	hr, detailedHR uint32
	state          string // Completed | Failed | Cancelled
}

// pastJob is a finished job for Get-WBJob -Previous.
type pastJob struct {
	start, end     time.Time
	hr, detailedHR uint32
	versionID      string
}

// shadow is one shadow copy left by the last backup.
type shadow struct {
	setID, id string
	vol       string // volume guid
	created   time.Time
	index     int
}

// Host is one simulated Windows backup server. All methods are safe for
// concurrent use.
type Host struct {
	mu sync.Mutex

	name, scenario, lang, domain string
	t                            *texts
	loc                          *time.Location
	created                      time.Time
	build                        string

	writers  []*writer
	services []*service
	disks    []*disk
	volumes  []*volume
	policy   policy
	versions []version
	result   backupResult
	history  []pastJob
	events   []event
	nextRec  int64
	shares   []*share
	nas      nas
	defender defender
	files    map[string]string
	shadows  []shadow
	shadowNo int
	job      *job

	backupDuration time.Duration
	restoreTests   []time.Time
	// transientFailures is how many of the next backups fail with a
	// writer's transient error whatever the state (backup-recovers).
	transientFailures int

	cmds    []cmdEntry
	cmdlets map[string]*cmdletEntry
	scripts *ps.Cache
}

// Name is the host name.
func (h *Host) Name() string { return h.name }

// Scenario is the scenario id the host was built from.
func (h *Host) Scenario() string { return h.scenario }

// Language is "en" or "ja".
func (h *Host) Language() string { return h.lang }

// WriterState returns the state number of the named VSS writer (matched
// case-insensitively), or -1 when the host has no such writer or its
// service is stopped (vssadmin does not list it then).
func (h *Host) WriterState(name string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	w := h.writerByName(name)
	if w == nil || !h.writerListed(w) {
		return -1
	}
	return h.writerShownState(w)
}

// WriterStates returns every listed writer's state number by name.
func (h *Host) WriterStates() map[string]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	m := make(map[string]int, len(h.writers))
	for _, w := range h.writers {
		if h.writerListed(w) {
			m[w.name] = h.writerShownState(w)
		}
	}
	return m
}

// ServiceRunning reports whether the named service runs; false when there
// is no such service.
func (h *Host) ServiceRunning(name string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.serviceByName(name)
	return s != nil && s.running
}

// FreeBytes returns the free space of a volume named by drive letter
// ("C", "C:", `C:\`), volume GUID path or guid, or role (RoleSystemReserved,
// ...); -1 when there is none.
func (h *Host) FreeBytes(vol string) int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	v := h.findVolume(vol)
	if v == nil {
		return -1
	}
	return v.free()
}

// USNJournalBytes returns the size of a volume's USN journal (0 when it has
// none), or -1 when there is no such volume. vol is as for FreeBytes.
func (h *Host) USNJournalBytes(vol string) int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	v := h.findVolume(vol)
	if v == nil {
		return -1
	}
	return v.usn
}

// DriveLetter returns the drive letter of a volume ("" when it has none).
// vol is as for FreeBytes.
func (h *Host) DriveLetter(vol string) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	v := h.findVolume(vol)
	if v == nil || v.letter == 0 {
		return ""
	}
	return string(v.letter)
}

// VolumeGUIDPath returns `\\?\Volume{...}\` of a volume, or "". vol is as
// for FreeBytes.
func (h *Host) VolumeGUIDPath(vol string) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	v := h.findVolume(vol)
	if v == nil {
		return ""
	}
	return volumeName(v.guid)
}

// BackupRunning reports whether a backup job runs.
func (h *Host) BackupRunning() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.job != nil && !h.job.finished
}

// LastBackupResult returns Get-WBSummary's LastBackupResultHR and
// LastBackupResultDetailedHR.
func (h *Host) LastBackupResult() (hr, detailedHR uint32) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.result.hr, h.result.detailedHR
}

// Versions returns the number of backup versions in the catalog.
func (h *Host) Versions() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.versions)
}

// SetBackupDuration sets how long backups started from now on take
// (default 10s).
func (h *Host) SetBackupDuration(d time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.backupDuration = d
}

// StartBackup starts a backup job as if the schedule had fired; it fails
// when one already runs. The job ends after the backup duration with the
// outcome the host's state gives (see backupOutcome).
func (h *Host) StartBackup() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := h.startJobLocked()
	return err
}

// RunBackup runs a whole backup job now, as the schedule would, without
// waiting for its duration, and returns Get-WBSummary's result after it.
// It fails when a job already runs.
func (h *Host) RunBackup() (hr, detailedHR uint32, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	j, err := h.startJobLocked()
	if err != nil {
		return 0, 0, err
	}
	j.timer.Stop()
	h.finishJobLocked(j, false)
	return h.result.hr, h.result.detailedHR, nil
}

// RecordRestoreTest writes a completed-recovery event at the given time, as
// a restore test on the server would.
func (h *Host) RecordRestoreTest(at time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.addRestoreEventLocked(at)
}

// close stops a running job's timer.
func (h *Host) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.job != nil && h.job.timer != nil {
		h.job.timer.Stop()
	}
}

// --- lookups (callers hold h.mu) ---

func (h *Host) writerByName(name string) *writer {
	for _, w := range h.writers {
		if strings.EqualFold(w.name, name) {
			return w
		}
	}
	return nil
}

func (h *Host) serviceByName(name string) *service {
	name = strings.TrimSpace(name)
	for _, s := range h.services {
		if strings.EqualFold(s.name, name) {
			return s
		}
	}
	return nil
}

// serviceByNameOrDisplay resolves what `net stop` accepts: the key name or
// the display name.
func (h *Host) serviceByNameOrDisplay(name string) *service {
	if s := h.serviceByName(name); s != nil {
		return s
	}
	for _, s := range h.services {
		if strings.EqualFold(s.display, strings.TrimSpace(name)) {
			return s
		}
	}
	return nil
}

// writerListed reports whether vssadmin lists the writer: its service (if
// any) must run.
func (h *Host) writerListed(w *writer) bool {
	if w.service == "" {
		return true
	}
	s := h.serviceByName(w.service)
	return s == nil || s.running
}

// writerShownState is the state vssadmin shows: stable writers wait for
// completion while a backup runs.
func (h *Host) writerShownState(w *writer) int {
	if w.state == 1 && h.job != nil && !h.job.finished {
		return 5
	}
	return w.state
}

// findVolume resolves a drive letter, a volume GUID path, a guid or a role.
func (h *Host) findVolume(s string) *volume {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	for _, v := range h.volumes {
		if strings.EqualFold(v.role, s) {
			return v
		}
	}
	if l, ok := driveLetterOf(s); ok {
		return h.volumeByLetter(l)
	}
	g := strings.ToLower(s)
	g = strings.TrimPrefix(g, `\\?\`)
	g = strings.TrimSuffix(g, `\`)
	g = strings.TrimPrefix(g, "volume")
	g = strings.Trim(g, "{}")
	for _, v := range h.volumes {
		if v.guid == g {
			return v
		}
	}
	return nil
}

func (h *Host) volumeByLetter(l byte) *volume {
	for _, v := range h.volumes {
		if v.letter == l && h.diskPresent(v.disk) {
			return v
		}
	}
	return nil
}

// visibleVolumes are the volumes on present disks, in enumeration order.
func (h *Host) visibleVolumes() []*volume {
	out := make([]*volume, 0, len(h.volumes))
	for _, v := range h.volumes {
		if h.diskPresent(v.disk) {
			out = append(out, v)
		}
	}
	return out
}

func (h *Host) diskPresent(n int) bool {
	for _, d := range h.disks {
		if d.number == n {
			return d.present
		}
	}
	return false
}

func (h *Host) diskByNumber(n int) *disk {
	for _, d := range h.disks {
		if d.number == n && d.present {
			return d
		}
	}
	return nil
}

// driveLetterOf parses "C", "C:", `C:\` (any case) into 'C'.
func driveLetterOf(s string) (byte, bool) {
	s = strings.TrimSuffix(strings.TrimSpace(s), `\`)
	s = strings.TrimSuffix(s, ":")
	if len(s) != 1 {
		return 0, false
	}
	c := s[0]
	if c >= 'a' && c <= 'z' {
		c -= 'a' - 'A'
	}
	if c < 'A' || c > 'Z' {
		return 0, false
	}
	return c, true
}

// friendlyName is how WSB names a volume: "System Reserved", "Local disk
// (C:)", "Data (D:)".
func (h *Host) friendlyName(v *volume) string {
	label := v.label
	if label == "" {
		label = h.t.localDisk
	}
	if v.letter == 0 {
		return label
	}
	return fmt.Sprintf("%s (%c:)", label, v.letter)
}

// now is the host's clock in its time zone.
func (h *Host) now() time.Time { return time.Now().In(h.loc) }

// sourceVolumes are the policy's source volumes that exist.
func (h *Host) sourceVolumes() []*volume {
	var out []*volume
	for _, g := range h.policy.sources {
		for _, v := range h.volumes {
			if v.guid == g {
				out = append(out, v)
			}
		}
	}
	return out
}

// addEventLocked appends a Microsoft-Windows-Backup event.
func (h *Host) addEventLocked(id, level int, when time.Time, msg string, props ...any) {
	h.nextRec++
	h.events = append(h.events, event{id: id, level: level, recordID: h.nextRec, when: when, message: msg, props: props})
	slices.SortStableFunc(h.events, func(a, b event) int { return a.when.Compare(b.when) })
}

func (h *Host) addRestoreEventLocked(at time.Time) {
	at = at.In(h.loc)
	start := at.Add(-7 * time.Minute)
	h.addEventLocked(EventRestoreCompleted, 4, at, fmt.Sprintf(h.t.evRestore, eventTime(start)), eventTime(start), int64(0))
	h.restoreTests = append(h.restoreTests, at)
}

// eventTime formats a time the way WSB event messages quote it, with the
// left-to-right marks Windows puts around date parts.
func eventTime(t time.Time) string {
	return "\u200e" + t.UTC().Format("2006") + "\u200e-\u200e" + t.UTC().Format("01") + "\u200e-\u200e" + t.UTC().Format("02") + "T" + t.UTC().Format("15:04:05.000000000") + "Z"
}

// envVar returns an environment variable of the simulated server.
func (h *Host) envVar(name, user string) (string, bool) {
	switch strings.ToLower(name) {
	case "computername":
		return strings.ToUpper(h.name), true
	case "username":
		return user, true
	case "userdomain":
		return strings.ToUpper(h.name), true
	case "userdnsdomain":
		return strings.ToUpper(h.domain), true
	case "systemroot", "windir":
		return `C:\Windows`, true
	case "systemdrive":
		return "C:", true
	case "programfiles":
		return `C:\Program Files`, true
	case "programdata":
		return `C:\ProgramData`, true
	case "userprofile":
		return `C:\Users\` + user, true
	case "temp", "tmp":
		return `C:\Users\` + user + `\AppData\Local\Temp`, true
	case "processor_architecture":
		return "AMD64", true
	case "os":
		return "Windows_NT", true
	case "number_of_processors":
		return "4", true
	case "comspec":
		return `C:\Windows\system32\cmd.exe`, true
	}
	return "", false
}
