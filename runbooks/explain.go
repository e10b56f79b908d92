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

func unknownTitle(lang Lang, family string) string {
	return lang.Pick("Unknown code ("+family+")", "未登録のコード("+family+")")
}

func unknownAction(lang Lang) string {
	return lang.Pick(
		"Read the detailed HRESULT of the failed backup (`Get-WBSummary`: LastBackupResultDetailedHR; events 517/521 in Microsoft-Windows-Backup) and run the diagnostics listed here.",
		"失敗したバックアップの詳細 HRESULT (`Get-WBSummary` の LastBackupResultDetailedHR、Microsoft-Windows-Backup のイベント 517/521) を確認し、ここに挙げた診断を実行してください。")
}
