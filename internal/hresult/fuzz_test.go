package hresult

import (
	"strings"
	"testing"
	"unicode/utf8"
)

var fuzzSeeds = []string{
	"0x80780119",
	"0X800423F4",
	"800423f4",
	"80780119",
	"０ｘ８０７８０１１９",
	"０Ｘ８００４２３Ｆ４",
	"－２１３９６１９０４７",
	"2155348249",
	"-2139619047",
	"\u22122139619047",
	"バックアップはエラー 0x80780119 で失敗しました",
	"エラー0x800423f4が発生",
	"(0x807800C5)",
	"hr = 0x80042302,",
	"error code '2155348129'",
	"LastBackupResultHR : 2155348249",
	`HResult="-2139619042"`,
	"Error: 0x8000FFFF",
	"{80780119-6f93-4464-a53e-1050253ae220}",
	"6.3.9600.80780119",
	"0x800423F4FF",
	"abc800423f4",
	"_80780119",
	"a-2139619047",
	"--2139619047",
	`C:\Temp\80780119\`,
	"-0x80780119",
	"80000000",
	"3221225472",
	"\xff0x80780119\xfe",
	"\xe3\x810x80780119",
	"",
	"-",
	// Context: call arguments, sizes, ids, units, success.
	`Unexpected error CreateFileW(\\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy1,0x80000000,0x00000003,...). hr = 0x80070001, Incorrect function.`,
	"SizeRemaining : 2155390976",
	"Der Vorgang wurde erfolgreich beendet (0x00000000)",
	`<Data Name="HRESULT">2155348249</Data><Data Name="Size">2155390976</Data>`,
	"「エラー コード: 0x80780119」",
	"空き領域: 2155390976 バイト",
	"Foo(a, (b), 0x80780119",
}

// checkMatches asserts the invariants every FindAll result must hold.
func checkMatches(t *testing.T, text string, ms []Match) {
	t.Helper()
	prevEnd := 0
	for _, m := range ms {
		if m.Start < prevEnd || m.Start >= m.End || m.End > len(text) {
			t.Fatalf("FindAll(%q): match %+v out of order or bounds (previous end %d, len %d)", text, m, prevEnd, len(text))
		}
		prevEnd = m.End
		switch m.Form {
		case FormHex, FormBareHex, FormDecimal, FormSignedDecimal:
		default:
			t.Fatalf("FindAll(%q): match %+v has unknown form", text, m)
		}
		sub := text[m.Start:m.End]
		if !utf8.ValidString(sub) {
			t.Fatalf("FindAll(%q): match %+v splits a rune: %q", text, m, sub)
		}
		c, err := Parse(sub)
		if err != nil || c != m.Code {
			t.Fatalf("FindAll(%q): match %+v: Parse(%q) = %s, %v", text, m, sub, c, err)
		}
		// The neighbours of a match are never part of a token.
		if b, _ := foldBefore(text, m.Start); isAlnum(b) || b == '_' {
			t.Fatalf("FindAll(%q): match %+v is glued to %q before it", text, m, b)
		}
		if a, _ := foldAt(text, m.End); isAlnum(a) || a == '_' {
			t.Fatalf("FindAll(%q): match %+v is glued to %q after it", text, m, a)
		}
	}
	// Extract is FindAll de-duplicated in order of first appearance.
	var want []Code
	seen := map[Code]bool{}
	for _, m := range ms {
		if !seen[m.Code] {
			seen[m.Code] = true
			want = append(want, m.Code)
		}
	}
	got := Extract(text)
	if len(got) != len(want) {
		t.Fatalf("Extract(%q) = %v, want %v", text, got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Extract(%q) = %v, want %v", text, got, want)
		}
	}
}

func FuzzFindAll(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		checkMatches(t, text, FindAll(text))
	})
}

func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Parse(s)
		trimmed := strings.TrimSpace(s)
		ms := FindAll(trimmed)
		whole := len(ms) == 1 && ms[0].Start == 0 && ms[0].End == len(trimmed)
		if err != nil {
			if whole {
				t.Fatalf("Parse(%q) failed (%v) but FindAll finds %+v covering the whole input", s, err, ms[0])
			}
			if err.Error() == "" {
				t.Fatalf("Parse(%q): empty error message", s)
			}
			return
		}
		if !whole || ms[0].Code != c {
			t.Fatalf("Parse(%q) = %s, but FindAll(%q) = %+v", s, c, trimmed, ms)
		}
		// The canonical form and MarshalText round-trip.
		back, err := Parse(c.String())
		if err != nil || back != c {
			t.Fatalf("Parse(%q) = %s, %v; want %s", c.String(), back, err, c)
		}
		text, _ := c.MarshalText()
		var u Code
		if err := u.UnmarshalText(text); err != nil || u != c {
			t.Fatalf("UnmarshalText(%q) = %s, %v; want %s", text, u, err, c)
		}
	})
}

// FuzzContext checks the context model's promises on any text: the context
// of a token is read on its own line only, a value labelled as a code is
// always found, and a value labelled as a size or passed as one argument
// among others never is.
func FuzzContext(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s, "hr = 0x80070001", uint32(0x80070001))
		f.Add("SizeRemaining : 2155390976", s, uint32(0x8078A800))
	}
	f.Fuzz(func(t *testing.T, a, b string, v uint32) {
		// Locality: what FindAll reports inside b does not depend on the
		// lines before it.
		joined := a + "\n" + b
		off := len(a) + 1
		var inB []Match
		for _, m := range FindAll(joined) {
			if m.Start >= off {
				m.Start -= off
				m.End -= off
				inB = append(inB, m)
			}
		}
		alone := FindAll(b)
		if len(alone) != len(inB) {
			t.Fatalf("FindAll(%q) = %+v, but after the line %q: %+v", b, alone, a, inB)
		}
		for i := range alone {
			if alone[i] != inB[i] {
				t.Fatalf("FindAll(%q) = %+v, but after the line %q: %+v", b, alone, a, inB)
			}
		}

		c := Code(v)
		// A code labelled hr = on a line of its own is found, whatever
		// comes before.
		for _, label := range []string{"hr = ", "HRESULT: ", "エラー コード: ", "LastBackupResultHR : ", "error code '"} {
			text := a + "\n" + label + c.String()
			ms := FindAll(text)
			if len(ms) == 0 || ms[len(ms)-1].Code != c || ms[len(ms)-1].End != len(text) {
				t.Fatalf("FindAll(%q) = %+v; want %s at the end", text, ms, c)
			}
		}
		// A size, or one argument among others, is never reported.
		for _, text := range []string{
			a + "\nSizeRemaining : " + c.String(),
			a + "\nFoo(x, " + c.String() + ", 3)",
			a + "\n" + c.String() + " bytes",
		} {
			for _, m := range FindAll(text) {
				if m.Start > len(a) {
					t.Fatalf("FindAll(%q) = %+v: a size or argument reported as a code", text, m)
				}
			}
		}
	})
}
