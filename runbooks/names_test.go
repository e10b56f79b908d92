package runbooks

import (
	"regexp"
	"testing"
)

// The loops that check names and values accept exactly what the regexps
// they replaced accepted.
func FuzzNameChecks(f *testing.F) {
	ident := regexp.MustCompile(`^[a-z][a-z0-9_]{0,40}$`)
	service := regexp.MustCompile(`^[A-Za-z0-9_.$-]{1,80}$`)
	enum := regexp.MustCompile(`^[A-Za-z0-9_.-]{1,80}$`)
	for _, s := range []string{"", "a", "drive_letter", "Drive", "_x", "1a", "a-b", "a\n", "x\xff", "ａ", "SQLWriter", "MSSQL$SQLEXPRESS",
		"vss.svc", "a b", "éa", "abcdefghijklmnopqrstuvwxyzabcdefghijklmno", "abcdefghijklmnopqrstuvwxyzabcdefghijklmnop",
		"K", "ſ", "$", "-", "a$", string(make([]byte, 80)), "A234567890123456789012345678901234567890123456789012345678901234567890123456789",
		"A2345678901234567890123456789012345678901234567890123456789012345678901234567890"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := isIdent(s), ident.MatchString(s); got != want {
			t.Errorf("isIdent(%q) = %v, the regexp says %v", s, got, want)
		}
		if got, want := isServiceName(s), service.MatchString(s); got != want {
			t.Errorf("isServiceName(%q) = %v, the regexp says %v", s, got, want)
		}
		if got, want := isEnumValue(s), enum.MatchString(s); got != want {
			t.Errorf("isEnumValue(%q) = %v, the regexp says %v", s, got, want)
		}
	})
}
