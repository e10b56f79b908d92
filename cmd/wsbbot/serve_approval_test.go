package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wsbbot/wsbbot/bot/slack/slacktest"
	"github.com/wsbbot/wsbbot/lab"
	"github.com/wsbbot/wsbbot/runbooks"
)

// The approvers' side of the contract (issue #10) as seen from Slack, with
// slack.approvers: [U_BOB] and no roles: a fix is planned in the thread
// with Approve / Deny, the requester and a non-approver are refused
// privately, the approver's double click runs it once, a deny ends a
// request, an expired request runs nothing, and a request survives a
// restart of the bot.
var (
	userAlice = slacktest.User{ID: "U_ALICE", Name: "alice", RealName: "Alice", Locale: "en-US"}
	userBob   = slacktest.User{ID: "U_BOB", Name: "bob", RealName: "Bob", Locale: "en-US"}
	userCarol = slacktest.User{ID: "U_CAROL", Name: "carol", RealName: "Carol", Locale: "en-US"}
	userJiro  = slacktest.User{ID: "U_JIRO", Name: "jiro", RealName: "Jiro", Locale: "ja-JP"}
)

// startApprovals starts serve with slack.approvers: [U_BOB] (unless extra
// sets the approvers) and the four users.
func startApprovals(t *testing.T, extra ...string) *served {
	vars := []string{"WSBBOT_SLACK_APPROVERS=U_BOB"}
	if slices.ContainsFunc(extra, func(v string) bool { return strings.HasPrefix(v, "WSBBOT_SLACK_APPROVERS=") }) {
		vars = nil
	}
	s := startServeWith(t, append(vars, extra...), nil)
	for _, u := range []slacktest.User{userAlice, userBob, userCarol, userJiro} {
		s.slack.AddUser(u)
	}
	return s
}

// request posts `run vss-writer-restart on writer-failed` as user in
// channel and returns the thread and the plan message.
func (s *served) request(channel string, u slacktest.User, approve, deny string) (string, slacktest.Message) {
	s.t.Helper()
	return s.requestRun(channel, u, "vss-writer-restart", "writer-failed", "restart-service", approve, deny)
}

// requestRun posts `run RUNBOOK on SERVER` as user in channel, waits for
// the plan showing step, and returns the thread and the plan message.
func (s *served) requestRun(channel string, u slacktest.User, runbook, server, step, approve, deny string) (string, slacktest.Message) {
	s.t.Helper()
	ts := s.slack.UserSays(channel, u.ID, "<@"+s.slack.BotUserID()+"> run "+runbook+" on "+server)
	return ts, s.planIn(channel, ts, u, step, approve, deny)
}

// planIn waits for the bot's plan message showing step, with the approve
// and deny buttons, in a thread.
func (s *served) planIn(channel, ts string, u slacktest.User, step, approve, deny string) slacktest.Message {
	s.t.Helper()
	rs := s.waitThread("the plan from "+u.ID, channel, ts, containsAll(approve, deny, step))
	for i := len(rs) - 1; i >= 0; i-- { // the latest plan in the thread
		if strings.Contains(string(rs[i].Blocks), `"`+approve+`"`) {
			return rs[i]
		}
	}
	s.t.Fatalf("no message with the %s button:\n%s", approve, shown(rs...))
	return slacktest.Message{}
}

// click presses a button and waits until the clicker was told something
// privately, returning what.
func (s *served) clickRefused(channel string, plan slacktest.Message, u slacktest.User, label string) string {
	s.t.Helper()
	before := len(s.slack.Ephemerals(u.ID))
	if _, err := s.slack.Click(channel, plan.TS, u.ID, label); err != nil {
		s.t.Fatal(err)
	}
	var text string
	s.waitFor(u.Name+" told privately", func() bool {
		es := s.slack.Ephemerals(u.ID)
		if len(es) > before {
			text = es[len(es)-1].Text + string(es[len(es)-1].Blocks)
			return true
		}
		return false
	})
	return text
}

// fixRuns are the vss-writer-restart runs on writer-failed that
// `wsbbot history --json` lists, read beside the running bot.
func (s *served) fixRuns() []struct{ ID, Runbook, Target, Status string } {
	s.t.Helper()
	return s.runsOf("vss-writer-restart", "writer-failed")
}

// runsOf are the runs of runbook on target that `wsbbot history --json`
// lists, newest first.
func (s *served) runsOf(runbook, target string) []struct{ ID, Runbook, Target, Status string } {
	s.t.Helper()
	code, out, stderr := wsbbot(s.t, s.vars, "", "history", "--config", s.args[2], "--json")
	var runs []struct{ ID, Runbook, Target, Status string }
	if err := json.Unmarshal([]byte(out), &runs); err != nil || code != 0 {
		s.t.Fatalf("history --json: exit %d, %v\n%s%s", code, err, out, stderr)
	}
	var fix []struct{ ID, Runbook, Target, Status string }
	for _, r := range runs {
		if r.Runbook == runbook && r.Target == target {
			fix = append(fix, r)
		}
	}
	return fix
}

