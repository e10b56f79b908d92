package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/wsbbot/wsbbot/bot"
	"github.com/wsbbot/wsbbot/bot/slack/slacktest"
	"github.com/wsbbot/wsbbot/checklists"
	"github.com/wsbbot/wsbbot/internal/store"
	"github.com/wsbbot/wsbbot/lab"
	"github.com/wsbbot/wsbbot/oncall"
	"github.com/wsbbot/wsbbot/remote"
	"github.com/wsbbot/wsbbot/runbooks"
)

var (
	approvalID = regexp.MustCompile(`ap-[a-z0-9]{8}`)
	labTime    = regexp.MustCompile(`\d{4}_\d{2}_\d{2} \d{2}:\d{2}`)
	// labDate: the lab dates its event log relative to today.
	labDate = regexp.MustCompile(`\d{4}(\x{200e}?)-(\x{200e}?)\d{2}(\x{200e}?)-(\x{200e}?)\d{2}`)
)

var update = flag.Bool("update", false, "rewrite the golden Block Kit files in testdata")

// capture is a bot.Poster that keeps the replies the core posts.
type capture struct {
	mu      sync.Mutex
	replies []bot.Reply
}

func (c *capture) Post(_ context.Context, r bot.Reply) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.replies = append(c.replies, r)
	return fmt.Sprint(len(c.replies)), nil
}
func (c *capture) Update(context.Context, string, bot.Reply) error                      { return nil }
func (c *capture) Ephemeral(context.Context, string, bot.Reply) error                   { return nil }
func (c *capture) React(context.Context, string, string, string) error                  { return nil }
func (c *capture) Upload(context.Context, string, string, string, string, string) error { return nil }

func (c *capture) take() []bot.Reply {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.replies
	c.replies = nil
	return out
}

// labCore is the real core on the simulated lab, with an in-memory record
// at a fixed clock (so run ids and times do not change between runs).
func labCore(t *testing.T) (*bot.Core, *capture) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	l, err := lab.Start(ctx, lab.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	client, err := remote.New(remote.Options{Concurrency: 8})
	if err != nil {
		t.Fatal(err)
	}
	targets := map[string]remote.Target{}
	var inv oncall.Inventory
	for _, h := range l.Hosts() {
		targets[h.Name] = remote.Target{Name: h.Name, Address: h.Address, Port: h.Port, Auth: remote.AuthBasic,
			User: l.User(), Password: remote.Password(l.Password())}
		inv = append(inv, oncall.Server{Name: h.Name, Tags: []string{h.Scenario}})
	}
	exec := &remote.Executor{Client: client, Resolve: func(name string) (remote.Target, error) { return targets[name], nil }}
	set, err := runbooks.LoadBundled()
	if err != nil {
		t.Fatal(err)
	}
	cl, err := checklists.Bundled()
	if err != nil {
		t.Fatal(err)
	}
	clock := func() time.Time { return time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC) }
	svc, err := oncall.New(oncall.Deps{Runbooks: set, Checklist: cl, Executor: exec, Store: store.NewMemory(clock), Inventory: inv, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	out := &capture{}
	core := bot.New(bot.Options{Service: svc, Poster: out, Clock: clock,
		Access: &bot.Access{Default: bot.ApprovalRule{Approvers: []string{"U0APPROVER"}, Quorum: 1, TTL: time.Hour}}})
	t.Cleanup(func() { _ = core.Close(context.Background()) })
	return core, out
}

// ask sends text and returns the last reply once the work is done.
func ask(t *testing.T, core *bot.Core, out *capture, locale, text string) bot.Reply {
	t.Helper()
	m := bot.Message{User: "U0EN", Locale: locale, Channel: "C111", TS: "1700000000.000100", Text: text, Source: bot.SourceMention}
	if err := core.Handle(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	if err := core.Wait(t.Context()); err != nil {
		t.Fatal(err)
	}
	rs := out.take()
	if len(rs) == 0 {
		t.Fatalf("%q: no reply", text)
	}
	return rs[len(rs)-1]
}

// TestBlocksGolden renders a lookup reply, a diagnosis and an approval
// plan from the real core into Block Kit, compares them with the files in
// testdata, and posts each through slack-go to the fake Slack, which
// answers invalid_blocks on any limit broken.
func TestBlocksGolden(t *testing.T) {
	core, out := labCore(t)
	fake := slacktest.Start(t, slacktest.Options{Channels: []slacktest.Channel{{ID: "C111", Name: "backup-alerts"}}})
	api := slackgo.New(fake.BotToken(), slackgo.OptionAPIURL(fake.APIURL()))
	for _, tt := range []struct{ name, locale, text string }{
		{"lookup", "en-US", "0x800423F4 on writer-failed"},
		{"lookup-ja", "ja-JP", "0x800423F4 on writer-failed"},
		{"diagnosis", "en-US", "diagnose writer-failed 0x800423F4"},
		{"approval-plan", "en-US", "fix writer-failed 0x800423F4"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := ask(t, core, out, tt.locale, tt.text)
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			if err := enc.Encode(Blocks(r)); err != nil {
				t.Fatal(err)
			}
			// What changes from run to run: approval ids, and the lab's
			// clock in its backup versions.
			got := approvalID.ReplaceAll(buf.Bytes(), []byte("ap-XXXXXXXX"))
			got = labTime.ReplaceAll(got, []byte("YYYY_MM_DD hh:mm"))
			got = labDate.ReplaceAll(got, []byte("YYYY${1}-${2}MM${3}-${4}DD"))
			path := filepath.Join("testdata", tt.name+".json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to write it)", err)
			}
			if string(got) != string(want) {
				t.Errorf("%s differs from the rendering (run with -update to accept):\n%s", path, got)
			}
			if _, _, err := api.PostMessageContext(t.Context(), "C111", messageOptions(r)...); err != nil {
				t.Errorf("Slack refuses the rendering: %v", err)
			}
		})
	}
}

