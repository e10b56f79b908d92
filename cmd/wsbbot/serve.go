package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	slackgo "github.com/slack-go/slack"
	"github.com/spf13/cobra"

	"github.com/wsbbot/wsbbot/bot"
	slackbot "github.com/wsbbot/wsbbot/bot/slack"
	"github.com/wsbbot/wsbbot/config"
	"github.com/wsbbot/wsbbot/internal/store"
	"github.com/wsbbot/wsbbot/runbooks"
)

// Timings of serve.
const (
	expireEvery = 30 * time.Second // approvals past their time-to-live are closed this often, old dedupe keys forgotten
	seenKeep    = time.Hour        // dedupe keys are kept this long (Slack retries an event for about five minutes)
	stopGrace   = 20 * time.Second // on SIGTERM, events being handled and running work get this long
)

func newServeCommand(m *Main) *cobra.Command {
	return &cobra.Command{
		Use:   "serve --config FILE",
		Short: "Run the Slack bot (Socket Mode, or the HTTP Events API) with /healthz and /metrics",
		Long: `serve connects to Slack over Socket Mode (no public URL needed) with
slack.bot_token (xoxb-...) and slack.app_token (xapp-...), or with slack.mode
http takes Slack's signed requests (slack.signing_secret) on http.listen's
/slack/events, /slack/interactivity and /slack/commands, and answers
mentions, direct messages, /wsb and, in slack.incident_channel, messages that
hold an error code, on the configured servers. http.listen serves /healthz
(200 once connected to Slack with the record open) and /metrics (Prometheus).
SIGTERM or SIGINT stops taking events, lets running work finish (at most 20 s,
then it is cancelled and recorded so) and exits 0.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error { return m.serve(cmd.Context()) },
	}
}

// slackTokens checks what serve needs to reach Slack in slack.mode,
// naming the key: the bot token always, the app-level token in Socket
// Mode, the signing secret over HTTP.
func slackTokens(s config.Slack) error {
	switch {
	case s.Mode != config.SlackModeSocket && s.Mode != config.SlackModeHTTP:
		return usageErrorf("slack.mode %q is not socket (Socket Mode) or http (the Events API)", s.Mode)
	case s.BotToken == "":
		return usageErrorf("slack.bot_token is not set (or WSBBOT_SLACK_BOT_TOKEN): serve needs the bot token, xoxb-...")
	case !strings.HasPrefix(s.BotToken.Reveal(), "xoxb-"):
		return usageErrorf("slack.bot_token must start with xoxb- (a bot user OAuth token)")
	case s.Mode == config.SlackModeHTTP && s.SigningSecret == "":
		return usageErrorf("slack.signing_secret is not set (or WSBBOT_SLACK_SIGNING_SECRET): slack.mode http needs the app's signing secret to check Slack's requests")
	case s.Mode == config.SlackModeHTTP:
		return nil
	case s.AppToken == "":
		return usageErrorf("slack.app_token is not set (or WSBBOT_SLACK_APP_TOKEN): serve needs the app-level token, xapp-..., for Socket Mode")
	case !strings.HasPrefix(s.AppToken.Reveal(), "xapp-"):
		return usageErrorf("slack.app_token must start with xapp- (an app-level token with connections:write)")
	}
	return nil
}

// serve wires the Slack adapter, the bot core, the record and the
// operations endpoint, and runs until ctx ends.
func (m *Main) serve(ctx context.Context) error {
	cfg, err := m.config()
	if err != nil {
		return err
	}
	if err := slackTokens(cfg.Slack); err != nil {
		return err
	}
	if _, err := m.runbooks(); err != nil {
		return err
	}
	defLang, err := runbooks.ChooseLang("", func(string) (string, bool) { return "", false }, cfg.Language)
	if err != nil {
		return usageErrorf("%v", err)
	}
	lg := m.logger()
	defer paceGC(m.Env)()
	ln, err := net.Listen("tcp", cfg.HTTP.Listen)
	if err != nil {
		return usageErrorf("http.listen %s: %v", cfg.HTTP.Listen, err)
	}
	svc, err := m.service()
	if err != nil {
		ln.Close()
		return err
	}
	st, _ := m.store() // opened by service

	opts := []slackgo.Option{slackgo.OptionAppLevelToken(cfg.Slack.AppToken.Reveal()), slackgo.OptionHTTPClient(slackbot.HTTPClient())}
	if cfg.Slack.APIURL != "" {
		u := cfg.Slack.APIURL
		if !strings.HasSuffix(u, "/") {
			u += "/"
		}
		opts = append(opts, slackgo.OptionAPIURL(u))
	}
	api := slackgo.New(cfg.Slack.BotToken.Reveal(), opts...)
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), runsCollector{st})
	metrics := slackbot.NewMetrics(reg)
	poster := slackbot.NewPoster(slackbot.PosterOptions{API: api, Metrics: metrics, Logger: lg})
	core := bot.New(bot.Options{Service: svc, Poster: poster, Lang: defLang, Access: chatAccess(cfg, poster.Members, lg),
		ExportTimeline: timelineMarkdown, Logger: lg})
	var incident []string
	if cfg.Slack.IncidentChannel != "" {
		incident = append(incident, cfg.Slack.IncidentChannel)
	}
	// The dedupe keys go in the record's set (store.MarkSeen: written
	// before the reply, not synced on their own, so they survive a crash
	// of serve, not every power loss), concurrent events' in one write.
	adapter, err := slackbot.New(slackbot.Options{API: api, Poster: poster, Handler: core, Seen: slackbot.NewGroupSeen(st.MarkSeen), IncidentChannels: incident,
		Metrics: metrics, Logger: lg})
	if err != nil {
		ln.Close()
		return &exitError{code: exitInternal, err: err}
	}

	// The scheduled audits and the backup watch (see newDuty).
	du, err := newDuty(cfg, core, svc, st, nil, lg)
	if err != nil {
		ln.Close()
		return &exitError{code: exitInternal, err: err}
	}

	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		if !adapter.Connected() {
			http.Error(w, "not connected to Slack", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	runAdapter := adapter.Run
	if cfg.Slack.Mode == config.SlackModeHTTP {
		events := adapter.HTTPHandler(cfg.Slack.SigningSecret.Reveal())
		for _, p := range []string{slackbot.EventsPath, slackbot.InteractivityPath, slackbot.CommandsPath} {
			mux.Handle(p, events)
		}
		runAdapter = adapter.RunHTTP
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			lg.Error("http server stopped", "err", err)
		}
	}()
	lg.Info("serving", "http", ln.Addr().String(), "slack", cfg.Slack.Mode, "servers", len(cfg.Targets))

	expireCtx, stopExpire := context.WithCancel(ctx)
	expired := make(chan struct{})
	go func() {
		defer close(expired)
		t := time.NewTicker(expireEvery)
		defer t.Stop()
		for {
			select {
			case <-expireCtx.Done():
				return
			case <-t.C:
				if err := core.ExpireApprovals(expireCtx); err != nil && expireCtx.Err() == nil {
					lg.Warn("expiring approvals failed", "err", err)
				}
				if err := st.ForgetSeen(expireCtx, time.Now().Add(-seenKeep)); err != nil && expireCtx.Err() == nil {
					lg.Warn("forgetting old dedupe keys failed", "err", err)
				}
			}
		}
	}()

	dutyDone := make(chan struct{})
	go func() {
		defer close(dutyDone)
		if err := du.Run(expireCtx); err != nil {
			lg.Error("scheduled work stopped", "err", err)
		}
	}()

	// Approved fixes a crash interrupted are told of in their threads
	// (never re-run), once.
	if err := core.ReportInterrupted(ctx); err != nil {
		lg.Warn("reporting interrupted runs failed", "err", err)
	}

	runErr := runAdapter(ctx, stopGrace)
	stopExpire()
	<-expired
	<-dutyDone
	// Work still running gets the grace; then it is cancelled, and a run
	// cancelled so is recorded as such.
	closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stopGrace)
	defer cancel()
	if err := core.Close(closeCtx); err != nil {
		lg.Warn("work was cancelled at shutdown", "err", err)
	}
	shutCtx, cancelShut := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancelShut()
	_ = srv.Shutdown(shutCtx) // the process ends anyway
	if runErr != nil {
		return &exitError{code: exitFailed, err: runErr}
	}
	lg.Info("stopped")
	return nil
}

// runsCollector exports the record's runs by status as wsbbot_runs.
type runsCollector struct{ st store.Store }

var runsDesc = prometheus.NewDesc("wsbbot_runs", "Runbook runs in the record, by status.", []string{"status"}, nil)

func (c runsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- runsDesc }

func (c runsCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	runs, err := c.st.Runs(ctx, store.RunFilter{})
	if err != nil {
		ch <- prometheus.NewInvalidMetric(runsDesc, err)
		return
	}
	n := map[string]int{}
	for _, r := range runs {
		n[r.Status]++
	}
	for _, s := range []string{store.StatusRunning, store.StatusSucceeded, store.StatusFailed, store.StatusRefused, store.StatusCancelled, store.StatusInterrupted} {
		ch <- prometheus.MustNewConstMetric(runsDesc, prometheus.GaugeValue, float64(n[s]), s)
	}
}
