package bot

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wsbbot/wsbbot/internal/langcheck"
	"github.com/wsbbot/wsbbot/internal/store"
	"github.com/wsbbot/wsbbot/oncall"
	"github.com/wsbbot/wsbbot/runbooks"
)

// TestLookupWithButtons: a pasted code is answered in the message's
// thread with name, meaning, cause, first action and the buttons; a server
// named in the text goes into their values; the answer is in the user's
// language.
func TestLookupWithButtons(t *testing.T) {
	svc := knowledgeService(t, oncall.Inventory{{Name: "writer-failed"}, {Name: "fs01"}})
	c := newChat(t, svc, Options{})
	for _, tt := range []struct {
		locale, text, args string
		want               []string
		labels             []string
	}{
		{"en-US", "<@U0BOT> 0x800423F4 on writer-failed", "writer-failed 0x800423F4",
			[]string{"0x800423F4  VSS_E_WRITERERROR_NONRETRYABLE", "Cause: ", "First action: ", "Meaning: "}, []string{"Diagnose", "Fix", "Guide"}},
		{"ja-JP", "バックアップが 0x800423F4 で失敗 (fs01)", "fs01 0x800423F4",
			[]string{"0x800423F4", "原因: ", "最初の対処: "}, []string{"診断", "修復", "ガイド"}},
		{"en-US", "LastBackupResultHR : 2155348249", "0x80780119", []string{"0x80780119"}, []string{"Diagnose", "Fix", "Guide"}},
		{"en-US", "0x80780166", "0x80780166", []string{"0x80780166"}, []string{"Diagnose", "Guide"}},
	} {
		rs := c.say(tt.locale, "", tt.text)
		if len(rs) != 1 {
			t.Fatalf("%q: %d replies, want 1", tt.text, len(rs))
		}
		r := rs[0]
		if r.Channel != "C1" || r.ThreadTS != "1700000000."+itoa(c.n) {
			t.Errorf("%q: reply in %s/%s, want the message's thread", tt.text, r.Channel, r.ThreadTS)
		}
		for _, w := range tt.want {
			if !strings.Contains(text(r), w) {
				t.Errorf("%q: reply lacks %q:\n%s", tt.text, w, text(r))
			}
		}
		var labels []string
		for _, b := range r.Buttons {
			labels = append(labels, b.Label)
			if b.ActionID != ActionGuide && b.Value != tt.args {
				t.Errorf("%q: button %s value %q, want %q", tt.text, b.Label, b.Value, tt.args)
			}
		}
		if diff := cmp.Diff(tt.labels, labels); diff != "" {
			t.Errorf("%q: buttons (-want +got):\n%s", tt.text, diff)
		}
		if tt.locale == "ja-JP" {
			assertJapanese(t, rs)
		}
	}
}