func TestServeApprovals(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	s := startApprovals(t)

	// 1: the plan, with the exact commands and both buttons (and in
	// Japanese, labelled 承認 / 却下).
	thread, plan := s.request("C05", userAlice, "Approve", "Deny")
	if !strings.Contains(shown(plan), "Restart-Service") {
		t.Errorf("the plan shows no command:\n%s", shown(plan))
	}
	s.request("C09", userJiro, "承認", "却下")

	// 2: the requester cannot approve her own request.
	if got := s.clickRefused("C05", plan, userAlice, "Approve"); !strings.Contains(got, "you requested this change") {
		t.Errorf("self-approval refusal: %q", got)
	}
	// ... nor can an approver approve his own: with U_BOB the only
	// approver, his request is refused at once (nobody else could
	// approve it), with no Approve button to press.
	ts := s.slack.UserSays("C06", userBob.ID, "<@"+s.slack.BotUserID()+"> run vss-writer-restart on writer-failed")
	own := s.waitThread("the refused plan from U_BOB", "C06", ts, containsAll("restart-service", "no approval is possible", "0 approver(s) other than the requester"))
	if strings.Contains(shown(own...), `"Approve"`) {
		t.Errorf("U_BOB's own request offers Approve:\n%s", shown(own...))
	}
	// 3: nor someone who is not an approver.
	if got := s.clickRefused("C05", plan, userCarol, "Approve"); got == "" {
		t.Error("non-approver: no refusal")
	}
	if runs := s.fixRuns(); len(runs) != 0 {
		t.Fatalf("a refused approval ran the fix: %+v", runs)
	}

	// 5: a deny ends the request; a later Approve is refused.
	thread5, plan5 := s.request("C07", userAlice, "Approve", "Deny")
	if _, err := s.slack.Click("C07", plan5.TS, userBob.ID, "Deny"); err != nil {
		t.Fatal(err)
	}
	s.waitThread("the deny", "C07", thread5, containsAll("enied"))
	s.clickRefused("C07", plan5, userBob, "Approve")

	// 7: the request survives a restart of the bot ...
	if code := s.shutdown(); code != 0 {
		t.Fatalf("serve exited %d:\n%s", code, s.stderr.String())
	}
	s.start()
	// 4: ... and the approver's click, arriving twice, runs it once,
	// verified, with a reaction on the request.
	for range 2 {
		if _, err := s.slack.Click("C05", plan.TS, userBob.ID, "Approve"); err != nil {
			t.Fatal(err)
		}
	}
	s.waitThread("the verified fix", "C05", thread, containsAll("SqlServerWriter [8] Failed → none", "succeeded, verified"))
	s.waitFor("the reaction on the request", func() bool { return len(s.slack.Reactions("C05", thread)) > 0 })
	if runs := s.fixRuns(); len(runs) != 1 || runs[0].Status != "succeeded" {
		t.Fatalf("after a double click: %+v, want one succeeded run", runs)
	}
	for _, n := range s.slack.Unexpected() {
		t.Errorf("fake Slack saw: %s", n)
	}
	s.writeSlackTranscript("approved-fix", "C05", thread)
}

// 6: with slack.approval_ttl: 8s, an Approve after 10 s says "expired"
// and nothing runs.
func TestServeApprovalExpires(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	s := startApprovals(t, "WSBBOT_SLACK_APPROVAL_TTL=8s")
	_, plan := s.request("C05", userAlice, "Approve", "Deny")
	time.Sleep(10 * time.Second) // the TTL is the point: real time must pass
	got := s.clickRefused("C05", plan, userBob, "Approve")
	if !strings.Contains(strings.ToLower(got), "expired") {
		t.Errorf("an expired request answered %q", got)
	}
	if runs := s.fixRuns(); len(runs) != 0 {
		t.Fatalf("an expired request ran: %+v", runs)
	}
}

