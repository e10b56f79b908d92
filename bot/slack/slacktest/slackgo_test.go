package slacktest_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/wsbbot/wsbbot/bot/slack/slacktest"
)

// hang bounds every wait: no assertion depends on it.
const hang = 30 * time.Second

func baseOptions() slacktest.Options {
	return slacktest.Options{
		Channels: []slacktest.Channel{
			{ID: "C111", Name: "backup-alerts"},
			{ID: "D111", IsIM: true, User: "U111"},
			{ID: "C222", Name: "private-ops", IsPrivate: true, Members: []string{"U111"}},
		},
		Users: []slacktest.User{
			{ID: "U111", Name: "alice", RealName: "Alice", Locale: "ja-JP", TZ: "Asia/Tokyo"},
			{ID: "U222", Name: "bob", RealName: "Bob", Locale: "en-US", TZ: "Europe/London"},
		},
		UserGroups: []slacktest.UserGroup{{ID: "S111", Handle: "backup-approvers", Users: []string{"U111", "U222"}}},
	}
}

type bot struct {
	api *slack.Client
	sm  *socketmode.Client
	ctx context.Context
}

// startBot connects the real slack-go Socket Mode client to the fake.
func startBot(t testing.TB, s *slacktest.Server) *bot {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), hang)
	api := slack.New(s.BotToken(), slack.OptionAPIURL(s.APIURL()), slack.OptionAppLevelToken(s.AppToken()))
	sm := socketmode.New(api)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = sm.RunContext(ctx) // returns on cancel
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return &bot{api: api, sm: sm, ctx: ctx}
}

// next returns the next event of a type, skipping lifecycle events.
func (b *bot) next(t testing.TB, typ socketmode.EventType) socketmode.Event {
	t.Helper()
	for {
		select {
		case <-b.ctx.Done():
			t.Fatalf("no %s event: %v", typ, b.ctx.Err())
		case evt := <-b.sm.Events:
			if evt.Type == typ {
				return evt
			}
			switch evt.Type {
			case socketmode.EventTypeEventsAPI, socketmode.EventTypeInteractive, socketmode.EventTypeSlashCommand, socketmode.EventTypeErrorBadMessage:
				t.Fatalf("got %s event while waiting for %s: %+v", evt.Type, typ, evt.Data)
			}
		}
	}
}

func (b *bot) ack(t testing.TB, evt socketmode.Event, payload ...any) {
	t.Helper()
	if err := b.sm.Ack(*evt.Request, payload...); err != nil {
		t.Fatalf("ack: %v", err)
	}
}

func innerEvent(t testing.TB, evt socketmode.Event) (slackevents.EventsAPICallbackEvent, any) {
	t.Helper()
	api, ok := evt.Data.(slackevents.EventsAPIEvent)
	if !ok {
		t.Fatalf("data is %T", evt.Data)
	}
	cb, ok := api.Data.(*slackevents.EventsAPICallbackEvent)
	if !ok {
		t.Fatalf("outer data is %T", api.Data)
	}
	return *cb, api.InnerEvent.Data
}

func waitFor(t testing.TB, s *slacktest.Server, what string, pred func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), hang)
	defer cancel()
	if err := s.WaitFor(ctx, pred); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

