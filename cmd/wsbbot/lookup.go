package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wsbbot/wsbbot/internal/hresult"
	"github.com/wsbbot/wsbbot/runbooks"
)

func newLookupCommand(g *globals, e env) *cobra.Command {
	var (
		langFlag string
		asJSON   bool
	)
	cmd := &cobra.Command{
		Use:   "lookup TEXT...",
		Short: "Explain every WSB/VSS error code found in the text",
		Long: `lookup finds every error code in TEXT (0x80780119, 800423f4, full-width
０ｘ８０７８０１１９, 2155348249, -2139619047, or a whole pasted log line) and
explains each once, in order: meaning, likely cause, first action, runbooks.

Exit status: 0 when at least one known code was found, 1 when none was,
2 on usage errors.`,
		Args: usageArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			lang, err := resolveLang(langFlag, e)
			if err != nil {
				return err
			}
			set, err := loadRunbooks(g, e)
			if err != nil {
				return err
			}
			codes := hresult.Extract(strings.Join(args, " "))
			out := make([]runbooks.Explanation, 0, len(codes))
			known := false
			for _, c := range codes {
				x := set.Catalogue.Explain(c, lang)
				known = known || x.Known
				out = append(out, x)
			}
			if asJSON {
				if err := writeJSON(e.stdout, out); err != nil {
					return err
				}
			} else {
				if len(out) == 0 {
					fmt.Fprintln(e.stdout, pickLang(lang, "No error code found in the text.", "テキストにエラー コードが見つかりませんでした。"))
				}
				for i, x := range out {
					if i > 0 {
						fmt.Fprintln(e.stdout)
					}
					writeExplanation(e.stdout, x)
				}
			}
			if !known {
				return silentExit(exitFailed)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&langFlag, "lang", "", "reply language: en or ja (default: LANG starting with ja, else en)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	return cmd
}

// resolveLang picks the reply language: the flag, else the locale
// (LC_ALL, then LANG) when it starts with "ja", else English.
func resolveLang(flag string, e env) (runbooks.Lang, error) {
	if flag != "" {
		l, err := runbooks.ParseLang(flag)
		if err != nil {
			return "", usageErrorf("--lang: %v", err)
		}
		return l, nil
	}
	for _, k := range []string{"LC_ALL", "LANG"} {
		if v, ok := e.lookup(k); ok && v != "" {
			if strings.HasPrefix(strings.ToLower(v), "ja") {
				return runbooks.LangJA, nil
			}
			return runbooks.LangEN, nil
		}
	}
	return runbooks.LangEN, nil
}

func pickLang(l runbooks.Lang, en, ja string) string {
	if l == runbooks.LangJA {
		return ja
	}
	return en
}

// writeExplanation prints one explanation for a terminal.
func writeExplanation(w io.Writer, x runbooks.Explanation) {
	ja := x.Lang == runbooks.LangJA
	label := func(en, j string) string {
		if ja {
			return j
		}
		return en
	}
	head := x.Code
	if x.Name != "" {
		head += "  " + x.Name
	}
	fmt.Fprintf(w, "%s  [%s]\n", head, x.FamilyName)
	fmt.Fprintf(w, "  %s\n", x.Title)
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
	var notes []string
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
	if x.Verification != "" && !ja {
		// The verification record is English-only metadata; a Japanese
		// reply never falls back to English, so it is shown in --json only.
		notes = append(notes, "Sources: "+x.Verification)
	}
	if len(notes) > 0 {
		fmt.Fprintf(w, "  %s:\n", label("Notes", "注記"))
		for _, n := range notes {
			fmt.Fprintf(w, "    - %s\n", n)
		}
	}
}
