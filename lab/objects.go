package lab

import (
	"fmt"
	"strings"
	"time"

	"github.com/wsbbot/wsbbot/lab/ps"
)

// This file builds the objects the host's cmdlets return. Callers hold h.mu.

func enum(name string, val int64) ps.Enum { return ps.Enum{Name: name, Val: val} }

func strCol(header, prop string, t *texts) ps.Column {
	return ps.Column{Header: header, Value: func(o *ps.Object) string {
		v, _ := o.Get(prop)
		return t.Display(v)
	}}
}

func sizeCol(header, prop string) ps.Column {
	return ps.Column{Header: header, Right: true, Value: func(o *ps.Object) string {
		v, _ := o.Get(prop)
		n, _ := ps.Number(v)
		return ps.SizeString(int64(n))
	}}
}

func (h *Host) wbSummaryLocked() *ps.Object {
	msg := ""
	if h.result.hr != 0 {
		msg = h.t.hrMessage(detOr(h.result.detailedHR, h.result.hr))
	}
	status := enum("NoOperationInProgress", 0)
	if h.job != nil && !h.job.finished {
		status = enum("BackupInProgress", 1)
	}
	o := ps.NewObject("Microsoft.Windows.ServerBackup.Commands.WBSummary",
		ps.P("NextBackupTime", h.nextBackupTime()),
		ps.P("NumberOfVersions", uint32(len(h.versions))),
		ps.P("LastSuccessfulBackupTime", h.result.successTime),
		ps.P("LastSuccessfulBackupTargetPath", h.result.successPath),
		ps.P("LastSuccessfulBackupTargetLabel", h.result.successLabel),
		ps.P("LastBackupTime", h.result.lastTime),
		ps.P("LastBackupTarget", h.result.lastTarget),
		ps.P("DetailedMessage", msg),
		ps.P("LastBackupResultHR", h.result.hr),
		ps.P("LastBackupResultDetailedHR", h.result.detailedHR),
		ps.P("CurrentOperationStatus", status),
	)
	o.View = ps.ViewList
	return o
}

func (h *Host) wbVolumeLocked(v *volume) *ps.Object {
	mount := ""
	if v.letter != 0 {
		mount = string(v.letter) + ":"
	}
	prop := "ValidSource"
	if v.role == RoleSystemReserved || v.role == RoleSystem {
		prop = "Critical, ValidSource"
	}
	o := ps.NewObject("Microsoft.Windows.ServerBackup.Commands.WBVolume",
		ps.P("VolumeLabel", v.label),
		ps.P("MountPath", mount),
		ps.P("MountPoints", nil),
		ps.P("FileSystem", v.fs),
		ps.P("Property", enum(prop, 3)),
		ps.P("FreeSpace", uint64(v.free())),
		ps.P("TotalSpace", uint64(v.size)),
		ps.P("Category", enum("None", 0)),
		ps.P("VolumeID", braced(v.guid)),
	)
	o.Str = h.friendlyName(v)
	o.View = ps.ViewList
	return o
}

func (h *Host) wbDiskLocked(d *disk) *ps.Object {
	var vols []any
	var free int64
	for _, v := range h.volumes {
		if v.disk == d.number {
			vols = append(vols, h.friendlyName(v))
			free += v.free()
		}
	}
	props := "ValidTarget, Fixed"
	if d.boot {
		props = "Fixed"
	}
	o := ps.NewObject("Microsoft.Windows.ServerBackup.Commands.WBDisk",
		ps.P("Name", d.friendly),
		ps.P("DiskNumber", uint32(d.number)),
		ps.P("DiskId", braced(guid(h.name, fmt.Sprintf("wbdisk-%d", d.number)))),
		ps.P("TotalSpace", uint64(d.size)),
		ps.P("FreeSpace", uint64(free)),
		ps.P("Volumes", vols),
		ps.P("Properties", enum(props, 5)),
	)
	o.Str = d.friendly
	o.View = ps.ViewList
	return o
}

