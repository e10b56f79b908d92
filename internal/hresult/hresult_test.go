package hresult

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// catalogueCodes is every row of the domain table of error codes the
// catalogue was built from (runbooks/bundled/catalogue): code,
// unsigned and signed decimal as published, and the family column mapped to
// Family ("VSS writer" -> vss, "Win7 Backup" -> win7-backup).
var catalogueCodes = []struct {
	hex, unsigned, signed string
	family                Family
}{
	{"0x80042301", "2147754753", "-2147212543", FamilyVSS},
	{"0x80042302", "2147754754", "-2147212542", FamilyVSS},
	{"0x80042306", "2147754758", "-2147212538", FamilyVSS},
	{"0x80042308", "2147754760", "-2147212536", FamilyVSS},
	{"0x8004230C", "2147754764", "-2147212532", FamilyVSS},
	{"0x8004230F", "2147754767", "-2147212529", FamilyVSS},
	{"0x80042313", "2147754771", "-2147212525", FamilyVSS},
	{"0x80042314", "2147754772", "-2147212524", FamilyVSS},
	{"0x80042316", "2147754774", "-2147212522", FamilyVSS},
	{"0x80042317", "2147754775", "-2147212521", FamilyVSS},
	{"0x80042318", "2147754776", "-2147212520", FamilyVSS},
	{"0x80042319", "2147754777", "-2147212519", FamilyVSS},
	{"0x8004231F", "2147754783", "-2147212513", FamilyVSS},
	{"0x800423F0", "2147754992", "-2147212304", FamilyVSS},
	{"0x800423F1", "2147754993", "-2147212303", FamilyVSS},
	{"0x800423F2", "2147754994", "-2147212302", FamilyVSS},
	{"0x800423F3", "2147754995", "-2147212301", FamilyVSS},
	{"0x800423F4", "2147754996", "-2147212300", FamilyVSS},
	{"0x80042409", "2147755017", "-2147212279", FamilyVSS},
	{"0x8000FFFF", "2147549183", "-2147418113", FamilyCOM},
	{"0x80780049", "2155348041", "-2139619255", FamilyWSB},
	{"0x8078004F", "2155348047", "-2139619249", FamilyWSB},
	{"0x8078006B", "2155348075", "-2139619221", FamilyWSB},
	{"0x80780081", "2155348097", "-2139619199", FamilyWSB},
	{"0x807800A1", "2155348129", "-2139619167", FamilyWSB},
	{"0x807800C5", "2155348165", "-2139619131", FamilyWSB},
	{"0x80780102", "2155348226", "-2139619070", FamilyWSB},
	{"0x8078010D", "2155348237", "-2139619059", FamilyWSB},
	{"0x80780119", "2155348249", "-2139619047", FamilyWSB},
	{"0x8078011E", "2155348254", "-2139619042", FamilyWSB},
	{"0x8078015B", "2155348315", "-2139618981", FamilyWSB},
	{"0x80780166", "2155348326", "-2139618970", FamilyWSB},
	{"0x80780172", "2155348338", "-2139618958", FamilyWSB},
	{"0x80070005", "2147942405", "-2147024891", FamilyWin32},
	{"0x80070057", "2147942487", "-2147024809", FamilyWin32},
	{"0x81000101", "2164261121", "-2130706175", FamilyWin7Backup},
	{"0x8007007B", "2147942523", "-2147024773", FamilyWin32},
	{"0x80070020", "2147942432", "-2147024864", FamilyWin32},
	{"0x80070012", "2147942418", "-2147024878", FamilyWin32},
	{"0x800701B1", "2147942833", "-2147024463", FamilyWin32},
	{"0x80070539", "2147943737", "-2147023559", FamilyWin32},
	{"0x80040154", "2147746132", "-2147221164", FamilyCOM},
	{"0x800401FB", "2147746299", "-2147220997", FamilyCOM},
	{"0x80070001", "2147942401", "-2147024895", FamilyWin32},
}

