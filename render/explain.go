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
	notes := x.Remarks()
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
