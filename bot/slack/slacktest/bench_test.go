package slacktest_test

import (
	"testing"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/wsbbot/wsbbot/bot/slack/slacktest"
)

// BenchmarkRoundTrip measures one chat turn through the fake with the real
// slack-go client: UserSays -> the Socket Mode client reads the event and
// acks it -> chat.postMessage in the thread -> the reply is stored. It is
// the baseline for the bot's chat latency benchmark.
func BenchmarkRoundTrip(b *testing.B) {
	s := slacktest.New(baseOptions())
	defer s.Close()
	bt := startBot(b, s)
	bt.next(b, socketmode.EventTypeHello)
	b.ResetTimer()
	for b.Loop() {
		ts := s.UserSays("C111", "U111", "status")
		evt := bt.next(b, socketmode.EventTypeEventsAPI)
		bt.ack(b, evt)
		if _, _, err := bt.api.PostMessageContext(bt.ctx, "C111", slack.MsgOptionText("ok", false), slack.MsgOptionTS(ts)); err != nil {
			b.Fatal(err)
		}
		if len(s.Thread("C111", ts)) != 2 {
			b.Fatal("reply not stored")
		}
	}
}
