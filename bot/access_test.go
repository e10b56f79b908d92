package bot

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wsbbot/wsbbot/internal/store"
	"github.com/wsbbot/wsbbot/oncall"
)

func TestRoles(t *testing.T) {
	members := func(_ context.Context, g string) ([]string, error) {
		if g == "S_OPS" {
			return []string{"U_OP2"}, nil
		}
		return nil, errors.New("plan_upgrade_required")
	}
	a := &Access{Viewers: []string{"U_VIEW"}, Operators: []string{"U_OP", "S_OPS"}, Approvers: []string{"U_APP"}, Admins: []string{"U_ADM", "S_FREE"}, Members: members}
	for user, want := range map[string]Role{"U_VIEW": RoleViewer, "U_OP": RoleOperator, "U_OP2": RoleOperator, "U_APP": RoleApprover,
		"U_ADM": RoleAdmin, "U_X": RoleNone, "S_FREE": RoleAdmin} {
		if got := a.role(t.Context(), user); got != want {
			t.Errorf("role(%s) = %d, want %d", user, got, want)
		}
	}
	if got := (&Access{}).role(t.Context(), "U_ANY"); got != RoleOperator {
		t.Errorf("no roles configured: role %d, want operator", got)
	}
	var nilAccess *Access
	if got := nilAccess.role(t.Context(), "U_ANY"); got != RoleOperator || !nilAccess.channelAllowed("C9") {
		t.Errorf("nil access: role %d", got)
	}
}

func TestApprovalPolicies(t *testing.T) {
	a := &Access{
		Default:   ApprovalRule{Approvers: []string{"U_BOB"}, Quorum: 1, TTL: 30 * time.Minute},
		Approvers: []string{"U_APP"}, Admins: []string{"U_ADM"},
		Rules: []ApprovalRule{
			{Runbook: "usn-journal-cleanup", Group: "dc", Approvers: []string{"U_DC1", "U_DC2"}, Quorum: 2, TTL: time.Hour},
			{Group: "dc", Approvers: []string{"U_DC1"}},
		},
	}
	dc := oncall.Server{Name: "dc01", Tags: []string{"DC"}}
	fs := oncall.Server{Name: "fs01"}
	for _, tc := range []struct {
		runbook string
		srv     oncall.Server
		want    oncall.ApprovalPolicy
	}{
		{"vss-writer-restart", fs, oncall.ApprovalPolicy{Approvers: []string{"U_BOB", "U_APP", "U_ADM"}, Quorum: 1, TTL: 30 * time.Minute}},
		{"usn-journal-cleanup", dc, oncall.ApprovalPolicy{Approvers: []string{"U_DC1", "U_DC2"}, Quorum: 2, TTL: time.Hour}},
		{"vss-writer-restart", dc, oncall.ApprovalPolicy{Approvers: []string{"U_DC1"}, Quorum: 1, TTL: 30 * time.Minute}},
	} {
		got, ok := a.policy(t.Context(), tc.runbook, tc.srv)
		if diff := cmp.Diff(tc.want, got); !ok || diff != "" {
			t.Errorf("%s on %s (-want +got):\n%s", tc.runbook, tc.srv.Name, diff)
		}
	}
	if _, ok := (&Access{}).policy(t.Context(), "x", fs); ok {
		t.Error("a policy without approvers")
	}
	if p, ok := (&Access{AnyoneApproves: true}).policy(t.Context(), "x", fs); !ok || !p.Anyone || p.Quorum != 1 {
		t.Errorf("the console's policy: %+v %v", p, ok)
	}
}

