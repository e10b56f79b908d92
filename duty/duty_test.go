package duty_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wsbbot/wsbbot/bot"
	"github.com/wsbbot/wsbbot/bot/console"
	"github.com/wsbbot/wsbbot/duty"
	"github.com/wsbbot/wsbbot/internal/schedule"
	"github.com/wsbbot/wsbbot/internal/store"
	"github.com/wsbbot/wsbbot/lab"
	"github.com/wsbbot/wsbbot/lab/labtest"
	"github.com/wsbbot/wsbbot/oncall"
	"github.com/wsbbot/wsbbot/remote"
)

// poster records what the core posts and renders it on the console.
type poster struct {
	*console.Console
	mu      sync.Mutex
	posts   []bot.Reply
	uploads []string // channel/thread/name
}

func (p *poster) Post(ctx context.Context, r bot.Reply) (string, error) {
	ref, err := p.Console.Post(ctx, r)
	p.mu.Lock()
	p.posts = append(p.posts, r)
	p.mu.Unlock()
	return ref, err
}

func (p *poster) Upload(ctx context.Context, ch, th, name, content, comment string) error {
	p.mu.Lock()
	p.uploads = append(p.uploads, ch+"/"+th+"/"+name)
	p.mu.Unlock()
	return p.Console.Upload(ctx, ch, th, name, content, comment)
}

func (p *poster) take() ([]bot.Reply, []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, u := p.posts, p.uploads
	p.posts, p.uploads = nil, nil
	return r, u
}

// deps is a service's dependencies over a lab of the given scenario.
func deps(t *testing.T, scenario string, hosts int) (oncall.Deps, map[string]*lab.Host) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	l, err := lab.Start(ctx, lab.Options{Password: "lab-Passw0rd", Scenario: scenario, Hosts: hosts})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	client, err := remote.New(remote.Options{Concurrency: 8})
	if err != nil {
		t.Fatal(err)
	}
	d, byName, err := labtest.Deps(l, client)
	if err != nil {
		t.Fatal(err)
	}
	return d, byName
}

// world is a core and a duty over one record, as serve would build them.
type world struct {
	out  *poster
	core *bot.Core
	duty *duty.Duty
}

func newWorld(t *testing.T, d oncall.Deps, st store.Store, clock *schedule.ManualClock, o duty.Options, transcript *bytes.Buffer) *world {
	t.Helper()
	d.Store = st
	d.Clock = clock.Now
	svc, err := oncall.New(d)
	if err != nil {
		t.Fatal(err)
	}
	out := &poster{Console: console.New(console.Options{In: strings.NewReader(""), Out: transcript})}
	core := bot.New(bot.Options{Service: svc, Poster: out, Clock: clock.Now})
	t.Cleanup(func() { core.Close(context.Background()) })
	o.Core, o.Service, o.Store, o.Clock = core, svc, st, clock
	du, err := duty.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return &world{out: out, core: core, duty: du}
}

func text(rs []bot.Reply) string {
	var b strings.Builder
	for _, r := range rs {
		b.WriteString(r.Title + "\n")
		for _, s := range r.Sections {
			b.WriteString(s.Text + "\n" + s.Code + "\n")
		}
		for _, btn := range r.Buttons {
			b.WriteString("[" + btn.Label + "] ")
		}
		b.WriteString(r.Context + "\n")
	}
	return b.String()
}