// TestDiagnoseByClick is the product's first story on the lab: a lookup
// naming no server, Diagnose clicked, a server picked from the menu, and
// the verdict names the failed writer and its service, with Fix next.
func TestDiagnoseByClick(t *testing.T) {
	svc, st, _ := labService(t)
	for _, locale := range []string{"en-US", "ja-JP"} {
		t.Run(locale, func(t *testing.T) {
			c := newChat(t, svc, Options{})
			rs := c.say(locale, "", "the backup failed: 0x800423F4")
			thread := rs[0].ThreadTS
			b, ok := button(rs, ActionDiagnose)
			if !ok {
				t.Fatalf("no Diagnose button:\n%s", text(rs...))
			}
			rs = c.click(locale, thread, b.ActionID, b.Value)
			if len(rs) != 1 || len(rs[0].Menus) != 1 || len(rs[0].Menus[0].Options) != 11 {
				t.Fatalf("no server picker of the 11 lab servers:\n%s", text(rs...))
			}
			var pick Option
			for _, o := range rs[0].Menus[0].Options {
				if o.Label == "writer-failed" {
					pick = o
				}
			}
			rs = c.click(locale, thread, rs[0].Menus[0].ActionID, pick.Value)
			all := text(rs...)
			for _, w := range []string{"SqlServerWriter [8] Failed", "SQLWriter", "0x807800A1"} {
				if !strings.Contains(all, w) {
					t.Errorf("the diagnosis does not name %q:\n%s", w, all)
				}
			}
			if fix, ok := button(rs, ActionFix); !ok || fix.Value != "writer-failed 0x800423F4" {
				t.Errorf("no Fix button for writer-failed after the diagnosis: %+v\n%s", fix, all)
			}
			for _, r := range rs {
				if r.ThreadTS != thread {
					t.Errorf("reply %q outside the thread", r.Title)
				}
			}
			if locale == "ja-JP" {
				assertJapanese(t, rs)
			}
		})
	}
	// Only the code's diagnostics ran (twice: once per language).
	runs, err := st.Runs(t.Context(), store.RunFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range runs {
		got = append(got, r.Runbook)
	}
	slices.Sort(got)
	want := []string{"diag-event-log", "diag-event-log", "diag-vss-writers", "diag-vss-writers", "diag-wsb-summary", "diag-wsb-summary"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("runs (-want +got):\n%s", diff)
	}
}

// TestThreadContext: in a lookup's thread, `diagnose` and `fix` with no
// arguments use its code and server; another thread does not know them.
func TestThreadContext(t *testing.T) {
	svc, _, hosts := labService(t)
	c := newChat(t, svc, Options{})
	rs := c.say("en-US", "", "0x800423f4 on writer-failed")
	thread := rs[0].ThreadTS
	rs = c.say("en-US", thread, "diagnose")
	all := text(rs...)
	if !strings.Contains(all, "Diagnosing writer-failed (0x800423F4)") || !strings.Contains(all, "SqlServerWriter [8] Failed") || !strings.Contains(all, "SQLWriter") {
		t.Errorf("diagnose in the thread:\n%s", all)
	}
	rs = c.say("en-US", thread, "fix")
	all = text(rs...)
	for _, w := range []string{"Plan: vss-writer-restart on writer-failed", "Restart-Service -Name $P.service -Force", `$P = {"service":"SQLWriter"}`,
		"vssadmin list writers", "⚠ Restarting SQLWriter interrupts", "No approvers are configured", "plan hash "} {
		if !strings.Contains(all, w) {
			t.Errorf("the plan lacks %q:\n%s", w, all)
		}
	}
	if _, ok := button(rs, ActionApprove); ok {
		t.Error("chat offers Approve with no approvers configured")
	}
	if hosts["writer-failed"].WriterState("SqlServerWriter") == 1 {
		t.Error("the plan changed the server")
	}
	// Another thread: no code, no server, so a picker.
	rs = c.say("en-US", "", "diagnose")
	if len(rs) != 1 || len(rs[0].Menus) != 1 || rs[0].Menus[0].ActionID != ActionDiagnose {
		t.Errorf("diagnose in a new thread: want a server picker, got\n%s", text(rs...))
	}
	if code, server := c.core.ThreadContext("C1", thread); code != "0x800423F4" || server != "writer-failed" {
		t.Errorf("thread context = %q %q", code, server)
	}
}

// TestJapanese: Japanese verbs and full-width input, answered in Japanese
// without English sentences in what the core writes.
func TestJapanese(t *testing.T) {
	svc, _, _ := labService(t)
	c := newChat(t, svc, Options{})
	var all []Reply
	for _, line := range []string{
		"０ｘ８００４２３Ｆ４　ｏｎ　ｗｒｉｔｅｒ－ｆａｉｌｅｄ",
		"診断",
		"修復",
		"診断 writer-failed 0x80780119",
		"ガイド bmr",
		"サーバー",
		"ヘルプ",
		"履歴 writer-failed",
		"監査 healthy",
		"しんだん",
		"診断 writer-faild",
		"実行 no-such で writer-failed",
	} {
		rs := c.say("ja-JP", "T1", line)
		if len(rs) == 0 {
			t.Errorf("%q: no reply", line)
		}
		all = append(all, rs...)
	}
	assertJapanese(t, all)
	s := text(all...)
	for _, w := range []string{"SqlServerWriter", "SQLWriter", "計画: writer-failed での vss-writer-restart", "承認者が設定されていない",
		"もしかして `writer-failed` ですか?", "ランブック `no-such` はありません", "合格 5"} {
		if !strings.Contains(s, w) {
			t.Errorf("the Japanese conversation lacks %q:\n%s", w, s)
		}
	}
}

// TestAssertJapaneseCatchesEnglish keeps the check above honest.
func TestAssertJapaneseCatchesEnglish(t *testing.T) {
	for s, want := range map[string]bool{
		"No error code or command found.": true,
		"Fix shows the plan of":           true,
		"出典: guide body + appendix table、vssadmin captures en-04 · 注記です": false,
		"注記 · Found by its text, not by a code":                          true,
		"安定していないライター SqlServerWriter [8] Failed":                         false,
		"`diagnose SERVER CODE` の形で指定":                                   false,
		"計画ハッシュ 4b65898387be":                                            false,
		"Windows Server Backup のイベント ログの確認":                              false,
	} {
		if got := len(langcheck.EnglishSentences(s)) > 0; got != want {
			t.Errorf("%q: English sentence %v, want %v", s, got, want)
		}
	}
}

func TestTypos(t *testing.T) {
	svc := knowledgeService(t, oncall.Inventory{{Name: "writer-failed"}})
	c := newChat(t, svc, Options{})
	for _, tt := range []struct{ locale, text, want string }{
		{"en", "diagnoze writer-failed", "Did you mean `diagnose`?"},
		{"en", "histroy", "Did you mean `history`?"},
		{"en", "diagnose writer-faild 0x800423F4", "Did you mean `writer-failed`?"},
		{"en", "run vss-writer-restrat on writer-failed", "Did you mean `vss-writer-restart`?"},
		{"ja", "guid bmr", "もしかして `guide` ですか?"},
		{"en", "just words", "No error code or command found"},
		{"en", "run x", "Usage: `run RUNBOOK on SERVER [key=value ...]`"},
	} {
		if got := text(c.say(tt.locale, "", tt.text)...); !strings.Contains(got, tt.want) {
			t.Errorf("%q: reply lacks %q:\n%s", tt.text, tt.want, got)
		}
	}
}

// TestLanguage: the locale decides, else the configured language.
func TestLanguage(t *testing.T) {
	svc := knowledgeService(t, nil)
	for _, tt := range []struct {
		def    runbooks.Lang
		locale string
		want   runbooks.Lang
	}{
		{"", "", runbooks.LangEN}, {runbooks.LangJA, "", runbooks.LangJA}, {runbooks.LangJA, "en-US", runbooks.LangEN},
		{runbooks.LangEN, "ja-JP", runbooks.LangJA}, {runbooks.LangJA, "C.UTF-8", runbooks.LangJA}, {runbooks.LangEN, "ja_JP.UTF-8", runbooks.LangJA},
	} {
		c := newChat(t, svc, Options{Lang: tt.def})
		rs := c.say(tt.locale, "", "0x80780119")
		if len(rs) != 1 || rs[0].Lang != tt.want {
			t.Errorf("default %q, locale %q: %d replies in %v, want %q", tt.def, tt.locale, len(rs), rs, tt.want)
		}
	}
}

// TestPickerBeyondAMenu: more servers than a static menu holds: a menu
// that loads the names as one types (MenuOptions answers its Load), and
// the command to type where menus cannot load.
func TestPickerBeyondAMenu(t *testing.T) {
	var inv oncall.Inventory
	for i := range 150 {
		inv = append(inv, oncall.Server{Name: "fs" + itoa(i)})
	}
	c := newChat(t, knowledgeService(t, inv), Options{})
	rs := c.say("en", "", "diagnose 0x800423F4")
	if len(rs) != 1 || len(rs[0].Menus) != 1 || !strings.Contains(text(rs...), "`diagnose SERVER 0x800423F4`") {
		t.Fatalf("want a loading menu and the command to type:\n%s", text(rs...))
	}
	m := rs[0].Menus[0]
	if m.Load == "" || len(m.Options) != 0 || m.ActionID != ActionDiagnose {
		t.Fatalf("menu %+v: want a Load and no options", m)
	}
	var got []string
	for _, o := range c.core.MenuOptions(m.Load, "FS14") {
		got = append(got, o.Label+"="+o.Value)
	}
	want := []string{"fs14=fs14 0x800423F4", "fs140=fs140 0x800423F4", "fs141=fs141 0x800423F4", "fs142=fs142 0x800423F4",
		"fs143=fs143 0x800423F4", "fs144=fs144 0x800423F4", "fs145=fs145 0x800423F4", "fs146=fs146 0x800423F4",
		"fs147=fs147 0x800423F4", "fs148=fs148 0x800423F4", "fs149=fs149 0x800423F4"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("MenuOptions (-want +got):\n%s", diff)
	}
	if n := len(c.core.MenuOptions(m.Load, "")); n != MaxMenuOptions {
		t.Errorf("MenuOptions with nothing typed: %d options, want the first %d", n, MaxMenuOptions)
	}
	if o := c.core.MenuOptions("runbooks", "fs"); o != nil {
		t.Errorf("MenuOptions of a Load the core did not write: %v", o)
	}
}

// TestApprovedInChat: a plan with changes becomes an approval request;
// the requester and a non-approver are refused (told privately), the
// approver's click runs exactly the plan shown, once, recorded with its
// hash, the requester and the approver; a second click is refused.
func TestApprovedInChat(t *testing.T) {
	svc, st, hosts := labService(t)
	export := func(tl *oncall.Timeline) string { return "timeline of " + tl.Run.ID }
	c := newChat(t, svc, Options{ExportTimeline: export, Access: &Access{Default: ApprovalRule{Approvers: []string{"U2"}, Quorum: 1, TTL: 30 * time.Minute}}})
	rs := c.say("en", "T1", "run vss-writer-restart on writer-failed")
	approve, ok := button(rs, ActionApprove)
	if _, deny := button(rs, ActionDeny); !ok || !deny {
		t.Fatalf("no Approve and Deny buttons:\n%s", text(rs...))
	}
	if all := text(rs...); !strings.Contains(all, "Approval needed") || !strings.Contains(all, "1 more of <@U2>") {
		t.Errorf("the request does not say who may approve:\n%s", all)
	}
	hash := strings.TrimPrefix(rs[len(rs)-1].Context, "plan hash ")
	for _, tc := range []struct{ user, want string }{
		{"U1", "you requested this change"},
		{"U3", "not an approver"},
	} {
		if rs := c.clickAs(tc.user, "en", "T1", approve.ActionID, approve.Value); len(rs) != 0 {
			t.Errorf("%s's refused click posted in the thread: %s", tc.user, text(rs...))
		}
		if eph := c.out.takeEphemeral(); !strings.Contains(text(eph...), tc.want) {
			t.Errorf("%s's click: told %q, want %q", tc.user, text(eph...), tc.want)
		}
	}
	if hosts["writer-failed"].WriterState("SqlServerWriter") == 1 {
		t.Fatal("a refused click changed the server")
	}
	rs = c.click("en", "T1", approve.ActionID, approve.Value)
	if all := text(rs...); !strings.Contains(all, "succeeded, verified") || hosts["writer-failed"].WriterState("SqlServerWriter") != 1 {
		t.Fatalf("not applied and verified:\n%s", all)
	}
	// The verification shows before -> after.
	if all := text(rs...); !strings.Contains(all, "SqlServerWriter [8] Failed → none") {
		t.Errorf("no before -> after of the writers:\n%s", all)
	}
	evs, err := st.Events(t.Context(), store.Filter{Kinds: []store.Kind{store.KindRunStarted}})
	if err != nil || len(evs) != 1 {
		t.Fatalf("%d runs started (%v), want 1", len(evs), err)
	}
	p, err := store.Decode[store.RunStarted](evs[0])
	if err != nil {
		t.Fatal(err)
	}
	if p.PlanHash != hash || !slices.Equal(p.Approvers, []string{"U2"}) || !strings.Contains(p.Approval, "approved in chat (request "+approve.Value+")") || evs[0].Actor != "U1" {
		t.Errorf("run.started = %+v by %s, want hash %s approved by U2 for U1", p, evs[0].Actor, hash)
	}
	if len(c.out.uploads) != 1 || c.out.uploads[0].Content != "timeline of "+evs[0].RunID {
		t.Errorf("uploads %+v: want the run's timeline", c.out.uploads)
	}
	if !slices.Contains(c.out.reactions, "C1/1700000000.1:white_check_mark") {
		t.Errorf("reactions %v: the request's message is not marked done", c.out.reactions)
	}
	// The request is used up: a second click is refused, privately.
	if rs := c.click("en", "T1", approve.ActionID, approve.Value); len(rs) != 0 {
		t.Errorf("a second Approve posted: %s", text(rs...))
	}
	if eph := c.out.takeEphemeral(); !strings.Contains(text(eph...), "already approved") {
		t.Errorf("a second Approve: told %q", text(eph...))
	}
}

// TestProgressEditsOneReply: a diagnosis posts one progress reply and edits
// it; the last edit shows every step.
func TestProgressEditsOneReply(t *testing.T) {
	svc, _, _ := labService(t)
	c := newChat(t, svc, Options{})
	rs := c.say("en", "", "diagnose writer-failed 0x800423F4")
	if len(rs) != 2 || !strings.HasPrefix(rs[0].Title, "Diagnosing writer-failed") {
		t.Fatalf("want the progress reply then the verdict, got:\n%s", text(rs...))
	}
	ups := c.out.updates["m1"]
	if len(ups) == 0 {
		t.Fatal("the progress reply was never edited")
	}
	last := text(ups[len(ups)-1])
	for _, w := range []string{"List the VSS writers", "Read the backup events", "Read the backup summary", "Done: 3 checks ran."} {
		if !strings.Contains(last, w) {
			t.Errorf("the final progress lacks %q:\n%s", w, last)
		}
	}
}

// TestThrottle: edits at most once per interval, on an injected clock;
// Final always sends.
func TestThrottle(t *testing.T) {
	now := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	p := newRecorder()
	th := NewThrottle(p, "m1", time.Second, clock)
	var sent []int
	for i, step := range []time.Duration{0, 300 * time.Millisecond, 300 * time.Millisecond, 400 * time.Millisecond, 100 * time.Millisecond,
		1100 * time.Millisecond, 0} {
		now = now.Add(step)
		if err := th.Update(context.Background(), Reply{Title: itoa(i)}); err != nil {
			t.Fatal(err)
		}
		sent = append(sent, th.Sent())
	}
	// Posted at 0; updates at 0, .3, .6, 1.0 (sent), 1.1, 2.2 (sent), 2.2.
	if diff := cmp.Diff([]int{0, 0, 0, 1, 1, 2, 2}, sent); diff != "" {
		t.Errorf("edits sent after each update (-want +got):\n%s", diff)
	}
	if err := th.Final(context.Background(), Reply{Title: "final"}); err != nil {
		t.Fatal(err)
	}
	ups := p.updates["m1"]
	var titles []string
	for _, u := range ups {
		titles = append(titles, u.Title)
	}
	if diff := cmp.Diff([]string{"3", "5", "final"}, titles); diff != "" {
		t.Errorf("edits (-want +got):\n%s", diff)
	}
}

// TestLongOutputIsAttached: a section over the limit goes into a file in
// the thread, with its head and tail in the reply.
func TestLongOutputIsAttached(t *testing.T) {
	var lines []string
	for i := range 400 {
		lines = append(lines, "line "+itoa(i)+" of the output")
	}
	long := strings.Join(lines, "\n")
	for _, lang := range []runbooks.Lang{runbooks.LangEN, runbooks.LangJA} {
		r := fit(Reply{Lang: lang, Title: "t", Sections: []Section{{Text: "head", Code: long}, {Text: long}}}, "history", texts{lang})
		if !r.Fits() {
			t.Errorf("%s: fitted reply exceeds the limits", lang)
		}
		if len(r.Attachments) != 2 || r.Attachments[0].Content != plainSection(Section{Text: "head", Code: long}) {
			t.Fatalf("%s: attachments %d, want the two sections whole", lang, len(r.Attachments))
		}
		code := r.Sections[0].Code
		if !strings.HasPrefix(code, "line 0 of") || !strings.HasSuffix(code, "line 399 of the output") || !strings.Contains(code, "history-1.txt") {
			t.Errorf("%s: head/tail summary:\n%s", lang, code)
		}
	}
	// Through the core: a long guide in chat is a file plus a short reply.
	svc := knowledgeService(t, nil)
	c := newChat(t, svc, Options{})
	rs := c.say("en", "", "guide bmr")
	if len(rs) != 1 || !rs[0].Fits() {
		t.Fatalf("guide: %d replies", len(rs))
	}
	body, _ := svc.Guide("bmr")
	if len([]rune(body.Body.EN)) > MaxSectionChars && len(c.out.uploads) != 1 {
		t.Errorf("a %d-character guide was not attached", len(body.Body.EN))
	}
}

// TestBusy: a full queue turns work away with a message instead of
// blocking the caller.
func TestBusy(t *testing.T) {
	svc := knowledgeService(t, oncall.Inventory{{Name: "fs01"}})
	out := newRecorder()
	core := New(Options{Service: svc, Poster: out, Workers: 1, Queue: 1})
	release, started := make(chan struct{}), make(chan struct{}, 1)
	block := func(ctx context.Context, _ *task) { started <- struct{}{}; <-release }
	r := core.newReq("U1", "", "en", "C1", "T", "1")
	if !core.submit(t.Context(), r, "a", block) {
		t.Fatal("the first job was refused")
	}
	<-started // the worker holds the first job
	queued := core.submit(t.Context(), r, "b", block)
	refused := !core.submit(t.Context(), r, "c", block)
	close(release)
	if err := core.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !queued || !refused || !strings.Contains(text(out.take()...), "I am busy") {
		t.Errorf("queued %v, refused %v: a full queue must turn work away, and only then", queued, refused)
	}
}

// A progress line says why a step failed: the expectation it missed when
// its command succeeded, the exit code when the command failed; a passed
// step has no exit code beside it. In the reply's language only.
func TestStepLine(t *testing.T) {
	title := runbooks.Text{EN: "List the VSS writers", JA: "VSS ライターの一覧"}
	missed := []runbooks.Verdict{
		{Message: runbooks.Text{EN: "the command succeeded", JA: "コマンドが成功した"}, OK: true},
		{Message: runbooks.Text{EN: "every writer is [1] Stable", JA: "すべてのライターが [1] Stable"}},
	}
	tests := []struct {
		s    runbooks.StepResult
		lang runbooks.Lang
		want string
	}{
		{runbooks.StepResult{ID: "writers", Title: title, Status: runbooks.StepPassed}, runbooks.LangEN, "✓ List the VSS writers"},
		{runbooks.StepResult{ID: "writers", Title: title, Status: runbooks.StepFailed, Expectations: missed}, runbooks.LangEN,
			"✗ List the VSS writers — expected: every writer is [1] Stable"},
		{runbooks.StepResult{ID: "writers", Title: title, Status: runbooks.StepFailed, Expectations: missed}, runbooks.LangJA,
			"✗ VSS ライターの一覧 — 期待: すべてのライターが [1] Stable"},
		{runbooks.StepResult{ID: "writers", Title: title, Status: runbooks.StepFailed, ExitCode: 5, Error: "exit code 5", Expectations: missed}, runbooks.LangEN,
			"✗ List the VSS writers (exit code 5)"},
		{runbooks.StepResult{ID: "writers", Title: title, Status: runbooks.StepFailed, ExitCode: 1, Error: "exit code 1"}, runbooks.LangJA,
			"✗ VSS ライターの一覧 (終了コード 1)"},
		{runbooks.StepResult{ID: "writers", Title: title, Status: runbooks.StepFailed, Error: "parse writers: unexpected end"}, runbooks.LangJA,
			"✗ VSS ライターの一覧 — 完了しませんでした"},
	}
	for _, tc := range tests {
		if got := stepLine(tc.s, tc.lang); got != tc.want {
			t.Errorf("stepLine = %q, want %q", got, tc.want)
		}
	}
}
