package main

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/wsbbot/wsbbot/bot/slack/slacktest"
	"github.com/wsbbot/wsbbot/internal/store"
)

// faultCase runs one Slack fault class against its own `wsbbot serve`,
// fake Slack and lab (startServe): f drives the fault and returns the
// questions asked; then serve stops (SIGTERM), and the case checks what
// every fault class must keep: each question answered exactly once, the
// record holding each question's dedupe keys (by event and by
// channel+ts) and every run finished (the diagnosis beside the fault), its
// chain verified, and no goroutine of serve, the fake or the lab left
// behind once they are closed.
func faultCase(t *testing.T, name string, f func(t *testing.T, s *served) []question) {
	t.Run(name, func(t *testing.T) {
		// Registered first, so it runs last: after serve, the fake and the
		// lab have been closed by startServe's clean-ups.
		leaks := goleak.IgnoreCurrent()
		t.Cleanup(func() { goleak.VerifyNone(t, leaks) })
		s := startServe(t, nil)
		qs := f(t, s)
		if code := s.shutdown(); code != 0 {
			t.Fatalf("serve exited %d after SIGTERM:\n%s", code, s.stderr.String())
		}
		// After serve stopped nothing more can be posted: count now.
		for _, q := range qs {
			rs := s.botReplies(q.channel, q.ts)
			if got := shown(rs...); len(rs) != q.replies || !strings.Contains(got, q.want) {
				t.Errorf("%s in %s/%s: %d replies, want %d holding %q:\n%s", q.text, q.channel, q.ts, len(rs), q.replies, q.want, got)
			}
		}
		var keys []string
		for _, q := range qs {
			keys = append(keys, "msg:"+q.channel+"/"+q.ts)
		}
		for _, d := range s.slack.Deliveries() {
			if d.EventType == "app_mention" {
				keys = append(keys, "event:"+d.EventID)
			}
		}
		received, runs := s.record(keys)
		diagnosed := 0
		for _, r := range runs {
			if r.Target == "writer-failed" && strings.HasPrefix(r.Runbook, "diag-") {
				diagnosed++
			}
			if r.Status != store.StatusSucceeded && r.Status != store.StatusFailed {
				t.Errorf("run %s (%s on %s) is %s in the record, want it finished", r.ID, r.Runbook, r.Target, r.Status)
			}
		}
		if diagnosed == 0 {
			t.Error("the record holds no run of the diagnosis beside the fault")
		}
		for _, q := range qs {
			if !received["msg:"+q.channel+"/"+q.ts] {
				t.Errorf("%s in %s/%s: the record has not seen it", q.text, q.channel, q.ts)
			}
		}
		for _, d := range s.slack.Deliveries() {
			if d.EventType == "app_mention" && !received["event:"+d.EventID] {
				t.Errorf("the record has not seen the app_mention event %s", d.EventID)
			}
		}
		if strings.Contains(s.stderr.String(), "event dropped") {
			t.Errorf("serve dropped events:\n%s", s.stderr.String())
		}
	})
}

// question is what a user asked, where, and what its answer must hold.
type question struct {
	text, channel, ts string
	want              string
	replies           int // bot messages in its thread: 1, or 2 with a progress message
}

// ask has a user mention the bot (channel C...) or write to it (D...).
func (s *served) ask(channel, user, text, want string) question {
	msg := text
	if !strings.HasPrefix(channel, "D") {
		msg = "<@" + s.slack.BotUserID() + "> " + text
	}
	return question{text: text, channel: channel, ts: s.slack.UserSays(channel, user, msg), want: want, replies: 1}
}

// diagnosis starts the other work of a fault case: a diagnosis of
// writer-failed (a progress message edited as the runbooks run, then the
// verdict).
func (s *served) diagnosis(channel, user string) question {
	q := s.ask(channel, user, "diagnose writer-failed 0x800423F4", "SQLWriter")
	q.replies = 2
	return q
}

// answered waits for each question's answer.
func (s *served) answered(qs ...question) {
	s.t.Helper()
	for _, q := range qs {
		s.waitThread("the answer to "+q.text, q.channel, q.ts, containsAll(q.want))
	}
}

