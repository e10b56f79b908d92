// Package langcheck finds English sentences in text meant to be Japanese,
// so tests can fail when a Japanese reply would make its reader read
// English. Names stay: products, services, cmdlets, codes, paths, and
// anything in backticks (a command to type) or on a citation line
// ("出典:"), whose titles are the documents' own.
package langcheck

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// functionWords are the small words that only a sentence has: a run of
// names ("Block Level Backup Engine Service") has none of them.
var functionWords = map[string]bool{
	"the": true, "a": true, "an": true, "is": true, "are": true, "was": true, "were": true, "be": true,
	"been": true, "to": true, "of": true, "in": true, "on": true, "for": true, "with": true, "not": true,
	"no": true, "cannot": true, "could": true, "can": true, "has": true, "have": true, "had": true,
	"and": true, "or": true, "this": true, "that": true, "it": true, "by": true, "from": true, "at": true,
	"as": true, "if": true, "will": true, "may": true, "did": true, "does": true, "do": true,
	"there": true, "which": true, "you": true, "your": true, "please": true, "what": true, "when": true,
}

var (
	backticks = regexp.MustCompile("`[^`]*`")
	urls      = regexp.MustCompile(`https?://\S+`)
	// citations run from "出典:" to the end of the line or the next " · "
	// (the separator of notes on one line).
	citations = regexp.MustCompile(`出典[:：][^·\n]*`)
	word      = regexp.MustCompile(`^[A-Za-z][A-Za-z']*$`)
)

// MinWords is how many words in a row, one of them a function word, make
// an English sentence.
const MinWords = 4

// EnglishSentences returns the English sentences in text: runs of at least
// MinWords ASCII words, separated only by spaces and light punctuation,
// at least one of which is a function word.
func EnglishSentences(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		t := strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(line), "-•*"))
		if strings.HasPrefix(t, "出典:") || strings.HasPrefix(t, "> ") {
			continue
		}
		line = citations.ReplaceAllString(line, " ")
		line = backticks.ReplaceAllString(line, " ")
		line = urls.ReplaceAllString(line, " ")
		out = append(out, sentencesIn(line)...)
	}
	return out
}

// sentencesIn splits a line at every character that cannot be inside an
// English sentence (any non-ASCII rune, brackets, colons, quotes...) and
// checks each run of words.
func sentencesIn(line string) []string {
	segments := strings.FieldsFunc(line, func(r rune) bool {
		return r >= utf8.RuneSelf || strings.ContainsRune("()[]{}<>:=|/\\\"", r)
	})
	var out []string
	for _, seg := range segments {
		var run []string
		flush := func() {
			if len(run) >= MinWords {
				for _, w := range run {
					if functionWords[strings.ToLower(w)] {
						out = append(out, strings.Join(run, " "))
						break
					}
				}
			}
			run = run[:0]
		}
		for _, tok := range strings.Fields(seg) {
			// A token that is not a word ends the run; a trailing
			// , . ; ? ! is allowed, and . ; ? ! end the sentence.
			core := strings.TrimRight(tok, ",.;?!")
			if !word.MatchString(core) {
				flush()
				continue
			}
			run = append(run, core)
			if strings.ContainsAny(tok[len(core):], ".;?!") {
				flush()
			}
		}
		flush()
	}
	return out
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
