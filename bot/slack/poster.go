package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	slackgo "github.com/slack-go/slack"

	"github.com/wsbbot/wsbbot/bot"
)

// HTTPClient is the HTTP client for slack-go's Web API calls
// (slack.OptionHTTPClient). slack-go's default keeps two idle connections
// to a host: with more calls at once (the adapter's workers, progress
// updates) every burst opened and closed connections, a TLS handshake
// each against Slack. This one keeps enough for the workers, and bounds
// a call (uploads included) to a minute.
func HTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 64
	t.MaxIdleConnsPerHost = 32
	t.IdleConnTimeout = 90 * time.Second
	return &http.Client{Transport: dropPostedMessage{t}, Timeout: time.Minute}
}

// dropPostedMessage is HTTPClient's transport: it takes the "message"
// member out of the answers to chat.postMessage and chat.update before
// slack-go reads them. Slack sends back the whole message posted, blocks
// and all (a few kilobytes for a lookup); slack-go decoded it block by
// block, each block's JSON scanned three times, into a value that
// PostMessageContext and UpdateMessageContext then drop (they return the
// channel, ts and text). That decoding was a third of the poster's CPU
// per reply (BenchmarkServeLookupLatency's profile of serve). Any other
// answer, or one that is not a JSON object, passes as it came.
type dropPostedMessage struct{ next http.RoundTripper }

func (d dropPostedMessage) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := d.next.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusOK ||
		!(strings.HasSuffix(req.URL.Path, "/chat.postMessage") || strings.HasSuffix(req.URL.Path, "/chat.update")) {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &top) == nil {
		if _, ok := top["message"]; ok {
			delete(top, "message")
			if b, err := json.Marshal(top); err == nil {
				body = b
			}
		}
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
	return resp, nil
}

// PosterOptions configure a Poster.
type PosterOptions struct {
	// API is slack-go's Web API client with the bot token.
	API *slackgo.Client
	// PostEvery is the least time between two messages in one channel
	// (0: one second, Slack's rate for chat.postMessage; negative: no
	// pacing).
	PostEvery time.Duration
	// RetryFor bounds how long the retries of one call answered 429 may
	// wait in all, Retry-After by Retry-After (0: two minutes): a storm of
	// rate limits delays a reply; only a longer one loses it, with an
	// error.
	RetryFor time.Duration
	// Clock paces and waits out Retry-After (nil: the wall clock).
	Clock   Clock
	Metrics *Metrics
	Logger  *slog.Logger
}

// Poster is the core's bot.Poster over Slack's Web API. It is safe for
// concurrent use.
type Poster struct {
	api      *slackgo.Client
	pace     *pacer
	clock    Clock
	retryFor time.Duration
	metrics  *Metrics
	lg       *slog.Logger

	usersMu sync.Mutex
	users   map[string]userInfo

	// channelIDs maps a channel given by name ("#wsb-oncall", as the
	// configuration may name the incident channel) to its id, as Slack
	// answered a post to it or the adapter learned it: one channel is
	// then paced as one, whatever it was called (posting by name and by
	// id as two channels drew Slack's 429), and edits and reactions,
	// which Slack takes by id, get the id.
	channelIDs sync.Map
}

// LearnChannel records that the channel called name ("#name") has id.
func (p *Poster) LearnChannel(name, id string) {
	if strings.HasPrefix(name, "#") && id != "" && !strings.HasPrefix(id, "#") {
		p.channelIDs.Store(name, id)
		p.pace.alias(name, id)
	}
}

// channelID is channel's id when it is a name whose id is known, else
// channel as given.
func (p *Poster) channelID(channel string) string {
	if id, ok := p.channelIDs.Load(channel); ok {
		return id.(string)
	}
	return channel
}

var _ bot.Poster = (*Poster)(nil)

// NewPoster returns a Poster.
func NewPoster(o PosterOptions) *Poster {
	p := &Poster{api: o.API, clock: o.Clock, retryFor: o.RetryFor, metrics: o.Metrics, lg: o.Logger, users: map[string]userInfo{}}
	if p.clock == nil {
		p.clock = realClock{}
	}
	if p.retryFor <= 0 {
		p.retryFor = 2 * time.Minute
	}
	if p.lg == nil {
		p.lg = slog.New(slog.DiscardHandler)
	}
	every := o.PostEvery
	if every == 0 {
		every = time.Second
	}
	p.pace = newPacer(every, p.clock)
	return p
}