// 8: with audit.schedule "* * * * *", a post in slack.audit_channel with
// the matrix and the report files within 75 s, and the next one says what
// changed or that nothing did. Real minutes must pass: the schedule's clock
// is the wall clock here (duty's own tests use a fake one).
func TestServeScheduledAudit(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end, two minutes")
	}
	// Mostly waiting for the minute's schedule: it waits beside the
	// other long end-to-end test, not after it.
	t.Parallel()
	s := startServeWith(t, []string{"WSBBOT_AUDIT_SCHEDULE=* * * * *", "WSBBOT_SLACK_AUDIT_CHANNEL=C10", "WSBBOT_WATCH_ENABLED=false"}, nil)
	posts := func() []slacktest.Message {
		var out []slacktest.Message
		for _, m := range s.slack.Messages("C10") {
			if m.BotID != "" && m.ThreadTS == "" && strings.Contains(shown(m), "bmr") {
				out = append(out, m)
			}
		}
		return out
	}
	s.waitFor("the first scheduled audit post", func() bool { return len(posts()) >= 1 })
	first := posts()[0]
	for _, w := range []string{"restore-test", "no-bmr", "FAIL"} {
		if !strings.Contains(shown(first), w) {
			t.Errorf("the audit post lacks %q:\n%s", w, shown(first))
		}
	}
	s.waitFor("the report files in the post's thread", func() bool {
		n := 0
		for _, f := range s.slack.Files() {
			if f.Channel == "C10" && f.ThreadTS == first.TS && f.Completed {
				n++
			}
		}
		return n >= 2
	})
	s.waitFor("the second scheduled audit post", func() bool { return len(posts()) >= 2 })
	second := posts()[1]
	if !strings.Contains(shown(second), "still failing for 2 audits") && !strings.Contains(strings.ToLower(shown(second)), "changed") {
		t.Errorf("the second post says nothing of what changed:\n%s", shown(second))
	}
	s.writeSlackTranscript("scheduled-audit", "C10", "")
}

// Quorum 2 (slack.quorum: 2, approvers U_BOB and U_CAROL): the first
// approval says 1 of 2 and runs nothing; the same approver again counts
// once; the second approver's click runs the fix once.
func TestServeApprovalQuorumTwo(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	s := startApprovals(t, "WSBBOT_SLACK_APPROVERS=U_BOB,U_CAROL", "WSBBOT_SLACK_QUORUM=2")
	thread, plan := s.request("C05", userAlice, "Approve", "Deny")
	if !strings.Contains(shown(plan), "0 of 2 approval(s) given; 2 more of <@U_BOB>, <@U_CAROL>") {
		t.Errorf("the plan does not say that two of U_BOB, U_CAROL must approve:\n%s", shown(plan))
	}
	if _, err := s.slack.Click("C05", plan.TS, userBob.ID, "Approve"); err != nil {
		t.Fatal(err)
	}
	s.waitThread("the first approval", "C05", thread, containsAll("Approved by <@U_BOB>", "1 of 2 approval(s) given; 1 more of <@U_CAROL>"))
	// The same approver again: told privately it counts once.
	if got := s.clickRefused("C05", plan, userBob, "Approve"); !strings.Contains(got, "approved this already") || !strings.Contains(got, "1 of 2") {
		t.Errorf("a second click by the same approver answered %q", got)
	}
	if runs := s.fixRuns(); len(runs) != 0 {
		t.Fatalf("one approval of two ran the fix: %+v", runs)
	}
	if _, err := s.slack.Click("C05", plan.TS, userCarol.ID, "Approve"); err != nil {
		t.Fatal(err)
	}
	s.waitThread("the verified fix", "C05", thread, containsAll("Approved by <@U_BOB>, <@U_CAROL>", "succeeded, verified"))
	if runs := s.fixRuns(); len(runs) != 1 || runs[0].Status != "succeeded" {
		t.Fatalf("after the quorum: %+v, want one succeeded run", runs)
	}
	s.writeSlackTranscript("quorum-two", "C05", thread)
	for _, n := range s.slack.Unexpected() {
		t.Errorf("fake Slack saw: %s", n)
	}
}

