package runbooks

import (
	"testing"
)

func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		"Stop code: INACCESSIBLE_BOOT_DEVICE": "stop code: inaccessible boot device",
		"error.  If\tthe":                     "error. if the",
		"ＥＲＲＯＲ　ｘ":                             "error x",
		"It’s":                                "it's",
		"  lead and trail  ":                  "lead and trail",
	} {
		if got := fold(in); got != want {
			t.Errorf("fold(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFindWord(t *testing.T) {
	tests := []struct {
		s, p string
		want int
	}{
		{"access is denied.", "access is denied", 1},
		{"noaccess is denied", "access is denied", 0},
		{"access is deniedx", "access is denied", 0},
		{"バックアップ:ファンクションが間違っています", "ファンクションが間違っています", 1},
		{"x e unexpected y e unexpected", "e unexpected", 2},
	}
	for _, tt := range tests {
		if got := len(findWord(tt.s, tt.p)); got != tt.want {
			t.Errorf("findWord(%q, %q) found %d, want %d", tt.s, tt.p, got, tt.want)
		}
	}
}

func FuzzRecognise(f *testing.F) {
	set, err := LoadBundled()
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		"Stop code: INACCESSIBLE_BOOT_DEVICE", "STOP 0x7B", "Event ID: 50 Microsoft-Windows-Backup",
		"ファンクションが間違っています。", "hr = 0x80070001, Incorrect function.", "Access is denied", "",
		"SizeRemaining : 2155390976", "WinRE 0x81000222",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		rs := set.Catalogue.Recognise(text)
		seen := map[string]bool{}
		prev := -1
		for _, r := range rs {
			if r.By == MatchedByEvent && r.Sign == nil {
				t.Fatalf("Recognise(%q): event without a sign: %+v", text, r)
			}
			key := r.Code.String()
			if r.Sign != nil {
				key = r.Sign.ID
			}
			if seen[key] {
				t.Fatalf("Recognise(%q): %s twice", text, key)
			}
			seen[key] = true
			if r.Pos < prev {
				t.Fatalf("Recognise(%q): out of order: %+v", text, rs)
			}
			prev = r.Pos
		}
		for _, x := range set.Catalogue.ExplainText(text, LangJA) {
			if x.Code == "" && x.Sign == "" {
				t.Fatalf("ExplainText(%q): an answer names neither a code nor a sign: %+v", text, x)
			}
			if x.Notes == nil || x.Sources == nil || x.Translated == nil {
				t.Fatalf("ExplainText(%q): a nil list would print null: %+v", text, x)
			}
		}
	})
}
