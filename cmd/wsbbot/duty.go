package main

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/wsbbot/wsbbot/bot"
	"github.com/wsbbot/wsbbot/config"
	"github.com/wsbbot/wsbbot/duty"
	"github.com/wsbbot/wsbbot/internal/schedule"
	"github.com/wsbbot/wsbbot/internal/store"
	"github.com/wsbbot/wsbbot/oncall"
)

// newDuty builds the scheduled audits and the backup watch of cfg for
// `wsbbot serve`: audit.schedule (named "audit", scope audit.group, posted
// to slack.audit_channel), each of audit.schedules, and the watch (posted
// to watch.channel, else slack.incident_channel). A schedule with nowhere
// to post is left out, and the log says so once. clock nil is the system
// clock.
func newDuty(cfg config.Config, core *bot.Core, svc *oncall.Service, st store.Store, clock schedule.Clock, logger *slog.Logger) (*duty.Duty, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	o := duty.Options{Core: core, Service: svc, Store: st, Clock: clock, Logger: logger}
	add := func(name, expr, tz, channel string, servers, groups []string) error {
		if channel == "" {
			logger.Warn("scheduled audit left out: no channel to post to (slack.audit_channel)", "schedule", name)
			return nil
		}
		spec, err := schedule.Cron(expr, tz)
		if err != nil {
			return fmt.Errorf("schedule %s: %w", name, err)
		}
		o.Audits = append(o.Audits, duty.Audit{Name: name, Channel: channel, Servers: servers, Groups: groups, Spec: spec})
		return nil
	}
	var groups []string
	if cfg.Audit.Group != "" {
		groups = []string{cfg.Audit.Group}
	}
	if err := add("audit", cfg.Audit.Schedule, cfg.Audit.Timezone, cfg.Slack.AuditChannel, nil, groups); err != nil {
		return nil, err
	}
	for _, s := range cfg.Audit.Schedules {
		tz, ch := s.Timezone, s.Channel
		if tz == "" {
			tz = cfg.Audit.Timezone
		}
		if ch == "" {
			ch = cfg.Slack.AuditChannel
		}
		if err := add(s.Name, s.Cron, tz, ch, s.Servers, s.Groups); err != nil {
			return nil, err
		}
	}
	if cfg.Watch.Enabled {
		ch := cfg.Watch.Channel
		if ch == "" {
			ch = cfg.Slack.IncidentChannel
		}
		if ch == "" {
			logger.Warn("backup watch left out: no channel to post to (watch.channel or slack.incident_channel)")
		} else {
			o.Watch = duty.Watch{Enabled: true, Every: time.Duration(cfg.Watch.Every), Channel: ch}
		}
	}
	return duty.New(o)
}
