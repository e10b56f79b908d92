package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/wsbbot/wsbbot/oncall"
	"github.com/wsbbot/wsbbot/runbooks"
)

// Action ids of the controls the core posts. A button's value holds the
// arguments of the command it stands for ("writer-failed 0x800423F4"), so
// a click is the command typed in full.
const (
	ActionDiagnose = "wsb.diagnose" // value: SERVER [CODE]
	ActionFix      = "wsb.fix"      // value: SERVER CODE
	ActionGuide    = "wsb.guide"    // value: TOPIC
	ActionRun      = "wsb.run"      // value: RUNBOOK SERVER
	ActionCleanup  = "wsb.cleanup"  // value: RUN (an interrupted run)
)

// Options configure a Core.
type Options struct {
	Service *oncall.Service
	Poster  Poster
	// Lang is the configured default language (when a user's locale says
	// neither English nor Japanese); "" is English.
	Lang runbooks.Lang
	// Workers run long work (diagnose, audit, plans, runs) at most this
	// many at once (0: 4); Queue more wait (0: 64), beyond which the user
	// is told to try again.
	Workers, Queue int
	// ThreadMemory bounds the threads whose context is remembered (0:
	// 1000).
	ThreadMemory int
	// UpdateEvery is the least time between two edits of a progress reply
	// (0: one second).
	UpdateEvery time.Duration
	// Access says who may do what: roles, the channels where the bot
	// acts, and who approves a plan's changes (nil: everyone is an
	// operator and nobody approves, so plans are only shown). A plan with
	// changes becomes an approval request in the record, with Approve /
	// Deny buttons.
	Access *Access
	// ExportTimeline renders a run's timeline as a document (Markdown)
	// that is put into the thread after an approved fix (nil: none).
	ExportTimeline func(*oncall.Timeline) string
	// Clock is the time (nil: time.Now); tests inject theirs.
	Clock  func() time.Time
	Logger *slog.Logger
}

// Core is the conversation core. Handle and Act return once the answer is
// posted or the work is queued; Wait waits for queued work, Close stops.
// It is safe for concurrent use.
type Core struct {
	svc    *oncall.Service
	out    Poster
	lang   runbooks.Lang
	every  time.Duration
	access *Access
	// exportTimeline renders a run's timeline for the thread (nil: none).
	exportTimeline func(*oncall.Timeline) string
	now            func() time.Time
	lg             *slog.Logger

	threads *lru[threadContext]
	tasks   *lru[*task]

	base     context.Context
	stop     context.CancelFunc
	jobs     chan *task
	workers  sync.WaitGroup
	inflight sync.WaitGroup

	mu     sync.Mutex
	closed bool
	seq    int
}

// task is one piece of long work.
type task struct {
	ID      string
	What    string // the command, in the grammar's words
	Channel string
	Thread  string
	State   string // queued, running, done, cancelled
	// Owners may cancel the task: who asked for it and, for an approved
	// fix, its approvers. Admins may cancel any task.
	Owners   []string
	run      func(ctx context.Context)
	cancel   context.CancelFunc
	cancelMu sync.Mutex
}

