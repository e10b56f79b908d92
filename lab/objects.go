package lab

import (
	"fmt"
	"strings"
	"time"
)

// This file builds the objects the host's cmdlets return. Callers hold h.mu.

func enum(name string, val int64) Enum { return Enum{Name: name, Val: val} }

func strCol(header, prop string, t *texts) Column {
	return Column{Header: header, Value: func(o *Object) string {
		v, _ := o.Get(prop)
		return t.Display(v)
	}}
}

func sizeCol(header, prop string) Column {
	return Column{Header: header, Right: true, Value: func(o *Object) string {
		v, _ := o.Get(prop)
		n, _ := Number(v)
		return SizeString(int64(n))
	}}
}

func (h *Host) wbSummaryLocked() *Object {
	msg := ""
	if h.result.hr != 0 {
		msg = h.t.hrMessage(detOr(h.result.detailedHR, h.result.hr))
	}
	status := enum("NoOperationInProgress", 0)
	if h.job != nil && !h.job.finished {
		status = enum("BackupInProgress", 1)
	}
	o := NewObject("Microsoft.Windows.ServerBackup.Commands.WBSummary",
		P("NextBackupTime", h.nextBackupTime()),
		P("NumberOfVersions", uint32(len(h.versions))),
		P("LastSuccessfulBackupTime", h.result.successTime),
		P("LastSuccessfulBackupTargetPath", h.result.successPath),
		P("LastSuccessfulBackupTargetLabel", h.result.successLabel),
		P("LastBackupTime", h.result.lastTime),
		P("LastBackupTarget", h.result.lastTarget),
		P("DetailedMessage", msg),
		P("LastBackupResultHR", h.result.hr),
		P("LastBackupResultDetailedHR", h.result.detailedHR),
		P("CurrentOperationStatus", status),
	)
	o.View = ViewList
	return o
}

func (h *Host) wbVolumeLocked(v *volume) *Object {
	mount := ""
	if v.letter != 0 {
		mount = string(v.letter) + ":"
	}
	prop := "ValidSource"
	if v.role == RoleSystemReserved || v.role == RoleSystem {
		prop = "Critical, ValidSource"
	}
	o := NewObject("Microsoft.Windows.ServerBackup.Commands.WBVolume",
		P("VolumeLabel", v.label),
		P("MountPath", mount),
		P("MountPoints", nil),
		P("FileSystem", v.fs),
		P("Property", enum(prop, 3)),
		P("FreeSpace", uint64(v.free())),
		P("TotalSpace", uint64(v.size)),
		P("Category", enum("None", 0)),
		P("VolumeID", braced(v.guid)),
	)
	o.Str = h.friendlyName(v)
	o.View = ViewList
	return o
}

func (h *Host) wbDiskLocked(d *disk) *Object {
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
	o := NewObject("Microsoft.Windows.ServerBackup.Commands.WBDisk",
		P("Name", d.friendly),
		P("DiskNumber", uint32(d.number)),
		P("DiskId", braced(guid(h.name, fmt.Sprintf("wbdisk-%d", d.number)))),
		P("TotalSpace", uint64(d.size)),
		P("FreeSpace", uint64(free)),
		P("Volumes", vols),
		P("Properties", enum(props, 5)),
	)
	o.Str = d.friendly
	o.View = ViewList
	return o
}

