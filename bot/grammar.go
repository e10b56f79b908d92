package bot

import (
	"regexp"
	"strings"

	"golang.org/x/text/unicode/norm"

	"github.com/wsbbot/wsbbot/internal/hresult"
	"github.com/wsbbot/wsbbot/internal/suggest"
)

// Verb is what a command asks for.
type Verb string

// The verbs of the grammar.
const (
	VerbLookup      Verb = "lookup"       // text that may hold error codes
	VerbDiagnose    Verb = "diagnose"     // diagnose [SERVER] [CODE]
	VerbRun         Verb = "run"          // run RUNBOOK on SERVER [k=v ...]
	VerbFix         Verb = "fix"          // fix [SERVER] [CODE]
	VerbAudit       Verb = "audit"        // audit [SERVER|GROUP]
	VerbRestoreTest Verb = "restore-test" // restore-test done SERVER [YYYY-MM-DD]
	VerbRunbooks    Verb = "runbooks"
	VerbGuide       Verb = "guide"   // guide TOPIC
	VerbHistory     Verb = "history" // history [SERVER]
	VerbStatus      Verb = "status"  // status RUN
	VerbCancel      Verb = "cancel"  // cancel RUN
	VerbServers     Verb = "servers"
	VerbHelp        Verb = "help"
	// VerbUsage: a known verb used wrongly; Usage names the right form.
	VerbUsage Verb = "usage"
	// VerbUnknown: no code and no verb; Suggest is the verb the first word
	// was most likely meant to be ("" when none is close).
	VerbUnknown Verb = "unknown"
)

// Command is one parsed message.
type Command struct {
	Verb Verb
	// Server: diagnose, fix, restore-test, history; run's target.
	Server string
	// Code: diagnose, fix (as typed; the use case reads every form).
	Code string
	// Runbook: run.
	Runbook string
	Params  map[string]string
	// Topic: guide's topic; audit's server or group; status's and
	// cancel's run.
	Topic string
	// Date: restore-test (YYYY-MM-DD as typed, "" for today).
	Date string
	// Text: lookup and unknown, the normalised text.
	Text string
	// Usage: the form expected (VerbUsage), in the grammar's own words.
	Usage string
	// Suggest: the verb meant (VerbUnknown), "" for none.
	Suggest string
}

// verbs maps every word that starts a command (English, Japanese, in
// lower case) to its verb.
var verbs = map[string]Verb{
	"diagnose": VerbDiagnose, "診断": VerbDiagnose,
	"run": VerbRun, "実行": VerbRun,
	"fix": VerbFix, "修復": VerbFix,
	"audit": VerbAudit, "監査": VerbAudit,
	"restore-test": VerbRestoreTest, "復元テスト": VerbRestoreTest,
	"runbooks": VerbRunbooks, "ランブック": VerbRunbooks,
	"guide": VerbGuide, "ガイド": VerbGuide,
	"history": VerbHistory, "履歴": VerbHistory,
	"status": VerbStatus, "状態": VerbStatus,
	"cancel": VerbCancel, "キャンセル": VerbCancel, "中止": VerbCancel,
	"servers": VerbServers, "サーバー": VerbServers, "サーバ": VerbServers,
	"help": VerbHelp, "ヘルプ": VerbHelp, "?": VerbHelp,
}

// englishVerbs are the verbs "did you mean" proposes, in the grammar's order.
var englishVerbs = []string{"diagnose", "run", "fix", "audit", "restore-test", "runbooks", "guide", "history", "status", "cancel", "servers", "help"}

// Usages, in the grammar's words (commands are typed in these words).
const (
	usageDiagnose    = "diagnose [SERVER] [CODE]"
	usageRun         = "run RUNBOOK on SERVER [key=value ...]"
	usageFix         = "fix [SERVER] [CODE]"
	usageAudit       = "audit [SERVER|GROUP]"
	usageRestoreTest = "restore-test done SERVER [YYYY-MM-DD]"
	usageGuide       = "guide TOPIC"
	usageHistory     = "history [SERVER]"
	usageStatus      = "status RUN"
	usageCancel      = "cancel RUN"
)

// mention matches Slack's user mention, "<@U123>" or "<@U123|name>".
var mention = regexp.MustCompile(`<@[A-Z0-9]+(?:\|[^>]*)?>`)

