package bot

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"log/slog"

	"github.com/wsbbot/wsbbot/oncall"
)

// Role is what a user may do, each role including the ones below it.
type Role int

// The roles, from least to most.
const (
	RoleNone Role = iota
	// RoleViewer: look codes up, read guides, runbooks, servers, history
	// and status.
	RoleViewer
	// RoleOperator: also diagnose, audit, record restore tests, request
	// fixes and cancel work.
	RoleOperator
	// RoleApprover: also approve or deny fixes (where the approval policy
	// names them).
	RoleApprover
	// RoleAdmin: everything.
	RoleAdmin
)

func (r Role) name(t texts) string {
	switch r {
	case RoleViewer:
		return t.pick("viewer", "閲覧者")
	case RoleOperator:
		return t.pick("operator", "オペレーター")
	case RoleApprover:
		return t.pick("approver", "承認者")
	case RoleAdmin:
		return t.pick("admin", "管理者")
	}
	return t.pick("none", "なし")
}

// verbRole is the least role a command needs.
func verbRole(v Verb) Role {
	switch v {
	case VerbDiagnose, VerbRun, VerbFix, VerbAudit, VerbRestoreTest, VerbCancel:
		return RoleOperator
	}
	return RoleViewer
}

// MembersFunc lists the users of a user group (Slack's
// usergroups.users.list). An error means the group cannot be read (a free
// workspace answers plan_upgrade_required): its id then matches only
// itself.
type MembersFunc func(ctx context.Context, group string) ([]string, error)

// ApprovalRule is the approval policy of the runbooks or servers it names.
type ApprovalRule struct {
	// Runbook and Group select what the rule covers: a runbook id, a
	// server group (an inventory tag), or both; "" matches any.
	Runbook, Group string
	Approvers      []string // user or user-group ids
	Quorum         int
	TTL            time.Duration
}

// Access is who may do what, from the configuration: roles, the channels
// where the bot acts, and the approval policy. The zero Access lets
// everyone act as an operator everywhere, and nobody approve.
type Access struct {
	// Viewers, Operators, Approvers and Admins are user or user-group ids.
	// With none of them set, everyone is an operator.
	Viewers, Operators, Approvers, Admins []string
	// Channels are where the bot acts (empty: wherever it is asked). DMs
	// are always allowed.
	Channels []string
	// Default is the approval policy where no rule matches (slack.approvers,
	// slack.quorum, slack.approval_ttl); the approver role's members and
	// the admins approve too. Rules are tried in order; the first that
	// matches wins.
	Default ApprovalRule
	Rules   []ApprovalRule
	// AnyoneApproves lets anyone but the requester approve when no
	// approver is configured: the console's rule, whose users may run the
	// CLI anyway. Chat adapters never set it.
	AnyoneApproves bool
	// Members resolves user groups (nil: group ids match only themselves).
	Members MembersFunc
	Logger  *slog.Logger

	warnOnce sync.Once
}

// rolesConfigured reports whether any role is given.
func (a *Access) rolesConfigured() bool {
	return a != nil && len(a.Viewers)+len(a.Operators)+len(a.Approvers)+len(a.Admins) > 0
}

// role returns the highest role user holds.
func (a *Access) role(ctx context.Context, user string) Role {
	if !a.rolesConfigured() {
		return RoleOperator
	}
	for _, rl := range []struct {
		ids  []string
		role Role
	}{{a.Admins, RoleAdmin}, {a.Approvers, RoleApprover}, {a.Operators, RoleOperator}, {a.Viewers, RoleViewer}} {
		if slices.Contains(a.resolve(ctx, rl.ids), user) {
			return rl.role
		}
	}
	return RoleNone
}

// channelAllowed reports whether the bot acts in channel (DMs always).
func (a *Access) channelAllowed(channel string) bool {
	if a == nil || len(a.Channels) == 0 || strings.HasPrefix(channel, "D") {
		return true
	}
	return slices.Contains(a.Channels, channel)
}

// resolve expands user groups (ids starting with "S") into their members;
// a group that cannot be read stays as its id, and the first such failure
// is logged once.
func (a *Access) resolve(ctx context.Context, ids []string) []string {
	var out []string
	for _, id := range ids {
		if !strings.HasPrefix(id, "S") || a.Members == nil {
			out = append(out, id)
			continue
		}
		members, err := a.Members(ctx, id)
		if err != nil {
			a.warnOnce.Do(func() {
				if a.Logger != nil {
					a.Logger.Warn("user groups cannot be read: only the user ids listed count", "group", id, "err", err)
				}
			})
			out = append(out, id)
			continue
		}
		out = append(out, members...)
	}
	return out
}

// policy is the approval policy for runbook on srv: the first matching
// rule, else the default; false when nobody could approve.
func (a *Access) policy(ctx context.Context, runbook string, srv oncall.Server) (oncall.ApprovalPolicy, bool) {
	if a == nil {
		return oncall.ApprovalPolicy{}, false
	}
	rule, ruled := a.Default, false
	for _, r := range a.Rules {
		if (r.Runbook == "" || r.Runbook == runbook) && (r.Group == "" || slices.ContainsFunc(srv.Tags, func(t string) bool { return strings.EqualFold(t, r.Group) })) {
			rule, ruled = r, true
			break
		}
	}
	ids := rule.Approvers
	if !ruled {
		ids = slices.Concat(ids, a.Approvers, a.Admins)
	}
	pol := oncall.ApprovalPolicy{Approvers: a.resolve(ctx, ids), Quorum: max(rule.Quorum, 1), TTL: rule.TTL}
	if pol.TTL <= 0 {
		pol.TTL = 30 * time.Minute
	}
	if len(pol.Approvers) == 0 {
		if !a.AnyoneApproves {
			return oncall.ApprovalPolicy{}, false
		}
		pol.Anyone = true
	}
	return pol, true
}

// allowed checks that r's user may use a command needing role; otherwise
// it tells them privately, naming the role, and returns false.
func (c *Core) allowed(ctx context.Context, r req, need Role) bool {
	if !c.access.channelAllowed(r.channel) {
		_ = c.refuse(ctx, r, nil, r.t.pick(
			"Sorry, I do not act in this channel. Ask me in a channel where I work, or in a direct message.",
			"申し訳ありませんが、このチャンネルでは対応していません。対応しているチャンネルか、ダイレクト メッセージでお試しください。"))
		return false
	}
	have := c.access.role(ctx, r.userID)
	if have >= need {
		return true
	}
	c.lg.Info("command refused: role missing", "user", r.userID, "have", int(have), "need", int(need))
	_ = c.refuse(ctx, r, nil, r.t.pick(
		"Sorry, this needs the "+need.name(r.t)+" role, which you do not have (yours: "+have.name(r.t)+"). An administrator of wsbbot can grant it in the configuration.",
		"申し訳ありませんが、この操作には「"+need.name(r.t)+"」のロールが必要です (あなたのロール: "+have.name(r.t)+")。wsbbot の管理者が設定で付与できます。"))
	return false
}
