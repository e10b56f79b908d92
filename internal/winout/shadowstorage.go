package winout

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// VolumeRef is a volume as vssadmin prints it: "(C:)\\?\Volume{guid}\".
type VolumeRef struct {
	Drive   string `json:"drive"`    // "C:" when the parenthesised name is a drive letter
	ShownAs string `json:"shown_as"` // the parenthesised name as printed ("C:", a mount folder, ...)
	Path    string `json:"path"`     // the volume GUID path, e.g. \\?\Volume{...}\
	GUID    string `json:"guid"`     // lower-case GUID of Path without braces; "" when malformed or redacted
}

// ShadowStorageAssociation is one "Shadow Copy Storage association".
type ShadowStorageAssociation struct {
	ForVolume     VolumeRef `json:"for_volume"`
	StorageVolume VolumeRef `json:"storage_volume"`

	Used      string `json:"used"`      // used space as printed, e.g. "2.06 GB (1%)"
	Allocated string `json:"allocated"` // allocated space as printed
	Maximum   string `json:"maximum"`   // maximum space as printed, e.g. "UNBOUNDED (100%)"

	// Sizes in bytes. vssadmin prints three significant digits with binary
	// units, so "2.06 GB" becomes round(2.06 * 2^30).
	UsedBytes      int64 `json:"used_bytes"`
	AllocatedBytes int64 `json:"allocated_bytes"`
	MaxBytes       int64 `json:"max_bytes"` // -1 when unbounded
	MaxUnbounded   bool  `json:"max_unbounded"`

	// Percentages of the volume size, when printed.
	UsedPercent      *float64 `json:"used_percent,omitempty"`
	AllocatedPercent *float64 `json:"allocated_percent,omitempty"`
	MaxPercent       *float64 `json:"max_percent,omitempty"`
}

// ShadowStorage is the result of ParseShadowStorage.
type ShadowStorage struct {
	Associations []ShadowStorageAssociation `json:"associations"`
	Warnings     []string                   `json:"warnings"`
}

type assocBuild struct {
	a       ShadowStorageAssociation
	line    int
	vols    int
	sizes   [3]bool
	sizesOK int // sizes that parsed as a number or a known unbounded word
}

// isNoItems recognises "No items found that satisfy the query." in the
// languages known (hints only).
func isNoItems(s string) bool {
	return containsAnyFold(s, "no items found", "クエリを満たす項目", "aucun élément", "aucun elément",
		"aucun element", "keine elemente", "keine objekte", "nie znaleziono", "не найдено")
}

// isUnboundedWord recognises the known spellings of the unbounded maximum.
func isUnboundedWord(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "unbounded", "unlimited", "無制限", "illimité", "illimite", "unbegrenzt",
		"nieograniczony", "nieograniczone", "без ограничений", "неограниченно",
		"sin límite", "ilimitado", "illimitato":
		return true
	}
	return false
}

