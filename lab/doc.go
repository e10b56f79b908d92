// Package lab owns wsbbot's simulated lab: Windows Server Backup servers
// that speak real WinRM on loopback (through remote/winrmtest), so that the
// whole diagnose / fix / audit flow can be tried and tested without Windows.
//
// A Host is one simulated server: its VSS writers and the services behind
// them, disks, partitions and volumes (with a hidden ~500 MB System Reserved
// partition, a recovery partition and USN journals that take space), a WSB
// policy, backup versions, the last backup result, Defender settings, SMB
// shares on a NAS, running backup jobs and the Microsoft-Windows-Backup event
// log. Its state is guarded by a mutex; any number of commands may run at
// once. Commands change the state the way Windows would: restarting a
// writer's service brings the writer back to [1] Stable, deleting a USN
// journal frees its space, mountvol assigns and removes drive letters, a
// backup job shows in Get-WBJob and, when it ends, in Get-WBSummary, the
// versions and the event log.
//
// A Host answers what wsbbot's runbooks send (see Handler):
//
//   - cmd.exe command lines (`vssadmin list writers`, `wbadmin get
//     versions`, `fsutil usn deletejournal /N /D Z:`, `mountvol`, `net stop`,
//     `sc query`, `echo`, `exit`, `cmd /c`, `&&` chains, ...);
//   - `powershell -EncodedCommand <UTF-16LE base64>` in the forms masterzen's
//     winrm.Powershell and pywinrm's run_ps produce, `powershell -Command`,
//     and wsbbot's own transport (see "PowerShell transport" in remote's
//     package doc): a bootstrap that reads a base64 script from stdin,
//     whose first line sets $P from a base64 JSON object of parameters.
//
// PowerShell runs in the interpreter of lab/ps, which knows the host only
// through ps.Host (psHost here): the cmdlets of the host's table
// (Get-WBSummary, Get-WBPolicy, Get-Service, Restart-Service, Get-Volume,
// Get-Partition, Get-Disk, Get-MpPreference, Test-NetConnection,
// Get-WinEvent, Get-CimInstance, ...), the native commands of the cmd
// table, the environment and the clock. Output is formatted the way 5.1
// formats it (lists, tables, localized dates); errors go to stderr as CLIXML,
// wrapped at 80 columns like powershell.exe does over WinRM. Scripts are
// parsed once per lab (a ps.Cache shared by its hosts), not once per host.
//
// Nothing the lab does not simulate succeeds silently: an unknown cmd
// command gets cmd.exe's "is not recognized" text, an unknown cmdlet
// PowerShell's CommandNotFoundException (both localized, exit code 1), and a
// PowerShell construct outside the interpreter's subset a ParserError
// naming it, exit code 1. The script stops at an unknown command, as if
// $ErrorActionPreference were Stop, so a runbook never goes on after a step
// that did not happen.
//
// A cmdlet or command enters the lab with the runbook, checklist or test
// that sends it, in the same change, and leaves with the last of them: the
// lab simulates what wsbbot sends, not Windows. Cmdlets live in files named
// for what they simulate (cmdlets_wsb.go, cmdlets_disk.go, ...), commands
// likewise (commands_vss.go, commands_wbadmin.go, ...).
//
// Scenarios (Scenarios lists them in order) give each host one problem from
// the field guide (.../seed/wsb-backup-restore-guide.ja.txt): its four error
// cases and its five-rule checklist; every other aspect of a scenario host
// is the healthy host's. The 3-2-1 rule is modelled by the policy's targets:
// the healthy host backs up to a dedicated local disk and to a network share
// (\\nas01\backup), which is the second medium and the off-site copy.
//
// Start runs many hosts on consecutive loopback ports, over HTTP with Basic
// authentication or over HTTPS with certificates from one generated CA, and
// writes a wsbbot inventory for them.
package lab
