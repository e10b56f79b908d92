// Package checklists owns the five-rule backup checklist of the field
// guide's appendix (bare-metal recovery, separate disk, 3-2-1, antivirus
// exclusions, restore test): the checklist YAML (texts and the rule list,
// bundled/five-rules.yaml, embedded), the rule logic (one pure Go function
// per rule over collected Facts and configured Declarations), the one
// read-only PowerShell script that collects a server's Facts in a single
// command, and the Auditor that runs the checklist over many servers
// concurrently (through internal/fanout) and delivers each server's findings (pass, fail or unknown,
// with evidence and fix in English and Japanese) as soon as it is known.
package checklists
