package runbooks

import "testing"

func TestParseLang(t *testing.T) {
	tests := []struct {
		in      string
		want    Lang
		wantErr bool
	}{
		{"en", LangEN, false},
		{"ja", LangJA, false},
		{" JA ", LangJA, false},
		{"En", LangEN, false},
		{"ja-JP", "", true},
		{"ja_JP.UTF-8", "", true},
		{"fr", "", true},
		{"", "", true},
		{"C", "", true},
	}
	for _, tt := range tests {
		got, err := ParseLang(tt.in)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("ParseLang(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestLangFromLocale(t *testing.T) {
	tests := []struct {
		in   string
		want Lang
		ok   bool
	}{
		{"ja_JP.UTF-8", LangJA, true},
		{"ja_JP.eucJP", LangJA, true},
		{"ja-JP", LangJA, true},
		{"ja", LangJA, true},
		{"JA_jp", LangJA, true},
		{"en_US.UTF-8", LangEN, true},
		{"en_GB.UTF-8@euro", LangEN, true},
		{"en", LangEN, true},
		{"C", LangEN, true},
		{"C.UTF-8", LangEN, true},
		{"POSIX", LangEN, true},
		{"fr_FR:ja:en", LangJA, true},
		{"de_DE.UTF-8", "", false},
		{"", "", false},
		{"jav_ID", "", false},
	}
	for _, tt := range tests {
		got, ok := LangFromLocale(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("LangFromLocale(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
