package hresult

import (
	"regexp"
	"strconv"
)

// FormStop is the form of a stop (bug check) code written in its short
// form after a label: "STOP 0x7B", "Stop code: 0x0000007B", "Bug Check
// 0xED", "バグチェック 0x7B".
const FormStop = "stop"

// stopLabel finds a short hex value after a stop-code label. The value must
// be written with 0x (a bare "STOP 7B" is too easily something else) and
// end at a word boundary.
var stopLabel = regexp.MustCompile(`(?i)(?:\bstop(?:\s*code)?|\bbug\s*check(?:\s*code)?|\bbugcheck(?:code)?|バグ\s*チェック(?:\s*コード)?|停止コード|STOP\s*エラー)\s*[:：=]?\s*(0x[0-9a-f]{1,8})\b`)

// FindStopCodes returns the stop codes written in their short form after a
// label ("STOP 0x7B" means 0x0000007B INACCESSIBLE_BOOT_DEVICE), in order.
// Start and End cover the value, not the label. A full 8-digit form such
// as "STOP 0x0000007B" is also returned here; FindAll finds it too.
func FindStopCodes(text string) []Match {
	var out []Match
	for _, loc := range stopLabel.FindAllStringSubmatchIndex(text, -1) {
		start, end := loc[2], loc[3]
		v, err := strconv.ParseUint(text[start+2:end], 16, 32)
		if err != nil || v == 0 {
			continue
		}
		out = append(out, Match{Code: Code(v), Start: start, End: end, Form: FormStop})
	}
	return out
}