func TestAppMentionIsDeliveredAndAcked(t *testing.T) {
	s := slacktest.Start(t, baseOptions())
	b := startBot(t, s)
	ts := s.UserSays("C111", "U111", "<@U0BOT> status srv01")

	msgEvt := b.next(t, socketmode.EventTypeEventsAPI)
	b.ack(t, msgEvt)
	cb1, inner1 := innerEvent(t, msgEvt)
	msg, ok := inner1.(*slackevents.MessageEvent)
	if !ok {
		t.Fatalf("first event is %T, want message", inner1)
	}
	mentionEvt := b.next(t, socketmode.EventTypeEventsAPI)
	b.ack(t, mentionEvt)
	cb2, inner2 := innerEvent(t, mentionEvt)
	am, ok := inner2.(*slackevents.AppMentionEvent)
	if !ok {
		t.Fatalf("second event is %T, want app_mention", inner2)
	}
	if cb1.EventID == cb2.EventID || cb1.EventID == "" {
		t.Errorf("event ids %q and %q: want two fresh ids", cb1.EventID, cb2.EventID)
	}
	got := []string{msg.Channel, msg.TimeStamp, msg.User, msg.ChannelType, am.Channel, am.TimeStamp, am.User, am.Text}
	want := []string{"C111", ts, "U111", "channel", "C111", ts, "U111", "<@U0BOT> status srv01"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	waitFor(t, s, "two acks", func() bool { return len(s.Acks()) == 2 })
	for _, a := range s.Acks() {
		if a.Late || a.Type != "events_api" {
			t.Errorf("ack %+v: want a timely events_api ack", a)
		}
	}
}

func TestDirectMessageHasNoAppMention(t *testing.T) {
	s := slacktest.Start(t, baseOptions())
	b := startBot(t, s)
	s.UserSays("D111", "U111", "<@U0BOT> help")
	s.UserSays("C111", "U111", "after")
	first := b.next(t, socketmode.EventTypeEventsAPI)
	_, inner := innerEvent(t, first)
	m, ok := inner.(*slackevents.MessageEvent)
	if !ok || m.ChannelType != "im" || !m.IsIM() {
		t.Fatalf("first event %T %+v: want an im message", inner, inner)
	}
	second := b.next(t, socketmode.EventTypeEventsAPI)
	if _, inner := innerEvent(t, second); inner.(*slackevents.MessageEvent).Text != "after" {
		t.Errorf("second event %+v: want the next message, no app_mention for a DM", inner)
	}
}

func approvalBlocks() []slack.Block {
	return []slack.Block{
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "Job *nightly* failed", false, false), nil, nil),
		slack.NewActionBlock("decision",
			slack.NewButtonBlockElement("approve_retry", "job-42", slack.NewTextBlockObject(slack.PlainTextType, "Retry", false, false)),
			slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, slack.NewTextBlockObject(slack.PlainTextType, "Host", false, false), "pick_host",
				slack.NewOptionBlockObject("srv01", slack.NewTextBlockObject(slack.PlainTextType, "srv01", false, false), nil),
				slack.NewOptionBlockObject("srv02", slack.NewTextBlockObject(slack.PlainTextType, "srv02", false, false), nil)),
		),
	}
}

func TestClickSelectAndResponseURL(t *testing.T) {
	s := slacktest.Start(t, baseOptions())
	b := startBot(t, s)
	parent := s.UserSays("C111", "U111", "<@U0BOT> retry nightly")
	for range 2 {
		b.ack(t, b.next(t, socketmode.EventTypeEventsAPI))
	}
	_, replyTS, err := b.api.PostMessageContext(b.ctx, "C111", slack.MsgOptionText("Job nightly failed", false),
		slack.MsgOptionBlocks(approvalBlocks()...), slack.MsgOptionTS(parent))
	if err != nil {
		t.Fatalf("post: %v", err)
	}

	if _, err := s.Select("C111", replyTS, "U222", "pick_host", "srv02"); err != nil {
		t.Fatal(err)
	}
	sel := b.next(t, socketmode.EventTypeInteractive)
	b.ack(t, sel)
	selCB := sel.Data.(slack.InteractionCallback)
	if got := selCB.ActionCallback.BlockActions[0].SelectedOption.Value; got != "srv02" {
		t.Errorf("selected %q, want srv02", got)
	}

	envID, err := s.Click("C111", replyTS, "U222", "Retry")
	if err != nil {
		t.Fatal(err)
	}
	click := b.next(t, socketmode.EventTypeInteractive)
	b.ack(t, click)
	cb := click.Data.(slack.InteractionCallback)
	act := cb.ActionCallback.BlockActions[0]
	got := []string{string(cb.Type), act.ActionID, act.BlockID, act.Value, cb.User.ID, cb.Channel.ID,
		cb.Container.MessageTs, cb.Container.ChannelID, cb.Container.ThreadTs, cb.Message.Timestamp, cb.Message.ThreadTimestamp, click.Request.EnvelopeID,
		cb.BlockActionState.Values["decision"]["pick_host"].SelectedOption.Value}
	want := []string{"block_actions", "approve_retry", "decision", "job-42", "U222", "C111",
		replyTS, "C111", parent, replyTS, parent, envID, "srv02"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("block_actions (-want +got):\n%s", diff)
	}
	if cb.TriggerID == "" || act.ActionTs == "" || !strings.HasPrefix(cb.ResponseURL, s.URL()+"/actions/") {
		t.Errorf("trigger %q, action_ts %q, response_url %q: want all set, the URL on the fake", cb.TriggerID, act.ActionTs, cb.ResponseURL)
	}

	if _, _, err := b.api.PostMessageContext(b.ctx, "", slack.MsgOptionReplaceOriginal(cb.ResponseURL), slack.MsgOptionText("Retrying nightly", false)); err != nil {
		t.Fatalf("response_url: %v", err)
	}
	if m, _ := s.Message("C111", replyTS); m.Text != "Retrying nightly" || m.Blocks != nil {
		t.Errorf("after replace_original: %+v", m)
	}
	if _, err := s.Click("C111", replyTS, "U222", "Retry"); err == nil {
		t.Error("click on a replaced message without buttons: want an error")
	}
}