// settled waits until every envelope delivered so far has been acked or
// has timed out (and so been redelivered, when Slack would).
func (s *served) settled() {
	s.t.Helper()
	s.waitFor("every envelope acked or timed out", func() bool {
		acked := map[string]bool{}
		for _, a := range s.slack.Acks() {
			acked[a.EnvelopeID] = true
		}
		for _, d := range s.slack.Deliveries() {
			if !d.TimedOut && !acked[d.EnvelopeID] {
				return false
			}
		}
		return true
	})
}

// record reads the record of a stopped serve: which of the dedupe keys
// it has seen (store.MarkSeen finds them known), and its runs.
func (s *served) record(keys []string) (map[string]bool, []store.RunSummary) {
	s.t.Helper()
	st, err := store.Open(s.store, store.Options{})
	if err != nil {
		s.t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	if rep, err := st.Verify(ctx); err != nil || !rep.OK {
		s.t.Errorf("the record does not verify: %v %+v", err, rep)
	}
	fresh, err := st.MarkSeen(ctx, keys)
	if err != nil {
		s.t.Fatal(err)
	}
	ids := map[string]bool{}
	for i, k := range keys {
		ids[k] = !fresh[i]
	}
	runs, err := st.Runs(ctx, store.RunFilter{})
	if err != nil {
		s.t.Fatal(err)
	}
	return ids, runs
}

// metric returns the value of one series of /metrics ("" when absent).
func (s *served) metric(series string) string {
	_, body := s.get("/metrics")
	for _, l := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(l, series+" "); ok {
			return v
		}
	}
	return ""
}