// New returns a core and starts its workers.
func New(o Options) *Core {
	c := &Core{svc: o.Service, out: o.Poster, lang: o.Lang, every: o.UpdateEvery, access: o.Access, exportTimeline: o.ExportTimeline, now: o.Clock, lg: o.Logger}
	if c.lang == "" {
		c.lang = runbooks.LangEN
	}
	if c.every <= 0 {
		c.every = time.Second
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.lg == nil {
		c.lg = slog.New(slog.DiscardHandler)
	}
	workers, queue := o.Workers, o.Queue
	if workers <= 0 {
		workers = 4
	}
	if queue <= 0 {
		queue = 64
	}
	c.threads = newLRU[threadContext](orDefault(o.ThreadMemory, 1000))
	c.tasks = newLRU[*task](1000)
	c.base, c.stop = context.WithCancel(context.Background())
	c.jobs = make(chan *task, queue)
	for range workers {
		c.workers.Add(1)
		go c.work()
	}
	return c
}

func orDefault(n, def int) int {
	if n <= 0 {
		return def
	}
	return n
}

func (c *Core) work() {
	defer c.workers.Done()
	for t := range c.jobs {
		c.runTask(t)
	}
}

func (c *Core) runTask(t *task) {
	defer c.inflight.Done()
	t.cancelMu.Lock()
	if t.State == "cancelled" {
		t.cancelMu.Unlock()
		return
	}
	ctx, cancel := context.WithCancel(c.base)
	t.cancel, t.State = cancel, "running"
	t.cancelMu.Unlock()
	defer cancel()
	t.run(ctx)
	t.cancelMu.Lock()
	if t.State == "running" {
		t.State = "done"
	}
	t.cancelMu.Unlock()
}

// submit queues long work; false when the core is closed or the queue is
// full (the user has been told).
func (c *Core) submit(ctx context.Context, r req, what string, run func(ctx context.Context, t *task)) bool {
	return c.submitOwned(ctx, r, what, []string{r.userID}, run)
}

// submitOwned is submit for work that owners (not only the one asking)
// may cancel.
func (c *Core) submitOwned(ctx context.Context, r req, what string, owners []string, run func(ctx context.Context, t *task)) bool {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return false
	}
	c.seq++
	t := &task{ID: "t" + itoa(c.seq), What: what, Channel: r.channel, Thread: r.thread, State: "queued", Owners: owners}
	t.run = func(ctx context.Context) { run(ctx, t) }
	c.inflight.Add(1)
	select {
	case c.jobs <- t:
		c.mu.Unlock()
		c.tasks.put(t.ID, t)
		return true
	default:
		c.inflight.Done()
		c.mu.Unlock()
		c.lg.Warn("work queue full", "what", what, "user", r.user)
		c.say(ctx, r, r.t.pick("I am busy with other work: try again in a minute.", "ほかの処理で手一杯です。1 分ほどしてからもう一度お試しください。"))
		return false
	}
}

// Wait returns once no work is queued or running (or ctx is done).
func (c *Core) Wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() { c.inflight.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops taking work and waits for what is queued or running to end;
// when ctx is done first, running work is cancelled (a run then ends
// cancelled, and is recorded so) and Close still waits for it.
func (c *Core) Close(ctx context.Context) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	close(c.jobs)
	c.mu.Unlock()
	err := c.Wait(ctx)
	if err != nil {
		c.stop()
	}
	c.workers.Wait()
	c.stop()
	return err
}

// req is who asked, where, and in which language.
type req struct {
	user    string // the record's actor
	userID  string
	channel string
	thread  string
	msgTS   string // the user's message ("" for a click)
	lang    runbooks.Lang
	t       texts
}

func (c *Core) newReq(userID, name, locale, channel, thread, ts string) req {
	lang := LangFor(locale, c.lang)
	return req{user: actor(userID, name), userID: userID, channel: channel, thread: thread, msgTS: ts, lang: lang, t: texts{lang}}
}

// reply starts a reply in r's thread and language.
func (r req) reply(title string) Reply {
	return Reply{Channel: r.channel, ThreadTS: r.thread, Lang: r.lang, Title: title}
}

// Handle answers one message. Quick answers are posted before it returns;
// long work is queued.
func (c *Core) Handle(ctx context.Context, m Message) error {
	r := c.newReq(m.User, m.UserName, m.Locale, m.Channel, m.thread(), m.TS)
	cmd := Parse(m.Text)
	c.lg.Debug("message", "user", m.User, "channel", m.Channel, "source", string(m.Source), "verb", string(cmd.Verb))
	if !c.allowed(ctx, r, verbRole(cmd.Verb)) {
		return nil
	}
	return c.dispatch(ctx, r, cmd)
}

