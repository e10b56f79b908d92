package hresult

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFindStopCodes(t *testing.T) {
	tests := []struct {
		text string
		want []Code
	}{
		{"STOP 0x7B", []Code{0x7B}},
		{"*** STOP: 0x0000007B (0xF78D2524,0xC0000034,0x00000000,0x00000000)", []Code{0x7B}},
		{"Stop code: 0x000000ED", []Code{0xED}},
		{"Bug Check 0x7B: INACCESSIBLE_BOOT_DEVICE", []Code{0x7B}},
		{"BugCheckCode=0x7b", []Code{0x7B}},
		{"バグチェック 0x7B で起動しません", []Code{0x7B}},
		{"STOP エラー 0x7B", []Code{0x7B}},
		{"stop code: 0xc000021a", []Code{0xC000021A}},
		{"Stop code: INACCESSIBLE_BOOT_DEVICE", nil},
		{"STOP 7B", nil},
		{"stop 0x0", nil},
		{"nonstop 0x7B", nil},
		{"STOP 0x7Bx", nil},
		{"stop the service 0x7B", nil},
	}
	for _, tt := range tests {
		var got []Code
		for _, m := range FindStopCodes(tt.text) {
			if tt.text[m.Start:m.End][:2] != "0x" && tt.text[m.Start:m.End][:2] != "0X" {
				t.Errorf("FindStopCodes(%q): match %+v does not cover the value", tt.text, m)
			}
			got = append(got, m.Code)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("FindStopCodes(%q) mismatch (-want +got):\n%s", tt.text, diff)
		}
	}
}

func FuzzFindStopCodes(f *testing.F) {
	for _, s := range append(fuzzSeeds, "STOP 0x7B", "Stop code: 0x0000007B", "バグチェック 0xED") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		prev := 0
		for _, m := range FindStopCodes(text) {
			if m.Start < prev || m.End > len(text) || m.Start+2 >= m.End || m.Code == 0 {
				t.Fatalf("FindStopCodes(%q): bad match %+v", text, m)
			}
			v, err := Parse("0x" + padHex(text[m.Start+2:m.End]))
			if err != nil || v != m.Code {
				t.Fatalf("FindStopCodes(%q): %+v but the value reads %s, %v", text, m, v, err)
			}
			prev = m.End
		}
	})
}

func padHex(s string) string {
	for len(s) < 8 {
		s = "0" + s
	}
	return s
}