// TestServeSlackFaults drives the real `wsbbot serve`, through the real
// slack-go client, against a fake Slack that misbehaves as Slack does:
// 429 storms, dropped sockets, redelivered events and refused blocks.
// In each case a diagnosis runs beside the fault and must finish.
func TestServeSlackFaults(t *testing.T) {
	en := chatUsers["en"].ID

	// (a) A 429 storm: chat.postMessage and chat.update answer 429 with
	// Retry-After many times in a row, while questions come in five
	// channels. Every reply arrives once, the bot keeps Slack's pace (the
	// fake's one message per second per channel never has to refuse one),
	// nothing is dropped and memory stays bounded.
	faultCase(t, "429 storm", func(t *testing.T, s *served) []question {
		const posts, updates = 16, 4
		limited := slacktest.Fault{Status: http.StatusTooManyRequests, RetryAfter: time.Second}
		for range posts {
			s.slack.InjectFault("chat.postMessage", limited)
		}
		for range updates {
			s.slack.InjectFault("chat.update", limited)
		}
		var before runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		goroutines := runtime.NumGoroutine()
		qs := []question{s.diagnosis("C05", en)}
		codes := []string{"0x80780119", "0x80780166", "0x800423F4"}
		for round := range 3 {
			for c := 1; c <= 4; c++ {
				qs = append(qs, s.ask(fmt.Sprintf("C%02d", c), en, codes[(c+round)%3], codes[(c+round)%3]))
			}
		}
		peak := 0
		for _, q := range qs {
			peak = max(peak, runtime.NumGoroutine())
			s.answered(q)
		}
		s.settled()
		var after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&after)
		t.Logf("429 storm: %d questions answered; goroutines %d before, %d at most during; heap in use %.1f MB before, %.1f MB after",
			len(qs), goroutines, peak, float64(before.HeapInuse)/1e6, float64(after.HeapInuse)/1e6)
		// Bounded: the waits hold a worker each, nothing piles up per 429.
		if peak > goroutines+200 {
			t.Errorf("%d goroutines during the storm, %d before", peak, goroutines)
		}
		if grown := int64(after.HeapInuse) - int64(before.HeapInuse); grown > 64<<20 {
			t.Errorf("the heap grew by %d MB during the storm", grown>>20)
		}
		var got429 = map[string]int{}
		for _, c := range s.slack.Calls() {
			if c.Status == http.StatusTooManyRequests {
				got429[c.Method]++
			}
		}
		if got429["chat.postMessage"] != posts || got429["chat.update"] != updates {
			t.Errorf("429s answered: %v; want exactly the %d chat.postMessage and %d chat.update injected (more: the bot broke Slack's pace)",
				got429, posts, updates)
		}
		if v := s.metric(`wsbbot_slack_api_errors_total{method="chat.postMessage"}`); v != fmt.Sprint(posts) {
			t.Errorf("wsbbot_slack_api_errors_total for chat.postMessage = %q, want %d", v, posts)
		}
		if v := s.metric("wsbbot_events_dropped_total"); v != "0" {
			t.Errorf("wsbbot_events_dropped_total = %q, want 0", v)
		}
		return qs
	})

	// (b) Dropped sockets: the connection breaks again and again, in the
	// middle of an envelope and after one was written but before its ack
	// could come back, and without any envelope. slack-go reconnects
	// (apps.connections.open again), the fake redelivers what was not
	// acked with retry_attempt and retry_reason as Slack does, and each
	// question is answered once.
	faultCase(t, "dropped sockets", func(t *testing.T, s *served) []question {
		qs := []question{s.diagnosis("C09", en)}
		n := 0
		for round := range 2 {
			for _, cut := range []slacktest.Cut{slacktest.CutMidEnvelope, slacktest.CutBeforeAck} {
				for _, where := range []string{"C", "D"} {
					opened := s.slack.Connections()
					var q question
					if where == "D" {
						s.slack.CutNext(cut, "message")
						q = s.ask("D"+en, en, "0x80780166", "0x80780166")
					} else {
						n++
						s.slack.CutNext(cut, "app_mention")
						q = s.ask(fmt.Sprintf("C%02d", n), en, "0x80780119", "0x80780119")
					}
					s.waitFor("a new connection", func() bool { return s.slack.Connections() > opened && s.slack.LiveConnections() > 0 })
					s.answered(q)
					qs = append(qs, q)
					t.Logf("round %d: cut %s on a %s: answered", round+1, cut, map[string]string{"C": "mention", "D": "DM"}[where])
				}
			}
			// A drop between envelopes, none in flight.
			opened := s.slack.Connections()
			s.slack.Drop()
			s.waitFor("a new connection", func() bool { return s.slack.Connections() > opened && s.slack.LiveConnections() > 0 })
			n++
			q := s.ask(fmt.Sprintf("C%02d", n), en, "0x80780166", "0x80780166")
			s.answered(q)
			qs = append(qs, q)
		}
		s.answered(qs[0])
		s.settled()
		// Every envelope cut mid-frame came again, as a retry.
		var cuts, retried int
		for _, d := range s.slack.Deliveries() {
			if d.Cut != slacktest.CutMidEnvelope {
				continue
			}
			cuts++
			for _, r := range s.slack.Deliveries() {
				if r.EventID == d.EventID && r.RetryAttempt > d.RetryAttempt && r.RetryReason == "timeout" {
					retried++
					break
				}
			}
		}
		if cuts != 4 || retried != cuts {
			t.Errorf("%d envelopes cut mid-frame, %d of them retried with retry_reason timeout; want 4 and 4", cuts, retried)
		}
		if v := s.metric("wsbbot_reconnects_total"); v != "10" {
			t.Errorf("wsbbot_reconnects_total = %q, want 10 (8 cuts and 2 drops)", v)
		}
		return qs
	})

	// (c) Redelivery: one event delivered again and again, in new
	// envelopes and under its own envelope id, while the first delivery is
	// still being handled and after it was answered; the message and
	// app_mention pair of one post. One reply each.
	faultCase(t, "redelivery", func(t *testing.T, s *served) []question {
		qs := []question{s.diagnosis("C09", en)}
		again := func(q question) {
			for _, d := range s.eventsOf(q) {
				for range 3 {
					if _, err := s.slack.Redeliver(d.EventID); err != nil {
						t.Fatal(err)
					}
				}
				if err := s.slack.ResendEnvelope(d.EnvelopeID); err != nil {
					t.Fatal(err)
				}
			}
		}
		// At once: the copies race the first delivery through the workers.
		for i, ch := range []string{"C01", "C02", "D" + en} {
			q := s.ask(ch, en, "0x80780119", "0x80780119")
			again(q)
			qs = append(qs, q)
			if i == 0 {
				again(q) // twice
			}
		}
		// After the answer.
		q := s.ask("C03", en, "0x80780166", "0x80780166")
		s.answered(q)
		s.settled()
		again(q)
		qs = append(qs, q)
		s.answered(qs...)
		s.settled()
		return qs
	})

	// (d) Block rejection: Slack answers invalid_blocks, or msg_too_long
	// to the text as well. The user still gets the answer, as text (and,
	// when the text was refused too, whole in a file in the thread); the
	// refusal is logged and counted. Each fault is kept for its channel:
	// the bot may post elsewhere meanwhile (a backup watch alert in the
	// incident channel took one, before).
	faultCase(t, "block rejection", func(t *testing.T, s *served) []question {
		s.slack.InjectFault("chat.update", slacktest.Fault{Error: "invalid_blocks", Channel: "C09"})
		qs := []question{s.diagnosis("C09", en)}
		s.answered(qs[0])
		s.slack.InjectFault("chat.postMessage", slacktest.Fault{Error: "invalid_blocks", Channel: "C01"})
		q := s.ask("C01", en, "0x80780119", "0x80780119")
		rs := s.waitThread("the answer as text", "C01", q.ts, containsAll("0x80780119"))
		if len(rs[0].Blocks) != 0 || !strings.Contains(rs[0].Text, "0x80780119") || !strings.Contains(rs[0].Text, "Cause") {
			t.Errorf("after invalid_blocks the answer is not the reply as text:\n%s", shown(rs...))
		}
		qs = append(qs, q)
		s.slack.InjectFault("chat.postMessage", slacktest.Fault{Error: "msg_too_long", Channel: "C02"}, slacktest.Fault{Error: "msg_too_long", Channel: "C02"})
		q = s.ask("C02", en, "0x80780166", "0x80780166")
		s.waitFor("the answer's file", func() bool {
			for _, f := range s.slack.Files() {
				if f.Channel == "C02" && f.ThreadTS == q.ts && strings.Contains(string(f.Content), "0x80780166") && strings.Contains(string(f.Content), "Cause") {
					return true
				}
			}
			return false
		})
		q.replies = 2 // the head of the answer, and the message sharing its file
		qs = append(qs, q)
		s.settled()
		for _, series := range []string{`wsbbot_reply_fallbacks_total{error="invalid_blocks",method="chat.postMessage"} 1`,
			`wsbbot_reply_fallbacks_total{error="msg_too_long",method="chat.postMessage"} 2`,
			`wsbbot_reply_fallbacks_total{error="invalid_blocks",method="chat.update"} 1`,
			`wsbbot_slack_api_errors_total{method="chat.postMessage"} 3`} {
			name, want, _ := strings.Cut(series, "} ")
			if got := s.metric(name + "}"); got != want {
				t.Errorf("/metrics: %s} = %q, want %s", name, got, want)
			}
		}
		log := s.stderr.String()
		for _, code := range []string{"invalid_blocks", "msg_too_long"} {
			if !strings.Contains(log, "slack refused a reply") || !strings.Contains(log, code) {
				t.Errorf("the log does not show the refusal %s:\n%s", code, log)
			}
		}
		return qs
	})
}

// eventsOf returns the first delivery of each event of a question's
// post (message, and app_mention in a channel).
func (s *served) eventsOf(q question) []slacktest.Delivery {
	var out []slacktest.Delivery
	for _, id := range s.slack.PostEvents(q.channel, q.ts) {
		for _, d := range s.slack.Deliveries() {
			if d.EventID == id {
				out = append(out, d)
				break
			}
		}
	}
	if len(out) == 0 {
		s.t.Fatalf("no event delivered for %s/%s", q.channel, q.ts)
	}
	return out
}
