package runbooks

import (
	"cmp"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/wsbbot/wsbbot/internal/hresult"
)

// How a thing in pasted text was recognised: the values of
// Explanation.MatchedBy.
const (
	// MatchedByCode: an error code in any notation hresult finds.
	MatchedByCode = "code"
	// MatchedByStopCode: a stop code in its short form, "STOP 0x7B".
	MatchedByStopCode = "stop-code"
	// MatchedByName: a symbolic name the catalogue gives a code,
	// "INACCESSIBLE_BOOT_DEVICE" or "Stop code: INACCESSIBLE BOOT DEVICE".
	MatchedByName = "name"
	// MatchedByText: a message text the catalogue knows (English or
	// Japanese), with no code beside it, or a sign's text.
	MatchedByText = "text"
	// MatchedByEvent: an event the catalogue knows by provider and id.
	MatchedByEvent = "event"
)

// Recognised is one thing found in pasted text: a code, or a sign.
type Recognised struct {
	// Pos orders what was found: the offset in the folded text.
	Pos  int
	Code hresult.Code
	Sign *Sign
	// By is one of the MatchedBy constants.
	By string
	// Text is the catalogue's text or name that matched ("" for codes).
	Text string
}

// pattern is one text the catalogue recognises, folded.
type pattern struct {
	folded string
	text   string
	code   hresult.Code
	sign   *Sign
	by     string
}

// recognisers are the catalogue's texts and names, folded once at load.
type recognisers struct {
	names, messages, signTexts []pattern
	events                     []*Sign
}

// fragmentBreak splits a message at placeholders and elisions; only the
// first fragment is matched (the rest of a quoted screen may belong to
// another code, as the detail under 0x80780119 is 0x8004231F's text).
var fragmentBreak = regexp.MustCompile(`\.\.\.|…|<[^>]*>|%%`)

func newRecognisers(c *Catalogue) recognisers {
	var r recognisers
	for _, rec := range c.sorted {
		e := rec.entry
		for _, n := range strings.Split(e.Name, "/") {
			n = strings.TrimSpace(n)
			if strings.Contains(n, "_") && len(n) >= 8 {
				r.names = append(r.names, pattern{folded: fold(n), text: n, code: e.Code, by: MatchedByName})
			}
		}
		for _, m := range []string{e.Message.EN, e.Message.JA} {
			frag := strings.TrimSpace(fragmentBreak.Split(m, 2)[0])
			frag = strings.TrimRight(frag, ".。:： ")
			if utf8.RuneCountInString(frag) >= minSignText {
				r.messages = append(r.messages, pattern{folded: fold(frag), text: frag, code: e.Code, by: MatchedByText})
			}
		}
	}
	for _, s := range c.signs {
		for _, t := range append(slices.Clone(s.Match.EN), s.Match.JA...) {
			t = strings.TrimRight(strings.TrimSpace(t), ".。")
			r.signTexts = append(r.signTexts, pattern{folded: fold(t), text: t, sign: s, by: MatchedByText})
		}
		if s.Event.ID != 0 {
			r.events = append(r.events, s)
		}
	}
	return r
}

