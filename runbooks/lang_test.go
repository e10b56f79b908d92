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
		{"C", "", false},
		{"C.UTF-8", "", false},
		{"POSIX", "", false},
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

func TestChooseLang(t *testing.T) {
	tests := []struct {
		name       string
		flag       string
		env        map[string]string
		configured string
		want       Lang
		wantErr    bool
	}{
		{name: "nothing: English", want: LangEN},
		{name: "configured", configured: "ja", want: LangJA},
		{name: "LANG over configured", env: map[string]string{"LANG": "en_US.UTF-8"}, configured: "ja", want: LangEN},
		{name: "LANG ja", env: map[string]string{"LANG": "ja_JP.UTF-8"}, configured: "en", want: LangJA},
		{name: "LC_ALL over LANG", env: map[string]string{"LC_ALL": "ja_JP.UTF-8", "LANG": "en_US.UTF-8"}, want: LangJA},
		{name: "empty LC_ALL is unset", env: map[string]string{"LC_ALL": "", "LANG": "ja_JP.UTF-8"}, want: LangJA},
		{name: "C locale leaves it to the configuration", env: map[string]string{"LANG": "C.UTF-8"}, configured: "ja", want: LangJA},
		{name: "LC_ALL names another language: configured, not LANG", env: map[string]string{"LC_ALL": "fr_FR.UTF-8", "LANG": "en_US.UTF-8"}, configured: "ja", want: LangJA},
		{name: "flag over everything", flag: "en", env: map[string]string{"LC_ALL": "ja_JP.UTF-8"}, configured: "ja", want: LangEN},
		{name: "bad flag", flag: "fr", wantErr: true},
		{name: "bad configured", configured: "fr", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lookup := func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }
			got, err := ChooseLang(tt.flag, lookup, tt.configured)
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Errorf("ChooseLang = %q, %v; want %q, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}
