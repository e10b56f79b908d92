package bot

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wsbbot/wsbbot/internal/langcheck"
	"github.com/wsbbot/wsbbot/internal/store"
	"github.com/wsbbot/wsbbot/lab"
	"github.com/wsbbot/wsbbot/lab/labtest"
	"github.com/wsbbot/wsbbot/oncall"
	"github.com/wsbbot/wsbbot/remote"
	"github.com/wsbbot/wsbbot/runbooks"
)

// recorder is a Poster that records what the core posted.
type recorder struct {
	mu        sync.Mutex
	posts     []Reply
	updates   map[string][]Reply
	uploads   []Attachment
	reactions []string
	ephemeral []Reply
}

var _ Poster = (*recorder)(nil)

func newRecorder() *recorder { return &recorder{updates: map[string][]Reply{}} }

func (p *recorder) Post(_ context.Context, r Reply) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.posts = append(p.posts, r)
	return "m" + strconv.Itoa(len(p.posts)), nil
}

func (p *recorder) Update(_ context.Context, ref string, r Reply) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.updates[ref] = append(p.updates[ref], r)
	return nil
}

func (p *recorder) Ephemeral(_ context.Context, _ string, r Reply) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ephemeral = append(p.ephemeral, r)
	return nil
}

func (p *recorder) Upload(_ context.Context, _, _, name, content, comment string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.uploads = append(p.uploads, Attachment{Name: name, Content: content, Comment: comment})
	return nil
}

func (p *recorder) React(_ context.Context, channel, ts, name string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reactions = append(p.reactions, channel+"/"+ts+":"+name)
	return nil
}

// takeEphemeral returns the replies shown to one user since the last call.
func (p *recorder) takeEphemeral() []Reply {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.ephemeral
	p.ephemeral = nil
	return out
}

// take returns the replies posted since the last take, and the edits.
func (p *recorder) take() []Reply {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.posts
	p.posts = nil
	return out
}

// labService is the oncall service over a running lab (one host per
// scenario) and an in-memory record.
func labService(t *testing.T) (*oncall.Service, *store.Memory, map[string]*lab.Host) {
	return labServiceAt(t, nil)
}

// labServiceAt is labService with the service's clock (nil: time.Now).
func labServiceAt(t *testing.T, clock func() time.Time) (*oncall.Service, *store.Memory, map[string]*lab.Host) {
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
	deps, hosts, err := labtest.Deps(l, client)
	if err != nil {
		t.Fatal(err)
	}
	st := store.NewMemory(nil)
	deps.Store, deps.Clock = st, clock
	svc, err := oncall.New(deps)
	if err != nil {
		t.Fatal(err)
	}
	return svc, st, hosts
}

// knowledgeService answers from the catalogue only, with inv as its
// inventory.
func knowledgeService(t *testing.T, inv oncall.Inventory) *oncall.Service {
	t.Helper()
	set, err := runbooks.LoadBundled()
	if err != nil {
		t.Fatal(err)
	}
	svc, err := oncall.New(oncall.Deps{Runbooks: set, Inventory: inv})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// chat is a scripted conversation with a core.
type chat struct {
	t    *testing.T
	core *Core
	out  *recorder
	n    int
}

func newChat(t *testing.T, svc *oncall.Service, o Options) *chat {
	t.Helper()
	out := newRecorder()
	o.Service, o.Poster = svc, out
	core := New(o)
	t.Cleanup(func() { _ = core.Close(context.Background()) })
	return &chat{t: t, core: core, out: out}
}

// say sends text as user in channel C1 (in thread, or as a new message
// when thread is "") and returns what the core posted once its work is
// done.
func (c *chat) say(locale, thread, text string) []Reply {
	c.t.Helper()
	c.n++
	m := Message{User: "U1", UserName: "alice", Locale: locale, Channel: "C1", ThreadTS: thread, TS: "1700000000." + strconv.Itoa(c.n),
		Text: text, Source: SourceMention}
	if err := c.core.Handle(c.t.Context(), m); err != nil {
		c.t.Fatalf("Handle(%q): %v", text, err)
	}
	return c.wait()
}

// click presses a control as U2 (bob).
func (c *chat) click(locale, thread, actionID, value string) []Reply {
	c.t.Helper()
	return c.clickAs("U2", locale, thread, actionID, value)
}

// clickAs presses a control as user.
func (c *chat) clickAs(user, locale, thread, actionID, value string) []Reply {
	c.t.Helper()
	a := Action{User: user, Locale: locale, Channel: "C1", ThreadTS: thread, MessageTS: "m1", ActionID: actionID, Value: value}
	if err := c.core.Act(c.t.Context(), a); err != nil {
		c.t.Fatalf("Act(%s %q): %v", actionID, value, err)
	}
	return c.wait()
}

func (c *chat) wait() []Reply {
	c.t.Helper()
	if err := c.core.Wait(c.t.Context()); err != nil {
		c.t.Fatal(err)
	}
	rs := c.out.take()
	for _, r := range rs {
		if !r.Fits() {
			c.t.Errorf("reply exceeds the limits: %+v", r)
		}
	}
	return rs
}

// text is everything a reply shows, as one string.
func text(rs ...Reply) string {
	var b strings.Builder
	for _, r := range rs {
		b.WriteString(r.Title + "\n")
		for _, s := range r.Sections {
			b.WriteString(plainSection(s))
		}
		for _, bt := range r.Buttons {
			b.WriteString("[" + bt.Label + "]\n")
		}
		for _, m := range r.Menus {
			b.WriteString(m.Placeholder + "\n")
			for _, o := range m.Options {
				b.WriteString("(" + o.Label + ")\n")
			}
		}
		b.WriteString(r.Context + "\n")
	}
	return b.String()
}

// button finds a button by action id in rs.
func button(rs []Reply, actionID string) (Button, bool) {
	for _, r := range rs {
		for _, b := range r.Buttons {
			if b.ActionID == actionID {
				return b, true
			}
		}
	}
	return Button{}, false
}

// assertJapanese fails when the text the core wrote in a reply (title,
// section text, field labels, controls, context) holds an English
// sentence. Field values and code blocks are data and are not checked.
func assertJapanese(t *testing.T, rs []Reply) {
	t.Helper()
	for _, r := range rs {
		if r.Lang != runbooks.LangJA {
			t.Errorf("reply %q in %q, want ja", r.Title, r.Lang)
		}
		parts := []string{r.Title, r.Context}
		for _, s := range r.Sections {
			parts = append(parts, s.Text)
			for _, f := range s.Fields {
				parts = append(parts, f.Label)
			}
		}
		for _, b := range r.Buttons {
			parts = append(parts, b.Label)
		}
		for _, m := range r.Menus {
			parts = append(parts, m.Placeholder)
		}
		for _, p := range parts {
			for _, m := range langcheck.EnglishSentences(p) {
				t.Errorf("Japanese reply holds English %q in %q", m, p)
			}
		}
	}
}
