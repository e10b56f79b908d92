package runbooks

import (
	"cmp"
	"slices"

	"github.com/wsbbot/wsbbot/internal/hresult"
)

// Explanation is what wsbbot says about one error code in one language: the
// platform-neutral answer that the CLI prints and the chat renders. Lists are
// never nil, so JSON output never shows null where a list is meant.
type Explanation struct {
	Code string `json:"code"`
	Name string `json:"name"`
	// Outcome is OutcomeKnown, OutcomeUnknown or OutcomeSuccess.
	Outcome    string `json:"outcome"`
	Known      bool   `json:"known"`
	Family     string `json:"family"`
	FamilyName string `json:"family_name"`
	Lang       Lang   `json:"lang"`
	InGuide    bool   `json:"in_guide"`

	Title       string `json:"title"`
	Message     string `json:"message"`      // Microsoft's own text in Lang, "" when no source gives it
	MessageNote string `json:"message_note"` // caveat about Message, or why it is missing
	Cause       string `json:"cause"`
	FirstAction string `json:"first_action"`

	Runbooks     RunbookRefs `json:"runbooks"`
	Verified     bool        `json:"verified"`
	Verification string      `json:"verification"`
	Translated   []string    `json:"translated"` // fields whose text in Lang is wsbbot's translation
	Sources      []string    `json:"sources"`

	// MatchedBy says how the thing was found in the text: MatchedByCode,
	// MatchedByStopCode, MatchedByName, MatchedByText or MatchedByEvent
	// ("" when Explain was given a code directly).
	MatchedBy string `json:"matched_by"`
	// MatchedText is the catalogue's name or text that matched, for the
	// ways other than a code.
	MatchedText string `json:"matched_text"`
	// Sign is the id of the sign answered (Code is then "").
	Sign string `json:"sign"`
	// Event is the event a sign is ("Microsoft-Windows-Backup 50"), or "".
	Event string `json:"event"`
	// Notes is advice that the context of the text or the code's family
	// adds, in Lang.
	Notes []string `json:"notes"`
}

// Outcomes of an explanation: what wsbbot concluded about a code.
const (
	// OutcomeKnown: the catalogue has an entry for the code.
	OutcomeKnown = "known"
	// OutcomeUnknown: the catalogue has no entry; the answer names the
	// code's family and that family's diagnostics.
	OutcomeUnknown = "unknown"
	// OutcomeSuccess: the code is 0x00000000 (S_OK, ERROR_SUCCESS), which
	// reports success, not an error. Known says whether the catalogue
	// also has an entry with its message and sources.
	OutcomeSuccess = "success"
)

// RunbookRefs names runbooks by id, grouped by what they do.
type RunbookRefs struct {
	Diagnose []string `json:"diagnose"`
	Fix      []string `json:"fix"`
	Guide    []string `json:"guide"`
}

// Explain answers for code in lang. An unknown code is not dropped: it is
// reported as unknown with its closest family and that family's diagnostics.
// 0x00000000 is reported as a success (OutcomeSuccess), never as an unknown
// error, whether or not the catalogue has an entry for it.
func (c *Catalogue) Explain(code hresult.Code, lang Lang) Explanation {
	fam := code.Family()
	x := Explanation{
		Code:       code.String(),
		Outcome:    OutcomeKnown,
		Family:     string(fam),
		FamilyName: fam.Describe(string(lang)),
		Lang:       lang,
		Translated: []string{},
		Sources:    []string{},
		Notes:      []string{},
	}
	success := fam == hresult.FamilySuccess
	if success {
		x.Outcome = OutcomeSuccess
	}
	e, ok := c.Lookup(code)
	switch {
	case !ok && success:
		x.Title = lang.Pick("Success (0x00000000): the operation completed; this is not an error",
			"成功 (0x00000000): 操作は正常に完了しており、エラーではありません")
		x.FirstAction = lang.Pick(
			"Nothing to fix for this code. If a backup still failed, its real error is elsewhere: read LastBackupResultDetailedHR in `Get-WBSummary` and events 517/521 in Microsoft-Windows-Backup.",
			"このコードについて対処は不要です。それでもバックアップが失敗している場合、実際のエラーは別の箇所にあります。`Get-WBSummary` の LastBackupResultDetailedHR と、Microsoft-Windows-Backup のイベント 517/521 を確認してください。")
		x.MessageNote = lang.Pick("Not in wsbbot's catalogue.", "wsbbot のカタログにないコードです。")
		x.Runbooks = refs(c.familyDiagnostics(fam), nil, nil)
		return x
	case !ok:
		x.Outcome = OutcomeUnknown
		x.Title = unknownTitle(lang, x.FamilyName)
		x.FirstAction = unknownAction(lang)
		x.MessageNote = lang.Pick("Not in wsbbot's catalogue.", "wsbbot のカタログにないコードです。")
		x.Runbooks = refs(c.familyDiagnostics(fam), nil, nil)
		familyAdvice(&x, fam, lang)
		return x
	}
	x.Known = true
	x.Name = e.Name
	x.Family = e.Family
	x.InGuide = e.InGuide
	x.Title = e.Title.In(lang)
	x.Cause = e.Cause.In(lang)
	x.FirstAction = e.FirstAction.In(lang)
	x.Message, _ = e.Message.In(lang)
	x.MessageNote = e.Message.NoteIn(lang)
	if x.Message == "" && x.MessageNote == "" {
		x.MessageNote = lang.Pick(
			"No source gives Microsoft's English message text for this code.",
			"このコードの Windows の日本語メッセージは、確認できた出典がありません。")
	}
	for _, f := range []struct {
		name string
		t    Text
	}{{"title", e.Title}, {"cause", e.Cause}, {"first_action", e.FirstAction}} {
		if f.t.Translated == lang {
			x.Translated = append(x.Translated, f.name)
		}
	}
	x.Runbooks = refs(e.Runbooks.Diagnose, e.Runbooks.Fix, e.Runbooks.Guide)
	x.Verified = e.Verified
	x.Verification = e.Verification
	x.Sources = append(x.Sources, e.Sources...)
	return x
}