// fold makes texts comparable as a reader compares them: NFKC (full-width
// to ASCII), lower case, '_' as a space, typographic apostrophes as ', and
// every run of white space as one space.
func fold(s string) string {
	s = strings.ToLower(norm.NFKC.String(s))
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case r == '_' || unicode.IsSpace(r):
			space = true
			continue
		case r == '’' || r == '‘':
			r = '\''
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

// findWord returns every offset of p in s where p is not glued to a
// letter or digit on an ASCII side.
func findWord(s, p string) []int {
	var out []int
	for i := 0; i+len(p) <= len(s); {
		k := strings.Index(s[i:], p)
		if k < 0 {
			break
		}
		at := i + k
		before, _ := utf8.DecodeLastRuneInString(s[:at])
		after, _ := utf8.DecodeRuneInString(s[at+len(p):])
		if !gluedASCII(before, p, true) && !gluedASCII(after, p, false) {
			out = append(out, at)
		}
		i = at + max(1, len(p))
	}
	return out
}

// gluedASCII reports whether r, next to p, makes p part of a longer word.
func gluedASCII(r rune, p string, before bool) bool {
	if r == utf8.RuneError || r >= utf8.RuneSelf || p == "" {
		return false
	}
	edge, _ := utf8.DecodeRuneInString(p)
	if !before {
		edge, _ = utf8.DecodeLastRuneInString(p)
	}
	isWord := func(c rune) bool { return c < utf8.RuneSelf && (unicode.IsLetter(c) || unicode.IsDigit(c)) }
	return isWord(r) && isWord(edge)
}

// eventID finds an event id in folded text: "event id: 50",
// "イベント id: 50", "<eventid>50</eventid>", "event 50".
var eventID = regexp.MustCompile(`(?:event\s?id|イベント\s?id|<eventid[^>]*>|\bevent)\s?[:=]?\s?(\d{1,5})\b`)

// Recognise finds in text every error code (hresult.FindAll), stop code in
// its short form, symbolic name, and sign (an event or text the catalogue
// knows without a code), in order, once each. Message texts of codes are
// matched only when the text holds no code at all: beside a code they are
// that code's, or another's, and the code is what counts.
func (c *Catalogue) Recognise(text string) []Recognised {
	folded := fold(text)
	var found []Recognised
	pos := func(i int) int { return len(fold(text[:i])) }
	for _, m := range hresult.FindAll(text) {
		found = append(found, Recognised{Pos: pos(m.Start), Code: m.Code, By: MatchedByCode})
	}
	for _, m := range hresult.FindStopCodes(text) {
		found = append(found, Recognised{Pos: pos(m.Start), Code: m.Code, By: MatchedByStopCode})
	}
	if c == nil {
		return dedupe(found)
	}
	hasCode := len(found) > 0
	for _, p := range c.recognisers.names {
		for _, at := range findWord(folded, p.folded) {
			found = append(found, Recognised{Pos: at, Code: p.code, By: p.by, Text: p.text})
		}
	}
	if !hasCode {
		for _, p := range c.recognisers.messages {
			for _, at := range findWord(folded, p.folded) {
				found = append(found, Recognised{Pos: at, Code: p.code, By: p.by, Text: p.text})
			}
		}
	}
	for _, p := range c.recognisers.signTexts {
		for _, at := range findWord(folded, p.folded) {
			found = append(found, Recognised{Pos: at, Sign: p.sign, By: p.by, Text: p.text})
		}
	}
	for _, s := range c.recognisers.events {
		if !strings.Contains(folded, strings.ToLower(s.Event.Provider)) && !strings.Contains(folded, "backup event") {
			continue
		}
		for _, loc := range eventID.FindAllStringSubmatchIndex(folded, -1) {
			if id, err := strconv.Atoi(folded[loc[2]:loc[3]]); err == nil && id == s.Event.ID {
				found = append(found, Recognised{Pos: loc[0], Sign: s, By: MatchedByEvent})
			}
		}
	}
	return dedupe(found)
}

// byRank orders the ways of finding the same thing: a code written as a
// code beats its name, which beats its text.
var byRank = map[string]int{MatchedByCode: 0, MatchedByStopCode: 1, MatchedByName: 2, MatchedByEvent: 3, MatchedByText: 4}

// dedupe keeps one Recognised per code or sign (the best way it was
// found, at its first position), in order of position.
func dedupe(found []Recognised) []Recognised {
	slices.SortStableFunc(found, func(a, b Recognised) int {
		return cmp.Or(cmp.Compare(byRank[a.By], byRank[b.By]), cmp.Compare(a.Pos, b.Pos))
	})
	var out []Recognised
	seenCode := map[hresult.Code]bool{}
	seenSign := map[*Sign]bool{}
	for _, r := range found {
		switch {
		case r.Sign != nil && seenSign[r.Sign], r.Sign == nil && seenCode[r.Code]:
			continue
		case r.Sign != nil:
			seenSign[r.Sign] = true
		default:
			seenCode[r.Code] = true
		}
		out = append(out, r)
	}
	slices.SortStableFunc(out, func(a, b Recognised) int { return cmp.Compare(a.Pos, b.Pos) })
	return out
}

// recoveryEnvironment are words that place a pasted error in the Windows
// Recovery Environment (folded).
var recoveryEnvironment = []string{"winre", "windows re", "recovery environment", "回復環境", "sysrecovery",
	"system image restore", "システム イメージの復元", "re-image your computer", "x:\\windows\\system32", "x:\\sources"}

// inRecovery reports whether text places its errors in WinRE.
func inRecovery(text string) bool {
	f := fold(text)
	for _, w := range recoveryEnvironment {
		if strings.Contains(f, w) {
			return true
		}
	}
	return false
}

// ExplainText answers everything Recognise finds in text, in lang. Each
// answer says how it was found (MatchedBy). When the text places the
// errors in the recovery environment (WinRE), the answers say that WinRM
// cannot reach a server there and offer the guides instead of diagnostics.
func (c *Catalogue) ExplainText(text string, lang Lang) []Explanation {
	rs := c.Recognise(text)
	out := make([]Explanation, 0, len(rs))
	winre := inRecovery(text)
	for _, r := range rs {
		var x Explanation
		if r.Sign != nil {
			x = c.explainSign(r.Sign, lang)
		} else {
			x = c.Explain(r.Code, lang)
		}
		x.MatchedBy, x.MatchedText = r.By, r.Text
		if winre && x.Outcome != OutcomeSuccess {
			x.Notes = append(x.Notes, lang.Pick(
				"This error comes from the recovery environment (WinRE), where neither Windows nor WinRM runs: wsbbot cannot diagnose it over WinRM. Work at the server's console; `guide bmr` has the commands.",
				"このエラーは回復環境（WinRE）で出ています。WinRE では Windows も WinRM も動いていないため、wsbbot は WinRM 経由で診断できません。サーバーのコンソールで作業してください。コマンドは `ガイド bmr` にあります。"))
			x.Runbooks.Diagnose, x.Runbooks.Fix = []string{}, []string{}
			if !slices.Contains(x.Runbooks.Guide, "guide-bmr") {
				x.Runbooks.Guide = append(x.Runbooks.Guide, "guide-bmr")
			}
		}
		out = append(out, x)
	}
	return out
}

// explainSign answers a sign in lang.
func (c *Catalogue) explainSign(s *Sign, lang Lang) Explanation {
	fam, _ := hresultFamily(s.Family)
	x := Explanation{
		Outcome:      OutcomeKnown,
		Known:        true,
		Family:       s.Family,
		FamilyName:   fam.Describe(string(lang)),
		Lang:         lang,
		Sign:         s.ID,
		Title:        s.Title.In(lang),
		Cause:        s.Cause.In(lang),
		FirstAction:  s.FirstAction.In(lang),
		Runbooks:     refs(s.Runbooks.Diagnose, s.Runbooks.Fix, s.Runbooks.Guide),
		Verified:     s.Verified,
		Verification: s.Verification,
		Translated:   []string{},
		Sources:      append([]string{}, s.Sources...),
		Notes:        []string{},
	}
	if s.Event.ID != 0 {
		x.Event = s.Event.Provider + " " + strconv.Itoa(s.Event.ID)
	}
	for _, f := range []struct {
		name string
		t    Text
	}{{"title", s.Title}, {"cause", s.Cause}, {"first_action", s.FirstAction}} {
		if f.t.Translated == lang {
			x.Translated = append(x.Translated, f.name)
		}
	}
	return x
}

// HowFound says, in the explanation's language, how the thing was found
// when it was not written as a code: by its text, name, event or a stop
// code's short form; "" for a code. A Japanese answer quotes only a
// Japanese text, never an English one.
func (x Explanation) HowFound() string {
	l := x.Lang
	switch x.MatchedBy {
	case MatchedByText:
		if l == LangJA {
			if isASCII(x.MatchedText) {
				return "エラー コードではなく、貼り付けられた英語の文言がカタログの文言と一致したことから判定しました。"
			}
			return "エラー コードではなく、文言「" + x.MatchedText + "」がカタログの文言と一致したことから判定しました。"
		}
		return "Found by its text, not by a code: \"" + x.MatchedText + "\"."
	case MatchedByName:
		return l.Pick("Found by its name, not by a code: "+x.MatchedText+".",
			"エラー コードではなく、名前 "+x.MatchedText+" から判定しました。")
	case MatchedByStopCode:
		return l.Pick("Found by the stop code's short form (STOP 0x7B means 0x0000007B).",
			"STOP コードの短い表記（STOP 0x7B は 0x0000007B）から判定しました。")
	case MatchedByEvent:
		return l.Pick("Found by its event, not by a code: "+x.Event+".",
			"エラー コードではなく、イベント（"+x.Event+"）から判定しました。")
	}
	return ""
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// Heading is what names the answer: the code, with its name, or for a
// sign its event or id.
func (x Explanation) Heading() string {
	switch {
	case x.Code != "" && x.Name != "":
		return x.Code + "  " + x.Name
	case x.Code != "":
		return x.Code
	case x.Event != "":
		return x.Event
	}
	return x.Sign
}

// Remarks are the notes an answer carries, in its language: the context's
// advice, what is unverified or unknown, what wsbbot translated, the
// caveat about Microsoft's message, and the sources (listed in both
// languages; the English verification record is added in English only).
func (x Explanation) Remarks() []string {
	l := x.Lang
	out := append([]string{}, x.Notes...)
	switch {
	case x.Outcome == OutcomeSuccess:
		out = append(out, l.Pick("This code reports success, not an error.", "このコードはエラーではなく成功を表します。"))
	case !x.Known:
		out = append(out, l.Pick("This code is not in the catalogue: what is shown is its family's.",
			"このコードはカタログにありません。表示しているのはそのファミリーの情報です。"))
	case !x.Verified:
		out = append(out, l.Pick(
			"Not verified against Microsoft: no Microsoft description confirms this; what is said here comes from the sources listed.",
			"Microsoft の資料では未確認です。Microsoft 自身の説明で裏付けられておらず、ここでの内容は記載の出典によるものです。"))
	}
	if len(x.Translated) > 0 {
		names := make([]string, len(x.Translated))
		for i, f := range x.Translated {
			names[i] = fieldName(f, l)
		}
		out = append(out, l.Pick("Translated by wsbbot from the Japanese: ", "wsbbot が英語から翻訳したもの: ")+
			strings.Join(names, l.Pick(", ", "、")))
	}
	if x.MessageNote != "" {
		out = append(out, x.MessageNote)
	}
	if len(x.Sources) > 0 {
		out = append(out, l.Pick("Sources: ", "出典: ")+strings.Join(x.Sources, l.Pick("; ", "、")))
	}
	if x.Verification != "" && l == LangEN {
		out = append(out, "What the sources verify: "+x.Verification)
	}
	return out
}

// fieldName names an answer's field in l.
func fieldName(f string, l Lang) string {
	switch f {
	case "title":
		return l.Pick("title", "表題")
	case "cause":
		return l.Pick("cause", "原因")
	case "first_action":
		return l.Pick("first action", "最初の対処")
	}
	return f
}
