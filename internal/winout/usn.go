package winout

import (
	"fmt"
	"strconv"
	"strings"
)

// USNJournal is the result of ParseUSNJournal.
type USNJournal struct {
	// Active is false when fsutil said the change journal is not active
	// (ERROR_JOURNAL_NOT_ACTIVE, Win32 1179, 0x80070476); the numbers are
	// then zero and Message holds what fsutil printed.
	Active             bool     `json:"active"`
	Message            string   `json:"message,omitempty"`
	USNJournalID       uint64   `json:"usn_journal_id"`
	FirstUSN           uint64   `json:"first_usn"`
	NextUSN            uint64   `json:"next_usn"`
	LowestValidUSN     uint64   `json:"lowest_valid_usn"`
	MaxUSN             uint64   `json:"max_usn"`
	MaximumSize        uint64   `json:"maximum_size"`
	AllocationDelta    uint64   `json:"allocation_delta"`
	MinRecordVersion   int      `json:"min_record_version"`
	MaxRecordVersion   int      `json:"max_record_version"`
	WriteRangeTracking string   `json:"write_range_tracking"` // as printed, e.g. "Disabled"
	Warnings           []string `json:"warnings"`
}

// USN journal field slots, in the order fsutil prints them.
const (
	usnID = iota
	usnFirst
	usnNext
	usnLowest
	usnMax
	usnMaxSize
	usnDelta
	usnMinVer
	usnMaxVer
	usnWRT
	usnSlots
)

// usnSlotName returns the English label of a slot, for warnings.
func usnSlotName(slot int) string {
	return [usnSlots]string{
		"Usn Journal ID", "First Usn", "Next Usn", "Lowest Valid Usn", "Max Usn",
		"Maximum Size", "Allocation Delta", "Minimum record version supported",
		"Maximum record version supported", "Write range tracking",
	}[slot]
}

// usnSlotOf maps an English label to its slot, or -1.
func usnSlotOf(label string) int {
	l := strings.Join(strings.Fields(strings.ToLower(label)), " ")
	switch {
	case strings.Contains(l, "journal id"):
		return usnID
	case strings.HasPrefix(l, "first usn"):
		return usnFirst
	case strings.HasPrefix(l, "next usn"):
		return usnNext
	case strings.HasPrefix(l, "lowest valid"):
		return usnLowest
	case strings.HasPrefix(l, "max usn"):
		return usnMax
	case strings.HasPrefix(l, "maximum size"):
		return usnMaxSize
	case strings.HasPrefix(l, "allocation delta"):
		return usnDelta
	case strings.HasPrefix(l, "minimum record version"):
		return usnMinVer
	case strings.HasPrefix(l, "maximum record version"):
		return usnMaxVer
	case strings.HasPrefix(l, "write range tracking"):
		return usnWRT
	}
	return -1
}

