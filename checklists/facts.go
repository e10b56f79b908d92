package checklists

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// CollectScript is the one read-only PowerShell script that gathers every
// fact the five rules need, as one JSON object on stdout, for Windows
// PowerShell 5.1. It changes nothing on the server.
// A missing policy, Defender or event gives nulls or empty lists, never an
// error that stops the script.
const CollectScript = `$ErrorActionPreference = 'SilentlyContinue'
$pol = Get-WBPolicy
$tg = @($pol.BackupTargets | Where-Object { $_ } | Select-Object Label, Path, @{n='TargetType';e={"$($_.TargetType)"}}, @{n='DiskNumber';e={$_.WBDisk.DiskNumber}}, @{n='VolumeId';e={"$($_.WBVolume.VolumeId)"}})
$src = @($pol.VolumesToBackup | Where-Object { $_ } | Select-Object MountPath, @{n='VolumeId';e={"$($_.VolumeId)"}})
$parts = @(Get-Partition | Select-Object DiskNumber, AccessPaths)
$ms = Get-MpComputerStatus | Select-Object AMServiceEnabled, AntivirusEnabled, RealTimeProtectionEnabled
$mp = Get-MpPreference | Select-Object ExclusionPath, ExclusionProcess
$rs = @(Get-WinEvent -FilterHashtable @{LogName='Microsoft-Windows-Backup'; Id=18} -MaxEvents 5 | Select-Object @{n='Time';e={$_.TimeCreated}})
@{ policy = ($null -ne $pol); bmr = $pol.BMR; systemState = $pol.SystemState; targets = $tg; sources = $src; partitions = $parts; defender = $ms; defenderPreference = $mp; restores = $rs } | ConvertTo-Json -Depth 5 -Compress
`

// Target types as PowerShell prints WBTargetType.
const (
	TargetVolume  = "Volume"
	TargetDisk    = "Disk"
	TargetNetwork = "Network"
)

// Facts is what CollectScript found on one server.
type Facts struct {
	// Policy is false when the server has no WSB backup policy.
	Policy      bool
	BMR         bool
	SystemState bool
	Targets     []BackupTarget
	Sources     []SourceVolume
	Partitions  []Partition
	Defender    Defender
	// Restores are the times of completed recoveries found in the
	// Microsoft-Windows-Backup event log, newest first.
	Restores []time.Time
}

// BackupTarget is one target of the WSB policy.
type BackupTarget struct {
	Label, Path string
	// Type is TargetVolume, TargetDisk or TargetNetwork (or what
	// PowerShell printed for an unknown type).
	Type string
	// DiskNumber is set for a Disk target.
	DiskNumber *int
	// VolumeID is "{guid}" for a Volume target.
	VolumeID string
}

// SourceVolume is one volume the policy backs up.
type SourceVolume struct {
	MountPath string
	VolumeID  string // "{guid}"
}

// Partition is one partition: the disk it lives on and its access paths
// ("E:\", "\\?\Volume{guid}\").
type Partition struct {
	DiskNumber  int
	AccessPaths []string
}

// Defender is Microsoft Defender's state.
type Defender struct {
	// Present is set when Get-MpComputerStatus answered.
	Present, Enabled, RealTime bool
	// ExclusionPath and ExclusionProcess are Get-MpPreference's lists.
	ExclusionPath, ExclusionProcess []string
	// Hidden is set when Windows hid the exclusions ("N/A: Must be an
	// administrator to view exclusions").
	Hidden bool
}

// rawFactsOf mirrors CollectScript's JSON, with the lists of type S
// (strings), T (targets), V (source volumes), P (partitions) and R
// (restores): plain slices (arrays only) or PSLists (what Windows
// PowerShell 5.1 may write instead of a one-item array).
type rawFactsOf[S ~[]string, T ~[]rawTarget, V ~[]rawSource, P ~[]rawPartition[S], R ~[]rawRestore] struct {
	Policy             bool         `json:"policy"`
	BMR                *bool        `json:"bmr"`
	SystemState        *bool        `json:"systemState"`
	Targets            T            `json:"targets"`
	Sources            V            `json:"sources"`
	Partitions         P            `json:"partitions"`
	Defender           *rawDefender `json:"defender"`
	DefenderPreference *struct {
		ExclusionPath    S `json:"ExclusionPath"`
		ExclusionProcess S `json:"ExclusionProcess"`
	} `json:"defenderPreference"`
	Restores R `json:"restores"`
}

