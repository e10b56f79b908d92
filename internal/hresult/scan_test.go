package hresult

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// found is a Match seen through the text it was found in.
type found struct {
	Sub  string // text[Start:End]
	Code Code
	Form string
}

func project(t *testing.T, text string, ms []Match) []found {
	t.Helper()
	var out []found
	for _, m := range ms {
		if m.Start < 0 || m.Start >= m.End || m.End > len(text) {
			t.Fatalf("match %+v out of bounds of %d-byte text", m, len(text))
		}
		out = append(out, found{text[m.Start:m.End], m.Code, m.Form})
	}
	return out
}

func TestFindAllAccepts(t *testing.T) {
	hex := func(sub string, c Code) found { return found{sub, c, FormHex} }
	bare := func(sub string, c Code) found { return found{sub, c, FormBareHex} }
	dec := func(sub string, c Code) found { return found{sub, c, FormDecimal} }
	sdec := func(sub string, c Code) found { return found{sub, c, FormSignedDecimal} }

	tests := []struct {
		name string
		text string
		want []found
	}{
		// 0x form, any value.
		{"hex lower", "0x80780119", []found{hex("0x80780119", 0x80780119)}},
		{"hex upper X", "0X800423F4", []found{hex("0X800423F4", 0x800423F4)}},
		{"hex lower digits", "0x800423f4", []found{hex("0x800423f4", 0x800423F4)}},
		{"hex bugcheck", "0x0000007B", []found{hex("0x0000007B", 0x7B)}},
		{"hex unknown facility", "0xC0000005", []found{hex("0xC0000005", 0xC0000005)}},
		{"hex zero", "0x00000000", []found{hex("0x00000000", 0)}},
		{"hex mixed case", "0x800423Fa", []found{hex("0x800423Fa", 0x800423FA)}},

		// Bare 8 hex digits starting with 8.
		{"bare with letter", "800423f4", []found{bare("800423f4", 0x800423F4)}},
		{"bare upper letter", "8007007B", []found{bare("8007007B", 0x8007007B)}},
		{"bare letter unknown facility", "8123abcd", []found{bare("8123abcd", 0x8123ABCD)}},
		{"bare digits WSB", "80780119", []found{bare("80780119", 0x80780119)}},
		{"bare digits VSS", "80042302", []found{bare("80042302", 0x80042302)}},
		{"bare digits COM", "80004005", []found{bare("80004005", 0x80004005)}},
		{"bare digits COM 8001", "80010105", []found{bare("80010105", 0x80010105)}},
		{"bare digits win32", "80070005", []found{bare("80070005", 0x80070005)}},
		{"bare digits win7", "81000101", []found{bare("81000101", 0x81000101)}},

		// Decimal forms.
		{"unsigned decimal", "2155348249", []found{dec("2155348249", 0x80780119)}},
		{"unsigned decimal win7", "2164261121", []found{dec("2164261121", 0x81000101)}},
		{"unsigned decimal lowest", "2147483649", []found{dec("2147483649", 0x80000001)}},
		{"signed decimal", "-2139619047", []found{sdec("-2139619047", 0x80780119)}},
		{"signed decimal win32", "-2147024891", []found{sdec("-2147024891", 0x80070005)}},
		{"signed decimal unicode minus", "\u22122139619047", []found{sdec("\u22122139619047", 0x80780119)}},
		{"signed decimal fullwidth minus", "\uff0d2139619047", []found{sdec("\uff0d2139619047", 0x80780119)}},

		// Full width.
		{"fullwidth hex", "０ｘ８０７８０１１９", []found{hex("０ｘ８０７８０１１９", 0x80780119)}},
		{"fullwidth hex upper", "０Ｘ８００４２３Ｆ４", []found{hex("０Ｘ８００４２３Ｆ４", 0x800423F4)}},
		{"fullwidth bare", "８００４２３ｆ４", []found{bare("８００４２３ｆ４", 0x800423F4)}},
		{"fullwidth decimal", "２１５５３４８２４９", []found{dec("２１５５３４８２４９", 0x80780119)}},
		{"fullwidth signed", "－２１３９６１９０４７", []found{sdec("－２１３９６１９０４７", 0x80780119)}},
		{"mixed width", "0ｘ80780119", []found{hex("0ｘ80780119", 0x80780119)}},
		{"fullwidth parens", "（０ｘ８０７８０１１９）", []found{hex("０ｘ８０７８０１１９", 0x80780119)}},

		// Inside pasted lines and sentences.
		{"ja sentence", "バックアップはエラー 0x80780119 で失敗しました", []found{hex("0x80780119", 0x80780119)}},
		{"ja glued", "エラー0x800423f4が発生", []found{hex("0x800423f4", 0x800423F4)}},
		{"ja glued decimal", "コード2155348249でした", []found{dec("2155348249", 0x80780119)}},
		{"ja glued signed", "値は-2139619047です", []found{sdec("-2139619047", 0x80780119)}},
		{"ja quotes", "「0x80780166」", []found{hex("0x80780166", 0x80780166)}},
		{"parens", "(0x807800C5)", []found{hex("0x807800C5", 0x807800C5)}},
		{"hr assignment", "hr = 0x80042302,", []found{hex("0x80042302", 0x80042302)}},
		{"quoted decimal", "error code '2155348129'", []found{dec("2155348129", 0x807800A1)}},
		{"wbsummary", "LastBackupResultHR : 2155348249", []found{dec("2155348249", 0x80780119)}},
		{"xml attribute", `HResult="-2139619042"`, []found{sdec("-2139619042", 0x8078011E)}},
		{"error prefix", "Error: 0x8000FFFF", []found{hex("0x8000FFFF", 0x8000FFFF)}},
		{"event message id", "ErrorMessage=%%2155348249", []found{dec("2155348249", 0x80780119)}},
		{"guide bugcheck", "「0x0000007B(INACCESSIBLE_BOOT_DEVICE)」というエラー", []found{hex("0x0000007B", 0x7B)}},
		{"guide table row", "| 0x807800C5 | NASや共有フォルダへの接続・権限エラー |", []found{hex("0x807800C5", 0x807800C5)}},
		{"sentence end dot", "It failed with 0x80780119.", []found{hex("0x80780119", 0x80780119)}},
		{"decimal sentence end", "code 2155348249.", []found{dec("2155348249", 0x80780119)}},
		{"trailing dash", "0x80780119- retry", []found{hex("0x80780119", 0x80780119)}},
		{"dash as punctuation before hex", "-0x80780119", []found{hex("0x80780119", 0x80780119)}},
		{"list dash", "- 0x80780119", []found{hex("0x80780119", 0x80780119)}},
		{"dot after letter", "hr.0x80780119", []found{hex("0x80780119", 0x80780119)}},
		{"comma separated decimals", "2155348249,2155348165", []found{dec("2155348249", 0x80780119), dec("2155348165", 0x807800C5)}},
		{"colon glued", "HRESULT:0x80070005", []found{hex("0x80070005", 0x80070005)}},
		{"signed after colon", "HR:-2147024891", []found{sdec("-2147024891", 0x80070005)}},
		{"signed after paren", "(-2139619047)", []found{sdec("-2139619047", 0x80780119)}},
		{"signed after equals", "hr=-2139619047", []found{sdec("-2139619047", 0x80780119)}},
		{"tab separated", "C:\t0x80780119\t2155348249", []found{hex("0x80780119", 0x80780119), dec("2155348249", 0x80780119)}},
		{"invalid utf8 around", "\xff0x80780119\xfe", []found{hex("0x80780119", 0x80780119)}},

		// Documented choice: path separators are boundaries (recall wins).
		{"windows path", `C:\Temp\80780119\`, []found{bare("80780119", 0x80780119)}},
		{"url path", "https://kb.example/err/0x80780119?x=1", []found{hex("0x80780119", 0x80780119)}},

		// Several in order, duplicates kept.
		{"several", "0x80780119 then 0x800423F4 then 0x80780119", []found{
			hex("0x80780119", 0x80780119), hex("0x800423F4", 0x800423F4), hex("0x80780119", 0x80780119)}},
		{"event 517", "Backup started at '2024-03-15T02:00:11.123456700Z' failed with following error code '2155348249' (There is not enough disk space to create the volume shadow copy on the storage location.). Please rerun backup once issue is resolved.",
			[]found{dec("2155348249", 0x80780119)}},
		{"volumes info xml", `<VolumeInfo VolumeName="C:" HResult="-2139619047" DetailedHResult="-2147212513" Size="42949672960"/>`,
			[]found{sdec("-2139619047", 0x80780119), sdec("-2147212513", 0x8004231F)}},
		{"vss 8193 log", "Volume Shadow Copy Service error: Unexpected error calling routine Cannot find anymore diff area candidates for volume \\\\?\\Volume{80780119-6f93-4464-a53e-1050253ae220}\\ [0]. hr = 0x8000ffff, Unexpected failure.",
			[]found{hex("0x8000ffff", 0x8000FFFF)}},
		{"vssadmin writer", "Writer name: 'System Writer'\n   Writer Id: {e8132975-6f93-4464-a53e-1050253ae220}\n   State: [8] Failed\n   Last error: Timed out (0x800423f2)",
			[]found{hex("0x800423f2", 0x800423F2)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := project(t, tt.text, FindAll(tt.text))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("FindAll(%q) mismatch (-want +got):\n%s", tt.text, diff)
			}
		})
	}
}

func TestFindAllRejects(t *testing.T) {
	tests := []struct{ name, text string }{
		// Ordinary numbers.
		{"8 digits not starting with 8", "12345678"},
		{"year", "2024"},
		{"2^32", "4294967296"},
		{"3 GiB", "3221225472"},
		{"max uint32", "4294967295"},
		{"2 GiB", "2147483648"},
		{"INT_MIN", "-2147483648"},
		{"bare unknown facility", "81234567"},
		{"bare round", "80000000"},
		{"bare round win32", "80070000"},
		{"decimal round", "2147942400"}, // 0x80070000
		{"decimal unknown facility", "2148532224"},
		{"decimal below 2^31", "2000000001"},
		{"decimal 11 digits", "21553482490"},
		{"decimal 9 digits", "215534824"},
		{"signed too small", "-1999999999"},
		{"signed unknown facility", "-2000000001"},
		{"signed too big", "-2155348249"},
		{"signed 11 digits", "-21396190470"},
		{"signed bare digits", "-80780119"},
		{"signed bare hex", "-800423f4"},
		{"byte count", "Size: 1073741824 bytes"},
		{"port", "listening on 0.0.0.0:5985"},
		{"ip", "10.0.0.1 and 192.168.80.78"},
		{"unix time", "1710501398"},
		{"ms unix time", "1710501398123"},
		{"timestamp", "2024-03-15 11:16:38"},
		{"filetime hex", "0x01d230d8ceaba8ed"},
		{"bare hex 7", "8004233"},
		{"bare hex 9", "800423f41"},
		{"hex 7 digits", "0x8078011"},
		{"hex 9 digits", "0x807801190"},
		{"hex bad digit", "0x8078011G"},
		{"bare bad digit", "8078011g"},
		{"hex h suffix", "80780119h"},

		// Versions and decimals.
		{"version tail", "6.3.9600.80780119"},
		{"version tail decimal", "10.0.17763.2155348249"},
		{"version head", "80780119.1.2"},
		{"decimal fraction", "2155348249.5"},
		{"hex then dot digit", "0x80780119.1"},
		{"dot digit before hex", "1.0x80780119"},
		{"dot digit before signed", "1.-2139619047"},

		// GUIDs.
		{"guid braces", "{80780119-6f93-4464-a53e-1050253ae220}"},
		{"guid no braces", "80042302-0000-0000-0000-000000000000"},
		{"guid letters", "800423f4-abcd-ef01-2345-6789abcdef01"},
		{"guid upper", "{800423F4-ABCD-EF01-2345-6789ABCDEF01}"},
		{"guid group after brace dash", "}-2139619047"},
		{"volume path", `\\?\Volume{80780119-6f93-4464-a53e-1050253ae220}\`},

		// Glued to longer tokens.
		{"hex too long", "0x800423F4FF"},
		{"hex 16 digits", "0x00000fffffec0000"},
		{"letters before", "abc800423f4"},
		{"letters after", "800423f4abc"},
		{"x without zero", "x800423F4"},
		{"underscore before", "_80780119"},
		{"underscore after", "80780119_"},
		{"rust literal", "0x80780119_u32"},
		{"hyphen compound before", "foo-80780119"},
		{"hyphen compound after", "80780119-bar"},
		{"hyphen compound hex", "id-0x80780119"},
		{"hyphen range", "2155348000-2155348249"},
		{"signed glued to word", "a-2139619047"},
		{"signed glued to digit", "5-2139619047"},
		{"double dash", "--2139619047"},
		{"underscore dash", "_-2139619047"},
		{"fullwidth glued", "ＡＢＣ８０７８０１１９"},
		{"fullwidth underscore", "８０７８０１１９＿"},
		{"fullwidth dot digit", "６．３．９６００．８０７８０１１９"},
		{"double zero x", "00x80780119"},
		{"mac", "80-78-01-19-AA-BB"},
		{"empty", ""},
		{"only japanese", "バックアップは成功しました"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FindAll(tt.text); len(got) != 0 {
				t.Errorf("FindAll(%q) = %+v, want no match", tt.text, project(t, tt.text, got))
			}
			if got := Extract(tt.text); got != nil {
				t.Errorf("Extract(%q) = %v, want nil", tt.text, got)
			}
		})
	}
}

func TestFindAllOffsets(t *testing.T) {
	text := "エラー 2155348249 と −2139619047、（０ｘ８０７８０１１９）hr=0x800423F4。"
	want := []Match{
		// "エラー " = 3*3+1 bytes.
		{Code: 0x80780119, Start: 10, End: 20, Form: FormDecimal},
		// + " と " (1+3+1): the U+2212 sign (3 bytes) starts at 25.
		{Code: 0x80780119, Start: 25, End: 38, Form: FormSignedDecimal},
		// + "、（" (3+3): ten full-width runes of 3 bytes.
		{Code: 0x80780119, Start: 44, End: 74, Form: FormHex},
		// + "）hr=" (3+3).
		{Code: 0x800423F4, Start: 80, End: 90, Form: FormHex},
	}
	got := FindAll(text)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("FindAll offsets mismatch (-want +got):\n%s", diff)
	}
	subs := []string{"2155348249", "−2139619047", "０ｘ８０７８０１１９", "0x800423F4"}
	for i, m := range got {
		if s := text[m.Start:m.End]; s != subs[i] {
			t.Errorf("match %d: text[%d:%d] = %q, want %q", i, m.Start, m.End, s, subs[i])
		}
	}
	if diff := cmp.Diff([]Code{0x80780119, 0x800423F4}, Extract(text)); diff != "" {
		t.Errorf("Extract mismatch (-want +got):\n%s", diff)
	}

	ja := "バックアップはエラー 0x80780119 で失敗しました"
	if got := FindAll(ja); len(got) != 1 || got[0].Start != 31 || got[0].End != 41 {
		t.Errorf("FindAll(%q) = %+v, want one match at [31,41)", ja, got)
	}
}

func TestExtract(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []Code
	}{
		{"none", "all good", nil},
		{"same code in three forms", "0x80780119 ... 2155348249 ... -2139619047", []Code{0x80780119}},
		{"same code every form", "0x80780119 0X80780119 80780119 2155348249 -2139619047 ０ｘ８０７８０１１９ −2139619047", []Code{0x80780119}},
		{"first appearance order", "800423f4, then 0x80780119, then 2147754996, then 0x807800C5, then -2139619047",
			[]Code{0x800423F4, 0x80780119, 0x807800C5}},
		{"wsb gui detail", "A Volume Shadow Copy Service operation failed. Detailed Error: The volume shadow copy operation failed with error 0x800423F4. Event 521 code '2155348129'.",
			[]Code{0x800423F4, 0x807800A1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Extract(tt.text)); diff != "" {
				t.Errorf("Extract(%q) mismatch (-want +got):\n%s", tt.text, diff)
			}
		})
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want Code
	}{
		{"0x80780119", 0x80780119},
		{"0X800423F4", 0x800423F4},
		{"0x800423f4", 0x800423F4},
		{"  0x800423f4\n", 0x800423F4},
		{"\u30000x80780119\u3000", 0x80780119}, // ideographic spaces
		{"0x0000007B", 0x7B},
		{"0xFFFFFFFF", 0xFFFFFFFF},
		{"800423f4", 0x800423F4},
		{"80780119", 0x80780119},
		{"８００４２３ｆ４", 0x800423F4},
		{"０ｘ８０７８０１１９", 0x80780119},
		{"０Ｘ８００４２３Ｆ４", 0x800423F4},
		{"2155348249", 0x80780119},
		{"２１５５３４８２４９", 0x80780119},
		{"-2139619047", 0x80780119},
		{"\u22122139619047", 0x80780119},
		{"\uff0d2139619047", 0x80780119},
		{"－２１３９６１９０４７", 0x80780119},
		{"-2147024891", 0x80070005},
		{"2147549183", 0x8000FFFF},
		{"-2130706175", 0x81000101},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("Parse(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in   string
		want string // substring of the error message
	}{
		{"", "empty input"},
		{"  \t ", "empty input"},
		{"-", "minus sign alone"},
		{"0x7B", `want exactly 8 hex digits after "0x", got 2`},
		{"0x800423F4FF", `want exactly 8 hex digits after "0x", got 10`},
		{"0x", `want exactly 8 hex digits after "0x", got 0`},
		{"0x8078011G", `'G' is not a hex digit`},
		{"-0x80780119", "minus sign is not allowed before the 0x form"},
		{"-800423f4", "minus sign is not allowed before a hex code"},
		{"800423f41", "bare hex 800423f41 has 9 digits"},
		{"900423f4", "does not start with 8; write other values as 0x900423F4"},
		{"81234567", "top 16 bits 0x8123 are not a known facility"},
		{"81234567", "write it as 0x81234567"},
		{"80000000", "round number"},
		{"2147483648", "round number"},
		{"-2147483648", "round number"},
		{"3221225472", "0xC0000000, whose top 16 bits 0xC000 are not a known facility"},
		{"4294967296", "outside the unsigned HRESULT range"},
		{"1710501398", "outside the unsigned HRESULT range"},
		{"-1999999999", "outside the signed HRESULT range"},
		{"-2155348249", "outside the signed HRESULT range"},
		{"-80780119", "outside the signed HRESULT range"},
		{"12345678", "12345678 is an ordinary number"},
		{"2024", "2024 is an ordinary number"},
		{"80780119h", "'h' is not a hex or decimal digit"},
		{"0x80780119 0x800423F4", "found 2 codes; want exactly one"},
		{"error 0x80780119", "found 0x80780119 with other text around it"},
		{"(0x80780119)", "found 0x80780119 with other text around it"},
		{"0x8078 0119", `unexpected character ' ' at byte 6`},
		{"エラー", `unexpected character 'エ' at byte 0`},
		{"{80780119-6f93-4464-a53e-1050253ae220}", "unexpected character '{' at byte 0"},
		{strings.Repeat("8", 200), "8888888888888888888888888..."}, // message stays short
	}
	for _, tt := range tests {
		_, err := Parse(tt.in)
		if err == nil {
			t.Errorf("Parse(%q) succeeded, want error containing %q", tt.in, tt.want)
			continue
		}
		if !errors.Is(err, ErrSyntax) {
			t.Errorf("Parse(%q) error %v does not wrap ErrSyntax", tt.in, err)
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q) error = %q, want it to contain %q", tt.in, err, tt.want)
		}
		if !strings.HasPrefix(err.Error(), "parse hresult ") {
			t.Errorf("Parse(%q) error = %q, want it to name the operation", tt.in, err)
		}
		if len(err.Error()) > 400 {
			t.Errorf("Parse(%q) error is %d bytes long", tt.in, len(err.Error()))
		}
	}
}

var knownTop = []uint32{0x8000, 0x8001, 0x8004, 0x8007, 0x8078, 0x8100}

// toFullWidth maps ASCII '!'..'~' to U+FF01..U+FF5E.
func toFullWidth(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '!' && r <= '~' {
			r += 0xFEE0
		}
		b.WriteRune(r)
	}
	return b.String()
}

// forms returns every way a user may write c.
func forms(c Code) []string {
	v := uint32(c)
	signed := fmt.Sprint(int32(v))
	base := []string{
		fmt.Sprintf("0x%08X", v),
		fmt.Sprintf("0x%08x", v),
		fmt.Sprintf("0X%08X", v),
		fmt.Sprintf("%08X", v),
		fmt.Sprintf("%08x", v),
		fmt.Sprint(v),
		signed,
		"\u2212" + signed[1:],
		"\uff0d" + signed[1:],
	}
	out := base
	for _, f := range base {
		out = append(out, toFullWidth(f))
	}
	return out
}

func TestRoundTripProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	left := []string{"", " ", "\t", "\n", "(", "'", `"`, "=", ": ", "、", "「", "エラー", "エラー ", "（", "[", `\`, "/", "hr = ", "Error: ", "%%", "code ", "バックアップはエラー", "\r\n"}
	right := []string{"", " ", "\t", "\n", ")", "'", `"`, ",", ".", "。", "」", "が発生", "で失敗しました", "）", "]", `\`, "/", ";", ". ", "- ", "!", "\r\n"}
	for range 3000 {
		c := Code(knownTop[rng.IntN(len(knownTop))]<<16 | uint32(1+rng.IntN(0xFFFF)))
		for _, f := range forms(c) {
			l, r := left[rng.IntN(len(left))], right[rng.IntN(len(right))]
			text := l + f + r
			ms := FindAll(text)
			if len(ms) != 1 || text[ms[0].Start:ms[0].End] != f || ms[0].Code != c {
				t.Fatalf("FindAll(%q) = %+v, want exactly %s at %q", text, ms, c, f)
			}
			if got := Extract(text); len(got) != 1 || got[0] != c {
				t.Fatalf("Extract(%q) = %v, want [%s]", text, got, c)
			}
			if got, err := Parse(f); err != nil || got != c {
				t.Fatalf("Parse(%q) = %s, %v; want %s", f, got, err, c)
			}
			// The same form glued into a longer token never matches.
			for _, glued := range []string{"a" + f, f + "a", "_" + f, f + "_", f + "-x", "1." + f, f + ".1", "x-" + f} {
				if ms := FindAll(glued); len(ms) != 0 {
					t.Fatalf("FindAll(%q) = %+v, want no match", glued, ms)
				}
			}
		}
	}
}

func TestGUIDsNeverMatchProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 5000 {
		// First group: a real code half the time, else random.
		g1 := rng.Uint32()
		if i%2 == 0 {
			g1 = knownTop[rng.IntN(len(knownTop))]<<16 | uint32(1+rng.IntN(0xFFFF))
		}
		g := fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", g1, rng.IntN(1<<16), rng.IntN(1<<16), rng.IntN(1<<16), rng.Uint64()&(1<<48-1))
		if i%3 == 0 {
			g = strings.ToUpper(g)
		}
		for _, text := range []string{g, "{" + g + "}", `\\?\Volume{` + g + `}\`, "Writer Id: {" + g + "}", toFullWidth("{" + g + "}")} {
			if ms := FindAll(text); len(ms) != 0 {
				t.Fatalf("FindAll(%q) = %+v, want no match", text, ms)
			}
		}
	}
}
