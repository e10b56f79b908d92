package winout

import (
	"fmt"
	"strconv"
	"strings"
)

// WBSummary is the result of ParseWBSummary: the properties of the
// Get-WBSummary object.
type WBSummary struct {
	NextBackupTime                  string `json:"next_backup_time"`
	NumberOfVersions                int    `json:"number_of_versions"`
	LastSuccessfulBackupTime        string `json:"last_successful_backup_time"`
	LastSuccessfulBackupTargetPath  string `json:"last_successful_backup_target_path"`
	LastSuccessfulBackupTargetLabel string `json:"last_successful_backup_target_label"`
	LastBackupTime                  string `json:"last_backup_time"`
	LastBackupTarget                string `json:"last_backup_target"`
	DetailedMessage                 string `json:"detailed_message"`
	// LastBackupResultHR and LastBackupResultDetailedHR are canonical "0x"
	// plus 8 upper-case hex digits, converted from the unsigned decimal,
	// signed decimal or hex that PowerShell printed; "" when not printed
	// or not a 32-bit number.
	LastBackupResultHR         string `json:"last_backup_result_hr"`
	LastBackupResultDetailedHR string `json:"last_backup_result_detailed_hr"`
	CurrentOperationStatus     string `json:"current_operation_status"`
	// Properties holds every property seen, by its printed name, with its
	// value as printed (continuation lines joined by a space).
	Properties map[string]string `json:"properties"`
	Warnings   []string          `json:"warnings"`
}

// reProperty matches a PowerShell list-format line "Name : Value".
var reProperty = lazyRegexp(`^([A-Za-z_][A-Za-z0-9_]*)[ \t]*:(?:[ \t]+(.*))?$`)

// ParseWBSummary parses the list output of Get-WBSummary ("Name : Value"
// lines; property names are English in every locale). A value wrapped onto
// indented continuation lines is joined with spaces. Unknown properties are
// kept in Properties. Text without any Get-WBSummary property gives a
// *NotThisOutputError.
func ParseWBSummary(text string) (WBSummary, error) {
	d := prepare(text)
	res := WBSummary{Properties: map[string]string{}, Warnings: []string{}}
	warn := func(format string, args ...any) { res.Warnings = append(res.Warnings, fmt.Sprintf(format, args...)) }

	type prop struct {
		name  string
		parts []string
		col   int // column where the value starts
		no    int
	}
	var props []*prop
	var cur *prop
	for _, l := range d.lines {
		if l.role != roleContent {
			cur = nil
			continue
		}
		m := reProperty().FindStringSubmatchIndex(l.trim)
		indent := len(l.text) - len(l.trim)
		if cur != nil && l.indented() && (m == nil || indent >= cur.col) {
			cur.parts = append(cur.parts, l.trim)
			continue
		}
		if m == nil {
			cur = nil
			continue
		}
		p := &prop{name: l.trim[m[2]:m[3]], no: l.no, col: len(l.text)}
		if m[4] >= 0 {
			p.parts = append(p.parts, strings.TrimSpace(l.trim[m[4]:m[5]]))
			p.col = indent + m[4]
		}
		props = append(props, p)
		cur = p
	}

	known := 0
	for _, p := range props {
		value := strings.Join(p.parts, " ")
		if _, dup := res.Properties[p.name]; dup {
			warn("line %d: property %s repeated; the first value is kept", p.no, p.name)
			continue
		}
		res.Properties[p.name] = value
		if setSummaryField(&res, p.name, value, p.no, warn) {
			known++
		}
	}
	if known == 0 {
		if c := d.otherCommand(KindWBSummary); c != "" {
			return res, notThis(KindWBSummary, "the echoed command %q is not Get-WBSummary", c)
		}
		return res, notThis(KindWBSummary, "no Get-WBSummary property (\"NumberOfVersions : ...\" lines)")
	}
	return res, nil
}

// setSummaryField stores a known property and reports whether it was one.
func setSummaryField(s *WBSummary, name, value string, line int, warn func(string, ...any)) bool {
	hr := func(dst *string) {
		if value == "" {
			return
		}
		c, ok := canonicalHR(value)
		if !ok {
			warn("line %d: %s %q is not a 32-bit HRESULT", line, name, value)
			return
		}
		*dst = c
	}
	switch strings.ToLower(name) {
	case "nextbackuptime":
		s.NextBackupTime = value
	case "numberofversions":
		n, err := strconv.Atoi(strings.TrimSpace(value))
		if err != nil || n < 0 {
			warn("line %d: NumberOfVersions %q is not a number", line, value)
		} else {
			s.NumberOfVersions = n
		}
	case "lastsuccessfulbackuptime":
		s.LastSuccessfulBackupTime = value
	case "lastsuccessfulbackuptargetpath":
		s.LastSuccessfulBackupTargetPath = value
	case "lastsuccessfulbackuptargetlabel":
		s.LastSuccessfulBackupTargetLabel = value
	case "lastbackuptime":
		s.LastBackupTime = value
	case "lastbackuptarget":
		s.LastBackupTarget = value
	case "detailedmessage":
		s.DetailedMessage = value
	case "lastbackupresulthr":
		hr(&s.LastBackupResultHR)
	case "lastbackupresultdetailedhr":
		hr(&s.LastBackupResultDetailedHR)
	case "currentoperationstatus":
		s.CurrentOperationStatus = value
	default:
		return false
	}
	return true
}
