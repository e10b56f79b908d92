package render

import (
	"fmt"
	"io"
	"strings"

	"github.com/wsbbot/wsbbot/runbooks"
)

// Explanation prints one error code's explanation, in its own language.
func Explanation(w io.Writer, x runbooks.Explanation) {
	label := func(en, ja string) string { return x.Lang.Pick(en, ja) }
	fmt.Fprintf(w, "%s  [%s]\n", x.Heading(), x.FamilyName)
	fmt.Fprintf(w, "  %s\n", x.Title)
	if how := x.HowFound(); how != "" {
		fmt.Fprintf(w, "  %s\n", how)
	}
	field := func(name, value string) {
		if value != "" {
			fmt.Fprintf(w, "  %s: %s\n", name, value)
		}
	}
	field(label("Message", "メッセージ"), x.Message)
	field(label("Cause", "原因"), x.Cause)
	field(label("First action", "最初の対処"), x.FirstAction)
	var rb []string
	for _, grp := range []struct {
		name string
		ids  []string
	}{{label("diagnose", "診断"), x.Runbooks.Diagnose}, {label("fix", "修復"), x.Runbooks.Fix}, {label("guide", "ガイド"), x.Runbooks.Guide}} {
		if len(grp.ids) > 0 {
			rb = append(rb, grp.name+" "+strings.Join(grp.ids, ", "))
		}
	}
	field(label("Runbooks", "ランブック"), strings.Join(rb, " · "))
	notes := append([]string{}, x.Notes...)
	if x.Known && !x.Verified {
		notes = append(notes, label(
			"Not verified against Microsoft: no Microsoft description of this code was found; what is said here comes from the sources listed.",
			"Microsoft の資料では未確認です: このコードについての Microsoft 自身の説明は見つかっておらず、ここでの内容は記載の出典によるものです。"))
	}
	if len(x.Translated) > 0 {
		notes = append(notes, label("Translated by wsbbot: ", "wsbbot による翻訳: ")+strings.Join(x.Translated, ", "))
	}
	if x.MessageNote != "" {
		notes = append(notes, x.MessageNote)
	}
	if x.Verification != "" && x.Lang != runbooks.LangJA {
		// The verification record is English-only metadata; a Japanese
		// reply never falls back to English, so it is shown in JSON only.
		notes = append(notes, "Sources: "+x.Verification)
	}
	if len(notes) > 0 {
		fmt.Fprintf(w, "  %s:\n", label("Notes", "注記"))
		for _, n := range notes {
			fmt.Fprintf(w, "    - %s\n", n)
		}
	}
}

// Explanations prints each explanation, a blank line between them, or says
// that the text held no code.
func Explanations(w io.Writer, xs []runbooks.Explanation, lang runbooks.Lang) {
	if len(xs) == 0 {
		fmt.Fprintln(w, lang.Pick("No error code found in the text.", "テキストにエラー コードが見つかりませんでした。"))
	}
	for i, x := range xs {
		if i > 0 {
			fmt.Fprintln(w)
		}
		Explanation(w, x)
	}
}
