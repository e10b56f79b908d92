package main

import (
	"context"
	"testing"

	"github.com/wsbbot/wsbbot/bot"
	"github.com/wsbbot/wsbbot/config"
	"github.com/wsbbot/wsbbot/internal/store"
	"github.com/wsbbot/wsbbot/oncall"
	"github.com/wsbbot/wsbbot/runbooks"
)

// newDuty builds serve's schedules from the configuration, and refuses a
// schedule that does not parse.
func TestNewDuty(t *testing.T) {
	set, err := runbooks.LoadBundled()
	if err != nil {
		t.Fatal(err)
	}
	st := store.NewMemory(nil)
	svc, err := oncall.New(oncall.Deps{Runbooks: set, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	core := bot.New(bot.Options{Service: svc})
	defer core.Close(context.Background())
	cfg := config.Default()
	cfg.Slack.AuditChannel, cfg.Slack.IncidentChannel = "C_AUDIT", "C_INCIDENT"
	cfg.Audit.Schedules = []config.AuditSchedule{{Name: "fs-daily", Cron: "30 8 * * 1-5"}}
	if _, err := newDuty(cfg, core, svc, st, nil, nil); err != nil {
		t.Fatalf("newDuty: %v", err)
	}
	cfg.Audit.Schedules[0].Cron = "30 8 * *"
	if _, err := newDuty(cfg, core, svc, st, nil, nil); err == nil {
		t.Fatal("a 4-field cron was accepted")
	}
	cfg = config.Default() // no channels: nothing to post to, nothing scheduled, no error
	if _, err := newDuty(cfg, core, svc, st, nil, nil); err != nil {
		t.Fatalf("newDuty without channels: %v", err)
	}
}
