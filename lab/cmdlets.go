package lab

import (
	"fmt"
	"strings"
)

// cmdletTable is the PowerShell cmdlet table: canonical names and aliases
// (lower case) to entries. To simulate a new cmdlet, add it to entries.
// tableEntry is a cmdlet and its aliases.
type tableEntry struct {
	e       cmdletEntry
	aliases []string
}

func cmdletTable() map[string]*cmdletEntry {
	entries := append(builtinEntries(), []tableEntry{
		{cmdletEntry{Name: "Get-Command", named: []string{"Name", "Module", "CommandType"}, switches: []string{"ListImported"}, positional: []string{"Name"}, varargs: true, run: cmdletGetCommand}, []string{"gcm"}},
		{cmdletEntry{Name: "Import-Module", named: []string{"Name"}, switches: []string{"Force", "PassThru"}, positional: []string{"Name"}, varargs: true, run: cmdletImportModule}, []string{"ipmo"}},
		{cmdletEntry{Name: "Test-Path", named: []string{"Path", "LiteralPath", "PathType"}, switches: []string{"IsValid"}, positional: []string{"Path"}, run: cmdletTestPath}, nil},
		{cmdletEntry{Name: "Set-Content", named: []string{"Path", "LiteralPath", "Value", "Encoding"}, switches: []string{"Force", "NoNewline", "PassThru"}, positional: []string{"Path", "Value"}, run: cmdletSetContent}, []string{"sc"}},
		{cmdletEntry{Name: "Add-Content", named: []string{"Path", "LiteralPath", "Value", "Encoding"}, switches: []string{"Force", "NoNewline", "PassThru"}, positional: []string{"Path", "Value"}, run: cmdletSetContent}, []string{"ac"}},
		{cmdletEntry{Name: "Get-Content", named: []string{"Path", "LiteralPath", "Encoding", "TotalCount", "Tail"}, switches: []string{"Raw"}, positional: []string{"Path"}, run: cmdletGetContent}, []string{"gc", "cat", "type"}},
		{cmdletEntry{Name: "Remove-Item", named: []string{"Path", "LiteralPath"}, switches: []string{"Force", "Recurse"}, positional: []string{"Path"}, run: cmdletRemoveItem}, []string{"del", "rm", "ri", "erase", "rmdir", "rd"}},

		{cmdletEntry{Name: "Get-WBSummary", run: cmdletWBSummary}, nil},
		{cmdletEntry{Name: "Get-WBPolicy", switches: []string{"Editable"}, run: cmdletWBPolicy}, nil},
		{cmdletEntry{Name: "Get-WBBareMetalRecovery", named: []string{"Policy"}, positional: []string{"Policy"}, run: cmdletWBBareMetal}, nil},
		{cmdletEntry{Name: "Get-WBBackupTarget", named: []string{"Policy"}, positional: []string{"Policy"}, run: cmdletWBTarget}, nil},
		{cmdletEntry{Name: "Get-WBVolume", named: []string{"Policy", "VolumePath", "Disk"}, switches: []string{"AllVolumes", "CriticalVolumes"}, positional: []string{"Policy"}, run: cmdletWBVolume}, nil},
		{cmdletEntry{Name: "Get-WBJob", named: []string{"Previous"}, run: cmdletWBJob}, nil},
		{cmdletEntry{Name: "Start-WBBackup", named: []string{"Policy"}, switches: []string{"Force", "Async"}, positional: []string{"Policy"}, run: cmdletStartWBBackup}, nil},

		{cmdletEntry{Name: "Get-Service", named: []string{"Name", "DisplayName", "ComputerName", "Include", "Exclude", "InputObject"}, switches: []string{"DependentServices", "RequiredServices"}, positional: []string{"Name"}, run: cmdletGetService}, []string{"gsv"}},
		{cmdletEntry{Name: "Restart-Service", named: []string{"Name", "DisplayName", "InputObject", "Include", "Exclude"}, switches: []string{"Force", "PassThru", "NoWait"}, positional: []string{"Name"}, run: cmdletServiceAction}, nil},
		{cmdletEntry{Name: "Stop-Service", named: []string{"Name", "DisplayName", "InputObject", "Include", "Exclude"}, switches: []string{"Force", "PassThru", "NoWait"}, positional: []string{"Name"}, run: cmdletServiceAction}, []string{"spsv"}},
		{cmdletEntry{Name: "Start-Service", named: []string{"Name", "DisplayName", "InputObject", "Include", "Exclude"}, switches: []string{"PassThru"}, positional: []string{"Name"}, run: cmdletServiceAction}, []string{"sasv"}},

		{cmdletEntry{Name: "Get-Volume", named: []string{"DriveLetter", "FileSystemLabel", "Path", "UniqueId", "ObjectId", "Partition"}, positional: []string{"DriveLetter"}, run: cmdletGetVolume}, nil},
		{cmdletEntry{Name: "Get-Partition", named: []string{"DiskNumber", "PartitionNumber", "DriveLetter", "DiskId", "Offset", "Volume", "InputObject"}, positional: []string{"DiskNumber", "PartitionNumber"}, run: cmdletGetPartition}, nil},
		{cmdletEntry{Name: "Get-Disk", named: []string{"Number", "UniqueId", "FriendlyName", "SerialNumber", "Path", "Partition"}, positional: []string{"Number"}, run: cmdletGetDisk}, nil},
		{cmdletEntry{Name: "Get-PSDrive", named: []string{"Name", "PSProvider", "Scope"}, positional: []string{"Name"}, run: cmdletGetPSDrive}, []string{"gdr"}},

		{cmdletEntry{Name: "Get-MpPreference", run: cmdletMpPreference}, nil},
		{cmdletEntry{Name: "Get-MpComputerStatus", run: cmdletMpStatus}, nil},

		{cmdletEntry{Name: "Test-NetConnection", named: []string{"ComputerName", "Port", "CommonTCPPort", "InformationLevel"}, switches: []string{"TraceRoute", "DiagnoseRouting"}, positional: []string{"ComputerName"}, run: cmdletTestNetConnection}, []string{"tnc"}},
		{cmdletEntry{Name: "Get-SmbConnection", named: []string{"ServerName", "ShareName"}, positional: []string{"ServerName", "ShareName"}, run: cmdletSmbConnection}, nil},

		{cmdletEntry{Name: "Get-WinEvent", named: []string{"LogName", "MaxEvents", "FilterHashtable", "ProviderName", "FilterXPath", "ComputerName"}, switches: []string{"Oldest", "Force"}, positional: []string{"LogName"}, run: cmdletGetWinEvent}, nil},
		{cmdletEntry{Name: "Get-CimInstance", named: []string{"ClassName", "Filter", "Namespace", "Query", "Property", "ComputerName"}, positional: []string{"ClassName"}, run: cmdletCim}, []string{"gcim"}},
		{cmdletEntry{Name: "Get-WmiObject", named: []string{"Class", "Filter", "Namespace", "Query", "Property", "ComputerName"}, positional: []string{"Class"}, run: cmdletCim}, []string{"gwmi"}},
	}...)
	m := make(map[string]*cmdletEntry, len(entries)*2)
	for i := range entries {
		e := &entries[i].e
		m[strings.ToLower(e.Name)] = e
		for _, a := range entries[i].aliases {
			m[a] = e
		}
	}
	return m
}

