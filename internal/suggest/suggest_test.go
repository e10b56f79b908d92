package suggest

import (
	"strings"
	"testing"
)

func TestDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"", "abc", 3},
		{"abc", "", 3},
		{"title", "title", 0},
		{"titel", "title", 2},
		{"kitten", "sitting", 3},
		{"flaw", "lawn", 2},
		{"sorces", "sources", 1},
		{"concurency", "concurrency", 1},
		{"ab", "ba", 2},
		{"日本", "日本語", 3}, // bytes, not runes
	}
	for _, tt := range tests {
		if got := distance(tt.a, tt.b); got != tt.want {
			t.Errorf("distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := distance(tt.b, tt.a); got != tt.want {
			t.Errorf("distance(%q, %q) = %d, want %d (symmetry)", tt.b, tt.a, got, tt.want)
		}
	}
}

func TestClosest(t *testing.T) {
	long := strings.Repeat("a", 64)
	tests := []struct {
		name       string
		word       string
		candidates []string
		maxDist    int
		want       string
		wantOK     bool
	}{
		{"typo", "sorces", []string{"code", "sources", "title"}, 2, "sources", true},
		{"transposition", "titel", []string{"code", "sources", "title"}, 2, "title", true},
		{"too far", "zzzzzz", []string{"code", "sources"}, 2, "", false},
		{"exactly maxDist", "titel", []string{"title"}, 2, "title", true},
		{"one over maxDist", "titel", []string{"title"}, 1, "", false},
		{"zero maxDist needs equal", "slack", []string{"slak", "slack"}, 0, "slack", true},
		{"nearest wins", "tag", []string{"targets", "tags"}, 2, "tags", true},
		{"tie goes to earlier", "cat", []string{"bat", "hat"}, 1, "bat", true},
		{"tie goes to earlier, reversed", "cat", []string{"hat", "bat"}, 1, "hat", true},
		{"later strictly better wins", "cat", []string{"cart", "cat"}, 2, "cat", true},
		{"word case ignored", "SLAK", []string{"slack"}, 1, "slack", true},
		{"candidate case ignored and kept", "passwordenv", []string{"PasswordEnv"}, 0, "PasswordEnv", true},
		{"no candidates", "x", nil, 5, "", false},
		{"empty word", "", []string{"ab", "a"}, 1, "a", true},
		{"negative maxDist", "a", []string{"a"}, -1, "", false},
		{"64-byte word and candidate compared", long, []string{long[1:] + "b"}, 1, long[1:] + "b", true},
		{"65-byte word never matches", long + "a", []string{long}, 5, "", false},
		{"65-byte candidate skipped", long, []string{long + "a", long[1:]}, 1, long[1:], true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Closest(tt.word, tt.candidates, tt.maxDist)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("Closest(%q, %q, %d) = %q, %v; want %q, %v", tt.word, tt.candidates, tt.maxDist, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}
