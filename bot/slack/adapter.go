package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	slackgo "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/wsbbot/wsbbot/bot"
)

// Handler is the conversation core as the adapter uses it (*bot.Core).
type Handler interface {
	Handle(ctx context.Context, m bot.Message) error
	Act(ctx context.Context, a bot.Action) error
	MenuOptions(load, query string) []bot.Option
}

// Seen remembers the events taken for handling: First reports whether
// every key is new, and remembers them all, in one write. It must be safe
// for concurrent use and atomic: of two calls sharing a key, one only
// returns true.
type Seen interface {
	First(ctx context.Context, keys ...string) (bool, error)
}

// Options configure an Adapter.
type Options struct {
	// API is slack-go's client with the bot token and the app-level token
	// (slack.OptionAppLevelToken); for a fake Slack, slack.OptionAPIURL.
	API *slackgo.Client
	// Poster is what replies go through; the adapter also reads users
	// (their locale) through it.
	Poster  *Poster
	Handler Handler
	// Seen keeps the ids of events handled (nil: in memory only).
	Seen Seen
	// IncidentChannels are channel ids or names (#name) where a plain
	// message holding an error code is answered without a mention.
	IncidentChannels []string
	// Workers handle events at most this many at once (0: 8); Queue more
	// wait (0: 1024), beyond which an event is dropped and logged.
	Workers, Queue int
	// Socket are extra Socket Mode options (ping interval, dialer).
	Socket  []socketmode.Option
	Metrics *Metrics
	Logger  *slog.Logger
}

// Adapter is the Slack adapter: over Socket Mode (Run), or over the HTTP
// Events API (RunHTTP and HTTPHandler). Run it once.
type Adapter struct {
	api      *slackgo.Client
	out      *Poster
	core     Handler
	seen     Seen
	incident []string
	workers  int
	metrics  *Metrics
	lg       *slog.Logger

	socketOpts []socketmode.Option

	jobs    chan job
	wg      sync.WaitGroup
	closeMu sync.RWMutex // closed and the closing of jobs
	closed  bool

	connected atomic.Bool
	opened    atomic.Int64

	botUser, botID string
	clicks         *recent
	signatures     *recent  // of HTTP requests taken, against replays
	channels       sync.Map // channel id -> name, for incident channels given by name
}

// job is one event to handle, with its type and the time it arrived.
type job struct {
	what string
	at   time.Time
	run  func(ctx context.Context) outcome
}

// outcome is what the handling of an event came to: the label of
// wsbbot_handling_seconds, so that the latency of replies is not mixed
// with that of the events dropped in a few microseconds.
type outcome string

const (
	replied   outcome = "replied"   // the core answered (its quick answer posted)
	duplicate outcome = "duplicate" // seen before (a retry, the message of a mention, a double click)
	ignored   outcome = "ignored"   // not for the bot: its own posts, other bots', edits, chatter
	failed    outcome = "failed"    // the core returned an error
)

// answered is the outcome of the core's answer.
func answered(err error) outcome {
	if err != nil {
		return failed
	}
	return replied
}

// New returns an adapter; Run connects it.
func New(o Options) (*Adapter, error) {
	if o.API == nil || o.Poster == nil || o.Handler == nil {
		return nil, errors.New("slack adapter: API, Poster and Handler are required")
	}
	a := &Adapter{api: o.API, out: o.Poster, core: o.Handler, seen: o.Seen, workers: o.Workers, metrics: o.Metrics, lg: o.Logger,
		clicks: newRecent(10000), signatures: newRecent(100000), socketOpts: o.Socket}
	for _, c := range o.IncidentChannels {
		if c = strings.TrimSpace(c); c != "" {
			a.incident = append(a.incident, c)
		}
	}
	if a.seen == nil {
		a.seen = NewMemorySeen(100000)
	}
	if a.workers <= 0 {
		a.workers = 8
	}
	queue := o.Queue
	if queue <= 0 {
		queue = 1024
	}
	if a.lg == nil {
		a.lg = slog.New(slog.DiscardHandler)
	}
	a.jobs = make(chan job, queue)
	return a, nil
}

// Connected reports whether a Socket Mode connection is open.
func (a *Adapter) Connected() bool { return a.connected.Load() }