// Act answers a click on a control the core posted.
func (c *Core) Act(ctx context.Context, a Action) error {
	r := c.newReq(a.User, a.UserName, a.Locale, a.Channel, a.thread(), "")
	c.lg.Debug("action", "user", a.User, "channel", a.Channel, "action", a.ActionID)
	need := RoleOperator // Diagnose, Fix, a server picked; who approves is the policy's
	if a.ActionID == ActionGuide || a.ActionID == ActionApprove || a.ActionID == ActionDeny {
		need = RoleViewer
	}
	if !c.allowed(ctx, r, need) {
		return nil
	}
	switch a.ActionID {
	case ActionDiagnose:
		return c.dispatch(ctx, r, Parse("diagnose "+a.Value))
	case ActionFix:
		return c.dispatch(ctx, r, Parse("fix "+a.Value))
	case ActionGuide:
		return c.dispatch(ctx, r, Command{Verb: VerbGuide, Topic: a.Value})
	case ActionRun:
		rb, server, _ := strings.Cut(a.Value, " ")
		return c.dispatch(ctx, r, Parse("run "+rb+" on "+server))
	case ActionApprove:
		return c.approve(ctx, r, a.Value)
	case ActionDeny:
		return c.deny(ctx, r, a.Value)
	case ActionCleanup:
		return c.requestCleanup(ctx, r, a.Value)
	}
	return c.say(ctx, r, r.t.pick("I do not know that button.", "そのボタンには対応していません。"))
}

func (c *Core) dispatch(ctx context.Context, r req, cmd Command) error {
	switch cmd.Verb {
	case VerbLookup, VerbUnknown:
		return c.lookup(ctx, r, cmd)
	case VerbHelp:
		return c.send(ctx, r, c.help(r))
	case VerbUsage:
		return c.say(ctx, r, r.t.pick("Usage: ", "使い方: ")+"`"+cmd.Usage+"`")
	case VerbServers:
		return c.servers(ctx, r)
	case VerbRunbooks:
		return c.runbooks(ctx, r)
	case VerbGuide:
		return c.guide(ctx, r, cmd.Topic)
	case VerbHistory:
		return c.history(ctx, r, cmd.Server)
	case VerbStatus:
		return c.status(ctx, r, cmd.Topic)
	case VerbCancel:
		return c.cancelTask(ctx, r, cmd.Topic)
	case VerbRestoreTest:
		return c.restoreTest(ctx, r, cmd)
	case VerbDiagnose:
		return c.diagnose(ctx, r, cmd)
	case VerbFix:
		return c.fix(ctx, r, cmd)
	case VerbRun:
		return c.runCommand(ctx, r, cmd)
	case VerbAudit:
		return c.audit(ctx, r, cmd.Topic)
	}
	return c.unknown(ctx, r, cmd)
}

// send posts a reply (fitted to the limits) and uploads its attachments
// into its thread. It returns the reply's reference.
func (c *Core) sendRef(ctx context.Context, r req, rep Reply, base string) (string, error) {
	rep = fit(rep, base, r.t)
	ref, err := c.out.Post(ctx, rep)
	if err != nil {
		c.lg.Error("post failed", "channel", rep.Channel, "err", err)
		return "", fmt.Errorf("post reply: %w", err)
	}
	var errs []error
	thread := rep.ThreadTS
	if thread == "" {
		thread = ref // a top-level post's files go into its own thread
	}
	for _, a := range rep.Attachments {
		if err := c.out.Upload(ctx, rep.Channel, thread, a.Name, a.Content, a.Comment); err != nil {
			c.lg.Error("upload failed", "channel", rep.Channel, "file", a.Name, "err", err)
			errs = append(errs, fmt.Errorf("upload %s: %w", a.Name, err))
		}
	}
	return ref, errors.Join(errs...)
}

func (c *Core) send(ctx context.Context, r req, rep Reply) error {
	_, err := c.sendRef(ctx, r, rep, "wsbbot")
	return err
}

// say posts one sentence.
func (c *Core) say(ctx context.Context, r req, text string) error {
	rep := r.reply("")
	rep.Sections = []Section{{Text: text}}
	return c.send(ctx, r, rep)
}

// fail tells the user what they may know about err; an internal cause
// goes to the operator's log only.
func (c *Core) fail(ctx context.Context, r req, err error) error {
	if oncall.Code(err) == "" {
		c.lg.Error("command failed", "user", r.user, "channel", r.channel, "err", err)
	}
	return c.say(ctx, r, oncall.Message(err, r.lang))
}

