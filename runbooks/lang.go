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

// ChooseLang is wsbbot's one choice of reply language, used wherever a
// language is picked: the language asked for on purpose (a --lang flag),
// else the locale of the environment (LC_ALL, else LANG: the first that is
// set is the locale) when it names English or Japanese, else the
// configured language (config's `language`), else English. A flag or a
// configured value other than en or ja is an error; a locale that names
// neither (C, POSIX, fr_FR) leaves the choice to the configuration.
func ChooseLang(flag string, lookupEnv func(key string) (string, bool), configured string) (Lang, error) {
	if flag != "" {
		return ParseLang(flag)
	}
	for _, k := range []string{"LC_ALL", "LANG"} {
		if v, ok := lookupEnv(k); ok && v != "" {
			if l, ok := LangFromLocale(v); ok {
				return l, nil
			}
			break
		}
	}
	if configured != "" {
		l, err := ParseLang(configured)
		if err != nil {
			return "", fmt.Errorf("configured language: %w", err)
		}
		return l, nil
	}
	return LangEN, nil
}

// LangFromLocale reads a POSIX locale or language list as found in LANG,
// LC_ALL, LC_MESSAGES or LANGUAGE: "ja_JP.UTF-8", "ja-JP", "en_US.UTF-8@euro",
// "ja:en". It reports false, with an empty Lang, when s names neither
// English nor Japanese (including "", and the C and POSIX locales, which
// say that no language was chosen).
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
		case "en":
			return LangEN, true
		}
	}
	return "", false
}

// Pick returns en or ja, whichever is in l (en for anything but Japanese).
func (l Lang) Pick(en, ja string) string {
	if l == LangJA {
		return ja
	}
	return en
}