// Run learns the bot's identity (auth.test), connects over Socket Mode
// and handles events until ctx ends. Then it stops taking events and
// waits for the events being handled, at most grace; it returns nil
// after a clean stop, or the error that made it stop (bad tokens).
func (a *Adapter) Run(ctx context.Context, grace time.Duration) error {
	if err := a.identify(ctx); err != nil {
		return err
	}
	sm := socketmode.New(a.api, a.socketOpts...)
	smCtx, stopSocket := context.WithCancel(ctx)
	defer stopSocket()
	smDone := make(chan error, 1)
	go func() { smDone <- sm.RunContext(smCtx) }()

	stopWork := a.startWorkers(ctx)
	var runErr error
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case err := <-smDone:
			if ctx.Err() == nil {
				runErr = fmt.Errorf("slack socket mode: %w", err)
			}
			break loop
		case evt := <-sm.Events:
			a.dispatch(ctx, sm, evt)
		}
	}
	a.connected.Store(false)
	stopSocket()
	stopWork(grace)
	return runErr
}

// RunHTTP is Run for the HTTP Events API: it learns the bot's identity
// and handles what HTTPHandler takes until ctx ends; then the handler
// answers 503 (Slack retries events later) and the events being handled
// get at most grace.
func (a *Adapter) RunHTTP(ctx context.Context, grace time.Duration) error {
	if err := a.identify(ctx); err != nil {
		return err
	}
	stopWork := a.startWorkers(ctx)
	a.connected.Store(true)
	<-ctx.Done()
	a.connected.Store(false)
	stopWork(grace)
	return nil
}

// identify learns the bot's own user and bot ids (auth.test).
func (a *Adapter) identify(ctx context.Context) error {
	who, err := a.api.AuthTestContext(ctx)
	if err != nil {
		return fmt.Errorf("slack auth.test: %w", err)
	}
	a.botUser, a.botID = who.UserID, who.BotID
	a.lg.Info("slack: connected as", "user", who.User, "user_id", who.UserID, "team", who.Team)
	return nil
}

// startWorkers starts the worker pool. The workers run on their own
// context: stop takes no more events, lets the queued and running ones
// finish for at most grace, then cancels them and waits.
func (a *Adapter) startWorkers(ctx context.Context) (stop func(grace time.Duration)) {
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	for range a.workers {
		a.wg.Add(1)
		go a.work(workCtx)
	}
	return func(grace time.Duration) {
		defer stopWork()
		a.closeMu.Lock()
		a.closed = true
		close(a.jobs)
		a.closeMu.Unlock()
		done := make(chan struct{})
		go func() { a.wg.Wait(); close(done) }()
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-done:
		case <-t.C:
			a.lg.Warn("slack: stopping with events still being handled")
			stopWork()
			<-done
		}
	}
}

func (a *Adapter) work(ctx context.Context) {
	defer a.wg.Done()
	for j := range a.jobs {
		o := j.run(ctx)
		d := time.Since(j.at)
		a.metrics.handled(o, d)
		if o == replied && a.lg.Enabled(ctx, slog.LevelDebug) {
			// One line per reply with its exact handling time, for
			// whoever needs exact percentiles rather than the
			// histogram's buckets (BenchmarkServeLookupLatency).
			a.lg.LogAttrs(ctx, slog.LevelDebug, handledLog, slog.String("event", j.what), slog.Duration("handling", d))
		}
	}
}

// handledLog is the message of the debug line logged for each reply.
const handledLog = "slack: replied"

// submit queues work; it never blocks the event loop. It reports false
// when the adapter has stopped taking events.
func (a *Adapter) submit(what string, f func(ctx context.Context) outcome) bool {
	a.closeMu.RLock()
	defer a.closeMu.RUnlock()
	if a.closed {
		return false
	}
	select {
	case a.jobs <- job{what: what, at: time.Now(), run: f}:
	default:
		a.metrics.drop()
		a.lg.Error("slack: work queue full: event dropped", "event", what)
	}
	return true
}

// dispatch acks a Socket Mode envelope at once, with take's answer, and
// follows the connection's state.
func (a *Adapter) dispatch(ctx context.Context, sm *socketmode.Client, evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeConnecting:
		a.connected.Store(false)
	case socketmode.EventTypeConnected, socketmode.EventTypeHello:
		if evt.Type == socketmode.EventTypeConnected && a.opened.Add(1) > 1 {
			a.metrics.reconnect()
		}
		a.connected.Store(true)
	case socketmode.EventTypeDisconnect, socketmode.EventTypeConnectionError, socketmode.EventTypeInvalidAuth:
		a.connected.Store(false)
		a.lg.Info("slack: connection lost: reconnecting", "event", string(evt.Type))
	case socketmode.EventTypeErrorBadMessage:
		a.ackMalformed(ctx, sm, evt)
	case socketmode.EventTypeEventsAPI, socketmode.EventTypeSlashCommand, socketmode.EventTypeInteractive:
		answer, _ := a.take(evt.Data)
		a.ack(sm, evt, answer)
	}
}