// wbTargetLocked returns the WBBackupTarget, or nil when the target cannot
// be resolved (its disk is gone).
func (h *Host) wbTargetLocked(tg target) *Object {
	var o *Object
	switch tg.kind {
	case "Network":
		o = NewObject("Microsoft.Windows.ServerBackup.Commands.WBBackupTarget",
			P("Label", tg.label), P("WBDisk", nil), P("WBVolume", nil), P("Path", tg.path),
			P("TargetType", enum("Network", 2)), P("InheritAcl", false), P("PreserveExistingBackup", false))
	case "Disk":
		d := h.diskByNumber(tg.disk)
		v := h.findVolume(tg.vol)
		if d == nil || v == nil {
			return nil
		}
		path := strings.TrimSuffix(volumeName(v.guid), `\`)
		o = NewObject("Microsoft.Windows.ServerBackup.Commands.WBBackupTarget",
			P("Label", tg.label), P("WBDisk", h.wbDiskLocked(d)), P("WBVolume", nil), P("Path", path),
			P("TargetType", enum("Disk", 1)), P("InheritAcl", false), P("PreserveExistingBackup", false))
	default:
		v := h.findVolume(tg.vol)
		if v == nil || !h.diskPresent(v.disk) {
			return nil
		}
		path := volumeName(v.guid)
		if v.letter != 0 {
			path = string(v.letter) + ":"
		}
		o = NewObject("Microsoft.Windows.ServerBackup.Commands.WBBackupTarget",
			P("Label", tg.label), P("WBDisk", nil), P("WBVolume", h.wbVolumeLocked(v)), P("Path", path),
			P("TargetType", enum("Volume", 0)), P("InheritAcl", false), P("PreserveExistingBackup", false))
	}
	o.Str = tg.label
	o.View = ViewList
	return o
}

func (h *Host) wbPolicyLocked() *Object {
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
	o := NewObject("Microsoft.Windows.ServerBackup.Commands.WBPolicy",
		P("Schedule", sched),
		P("BackupTargets", targets),
		P("VolumesToBackup", vols),
		P("FilesSpecsToBackup", nil),
		P("FilesSpecsToExclude", nil),
		P("ComponentsToBackup", nil),
		P("BMR", h.policy.bmr),
		P("SystemState", h.policy.systemState),
		P("OverwriteOldFormatVhd", false),
		P("VssBackupOptions", enum("VssCopyBackup", 2)),
		P("PolicyState", enum("Existing", 1)),
	)
	o.View = ViewList
	return o
}

func (h *Host) wbJobLocked(j *job, past *pastJob) *Object {
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
	o := NewObject("Microsoft.Windows.ServerBackup.Commands.WBJob",
		P("JobType", jobType),
		P("StartTime", start),
		P("EndTime", end),
		P("JobState", state),
		P("HResult", hr),
		P("DetailedHResult", det),
		P("ErrorDescription", errDesc),
		P("JobItems", nil),
		P("VersionId", vid),
		P("SuccessLogPath", nil),
		P("FailureLogPath", nil),
		P("CurrentOperation", cur),
	)
	o.View = ViewList
	return o
}

func (h *Host) serviceObjLocked(s *service, nested bool) *Object {
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
	o := NewObject("System.ServiceProcess.ServiceController",
		P("Name", s.name),
		P("RequiredServices", []any{}),
		P("CanPauseAndContinue", false),
		P("CanShutdown", false),
		P("CanStop", s.running && !s.cannotStop),
		P("DisplayName", s.display),
		P("DependentServices", deps),
		P("MachineName", "."),
		P("ServiceName", s.name),
		P("ServicesDependedOn", []any{}),
		P("ServiceHandle", "SafeServiceHandle"),
		P("Status", status),
		P("ServiceType", stype),
		P("StartType", enum(s.startType, start)),
		P("Site", nil),
		P("Container", nil),
	)
	o.Str = "System.ServiceProcess.ServiceController"
	o.View = ViewTable
	o.Cols = []Column{strCol("Status", "Status", h.t), strCol("Name", "Name", h.t), strCol("DisplayName", "DisplayName", h.t)}
	return o
}

func (h *Host) volumeObjLocked(v *volume) *Object {
	var letter any
	if v.letter != 0 {
		letter = string(v.letter)
	}
	o := NewObject("Microsoft.Management.Infrastructure.CimInstance#ROOT/Microsoft/Windows/Storage/MSFT_Volume",
		P("ObjectId", fmt.Sprintf(`{1}\\%s\root/Microsoft/Windows/Storage/Providers_v2\WSP_Volume.ObjectId="{%s}:VO:%s"`, strings.ToUpper(h.name), guid(h.name, "storage-subsystem"), volumeName(v.guid))),
		P("PassThroughClass", nil),
		P("PassThroughIds", nil),
		P("PassThroughNamespace", nil),
		P("PassThroughServer", nil),
		P("UniqueId", volumeName(v.guid)),
		P("AllocationUnitSize", uint32(4096)),
		P("DedupMode", enum("NotAvailable", 4)),
		P("DriveLetter", letter),
		P("DriveType", enum("Fixed", 3)),
		P("FileSystem", v.fs),
		P("FileSystemLabel", v.label),
		P("FileSystemType", enum("NTFS", 14)),
		P("HealthStatus", enum("Healthy", 0)),
		P("OperationalStatus", enum("OK", 2)),
		P("Path", volumeName(v.guid)),
		P("Size", uint64(v.size)),
		P("SizeRemaining", uint64(v.free())),
		P("PSComputerName", nil),
	)
	o.Str = fmt.Sprintf(`MSFT_Volume (ObjectId = "%s")`, volumeName(v.guid))
	o.View = ViewTable
	t := h.t
	o.Cols = []Column{
		strCol("DriveLetter", "DriveLetter", t), strCol("FriendlyName", "FileSystemLabel", t), strCol("FileSystemType", "FileSystemType", t),
		strCol("DriveType", "DriveType", t), strCol("HealthStatus", "HealthStatus", t), strCol("OperationalStatus", "OperationalStatus", t),
		sizeCol("SizeRemaining", "SizeRemaining"), sizeCol("Size", "Size"),
	}
	return o
}

func (h *Host) diskPath(d *disk) string {
	return fmt.Sprintf(`\\?\scsi#disk&ven_msft&prod_virtual_disk#5&%08x&0&%06d#{53f56307-b6bf-11d0-94f2-00a0c91efb8b}`, d.mbrSignature|uint32(d.number+1)*0x1000, d.number)
}

func (h *Host) partitionObjLocked(v *volume) *Object {
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
	o := NewObject("Microsoft.Management.Infrastructure.CimInstance#ROOT/Microsoft/Windows/Storage/MSFT_Partition",
		P("OperationalStatus", "Online"),
		P("Type", typ),
		P("DiskPath", h.diskPath(d)),
		P("ObjectId", fmt.Sprintf(`{1}\\%s\root/Microsoft/Windows/Storage/Providers_v2\WSP_Partition.ObjectId="{%s}:PR:{00000000-0000-0000-0000-%012x}%s"`, strings.ToUpper(h.name), guid(h.name, "storage-subsystem"), v.offset, h.diskPath(d))),
		P("PassThroughClass", nil),
		P("AccessPaths", paths),
		P("DiskId", h.diskPath(d)),
		P("DiskNumber", uint32(v.disk)),
		P("DriveLetter", letter),
		P("GptType", gpt),
		P("Guid", nil),
		P("IsActive", v.active),
		P("IsBoot", v.boot),
		P("IsDAX", false),
		P("IsHidden", v.hidden),
		P("IsOffline", false),
		P("IsReadOnly", false),
		P("IsShadowCopy", false),
		P("IsSystem", v.system),
		P("MbrType", mbr),
		P("NoDefaultDriveLetter", v.letter == 0 && v.role != RoleSystemReserved),
		P("Offset", uint64(v.offset)),
		P("PartitionNumber", uint32(v.part)),
		P("Size", uint64(v.size)),
		P("TransitionState", int64(1)),
		P("PSComputerName", nil),
	)
	o.Str = "MSFT_Partition"
	o.View = ViewTable
	o.GroupBy = "DiskPath"
	t := h.t
	o.Cols = []Column{
		strCol("PartitionNumber", "PartitionNumber", t),
		{Header: "DriveLetter", Value: func(o *Object) string {
			v, _ := o.Get("DriveLetter")
			return strings.Trim(String(v), "\x00")
		}},
		{Header: "Offset", Right: true, Value: func(o *Object) string { v, _ := o.Get("Offset"); return String(v) }},
		sizeCol("Size", "Size"), strCol("Type", "Type", t),
	}
	return o
}

func (h *Host) diskObjLocked(d *disk) *Object {
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
	o := NewObject("Microsoft.Management.Infrastructure.CimInstance#ROOT/Microsoft/Windows/Storage/MSFT_Disk",
		P("DiskNumber", uint32(d.number)),
		P("PartitionStyle", style),
		P("ProvisioningType", enum("Fixed", 2)),
		P("OperationalStatus", "Online"),
		P("HealthStatus", enum("Healthy", 0)),
		P("BusType", bus),
		P("UniqueIdFormat", enum("Vendor Specific", 0)),
		P("OfflineReason", nil),
		P("ObjectId", fmt.Sprintf(`{1}\\%s\root/Microsoft/Windows/Storage/Providers_v2\WSP_Disk.ObjectId="{%s}:DI:%s"`, strings.ToUpper(h.name), guid(h.name, "storage-subsystem"), h.diskPath(d))),
		P("UniqueId", d.uniqueID),
		P("AllocatedSize", uint64(alloc)),
		P("BootFromDisk", d.boot),
		P("FirmwareVersion", "1.0"),
		P("FriendlyName", d.friendly),
		P("Guid", g),
		P("IsBoot", d.boot),
		P("IsClustered", false),
		P("IsHighlyAvailable", false),
		P("IsOffline", false),
		P("IsReadOnly", false),
		P("IsScaleOut", false),
		P("IsSystem", d.boot),
		P("LargestFreeExtent", uint64(0)),
		P("Location", d.location),
		P("LogicalSectorSize", uint32(512)),
		P("Model", strings.TrimSuffix(d.friendly, " USB Device")),
		P("Number", uint32(d.number)),
		P("NumberOfPartitions", uint32(n)),
		P("Path", h.diskPath(d)),
		P("PhysicalSectorSize", uint32(d.physicalSector)),
		P("SerialNumber", d.serial),
		P("Signature", sig),
		P("Size", uint64(d.size)),
		P("PSComputerName", nil),
	)
	o.Str = "MSFT_Disk"
	o.View = ViewTable
	t := h.t
	o.Cols = []Column{
		{Header: "Number", Right: true, Value: func(o *Object) string { v, _ := o.Get("Number"); return String(v) }},
		strCol("Friendly Name", "FriendlyName", t), strCol("Serial Number", "SerialNumber", t),
		strCol("HealthStatus", "HealthStatus", t), strCol("OperationalStatus", "OperationalStatus", t),
		sizeCol("Total Size", "Size"), strCol("Partition Style", "PartitionStyle", t),
	}
	return o
}

func (h *Host) psDriveObjLocked(v *volume) *Object {
	prov := NewObject("System.Management.Automation.ProviderInfo", P("Name", "FileSystem"))
	prov.Str = `Microsoft.PowerShell.Core\FileSystem`
	cur := ""
	if v.role == RoleSystem {
		cur = `Windows\system32`
	}
	o := NewObject("System.Management.Automation.PSDriveInfo",
		P("Used", uint64(v.used+v.usn)),
		P("Free", uint64(v.free())),
		P("CurrentLocation", cur),
		P("Name", string(v.letter)),
		P("Provider", prov),
		P("Root", string(v.letter)+`:\`),
		P("Description", v.label),
		P("MaximumSize", nil),
		P("Credential", "System.Management.Automation.PSCredential"),
		P("DisplayRoot", nil),
	)
	o.Str = string(v.letter)
	o.View = ViewTable
	gb := func(prop string) func(o *Object) string {
		return func(o *Object) string {
			x, _ := o.Get(prop)
			n, _ := Number(x)
			return fmt.Sprintf("%.2f", n/float64(gib))
		}
	}
	t := h.t
	o.Cols = []Column{
		strCol("Name", "Name", t), {Header: "Used (GB)", Right: true, Value: gb("Used")}, {Header: "Free (GB)", Right: true, Value: gb("Free")},
		{Header: "Provider", Value: func(*Object) string { return "FileSystem" }}, strCol("Root", "Root", t), strCol("CurrentLocation", "CurrentLocation", t),
	}
	return o
}

func listOrNil(ss []string) any {
	if len(ss) == 0 {
		return nil
	}
	return FromStrings(ss)
}

func (h *Host) mpPreferenceLocked() *Object {
	d := h.defender
	o := NewObject("Microsoft.Management.Infrastructure.CimInstance#ROOT/Microsoft/Windows/Defender/MSFT_MpPreference",
		P("AttackSurfaceReductionOnlyExclusions", nil),
		P("AttackSurfaceReductionRules_Actions", nil),
		P("AttackSurfaceReductionRules_Ids", nil),
		P("CheckForSignaturesBeforeRunningScan", false),
		P("CloudBlockLevel", uint32(0)),
		P("CloudExtendedTimeout", uint32(0)),
		P("ComputerID", strings.ToUpper(guid(h.name, "defender-computer-id"))),
		P("ControlledFolderAccessAllowedApplications", nil),
		P("ControlledFolderAccessProtectedFolders", nil),
		P("DisableArchiveScanning", false),
		P("DisableAutoExclusions", false),
		P("DisableBehaviorMonitoring", false),
		P("DisableBlockAtFirstSeen", false),
		P("DisableCatchupFullScan", true),
		P("DisableCatchupQuickScan", true),
		P("DisableEmailScanning", true),
		P("DisableIntrusionPreventionSystem", nil),
		P("DisableIOAVProtection", false),
		P("DisablePrivacyMode", false),
		P("DisableRealtimeMonitoring", !d.realtime),
		P("DisableRemovableDriveScanning", true),
		P("DisableRestorePoint", true),
		P("DisableScanningMappedNetworkDrivesForFullScan", true),
		P("DisableScanningNetworkFiles", false),
		P("DisableScriptScanning", false),
		P("EnableControlledFolderAccess", uint32(0)),
		P("EnableFileHashComputation", false),
		P("EnableLowCpuPriority", false),
		P("EnableNetworkProtection", uint32(0)),
		P("ExclusionExtension", listOrNil(d.exclusionExtension)),
		P("ExclusionPath", listOrNil(d.exclusionPath)),
		P("ExclusionProcess", listOrNil(d.exclusionProcess)),
		P("HighThreatDefaultAction", uint32(0)),
		P("LowThreatDefaultAction", uint32(0)),
		P("MAPSReporting", uint32(2)),
		P("MeteredConnectionUpdates", false),
		P("ModerateThreatDefaultAction", uint32(0)),
		P("PUAProtection", uint32(0)),
		P("QuarantinePurgeItemsAfterDelay", uint32(90)),
		P("RandomizeScheduleTaskTimes", true),
		P("RealTimeScanDirection", uint32(0)),
		P("RemediationScheduleDay", uint32(0)),
		P("RemediationScheduleTime", "02:00:00"),
		P("ReportingAdditionalActionTimeOut", uint32(10080)),
		P("ReportingCriticalFailureTimeOut", uint32(10080)),
		P("ReportingNonCriticalTimeOut", uint32(1440)),
		P("ScanAvgCPULoadFactor", uint32(50)),
		P("ScanOnlyIfIdleEnabled", true),
		P("ScanParameters", uint32(1)),
		P("ScanPurgeItemsAfterDelay", uint32(15)),
		P("ScanScheduleDay", uint32(7)),
		P("ScanScheduleQuickScanTime", "00:00:00"),
		P("ScanScheduleTime", "02:00:00"),
		P("SevereThreatDefaultAction", uint32(0)),
		P("SharedSignaturesPath", nil),
		P("SignatureAuGracePeriod", uint32(0)),
		P("SignatureDefinitionUpdateFileSharesSources", nil),
		P("SignatureDisableUpdateOnStartupWithoutEngine", false),
		P("SignatureFallbackOrder", "MicrosoftUpdateServer|MMPC"),
		P("SignatureFirstAuGracePeriod", uint32(120)),
		P("SignatureScheduleDay", uint32(8)),
		P("SignatureScheduleTime", "01:45:00"),
		P("SignatureUpdateCatchupInterval", uint32(1)),
		P("SignatureUpdateInterval", uint32(0)),
		P("SubmitSamplesConsent", uint32(1)),
		P("ThreatIDDefaultAction_Actions", nil),
		P("ThreatIDDefaultAction_Ids", nil),
		P("UILockdown", false),
		P("UnknownThreatDefaultAction", uint32(0)),
		P("PSComputerName", nil),
	)
	o.View = ViewList
	o.Str = "MSFT_MpPreference"
	return o
}

func (h *Host) mpStatusLocked() *Object {
	d := h.defender
	updated := h.created.Add(-5 * time.Hour)
	o := NewObject("Microsoft.Management.Infrastructure.CimInstance#ROOT/Microsoft/Windows/Defender/MSFT_MpComputerStatus",
		P("AMEngineVersion", "1.1.24030.4"),
		P("AMProductVersion", "4.18.24030.9"),
		P("AMRunningMode", "Normal"),
		P("AMServiceEnabled", d.serviceEnabled),
		P("AMServiceVersion", "4.18.24030.9"),
		P("AntispywareEnabled", d.serviceEnabled),
		P("AntispywareSignatureAge", uint32(0)),
		P("AntispywareSignatureLastUpdated", updated),
		P("AntispywareSignatureVersion", "1.409.318.0"),
		P("AntivirusEnabled", d.serviceEnabled),
		P("AntivirusSignatureAge", uint32(0)),
		P("AntivirusSignatureLastUpdated", updated),
		P("AntivirusSignatureVersion", "1.409.318.0"),
		P("BehaviorMonitorEnabled", d.realtime),
		P("ComputerID", strings.ToUpper(guid(h.name, "defender-computer-id"))),
		P("ComputerState", uint32(0)),
		P("FullScanAge", uint32(4294967295)),
		P("FullScanEndTime", nil),
		P("FullScanStartTime", nil),
		P("IoavProtectionEnabled", d.realtime),
		P("IsTamperProtected", false),
		P("IsVirtualMachine", true),
		P("NISEnabled", d.realtime),
		P("NISEngineVersion", "1.1.24030.4"),
		P("NISSignatureAge", uint32(0)),
		P("NISSignatureLastUpdated", updated),
		P("NISSignatureVersion", "1.409.318.0"),
		P("OnAccessProtectionEnabled", d.realtime),
		P("QuickScanAge", uint32(1)),
		P("QuickScanEndTime", h.created.Add(-22*time.Hour)),
		P("QuickScanStartTime", h.created.Add(-22*time.Hour-4*time.Minute)),
		P("RealTimeProtectionEnabled", d.realtime),
		P("RealTimeScanDirection", uint32(0)),
		P("PSComputerName", nil),
	)
	o.View = ViewList
	o.Str = "MSFT_MpComputerStatus"
	return o
}

func (h *Host) eventObj(ev event) *Object {
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
		ep := NewObject("System.Diagnostics.Eventing.Reader.EventProperty", P("Value", v))
		ep.Str = "System.Diagnostics.Eventing.Reader.EventProperty"
		props = append(props, ep)
	}
	if props == nil {
		props = []any{}
	}
	o := NewObject("System.Diagnostics.Eventing.Reader.EventLogRecord",
		P("Message", ev.message),
		P("Id", int64(ev.id)),
		P("Version", int64(0)),
		P("Qualifiers", nil),
		P("Level", int64(ev.level)),
		P("Task", int64(0)),
		P("Opcode", int64(0)),
		P("Keywords", int64(-9223372036854775808)),
		P("RecordId", ev.recordID),
		P("ProviderName", "Microsoft-Windows-Backup"),
		P("ProviderId", guid("microsoft-windows-backup", "provider")),
		P("LogName", "Microsoft-Windows-Backup"),
		P("ProcessId", int64(2412)),
		P("ThreadId", int64(3304)),
		P("MachineName", strings.ToUpper(h.name)+"."+h.domain),
		P("UserId", "S-1-5-18"),
		P("TimeCreated", ev.when),
		P("ActivityId", nil),
		P("RelatedActivityId", nil),
		P("ContainerLog", "Microsoft-Windows-Backup"),
		P("MatchedQueryIds", []any{}),
		P("Bookmark", "System.Diagnostics.Eventing.Reader.EventBookmark"),
		P("LevelDisplayName", level),
		P("OpcodeDisplayName", "Info"),
		P("TaskDisplayName", nil),
		P("KeywordsDisplayNames", []any{}),
		P("Properties", props),
	)
	o.Str = "System.Diagnostics.Eventing.Reader.EventLogRecord"
	o.View = ViewTable
	o.GroupBy = "ProviderName"
	t := h.t
	o.Cols = []Column{
		strCol("TimeCreated", "TimeCreated", t),
		{Header: "Id", Right: true, Value: func(o *Object) string { v, _ := o.Get("Id"); return String(v) }},
		strCol("LevelDisplayName", "LevelDisplayName", t), strCol("Message", "Message", t),
	}
	return o
}

func (h *Host) win32VolumeLocked(v *volume) *Object {
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
	o := NewObject("Microsoft.Management.Infrastructure.CimInstance#root/cimv2/Win32_Volume",
		P("Caption", name),
		P("Description", nil),
		P("Name", name),
		P("Status", nil),
		P("Availability", nil),
		P("DeviceID", volumeName(v.guid)),
		P("Access", nil),
		P("BlockSize", uint64(4096)),
		P("Capacity", uint64(v.size)),
		P("FreeSpace", uint64(v.free())),
		P("Automount", true),
		P("BootVolume", v.boot),
		P("Compressed", false),
		P("DirtyBitSet", false),
		P("DriveLetter", letter),
		P("DriveType", uint32(3)),
		P("FileSystem", v.fs),
		P("IndexingEnabled", v.role != RoleSystemReserved && v.role != RoleRecovery),
		P("Label", label),
		P("MaximumFileNameLength", uint32(255)),
		P("PageFilePresent", v.role == RoleSystem),
		P("SerialNumber", uint32(v.usnID)),
		P("SystemVolume", v.system),
		P("PSComputerName", nil),
	)
	o.View = ViewList
	o.Str = fmt.Sprintf(`Win32_Volume (DeviceID = "%s")`, volumeName(v.guid))
	return o
}