func TestSlashCommandAckPayloadIsShown(t *testing.T) {
	s := slacktest.Start(t, baseOptions())
	b := startBot(t, s)
	if _, err := s.Slash("/wsb", "status srv01", "U111", "C111"); err != nil {
		t.Fatal(err)
	}
	evt := b.next(t, socketmode.EventTypeSlashCommand)
	cmd := evt.Data.(slack.SlashCommand)
	got := []string{cmd.Command, cmd.Text, cmd.UserID, cmd.UserName, cmd.ChannelID, cmd.ChannelName, cmd.TeamID}
	want := []string{"/wsb", "status srv01", "U111", "alice", "C111", "backup-alerts", "T0FAKE"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("slash command (-want +got):\n%s", diff)
	}
	if !evt.Request.AcceptsResponsePayload {
		t.Error("slash_commands envelope must accept a response payload")
	}
	b.ack(t, evt, map[string]any{"text": "checking srv01", "response_type": "ephemeral"})
	waitFor(t, s, "the ephemeral", func() bool { return len(s.Ephemerals("U111")) == 1 })
	if e := s.Ephemerals("U111")[0]; e.Text != "checking srv01" || e.Source != "ack" {
		t.Errorf("ephemeral %+v", e)
	}
}

func TestUnackedEventIsRedelivered(t *testing.T) {
	opts := baseOptions()
	opts.AckTimeout = 100 * time.Millisecond
	opts.MaxRetries = 1
	s := slacktest.Start(t, opts)
	b := startBot(t, s)
	s.UserSays("C111", "U111", "hello")
	first := b.next(t, socketmode.EventTypeEventsAPI) // not acked
	retry := b.next(t, socketmode.EventTypeEventsAPI)
	b.ack(t, retry)
	cb1, _ := innerEvent(t, first)
	cb2, _ := innerEvent(t, retry)
	if cb1.EventID != cb2.EventID {
		t.Errorf("event ids %q, %q: a retry carries the same event", cb1.EventID, cb2.EventID)
	}
	got := []any{first.Request.RetryAttempt, first.Request.RetryReason, retry.Request.RetryAttempt, retry.Request.RetryReason,
		first.Request.EnvelopeID == retry.Request.EnvelopeID}
	want := []any{0, "", 1, "timeout", false}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("retry (-want +got):\n%s", diff)
	}
	waitFor(t, s, "the ack", func() bool { return len(s.Acks()) == 1 })
	d := s.Deliveries()
	if len(d) != 2 || !d[0].TimedOut || d[1].TimedOut {
		t.Errorf("deliveries %+v: want the first timed out, the retry acked", d)
	}

	id, err := s.Redeliver(cb1.EventID)
	if err != nil {
		t.Fatal(err)
	}
	again := b.next(t, socketmode.EventTypeEventsAPI)
	b.ack(t, again)
	if cb3, _ := innerEvent(t, again); cb3.EventID != cb1.EventID || again.Request.EnvelopeID != id || again.Request.RetryAttempt != 0 {
		t.Errorf("redelivery %+v: want the same event in envelope %s, retry_attempt 0", again.Request, id)
	}
}

func TestReconnects(t *testing.T) {
	for _, tc := range []struct {
		name    string
		breakIt func(*slacktest.Server)
	}{
		{"disconnect", func(s *slacktest.Server) { s.Disconnect("refresh_requested") }},
		{"drop", func(s *slacktest.Server) { s.Drop() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := slacktest.Start(t, baseOptions())
			b := startBot(t, s)
			b.next(t, socketmode.EventTypeHello)
			tc.breakIt(s)
			s.UserSays("C111", "U111", "are you there")
			evt := b.next(t, socketmode.EventTypeEventsAPI)
			b.ack(t, evt)
			if n := s.Connections(); n != 2 {
				t.Errorf("apps.connections.open called %d times, want 2", n)
			}
			if d := s.Deliveries(); d[0].Conn != 2 {
				t.Errorf("delivered on connection %d, want the new one", d[0].Conn)
			}
		})
	}
}