func TestCatalogueCodesAllForms(t *testing.T) {
	for _, row := range catalogueCodes {
		t.Run(row.hex, func(t *testing.T) {
			c, err := Parse(row.hex)
			if err != nil {
				t.Fatalf("Parse(%q): %v", row.hex, err)
			}
			if got := c.String(); got != row.hex {
				t.Errorf("String() = %q, want %q", got, row.hex)
			}
			if got := c.Family(); got != row.family {
				t.Errorf("Family() = %q, want %q", got, row.family)
			}
			for _, form := range []string{row.unsigned, row.signed, strings.ToLower(row.hex), row.hex[2:], strings.ToLower(row.hex[2:])} {
				got, err := Parse(form)
				if err != nil {
					t.Errorf("Parse(%q): %v", form, err)
					continue
				}
				if got != c {
					t.Errorf("Parse(%q) = %s, want %s", form, got, c)
				}
			}
			if got := c.Signed(); got != mustAtoi32(t, row.signed) {
				t.Errorf("Signed() = %d, want %s", got, row.signed)
			}
			if got := c.Unsigned(); got != uint32(c) || itoa(uint64(got)) != row.unsigned {
				t.Errorf("Unsigned() = %d, want %s", got, row.unsigned)
			}
		})
	}
}

func mustAtoi32(t *testing.T, s string) int32 {
	t.Helper()
	neg := strings.HasPrefix(s, "-")
	var v int64
	for _, c := range strings.TrimPrefix(s, "-") {
		v = v*10 + int64(c-'0')
	}
	if neg {
		v = -v
	}
	return int32(v)
}

func itoa(v uint64) string {
	if v == 0 {
		return "0"
	}
	var b []byte
	for ; v > 0; v /= 10 {
		b = append([]byte{byte('0' + v%10)}, b...)
	}
	return string(b)
}

func TestCodeString(t *testing.T) {
	tests := []struct {
		c    Code
		want string
	}{
		{0x800423F4, "0x800423F4"},
		{0x800423f4, "0x800423F4"},
		{0x7B, "0x0000007B"},
		{0, "0x00000000"},
		{0xFFFFFFFF, "0xFFFFFFFF"},
	}
	for _, tt := range tests {
		if got := tt.c.String(); got != tt.want {
			t.Errorf("Code(%d).String() = %q, want %q", uint32(tt.c), got, tt.want)
		}
	}
}

func TestSignedUnsigned(t *testing.T) {
	tests := []struct {
		c        Code
		unsigned uint32
		signed   int32
	}{
		{0x80780119, 2155348249, -2139619047},
		{0x80000000, 2147483648, -2147483648},
		{0xFFFFFFFF, 4294967295, -1},
		{0x0000007B, 123, 123},
	}
	for _, tt := range tests {
		if got := tt.c.Unsigned(); got != tt.unsigned {
			t.Errorf("%s.Unsigned() = %d, want %d", tt.c, got, tt.unsigned)
		}
		if got := tt.c.Signed(); got != tt.signed {
			t.Errorf("%s.Signed() = %d, want %d", tt.c, got, tt.signed)
		}
	}
}

func TestFamily(t *testing.T) {
	tests := []struct {
		c    Code
		want Family
	}{
		{0x80042300, FamilyVSS},
		{0x800424FF, FamilyVSS},
		{0x800422FF, FamilyCOM},
		{0x80042500, FamilyCOM},
		{0x80040005, FamilyCOM},
		{0x80041001, FamilyCOM}, // WBEM_E_FAILED, FACILITY_ITF
		{0x80780000, FamilyWSB},
		{0x8078FFFF, FamilyWSB},
		{0x80070000, FamilyWin32},
		{0x8007FFFF, FamilyWin32},
		{0x80000000, FamilyCOM},
		{0x80004005, FamilyCOM},
		{0x80010105, FamilyCOM},
		{0x81000000, FamilyWin7Backup},
		{0x8100FFFF, FamilyWin7Backup},
		{0x00000001, FamilyBugcheck},
		{0x0000007B, FamilyBugcheck},
		{0x000000EF, FamilyBugcheck},
		{0x0000FFFF, FamilyBugcheck},
		{0x00000000, FamilySuccess}, // S_OK, ERROR_SUCCESS
		{0xC03A0005, FamilyVHD},
		{0xC03A0000, FamilyVHD},
		{0xC03AFFFF, FamilyVHD},
		{0xC0390005, FamilyOther},
		{0x00010000, FamilyOther},
		{0x80020009, FamilyOther},
		{0x80790000, FamilyOther},
		{0x81010000, FamilyOther},
		{0xC0000005, FamilyOther},
		{0xFFFFFFFF, FamilyOther},
	}
	for _, tt := range tests {
		if got := tt.c.Family(); got != tt.want {
			t.Errorf("%s.Family() = %q, want %q", tt.c, got, tt.want)
		}
	}
}