// A scheduled audit posts at its due time (fake clock) its matrix, what
// changed and the files; the next says what changed or that nothing did; a
// due time missed while wsbbot was down runs once at start, said late.
func TestScheduledAudit(t *testing.T) {
	ctx := context.Background()
	d, _ := deps(t, lab.ScenarioNoRestoreTest, 2)
	path := filepath.Join(t.TempDir(), "wsbbot.db")
	st, err := store.Open(path, store.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	clock := schedule.NewManualClock(time.Date(2026, 12, 6, 23, 59, 0, 0, time.UTC)) // Sunday, 08:59 JST Monday
	spec, err := schedule.Cron("0 9 * * *", "Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	var transcript bytes.Buffer
	o := duty.Options{Audits: []duty.Audit{{Name: "daily", Channel: "C_AUDIT", Spec: spec}}}
	w := newWorld(t, d, st, clock, o, &transcript)
	if err := w.duty.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if rs, _ := w.out.take(); len(rs) != 0 {
		t.Fatalf("posted before its time:\n%s", text(rs))
	}
	clock.Set(time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC))
	if err := w.duty.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	rs, ups := w.out.take()
	got := text(rs)
	if len(rs) != 1 || rs[0].Channel != "C_AUDIT" || rs[0].ThreadTS != "" || !strings.Contains(got, "SERVER") ||
		!strings.Contains(got, "restore-test") || !strings.Contains(got, "FAIL") || !strings.Contains(got, "First audit of this scope") || strings.Contains(got, "late by") {
		t.Fatalf("first scheduled audit:\n%s", got)
	}
	if len(ups) != 2 || !strings.HasSuffix(ups[0], ".md") || !strings.HasSuffix(ups[1], ".csv") || !strings.HasPrefix(ups[0], "C_AUDIT/1/") {
		t.Fatalf("files: %v", ups)
	}
	if err := w.duty.Tick(ctx); err != nil { // the same due time: nothing
		t.Fatal(err)
	}
	if rs, _ := w.out.take(); len(rs) != 0 {
		t.Fatalf("posted twice for one due time:\n%s", text(rs))
	}
	clock.Set(time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC))
	if err := w.duty.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	rs, _ = w.out.take()
	if got := text(rs); len(rs) != 1 || !strings.Contains(got, "Nothing changed since audit") || !strings.Contains(got, "still failing for 2 audits") {
		t.Fatalf("second scheduled audit:\n%s", got)
	}
	// Down from Tuesday until Thursday 11:10 JST: Wednesday's and
	// Thursday's were missed; one runs at start, late.
	w.core.Close(ctx)
	st.Close()
	clock.Set(time.Date(2026, 12, 10, 2, 10, 0, 0, time.UTC))
	st, err = store.Open(path, store.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	w = newWorld(t, d, st, clock, o, &transcript)
	for range 2 {
		if err := w.duty.Tick(ctx); err != nil {
			t.Fatal(err)
		}
	}
	rs, _ = w.out.take()
	if got := text(rs); len(rs) != 1 || !strings.Contains(got, "late by 2h10m (1 earlier run(s) skipped)") || !strings.Contains(got, "still failing for 3 audits") {
		t.Fatalf("after downtime:\n%s", got)
	}
	writeTranscript(t, "scheduled-audit", transcript.String())
}

// The watch posts a failure once, with the catalogue's explanation and its
// buttons, and its recovery once in the failure's thread, across a restart.
func TestWatchPostsFailureAndRecoveryOnce(t *testing.T) {
	ctx := context.Background()
	d, hosts := deps(t, lab.ScenarioBackupRecovers, 1)
	path := filepath.Join(t.TempDir(), "wsbbot.db")
	st, err := store.Open(path, store.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	clock := schedule.NewManualClock(time.Date(2026, 12, 7, 0, 1, 0, 0, time.UTC))
	var transcript bytes.Buffer
	o := duty.Options{Watch: duty.Watch{Enabled: true, Every: 15 * time.Minute, Channel: "C_INCIDENT"}}
	w := newWorld(t, d, st, clock, o, &transcript)
	step := func() []bot.Reply {
		t.Helper()
		clock.Advance(15 * time.Minute)
		if err := w.duty.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		rs, _ := w.out.take()
		return rs
	}
	_ = w.duty.Tick(ctx) // baseline
	if rs := step(); len(rs) != 0 {
		t.Fatalf("healthy server:\n%s", text(rs))
	}
	host := hosts[lab.ScenarioBackupRecovers]
	if _, _, err := host.RunBackup(); err != nil {
		t.Fatal(err)
	}
	rs := step()
	got := text(rs)
	if len(rs) != 1 || rs[0].Channel != "C_INCIDENT" || !strings.Contains(got, "Backup failed on backup-recovers") ||
		!strings.Contains(got, "0x800423F3") || !strings.Contains(got, "[Diagnose]") {
		t.Fatalf("failure post:\n%s", got)
	}
	if code, server := w.core.ThreadContext("C_INCIDENT", "1"); code != "0x800423F3" || server != lab.ScenarioBackupRecovers {
		t.Fatalf("alert thread remembers %q %q", code, server)
	}
	if rs := step(); len(rs) != 0 {
		t.Fatalf("failure posted again:\n%s", text(rs))
	}
	w.core.Close(ctx)
	st.Close()
	st, err = store.Open(path, store.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	w = newWorld(t, d, st, clock, o, &transcript)
	if rs := step(); len(rs) != 0 {
		t.Fatalf("failure posted again after a restart:\n%s", text(rs))
	}
	if _, _, err := host.RunBackup(); err != nil {
		t.Fatal(err)
	}
	rs = step()
	if got := text(rs); len(rs) != 1 || rs[0].Channel != "C_INCIDENT" || rs[0].ThreadTS != "1" || !strings.Contains(got, "Recovered") {
		t.Fatalf("recovery post:\n%s", got)
	}
	if rs := step(); len(rs) != 0 {
		t.Fatalf("recovery posted again:\n%s", text(rs))
	}
	writeTranscript(t, "watch", transcript.String())
}

// writeTranscript keeps the console rendering for the record when
// WSBBOT_TRANSCRIPTS names a folder.
func writeTranscript(t *testing.T, name, s string) {
	if dir := os.Getenv("WSBBOT_TRANSCRIPTS"); dir != "" {
		if err := os.WriteFile(filepath.Join(dir, name+".txt"), []byte(s), 0o644); err != nil {
			t.Error(err)
		}
	}
}