func TestMalformedEnvelopeSurfacesAsBadMessage(t *testing.T) {
	s := slacktest.Start(t, baseOptions())
	b := startBot(t, s)
	b.next(t, socketmode.EventTypeHello)
	raw := `{"envelope_id":"bad-1","type":"events_api","payload":{"type":"event_callback","event_id":"EvBAD","event":{"type":"no_such_event"}},"accepts_response_payload":false,"retry_attempt":0,"retry_reason":""}`
	if err := s.DeliverRaw([]byte(raw)); err != nil {
		t.Fatal(err)
	}
	evt := b.next(t, socketmode.EventTypeErrorBadMessage)
	if evt.Request != nil {
		t.Errorf("bad message carries a request: %+v", evt.Request)
	}
	if err := b.sm.Send(socketmode.Response{EnvelopeID: "bad-1"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, s, "the ack", func() bool { return len(s.Acks()) == 1 })
	if a := s.Acks()[0]; a.EnvelopeID != "bad-1" || !a.Late {
		t.Errorf("ack %+v: want bad-1, untracked", a)
	}
}

func TestBotEchoCarriesBotID(t *testing.T) {
	opts := baseOptions()
	opts.EchoBotMessages = true
	s := slacktest.Start(t, opts)
	b := startBot(t, s)
	_, ts, err := b.api.PostMessageContext(b.ctx, "C111", slack.MsgOptionText("done", false))
	if err != nil {
		t.Fatal(err)
	}
	evt := b.next(t, socketmode.EventTypeEventsAPI)
	b.ack(t, evt)
	_, inner := innerEvent(t, evt)
	m := inner.(*slackevents.MessageEvent)
	if m.BotID != "B0BOT" || m.TimeStamp != ts || m.User != "U0BOT" {
		t.Errorf("echo %+v: want bot_id B0BOT, ts %s", m, ts)
	}
}

func TestUploadFileLandsInThread(t *testing.T) {
	s := slacktest.Start(t, baseOptions())
	b := startBot(t, s)
	_, parent, err := b.api.PostMessageContext(b.ctx, "C111", slack.MsgOptionText("running", false))
	if err != nil {
		t.Fatal(err)
	}
	sum, err := b.api.UploadFileContext(b.ctx, slack.UploadFileParameters{
		Filename: "Response.txt", Title: "Response", Content: "long output", FileSize: len("long output"),
		Channel: "C111", ThreadTimestamp: parent, InitialComment: "full output",
	})
	if err != nil {
		t.Fatalf("upload: %v", err)
	}
	files := s.Files()
	if len(files) != 1 {
		t.Fatalf("files %+v", files)
	}
	f := files[0]
	got := []string{sum.ID, sum.Title, string(f.Content), f.Channel, f.ThreadTS, f.InitialComment}
	want := []string{f.ID, "Response", "long output", "C111", parent, "full output"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("file (-want +got):\n%s", diff)
	}
	thread := s.Thread("C111", parent)
	if len(thread) != 2 || len(thread[1].Files) != 1 || thread[1].Files[0] != f.ID {
		t.Errorf("thread %+v: want the parent and the share", thread)
	}
	info, _, _, err := b.api.GetFileInfoContext(b.ctx, f.ID, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if sh := info.Shares.Public["C111"]; len(sh) != 1 || sh[0].Ts != f.ShareTS {
		t.Errorf("files.info shares %+v: want the share ts %s", info.Shares, f.ShareTS)
	}
}

func TestUsersAndUserGroups(t *testing.T) {
	s := slacktest.Start(t, baseOptions())
	api := slack.New(s.BotToken(), slack.OptionAPIURL(s.APIURL()))
	ctx := context.Background()
	u, err := api.GetUserInfoContext(ctx, "U111")
	if err != nil {
		t.Fatal(err)
	}
	if u.Locale != "ja-JP" || u.Name != "alice" {
		t.Errorf("user %+v: want alice in ja-JP", u)
	}
	if _, err := api.GetUserInfoContext(ctx, "U999"); err == nil || err.Error() != "user_not_found" {
		t.Errorf("unknown user: %v", err)
	}
	members, err := api.GetUserGroupMembersContext(ctx, "S111")
	if err != nil || !cmp.Equal(members, []string{"U111", "U222"}) {
		t.Errorf("members %v, %v", members, err)
	}
	if _, err := api.GetUserGroupMembersContext(ctx, "S999"); err == nil || err.Error() != "no_such_subteam" {
		t.Errorf("unknown group: %v", err)
	}
	s.SetFreePlan(true)
	if _, err := api.GetUserGroupMembersContext(ctx, "S111"); err == nil || err.Error() != "plan_upgrade_required" {
		t.Errorf("free plan: %v", err)
	}
	info, err := api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: "C111"})
	if err != nil || info.Name != "backup-alerts" {
		t.Errorf("conversation %+v, %v", info, err)
	}
}

