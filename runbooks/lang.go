package runbooks

import (
	"fmt"
	"strings"
)

// Lang is a language wsbbot answers in.
type Lang string

// The languages of the catalogue and of replies.
const (
	LangEN Lang = "en"
	LangJA Lang = "ja"
)

// ParseLang reads a language given on purpose, such as a --lang flag or a
// user setting: exactly "en" or "ja" (in any case, surrounding spaces
// ignored). Anything else is an error; use LangFromLocale for LANG values.
func ParseLang(s string) (Lang, error) {
	switch l := Lang(strings.ToLower(strings.TrimSpace(s))); l {
	case LangEN, LangJA:
		return l, nil
	}
	return "", fmt.Errorf("parse language %q: want %q or %q", s, LangEN, LangJA)
}

// LangFromLocale reads a POSIX locale or language list as found in LANG,
// LC_ALL, LC_MESSAGES or LANGUAGE: "ja_JP.UTF-8", "ja-JP", "en_US.UTF-8@euro",
// "ja:en". The C and POSIX locales are English. It reports false, with an
// empty Lang, when s names neither English nor Japanese (including "").
func LangFromLocale(s string) (Lang, bool) {
	for _, loc := range strings.Split(s, ":") {
		loc = strings.TrimSpace(loc)
		if i := strings.IndexAny(loc, ".@"); i >= 0 {
			loc = loc[:i]
		}
		lang, _, _ := strings.Cut(loc, "_")
		lang, _, _ = strings.Cut(lang, "-")
		switch strings.ToLower(lang) {
		case "ja":
			return LangJA, true
		case "en", "c", "posix":
			return LangEN, true
		}
	}
	return "", false
}
