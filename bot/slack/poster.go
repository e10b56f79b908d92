package slack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

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
	return &http.Client{Transport: t, Timeout: time.Minute}
}

// PosterOptions configure a Poster.
type PosterOptions struct {
	// API is slack-go's Web API client with the bot token.
	API *slackgo.Client
	// PostEvery is the least time between two messages in one channel
	// (0: one second, Slack's rate for chat.postMessage; negative: no
	// pacing).
	PostEvery time.Duration
	// Retries bounds the retries of a call answered 429 (0: 5).
	Retries int
	// Clock paces and waits out Retry-After (nil: the wall clock).
	Clock   Clock
	Metrics *Metrics
	Logger  *slog.Logger
}

// Poster is the core's bot.Poster over Slack's Web API. It is safe for
// concurrent use.
type Poster struct {
	api     *slackgo.Client
	pace    *pacer
	clock   Clock
	retries int
	metrics *Metrics
	lg      *slog.Logger

	usersMu sync.Mutex
	users   map[string]userInfo
}

var _ bot.Poster = (*Poster)(nil)

// NewPoster returns a Poster.
func NewPoster(o PosterOptions) *Poster {
	p := &Poster{api: o.API, clock: o.Clock, retries: o.Retries, metrics: o.Metrics, lg: o.Logger, users: map[string]userInfo{}}
	if p.clock == nil {
		p.clock = realClock{}
	}
	if p.retries <= 0 {
		p.retries = 5
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
// again (at most p.retries times); channel, when set, is paced: the call
// takes the channel's turn (see pacer).
func (p *Poster) call(ctx context.Context, method, channel string, f func() error) error {
	for attempt := 0; ; attempt++ {
		release := func(time.Duration) {}
		if channel != "" {
			var err error
			if release, err = p.pace.acquire(ctx, channel); err != nil {
				return fmt.Errorf("%s: %w", method, err)
			}
		}
		err := f()
		var rl *slackgo.RateLimitedError
		limited := errors.As(err, &rl)
		wait := time.Duration(0)
		if limited {
			if wait = rl.RetryAfter; wait <= 0 {
				wait = time.Second
			}
		}
		// Slack counts a message when it arrives: the channel's next call
		// waits a full interval from this call's end, or the Retry-After.
		release(wait)
		if err == nil {
			p.metrics.reply(method)
			return nil
		}
		p.metrics.apiError(method)
		if !limited || attempt >= p.retries {
			return fmt.Errorf("%s: %w", method, err)
		}
		p.lg.Warn("slack rate limit: waiting", "method", method, "channel", channel, "retry_after", wait)
		if channel != "" && p.pace.every > 0 {
			continue // the pacer waits it out
		}
		if err := p.clock.Sleep(ctx, wait); err != nil {
			return fmt.Errorf("%s: %w", method, err)
		}
	}
}

func messageOptions(r bot.Reply) []slackgo.MsgOption {
	opts := []slackgo.MsgOption{slackgo.MsgOptionText(Fallback(r), false), slackgo.MsgOptionBlocks(Blocks(r).BlockSet...)}
	if r.ThreadTS != "" {
		opts = append(opts, slackgo.MsgOptionTS(r.ThreadTS))
	}
	return opts
}

// Post implements bot.Poster: chat.postMessage; the reference is the
// message's ts.
func (p *Poster) Post(ctx context.Context, r bot.Reply) (string, error) {
	var ts string
	err := p.call(ctx, "chat.postMessage", r.Channel, func() error {
		_, t, err := p.api.PostMessageContext(ctx, r.Channel, messageOptions(r)...)
		ts = t
		return err
	})
	return ts, err
}

// Update implements bot.Poster: chat.update of the message ref.
func (p *Poster) Update(ctx context.Context, ref string, r bot.Reply) error {
	return p.call(ctx, "chat.update", "", func() error {
		_, _, _, err := p.api.UpdateMessageContext(ctx, r.Channel, ref,
			slackgo.MsgOptionText(Fallback(r), false), slackgo.MsgOptionBlocks(Blocks(r).BlockSet...))
		return err
	})
}

// Ephemeral implements bot.Poster: chat.postEphemeral.
func (p *Poster) Ephemeral(ctx context.Context, user string, r bot.Reply) error {
	return p.call(ctx, "chat.postEphemeral", "", func() error {
		_, err := p.api.PostEphemeralContext(ctx, r.Channel, user, messageOptions(r)...)
		return err
	})
}

// Upload implements bot.Poster: the file upload in three steps
// (files.getUploadURLExternal, the upload, files.completeUploadExternal),
// shared in the thread with comment.
func (p *Poster) Upload(ctx context.Context, channel, threadTS, name, content, comment string) error {
	if content == "" {
		content = "\n"
	}
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
		return p.api.AddReactionContext(ctx, name, slackgo.NewRefToMessage(channel, ts))
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