func TestFamilyDescribe(t *testing.T) {
	families := []Family{FamilyVSS, FamilyWSB, FamilyWin32, FamilyCOM, FamilyWin7Backup, FamilyBugcheck, FamilyVHD, FamilySuccess, FamilyOther}
	tests := []struct {
		f        Family
		lang     string
		contains string
	}{
		{FamilyVSS, "en", "Volume Shadow Copy (VSS)"},
		{FamilyVSS, "ja", "ボリューム シャドウ コピー"},
		{FamilyWSB, "en", "Windows Server Backup (WSB)"},
		{FamilyWSB, "ja", "Windows Server バックアップ"},
		{FamilyWin32, "en", "Win32 error wrapped as HRESULT"},
		{FamilyWin32, "ja", "Win32 エラー"},
		{FamilyCOM, "en", "COM"},
		{FamilyCOM, "ja", "エラー"},
		{FamilyWin7Backup, "en", "Windows 7"},
		{FamilyWin7Backup, "ja", "バックアップと復元"},
		{FamilyBugcheck, "en", "bug check"},
		{FamilyBugcheck, "ja", "バグチェック"},
		{FamilyVHD, "en", "Virtual hard disk"},
		{FamilyVHD, "ja", "仮想ハード ディスク"},
		{FamilySuccess, "en", "not an error"},
		{FamilySuccess, "ja", "成功"},
		{FamilyOther, "en", "Other"},
		{FamilyOther, "ja", "その他"},
		{FamilyVSS, "ja-JP", "ボリューム"},
		{FamilyVSS, "JA_jp", "ボリューム"},
		{FamilyVSS, "", "Volume Shadow Copy"},
		{FamilyVSS, "fr", "Volume Shadow Copy"},
		{FamilyVSS, "jav", "Volume Shadow Copy"}, // Javanese is not Japanese
		{Family("nope"), "en", "nope"},
	}
	for _, tt := range tests {
		if got := tt.f.Describe(tt.lang); !strings.Contains(got, tt.contains) {
			t.Errorf("%q.Describe(%q) = %q, want it to contain %q", tt.f, tt.lang, got, tt.contains)
		}
	}
	// Every family has distinct, non-empty names in both languages.
	for _, lang := range []string{"en", "ja"} {
		seen := map[string]Family{}
		for _, f := range families {
			d := f.Describe(lang)
			if d == "" || d == string(f) {
				t.Errorf("%q.Describe(%q) = %q, want a human name", f, lang, d)
			}
			if other, dup := seen[d]; dup {
				t.Errorf("%q and %q share the %s description %q", f, other, lang, d)
			}
			seen[d] = f
		}
	}
	for _, f := range families {
		if f.Describe("en") == f.Describe("ja") {
			t.Errorf("%q: ja description equals en %q", f, f.Describe("en"))
		}
	}
}

func TestTextMarshalling(t *testing.T) {
	b, err := Code(0x800423f4).MarshalText()
	if err != nil || string(b) != "0x800423F4" {
		t.Fatalf("MarshalText = %q, %v; want 0x800423F4", b, err)
	}

	type doc struct {
		Codes []Code          `json:"codes"`
		ByKey map[Code]string `json:"by_key"`
	}
	in := `{"codes":["800423f4","2155348249","-2139619047","０ｘ８０７８０１１９"," 0x0000007B "],"by_key":{"0x80042302":"vss"}}`
	var d doc
	if err := json.Unmarshal([]byte(in), &d); err != nil {
		t.Fatalf("json.Unmarshal: %v", err)
	}
	want := []Code{0x800423F4, 0x80780119, 0x80780119, 0x80780119, 0x7B}
	if len(d.Codes) != len(want) {
		t.Fatalf("codes = %v, want %v", d.Codes, want)
	}
	for i := range want {
		if d.Codes[i] != want[i] {
			t.Errorf("codes[%d] = %s, want %s", i, d.Codes[i], want[i])
		}
	}
	if d.ByKey[0x80042302] != "vss" {
		t.Errorf("map key not decoded: %v", d.ByKey)
	}
	out, err := json.Marshal(d)
	if err != nil {
		t.Fatalf("json.Marshal: %v", err)
	}
	wantJSON := `{"codes":["0x800423F4","0x80780119","0x80780119","0x80780119","0x0000007B"],"by_key":{"0x80042302":"vss"}}`
	if string(out) != wantJSON {
		t.Errorf("json.Marshal = %s\nwant %s", out, wantJSON)
	}

	var c Code = 0x1234
	err = c.UnmarshalText([]byte("12345678"))
	if !errors.Is(err, ErrSyntax) {
		t.Errorf("UnmarshalText(12345678) error = %v, want ErrSyntax", err)
	}
	if c != 0x1234 {
		t.Errorf("failed UnmarshalText changed the code to %s", c)
	}
}
