package lab

import (
	"fmt"
	"strings"

	"github.com/wsbbot/wsbbot/lab/ps"
)

// cmdletTable is the PowerShell cmdlet table: canonical names and aliases
// (lower case) to entries. To simulate a new cmdlet, add it to entries.
// tableEntry is a cmdlet and its aliases.
type tableEntry struct {
	e       cmdletEntry
	aliases []string
}

func cmdletTable() map[string]*cmdletEntry {
	entries := []tableEntry{
		{cmdletEntry{name: "Get-Command", named: []string{"Name", "Module", "CommandType"}, switches: []string{"ListImported"}, positional: []string{"Name"}, varargs: true, run: cmdletGetCommand}, []string{"gcm"}},
		{cmdletEntry{name: "Import-Module", named: []string{"Name"}, switches: []string{"Force", "PassThru"}, positional: []string{"Name"}, varargs: true, run: cmdletImportModule}, []string{"ipmo"}},
		{cmdletEntry{name: "Test-Path", named: []string{"Path", "LiteralPath", "PathType"}, switches: []string{"IsValid"}, positional: []string{"Path"}, run: cmdletTestPath}, nil},
		{cmdletEntry{name: "Set-Content", named: []string{"Path", "LiteralPath", "Value", "Encoding"}, switches: []string{"Force", "NoNewline", "PassThru"}, positional: []string{"Path", "Value"}, run: cmdletSetContent}, []string{"sc"}},
		{cmdletEntry{name: "Add-Content", named: []string{"Path", "LiteralPath", "Value", "Encoding"}, switches: []string{"Force", "NoNewline", "PassThru"}, positional: []string{"Path", "Value"}, run: cmdletSetContent}, []string{"ac"}},
		{cmdletEntry{name: "Get-Content", named: []string{"Path", "LiteralPath", "Encoding", "TotalCount", "Tail"}, switches: []string{"Raw"}, positional: []string{"Path"}, run: cmdletGetContent}, []string{"gc", "cat", "type"}},
		{cmdletEntry{name: "Remove-Item", named: []string{"Path", "LiteralPath"}, switches: []string{"Force", "Recurse"}, positional: []string{"Path"}, run: cmdletRemoveItem}, []string{"del", "rm", "ri", "erase", "rmdir", "rd"}},

		{cmdletEntry{name: "Get-WBSummary", run: cmdletWBSummary}, nil},
		{cmdletEntry{name: "Get-WBPolicy", switches: []string{"Editable"}, run: cmdletWBPolicy}, nil},
		{cmdletEntry{name: "Get-WBBareMetalRecovery", named: []string{"Policy"}, positional: []string{"Policy"}, run: cmdletWBBareMetal}, nil},
		{cmdletEntry{name: "Get-WBBackupTarget", named: []string{"Policy"}, positional: []string{"Policy"}, run: cmdletWBTarget}, nil},
		{cmdletEntry{name: "Get-WBVolume", named: []string{"Policy", "VolumePath", "Disk"}, switches: []string{"AllVolumes", "CriticalVolumes"}, positional: []string{"Policy"}, run: cmdletWBVolume}, nil},
		{cmdletEntry{name: "Get-WBJob", named: []string{"Previous"}, run: cmdletWBJob}, nil},
		{cmdletEntry{name: "Start-WBBackup", named: []string{"Policy"}, switches: []string{"Force", "Async"}, positional: []string{"Policy"}, run: cmdletStartWBBackup}, nil},

		{cmdletEntry{name: "Get-Service", named: []string{"Name", "DisplayName", "ComputerName", "Include", "Exclude", "InputObject"}, switches: []string{"DependentServices", "RequiredServices"}, positional: []string{"Name"}, run: cmdletGetService}, []string{"gsv"}},
		{cmdletEntry{name: "Restart-Service", named: []string{"Name", "DisplayName", "InputObject", "Include", "Exclude"}, switches: []string{"Force", "PassThru", "NoWait"}, positional: []string{"Name"}, run: cmdletServiceAction}, nil},
		{cmdletEntry{name: "Stop-Service", named: []string{"Name", "DisplayName", "InputObject", "Include", "Exclude"}, switches: []string{"Force", "PassThru", "NoWait"}, positional: []string{"Name"}, run: cmdletServiceAction}, []string{"spsv"}},
		{cmdletEntry{name: "Start-Service", named: []string{"Name", "DisplayName", "InputObject", "Include", "Exclude"}, switches: []string{"PassThru"}, positional: []string{"Name"}, run: cmdletServiceAction}, []string{"sasv"}},

		{cmdletEntry{name: "Get-Volume", named: []string{"DriveLetter", "FileSystemLabel", "Path", "UniqueId", "ObjectId", "Partition"}, positional: []string{"DriveLetter"}, run: cmdletGetVolume}, nil},
		{cmdletEntry{name: "Get-Partition", named: []string{"DiskNumber", "PartitionNumber", "DriveLetter", "DiskId", "Offset", "Volume", "InputObject"}, positional: []string{"DiskNumber", "PartitionNumber"}, run: cmdletGetPartition}, nil},
		{cmdletEntry{name: "Get-Disk", named: []string{"Number", "UniqueId", "FriendlyName", "SerialNumber", "Path", "Partition"}, positional: []string{"Number"}, run: cmdletGetDisk}, nil},
		{cmdletEntry{name: "Get-PSDrive", named: []string{"Name", "PSProvider", "Scope"}, positional: []string{"Name"}, run: cmdletGetPSDrive}, []string{"gdr"}},

		{cmdletEntry{name: "Get-MpPreference", run: cmdletMpPreference}, nil},
		{cmdletEntry{name: "Get-MpComputerStatus", run: cmdletMpStatus}, nil},

		{cmdletEntry{name: "Test-NetConnection", named: []string{"ComputerName", "Port", "CommonTCPPort", "InformationLevel"}, switches: []string{"TraceRoute", "DiagnoseRouting"}, positional: []string{"ComputerName"}, run: cmdletTestNetConnection}, []string{"tnc"}},
		{cmdletEntry{name: "Get-SmbConnection", named: []string{"ServerName", "ShareName"}, positional: []string{"ServerName", "ShareName"}, run: cmdletSmbConnection}, nil},

		{cmdletEntry{name: "Get-WinEvent", named: []string{"LogName", "MaxEvents", "FilterHashtable", "ProviderName", "FilterXPath", "ComputerName"}, switches: []string{"Oldest", "Force"}, positional: []string{"LogName"}, run: cmdletGetWinEvent}, nil},
		{cmdletEntry{name: "Get-CimInstance", named: []string{"ClassName", "Filter", "Namespace", "Query", "Property", "ComputerName"}, positional: []string{"ClassName"}, run: cmdletCim}, []string{"gcim"}},
		{cmdletEntry{name: "Get-WmiObject", named: []string{"Class", "Filter", "Namespace", "Query", "Property", "ComputerName"}, positional: []string{"Class"}, run: cmdletCim}, []string{"gwmi"}},
	}
	m := make(map[string]*cmdletEntry, len(entries)*2)
	for i := range entries {
		e := &entries[i].e
		m[strings.ToLower(e.name)] = e
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

func cmdletGetCommand(e *execEnv, c *ps.Call) ([]any, error) {
	var out []any
	for _, n := range c.Strs("Name") {
		if name, ok := e.cmdletName(n); ok {
			o := ps.NewObject("System.Management.Automation.CmdletInfo", ps.P("CommandType", enum("Cmdlet", 8)), ps.P("Name", name), ps.P("Version", "1.0.0.0"), ps.P("Source", cmdletModule(name)))
			o.Str, o.View = name, ps.ViewTable
			out = append(out, o)
			continue
		}
		if prog, ok := nativeProgram(strings.ToLower(n)); ok {
			o := ps.NewObject("System.Management.Automation.ApplicationInfo", ps.P("CommandType", enum("Application", 32)), ps.P("Name", prog+".exe"), ps.P("Version", e.h.build), ps.P("Source", `C:\Windows\system32\`+prog+".exe"))
			o.Str, o.View = prog+".exe", ps.ViewTable
			out = append(out, o)
			continue
		}
		if err := c.Error(&ps.ErrorRecord{
			Message: fmt.Sprintf(e.h.t.NotRecognized, n), Category: "ObjectNotFound", Target: n, TargetType: "String",
			Exception: "CommandNotFoundException", FQID: "CommandNotFoundException," + c.CommandClass(),
		}); err != nil {
			return out, err
		}
	}
	return out, nil
}

func cmdletImportModule(e *execEnv, c *ps.Call) ([]any, error) {
	for _, n := range c.Strs("Name") {
		switch strings.ToLower(n) {
		case "windowsserverbackup", "storage", "defender", "smbshare", "nettcpip", "cimcmdlets",
			"microsoft.powershell.management", "microsoft.powershell.utility", "microsoft.powershell.diagnostics":
			continue
		}
		if err := c.Error(&ps.ErrorRecord{
			Message: fmt.Sprintf(e.h.t.psModuleNotFound, n), Category: "ResourceUnavailable", Target: n, TargetType: "String",
			Exception: "FileNotFoundException", FQID: "Modules_ModuleNotFound,Microsoft.PowerShell.Commands.ImportModuleCommand",
		}); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

// cmdletEntry is one cmdlet of the lab's table.
type cmdletEntry struct {
	name       string
	named      []string // parameters that take a value
	switches   []string // switch parameters
	positional []string // parameters bound from positional arguments, in order
	varargs    bool     // extra positional arguments go to the last positional parameter
	run        func(e *execEnv, c *ps.Call) ([]any, error)
}

// nativeProgram resolves a native command name (vssadmin, fsutil.exe,
// C:\Windows\System32\mountvol.exe) the lab simulates. In PowerShell, sc and
// echo are aliases of cmdlets, so only sc.exe runs the service controller.
func nativeProgram(lname string) (string, bool) {
	base := lname
	if i := strings.LastIndexAny(base, `\/`); i >= 0 {
		base = base[i+1:]
	}
	hasExe := strings.HasSuffix(base, ".exe") || strings.HasSuffix(base, ".com")
	base = strings.TrimSuffix(strings.TrimSuffix(base, ".exe"), ".com")
	switch base {
	case "vssadmin", "wbadmin", "fsutil", "mountvol", "net", "net1", "hostname", "whoami", "cmd", "powershell", "findstr", "find":
		return base, true
	case "sc":
		return base, hasExe
	}
	return "", false
}

// lockedCmdlet makes a cmdlet that returns the one object build makes
// under the host's lock (Get-WBSummary, Get-MpPreference, ...).
func lockedCmdlet[T any](build func(*Host) T) func(*execEnv, *ps.Call) ([]any, error) {
	return func(e *execEnv, _ *ps.Call) ([]any, error) {
		e.h.mu.Lock()
		defer e.h.mu.Unlock()
		return []any{build(e.h)}, nil
	}
}