// rawFacts reads every shape CollectScript's JSON comes in; rawArrays
// only arrays, in one pass (a PSList decodes its array a second time).
type (
	rawFacts  = rawFactsOf[PSList[string], PSList[rawTarget], PSList[rawSource], PSList[rawPartition[PSList[string]]], PSList[rawRestore]]
	rawArrays = rawFactsOf[[]string, []rawTarget, []rawSource, []rawPartition[[]string], []rawRestore]
)

type rawTarget struct {
	Label      string   `json:"Label"`
	Path       string   `json:"Path"`
	TargetType string   `json:"TargetType"`
	DiskNumber *float64 `json:"DiskNumber"`
	VolumeID   string   `json:"VolumeId"`
}

type rawSource struct {
	MountPath string `json:"MountPath"`
	VolumeID  string `json:"VolumeId"`
}

type rawPartition[S ~[]string] struct {
	DiskNumber  float64 `json:"DiskNumber"`
	AccessPaths S       `json:"AccessPaths"`
}

type rawDefender struct {
	AMServiceEnabled          *bool `json:"AMServiceEnabled"`
	AntivirusEnabled          *bool `json:"AntivirusEnabled"`
	RealTimeProtectionEnabled *bool `json:"RealTimeProtectionEnabled"`
}

type rawRestore struct {
	Time PSDate `json:"Time"`
}

// PSList decodes what ConvertTo-Json gives for a collection: null, a single
// item or an array.
type PSList[T any] []T

func (l *PSList[T]) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*l = nil
		return nil
	case len(b) > 0 && b[0] == '[':
		var s []T
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*l = s
		return nil
	}
	var one T
	if err := json.Unmarshal(b, &one); err != nil {
		return err
	}
	*l = []T{one}
	return nil
}

// PSDate decodes Windows PowerShell 5.1's dates: "\/Date(ms)\/", the
// {"value": "\/Date(ms)\/", ...} form of a PSObject-wrapped date, or an
// ISO 8601 string.
type PSDate struct{ time.Time }

var msDateRE = regexp.MustCompile(`^/Date\((-?\d+)([+-]\d{4})?\)/$`)

func (d *PSDate) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var w struct {
			Value *PSDate `json:"value"`
		}
		if err2 := json.Unmarshal(b, &w); err2 != nil || w.Value == nil {
			return fmt.Errorf("date %s: not a string or {value: date}", truncate(string(b), 60))
		}
		*d = *w.Value
		return nil
	}
	if m := msDateRE.FindStringSubmatch(s); m != nil {
		ms, err := strconv.ParseInt(m[1], 10, 64)
		if err != nil {
			return fmt.Errorf("date %q: %w", s, err)
		}
		d.Time = time.UnixMilli(ms).UTC()
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("date %q: %w", s, err)
	}
	d.Time = t
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// ErrNoFacts is returned (wrapped) when the output holds no JSON object.
var ErrNoFacts = errors.New("no facts in the output")

// ParseFacts reads CollectScript's stdout. Text before the JSON object
// (a banner, a warning) is skipped.
func ParseFacts(stdout string) (Facts, error) {
	i := strings.IndexByte(stdout, '{')
	if i < 0 {
		return Facts{}, fmt.Errorf("parse facts: %w (got %q)", ErrNoFacts, truncate(strings.TrimSpace(stdout), 200))
	}
	// Arrays first, in one pass; a value of another shape (a lone item
	// where an array was expected) is a type error, and then the facts
	// are read again in every shape (FuzzParseFactsArraysFirst).
	var arrays rawArrays
	err := json.NewDecoder(strings.NewReader(stdout[i:])).Decode(&arrays)
	if _, ok := errors.AsType[*json.UnmarshalTypeError](err); !ok {
		if err != nil {
			return Facts{}, fmt.Errorf("parse facts: %w", err)
		}
		return factsOf(arrays), nil
	}
	return parseFactsAnyShape(stdout[i:])
}

// parseFactsAnyShape reads the JSON object at the start of s, lists in any
// shape.
func parseFactsAnyShape(s string) (Facts, error) {
	var raw rawFacts
	if err := json.NewDecoder(strings.NewReader(s)).Decode(&raw); err != nil {
		return Facts{}, fmt.Errorf("parse facts: %w", err)
	}
	return factsOf(raw), nil
}