// wbTargetLocked returns the WBBackupTarget, or nil when the target cannot
// be resolved (its disk is gone).
func (h *Host) wbTargetLocked(tg target) *ps.Object {
	var o *ps.Object
	switch tg.kind {
	case "Network":
		o = ps.NewObject("Microsoft.Windows.ServerBackup.Commands.WBBackupTarget",
			ps.P("Label", tg.label), ps.P("WBDisk", nil), ps.P("WBVolume", nil), ps.P("Path", tg.path),
			ps.P("TargetType", enum("Network", 2)), ps.P("InheritAcl", false), ps.P("PreserveExistingBackup", false))
	case "Disk":
		d := h.diskByNumber(tg.disk)
		v := h.findVolume(tg.vol)
		if d == nil || v == nil {
			return nil
		}
		path := strings.TrimSuffix(volumeName(v.guid), `\`)
		o = ps.NewObject("Microsoft.Windows.ServerBackup.Commands.WBBackupTarget",
			ps.P("Label", tg.label), ps.P("WBDisk", h.wbDiskLocked(d)), ps.P("WBVolume", nil), ps.P("Path", path),
			ps.P("TargetType", enum("Disk", 1)), ps.P("InheritAcl", false), ps.P("PreserveExistingBackup", false))
	default:
		v := h.findVolume(tg.vol)
		if v == nil || !h.diskPresent(v.disk) {
			return nil
		}
		path := volumeName(v.guid)
		if v.letter != 0 {
			path = string(v.letter) + ":"
		}
		o = ps.NewObject("Microsoft.Windows.ServerBackup.Commands.WBBackupTarget",
			ps.P("Label", tg.label), ps.P("WBDisk", nil), ps.P("WBVolume", h.wbVolumeLocked(v)), ps.P("Path", path),
			ps.P("TargetType", enum("Volume", 0)), ps.P("InheritAcl", false), ps.P("PreserveExistingBackup", false))
	}
	o.Str = tg.label
	o.View = ps.ViewList
	return o
}

func (h *Host) wbPolicyLocked() *ps.Object {
	var sched []any
	now := h.now()
	for _, at := range h.policy.schedule {
		sched = append(sched, time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, h.loc).Add(at))
	}
	var targets []any
	for _, tg := range h.policy.targets {
		if o := h.wbTargetLocked(tg); o != nil {
			targets = append(targets, o)
		}
	}
	var vols []any
	for _, v := range h.sourceVolumes() {
		vols = append(vols, h.wbVolumeLocked(v))
	}
	o := ps.NewObject("Microsoft.Windows.ServerBackup.Commands.WBPolicy",
		ps.P("Schedule", sched),
		ps.P("BackupTargets", targets),
		ps.P("VolumesToBackup", vols),
		ps.P("FilesSpecsToBackup", nil),
		ps.P("FilesSpecsToExclude", nil),
		ps.P("ComponentsToBackup", nil),
		ps.P("BMR", h.policy.bmr),
		ps.P("SystemState", h.policy.systemState),
		ps.P("OverwriteOldFormatVhd", false),
		ps.P("VssBackupOptions", enum("VssCopyBackup", 2)),
		ps.P("PolicyState", enum("Existing", 1)),
	)
	o.View = ps.ViewList
	return o
}

func (h *Host) wbJobLocked(j *job, past *pastJob) *ps.Object {
	jobType, state := enum("None", 0), enum("Unknown", 0)
	var start, end any
	var hr, det int64
	cur, errDesc, vid := "", "", ""
	switch {
	case j != nil && !j.finished:
		jobType, state = enum("Backup", 1), enum("Running", 2)
		start = j.start
		cur = h.progressLocked(j).line
	case past != nil:
		jobType, state = enum("Backup", 1), enum("Completed", 3)
		start, end = past.start, past.end
		hr, det = int64(int32(past.hr)), int64(int32(past.detailedHR))
		vid = past.versionID
		if past.hr != 0 {
			errDesc = h.t.hrMessage(detOr(past.detailedHR, past.hr))
		}
	}
	o := ps.NewObject("Microsoft.Windows.ServerBackup.Commands.WBJob",
		ps.P("JobType", jobType),
		ps.P("StartTime", start),
		ps.P("EndTime", end),
		ps.P("JobState", state),
		ps.P("HResult", hr),
		ps.P("DetailedHResult", det),
		ps.P("ErrorDescription", errDesc),
		ps.P("JobItems", nil),
		ps.P("VersionId", vid),
		ps.P("SuccessLogPath", nil),
		ps.P("FailureLogPath", nil),
		ps.P("CurrentOperation", cur),
	)
	o.View = ps.ViewList
	return o
}

func (h *Host) serviceObjLocked(s *service, nested bool) *ps.Object {
	status := enum("Stopped", 1)
	if s.running {
		status = enum("Running", 4)
	}
	stype := enum("Win32OwnProcess", 16)
	if s.svcType == 32 {
		stype = enum("Win32ShareProcess", 32)
	}
	start := map[string]int64{"Automatic": 2, "Manual": 3, "Disabled": 4}[s.startType]
	deps := []any{}
	if !nested {
		for _, d := range s.dependents {
			if ds := h.serviceByName(d); ds != nil {
				deps = append(deps, h.serviceObjLocked(ds, true))
			}
		}
	}
	o := ps.NewObject("System.ServiceProcess.ServiceController",
		ps.P("Name", s.name),
		ps.P("RequiredServices", []any{}),
		ps.P("CanPauseAndContinue", false),
		ps.P("CanShutdown", false),
		ps.P("CanStop", s.running && !s.cannotStop),
		ps.P("DisplayName", s.display),
		ps.P("DependentServices", deps),
		ps.P("MachineName", "."),
		ps.P("ServiceName", s.name),
		ps.P("ServicesDependedOn", []any{}),
		ps.P("ServiceHandle", "SafeServiceHandle"),
		ps.P("Status", status),
		ps.P("ServiceType", stype),
		ps.P("StartType", enum(s.startType, start)),
		ps.P("Site", nil),
		ps.P("Container", nil),
	)
	o.Str = "System.ServiceProcess.ServiceController"
	o.View = ps.ViewTable
	o.Cols = []ps.Column{strCol("Status", "Status", h.t), strCol("Name", "Name", h.t), strCol("DisplayName", "DisplayName", h.t)}
	return o
}

func (h *Host) volumeObjLocked(v *volume) *ps.Object {
	var letter any
	if v.letter != 0 {
		letter = string(v.letter)
	}
	o := ps.NewObject("Microsoft.Management.Infrastructure.CimInstance#ROOT/Microsoft/Windows/Storage/MSFT_Volume",
		ps.P("ObjectId", fmt.Sprintf(`{1}\\%s\root/Microsoft/Windows/Storage/Providers_v2\WSP_Volume.ObjectId="{%s}:VO:%s"`, strings.ToUpper(h.name), guid(h.name, "storage-subsystem"), volumeName(v.guid))),
		ps.P("PassThroughClass", nil),
		ps.P("PassThroughIds", nil),
		ps.P("PassThroughNamespace", nil),
		ps.P("PassThroughServer", nil),
		ps.P("UniqueId", volumeName(v.guid)),
		ps.P("AllocationUnitSize", uint32(4096)),
		ps.P("DedupMode", enum("NotAvailable", 4)),
		ps.P("DriveLetter", letter),
		ps.P("DriveType", enum("Fixed", 3)),
		ps.P("FileSystem", v.fs),
		ps.P("FileSystemLabel", v.label),
		ps.P("FileSystemType", enum("NTFS", 14)),
		ps.P("HealthStatus", enum("Healthy", 0)),
		ps.P("OperationalStatus", enum("OK", 2)),
		ps.P("Path", volumeName(v.guid)),
		ps.P("Size", uint64(v.size)),
		ps.P("SizeRemaining", uint64(v.free())),
		ps.P("PSComputerName", nil),
	)
	o.Str = fmt.Sprintf(`MSFT_Volume (ObjectId = "%s")`, volumeName(v.guid))
	o.View = ps.ViewTable
	t := h.t
	o.Cols = []ps.Column{
		strCol("DriveLetter", "DriveLetter", t), strCol("FriendlyName", "FileSystemLabel", t), strCol("FileSystemType", "FileSystemType", t),
		strCol("DriveType", "DriveType", t), strCol("HealthStatus", "HealthStatus", t), strCol("OperationalStatus", "OperationalStatus", t),
		sizeCol("SizeRemaining", "SizeRemaining"), sizeCol("Size", "Size"),
	}
	return o
}

func (h *Host) diskPath(d *disk) string {
	return fmt.Sprintf(`\\?\scsi#disk&ven_msft&prod_virtual_disk#5&%08x&0&%06d#{53f56307-b6bf-11d0-94f2-00a0c91efb8b}`, d.mbrSignature|uint32(d.number+1)*0x1000, d.number)
}

func (h *Host) partitionObjLocked(v *volume) *ps.Object {
	d := h.diskByNumber(v.disk)
	letter := "\x00"
	paths := []any{}
	if v.letter != 0 {
		letter = string(v.letter)
		paths = append(paths, string(v.letter)+`:\`)
	}
	paths = append(paths, volumeName(v.guid))
	typ := "IFS"
	switch {
	case v.role == RoleRecovery:
		typ = "Recovery"
	case d != nil && d.style == "GPT":
		typ = "Basic"
	}
	var mbr, gpt any
	if d != nil && d.style == "MBR" {
		mbr = int64(v.mbrType)
	} else {
		gpt = v.gptType
	}
	diskPath := h.diskPath(d)
	o := ps.NewObject("Microsoft.Management.Infrastructure.CimInstance#ROOT/Microsoft/Windows/Storage/MSFT_Partition",
		ps.P("OperationalStatus", "Online"),
		ps.P("Type", typ),
		ps.P("DiskPath", diskPath),
		ps.P("ObjectId", fmt.Sprintf(`{1}\\%s\root/Microsoft/Windows/Storage/Providers_v2\WSP_Partition.ObjectId="{%s}:PR:{00000000-0000-0000-0000-%012x}%s"`, strings.ToUpper(h.name), guid(h.name, "storage-subsystem"), v.offset, diskPath)),
		ps.P("PassThroughClass", nil),
		ps.P("AccessPaths", paths),
		ps.P("DiskId", diskPath),
		ps.P("DiskNumber", uint32(v.disk)),
		ps.P("DriveLetter", letter),
		ps.P("GptType", gpt),
		ps.P("Guid", nil),
		ps.P("IsActive", v.active),
		ps.P("IsBoot", v.boot),
		ps.P("IsDAX", false),
		ps.P("IsHidden", v.hidden),
		ps.P("IsOffline", false),
		ps.P("IsReadOnly", false),
		ps.P("IsShadowCopy", false),
		ps.P("IsSystem", v.system),
		ps.P("MbrType", mbr),
		ps.P("NoDefaultDriveLetter", v.letter == 0 && v.role != RoleSystemReserved),
		ps.P("Offset", uint64(v.offset)),
		ps.P("PartitionNumber", uint32(v.part)),
		ps.P("Size", uint64(v.size)),
		ps.P("TransitionState", int64(1)),
		ps.P("PSComputerName", nil),
	)
	o.Str = "MSFT_Partition"
	o.View = ps.ViewTable
	o.GroupBy = "DiskPath"
	t := h.t
	o.Cols = []ps.Column{
		strCol("PartitionNumber", "PartitionNumber", t),
		{Header: "DriveLetter", Value: func(o *ps.Object) string {
			v, _ := o.Get("DriveLetter")
			return strings.Trim(ps.String(v), "\x00")
		}},
		{Header: "Offset", Right: true, Value: func(o *ps.Object) string { v, _ := o.Get("Offset"); return ps.String(v) }},
		sizeCol("Size", "Size"), strCol("Type", "Type", t),
	}
	return o
}

func (h *Host) diskObjLocked(d *disk) *ps.Object {
	n := 0
	var alloc int64
	for _, v := range h.volumes {
		if v.disk == d.number {
			n++
			alloc += v.size
		}
	}
	style := enum("MBR", 1)
	var sig, g any
	if d.style == "GPT" {
		style = enum("GPT", 2)
		g = braced(d.gptGUID)
	} else {
		sig = d.mbrSignature
	}
	bus := enum("SAS", 10)
	if strings.Contains(d.friendly, "USB") {
		bus = enum("USB", 7)
	}
	o := ps.NewObject("Microsoft.Management.Infrastructure.CimInstance#ROOT/Microsoft/Windows/Storage/MSFT_Disk",
		ps.P("DiskNumber", uint32(d.number)),
		ps.P("PartitionStyle", style),
		ps.P("ProvisioningType", enum("Fixed", 2)),
		ps.P("OperationalStatus", "Online"),
		ps.P("HealthStatus", enum("Healthy", 0)),
		ps.P("BusType", bus),
		ps.P("UniqueIdFormat", enum("Vendor Specific", 0)),
		ps.P("OfflineReason", nil),
		ps.P("ObjectId", fmt.Sprintf(`{1}\\%s\root/Microsoft/Windows/Storage/Providers_v2\WSP_Disk.ObjectId="{%s}:DI:%s"`, strings.ToUpper(h.name), guid(h.name, "storage-subsystem"), h.diskPath(d))),
		ps.P("UniqueId", d.uniqueID),
		ps.P("AllocatedSize", uint64(alloc)),
		ps.P("BootFromDisk", d.boot),
		ps.P("FirmwareVersion", "1.0"),
		ps.P("FriendlyName", d.friendly),
		ps.P("Guid", g),
		ps.P("IsBoot", d.boot),
		ps.P("IsClustered", false),
		ps.P("IsHighlyAvailable", false),
		ps.P("IsOffline", false),
		ps.P("IsReadOnly", false),
		ps.P("IsScaleOut", false),
		ps.P("IsSystem", d.boot),
		ps.P("LargestFreeExtent", uint64(0)),
		ps.P("Location", d.location),
		ps.P("LogicalSectorSize", uint32(512)),
		ps.P("Model", strings.TrimSuffix(d.friendly, " USB Device")),
		ps.P("Number", uint32(d.number)),
		ps.P("NumberOfPartitions", uint32(n)),
		ps.P("Path", h.diskPath(d)),
		ps.P("PhysicalSectorSize", uint32(d.physicalSector)),
		ps.P("SerialNumber", d.serial),
		ps.P("Signature", sig),
		ps.P("Size", uint64(d.size)),
		ps.P("PSComputerName", nil),
	)
	o.Str = "MSFT_Disk"
	o.View = ps.ViewTable
	t := h.t
	o.Cols = []ps.Column{
		{Header: "Number", Right: true, Value: func(o *ps.Object) string { v, _ := o.Get("Number"); return ps.String(v) }},
		strCol("Friendly Name", "FriendlyName", t), strCol("Serial Number", "SerialNumber", t),
		strCol("HealthStatus", "HealthStatus", t), strCol("OperationalStatus", "OperationalStatus", t),
		sizeCol("Total Size", "Size"), strCol("Partition Style", "PartitionStyle", t),
	}
	return o
}

func (h *Host) psDriveObjLocked(v *volume) *ps.Object {
	prov := ps.NewObject("System.Management.Automation.ProviderInfo", ps.P("Name", "FileSystem"))
	prov.Str = `Microsoft.PowerShell.Core\FileSystem`
	cur := ""
	if v.role == RoleSystem {
		cur = `Windows\system32`
	}
	o := ps.NewObject("System.Management.Automation.PSDriveInfo",
		ps.P("Used", uint64(v.used+v.usn)),
		ps.P("Free", uint64(v.free())),
		ps.P("CurrentLocation", cur),
		ps.P("Name", string(v.letter)),
		ps.P("Provider", prov),
		ps.P("Root", string(v.letter)+`:\`),
		ps.P("Description", v.label),
		ps.P("MaximumSize", nil),
		ps.P("Credential", "System.Management.Automation.PSCredential"),
		ps.P("DisplayRoot", nil),
	)
	o.Str = string(v.letter)
	o.View = ps.ViewTable
	gb := func(prop string) func(o *ps.Object) string {
		return func(o *ps.Object) string {
			x, _ := o.Get(prop)
			n, _ := ps.Number(x)
			return fmt.Sprintf("%.2f", n/float64(gib))
		}
	}
	t := h.t
	o.Cols = []ps.Column{
		strCol("Name", "Name", t), {Header: "Used (GB)", Right: true, Value: gb("Used")}, {Header: "Free (GB)", Right: true, Value: gb("Free")},
		{Header: "Provider", Value: func(*ps.Object) string { return "FileSystem" }}, strCol("Root", "Root", t), strCol("CurrentLocation", "CurrentLocation", t),
	}
	return o
}

func listOrNil(ss []string) any {
	if len(ss) == 0 {
		return nil
	}
	return ps.FromStrings(ss)
}

func (h *Host) mpPreferenceLocked() *ps.Object {
	d := h.defender
	o := ps.NewObject("Microsoft.Management.Infrastructure.CimInstance#ROOT/Microsoft/Windows/Defender/MSFT_MpPreference",
		ps.P("AttackSurfaceReductionOnlyExclusions", nil),
		ps.P("AttackSurfaceReductionRules_Actions", nil),
		ps.P("AttackSurfaceReductionRules_Ids", nil),
		ps.P("CheckForSignaturesBeforeRunningScan", false),
		ps.P("CloudBlockLevel", uint32(0)),
		ps.P("CloudExtendedTimeout", uint32(0)),
		ps.P("ComputerID", strings.ToUpper(guid(h.name, "defender-computer-id"))),
		ps.P("ControlledFolderAccessAllowedApplications", nil),
		ps.P("ControlledFolderAccessProtectedFolders", nil),
		ps.P("DisableArchiveScanning", false),
		ps.P("DisableAutoExclusions", false),
		ps.P("DisableBehaviorMonitoring", false),
		ps.P("DisableBlockAtFirstSeen", false),
		ps.P("DisableCatchupFullScan", true),
		ps.P("DisableCatchupQuickScan", true),
		ps.P("DisableEmailScanning", true),
		ps.P("DisableIntrusionPreventionSystem", nil),
		ps.P("DisableIOAVProtection", false),
		ps.P("DisablePrivacyMode", false),
		ps.P("DisableRealtimeMonitoring", !d.realtime),
		ps.P("DisableRemovableDriveScanning", true),
		ps.P("DisableRestorePoint", true),
		ps.P("DisableScanningMappedNetworkDrivesForFullScan", true),
		ps.P("DisableScanningNetworkFiles", false),
		ps.P("DisableScriptScanning", false),
		ps.P("EnableControlledFolderAccess", uint32(0)),
		ps.P("EnableFileHashComputation", false),
		ps.P("EnableLowCpuPriority", false),
		ps.P("EnableNetworkProtection", uint32(0)),
		ps.P("ExclusionExtension", listOrNil(d.exclusionExtension)),
		ps.P("ExclusionPath", listOrNil(d.exclusionPath)),
		ps.P("ExclusionProcess", listOrNil(d.exclusionProcess)),
		ps.P("HighThreatDefaultAction", uint32(0)),
		ps.P("LowThreatDefaultAction", uint32(0)),
		ps.P("MAPSReporting", uint32(2)),
		ps.P("MeteredConnectionUpdates", false),
		ps.P("ModerateThreatDefaultAction", uint32(0)),
		ps.P("PUAProtection", uint32(0)),
		ps.P("QuarantinePurgeItemsAfterDelay", uint32(90)),
		ps.P("RandomizeScheduleTaskTimes", true),
		ps.P("RealTimeScanDirection", uint32(0)),
		ps.P("RemediationScheduleDay", uint32(0)),
		ps.P("RemediationScheduleTime", "02:00:00"),
		ps.P("ReportingAdditionalActionTimeOut", uint32(10080)),
		ps.P("ReportingCriticalFailureTimeOut", uint32(10080)),
		ps.P("ReportingNonCriticalTimeOut", uint32(1440)),
		ps.P("ScanAvgCPULoadFactor", uint32(50)),
		ps.P("ScanOnlyIfIdleEnabled", true),
		ps.P("ScanParameters", uint32(1)),
		ps.P("ScanPurgeItemsAfterDelay", uint32(15)),
		ps.P("ScanScheduleDay", uint32(7)),
		ps.P("ScanScheduleQuickScanTime", "00:00:00"),
		ps.P("ScanScheduleTime", "02:00:00"),
		ps.P("SevereThreatDefaultAction", uint32(0)),
		ps.P("SharedSignaturesPath", nil),
		ps.P("SignatureAuGracePeriod", uint32(0)),
		ps.P("SignatureDefinitionUpdateFileSharesSources", nil),
		ps.P("SignatureDisableUpdateOnStartupWithoutEngine", false),
		ps.P("SignatureFallbackOrder", "MicrosoftUpdateServer|MMPC"),
		ps.P("SignatureFirstAuGracePeriod", uint32(120)),
		ps.P("SignatureScheduleDay", uint32(8)),
		ps.P("SignatureScheduleTime", "01:45:00"),
		ps.P("SignatureUpdateCatchupInterval", uint32(1)),
		ps.P("SignatureUpdateInterval", uint32(0)),
		ps.P("SubmitSamplesConsent", uint32(1)),
		ps.P("ThreatIDDefaultAction_Actions", nil),
		ps.P("ThreatIDDefaultAction_Ids", nil),
		ps.P("UILockdown", false),
		ps.P("UnknownThreatDefaultAction", uint32(0)),
		ps.P("PSComputerName", nil),
	)
	o.View = ps.ViewList
	o.Str = "MSFT_MpPreference"
	return o
}

func (h *Host) mpStatusLocked() *ps.Object {
	d := h.defender
	updated := h.created.Add(-5 * time.Hour)
	o := ps.NewObject("Microsoft.Management.Infrastructure.CimInstance#ROOT/Microsoft/Windows/Defender/MSFT_MpComputerStatus",
		ps.P("AMEngineVersion", "1.1.24030.4"),
		ps.P("AMProductVersion", "4.18.24030.9"),
		ps.P("AMRunningMode", "Normal"),
		ps.P("AMServiceEnabled", d.serviceEnabled),
		ps.P("AMServiceVersion", "4.18.24030.9"),
		ps.P("AntispywareEnabled", d.serviceEnabled),
		ps.P("AntispywareSignatureAge", uint32(0)),
		ps.P("AntispywareSignatureLastUpdated", updated),
		ps.P("AntispywareSignatureVersion", "1.409.318.0"),
		ps.P("AntivirusEnabled", d.serviceEnabled),
		ps.P("AntivirusSignatureAge", uint32(0)),
		ps.P("AntivirusSignatureLastUpdated", updated),
		ps.P("AntivirusSignatureVersion", "1.409.318.0"),
		ps.P("BehaviorMonitorEnabled", d.realtime),
		ps.P("ComputerID", strings.ToUpper(guid(h.name, "defender-computer-id"))),
		ps.P("ComputerState", uint32(0)),
		ps.P("FullScanAge", uint32(4294967295)),
		ps.P("FullScanEndTime", nil),
		ps.P("FullScanStartTime", nil),
		ps.P("IoavProtectionEnabled", d.realtime),
		ps.P("IsTamperProtected", false),
		ps.P("IsVirtualMachine", true),
		ps.P("NISEnabled", d.realtime),
		ps.P("NISEngineVersion", "1.1.24030.4"),
		ps.P("NISSignatureAge", uint32(0)),
		ps.P("NISSignatureLastUpdated", updated),
		ps.P("NISSignatureVersion", "1.409.318.0"),
		ps.P("OnAccessProtectionEnabled", d.realtime),
		ps.P("QuickScanAge", uint32(1)),
		ps.P("QuickScanEndTime", h.created.Add(-22*time.Hour)),
		ps.P("QuickScanStartTime", h.created.Add(-22*time.Hour-4*time.Minute)),
		ps.P("RealTimeProtectionEnabled", d.realtime),
		ps.P("RealTimeScanDirection", uint32(0)),
		ps.P("PSComputerName", nil),
	)
	o.View = ps.ViewList
	o.Str = "MSFT_MpComputerStatus"
	return o
}

func (h *Host) eventObj(ev event) *ps.Object {
	level := "Information"
	if ev.level == 2 {
		level = "Error"
	} else if ev.level == 3 {
		level = "Warning"
	}
	if h.lang == LangJapanese {
		level = map[string]string{"Information": "情報", "Error": "エラー", "Warning": "警告"}[level]
	}
	var props []any
	for _, v := range ev.props {
		ep := ps.NewObject("System.Diagnostics.Eventing.Reader.EventProperty", ps.P("Value", v))
		ep.Str = "System.Diagnostics.Eventing.Reader.EventProperty"
		props = append(props, ep)
	}
	if props == nil {
		props = []any{}
	}
	o := ps.NewObject("System.Diagnostics.Eventing.Reader.EventLogRecord",
		ps.P("Message", ev.message),
		ps.P("Id", int64(ev.id)),
		ps.P("Version", int64(0)),
		ps.P("Qualifiers", nil),
		ps.P("Level", int64(ev.level)),
		ps.P("Task", int64(0)),
		ps.P("Opcode", int64(0)),
		ps.P("Keywords", int64(-9223372036854775808)),
		ps.P("RecordId", ev.recordID),
		ps.P("ProviderName", "Microsoft-Windows-Backup"),
		ps.P("ProviderId", guid("microsoft-windows-backup", "provider")),
		ps.P("LogName", "Microsoft-Windows-Backup"),
		ps.P("ProcessId", int64(2412)),
		ps.P("ThreadId", int64(3304)),
		ps.P("MachineName", strings.ToUpper(h.name)+"."+h.domain),
		ps.P("UserId", "S-1-5-18"),
		ps.P("TimeCreated", ev.when),
		ps.P("ActivityId", nil),
		ps.P("RelatedActivityId", nil),
		ps.P("ContainerLog", "Microsoft-Windows-Backup"),
		ps.P("MatchedQueryIds", []any{}),
		ps.P("Bookmark", "System.Diagnostics.Eventing.Reader.EventBookmark"),
		ps.P("LevelDisplayName", level),
		ps.P("OpcodeDisplayName", "Info"),
		ps.P("TaskDisplayName", nil),
		ps.P("KeywordsDisplayNames", []any{}),
		ps.P("Properties", props),
	)
	o.Str = "System.Diagnostics.Eventing.Reader.EventLogRecord"
	o.View = ps.ViewTable
	o.GroupBy = "ProviderName"
	t := h.t
	o.Cols = []ps.Column{
		strCol("TimeCreated", "TimeCreated", t),
		{Header: "Id", Right: true, Value: func(o *ps.Object) string { v, _ := o.Get("Id"); return ps.String(v) }},
		strCol("LevelDisplayName", "LevelDisplayName", t), strCol("Message", "Message", t),
	}
	return o
}

func (h *Host) win32VolumeLocked(v *volume) *ps.Object {
	var letter any
	name := volumeName(v.guid)
	if v.letter != 0 {
		letter = string(v.letter) + ":"
		name = string(v.letter) + `:\`
	}
	var label any
	if v.label != "" {
		label = v.label
	}
	o := ps.NewObject("Microsoft.Management.Infrastructure.CimInstance#root/cimv2/Win32_Volume",
		ps.P("Caption", name),
		ps.P("Description", nil),
		ps.P("Name", name),
		ps.P("Status", nil),
		ps.P("Availability", nil),
		ps.P("DeviceID", volumeName(v.guid)),
		ps.P("Access", nil),
		ps.P("BlockSize", uint64(4096)),
		ps.P("Capacity", uint64(v.size)),
		ps.P("FreeSpace", uint64(v.free())),
		ps.P("Automount", true),
		ps.P("BootVolume", v.boot),
		ps.P("Compressed", false),
		ps.P("DirtyBitSet", false),
		ps.P("DriveLetter", letter),
		ps.P("DriveType", uint32(3)),
		ps.P("FileSystem", v.fs),
		ps.P("IndexingEnabled", v.role != RoleSystemReserved && v.role != RoleRecovery),
		ps.P("Label", label),
		ps.P("MaximumFileNameLength", uint32(255)),
		ps.P("PageFilePresent", v.role == RoleSystem),
		ps.P("SerialNumber", uint32(v.usnID)),
		ps.P("SystemVolume", v.system),
		ps.P("PSComputerName", nil),
	)
	o.View = ps.ViewList
	o.Str = fmt.Sprintf(`Win32_Volume (DeviceID = "%s")`, volumeName(v.guid))
	return o
}