// ParseUSNJournal parses the output of `fsutil usn queryjournal X:`.
//
// Fields are matched by their English label, and otherwise by value shape
// in the printed order: seven "0x" hex numbers (journal id, first, next,
// lowest valid and max USN, maximum size, allocation delta), then two
// record versions. Trailers such as "(32.0 MB)" or "<<<<" are ignored.
// "The volume change journal is not active." (or 0x80070476 / error 1179)
// gives Active false and no error; another fsutil error gives a
// *CommandError; other text gives a *NotThisOutputError.
func ParseUSNJournal(text string) (USNJournal, error) {
	d := prepare(text)
	res := USNJournal{Warnings: []string{}}
	warn := func(format string, args ...any) { res.Warnings = append(res.Warnings, fmt.Sprintf(format, args...)) }

	var filled [usnSlots]bool
	hexCount, hinted := 0, 0
	for _, l := range d.lines {
		if l.role != roleContent {
			continue
		}
		label, value, ok := splitField(l.trim)
		if !ok || value == "" {
			continue
		}
		tok := strings.Fields(value)[0]
		// fsutil prints every 64-bit value as 0x and 16 hex digits.
		isHexTok := len(tok) == 18 && tok[0] == '0' && (tok[1] == 'x' || tok[1] == 'X') && isAllHex(tok[2:])
		slot := usnSlotOf(label)
		if slot >= 0 && !filled[slot] {
			hinted++
		} else {
			slot = -1
			// Fall back on shape: the next free slot of this value's type.
			from, to := -1, -1
			switch {
			case isHexTok:
				from, to = usnID, usnDelta
			case isAllDigits(tok):
				from, to = usnMinVer, usnMaxVer
			case filled[usnMinVer] && filled[usnMaxVer]:
				// The text field printed after the record versions.
				from, to = usnWRT, usnWRT
			}
			for k := from; from >= 0 && k <= to; k++ {
				if !filled[k] {
					slot = k
					break
				}
			}
			if slot < 0 {
				continue
			}
		}
		if setUSNField(&res, slot, tok, value, l.no, warn) {
			filled[slot] = true
			if slot <= usnDelta {
				hexCount++
			}
		}
	}

	if hexCount < 3 && hinted == 0 {
		for _, l := range d.lines {
			if l.role == roleContent && isJournalInactive(l.trim) {
				_, msg, ok := toolError(d, false, nil)
				if !ok {
					msg = l.trim
				}
				return USNJournal{Active: false, Message: msg, Warnings: []string{}}, nil
			}
		}
		if code, msg, ok := toolError(d, false, nil); ok {
			return res, &CommandError{Command: "fsutil", Code: code, Message: msg}
		}
		if c := d.otherCommand(KindUSNJournal); c != "" {
			return res, notThis(KindUSNJournal, "the echoed command %q is not `fsutil usn queryjournal`", c)
		}
		return res, notThis(KindUSNJournal, "no USN journal fields (\"Usn Journal ID : 0x...\" and the like)")
	}
	res.Active = true
	for k := 0; k < usnSlots; k++ {
		if !filled[k] && k <= usnDelta {
			warn("no %s line", usnSlotName(k))
		}
	}
	return res, nil
}

// isJournalInactive recognises the "journal not active" error.
func isJournalInactive(s string) bool {
	if containsAnyFold(s, "journal is not active", "journal n'est pas actif", "journal n’est pas actif",
		"journal ist nicht aktiv", "ジャーナルがアクティブではありません", "ジャーナルはアクティブではありません",
		"0x80070476") {
		return true
	}
	// "Error: 1179" style: an error line with the Win32 code.
	if v, ok := errorLine(s, false); ok {
		for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r < '0' || r > '9' }) {
			if f == "1179" {
				return true
			}
		}
	}
	return false
}

func isAllHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) {
			return false
		}
	}
	return s != ""
}

func isAllDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

func setUSNField(j *USNJournal, slot int, tok, value string, line int, warn func(string, ...any)) bool {
	switch slot {
	case usnWRT:
		j.WriteRangeTracking = value
		return true
	case usnMinVer, usnMaxVer:
		n, err := strconv.Atoi(tok)
		if err != nil || n < 0 {
			warn("line %d: %s %q is not a number", line, usnSlotName(slot), value)
			return false
		}
		if slot == usnMinVer {
			j.MinRecordVersion = n
		} else {
			j.MaxRecordVersion = n
		}
		return true
	}
	v, err := parseUint(tok)
	if err != nil {
		warn("line %d: %s %q is not a 64-bit number", line, usnSlotName(slot), value)
		return false
	}
	*[...]*uint64{&j.USNJournalID, &j.FirstUSN, &j.NextUSN, &j.LowestValidUSN, &j.MaxUSN, &j.MaximumSize, &j.AllocationDelta}[slot] = v
	return true
}

// parseUint parses "0x..." hex or a decimal number.
func parseUint(s string) (uint64, error) {
	if len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		return strconv.ParseUint(s[2:], 16, 64)
	}
	return strconv.ParseUint(s, 10, 64)
}