// factsOf turns the decoded JSON into Facts.
func factsOf[S ~[]string, T ~[]rawTarget, V ~[]rawSource, P ~[]rawPartition[S], R ~[]rawRestore](raw rawFactsOf[S, T, V, P, R]) Facts {
	f := Facts{Policy: raw.Policy, BMR: deref(raw.BMR), SystemState: deref(raw.SystemState)}
	for _, t := range raw.Targets {
		bt := BackupTarget{Label: t.Label, Path: t.Path, Type: t.TargetType, VolumeID: t.VolumeID}
		if t.DiskNumber != nil {
			n := int(*t.DiskNumber)
			bt.DiskNumber = &n
		}
		f.Targets = append(f.Targets, bt)
	}
	for _, s := range raw.Sources {
		f.Sources = append(f.Sources, SourceVolume(s))
	}
	for _, p := range raw.Partitions {
		f.Partitions = append(f.Partitions, Partition{DiskNumber: int(p.DiskNumber), AccessPaths: p.AccessPaths})
	}
	if d := raw.Defender; d != nil {
		f.Defender.Present = true
		f.Defender.Enabled = deref(d.AMServiceEnabled) && deref(d.AntivirusEnabled)
		f.Defender.RealTime = deref(d.RealTimeProtectionEnabled)
	}
	if p := raw.DefenderPreference; p != nil {
		for _, x := range p.ExclusionPath {
			if strings.HasPrefix(x, "N/A") {
				f.Defender.Hidden = true
				continue
			}
			f.Defender.ExclusionPath = append(f.Defender.ExclusionPath, x)
		}
		for _, x := range p.ExclusionProcess {
			if strings.HasPrefix(x, "N/A") {
				f.Defender.Hidden = true
				continue
			}
			f.Defender.ExclusionProcess = append(f.Defender.ExclusionProcess, x)
		}
	}
	for _, r := range raw.Restores {
		if !r.Time.IsZero() {
			f.Restores = append(f.Restores, r.Time.Time)
		}
	}
	return f
}

func deref(b *bool) bool { return b != nil && *b }

// volumeGUID extracts the lower-case GUID of "{guid}" or
// "\\?\Volume{guid}\", or "": the first run of hex digits grouped
// 8-4-4-4-12 (what the regular expression
// (?i)\{?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\}?
// captures, FuzzVolumeGUID; a hand-written scan because the audit asks it
// for every partition access path of every server).
func volumeGUID(s string) string {
	const n = 36 // 8-4-4-4-12
	for i := 0; i+n <= len(s); i++ {
		if s[i+8] == '-' && s[i+23] == '-' && isGUID(s[i:i+n]) {
			return strings.ToLower(s[i : i+n])
		}
	}
	return ""
}

// isGUID reports whether s (36 bytes) is hex digits grouped 8-4-4-4-12.
func isGUID(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// partitionOf finds the partition holding the volume with the given GUID.
func (f Facts) partitionOf(guid string) (Partition, bool) {
	if guid == "" {
		return Partition{}, false
	}
	for _, p := range f.Partitions {
		for _, ap := range p.AccessPaths {
			if volumeGUID(ap) == guid {
				return p, true
			}
		}
	}
	return Partition{}, false
}

// targetGUID is the volume GUID of a local target ("" for a share).
func (t BackupTarget) targetGUID() string {
	if g := volumeGUID(t.VolumeID); g != "" {
		return g
	}
	if strings.HasPrefix(t.Path, `\\?\`) {
		return volumeGUID(t.Path)
	}
	return ""
}

// local reports whether the target is a disk or volume of the server.
func (t BackupTarget) local() bool {
	share := strings.HasPrefix(t.Path, `\\`) && !strings.HasPrefix(t.Path, `\\?\`)
	return !strings.EqualFold(t.Type, TargetNetwork) && !share
}

// diskOf returns the physical disk a local target lives on.
func (f Facts) diskOf(t BackupTarget) (int, bool) {
	if t.DiskNumber != nil {
		return *t.DiskNumber, true
	}
	if p, ok := f.partitionOf(t.targetGUID()); ok {
		return p.DiskNumber, true
	}
	if len(t.Path) >= 2 && t.Path[1] == ':' {
		for _, p := range f.Partitions {
			for _, ap := range p.AccessPaths {
				if strings.EqualFold(strings.TrimRight(ap, `\`), strings.TrimRight(t.Path, `\`)) {
					return p.DiskNumber, true
				}
			}
		}
	}
	return 0, false
}

// accessPaths returns every path by which a target is reached.
func (f Facts) accessPaths(t BackupTarget) []string {
	paths := []string{t.Path}
	if p, ok := f.partitionOf(t.targetGUID()); ok {
		paths = append(paths, p.AccessPaths...)
	}
	if t.DiskNumber != nil && t.targetGUID() == "" {
		for _, p := range f.Partitions {
			if p.DiskNumber == *t.DiskNumber {
				paths = append(paths, p.AccessPaths...)
			}
		}
	}
	return paths
}
