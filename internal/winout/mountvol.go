package winout

import (
	"fmt"
	"strings"
)

// MountvolVolume is one volume listed by `mountvol`.
type MountvolVolume struct {
	VolumeName  string   `json:"volume_name"`  // \\?\Volume{...}\ with backslashes (¥ normalised)
	GUID        string   `json:"guid"`         // lower-case GUID without braces; "" when malformed or redacted
	MountPoints []string `json:"mount_points"` // e.g. "C:\", "D:\mnt\data\", as printed
	// NoMountPoints is true for "*** NO MOUNT POINTS ***" (ja: "* マウント ポイントなし *").
	NoMountPoints bool `json:"no_mount_points"`
	// NotMountable is true for "*** NOT MOUNTABLE UNTIL A VOLUME MOUNT POINT
	// IS CREATED ***" (ja: "* ボリューム マウント ポイントが作成されるまでマウントできません *").
	NotMountable bool `json:"not_mountable"`
	// Status is the text of a "*** ... ***" line without the stars, as printed.
	Status string `json:"status,omitempty"`
}

// Mountvol is the result of ParseMountvol.
type Mountvol struct {
	Volumes  []MountvolVolume `json:"volumes"`
	Warnings []string         `json:"warnings"`
}

// ParseMountvol parses the listing that `mountvol` prints without
// arguments. A line starting with \\?\Volume{ starts a volume; the
// drive-letter paths after it are its mount points and a "* ... *" line is
// its status. The usage text printed before the list is ignored. Text
// without any volume line gives a *NotThisOutputError.
func ParseMountvol(text string) (Mountvol, error) {
	d := prepare(text)
	res := Mountvol{Volumes: []MountvolVolume{}, Warnings: []string{}}
	warn := func(format string, args ...any) { res.Warnings = append(res.Warnings, fmt.Sprintf(format, args...)) }

	seen := map[string]int{}
	var cur *MountvolVolume
	curLine := 0
	flush := func() {
		if cur == nil {
			return
		}
		v := *cur
		who := fmt.Sprintf("volume %s (line %d)", v.VolumeName, curLine)
		switch {
		case len(v.MountPoints) == 0 && v.Status == "":
			warn("%s: neither mount points nor a status line", who)
		case len(v.MountPoints) > 0 && (v.NoMountPoints || v.NotMountable):
			warn("%s: has mount points and also says %q", who, v.Status)
		}
		res.Volumes = append(res.Volumes, v)
		cur = nil
	}
	for _, l := range d.lines {
		if l.role != roleContent {
			continue
		}
		s := l.trim
		if strings.HasPrefix(lowerASCII(s), `\\?\volume{`) {
			flush()
			name := s
			if c := strings.IndexByte(s, '}'); c >= 0 {
				end := c + 1
				if end < len(s) && s[end] == '\\' {
					end++
				}
				name = s[:end]
				if rest := strings.TrimSpace(s[end:]); rest != "" {
					warn("line %d: text after the volume name ignored: %q", l.no, rest)
				}
			}
			cur = &MountvolVolume{VolumeName: name, MountPoints: []string{}}
			curLine = l.no
			if inner, ok := braceContent(name); ok {
				cur.GUID = guidOf(inner)
			}
			if cur.GUID == "" {
				warn("line %d: volume name %s has no valid GUID (redacted or malformed)", l.no, name)
			}
			if prev, dup := seen[lowerASCII(name)]; dup {
				warn("line %d: volume %s already listed at line %d", l.no, name, prev)
			} else {
				seen[lowerASCII(name)] = l.no
			}
			continue
		}
		if cur == nil {
			continue
		}
		switch {
		case len(s) >= 3 && isASCIILetter(s[0]) && s[1] == ':' && s[2] == '\\':
			cur.MountPoints = append(cur.MountPoints, s)
		case len(s) >= 2 && strings.HasPrefix(s, "*") && strings.HasSuffix(s, "*"):
			status := strings.TrimSpace(strings.Trim(s, "*"))
			if cur.Status != "" {
				warn("line %d: second status line %q ignored", l.no, s)
				continue
			}
			cur.Status = status
			switch {
			case containsAnyFold(status, "not mountable", "マウントできません", "non montable", "pas montable", "nicht bereitgestellt werden"):
				cur.NotMountable = true
			case containsAnyFold(status, "no mount points", "マウント ポイントなし", "マウントポイントなし", "aucun point de montage", "keine bereitstellungspunkte"):
				cur.NoMountPoints = true
			default:
				warn("line %d: status %q is in a language without a table; not classified", l.no, status)
			}
		}
	}
	flush()
	if len(res.Volumes) == 0 {
		return res, notThis(KindMountvol, "no volume name lines (\\\\?\\Volume{...}\\)")
	}
	return res, nil
}
