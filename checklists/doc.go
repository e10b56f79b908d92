// Package checklists will own the five-rule backup checklist from the guide's
// appendix (bare-metal recovery, separate disk, 3-2-1, antivirus exclusions,
// restore test), its findings (pass, fail or unknown with evidence and fix)
// and the auditor that runs it over many servers.
//
// Not written yet: it arrives with the runbook-engine issue.
package checklists
