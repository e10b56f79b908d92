package main

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wsbbot/wsbbot/bot"
	"github.com/wsbbot/wsbbot/config"
)

// The example configuration's Slack section becomes the chat's access:
// roles, channels, the default policy and the rules, a rule's zero quorum
// and time-to-live taken from slack.*.
func TestChatAccessFromConfig(t *testing.T) {
	cfg, err := config.Load("../../config/wsbbot.example.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Slack.ApprovalRules = append(cfg.Slack.ApprovalRules, config.ApprovalRule{Group: "sql", Approvers: []string{"U9"}})
	a := chatAccess(cfg, nil, nil)
	want := []bot.ApprovalRule{
		{Runbook: "usn-journal-cleanup", Group: "dc", Approvers: []string{"U034GHIJKL", "S056MNOPQR"}, Quorum: 2, TTL: time.Hour},
		{Group: "sql", Approvers: []string{"U9"}, Quorum: cfg.Slack.Quorum, TTL: time.Duration(cfg.Slack.ApprovalTTL)},
	}
	if diff := cmp.Diff(want, a.Rules); diff != "" {
		t.Errorf("rules (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(bot.ApprovalRule{Approvers: cfg.Slack.Approvers, Quorum: 1, TTL: 30 * time.Minute}, a.Default); diff != "" {
		t.Errorf("default (-want +got):\n%s", diff)
	}
}