// call runs one Web API call, waiting out a 429's Retry-After and trying
// again (for at most p.retryFor in all); channel, when set, is paced
// first.
func (p *Poster) call(ctx context.Context, method, channel string, f func() error) error {
	var waited time.Duration
	for {
		done := func(time.Duration) {}
		if channel != "" {
			d, err := p.pace.wait(ctx, channel)
			if err != nil {
				return fmt.Errorf("%s: %w", method, err)
			}
			done = d
		}
		err := f()
		var rl *slackgo.RateLimitedError
		limited := errors.As(err, &rl)
		wait := time.Duration(0)
		if limited {
			wait = rl.RetryAfter
			if wait <= 0 {
				wait = time.Second
			}
		}
		// The channel's next post waits a full interval from this call's
		// end, or the Retry-After.
		done(max(p.pace.every, wait))
		if err == nil {
			p.metrics.reply(method)
			return nil
		}
		p.metrics.apiError(method)
		if !limited {
			return fmt.Errorf("%s: %w", method, err)
		}
		if waited += wait; waited > p.retryFor {
			return fmt.Errorf("%s: still rate limited after waiting %s: %w", method, waited-wait, err)
		}
		p.lg.Warn("slack rate limit: waiting", "method", method, "channel", channel, "retry_after", wait)
		if channel != "" {
			continue // the pacer waits it out
		}
		if err := p.clock.Sleep(ctx, wait); err != nil {
			return fmt.Errorf("%s: %w", method, err)
		}
	}
}

func messageOptions(r bot.Reply) []slackgo.MsgOption {
	return []slackgo.MsgOption{slackgo.MsgOptionText(Fallback(r), false), slackgo.MsgOptionBlocks(Blocks(r).BlockSet...)}
}

// Post implements bot.Poster: chat.postMessage; the reference is the
// message's ts. A reply Slack refuses for its content is posted again as
// text (see postText).
func (p *Poster) Post(ctx context.Context, r bot.Reply) (string, error) {
	ts, err := p.postMessage(ctx, r, messageOptions(r)...)
	if code := refusal(err); code != "" {
		p.refused("chat.postMessage", code, r, err)
		return p.postText(ctx, r)
	}
	return ts, err
}

func (p *Poster) postMessage(ctx context.Context, r bot.Reply, opts ...slackgo.MsgOption) (string, error) {
	if r.ThreadTS != "" {
		opts = append(opts, slackgo.MsgOptionTS(r.ThreadTS))
	}
	var ts string
	channel := p.channelID(r.Channel)
	err := p.call(ctx, "chat.postMessage", channel, func() error {
		id, t, err := p.api.PostMessageContext(ctx, channel, opts...)
		if err == nil {
			p.LearnChannel(channel, id)
		}
		ts = t
		return err
	})
	return ts, err
}

// Update implements bot.Poster: chat.update of the message ref. An edit
// Slack refuses for its content is made again as text, in the message's
// limit, with its blocks removed.
func (p *Poster) Update(ctx context.Context, ref string, r bot.Reply) error {
	update := func(opts ...slackgo.MsgOption) error {
		return p.call(ctx, "chat.update", "", func() error {
			_, _, _, err := p.api.UpdateMessageContext(ctx, p.channelID(r.Channel), ref, opts...)
			return err
		})
	}
	err := update(slackgo.MsgOptionText(Fallback(r), false), slackgo.MsgOptionBlocks(Blocks(r).BlockSet...))
	if code := refusal(err); code != "" {
		p.refused("chat.update", code, r, err)
		text := escape(r.PlainText())
		err = update(slackgo.MsgOptionText(clip(text, maxFallbackText), false), slackgo.MsgOptionBlocks())
		if code := refusal(err); code != "" {
			p.refused("chat.update", code, r, err)
			err = update(slackgo.MsgOptionText(clip(text, shortText), false), slackgo.MsgOptionBlocks())
		}
	}
	return err
}

// Ephemeral implements bot.Poster: chat.postEphemeral. A reply Slack
// refuses for its content is shown again as text.
func (p *Poster) Ephemeral(ctx context.Context, user string, r bot.Reply) error {
	ephemeral := func(opts ...slackgo.MsgOption) error {
		if r.ThreadTS != "" {
			opts = append(opts, slackgo.MsgOptionTS(r.ThreadTS))
		}
		return p.call(ctx, "chat.postEphemeral", "", func() error {
			_, err := p.api.PostEphemeralContext(ctx, p.channelID(r.Channel), user, opts...)
			return err
		})
	}
	err := ephemeral(slackgo.MsgOptionText(Fallback(r), false), slackgo.MsgOptionBlocks(Blocks(r).BlockSet...))
	if code := refusal(err); code != "" {
		p.refused("chat.postEphemeral", code, r, err)
		text := escape(r.PlainText())
		err = ephemeral(slackgo.MsgOptionText(clip(text, maxFallbackText), false))
		if code := refusal(err); code != "" {
			p.refused("chat.postEphemeral", code, r, err)
			err = ephemeral(slackgo.MsgOptionText(clip(text, shortText), false))
		}
	}
	return err
}

// shortText is the length of a message's text when Slack refused a
// longer one (msg_too_long has been seen far below the documented
// 40,000 characters).
const shortText = 500

