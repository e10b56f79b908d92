// Package schedule owns when wsbbot's own work is due: the 5-field cron
// schedules of the audits (parsed by robfig/cron's parser, in a time zone
// loaded with time.LoadLocation) and fixed intervals (the backup watch),
// and firing each due time exactly once.
//
// # Fire once
//
// Each due time of each schedule is claimed in the record before its work
// starts: a schedule.fired event keyed "schedule:<id>:<due time>",
// appended through store.Claim, so that of any number of claimants (a
// second loop, a second process on the same record, the same process after
// a restart) exactly one wins and runs it. The latest fired event of a
// schedule is its cursor: at start the loop reads it back, so a due time
// that passed while wsbbot was down runs once at start, reported late
// ("late by 2h10m"), however many were missed. While a schedule's work
// runs, its next due times are not claimed; when a slow run ends, the ones
// it overran collapse into one late run, never a burst.
//
// A schedule seen for the first time claims a baseline (the time the loop
// first saw it) instead of firing, so adding a schedule never runs one for
// the past, but a due time missed after that does.
//
// The clock is injected (Clock); ManualClock moves only when told, for
// tests without timing.
package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/wsbbot/wsbbot/internal/store"
)

// parser reads the standard five fields: minute hour day-of-month month
// day-of-week (names and 7 for Sunday as cron allows). Descriptors such as
// @weekly and a seconds field are refused: the configuration says 5-field.
var parser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)

// Spec is when a schedule is due.
type Spec interface {
	// Next returns the first due time strictly after t.
	Next(t time.Time) time.Time
	String() string
}

// cronSpec is a parsed cron expression in its time zone.
type cronSpec struct {
	expr, tz string
	loc      *time.Location
	s        cron.Schedule
}

// Next is the parser's next time, except that a wall-clock time repeated
// when daylight saving ends (01:30 twice) is due only the first time.
func (c cronSpec) Next(t time.Time) time.Time {
	n := c.s.Next(t)
	for i := 0; i < 2 && !n.IsZero() && wall(n, c.loc) == wall(n.Add(-time.Hour), c.loc); i++ {
		n = c.s.Next(n)
	}
	return n
}

func wall(t time.Time, loc *time.Location) string { return t.In(loc).Format("2006-01-02 15:04") }
func (c cronSpec) String() string                 { return c.expr + " (" + c.tz + ")" }

// Cron parses a 5-field cron expression whose times are read in the IANA
// time zone tz ("" is UTC). Daylight-saving gaps and repeats are the
// parser's for a time that does not exist that day (it is skipped); a
// repeated one is due once.
func Cron(expr, tz string) (Spec, error) {
	if tz == "" {
		tz = "UTC"
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, fmt.Errorf("time zone %q: not a known IANA time zone", tz)
	}
	if n := len(strings.Fields(expr)); n != 5 {
		return nil, fmt.Errorf("%q has %d fields; want 5 (minute hour day-of-month month day-of-week)", expr, n)
	}
	s, err := parser.Parse(sundaySeven(expr))
	if err != nil {
		return nil, fmt.Errorf("%q: %v", expr, err)
	}
	if ss, ok := s.(*cron.SpecSchedule); ok {
		ss.Location = loc
	}
	return cronSpec{expr: strings.Join(strings.Fields(expr), " "), tz: tz, loc: loc, s: s}, nil
}

// sundaySeven writes day-of-week 7 (Sunday, as cron allows and the parser
// does not) as 0: "7" becomes "0", a range "N-7" becomes "N-6,0".
func sundaySeven(expr string) string {
	f := strings.Fields(expr)
	items := strings.Split(f[4], ",")
	for i, it := range items {
		switch {
		case it == "7":
			items[i] = "0"
		case strings.HasSuffix(it, "-7") && !strings.Contains(it, "/"):
			items[i] = strings.TrimSuffix(it, "-7") + "-6,0"
		}
	}
	f[4] = strings.Join(items, ",")
	return strings.Join(f, " ")
}

// every is a fixed interval, aligned to the Unix epoch so that every
// process computes the same due times.
type every time.Duration

func (e every) Next(t time.Time) time.Time {
	d := time.Duration(e)
	return t.Truncate(d).Add(d)
}
func (e every) String() string { return "every " + time.Duration(e).String() }

// Every returns a spec due every d (at least one second), on multiples of
// d since the Unix epoch.
func Every(d time.Duration) (Spec, error) {
	if d < time.Second {
		return nil, fmt.Errorf("interval %s: must be at least 1s", d)
	}
	return every(d), nil
}

// Job is one schedule and its work.
type Job struct {
	// ID names the schedule in the record; it must stay the same across
	// restarts for the cursor to be found again.
	ID   string
	Spec Spec
	// Run does the work of one due time. Its context ends when the loop
	// stops.
	Run func(ctx context.Context, f Fire)
}