// TestRefusedPolitely: a command beyond the user's role, or in a channel
// where the bot does not act, is refused privately, naming the role, in
// the user's language; nothing else is posted and nothing runs.
func TestRefusedPolitely(t *testing.T) {
	svc, _, hosts := labService(t)
	c := newChat(t, svc, Options{Access: &Access{Viewers: []string{"U1"}, Channels: []string{"C1"}}})
	if rs := c.say("en", "", "0x800423f4"); len(rs) != 1 {
		t.Errorf("a viewer's lookup: %d replies", len(rs))
	}
	for _, tc := range []struct{ locale, text, want string }{
		{"en", "diagnose writer-failed", "this needs the operator role, which you do not have (yours: viewer)"},
		{"ja-JP", "run vss-writer-restart on writer-failed", "「オペレーター」のロールが必要です (あなたのロール: 閲覧者)"},
	} {
		if rs := c.say(tc.locale, "", tc.text); len(rs) != 0 {
			t.Errorf("%q: posted %s", tc.text, text(rs...))
		}
		if eph := text(c.out.takeEphemeral()...); !strings.Contains(eph, tc.want) {
			t.Errorf("%q: told %q, want %q", tc.text, eph, tc.want)
		}
	}
	if rs := c.clickAs("U1", "en", "T", ActionDiagnose, "writer-failed 0x800423F4"); len(rs) != 0 {
		t.Errorf("a viewer's Diagnose click posted %s", text(rs...))
	}
	if eph := text(c.out.takeEphemeral()...); !strings.Contains(eph, "operator role") {
		t.Errorf("a viewer's Diagnose click: told %q", eph)
	}
	// Another channel: not even a lookup.
	m := Message{User: "U1", Channel: "C2", TS: "1.1", Text: "0x800423f4", Source: SourceMention}
	if err := c.core.Handle(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	if rs := c.wait(); len(rs) != 0 {
		t.Errorf("answered in a channel it does not act in: %s", text(rs...))
	}
	if eph := text(c.out.takeEphemeral()...); !strings.Contains(eph, "I do not act in this channel") {
		t.Errorf("other channel: told %q", eph)
	}
	if hosts["writer-failed"].WriterState("SqlServerWriter") == 1 {
		t.Error("a refused command changed the server")
	}
}

// gatedPoster holds the first Post of a progress reply until released,
// so that the one worker is busy and later work stays queued.
type gatedPoster struct {
	*recorder
	once    sync.Once
	held    chan struct{}
	release chan struct{}
}

func (g *gatedPoster) Post(ctx context.Context, r Reply) (string, error) {
	if strings.HasPrefix(r.Title, "Auditing") {
		g.once.Do(func() { close(g.held); <-g.release })
	}
	return g.recorder.Post(ctx, r)
}

// TestCancelByOwnersOnly: an approved fix waiting for a worker may be
// cancelled by its requester or approver, not by someone else; cancelled
// before it started, nothing runs.
func TestCancelByOwnersOnly(t *testing.T) {
	svc, st, hosts := labService(t)
	g := &gatedPoster{recorder: newRecorder(), held: make(chan struct{}), release: make(chan struct{})}
	core := New(Options{Service: svc, Poster: g, Workers: 1,
		Access: &Access{Default: ApprovalRule{Approvers: []string{"U2"}, Quorum: 1, TTL: time.Hour}}})
	t.Cleanup(func() { _ = core.Close(context.Background()) })
	c := &chat{t: t, core: core, out: g.recorder}

	rs := c.say("en", "T1", "run vss-writer-restart on writer-failed")
	approve, ok := button(rs, ActionApprove)
	if !ok {
		t.Fatalf("no Approve button:\n%s", text(rs...))
	}
	// Occupy the only worker with an audit held at its first post.
	if err := core.Handle(t.Context(), Message{User: "U1", Channel: "C1", ThreadTS: "T2", TS: "2.1", Text: "audit healthy", Source: SourceMention}); err != nil {
		t.Fatal(err)
	}
	<-g.held
	if err := core.Act(t.Context(), Action{User: "U2", Channel: "C1", ThreadTS: "T1", ActionID: approve.ActionID, Value: approve.Value}); err != nil {
		t.Fatal(err)
	}
	var id string
	for _, tk := range []string{"t1", "t2", "t3", "t4"} {
		if tt, ok := core.tasks.get(tk); ok && strings.HasPrefix(tt.What, "apply ") {
			id = tk
		}
	}
	if id == "" {
		t.Fatal("the approved fix is not queued")
	}
	say := func(user, text string) {
		if err := core.Handle(t.Context(), Message{User: user, Channel: "C1", ThreadTS: "T1", TS: "3." + user, Text: text, Source: SourceMention}); err != nil {
			t.Fatal(err)
		}
	}
	say("U3", "cancel "+id)
	if eph := text(g.takeEphemeral()...); !strings.Contains(eph, "only who asked for "+id) {
		t.Errorf("U3's cancel: told %q", eph)
	}
	say("U1", "cancel "+id)
	close(g.release)
	all := text(c.wait()...)
	if !strings.Contains(all, "Cancelled "+id) {
		t.Errorf("the requester's cancel:\n%s", all)
	}
	if runs, _ := st.Runs(t.Context(), store.RunFilter{Runbook: "vss-writer-restart"}); len(runs) != 0 {
		t.Errorf("%d fix runs recorded after the cancel", len(runs))
	}
	if hosts["writer-failed"].WriterState("SqlServerWriter") == 1 {
		t.Error("the cancelled fix changed the server")
	}
}

// TestExpiredRequestSaysSo: the sweep closes a request past its time and
// says so in its thread, in the requester's language; a click afterwards
// is refused as expired.
func TestExpiredRequestSaysSo(t *testing.T) {
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	svc, _, _ := labServiceAt(t, clock)
	c := newChat(t, svc, Options{Clock: clock,
		Access: &Access{Default: ApprovalRule{Approvers: []string{"U2"}, Quorum: 1, TTL: time.Minute}}})
	rs := c.say("ja-JP", "T1", "run vss-writer-restart on writer-failed")
	approve, ok := button(rs, ActionApprove)
	if !ok {
		t.Fatalf("no Approve button:\n%s", text(rs...))
	}
	if err := c.core.ExpireApprovals(t.Context()); err != nil {
		t.Fatal(err)
	}
	if rs := c.wait(); len(rs) != 0 {
		t.Fatalf("a request within its time was expired: %s", text(rs...))
	}
	mu.Lock()
	now = now.Add(2 * time.Minute)
	mu.Unlock()
	if err := c.core.ExpireApprovals(t.Context()); err != nil {
		t.Fatal(err)
	}
	rs = c.wait()
	if len(rs) != 1 || rs[0].ThreadTS != "T1" || !strings.Contains(text(rs...), "承認がそろわないまま期限切れ") {
		t.Fatalf("expiry notice: %d replies\n%s", len(rs), text(rs...))
	}
	c.click("en", "T1", approve.ActionID, approve.Value)
	if eph := text(c.out.takeEphemeral()...); !strings.Contains(eph, "expired") {
		t.Errorf("a click after expiry: told %q", eph)
	}
}
