// Package duty owns the work wsbbot does on its own, without being asked:
// the scheduled audits and the backup watch. It turns them into jobs of
// internal/schedule (each due time fired once, across restarts and
// processes, a missed one run late at start) and carries each out through
// the bot core, so that a scheduled audit is posted exactly like `audit`
// in chat and a watch alert exactly like a pasted code's answer. The
// serving command builds one (cmd/wsbbot's newDuty) and runs it beside the
// chat adapter.
package duty

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/wsbbot/wsbbot/bot"
	"github.com/wsbbot/wsbbot/internal/schedule"
	"github.com/wsbbot/wsbbot/internal/store"
	"github.com/wsbbot/wsbbot/oncall"
)

// Audit is one scheduled audit.
type Audit struct {
	// Name identifies it in the record; Channel is where it posts.
	Name, Channel   string
	Servers, Groups []string
	Spec            schedule.Spec
}

// Watch is the backup watch's schedule.
type Watch struct {
	Enabled bool
	Every   time.Duration
	Channel string
}

// Options are what a Duty runs on.
type Options struct {
	Core    *bot.Core
	Service *oncall.Service
	Store   store.Store
	Clock   schedule.Clock // nil: the system clock
	Logger  *slog.Logger
	Audits  []Audit
	Watch   Watch
}

// Duty drives the schedules. Make one with New.
type Duty struct {
	o    Options
	loop *schedule.Loop
	jobs []schedule.Job
}

// WatchJobID is the backup watch's schedule id in the record.
const WatchJobID = "backup-watch"

// New checks o and returns the duty.
func New(o Options) (*Duty, error) {
	if o.Core == nil || o.Service == nil || o.Store == nil {
		return nil, errors.New("duty: core, service and store are required")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	loop, err := schedule.NewLoop(schedule.Options{Store: o.Store, Clock: o.Clock, Logger: o.Logger})
	if err != nil {
		return nil, err
	}
	d := &Duty{o: o, loop: loop}
	for _, a := range o.Audits {
		a := a
		if a.Spec == nil || a.Name == "" || a.Channel == "" {
			return nil, errors.New("duty: audit " + a.Name + " needs a name, a schedule and a channel")
		}
		d.jobs = append(d.jobs, schedule.Job{ID: "audit:" + a.Name, Spec: a.Spec, Run: func(ctx context.Context, f schedule.Fire) {
			_, err := o.Core.RunScheduledAudit(ctx, bot.ScheduledAudit{Name: a.Name, Channel: a.Channel, Servers: a.Servers, Groups: a.Groups, Late: f.LateNote()})
			if err != nil {
				o.Logger.Error("scheduled audit failed", "schedule", a.Name, "due", f.Due, "err", err)
			}
		}})
	}
	if o.Watch.Enabled {
		if o.Watch.Channel == "" {
			return nil, errors.New("duty: the backup watch needs a channel")
		}
		spec, err := schedule.Every(o.Watch.Every)
		if err != nil {
			return nil, err
		}
		d.jobs = append(d.jobs, schedule.Job{ID: WatchJobID, Spec: spec, Run: func(ctx context.Context, f schedule.Fire) {
			if err := d.WatchOnce(ctx); err != nil {
				o.Logger.Error("backup watch failed", "due", f.Due, "err", err)
			}
		}})
	}
	return d, nil
}

// WatchOnce runs one round of the backup watch and posts what it found.
func (d *Duty) WatchOnce(ctx context.Context) error {
	rep, err := d.o.Service.WatchBackups(ctx, "watch")
	var errs []error
	if err != nil {
		errs = append(errs, err)
	}
	if rep == nil {
		return errors.Join(errs...)
	}
	// The alerts are claimed in the record: nobody else will post them.
	// So they are posted, and where each went recorded (for its recovery's
	// thread), even when the bot is stopping meanwhile, within a grace.
	postCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), alertPostGrace)
	defer cancel()
	for _, a := range rep.Alerts {
		if err := d.o.Core.PostWatchAlert(postCtx, d.o.Watch.Channel, a); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// alertPostGrace bounds the posting of a round's alerts once the bot is
// stopping.
const alertPostGrace = 10 * time.Second

// Run fires the schedules until ctx ends, then waits for their work.
func (d *Duty) Run(ctx context.Context) error {
	if len(d.jobs) == 0 {
		<-ctx.Done()
		return nil
	}
	return d.loop.Run(ctx, d.jobs)
}

// Tick fires what is due now and waits for it: one step of Run, for tests
// and the demo.
func (d *Duty) Tick(ctx context.Context) error {
	_, err := d.loop.Tick(ctx, d.jobs)
	d.loop.Wait()
	return err
}
