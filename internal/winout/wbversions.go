package winout

import (
	"fmt"
	"strings"
)

// BackupVersion is one backup listed by `wbadmin get versions`.
type BackupVersion struct {
	BackupTime   string `json:"backup_time"`   // as printed (local time, locale format)
	BackupTarget string `json:"backup_target"` // as printed
	// VersionID is the MM/DD/YYYY-HH:MM identifier that wbadmin commands
	// take as -version:.
	VersionID  string   `json:"version_id"`
	CanRecover []string `json:"can_recover"` // the can-recover list split on commas, as printed
	// BareMetalRecovery is true when CanRecover names bare metal recovery
	// ("Bare Metal Recovery", "ベア メタル回復", "Récupération complète").
	BareMetalRecovery bool   `json:"bare_metal_recovery"`
	SnapshotID        string `json:"snapshot_id"` // lower-case GUID without braces; "" when missing or redacted
}

// WBAdminVersions is the result of ParseWBAdminVersions.
type WBAdminVersions struct {
	Versions []BackupVersion `json:"versions"`
	Warnings []string        `json:"warnings"`
}

var (
	reVersionID = lazyRegexp(`^\d{2}/\d{2}/\d{4}-\d{2}:\d{2}$`)
	reDateTime  = lazyRegexp(`\d[/.:年-]\d`)
)

// isBareMetalItem reports whether a can-recover item names bare metal
// recovery.
func isBareMetalItem(item string) bool {
	return containsAnyFold(item, "bare metal", "bare-metal", "baremetal", "ベア メタル", "ベアメタル",
		"récupération complète", "recuperation complete", "récupération système complète",
		"recuperación completa", "reconstrucción completa")
}

// isKnownRecoverItem reports whether a can-recover item is another item in
// a known language; seeing one means a missing bare-metal item is certain.
func isKnownRecoverItem(item string) bool {
	return containsAnyFold(item, "volume", "file", "application", "system state", "ボリューム", "ファイル",
		"アプリケーション", "システム状態", "fichier", "état du système", "etat du systeme")
}

type wbField struct {
	label, value string
	no           int
}

// ParseWBAdminVersions parses the output of `wbadmin get versions`.
//
// Each version is anchored on the field whose value has the version
// identifier shape MM/DD/YYYY-HH:MM. The two fields before it are the
// backup time (the one that looks like a date) and the backup target; the
// fields after it are the can-recover list and the snapshot id (the
// "{guid}" value), which ends the version. Labels are not used, so every
// language parses alike.
//
// "ERROR - ..." output gives a *CommandError; the wbadmin banner with no
// versions gives an empty list and a warning; other text gives a
// *NotThisOutputError.
func ParseWBAdminVersions(text string) (WBAdminVersions, error) {
	d := prepare(text)
	res := WBAdminVersions{Versions: []BackupVersion{}, Warnings: []string{}}
	warn := func(format string, args ...any) { res.Warnings = append(res.Warnings, fmt.Sprintf(format, args...)) }

	var fields []wbField
	var anchors []int
	for _, l := range d.lines {
		if l.role != roleContent {
			continue
		}
		label, value, ok := splitField(l.trim)
		if !ok {
			continue
		}
		if reVersionID().MatchString(value) {
			anchors = append(anchors, len(fields))
		}
		fields = append(fields, wbField{label: label, value: value, no: l.no})
	}
	if len(anchors) == 0 {
		if code, msg, ok := toolError(d, false, nil); ok {
			return res, &CommandError{Command: "wbadmin", Code: code, Message: msg}
		}
		if c := d.otherCommand(KindWBAdminVersions); c != "" {
			return res, notThis(KindWBAdminVersions, "the echoed command %q is not `wbadmin get versions`", c)
		}
		if d.banners["wbadmin"] {
			warn("wbadmin listed no backup versions")
			return res, nil
		}
		return res, notThis(KindWBAdminVersions, "no version identifier (MM/DD/YYYY-HH:MM) found")
	}

	// Split the fields between anchors into the trailing fields of one
	// version and the leading fields of the next.
	leadStart := 0
	if len(fields[:anchors[0]]) > 2 {
		leadStart = anchors[0] - 2
	}
	for k, a := range anchors {
		v := BackupVersion{VersionID: fields[a].value, CanRecover: []string{}}
		who := fmt.Sprintf("version %s (line %d)", v.VersionID, fields[a].no)
		assignLeading(&v, fields[leadStart:a], who, warn)
		end := len(fields)
		if k+1 < len(anchors) {
			end = anchors[k+1]
		}
		seg := fields[a+1 : end]
		split := len(seg)
		guid := -1
		for i, f := range seg {
			if isBraced(f.value) {
				guid = i
				break
			}
		}
		switch {
		case guid >= 0:
			split = guid + 1
		case k+1 < len(anchors):
			split = max(0, len(seg)-2)
		}
		leadFrom := split
		if k+1 < len(anchors) && len(seg)-split > 2 {
			leadFrom = len(seg) - 2
			for _, f := range seg[split:leadFrom] {
				warn("line %d: field %q between versions ignored", f.no, f.label+": "+f.value)
			}
		}
		assignTrailing(&v, seg[:split], who, warn)
		if k+1 == len(anchors) {
			for _, f := range seg[split:] {
				warn("line %d: field %q after the last version ignored", f.no, f.label+": "+f.value)
			}
		}
		leadStart = a + 1 + leadFrom
		res.Versions = append(res.Versions, v)
	}
	return res, nil
}

