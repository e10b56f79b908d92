package slack

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"

	slackgo "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
)

// The paths HTTPHandler is mounted on: the Request URL of Event
// Subscriptions, of Interactivity (buttons, menus and their option
// loading) and of the slash command. One handler serves them all; it
// tells the requests apart by their content.
const (
	EventsPath        = "/slack/events"
	InteractivityPath = "/slack/interactivity"
	CommandsPath      = "/slack/commands"
)

// maxRequestBody bounds what Slack may send in one request.
const maxRequestBody = 1 << 20

// urlVerification is Slack's handshake when the Request URL is set: the
// answer is the challenge.
type urlVerification struct{ Challenge string }

// errNotSlack: a request that is neither an Events API callback, an
// interaction nor a slash command.
var errNotSlack = errors.New("not an Events API, interactivity or slash command request")

// decodeRequest reads what Slack sent over HTTP, by its Content-Type:
// JSON is an Events API request (urlVerification, or a
// slackevents.EventsAPIEvent for an event_callback; nil for other types
// such as app_rate_limited); a form is an interaction (slack.
// InteractionCallback, its JSON in the payload field) or a slash command
// (slack.SlashCommand), both read by slack-go's own parsers.
func decodeRequest(contentType string, body []byte) (any, error) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return nil, fmt.Errorf("content type %q: %w", contentType, err)
	}
	switch mt {
	case "application/json":
		ev, err := slackevents.ParseEvent(json.RawMessage(body), slackevents.OptionNoVerifyToken())
		if err != nil {
			return nil, err
		}
		switch ev.Type {
		case slackevents.URLVerification:
			uv, ok := ev.Data.(*slackevents.EventsAPIURLVerificationEvent)
			if !ok || uv.Challenge == "" {
				return nil, errors.New("url_verification without a challenge")
			}
			return urlVerification{Challenge: uv.Challenge}, nil
		case slackevents.CallbackEvent:
			return ev, nil
		}
		return nil, nil
	case "application/x-www-form-urlencoded":
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, err
		}
		r, _ := http.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		r.Header.Set("Content-Type", mt)
		switch {
		case form.Has("payload"):
			cb, err := slackgo.InteractionCallbackParse(r)
			if err != nil {
				return nil, fmt.Errorf("interaction payload: %w", err)
			}
			return cb, nil
		case form.Get("command") != "":
			return slackgo.SlashCommandParse(r)
		}
	}
	return nil, errNotSlack
}

// HTTPHandler serves the HTTP Events API (slack.mode: http) on the paths
// above; RunHTTP must run for the events it takes to be handled. Every
// request must carry Slack's signature made with signingSecret (v0:
// HMAC-SHA256 of "v0:timestamp:body", checked by slack-go's
// SecretsVerifier in constant time, timestamps more than five minutes off
// refused): otherwise 401. A request replayed as it was (the same
// signature) is answered 200 and dropped. The handler answers at once,
// well within Slack's three seconds: the URL verification with its
// challenge, a menu's option loading with the options, everything else
// with an empty 200 while the workers handle it, the same way as in
// Socket Mode (take). Slack's retries of an event (X-Slack-Retry-Num)
// are dropped by its event_id, as redeliveries are in Socket Mode. A
// signed request that slack-go cannot parse is answered 200 and logged,
// so Slack does not retry it.
func (a *Adapter) HTTPHandler(signingSecret string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
		if err != nil {
			http.Error(w, "cannot read the request", http.StatusBadRequest)
			return
		}
		if len(body) > maxRequestBody {
			http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
			return
		}
		sv, err := slackgo.NewSecretsVerifier(r.Header, signingSecret)
		if err == nil {
			_, _ = sv.Write(body)
			err = sv.Ensure()
		}
		if err != nil {
			a.metrics.event("bad_signature")
			a.lg.Warn("slack: request refused: bad signature", "path", r.URL.Path, "err", err)
			http.Error(w, "invalid signature", http.StatusUnauthorized)
			return
		}
		if !a.signatures.add(r.Header.Get("X-Slack-Signature")) {
			a.lg.Warn("slack: a request replayed with its signature: dropped", "path", r.URL.Path)
			w.WriteHeader(http.StatusOK)
			return
		}
		req, err := decodeRequest(r.Header.Get("Content-Type"), body)
		if err != nil {
			a.metrics.event("malformed")
			a.lg.Warn("slack: signed request slack-go cannot read: dropped", "path", r.URL.Path, "err", err)
			w.WriteHeader(http.StatusOK)
			return
		}
		if retry := r.Header.Get("X-Slack-Retry-Num"); retry != "" {
			a.lg.Info("slack: event retried", "retry", retry, "reason", r.Header.Get("X-Slack-Retry-Reason"))
		}
		if uv, ok := req.(urlVerification); ok {
			writeJSON(w, map[string]string{"challenge": uv.Challenge})
			return
		}
		answer, ok := a.take(req)
		if !ok {
			http.Error(w, "stopping", http.StatusServiceUnavailable)
			return
		}
		if answer != nil {
			writeJSON(w, answer)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}