// Fire is one due time being run.
type Fire struct {
	ID  string
	Due time.Time
	// Late is how long after Due the work started, when that is more than
	// the loop's tolerance (zero when on time).
	Late time.Duration
	// Missed counts the due times before Due that passed without a run
	// (wsbbot was down, or the previous run was still going).
	Missed int
}

// LateNote is "late by 2h10m" (and how many were skipped), or "".
func (f Fire) LateNote() string {
	if f.Late <= 0 {
		return ""
	}
	s := "late by " + FormatLate(f.Late)
	if f.Missed > 0 {
		s += fmt.Sprintf(" (%d earlier run(s) skipped)", f.Missed)
	}
	return s
}

// FormatLate renders a delay to the minute ("2h10m", "45s" under a minute).
func FormatLate(d time.Duration) string {
	if d < time.Minute {
		return d.Round(time.Second).String()
	}
	s := d.Round(time.Minute).String()
	return strings.TrimSuffix(s, "0s")
}

// Clock is the time the loop judges against and sleeps on.
type Clock interface {
	Now() time.Time
	// After delivers once d has passed.
	After(d time.Duration) <-chan time.Time
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now implements Clock.
func (SystemClock) Now() time.Time { return time.Now() }

// After implements Clock.
func (SystemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Options configure a Loop.
type Options struct {
	Store store.Store
	Clock Clock // nil: SystemClock
	// Actor is who the record says claimed (default "scheduler").
	Actor string
	// Tolerance is how long after its due time a run still counts as on
	// time (0: one minute).
	Tolerance time.Duration
	Logger    *slog.Logger
}

// Loop fires jobs at their due times. Make one with NewLoop.
type Loop struct {
	st    store.Store
	clock Clock
	actor string
	tol   time.Duration
	lg    *slog.Logger

	mu      sync.Mutex
	cursor  map[string]time.Time // last due time claimed (by anyone), per job
	running map[string]bool
	wake    chan struct{}
	wg      sync.WaitGroup
}

// NewLoop returns a loop over the record st.
func NewLoop(o Options) (*Loop, error) {
	if o.Store == nil {
		return nil, errors.New("schedule: no store")
	}
	l := &Loop{st: o.Store, clock: o.Clock, actor: o.Actor, tol: o.Tolerance, lg: o.Logger,
		cursor: map[string]time.Time{}, running: map[string]bool{}, wake: make(chan struct{}, 1)}
	if l.clock == nil {
		l.clock = SystemClock{}
	}
	if l.actor == "" {
		l.actor = "scheduler"
	}
	if l.tol <= 0 {
		l.tol = time.Minute
	}
	if l.lg == nil {
		l.lg = slog.New(slog.DiscardHandler)
	}
	return l, nil
}

// fired is the Data of a schedule.fired event.
type fired struct {
	Schedule string    `json:"schedule"`
	Due      time.Time `json:"due"`
	Spec     string    `json:"spec"`
	// Baseline marks the first sight of a schedule: nothing ran.
	Baseline bool   `json:"baseline,omitempty"`
	Late     string `json:"late,omitempty"`
}

func firedKey(id string, due time.Time) string {
	return "schedule:" + id + ":" + due.UTC().Format(time.RFC3339)
}

// Run fires jobs until ctx ends, then waits for the work it started.
func (l *Loop) Run(ctx context.Context, jobs []Job) error {
	if err := checkJobs(jobs); err != nil {
		return err
	}
	defer l.wg.Wait()
	for {
		next, err := l.Tick(ctx, jobs)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			l.lg.Error("schedule tick failed", "err", err)
		}
		wait := time.Minute // retry after an error, or when every job is busy
		if !next.IsZero() {
			wait = max(next.Sub(l.clock.Now()), 0)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-l.clock.After(wait):
		case <-l.wake:
		}
	}
}

func checkJobs(jobs []Job) error {
	seen := map[string]bool{}
	for _, j := range jobs {
		switch {
		case j.ID == "" || j.Spec == nil || j.Run == nil:
			return fmt.Errorf("schedule: job %q needs an id, a spec and work", j.ID)
		case seen[j.ID]:
			return fmt.Errorf("schedule: two jobs named %q", j.ID)
		}
		seen[j.ID] = true
	}
	return nil
}

// Tick claims and starts, in the background, every job whose due time has
// come (each at most once per call, however many due times passed), and
// returns the earliest next due time among the jobs not running (zero when
// all are).
func (l *Loop) Tick(ctx context.Context, jobs []Job) (time.Time, error) {
	now := l.clock.Now()
	var next time.Time
	var errs []error
	for _, j := range jobs {
		n, err := l.tick(ctx, j, now)
		if err != nil {
			errs = append(errs, fmt.Errorf("schedule %s: %w", j.ID, err))
		}
		if !n.IsZero() && (next.IsZero() || n.Before(next)) {
			next = n
		}
	}
	return next, errors.Join(errs...)
}

// Wait waits for the work started by Tick (for tests and shutdown).
func (l *Loop) Wait() { l.wg.Wait() }

func (l *Loop) tick(ctx context.Context, j Job, now time.Time) (time.Time, error) {
	l.mu.Lock()
	busy := l.running[j.ID]
	l.mu.Unlock()
	if busy {
		return time.Time{}, nil
	}
	cur, err := l.cursorOf(ctx, j, now)
	if err != nil {
		return time.Time{}, err
	}
	due, missed := time.Time{}, -1
	for d := j.Spec.Next(cur); !d.After(now); d = j.Spec.Next(d) {
		due, missed = d, missed+1
		if missed > 100000 { // a once-a-minute schedule down for months: stop counting
			break
		}
	}
	if due.IsZero() {
		return j.Spec.Next(cur), nil
	}
	f := Fire{ID: j.ID, Due: due, Missed: missed}
	if late := now.Sub(due); late > l.tol {
		f.Late = late
	}
	ev, err := store.NewEvent(store.KindScheduleFired, "", "", l.actor, fired{Schedule: j.ID, Due: due.UTC(), Spec: j.Spec.String(), Late: f.LateNote()})
	if err != nil {
		return time.Time{}, err
	}
	ev.Key = firedKey(j.ID, due)
	_, won, err := store.Claim(ctx, l.st, ev)
	if err != nil {
		return time.Time{}, err
	}
	l.mu.Lock()
	l.cursor[j.ID] = due
	l.mu.Unlock()
	if !won {
		l.lg.Debug("schedule already fired elsewhere", "schedule", j.ID, "due", due)
		return j.Spec.Next(due), nil
	}
	l.lg.Info("schedule fired", "schedule", j.ID, "due", due, "late", f.LateNote())
	l.mu.Lock()
	l.running[j.ID] = true
	l.mu.Unlock()
	l.wg.Go(func() {
		defer func() {
			l.mu.Lock()
			delete(l.running, j.ID)
			l.mu.Unlock()
			select {
			case l.wake <- struct{}{}:
			default:
			}
		}()
		j.Run(ctx, f)
	})
	return time.Time{}, nil
}

// cursorOf is the last due time of j claimed by anyone: from memory, else
// from the record, else a baseline claimed now.
func (l *Loop) cursorOf(ctx context.Context, j Job, now time.Time) (time.Time, error) {
	l.mu.Lock()
	cur, ok := l.cursor[j.ID]
	l.mu.Unlock()
	if ok {
		return cur, nil
	}
	evs, err := l.st.Events(ctx, store.Filter{Kinds: []store.Kind{store.KindScheduleFired}})
	if err != nil {
		return time.Time{}, err
	}
	for _, e := range evs {
		p, err := store.Decode[fired](e)
		if err != nil || p.Schedule != j.ID {
			continue
		}
		if p.Due.After(cur) {
			cur, ok = p.Due, true
		}
	}
	if !ok {
		ev, err := store.NewEvent(store.KindScheduleFired, "", "", l.actor, fired{Schedule: j.ID, Due: now.UTC(), Spec: j.Spec.String(), Baseline: true})
		if err != nil {
			return time.Time{}, err
		}
		ev.Key = "schedule:" + j.ID + ":baseline"
		got, _, err := store.Claim(ctx, l.st, ev)
		if err != nil {
			return time.Time{}, err
		}
		p, err := store.Decode[fired](got)
		if err != nil {
			return time.Time{}, err
		}
		cur = p.Due
	}
	l.mu.Lock()
	if c, ok := l.cursor[j.ID]; !ok || cur.After(c) {
		l.cursor[j.ID] = cur
	}
	cur = l.cursor[j.ID]
	l.mu.Unlock()
	return cur, nil
}

// ManualClock is a Clock that moves only by Set or Advance: After's
// channels deliver when the clock reaches their time.
type ManualClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []manualWaiter
	// waiting is signalled each time After is called, so a test can wait
	// until the loop sleeps.
	waiting chan struct{}
}

type manualWaiter struct {
	at time.Time
	ch chan time.Time
}

// NewManualClock returns a clock standing at t.
func NewManualClock(t time.Time) *ManualClock {
	return &ManualClock{now: t, waiting: make(chan struct{}, 64)}
}

// Now implements Clock.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// After implements Clock.
func (c *ManualClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
	} else {
		c.waiters = append(c.waiters, manualWaiter{at: c.now.Add(d), ch: ch})
	}
	select {
	case c.waiting <- struct{}{}:
	default:
	}
	return ch
}

// Sleeping returns a channel that receives each time someone calls After.
func (c *ManualClock) Sleeping() <-chan struct{} { return c.waiting }

// Set moves the clock to t (forward or back) and wakes the sleepers whose
// time has come.
func (c *ManualClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if !w.at.After(t) {
			w.ch <- t
			continue
		}
		kept = append(kept, w)
	}
	c.waiters = kept
}

// Advance moves the clock forward by d.
func (c *ManualClock) Advance(d time.Duration) { c.Set(c.Now().Add(d)) }