// The changed plan: an approval is bound to the plan's hash. When the
// server's state the plan depends on changes (someone restarted the
// writer's service by hand), or the runbook file changes, between the
// request and the approval, the approval is void, nothing runs, and the
// thread says why.
func TestServeApprovalChangedPlan(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	// The runbook comes from runbooks.dirs: a copy of the bundled one.
	dir := t.TempDir()
	orig, err := runbooks.Bundled().Open("runbooks/vss-writer-restart.yaml")
	if err != nil {
		t.Fatal(err)
	}
	yaml, err := io.ReadAll(orig)
	orig.Close()
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "vss-writer-restart.yaml")
	if err := os.WriteFile(file, yaml, 0o600); err != nil {
		t.Fatal(err)
	}
	s := startApprovals(t, "WSBBOT_RUNBOOKS_DIRS="+dir)
	var host *lab.Host
	for _, h := range s.lab.Hosts() {
		if h.Name == "writer-failed" {
			host = h.Host
		}
	}

	// The runbook file: edited (a new version) while the bot was down.
	thread, plan := s.request("C05", userAlice, "Approve", "Deny")
	if code := s.shutdown(); code != 0 {
		t.Fatalf("serve exited %d:\n%s", code, s.stderr.String())
	}
	edited := strings.Replace(string(yaml), "version: 1\n", "version: 2\n", 1)
	if edited == string(yaml) {
		t.Fatal("the runbook has no 'version: 1' line to edit")
	}
	if err := os.WriteFile(file, []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	s.start()
	if _, err := s.slack.Click("C05", plan.TS, userBob.ID, "Approve"); err != nil {
		t.Fatal(err)
	}
	s.waitThread("the void approval", "C05", thread, containsAll("The plan changed since it was requested", "the runbook vss-writer-restart changed (v1 -", "v2, file ", "void and nothing ran"))
	if got := s.clickRefused("C05", plan, userBob, "Approve"); !strings.Contains(got, "void") {
		t.Errorf("Approve on a void request answered %q", got)
	}

	// The server's state: SQLWriter restarted by hand after the request,
	// so the plan would now restart nothing.
	thread, plan = s.request("C06", userAlice, "Approve", "Deny")
	if out, errOut, code := host.Exec(context.Background(), "net stop SQLWriter && net start SQLWriter"); code != 0 || host.WriterState("SqlServerWriter") != 1 {
		t.Fatalf("net stop/start SQLWriter: exit %d\n%s%s", code, out, errOut)
	}
	if _, err := s.slack.Click("C06", plan.TS, userBob.ID, "Approve"); err != nil {
		t.Fatal(err)
	}
	s.waitThread("the void approval", "C06", thread, containsAll("The plan changed since it was requested", "the server's state changed", "void and nothing ran"))
	if runs := s.fixRuns(); len(runs) != 0 {
		t.Fatalf("a void approval ran the fix: %+v", runs)
	}
	s.writeSlackTranscript("changed-plan-state", "C06", thread)
}

// The backup watch through serve (watch.every: 1m, real minutes): the
// lab's writer-failed server, whose last backup failed, is posted once in
// the incident channel with the catalogue's explanation and the Diagnose
// and Fix buttons; after a restart of the bot and a successful backup the
// recovery is posted once in the failure's thread, and the failure is not
// posted again.
func TestServeWatch(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end, two minutes")
	}
	// Mostly waiting for the minute's schedule: it waits beside the
	// other long end-to-end test, not after it.
	t.Parallel()
	s := startServeWith(t, []string{"WSBBOT_WATCH_EVERY=1m"}, nil)
	alerts := func(words ...string) []slacktest.Message {
		var out []slacktest.Message
		for _, top := range s.slack.Messages("C0INC") {
			for _, m := range s.slack.Thread("C0INC", top.TS) {
				if m.BotID != "" && containsAll(words...)([]slacktest.Message{m}) {
					out = append(out, m)
				}
			}
		}
		return out
	}
	failed := []string{"Backup failed on writer-failed", "0x800423F4", `"Diagnose"`, `"Fix"`}
	s.waitFor("the watch's failure post", func() bool { return len(alerts(failed...)) > 0 })
	post := alerts(failed...)[0]
	if post.ThreadTS != "" {
		t.Errorf("the failure was posted in a thread, not in the channel: %+v", post)
	}
	if code := s.shutdown(); code != 0 {
		t.Fatalf("serve exited %d:\n%s", code, s.stderr.String())
	}
	s.start()
	var host *lab.Host
	for _, h := range s.lab.Hosts() {
		if h.Name == "writer-failed" {
			host = h.Host
		}
	}
	if out, errOut, code := host.Exec(context.Background(), "net stop SQLWriter && net start SQLWriter"); code != 0 {
		t.Fatalf("net stop/start SQLWriter: exit %d\n%s%s", code, out, errOut)
	}
	if hr, _, err := host.RunBackup(); err != nil || hr != 0 {
		t.Fatalf("the backup after the fix: %#x, %v", hr, err)
	}
	recovered := []string{"Recovered: the backup of `writer-failed` succeeded"}
	s.waitFor("the recovery in the failure's thread", func() bool { return len(alerts(recovered...)) > 0 })
	if rs := alerts(recovered...); len(rs) != 1 || rs[0].ThreadTS != post.TS {
		t.Errorf("recovery posts: %+v, want one in the thread of %s", rs, post.TS)
	}
	if rs := alerts(failed...); len(rs) != 1 {
		t.Errorf("%d failure posts for writer-failed across a restart, want 1:\n%s", len(rs), shown(rs...))
	}
	s.writeSlackTranscript("watch", "C0INC", post.TS)
}