func refs(d, f, g []string) RunbookRefs {
	return RunbookRefs{
		Diagnose: append([]string{}, d...),
		Fix:      append([]string{}, f...),
		Guide:    append([]string{}, g...),
	}
}

// familyDiagnostics suggests, for a code the catalogue does not know, the
// diagnostic runbooks the catalogue itself links to codes of the same
// family: those named by at least half of the family's entries, most named
// first (ties by id). A family without entries takes the same rule over the
// whole catalogue. The links come from the catalogue's YAML, so an operator
// who adds or changes entries changes the suggestions too.
func (c *Catalogue) familyDiagnostics(f hresult.Family) []string {
	if c == nil {
		return nil
	}
	count := func(match func(Entry) bool) []string {
		n, named := 0, map[string]int{}
		for _, r := range c.sorted {
			if !match(r.entry) {
				continue
			}
			n++
			for _, id := range slices.Compact(slices.Sorted(slices.Values(r.entry.Runbooks.Diagnose))) {
				named[id]++
			}
		}
		var out []string
		for id, k := range named {
			if 2*k >= n {
				out = append(out, id)
			}
		}
		slices.SortFunc(out, func(a, b string) int {
			return cmp.Or(cmp.Compare(named[b], named[a]), cmp.Compare(a, b))
		})
		return out
	}
	if ids := count(func(e Entry) bool { return e.Code.Family() == f }); len(ids) > 0 {
		return ids
	}
	return count(func(Entry) bool { return true })
}

// familyAdvice fits the answer for an unknown code to its family, where
// the generic WSB advice would mislead: client backup codes are not WSB,
// and a stop error happens where WinRM cannot reach.
func familyAdvice(x *Explanation, fam hresult.Family, lang Lang) {
	switch fam {
	case hresult.FamilyWin7Backup:
		x.FirstAction = lang.Pick(
			"This is the client Windows Backup (Windows 7 \"Backup and Restore\", sdclt), not Windows Server Backup: `Get-WBSummary`, wbadmin and wsbbot's WSB diagnostics do not apply. On that PC, read the Application log for source \"Windows Backup\" at the time of the failure and the detailed error in the Backup and Restore control panel.",
			"これはクライアント版の Windows バックアップ（Windows 7 の「バックアップと復元」、sdclt）のコードで、Windows Server バックアップのものではありません。`Get-WBSummary`、wbadmin、wsbbot の WSB 向けの診断は使えません。その PC で、失敗した時刻のアプリケーション ログ（ソース「Windows Backup」）と、「バックアップと復元」のコントロール パネルに表示される詳細エラーを確認してください。")
		x.Runbooks = refs(nil, nil, nil)
	case hresult.FamilyBugcheck:
		x.FirstAction = lang.Pick(
			"A stop error (blue screen) stops Windows, so the server cannot be diagnosed over WinRM while it shows one. Look the code up in Microsoft Learn's bug check code reference; after a restore to different hardware, boot WinRE and follow `guide dism-driver`.",
			"STOP エラー（ブルー スクリーン）では Windows が停止しているため、その間 WinRM 経由では診断できません。Microsoft Learn のバグ チェック コードのリファレンスでコードを確認し、異なるハードウェアへの復元後であれば WinRE を起動して `ガイド dism-driver` の手順に従ってください。")
		x.Runbooks = refs(nil, nil, []string{"guide-dism-driver", "guide-bmr"})
	}
}

func unknownTitle(lang Lang, family string) string {
	return lang.Pick("Unknown code ("+family+")", "未登録のコード("+family+")")
}

func unknownAction(lang Lang) string {
	return lang.Pick(
		"Read the detailed HRESULT of the failed backup (`Get-WBSummary`: LastBackupResultDetailedHR; events 517/521 in Microsoft-Windows-Backup) and run the diagnostics listed here.",
		"失敗したバックアップの詳細 HRESULT (`Get-WBSummary` の LastBackupResultDetailedHR、Microsoft-Windows-Backup のイベント 517/521) を確認し、ここに挙げた診断を実行してください。")
}
