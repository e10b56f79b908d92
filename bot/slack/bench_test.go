package slack

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/wsbbot/wsbbot/bot"
	"github.com/wsbbot/wsbbot/bot/slack/slacktest"
	"github.com/wsbbot/wsbbot/oncall"
	"github.com/wsbbot/wsbbot/runbooks"
)

// tsTime reads a Slack ts ("seconds.micros") as a time.
func tsTime(ts string) time.Time {
	sec, frac, _ := strings.Cut(ts, ".")
	s, _ := strconv.ParseInt(sec, 10, 64)
	us, _ := strconv.ParseInt(frac, 10, 64)
	return time.Unix(s, us*1000)
}

// BenchmarkLookupLatency: mentions with an error code at 200 events/s
// through the fake Slack, the real slack-go client, the adapter and the
// core; the latency of each is the ts of the bot's reply minus the ts of
// the user's message (both from the fake's clock). Channels rotate so
// that Slack's one message per second per channel is kept without
// waiting.
func BenchmarkLookupLatency(b *testing.B) {
	const rate = 200
	opts := slacktest.Options{Users: []slacktest.User{{ID: "U0EN", Name: "alice", Locale: "en-US"}}}
	channels := max(b.N, 1)
	for i := range channels {
		opts.Channels = append(opts.Channels, slacktest.Channel{ID: fmt.Sprintf("C%05d", i), Name: fmt.Sprintf("ops-%05d", i)})
	}
	fake := slacktest.Start(b, opts)
	set, err := runbooks.LoadBundled()
	if err != nil {
		b.Fatal(err)
	}
	svc, err := oncall.New(oncall.Deps{Runbooks: set})
	if err != nil {
		b.Fatal(err)
	}
	api := slackgo.New(fake.BotToken(), slackgo.OptionAPIURL(fake.APIURL()), slackgo.OptionAppLevelToken(fake.AppToken()))
	poster := NewPoster(PosterOptions{API: api})
	core := bot.New(bot.Options{Service: svc, Poster: poster})
	defer core.Close(context.Background())
	a, err := New(Options{API: api, Poster: poster, Handler: core})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, 5*time.Second) }()
	defer func() { cancel(); <-done }()
	wait, stop := context.WithTimeout(context.Background(), time.Minute)
	defer stop()
	for !a.Connected() { // the adapter's state is not the fake's: poll
		if wait.Err() != nil {
			b.Fatal("not connected")
		}
		time.Sleep(time.Millisecond)
	}
	// One lookup first, so that the user's locale is cached as in a
	// running bot.
	fake.UserSays("C00000", "U0EN", "<@U0BOT> 0x80780119")
	_ = fake.WaitFor(wait, func() bool { return len(fake.CallsTo("chat.postMessage")) == 1 })

	b.ResetTimer()
	sent := make([]string, b.N)
	tick := time.NewTicker(time.Second / rate)
	for i := range b.N {
		<-tick.C
		sent[i] = fake.UserSays(fmt.Sprintf("C%05d", i%channels), "U0EN", "<@U0BOT> 0x80780119")
	}
	tick.Stop()
	if err := fake.WaitFor(wait, func() bool { return len(fake.CallsTo("chat.postMessage")) >= b.N+1 }); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	var lat []time.Duration
	for i, ts := range sent {
		for _, m := range fake.Thread(fmt.Sprintf("C%05d", i%channels), ts) {
			if m.BotID != "" {
				lat = append(lat, tsTime(m.TS).Sub(tsTime(ts)))
				break
			}
		}
	}
	if len(lat) != b.N {
		b.Fatalf("%d replies for %d mentions", len(lat), b.N)
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