// ParseShadowStorage parses the output of `vssadmin list shadowstorage`.
//
// Within an association the first and second "label: (X:)\\?\Volume{...}\"
// lines are the volume and the storage volume (a GUID path wrapped at the
// console width is joined back), and the next three "label: size" lines are
// the used, allocated and maximum space; label words (English, Japanese,
// French, German, Polish) only correct that order. Sizes accept a decimal
// comma and the unit words B/bytes/octets, KB/Ko, MB/Mo, GB/Go, TB/To; a
// maximum that is not a number ("UNBOUNDED") is unbounded.
//
// "No items found that satisfy the query." (or the Japanese message)
// gives an empty list and no error. A vssadmin error line gives a
// *VSSAdminError; other text gives a *NotThisOutputError.
func ParseShadowStorage(text string) (ShadowStorage, error) {
	d := prepare(text)
	res := ShadowStorage{Associations: []ShadowStorageAssociation{}, Warnings: []string{}}
	warn := func(format string, args ...any) { res.Warnings = append(res.Warnings, fmt.Sprintf(format, args...)) }

	var cur *assocBuild
	flush := func() {
		if cur == nil {
			return
		}
		if cur.vols < 2 && cur.sizesOK == 0 {
			// A lone volume path with nothing size-like after it is not an
			// association (e.g. "TargetPath : \\?\Volume{...}").
			warn("line %d: volume path outside any association ignored", cur.line)
		} else {
			res.Associations = append(res.Associations, finishAssoc(cur, warn))
		}
		cur = nil
	}
	fieldLines, otherLines := 0, 0
	for _, l := range d.lines {
		if l.role != roleContent {
			continue
		}
		label, value, ok := splitField(l.trim)
		if !ok {
			otherLines++
			continue
		}
		fieldLines++
		if ref, ok := parseVolumeRef(value); ok {
			if cur == nil || cur.vols >= 2 || cur.sizes != [3]bool{} {
				flush()
				cur = &assocBuild{line: l.no}
			}
			if cur.vols == 0 {
				cur.a.ForVolume = ref
			} else {
				cur.a.StorageVolume = ref
			}
			cur.vols++
			if ref.GUID == "" {
				warn("line %d: volume path %q has no valid GUID (redacted or malformed)", l.no, ref.Path)
			}
			continue
		}
		if cur == nil {
			continue
		}
		slot := sizeSlot(label)
		if slot < 0 || cur.sizes[slot] {
			slot = -1
			for k := range cur.sizes {
				if !cur.sizes[k] {
					slot = k
					break
				}
			}
		}
		if slot < 0 {
			warn("line %d: extra line in the association ignored: %q", l.no, l.trim)
			continue
		}
		cur.sizes[slot] = true
		if setSize(&cur.a, slot, value, l.no, warn) {
			cur.sizesOK++
		}
	}
	flush()
	if len(res.Associations) > 0 {
		return res, nil
	}

	for _, l := range d.lines {
		if l.role == roleContent && isNoItems(l.trim) {
			return res, nil
		}
	}
	if code, msg, ok := toolError(d, true, nil); ok {
		return res, &VSSAdminError{Code: code, Message: msg}
	}
	if c := d.otherCommand(KindShadowStorage); c != "" {
		return res, notThis(KindShadowStorage, "the echoed command %q is not `vssadmin list shadowstorage`", c)
	}
	if d.banners["vssadmin"] && fieldLines == 0 && otherLines == 1 {
		warn("no associations; the only message was taken for \"No items found that satisfy the query.\" in a language without a table")
		return res, nil
	}
	return res, notThis(KindShadowStorage, "no shadow copy storage association (\"label: (X:)\\\\?\\Volume{...}\\\" lines) and no \"No items found\" message")
}

func finishAssoc(b *assocBuild, warn func(string, ...any)) ShadowStorageAssociation {
	a := b.a
	if b.vols < 2 {
		warn("association at line %d: no shadow copy storage volume line", b.line)
	}
	for k, name := range []string{"used", "allocated", "maximum"} {
		if !b.sizes[k] {
			warn("association at line %d: no %s space line", b.line, name)
		}
	}
	return a
}

