// Package suggest owns suggestions for misspelled names: given an unknown
// key and the names that are known, it picks the one the user most likely
// meant, for "did you mean" hints in error messages.
package suggest

import "strings"

// maxLen bounds, in bytes, the words that are compared, so that a hostile
// input cannot make the quadratic distance expensive. Longer words and
// candidates never match.
const maxLen = 64

// Closest returns the candidate nearest to word by Levenshtein distance
// (case-insensitive, counted in bytes), when that distance is at most
// maxDist. A tie goes to the earlier candidate. The candidate is returned
// as given. ok is false when no candidate is close enough, or when word
// is longer than 64 bytes; longer candidates are skipped.
func Closest(word string, candidates []string, maxDist int) (best string, ok bool) {
	lw := strings.ToLower(word)
	if len(lw) > maxLen {
		return "", false
	}
	bestDist := maxDist + 1
	for _, c := range candidates {
		lc := strings.ToLower(c)
		if len(lc) > maxLen {
			continue
		}
		if d := distance(lw, lc); d < bestDist {
			best, bestDist, ok = c, d, true
		}
	}
	return best, ok
}

// distance is the Levenshtein distance between a and b, in bytes.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