// Normalize returns text as the grammar reads it: NFKC (full-width
// letters, digits and spaces become their ASCII forms), every mention
// removed, runs of white space collapsed to one space, trimmed.
func Normalize(text string) string {
	text = norm.NFKC.String(text)
	text = mention.ReplaceAllString(text, " ")
	return strings.Join(strings.Fields(text), " ")
}

// Parse reads one message of the grammar. Verbs are case-insensitive and
// may be Japanese; anything that starts with no verb is text to look codes
// up in, or (with no code in it) unknown, with the verb it was probably
// meant to be.
func Parse(text string) Command {
	text = Normalize(text)
	f := strings.Fields(text)
	if len(f) == 0 {
		return Command{Verb: VerbUnknown, Text: text}
	}
	first := strings.ToLower(f[0])
	args := f[1:]
	v, ok := verbs[first]
	if !ok {
		// "restore-test" may be typed as two words, "復元テスト完了" as one.
		switch {
		case first == "restore" && len(args) > 0 && strings.EqualFold(args[0], "test"):
			v, ok, args = VerbRestoreTest, true, args[1:]
		case first == "復元テスト完了":
			v, ok, args = VerbRestoreTest, true, append([]string{"done"}, args...)
		}
	}
	if !ok {
		if len(hresult.Extract(text)) > 0 {
			return Command{Verb: VerbLookup, Text: text}
		}
		c := Command{Verb: VerbUnknown, Text: text}
		maxDist := 2
		if len(first) <= 4 {
			maxDist = 1
		}
		if s, ok := suggest.Closest(first, englishVerbs, maxDist); ok && len(first) >= 3 {
			c.Suggest = s
		}
		return c
	}
	usage := func(u string) Command { return Command{Verb: VerbUsage, Usage: u} }
	switch v {
	case VerbHelp, VerbServers, VerbRunbooks:
		return Command{Verb: v}
	case VerbDiagnose, VerbFix:
		c := Command{Verb: v}
		for _, a := range args {
			switch {
			case c.Code == "" && isCode(a):
				c.Code = a
			case c.Server == "":
				c.Server = a
			default:
				if v == VerbFix {
					return usage(usageFix)
				}
				return usage(usageDiagnose)
			}
		}
		return c
	case VerbRun:
		// run RUNBOOK on SERVER [k=v ...]; "で" is Japanese for "on".
		if len(args) < 3 || !(strings.EqualFold(args[1], "on") || args[1] == "で") {
			return usage(usageRun)
		}
		c := Command{Verb: VerbRun, Runbook: args[0], Server: args[2], Params: map[string]string{}}
		for _, kv := range args[3:] {
			k, val, ok := strings.Cut(kv, "=")
			if !ok || k == "" {
				return usage(usageRun)
			}
			c.Params[k] = val
		}
		return c
	case VerbAudit:
		if len(args) > 1 {
			return usage(usageAudit)
		}
		c := Command{Verb: VerbAudit}
		if len(args) == 1 {
			c.Topic = args[0]
		}
		return c
	case VerbRestoreTest:
		// restore-test done SERVER [YYYY-MM-DD | --date YYYY-MM-DD]
		if len(args) == 0 || !(strings.EqualFold(args[0], "done") || args[0] == "完了") {
			return usage(usageRestoreTest)
		}
		args = args[1:]
		switch {
		case len(args) == 1:
			return Command{Verb: VerbRestoreTest, Server: args[0]}
		case len(args) == 2:
			return Command{Verb: VerbRestoreTest, Server: args[0], Date: args[1]}
		case len(args) == 3 && args[1] == "--date":
			return Command{Verb: VerbRestoreTest, Server: args[0], Date: args[2]}
		}
		return usage(usageRestoreTest)
	case VerbGuide:
		if len(args) != 1 {
			return usage(usageGuide)
		}
		return Command{Verb: VerbGuide, Topic: args[0]}
	case VerbHistory:
		if len(args) > 1 {
			return usage(usageHistory)
		}
		c := Command{Verb: VerbHistory}
		if len(args) == 1 {
			c.Server = args[0]
		}
		return c
	case VerbStatus, VerbCancel:
		if len(args) != 1 {
			if v == VerbStatus {
				return usage(usageStatus)
			}
			return usage(usageCancel)
		}
		return Command{Verb: v, Topic: args[0]}
	}
	return Command{Verb: VerbUnknown, Text: text}
}

// isCode reports whether a word is, as a whole, an error code.
func isCode(word string) bool {
	_, err := hresult.Parse(word)
	return err == nil
}
