package lab

import (
	"fmt"
	"strings"
	"time"
)

// This file builds the objects the host's cmdlets return. Callers hold h.mu.

func enum(name string, val int64) psEnum { return psEnum{name: name, val: val} }

func strCol(header, prop string, t *texts) tableCol {
	return tableCol{header: header, value: func(o *psObj) string {
		v, _ := o.get(prop)
		return t.displayString(v)
	}}
}

func sizeCol(header, prop string) tableCol {
	return tableCol{header: header, right: true, value: func(o *psObj) string {
		v, _ := o.get(prop)
		n, _ := toNumber(v)
		return sizeString(int64(n))
	}}
}

func (h *Host) wbSummaryLocked() *psObj {
	msg := ""
	if h.result.hr != 0 {
		msg = h.t.hrMessage(detOr(h.result.detailedHR, h.result.hr))
	}
	status := enum("NoOperationInProgress", 0)
	if h.job != nil && !h.job.finished {
		status = enum("BackupInProgress", 1)
	}
	o := newObj("Microsoft.Windows.ServerBackup.Commands.WBSummary",
		p("NextBackupTime", h.nextBackupTime()),
		p("NumberOfVersions", uint32(len(h.versions))),
		p("LastSuccessfulBackupTime", h.result.successTime),
		p("LastSuccessfulBackupTargetPath", h.result.successPath),
		p("LastSuccessfulBackupTargetLabel", h.result.successLabel),
		p("LastBackupTime", h.result.lastTime),
		p("LastBackupTarget", h.result.lastTarget),
		p("DetailedMessage", msg),
		p("LastBackupResultHR", h.result.hr),
		p("LastBackupResultDetailedHR", h.result.detailedHR),
		p("CurrentOperationStatus", status),
	)
	o.view = viewList
	return o
}

func (h *Host) wbVolumeLocked(v *volume) *psObj {
	mount := ""
	if v.letter != 0 {
		mount = string(v.letter) + ":"
	}
	prop := "ValidSource"
	if v.role == RoleSystemReserved || v.role == RoleSystem {
		prop = "Critical, ValidSource"
	}
	o := newObj("Microsoft.Windows.ServerBackup.Commands.WBVolume",
		p("VolumeLabel", v.label),
		p("MountPath", mount),
		p("MountPoints", nil),
		p("FileSystem", v.fs),
		p("Property", enum(prop, 3)),
		p("FreeSpace", uint64(v.free())),
		p("TotalSpace", uint64(v.size)),
		p("Category", enum("None", 0)),
		p("VolumeID", braced(v.guid)),
	)
	o.str = h.friendlyName(v)
	o.view = viewList
	return o
}

func (h *Host) wbDiskLocked(d *disk) *psObj {
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
	o := newObj("Microsoft.Windows.ServerBackup.Commands.WBDisk",
		p("Name", d.friendly),
		p("DiskNumber", uint32(d.number)),
		p("DiskId", braced(guid(h.name, fmt.Sprintf("wbdisk-%d", d.number)))),
		p("TotalSpace", uint64(d.size)),
		p("FreeSpace", uint64(free)),
		p("Volumes", vols),
		p("Properties", enum(props, 5)),
	)
	o.str = d.friendly
	o.view = viewList
	return o
}

