package config

import (
	"regexp"
	"strings"
	"testing"
)

// isHostLabel accepts exactly what the regexp it replaced accepted.
func FuzzIsHostLabel(f *testing.F) {
	re := regexp.MustCompile(`^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$`)
	for _, s := range []string{"", "a", "fs01", "-a", "a-", "a-b", "srv_01", "a.b", "a b", "ａ", "x\xff", "a\n", "_", "--",
		strings.Repeat("a", 63), strings.Repeat("a", 64), "a" + strings.Repeat("-", 61) + "a", "a" + strings.Repeat("-", 62) + "a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := isHostLabel(s), re.MatchString(s); got != want {
			t.Errorf("isHostLabel(%q) = %v, the regexp says %v", s, got, want)
		}
	})
}