// parseVolumeRef parses "(C:)\\?\Volume{guid}\" (the parenthesised name is
// optional).
func parseVolumeRef(value string) (VolumeRef, bool) {
	low := lowerASCII(value)
	p := strings.LastIndex(low, `\\?\volume{`)
	if p < 0 {
		return VolumeRef{}, false
	}
	var r VolumeRef
	shown := strings.TrimSpace(value[:p])
	if strings.HasPrefix(shown, "(") && strings.HasSuffix(shown, ")") {
		shown = shown[1 : len(shown)-1]
	}
	r.ShownAs = shown
	if len(shown) >= 2 && isASCIILetter(shown[0]) && shown[1] == ':' && (len(shown) == 2 || shown[2:] == `\`) {
		r.Drive = strings.ToUpper(shown[:1]) + ":"
	}
	path := value[p:]
	if c := strings.IndexByte(path, '}'); c >= 0 {
		end := c + 1
		if end < len(path) && path[end] == '\\' {
			end++
		}
		path = path[:end]
	}
	r.Path = path
	if inner, ok := braceContent(path); ok {
		r.GUID = guidOf(inner)
	}
	return r, true
}

// sizeSlot maps a label to 0 used, 1 allocated, 2 maximum, or -1.
func sizeSlot(label string) int {
	switch {
	case containsAnyFold(label, "used", "使用", "utilis", "belegt", "verwendet", "użyt", "uzyt", "использ"):
		return 0
	case containsAnyFold(label, "allocated", "割り当て", "allou", "zugeordnet", "zugewiesen", "przydziel", "выделен"):
		return 1
	case containsAnyFold(label, "maximum", "最大", "maximal", "maksym", "максим"):
		return 2
	}
	return -1
}

// setSize stores one size line and reports whether it was understood.
func setSize(a *ShadowStorageAssociation, slot int, value string, line int, warn func(string, ...any)) bool {
	num, pct, hasPct := splitPercent(value)
	var pp *float64
	if hasPct {
		v := pct
		pp = &v
	}
	bytes, ok, why := parseSize(num)
	switch slot {
	case 0:
		a.Used, a.UsedPercent = value, pp
	case 1:
		a.Allocated, a.AllocatedPercent = value, pp
	case 2:
		a.Maximum, a.MaxPercent = value, pp
	}
	if !ok && slot == 2 && !startsWithDigit(num) {
		a.MaxBytes, a.MaxUnbounded = -1, true
		if !isUnboundedWord(num) {
			warn("line %d: maximum %q is not a number; taken as unbounded", line, value)
			return false
		}
		return true
	}
	if !ok {
		warn("line %d: size %q not understood (%s); 0 used", line, value, why)
		return false
	}
	switch slot {
	case 0:
		a.UsedBytes = bytes
	case 1:
		a.AllocatedBytes = bytes
	case 2:
		a.MaxBytes = bytes
	}
	return true
}

func startsWithDigit(s string) bool { s = strings.TrimSpace(s); return s != "" && isDigit(s[0]) }

// splitPercent removes a trailing "(N%)" and returns it.
func splitPercent(value string) (rest string, pct float64, ok bool) {
	v := strings.TrimSpace(value)
	if !strings.HasSuffix(v, ")") {
		return v, 0, false
	}
	o := strings.LastIndexByte(v, '(')
	if o < 0 {
		return v, 0, false
	}
	inner := strings.TrimSpace(v[o+1 : len(v)-1])
	if !strings.HasSuffix(inner, "%") {
		return v, 0, false
	}
	f, err := parseNumber(strings.TrimSpace(strings.TrimSuffix(inner, "%")))
	if err != nil {
		return v, 0, false
	}
	return strings.TrimSpace(v[:o]), f, true
}

// unitSize maps a unit word (any case) to its size in bytes (binary units).
func unitSize(unit string) (float64, bool) {
	switch strings.ToLower(unit) {
	case "b", "byte", "bytes", "octet", "octets", "o", "バイト", "bajt", "bajtów", "bajty", "байт", "байтов":
		return 1, true
	case "kb", "ko", "kib", "кб":
		return 1 << 10, true
	case "mb", "mo", "mib", "мб":
		return 1 << 20, true
	case "gb", "go", "gib", "гб":
		return 1 << 30, true
	case "tb", "to", "tib", "тб":
		return 1 << 40, true
	case "pb", "po", "pib", "пб":
		return 1 << 50, true
	case "eb", "eo", "eib":
		return 1 << 60, true
	}
	return 0, false
}

// parseSize parses "2.06 GB", "2,06 Go", "320 MB", "0 bytes".
func parseSize(s string) (int64, bool, string) {
	s = strings.TrimSpace(s)
	i := 0
	for i < len(s) {
		c := s[i]
		if isDigit(c) || c == '.' || c == ',' {
			i++
			continue
		}
		// A space inside the number is a thousands separator ("1 024 Mo").
		if sp := spaceLen(s[i:]); sp > 0 && i+sp < len(s) && isDigit(s[i+sp]) && i > 0 {
			i += sp
			continue
		}
		break
	}
	if i == 0 {
		return 0, false, "no number"
	}
	f, err := parseNumber(s[:i])
	if err != nil {
		return 0, false, "bad number"
	}
	unit := strings.ToLower(strings.TrimSuffix(strings.TrimSpace(s[i:]), "."))
	mult, ok := unitSize(unit)
	if !ok {
		if unit == "" {
			return 0, false, "no unit"
		}
		return 0, false, "unknown unit " + strconv.Quote(unit)
	}
	v := math.Round(f * mult)
	if v > math.MaxInt64/2 {
		return 0, false, "too large"
	}
	return int64(v), true, ""
}

// spaceLen returns the byte length of the space (ASCII, no-break or
// narrow no-break, as French number formatting uses) that starts s, or 0.
func spaceLen(s string) int {
	r, size := utf8.DecodeRuneInString(s)
	if r == ' ' || r == '\u00a0' || r == '\u202f' {
		return size
	}
	return 0
}

// parseNumber parses a decimal number with '.' or ',' as the decimal mark
// and spaces as thousands separators. With both marks present the last one
// is the decimal mark.
func parseNumber(s string) (float64, error) {
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
	dot, comma := strings.LastIndexByte(s, '.'), strings.LastIndexByte(s, ',')
	switch {
	case dot >= 0 && comma >= 0 && comma > dot:
		s = strings.ReplaceAll(s, ".", "")
		s = strings.Replace(s, ",", ".", 1)
	case dot >= 0 && comma >= 0:
		s = strings.ReplaceAll(s, ",", "")
	case comma >= 0:
		s = strings.Replace(s, ",", ".", 1)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
		return 0, fmt.Errorf("bad number %q", s)
	}
	return f, nil
}
