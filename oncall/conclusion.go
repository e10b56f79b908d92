package oncall

import (
	"fmt"

	"github.com/wsbbot/wsbbot/runbooks"
)

// maxFinding bounds what the conclusion quotes of one finding, in runes,
// so that the line fits a title (Slack cuts headers at 150 characters);
// the evidence below it has the rest.
const maxFinding = 90

// Conclusion is a diagnosis said in one line, in lang: what is wrong, on
// which server, and what to do next (the fix runbook's plan, the guide, or
// the code's first action), before any evidence. x is the catalogue's
// answer for the code diagnosed (nil when there is none).
func (d *Diagnosis) Conclusion(x *runbooks.Explanation, lang runbooks.Lang) string {
	failed, what := 0, ""
	for _, res := range d.Results {
		if res.Status == runbooks.RunSucceeded {
			continue
		}
		failed++
		if what == "" {
			what = finding(res, lang)
		}
	}
	switch {
	case len(d.Results) == 0:
		return lang.Pick(d.Server+": nothing was checked (no diagnostic runbook applies).",
			d.Server+": 何も確認していません（該当する診断ランブックがありません）。")
	case failed == 0:
		return lang.Pick(fmt.Sprintf("%s: no problem found by %d checks; nothing to fix now.", d.Server, len(d.Results)),
			fmt.Sprintf("%s: %d 件の診断で問題は見つかりませんでした。いま修復するものはありません。", d.Server, len(d.Results)))
	}
	return lang.Pick(fmt.Sprintf("%s: %s → %s", d.Server, what, nextShort(x, lang)),
		fmt.Sprintf("%s: %s → %s", d.Server, what, nextShort(x, lang)))
}

// NextStep says the next step in a sentence, for the line under the
// conclusion ("" when nothing failed).
func (d *Diagnosis) NextStep(x *runbooks.Explanation, lang runbooks.Lang) string {
	for _, res := range d.Results {
		if res.Status != runbooks.RunSucceeded {
			return next(d, x, lang)
		}
	}
	return ""
}

// nextShort names the next step in a few words, for the conclusion.
func nextShort(x *runbooks.Explanation, lang runbooks.Lang) string {
	switch {
	case x == nil:
		return lang.Pick("look up the codes below", "下のコードを調べる")
	case x.Known && len(x.Runbooks.Fix) > 0:
		return lang.Pick("fix: ", "修復: ") + x.Runbooks.Fix[0]
	case len(x.Runbooks.Guide) > 0:
		return lang.Pick("guide: ", "ガイド: ") + x.Runbooks.Guide[0]
	}
	return lang.Pick("first action of "+x.Code+" below", "下の "+x.Code+" の最初の対処")
}

// finding says what the first failing check of a run found: the detail of
// its first failed expectation, else its error, else its status.
func finding(res *runbooks.Result, lang runbooks.Lang) string {
	for _, s := range res.Steps {
		for _, v := range s.Expectations {
			if v.OK {
				continue
			}
			if f := v.DetailIn(lang); f != "" {
				return clip(f)
			}
			return clip(lang.Pick("not so: ", "満たされていません: ") + v.Message.In(lang))
		}
		if s.Error != "" {
			return clip(s.Error)
		}
	}
	if res.Error != "" {
		return clip(res.Error)
	}
	return res.Runbook + " " + res.Status.In(lang)
}

// next is the next step: the fix runbook's plan when the code has one, else
// its guide, else its first action (shown below the conclusion).
func next(d *Diagnosis, x *runbooks.Explanation, lang runbooks.Lang) string {
	switch {
	case x == nil:
		return lang.Pick("look up the codes the evidence names.", "根拠に表示されたコードを調べてください。")
	case x.Known && len(x.Runbooks.Fix) > 0:
		return lang.Pick("Fix shows the plan of `"+x.Runbooks.Fix[0]+"` on "+d.Server+" (a dry run; nothing changes until approved).",
			"修復で "+d.Server+" での `"+x.Runbooks.Fix[0]+"` の計画を表示します（ドライラン。承認されるまで何も変更しません）。")
	case len(x.Runbooks.Guide) > 0:
		return lang.Pick("follow `guide "+x.Runbooks.Guide[0]+"`, and the first action below.",
			"`ガイド "+x.Runbooks.Guide[0]+"` と、下の最初の対処に従ってください。")
	}
	return lang.Pick("the first action of "+x.Code+", below.", "下に示す "+x.Code+" の最初の対処に従ってください。")
}

func clip(s string) string {
	r := []rune(s)
	if len(r) <= maxFinding {
		return s
	}
	return string(r[:maxFinding]) + "…"
}