// take is what both transports (Socket Mode and the HTTP Events API) do
// with a request from Slack, parsed by slack-go: an Events API event
// (slackevents.EventsAPIEvent), a slash command (slack.SlashCommand) or
// an interaction (slack.InteractionCallback). It counts it, queues its
// handling and returns at once with the immediate answer (the ack's
// payload, or the HTTP response's body): for a menu that loads as one
// types, its options; otherwise nil. ok is false when the adapter has
// stopped taking events.
func (a *Adapter) take(data any) (answer any, ok bool) {
	switch d := data.(type) {
	case slackevents.EventsAPIEvent:
		a.metrics.event(d.InnerEvent.Type)
		return nil, a.submit(d.InnerEvent.Type, func(ctx context.Context) outcome { return a.onEvent(ctx, d) })
	case slackgo.SlashCommand:
		a.metrics.event("slash_command")
		return nil, a.submit("slash_command", func(ctx context.Context) outcome { return a.onSlash(ctx, d) })
	case slackgo.InteractionCallback:
		a.metrics.event(string(d.Type))
		switch d.Type {
		case slackgo.InteractionTypeBlockSuggestion:
			// The answer is the options, from memory.
			return map[string]any{"options": options(a.core.MenuOptions(strings.TrimPrefix(d.BlockID, loadBlockPrefix), d.Value))}, true
		case slackgo.InteractionTypeBlockActions:
			return nil, a.submit("block_actions", func(ctx context.Context) outcome { return a.onActions(ctx, d) })
		}
	}
	return nil, true
}

func (a *Adapter) ack(sm *socketmode.Client, evt socketmode.Event, payload any) {
	if evt.Request == nil {
		return
	}
	var err error
	if payload != nil {
		err = sm.Ack(*evt.Request, payload)
	} else {
		err = sm.Ack(*evt.Request)
	}
	if err != nil {
		a.lg.Warn("slack: ack failed", "envelope", evt.Request.EnvelopeID, "err", err)
	}
}

// ackMalformed acks an envelope slack-go could not parse, by the
// envelope_id in its raw text, so that Slack does not deliver it forever.
func (a *Adapter) ackMalformed(ctx context.Context, sm *socketmode.Client, evt socketmode.Event) {
	bad, ok := evt.Data.(*socketmode.ErrorBadMessage)
	if !ok {
		return
	}
	var env struct {
		EnvelopeID string `json:"envelope_id"`
	}
	if json.Unmarshal(bad.Message, &env) != nil || env.EnvelopeID == "" {
		a.lg.Warn("slack: malformed frame without an envelope id", "err", bad.Cause)
		return
	}
	a.metrics.event("malformed")
	a.lg.Warn("slack: malformed envelope acked and dropped", "envelope", env.EnvelopeID, "err", bad.Cause)
	if err := sm.AckCtx(ctx, env.EnvelopeID, nil); err != nil {
		a.lg.Warn("slack: ack failed", "envelope", env.EnvelopeID, "err", err)
	}
}

// first reports whether the event keys are all new (all are remembered,
// in one write).
func (a *Adapter) first(ctx context.Context, keys ...string) bool {
	ok, err := a.seen.First(ctx, keys...)
	if err != nil {
		// Without the record, answering twice is better than not at all.
		a.lg.Warn("slack: cannot record an event as seen", "keys", keys, "err", err)
		return true
	}
	if !ok {
		a.lg.Debug("slack: event seen before: dropped", "keys", keys)
	}
	return ok
}