// TestBlocksWithinLimits renders replies far over every limit and posts
// them: Slack must accept each.
func TestBlocksWithinLimits(t *testing.T) {
	fake := slacktest.Start(t, slacktest.Options{Channels: []slacktest.Channel{{ID: "C111", Name: "backup-alerts"}}})
	api := slackgo.New(fake.BotToken(), slackgo.OptionAPIURL(fake.APIURL()))
	long := strings.Repeat("x<&>y ", 2000)
	lines := strings.Repeat("a line of output with <angle> & amp\n", 400)
	r := bot.Reply{Channel: "C111", Title: strings.Repeat("T", 400), Context: long}
	for i := range 70 {
		s := bot.Section{Text: long, Code: lines}
		for k := range 14 {
			s.Fields = append(s.Fields, bot.Field{Label: fmt.Sprint("L", k), Value: long})
		}
		r.Sections = append(r.Sections, s)
		r.Buttons = append(r.Buttons, bot.Button{Label: strings.Repeat("B", 100), ActionID: "wsb.diagnose", Value: fmt.Sprint("v", i)})
	}
	var opts []bot.Option
	for i := range 150 {
		opts = append(opts, bot.Option{Label: strings.Repeat("o", 90), Value: fmt.Sprint("server-", i)})
	}
	r.Menus = []bot.Menu{{Placeholder: strings.Repeat("p", 200), ActionID: "wsb.fix", Options: opts}, {ActionID: "wsb.diagnose", Load: "servers 0x1"}}
	bl := Blocks(r)
	if n := len(bl.BlockSet); n > maxBlocks {
		t.Errorf("%d blocks", n)
	}
	if _, _, err := api.PostMessageContext(t.Context(), "C111", messageOptions(r)...); err != nil {
		t.Fatalf("Slack refuses an oversized reply: %v", err)
	}
	// The ids of repeated controls come back to the core's.
	if got := actionID("wsb.diagnose#7"); got != "wsb.diagnose" {
		t.Errorf("actionID = %q", got)
	}
	// Mentions survive escaping; other angle brackets do not.
	if got := escape("<@U123> asked: a<b & <#C1|ops> <!here>"); got != "<@U123> asked: a&lt;b &amp; <#C1|ops> <!here>" {
		t.Errorf("escape = %q", got)
	}
}