// wbTargetLocked returns the WBBackupTarget, or nil when the target cannot
// be resolved (its disk is gone).
func (h *Host) wbTargetLocked(tg target) *psObj {
	var o *psObj
	switch tg.kind {
	case "Network":
		o = newObj("Microsoft.Windows.ServerBackup.Commands.WBBackupTarget",
			p("Label", tg.label), p("WBDisk", nil), p("WBVolume", nil), p("Path", tg.path),
			p("TargetType", enum("Network", 2)), p("InheritAcl", false), p("PreserveExistingBackup", false))
	case "Disk":
		d := h.diskByNumber(tg.disk)
		v := h.findVolume(tg.vol)
		if d == nil || v == nil {
			return nil
		}
		path := strings.TrimSuffix(volumeName(v.guid), `\`)
		o = newObj("Microsoft.Windows.ServerBackup.Commands.WBBackupTarget",
			p("Label", tg.label), p("WBDisk", h.wbDiskLocked(d)), p("WBVolume", nil), p("Path", path),
			p("TargetType", enum("Disk", 1)), p("InheritAcl", false), p("PreserveExistingBackup", false))
	default:
		v := h.findVolume(tg.vol)
		if v == nil || !h.diskPresent(v.disk) {
			return nil
		}
		path := volumeName(v.guid)
		if v.letter != 0 {
			path = string(v.letter) + ":"
		}
		o = newObj("Microsoft.Windows.ServerBackup.Commands.WBBackupTarget",
			p("Label", tg.label), p("WBDisk", nil), p("WBVolume", h.wbVolumeLocked(v)), p("Path", path),
			p("TargetType", enum("Volume", 0)), p("InheritAcl", false), p("PreserveExistingBackup", false))
	}
	o.str = tg.label
	o.view = viewList
	return o
}

func (h *Host) wbPolicyLocked() *psObj {
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
	o := newObj("Microsoft.Windows.ServerBackup.Commands.WBPolicy",
		p("Schedule", sched),
		p("BackupTargets", targets),
		p("VolumesToBackup", vols),
		p("FilesSpecsToBackup", nil),
		p("FilesSpecsToExclude", nil),
		p("ComponentsToBackup", nil),
		p("BMR", h.policy.bmr),
		p("SystemState", h.policy.systemState),
		p("OverwriteOldFormatVhd", false),
		p("VssBackupOptions", enum("VssCopyBackup", 2)),
		p("PolicyState", enum("Existing", 1)),
	)
	o.view = viewList
	return o
}

func (h *Host) wbJobLocked(j *job, past *pastJob) *psObj {
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
	o := newObj("Microsoft.Windows.ServerBackup.Commands.WBJob",
		p("JobType", jobType),
		p("StartTime", start),
		p("EndTime", end),
		p("JobState", state),
		p("HResult", hr),
		p("DetailedHResult", det),
		p("ErrorDescription", errDesc),
		p("JobItems", nil),
		p("VersionId", vid),
		p("SuccessLogPath", nil),
		p("FailureLogPath", nil),
		p("CurrentOperation", cur),
	)
	o.view = viewList
	return o
}

func (h *Host) serviceObjLocked(s *service, nested bool) *psObj {
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
	o := newObj("System.ServiceProcess.ServiceController",
		p("Name", s.name),
		p("RequiredServices", []any{}),
		p("CanPauseAndContinue", false),
		p("CanShutdown", false),
		p("CanStop", s.running && !s.cannotStop),
		p("DisplayName", s.display),
		p("DependentServices", deps),
		p("MachineName", "."),
		p("ServiceName", s.name),
		p("ServicesDependedOn", []any{}),
		p("ServiceHandle", "SafeServiceHandle"),
		p("Status", status),
		p("ServiceType", stype),
		p("StartType", enum(s.startType, start)),
		p("Site", nil),
		p("Container", nil),
	)
	o.str = "System.ServiceProcess.ServiceController"
	o.view = viewTable
	o.cols = []tableCol{strCol("Status", "Status", h.t), strCol("Name", "Name", h.t), strCol("DisplayName", "DisplayName", h.t)}
	return o
}

func (h *Host) volumeObjLocked(v *volume) *psObj {
	var letter any
	if v.letter != 0 {
		letter = string(v.letter)
	}
	o := newObj("Microsoft.Management.Infrastructure.CimInstance#ROOT/Microsoft/Windows/Storage/MSFT_Volume",
		p("ObjectId", fmt.Sprintf(`{1}\\%s\root/Microsoft/Windows/Storage/Providers_v2\WSP_Volume.ObjectId="{%s}:VO:%s"`, strings.ToUpper(h.name), guid(h.name, "storage-subsystem"), volumeName(v.guid))),
		p("PassThroughClass", nil),
		p("PassThroughIds", nil),
		p("PassThroughNamespace", nil),
		p("PassThroughServer", nil),
		p("UniqueId", volumeName(v.guid)),
		p("AllocationUnitSize", uint32(4096)),
		p("DedupMode", enum("NotAvailable", 4)),
		p("DriveLetter", letter),
		p("DriveType", enum("Fixed", 3)),
		p("FileSystem", v.fs),
		p("FileSystemLabel", v.label),
		p("FileSystemType", enum("NTFS", 14)),
		p("HealthStatus", enum("Healthy", 0)),
		p("OperationalStatus", enum("OK", 2)),
		p("Path", volumeName(v.guid)),
		p("Size", uint64(v.size)),
		p("SizeRemaining", uint64(v.free())),
		p("PSComputerName", nil),
	)
	o.str = fmt.Sprintf(`MSFT_Volume (ObjectId = "%s")`, volumeName(v.guid))
	o.view = viewTable
	t := h.t
	o.cols = []tableCol{
		strCol("DriveLetter", "DriveLetter", t), strCol("FriendlyName", "FileSystemLabel", t), strCol("FileSystemType", "FileSystemType", t),
		strCol("DriveType", "DriveType", t), strCol("HealthStatus", "HealthStatus", t), strCol("OperationalStatus", "OperationalStatus", t),
		sizeCol("SizeRemaining", "SizeRemaining"), sizeCol("Size", "Size"),
	}
	return o
}

func (h *Host) diskPath(d *disk) string {
	return fmt.Sprintf(`\\?\scsi#disk&ven_msft&prod_virtual_disk#5&%08x&0&%06d#{53f56307-b6bf-11d0-94f2-00a0c91efb8b}`, d.mbrSignature|uint32(d.number+1)*0x1000, d.number)
}

func (h *Host) partitionObjLocked(v *volume) *psObj {
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
	o := newObj("Microsoft.Management.Infrastructure.CimInstance#ROOT/Microsoft/Windows/Storage/MSFT_Partition",
		p("OperationalStatus", "Online"),
		p("Type", typ),
		p("DiskPath", h.diskPath(d)),
		p("ObjectId", fmt.Sprintf(`{1}\\%s\root/Microsoft/Windows/Storage/Providers_v2\WSP_Partition.ObjectId="{%s}:PR:{00000000-0000-0000-0000-%012x}%s"`, strings.ToUpper(h.name), guid(h.name, "storage-subsystem"), v.offset, h.diskPath(d))),
		p("PassThroughClass", nil),
		p("AccessPaths", paths),
		p("DiskId", h.diskPath(d)),
		p("DiskNumber", uint32(v.disk)),
		p("DriveLetter", letter),
		p("GptType", gpt),
		p("Guid", nil),
		p("IsActive", v.active),
		p("IsBoot", v.boot),
		p("IsDAX", false),
		p("IsHidden", v.hidden),
		p("IsOffline", false),
		p("IsReadOnly", false),
		p("IsShadowCopy", false),
		p("IsSystem", v.system),
		p("MbrType", mbr),
		p("NoDefaultDriveLetter", v.letter == 0 && v.role != RoleSystemReserved),
		p("Offset", uint64(v.offset)),
		p("PartitionNumber", uint32(v.part)),
		p("Size", uint64(v.size)),
		p("TransitionState", int64(1)),
		p("PSComputerName", nil),
	)
	o.str = "MSFT_Partition"
	o.view = viewTable
	o.groupBy = "DiskPath"
	t := h.t
	o.cols = []tableCol{
		strCol("PartitionNumber", "PartitionNumber", t),
		{header: "DriveLetter", value: func(o *psObj) string {
			v, _ := o.get("DriveLetter")
			return strings.Trim(invariantString(v), "\x00")
		}},
		{header: "Offset", right: true, value: func(o *psObj) string { v, _ := o.get("Offset"); return invariantString(v) }},
		sizeCol("Size", "Size"), strCol("Type", "Type", t),
	}
	return o
}

func (h *Host) diskObjLocked(d *disk) *psObj {
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
	o := newObj("Microsoft.Management.Infrastructure.CimInstance#ROOT/Microsoft/Windows/Storage/MSFT_Disk",
		p("DiskNumber", uint32(d.number)),
		p("PartitionStyle", style),
		p("ProvisioningType", enum("Fixed", 2)),
		p("OperationalStatus", "Online"),
		p("HealthStatus", enum("Healthy", 0)),
		p("BusType", bus),
		p("UniqueIdFormat", enum("Vendor Specific", 0)),
		p("OfflineReason", nil),
		p("ObjectId", fmt.Sprintf(`{1}\\%s\root/Microsoft/Windows/Storage/Providers_v2\WSP_Disk.ObjectId="{%s}:DI:%s"`, strings.ToUpper(h.name), guid(h.name, "storage-subsystem"), h.diskPath(d))),
		p("UniqueId", d.uniqueID),
		p("AllocatedSize", uint64(alloc)),
		p("BootFromDisk", d.boot),
		p("FirmwareVersion", "1.0"),
		p("FriendlyName", d.friendly),
		p("Guid", g),
		p("IsBoot", d.boot),
		p("IsClustered", false),
		p("IsHighlyAvailable", false),
		p("IsOffline", false),
		p("IsReadOnly", false),
		p("IsScaleOut", false),
		p("IsSystem", d.boot),
		p("LargestFreeExtent", uint64(0)),
		p("Location", d.location),
		p("LogicalSectorSize", uint32(512)),
		p("Model", strings.TrimSuffix(d.friendly, " USB Device")),
		p("Number", uint32(d.number)),
		p("NumberOfPartitions", uint32(n)),
		p("Path", h.diskPath(d)),
		p("PhysicalSectorSize", uint32(d.physicalSector)),
		p("SerialNumber", d.serial),
		p("Signature", sig),
		p("Size", uint64(d.size)),
		p("PSComputerName", nil),
	)
	o.str = "MSFT_Disk"
	o.view = viewTable
	t := h.t
	o.cols = []tableCol{
		{header: "Number", right: true, value: func(o *psObj) string { v, _ := o.get("Number"); return invariantString(v) }},
		strCol("Friendly Name", "FriendlyName", t), strCol("Serial Number", "SerialNumber", t),
		strCol("HealthStatus", "HealthStatus", t), strCol("OperationalStatus", "OperationalStatus", t),
		sizeCol("Total Size", "Size"), strCol("Partition Style", "PartitionStyle", t),
	}
	return o
}

func (h *Host) psDriveObjLocked(v *volume) *psObj {
	prov := newObj("System.Management.Automation.ProviderInfo", p("Name", "FileSystem"))
	prov.str = `Microsoft.PowerShell.Core\FileSystem`
	cur := ""
	if v.role == RoleSystem {
		cur = `Windows\system32`
	}
	o := newObj("System.Management.Automation.PSDriveInfo",
		p("Used", uint64(v.used+v.usn)),
		p("Free", uint64(v.free())),
		p("CurrentLocation", cur),
		p("Name", string(v.letter)),
		p("Provider", prov),
		p("Root", string(v.letter)+`:\`),
		p("Description", v.label),
		p("MaximumSize", nil),
		p("Credential", "System.Management.Automation.PSCredential"),
		p("DisplayRoot", nil),
	)
	o.str = string(v.letter)
	o.view = viewTable
	gb := func(prop string) func(o *psObj) string {
		return func(o *psObj) string {
			x, _ := o.get(prop)
			n, _ := toNumber(x)
			return fmt.Sprintf("%.2f", n/float64(gib))
		}
	}
	t := h.t
	o.cols = []tableCol{
		strCol("Name", "Name", t), {header: "Used (GB)", right: true, value: gb("Used")}, {header: "Free (GB)", right: true, value: gb("Free")},
		{header: "Provider", value: func(*psObj) string { return "FileSystem" }}, strCol("Root", "Root", t), strCol("CurrentLocation", "CurrentLocation", t),
	}
	return o
}

func listOrNil(ss []string) any {
	if len(ss) == 0 {
		return nil
	}
	return stringsToAny(ss)
}

func (h *Host) mpPreferenceLocked() *psObj {
	d := h.defender
	o := newObj("Microsoft.Management.Infrastructure.CimInstance#ROOT/Microsoft/Windows/Defender/MSFT_MpPreference",
		p("AttackSurfaceReductionOnlyExclusions", nil),
		p("AttackSurfaceReductionRules_Actions", nil),
		p("AttackSurfaceReductionRules_Ids", nil),
		p("CheckForSignaturesBeforeRunningScan", false),
		p("CloudBlockLevel", uint32(0)),
		p("CloudExtendedTimeout", uint32(0)),
		p("ComputerID", strings.ToUpper(guid(h.name, "defender-computer-id"))),
		p("ControlledFolderAccessAllowedApplications", nil),
		p("ControlledFolderAccessProtectedFolders", nil),
		p("DisableArchiveScanning", false),
		p("DisableAutoExclusions", false),
		p("DisableBehaviorMonitoring", false),
		p("DisableBlockAtFirstSeen", false),
		p("DisableCatchupFullScan", true),
		p("DisableCatchupQuickScan", true),
		p("DisableEmailScanning", true),
		p("DisableIntrusionPreventionSystem", nil),
		p("DisableIOAVProtection", false),
		p("DisablePrivacyMode", false),
		p("DisableRealtimeMonitoring", !d.realtime),
		p("DisableRemovableDriveScanning", true),
		p("DisableRestorePoint", true),
		p("DisableScanningMappedNetworkDrivesForFullScan", true),
		p("DisableScanningNetworkFiles", false),
		p("DisableScriptScanning", false),
		p("EnableControlledFolderAccess", uint32(0)),
		p("EnableFileHashComputation", false),
		p("EnableLowCpuPriority", false),
		p("EnableNetworkProtection", uint32(0)),
		p("ExclusionExtension", listOrNil(d.exclusionExtension)),
		p("ExclusionPath", listOrNil(d.exclusionPath)),
		p("ExclusionProcess", listOrNil(d.exclusionProcess)),
		p("HighThreatDefaultAction", uint32(0)),
		p("LowThreatDefaultAction", uint32(0)),
		p("MAPSReporting", uint32(2)),
		p("MeteredConnectionUpdates", false),
		p("ModerateThreatDefaultAction", uint32(0)),
		p("PUAProtection", uint32(0)),
		p("QuarantinePurgeItemsAfterDelay", uint32(90)),
		p("RandomizeScheduleTaskTimes", true),
		p("RealTimeScanDirection", uint32(0)),
		p("RemediationScheduleDay", uint32(0)),
		p("RemediationScheduleTime", "02:00:00"),
		p("ReportingAdditionalActionTimeOut", uint32(10080)),
		p("ReportingCriticalFailureTimeOut", uint32(10080)),
		p("ReportingNonCriticalTimeOut", uint32(1440)),
		p("ScanAvgCPULoadFactor", uint32(50)),
		p("ScanOnlyIfIdleEnabled", true),
		p("ScanParameters", uint32(1)),
		p("ScanPurgeItemsAfterDelay", uint32(15)),
		p("ScanScheduleDay", uint32(7)),
		p("ScanScheduleQuickScanTime", "00:00:00"),
		p("ScanScheduleTime", "02:00:00"),
		p("SevereThreatDefaultAction", uint32(0)),
		p("SharedSignaturesPath", nil),
		p("SignatureAuGracePeriod", uint32(0)),
		p("SignatureDefinitionUpdateFileSharesSources", nil),
		p("SignatureDisableUpdateOnStartupWithoutEngine", false),
		p("SignatureFallbackOrder", "MicrosoftUpdateServer|MMPC"),
		p("SignatureFirstAuGracePeriod", uint32(120)),
		p("SignatureScheduleDay", uint32(8)),
		p("SignatureScheduleTime", "01:45:00"),
		p("SignatureUpdateCatchupInterval", uint32(1)),
		p("SignatureUpdateInterval", uint32(0)),
		p("SubmitSamplesConsent", uint32(1)),
		p("ThreatIDDefaultAction_Actions", nil),
		p("ThreatIDDefaultAction_Ids", nil),
		p("UILockdown", false),
		p("UnknownThreatDefaultAction", uint32(0)),
		p("PSComputerName", nil),
	)
	o.view = viewList
	o.str = "MSFT_MpPreference"
	return o
}

func (h *Host) mpStatusLocked() *psObj {
	d := h.defender
	updated := h.created.Add(-5 * time.Hour)
	o := newObj("Microsoft.Management.Infrastructure.CimInstance#ROOT/Microsoft/Windows/Defender/MSFT_MpComputerStatus",
		p("AMEngineVersion", "1.1.24030.4"),
		p("AMProductVersion", "4.18.24030.9"),
		p("AMRunningMode", "Normal"),
		p("AMServiceEnabled", d.serviceEnabled),
		p("AMServiceVersion", "4.18.24030.9"),
		p("AntispywareEnabled", d.serviceEnabled),
		p("AntispywareSignatureAge", uint32(0)),
		p("AntispywareSignatureLastUpdated", updated),
		p("AntispywareSignatureVersion", "1.409.318.0"),
		p("AntivirusEnabled", d.serviceEnabled),
		p("AntivirusSignatureAge", uint32(0)),
		p("AntivirusSignatureLastUpdated", updated),
		p("AntivirusSignatureVersion", "1.409.318.0"),
		p("BehaviorMonitorEnabled", d.realtime),
		p("ComputerID", strings.ToUpper(guid(h.name, "defender-computer-id"))),
		p("ComputerState", uint32(0)),
		p("FullScanAge", uint32(4294967295)),
		p("FullScanEndTime", nil),
		p("FullScanStartTime", nil),
		p("IoavProtectionEnabled", d.realtime),
		p("IsTamperProtected", false),
		p("IsVirtualMachine", true),
		p("NISEnabled", d.realtime),
		p("NISEngineVersion", "1.1.24030.4"),
		p("NISSignatureAge", uint32(0)),
		p("NISSignatureLastUpdated", updated),
		p("NISSignatureVersion", "1.409.318.0"),
		p("OnAccessProtectionEnabled", d.realtime),
		p("QuickScanAge", uint32(1)),
		p("QuickScanEndTime", h.created.Add(-22*time.Hour)),
		p("QuickScanStartTime", h.created.Add(-22*time.Hour-4*time.Minute)),
		p("RealTimeProtectionEnabled", d.realtime),
		p("RealTimeScanDirection", uint32(0)),
		p("PSComputerName", nil),
	)
	o.view = viewList
	o.str = "MSFT_MpComputerStatus"
	return o
}

func (h *Host) eventObj(ev event) *psObj {
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
		ep := newObj("System.Diagnostics.Eventing.Reader.EventProperty", p("Value", v))
		ep.str = "System.Diagnostics.Eventing.Reader.EventProperty"
		props = append(props, ep)
	}
	if props == nil {
		props = []any{}
	}
	o := newObj("System.Diagnostics.Eventing.Reader.EventLogRecord",
		p("Message", ev.message),
		p("Id", int64(ev.id)),
		p("Version", int64(0)),
		p("Qualifiers", nil),
		p("Level", int64(ev.level)),
		p("Task", int64(0)),
		p("Opcode", int64(0)),
		p("Keywords", int64(-9223372036854775808)),
		p("RecordId", ev.recordID),
		p("ProviderName", "Microsoft-Windows-Backup"),
		p("ProviderId", guid("microsoft-windows-backup", "provider")),
		p("LogName", "Microsoft-Windows-Backup"),
		p("ProcessId", int64(2412)),
		p("ThreadId", int64(3304)),
		p("MachineName", strings.ToUpper(h.name)+"."+h.domain),
		p("UserId", "S-1-5-18"),
		p("TimeCreated", ev.when),
		p("ActivityId", nil),
		p("RelatedActivityId", nil),
		p("ContainerLog", "Microsoft-Windows-Backup"),
		p("MatchedQueryIds", []any{}),
		p("Bookmark", "System.Diagnostics.Eventing.Reader.EventBookmark"),
		p("LevelDisplayName", level),
		p("OpcodeDisplayName", "Info"),
		p("TaskDisplayName", nil),
		p("KeywordsDisplayNames", []any{}),
		p("Properties", props),
	)
	o.str = "System.Diagnostics.Eventing.Reader.EventLogRecord"
	o.view = viewTable
	o.groupBy = "ProviderName"
	t := h.t
	o.cols = []tableCol{
		strCol("TimeCreated", "TimeCreated", t),
		{header: "Id", right: true, value: func(o *psObj) string { v, _ := o.get("Id"); return invariantString(v) }},
		strCol("LevelDisplayName", "LevelDisplayName", t), strCol("Message", "Message", t),
	}
	return o
}

func (h *Host) win32VolumeLocked(v *volume) *psObj {
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
	o := newObj("Microsoft.Management.Infrastructure.CimInstance#root/cimv2/Win32_Volume",
		p("Caption", name),
		p("Description", nil),
		p("Name", name),
		p("Status", nil),
		p("Availability", nil),
		p("DeviceID", volumeName(v.guid)),
		p("Access", nil),
		p("BlockSize", uint64(4096)),
		p("Capacity", uint64(v.size)),
		p("FreeSpace", uint64(v.free())),
		p("Automount", true),
		p("BootVolume", v.boot),
		p("Compressed", false),
		p("DirtyBitSet", false),
		p("DriveLetter", letter),
		p("DriveType", uint32(3)),
		p("FileSystem", v.fs),
		p("IndexingEnabled", v.role != RoleSystemReserved && v.role != RoleRecovery),
		p("Label", label),
		p("MaximumFileNameLength", uint32(255)),
		p("PageFilePresent", v.role == RoleSystem),
		p("SerialNumber", uint32(v.usnID)),
		p("SystemVolume", v.system),
		p("PSComputerName", nil),
	)
	o.view = viewList
	o.str = fmt.Sprintf(`Win32_Volume (DeviceID = "%s")`, volumeName(v.guid))
	return o
}