func isBraced(s string) bool {
	return strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}")
}

func assignLeading(v *BackupVersion, fs []wbField, who string, warn func(string, ...any)) {
	timeIdx := -1
	for i, f := range fs {
		if reDateTime().MatchString(f.value) {
			timeIdx = i
			break
		}
	}
	if timeIdx < 0 && len(fs) == 2 {
		timeIdx = 0
	}
	for i, f := range fs {
		switch {
		case i == timeIdx:
			v.BackupTime = f.value
		case v.BackupTarget == "":
			v.BackupTarget = f.value
		default:
			warn("line %d: field %q ignored", f.no, f.label+": "+f.value)
		}
	}
	if v.BackupTime == "" {
		warn("%s: no backup time", who)
	}
	if v.BackupTarget == "" {
		warn("%s: no backup target", who)
	}
}

func assignTrailing(v *BackupVersion, fs []wbField, who string, warn func(string, ...any)) {
	haveRecover, haveSnap := false, false
	for _, f := range fs {
		switch {
		case isBraced(f.value) && !haveSnap:
			haveSnap = true
			v.SnapshotID = guidOf(f.value)
			if v.SnapshotID == "" {
				warn("%s: snapshot id %s is not a GUID (redacted?); left empty", who, f.value)
			}
		case !haveRecover && !isBraced(f.value):
			haveRecover = true
			v.CanRecover = splitList(f.value)
		default:
			warn("line %d: field %q ignored", f.no, f.label+": "+f.value)
		}
	}
	if !haveRecover {
		warn("%s: no can-recover list", who)
	}
	if !haveSnap {
		warn("%s: no snapshot id", who)
	}
	known := false
	for _, item := range v.CanRecover {
		if isBareMetalItem(item) {
			v.BareMetalRecovery = true
		}
		if isKnownRecoverItem(item) {
			known = true
		}
	}
	if haveRecover && !v.BareMetalRecovery && !known && len(v.CanRecover) > 0 {
		warn("%s: can-recover list %q is in a language without a table; bare metal recovery assumed absent", who, strings.Join(v.CanRecover, ", "))
	}
}

// splitList splits a can-recover value on ASCII, ideographic and
// full-width commas.
func splitList(s string) []string {
	out := []string{}
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '、' || r == '，' }) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
