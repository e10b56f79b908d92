package checklists

import (
	"regexp"
	"strings"
	"testing"
)

// guidRE is what volumeGUID reads, as a regular expression.
var guidRE = regexp.MustCompile(`(?i)\{?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\}?`)

func volumeGUIDByRE(s string) string {
	if m := guidRE.FindStringSubmatch(s); m != nil {
		return strings.ToLower(m[1])
	}
	return ""
}

// FuzzVolumeGUID: volumeGUID's scan finds what the regular expression
// finds.
func FuzzVolumeGUID(f *testing.F) {
	for _, s := range []string{
		`\\?\Volume{6F1A2B3C-4D5E-4F60-8A9B-0C1D2E3F4A5B}\`, "{6f1a2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b}",
		"6f1a2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5", "x6f1a2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b6f1a2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b",
		"", "{}", "C:\\", "6f1a2b3c-4d5e-4f60-8a9b-0c1d2e3f4g5b-0c1d2e3f4a5b-4d5e-4f60-8a9b-0c1d2e3f4a5b",
		"ＡＢ6f1a2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := volumeGUID(s), volumeGUIDByRE(s); got != want {
			t.Fatalf("volumeGUID(%q) = %q, the expression finds %q", s, got, want)
		}
	})
}

func BenchmarkVolumeGUID(b *testing.B) {
	path := `\\?\Volume{6F1A2B3C-4D5E-4F60-8A9B-0C1D2E3F4A5B}\`
	b.Run("scan", func(b *testing.B) {
		for b.Loop() {
			_ = volumeGUID(path)
		}
	})
	b.Run("regexp", func(b *testing.B) {
		for b.Loop() {
			_ = volumeGUIDByRE(path)
		}
	})
}