func TestRateLimitAndFaults(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	opts := baseOptions()
	opts.ChannelRate = 1
	opts.Now = func() time.Time { return now }
	s := slacktest.Start(t, opts)
	api := slack.New(s.BotToken(), slack.OptionAPIURL(s.APIURL()))
	ctx := context.Background()
	post := func() error {
		_, _, err := api.PostMessageContext(ctx, "C111", slack.MsgOptionText("x", false))
		return err
	}
	if err := post(); err != nil {
		t.Fatal(err)
	}
	var rl *slack.RateLimitedError
	if err := post(); !errors.As(err, &rl) || rl.RetryAfter != time.Second {
		t.Fatalf("second post in the same second: %v, want RateLimitedError after 1s", err)
	}
	now = now.Add(time.Second)
	if err := post(); err != nil {
		t.Fatalf("after a second: %v", err)
	}

	s.InjectFault("chat.postMessage", slacktest.Fault{Status: 429, RetryAfter: 7 * time.Second}, slacktest.Fault{Status: 503}, slacktest.Fault{Error: "fatal_error"})
	now = now.Add(time.Minute)
	if err := post(); !errors.As(err, &rl) || rl.RetryAfter != 7*time.Second {
		t.Errorf("injected 429: %v", err)
	}
	var sc slack.StatusCodeError
	if err := post(); !errors.As(err, &sc) || sc.Code != 503 {
		t.Errorf("injected 503: %v", err)
	}
	if err := post(); err == nil || err.Error() != "fatal_error" {
		t.Errorf("injected error: %v", err)
	}
	if err := post(); err != nil {
		t.Errorf("after the faults: %v", err)
	}
	if n := len(s.Messages("C111")); n != 3 {
		t.Errorf("%d messages stored, want 3", n)
	}
}

// TestFaultForOneChannel: a fault kept for a channel (by id or name) is
// taken by a call to that channel only; calls to others pass it by and
// leave it queued, in order.
func TestFaultForOneChannel(t *testing.T) {
	s := slacktest.Start(t, baseOptions())
	api := slack.New(s.BotToken(), slack.OptionAPIURL(s.APIURL()))
	ctx := context.Background()
	post := func(channel string) error {
		_, _, err := api.PostMessageContext(ctx, channel, slack.MsgOptionText("x", false))
		return err
	}
	s.InjectFault("chat.postMessage", slacktest.Fault{Error: "msg_too_long", Channel: "#backup-alerts"}, slacktest.Fault{Error: "invalid_blocks", Channel: "C111"})
	if err := post("D111"); err != nil {
		t.Fatalf("post to another channel: %v, want it to pass the faults by", err)
	}
	if err := post("C111"); err == nil || err.Error() != "msg_too_long" {
		t.Errorf("first post to C111: %v, want msg_too_long (kept for it by name)", err)
	}
	if err := post("#backup-alerts"); err == nil || err.Error() != "invalid_blocks" {
		t.Errorf("second post to C111, by name: %v, want invalid_blocks", err)
	}
	if err := post("C111"); err != nil {
		t.Errorf("after the faults: %v", err)
	}
}

func TestUpdateOthersMessage(t *testing.T) {
	s := slacktest.Start(t, baseOptions())
	api := slack.New(s.BotToken(), slack.OptionAPIURL(s.APIURL()))
	ts := s.UserSays("C111", "U111", "mine")
	if _, _, _, err := api.UpdateMessageContext(context.Background(), "C111", ts, slack.MsgOptionText("edited", false)); err == nil || err.Error() != "cant_update_message" {
		t.Errorf("update a user's message: %v", err)
	}
	if _, _, _, err := api.UpdateMessageContext(context.Background(), "C111", "1.000001", slack.MsgOptionText("x", false)); err == nil || err.Error() != "message_not_found" {
		t.Errorf("update a missing message: %v", err)
	}
}

