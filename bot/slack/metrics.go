package slack

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the adapter's Prometheus series, all named wsbbot_*. A nil
// *Metrics counts nothing.
type Metrics struct {
	events     *prometheus.CounterVec
	replies    *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	apiErrors  *prometheus.CounterVec
	reconnects prometheus.Counter
	dropped    prometheus.Counter
	fallbacks  *prometheus.CounterVec
}

// NewMetrics registers the adapter's series with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		events: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "wsbbot_events_total",
			Help: "Slack events received, by type (app_mention, message, block_actions, slash_command, ...)."}, []string{"type"}),
		replies: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "wsbbot_replies_total",
			Help: "Replies sent to Slack, by method (chat.postMessage, chat.update, ...)."}, []string{"method"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "wsbbot_handling_seconds",
			Help: "Time from the adapter taking an event (parsed by slack-go) to the end of its handling (quick answers posted, long work queued), " +
				"by outcome: replied, duplicate (seen before), ignored (not for the bot), failed.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}}, []string{"outcome"}),
		apiErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "wsbbot_slack_api_errors_total",
			Help: "Slack Web API calls that failed, by method (rate limits that were waited out included)."}, []string{"method"}),
		reconnects: prometheus.NewCounter(prometheus.CounterOpts{Name: "wsbbot_reconnects_total",
			Help: "Socket Mode connections opened after the first."}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{Name: "wsbbot_events_dropped_total",
			Help: "Events acked but not handled because the work queue was full."}),
		fallbacks: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "wsbbot_reply_fallbacks_total",
			Help: "Replies Slack refused for their content (invalid_blocks, msg_too_long, ...) and that were sent again as text, by method and error."},
			[]string{"method", "error"}),
	}
	reg.MustRegister(m.events, m.replies, m.latency, m.apiErrors, m.reconnects, m.dropped, m.fallbacks)
	return m
}

func (m *Metrics) event(typ string) {
	if m != nil {
		m.events.WithLabelValues(typ).Inc()
	}
}

func (m *Metrics) reply(method string) {
	if m != nil {
		m.replies.WithLabelValues(method).Inc()
	}
}

func (m *Metrics) handled(o outcome, d time.Duration) {
	if m != nil {
		m.latency.WithLabelValues(string(o)).Observe(d.Seconds())
	}
}

func (m *Metrics) apiError(method string) {
	if m != nil {
		m.apiErrors.WithLabelValues(method).Inc()
	}
}

func (m *Metrics) reconnect() {
	if m != nil {
		m.reconnects.Inc()
	}
}

func (m *Metrics) drop() {
	if m != nil {
		m.dropped.Inc()
	}
}

func (m *Metrics) fallback(method, code string) {
	if m != nil {
		m.fallbacks.WithLabelValues(method, code).Inc()
	}
}