// cmdletModule is the module a lab cmdlet belongs to.
func cmdletModule(name string) string {
	switch {
	case strings.Contains(name, "-WB"):
		return "WindowsServerBackup"
	case strings.Contains(name, "-Mp"):
		return "Defender"
	case strings.HasSuffix(name, "Volume"), strings.Contains(name, "Partition"), strings.HasSuffix(name, "Disk"):
		return "Storage"
	case name == "Test-NetConnection":
		return "NetTCPIP"
	case name == "Get-SmbConnection":
		return "SmbShare"
	case strings.Contains(name, "Cim"):
		return "CimCmdlets"
	case strings.Contains(name, "-Json"), strings.Contains(name, "-Object"), strings.HasPrefix(name, "Write-"), strings.HasPrefix(name, "Out-"), strings.HasPrefix(name, "Format-"), name == "Get-Date", name == "Start-Sleep":
		return "Microsoft.PowerShell.Utility"
	}
	return "Microsoft.PowerShell.Management"
}

func cmdletGetCommand(r *psRun, c *Call) ([]any, error) {
	var out []any
	for _, n := range c.Strs("Name") {
		if e, ok := r.h.cmdlets[strings.ToLower(n)]; ok {
			o := NewObject("System.Management.Automation.CmdletInfo", P("CommandType", enum("Cmdlet", 8)), P("Name", e.Name), P("Version", "1.0.0.0"), P("Source", cmdletModule(e.Name)))
			o.Str, o.View = e.Name, ViewTable
			out = append(out, o)
			continue
		}
		if prog, ok := nativeProgram(strings.ToLower(n)); ok {
			o := NewObject("System.Management.Automation.ApplicationInfo", P("CommandType", enum("Application", 32)), P("Name", prog+".exe"), P("Version", r.h.build), P("Source", `C:\Windows\system32\`+prog+".exe"))
			o.Str, o.View = prog+".exe", ViewTable
			out = append(out, o)
			continue
		}
		if err := r.nonTerminating(c, &ErrorRecord{
			Message: fmt.Sprintf(r.t.NotRecognized, n), Category: "ObjectNotFound", Target: n, TargetType: "String",
			Exception: "CommandNotFoundException", FQID: "CommandNotFoundException," + fqClass(c),
		}); err != nil {
			return out, err
		}
	}
	return out, nil
}

func cmdletImportModule(r *psRun, c *Call) ([]any, error) {
	for _, n := range c.Strs("Name") {
		switch strings.ToLower(n) {
		case "windowsserverbackup", "storage", "defender", "smbshare", "nettcpip", "cimcmdlets",
			"microsoft.powershell.management", "microsoft.powershell.utility", "microsoft.powershell.diagnostics":
			continue
		}
		if err := r.nonTerminating(c, &ErrorRecord{
			Message: fmt.Sprintf(r.t.psModuleNotFound, n), Category: "ResourceUnavailable", Target: n, TargetType: "String",
			Exception: "FileNotFoundException", FQID: "Modules_ModuleNotFound,Microsoft.PowerShell.Commands.ImportModuleCommand",
		}); err != nil {
			return nil, err
		}
	}
	return nil, nil
}
