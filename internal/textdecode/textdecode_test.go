package textdecode

import (
	"testing"

	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/unicode"
)

func TestDecode(t *testing.T) {
	const ja = "ライター名: 'System Writer'\r\n状態: [1] 安定\r\n"
	const want = "ライター名: 'System Writer'\n状態: [1] 安定\n"
	sjis, err := japanese.ShiftJIS.NewEncoder().Bytes([]byte(ja))
	if err != nil {
		t.Fatal(err)
	}
	u16, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes([]byte(ja))
	if err != nil {
		t.Fatal(err)
	}
	u16be, err := unicode.UTF16(unicode.BigEndian, unicode.UseBOM).NewEncoder().Bytes([]byte(ja))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		in      []byte
		want    string
		wantEnc Encoding
	}{
		{"utf8", []byte(ja), want, UTF8},
		{"utf8 bom", append([]byte{0xEF, 0xBB, 0xBF}, ja...), want, UTF8},
		{"cp932", sjis, want, CP932},
		{"utf16le bom", u16, want, UTF16LE},
		{"utf16be bom", u16be, want, UTF16BE},
		{"lone cr", []byte("a\rb\r\nc"), "a\nb\nc", UTF8},
		{"invalid everywhere", []byte{0x80, 0xFF, 'a'}, "\uFFFDa", UTF8},
		{"empty", nil, "", UTF8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, enc := Decode(tt.in)
			if got != tt.want || enc != tt.wantEnc {
				t.Errorf("Decode = %q, %s; want %q, %s", got, enc, tt.want, tt.wantEnc)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte("vssadmin\r\n"))
	f.Add([]byte{0x83, 0x89, 0x83, 0x43})
	f.Add([]byte{0xFF, 0xFE, 'a', 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, _ := Decode(b)
		for _, r := range s {
			if r == '\r' {
				t.Fatalf("CR left in %q", s)
			}
		}
	})
}