// refusal returns Slack's error code when it refused a message for its
// content (its blocks or its length), "" for any other outcome.
func refusal(err error) string {
	var se slackgo.SlackErrorResponse
	if !errors.As(err, &se) {
		return ""
	}
	switch se.Err {
	case "invalid_blocks", "invalid_blocks_format", "msg_blocks_too_long", "msg_too_long":
		return se.Err
	}
	return ""
}

// refused logs and counts a refused reply, with the problems Slack
// listed (response_metadata.messages).
func (p *Poster) refused(method, code string, r bot.Reply, err error) {
	var se slackgo.SlackErrorResponse
	errors.As(err, &se)
	p.metrics.fallback(method, code)
	p.lg.Error("slack refused a reply: sending it as text", "method", method, "error", code, "channel", r.Channel,
		"thread", r.ThreadTS, "problems", se.ResponseMetadata.Messages)
}

// postText posts r without blocks: its plain text in the message and,
// when that does not hold all of it (or Slack refuses the text's length
// too), all of it in a file in the reply's thread.
func (p *Poster) postText(ctx context.Context, r bot.Reply) (string, error) {
	full := r.PlainText()
	text := escape(full)
	whole := utf8.RuneCountInString(text) <= maxFallbackText
	ts, err := p.postMessage(ctx, r, slackgo.MsgOptionText(clip(text, maxFallbackText), false))
	if code := refusal(err); code != "" {
		p.refused("chat.postMessage", code, r, err)
		whole = false
		ts, err = p.postMessage(ctx, r, slackgo.MsgOptionText(clip(text, shortText), false))
	}
	if err != nil || whole {
		return ts, err
	}
	thread := r.ThreadTS
	if thread == "" {
		thread = ts
	}
	if err := p.Upload(ctx, r.Channel, thread, "wsbbot-reply.txt", full, ""); err != nil {
		// The head of the reply is posted: the core goes on with it.
		p.lg.Error("slack: the whole reply could not be uploaded after a refusal", "channel", r.Channel, "err", err)
	}
	return ts, nil
}

// Upload implements bot.Poster: the file upload in three steps
// (files.getUploadURLExternal, the upload, files.completeUploadExternal),
// shared in the thread with comment.
func (p *Poster) Upload(ctx context.Context, channel, threadTS, name, content, comment string) error {
	if content == "" {
		content = "\n"
	}
	channel = p.channelID(channel)
	return p.call(ctx, "files.completeUploadExternal", channel, func() error {
		_, err := p.api.UploadFileContext(ctx, slackgo.UploadFileParameters{
			Filename: name, Title: name, Content: content, FileSize: len(content),
			InitialComment: escape(comment), Channel: channel, ThreadTimestamp: threadTS,
		})
		return err
	})
}

// React implements bot.Poster: reactions.add; a reaction already there is
// not an error.
func (p *Poster) React(ctx context.Context, channel, ts, name string) error {
	err := p.call(ctx, "reactions.add", "", func() error {
		return p.api.AddReactionContext(ctx, name, slackgo.NewRefToMessage(p.channelID(channel), ts))
	})
	var se slackgo.SlackErrorResponse
	if errors.As(err, &se) && se.Err == "already_reacted" {
		return nil
	}
	return err
}

// Members lists a user group's members (usergroups.users.list): the
// core's bot.MembersFunc. A free workspace answers plan_upgrade_required,
// which the core turns into "only the listed ids count".
func (p *Poster) Members(ctx context.Context, group string) ([]string, error) {
	var ids []string
	err := p.call(ctx, "usergroups.users.list", "", func() error {
		var err error
		ids, err = p.api.GetUserGroupMembersContext(ctx, group)
		return err
	})
	return ids, err
}

// userInfo is what the adapter needs of a user.
type userInfo struct {
	name, locale string
	bot          bool
}

// maxUsers bounds the user cache.
const maxUsers = 10000

// user reads a user's name and locale (users.info with include_locale),
// cached for the life of the process; ok is false when Slack did not say.
func (p *Poster) user(ctx context.Context, id string) (userInfo, bool) {
	p.usersMu.Lock()
	u, ok := p.users[id]
	p.usersMu.Unlock()
	if ok {
		return u, true
	}
	var su *slackgo.User
	err := p.call(ctx, "users.info", "", func() error {
		var err error
		su, err = p.api.GetUserInfoContext(ctx, id, slackgo.GetUserInfoOptionIncludeLocale(true))
		return err
	})
	if err != nil {
		p.lg.Warn("users.info failed: replying in the default language", "user", id, "err", err)
		return userInfo{}, false
	}
	u = userInfo{name: su.Name, locale: su.Locale, bot: su.IsBot}
	p.usersMu.Lock()
	if len(p.users) >= maxUsers {
		clear(p.users)
	}
	p.users[id] = u
	p.usersMu.Unlock()
	return u, true
}