// server resolves a server name against the inventory: the inventory's
// spelling, or a reply saying it is unknown (with the closest name).
func (c *Core) server(ctx context.Context, r req, name string) (string, bool) {
	if s, ok := c.svc.Server(name); ok {
		return s.Name, true
	}
	inv := c.svc.Servers()
	msg := r.t.pick("No server `"+name+"` in the inventory.", "インベントリにサーバー `"+name+"` はありません。")
	if len(inv) == 0 {
		msg += " " + r.t.pick("No servers are configured here.", "ここにはサーバーが設定されていません。")
	} else if s, ok := closestServer(name, inv); ok {
		msg += " " + r.t.pick("Did you mean `"+s+"`?", "もしかして `"+s+"` ですか?")
	} else {
		msg += " " + r.t.pick("`servers` lists them.", "`servers` で一覧を表示できます。")
	}
	_ = c.say(ctx, r, msg)
	return "", false
}

func (c *Core) rememberThread(r req, tc threadContext) {
	c.threads.put(threadKey(r.channel, r.thread), tc)
}

func (c *Core) threadContext(r req) threadContext {
	tc, _ := c.threads.get(threadKey(r.channel, r.thread))
	return tc
}

// ThreadContext returns the code and server remembered for a thread.
func (c *Core) ThreadContext(channel, thread string) (code, server string) {
	tc, _ := c.threads.get(threadKey(channel, thread))
	return tc.Code, tc.Server
}

// progress is a reply edited as a run goes: the runbooks.Observer of the
// core.
type progress struct {
	mu    sync.Mutex
	rep   Reply
	lines []string
	thr   *Throttle
	lang  runbooks.Lang
	lg    *slog.Logger
	ctx   context.Context
}

var _ runbooks.Observer = (*progress)(nil)

// startProgress posts the progress reply.
func (c *Core) startProgress(ctx context.Context, r req, title string) *progress {
	rep := r.reply(title)
	rep.Sections = []Section{{Text: r.t.pick("Starting…", "開始しています…")}}
	p := &progress{rep: rep, lang: r.lang, lg: c.lg, ctx: ctx}
	ref, err := c.sendRef(ctx, r, rep, "progress")
	if err == nil {
		p.thr = NewThrottle(c.out, ref, c.every, c.now)
	}
	return p
}

func (p *progress) current() Reply {
	rep := p.rep
	rep.Sections = []Section{{Text: strings.Join(p.lines, "\n")}}
	return fit(rep, "progress", texts{p.lang})
}

// add appends a line and edits the reply (throttled).
func (p *progress) add(line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lines = append(p.lines, line)
	if p.thr != nil {
		if err := p.thr.Update(p.ctx, p.current()); err != nil {
			p.lg.Warn("progress update failed", "err", err)
		}
	}
}

// done appends a last line and always edits the reply.
func (p *progress) done(line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lines = append(p.lines, line)
	if p.thr != nil {
		if err := p.thr.Final(p.ctx, p.current()); err != nil {
			p.lg.Warn("progress update failed", "err", err)
		}
	}
}

// StepStarted implements runbooks.Observer.
func (p *progress) StepStarted(context.Context, runbooks.RenderedStep) {}

// StepFinished implements runbooks.Observer.
func (p *progress) StepFinished(_ context.Context, s runbooks.StepResult) {
	p.add(stepLine(s, p.lang))
}

// stepLine is a finished step's line in a progress message: its mark and
// title, then why it failed: the exit code of a command that failed, the
// expectation a command that succeeded did not meet (an "exit code 0"
// beside a ✗ reads as a contradiction at 3 a.m.), or that it did not
// complete (not sent, cut off, output unreadable).
func stepLine(s runbooks.StepResult, lang runbooks.Lang) string {
	t := texts{lang}
	line := s.Status.Mark() + " " + stepTitle(s.Title.In(lang), s.ID, s.Iteration)
	if s.Status == runbooks.StepPassed || s.Status == runbooks.StepSkipped {
		return line
	}
	if s.ExitCode != 0 {
		return fmt.Sprintf("%s (%s %d)", line, t.pick("exit code", "終了コード"), s.ExitCode)
	}
	if s.Error == "" {
		for _, v := range s.Expectations {
			if !v.OK {
				return line + " — " + t.pick("expected: ", "期待: ") + v.Message.In(lang)
			}
		}
	}
	// The command did not run to its end, or its output could not be
	// read: the verdict after the steps says why.
	return line + " — " + t.pick("did not complete", "完了しませんでした")
}

func stepTitle(title, id string, it int) string {
	if title == "" {
		title = id
	}
	if it > 0 {
		return fmt.Sprintf("%s #%d", title, it)
	}
	return title
}