func TestAckPayloadShape(t *testing.T) {
	// An events_api envelope as slack-go reads it must keep Slack's keys.
	s := slacktest.Start(t, baseOptions())
	b := startBot(t, s)
	s.UserSays("C111", "U111", "hi")
	evt := b.next(t, socketmode.EventTypeEventsAPI)
	b.ack(t, evt)
	var payload map[string]any
	if err := json.Unmarshal(evt.Request.Payload, &payload); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"token", "team_id", "api_app_id", "event", "type", "event_id", "event_time", "authorizations", "is_ext_shared_channel", "event_context"} {
		if _, ok := payload[k]; !ok {
			t.Errorf("payload lacks %q", k)
		}
	}
}

// TestCutNext: an envelope cut mid-frame never reaches slack-go, which
// reconnects, and the fake retries it on the next connection with
// retry_attempt 1 and retry_reason timeout. One written whole before the
// connection broke can be read; its ack goes out on the next connection
// (slack-go queues it), or is lost and the envelope retried.
func TestCutNext(t *testing.T) {
	for _, how := range []slacktest.Cut{slacktest.CutMidEnvelope, slacktest.CutBeforeAck} {
		t.Run(how.String(), func(t *testing.T) {
			opts := baseOptions()
			opts.AckTimeout = 200 * time.Millisecond
			s := slacktest.Start(t, opts)
			b := startBot(t, s)
			b.next(t, socketmode.EventTypeHello)
			s.CutNext(how, "app_mention")
			ts := s.UserSays("C111", "U111", "<@"+s.BotUserID()+"> hello")
			var mention socketmode.Event
			for mention.Request == nil {
				evt := b.next(t, socketmode.EventTypeEventsAPI)
				b.ack(t, evt)
				if _, inner := innerEvent(t, evt); inner != nil {
					if _, ok := inner.(*slackevents.AppMentionEvent); ok {
						mention = evt
					}
				}
			}
			var cut slacktest.Delivery
			for _, d := range s.Deliveries() {
				if d.Cut != 0 {
					cut = d
				}
			}
			if cut.Cut != how || cut.EventType != "app_mention" {
				t.Fatalf("cut delivery %+v, want the app_mention cut %s", cut, how)
			}
			if ids := s.PostEvents("C111", ts); len(ids) != 2 || ids[1] != cut.EventID {
				t.Errorf("PostEvents = %q, want the message and the cut mention %s", ids, cut.EventID)
			}
			waitFor(t, s, "a reconnection", func() bool { return s.Connections() >= 2 })
			if how == slacktest.CutMidEnvelope {
				var retry slacktest.Delivery
				for _, d := range s.Deliveries() {
					if d.EventID == cut.EventID && d.EnvelopeID == mention.Request.EnvelopeID {
						retry = d
					}
				}
				if mention.Request.RetryAttempt != 1 || mention.Request.RetryReason != "timeout" || !cut.TimedOut ||
					retry.EventID != cut.EventID || retry.RetryAttempt != 1 || retry.Conn <= cut.Conn {
					t.Errorf("read %+v; cut %+v, last delivery %+v: want only the retry (1, timeout) on a later connection", mention.Request, cut, retry)
				}
				return
			}
			waitFor(t, s, "the cut envelope acked late or retried", func() bool {
				for _, a := range s.Acks() {
					if a.EnvelopeID == cut.EnvelopeID {
						return true
					}
				}
				for _, d := range s.Deliveries() {
					if d.EventID == cut.EventID && d.RetryAttempt == 1 {
						return true
					}
				}
				return false
			})
		})
	}
}

// TestResendEnvelope: an envelope comes again under its own id, with
// retry_attempt 0.
func TestResendEnvelope(t *testing.T) {
	s := slacktest.Start(t, baseOptions())
	b := startBot(t, s)
	s.UserSays("C111", "U111", "hello")
	first := b.next(t, socketmode.EventTypeEventsAPI)
	b.ack(t, first)
	if err := s.ResendEnvelope(first.Request.EnvelopeID); err != nil {
		t.Fatal(err)
	}
	again := b.next(t, socketmode.EventTypeEventsAPI)
	b.ack(t, again)
	cb1, _ := innerEvent(t, first)
	cb2, _ := innerEvent(t, again)
	if again.Request.EnvelopeID != first.Request.EnvelopeID || cb2.EventID != cb1.EventID || again.Request.RetryAttempt != 0 {
		t.Errorf("resent %+v (event %s), want envelope %s, event %s, retry_attempt 0", again.Request, cb2.EventID, first.Request.EnvelopeID, cb1.EventID)
	}
	if err := s.ResendEnvelope("no-such-envelope"); err == nil {
		t.Error("ResendEnvelope of an unknown envelope: no error")
	}
}