func (a *Adapter) onEvent(ctx context.Context, ev slackevents.EventsAPIEvent) outcome {
	cb, _ := ev.Data.(*slackevents.EventsAPICallbackEvent)
	eventID := ""
	if cb != nil {
		eventID = cb.EventID
	}
	var m bot.Message
	switch e := ev.InnerEvent.Data.(type) {
	case *slackevents.AppMentionEvent:
		if e.BotID != "" || e.User == "" || e.User == a.botUser {
			return ignored
		}
		m = bot.Message{User: e.User, Channel: e.Channel, TS: e.TimeStamp, ThreadTS: e.ThreadTimeStamp, Text: e.Text, Source: bot.SourceMention}
	case *slackevents.MessageEvent:
		if e.SubType != "" || e.BotID != "" || e.User == "" || e.User == a.botUser {
			return ignored // edits, joins, file shares, bots (this one too)
		}
		m = bot.Message{User: e.User, Channel: e.Channel, TS: e.TimeStamp, ThreadTS: e.ThreadTimeStamp, Text: e.Text}
		switch {
		case e.ChannelType == "im":
			m.Source, m.DM = bot.SourceDM, true
		case strings.Contains(e.Text, "<@"+a.botUser+">") || strings.Contains(e.Text, "<@"+a.botUser+"|"):
			return duplicate // its app_mention answers
		case a.isIncident(ctx, e.Channel) && bot.Parse(e.Text).Verb == bot.VerbLookup:
			m.Source = bot.SourceChannel
		default:
			return ignored
		}
	default:
		return ignored
	}
	keys := []string{"msg:" + m.Channel + "/" + m.TS}
	if eventID != "" {
		keys = append([]string{"event:" + eventID}, keys...)
	}
	if !a.first(ctx, keys...) {
		return duplicate
	}
	a.withUser(ctx, &m.UserName, &m.Locale, m.User)
	err := a.core.Handle(ctx, m)
	if err != nil {
		a.lg.Error("slack: answer failed", "channel", m.Channel, "ts", m.TS, "err", err)
	}
	return answered(err)
}

func (a *Adapter) onSlash(ctx context.Context, cmd slackgo.SlashCommand) outcome {
	m := bot.Message{User: cmd.UserID, UserName: cmd.UserName, Channel: cmd.ChannelID, Text: cmd.Text, Source: bot.SourceSlash,
		DM: strings.HasPrefix(cmd.ChannelID, "D")}
	var name string
	a.withUser(ctx, &name, &m.Locale, m.User)
	err := a.core.Handle(ctx, m)
	if err != nil {
		a.lg.Error("slack: answer to /wsb failed", "channel", m.Channel, "err", err)
	}
	return answered(err)
}

func (a *Adapter) onActions(ctx context.Context, cb slackgo.InteractionCallback) outcome {
	channel := cb.Channel.ID
	if channel == "" {
		channel = cb.Container.ChannelID
	}
	thread := cb.Container.ThreadTs
	if thread == "" {
		thread = cb.Message.ThreadTimestamp
	}
	o := ignored // no action in the callback
	for _, act := range cb.ActionCallback.BlockActions {
		value := act.Value
		if act.SelectedOption.Value != "" {
			value = act.SelectedOption.Value
		}
		// Slack does not retry interactions, but a client may send a click
		// twice: the same action_ts on the same message by the same user.
		if !a.clicks.add(cb.Container.MessageTs + "/" + act.ActionTs + "/" + cb.User.ID + "/" + act.ActionID) {
			if o == ignored {
				o = duplicate
			}
			continue
		}
		act := bot.Action{User: cb.User.ID, UserName: cb.User.Name, Channel: channel, ThreadTS: thread,
			MessageTS: cb.Container.MessageTs, ActionID: actionID(act.ActionID), Value: value}
		var name string
		a.withUser(ctx, &name, &act.Locale, act.User)
		err := a.core.Act(ctx, act)
		if err != nil {
			a.lg.Error("slack: answer to a click failed", "channel", channel, "action", act.ActionID, "err", err)
		}
		if o != failed {
			o = answered(err)
		}
	}
	return o
}

// withUser fills a user's name (when empty) and locale from users.info.
func (a *Adapter) withUser(ctx context.Context, name, locale *string, user string) {
	u, ok := a.out.user(ctx, user)
	if !ok {
		return
	}
	if *name == "" {
		*name = u.name
	}
	*locale = u.locale
}

// isIncident reports whether channel is one of the incident channels,
// given by id or by name (conversations.info, cached).
func (a *Adapter) isIncident(ctx context.Context, channel string) bool {
	for _, c := range a.incident {
		if c == channel {
			return true
		}
	}
	var named []string
	for _, c := range a.incident {
		if strings.HasPrefix(c, "#") {
			named = append(named, strings.TrimPrefix(c, "#"))
		}
	}
	if len(named) == 0 {
		return false
	}
	name, ok := a.channels.Load(channel)
	if !ok {
		info, err := a.api.GetConversationInfoContext(ctx, &slackgo.GetConversationInfoInput{ChannelID: channel})
		if err != nil {
			a.metrics.apiError("conversations.info")
			a.lg.Warn("slack: conversations.info failed", "channel", channel, "err", err)
			return false
		}
		name = info.Name
		a.channels.Store(channel, name)
		a.out.LearnChannel("#"+info.Name, channel)
	}
	for _, n := range named {
		if n == name {
			return true
		}
	}
	return false
}
