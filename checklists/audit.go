package checklists

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/wsbbot/wsbbot/internal/fanout"
	"github.com/wsbbot/wsbbot/runbooks"
)

// DefaultCollectTimeout bounds CollectScript on one server.
const DefaultCollectTimeout = 2 * time.Minute

// Subject is one server to audit.
type Subject struct {
	Name     string
	Declared Declarations
	// RecordedRestoreTest is the last `restore-test done` record (zero if
	// none).
	RecordedRestoreTest time.Time
}

// Report is one server's outcome: a finding per rule, in checklist order.
// Err is set when the facts could not be collected; every finding is then
// unknown with the error as evidence.
type Report struct {
	Target   string    `json:"target"`
	Findings []Finding `json:"findings"`
	Err      error     `json:"-"`
	// Warning is a problem after the facts were read (closing the
	// session failed): the findings stand, but the shell may linger on
	// the server until its idle timeout. Auditor.Audit gives it in a
	// report of its own (Target and Warning only), after every target's
	// report.
	Warning error `json:"-"`
}

// Auditor runs a checklist over servers.
type Auditor struct {
	Checklist *Checklist
	// Now gives the time rules judge against (nil: time.Now).
	Now func() time.Time
	// Timeout bounds the collection on one server (0:
	// DefaultCollectTimeout).
	Timeout time.Duration
}

// Audit collects the facts of every target (one session, one command
// each), at most concurrency at a time (internal/fanout), and delivers
// each target's report as soon as its facts are read and judged, before
// its session is closed: the shell's Delete, one more round trip, goes on
// meanwhile, so that a caller can record the findings during it. A dead
// target yields unknowns without holding up the others. Cancelling ctx
// makes the remaining targets report ctx's error.
//
// Every target has one report, and all of them come first. A session
// that then fails to close, after its facts were read, gets a second
// report after all of them, with only Target and Warning set. The channel
// is closed when every session is closed.
func (a *Auditor) Audit(ctx context.Context, exec runbooks.Executor, targets []Subject, concurrency int) <-chan Report {
	out := make(chan Report, 2*len(targets))
	var (
		closing  sync.WaitGroup
		mu       sync.Mutex
		warnings []Report
	)
	reports := fanout.Run(ctx, targets, concurrency, func(ctx context.Context, t Subject) Report {
		out, closeSession, err := a.collect(ctx, exec, t.Name)
		if closeSession != nil {
			// The Delete leaves before the output is parsed and judged,
			// which then overlap its round trip.
			read := err == nil
			closing.Go(func() {
				if cerr := closeSession(); cerr != nil && read {
					mu.Lock()
					warnings = append(warnings, Report{Target: t.Name, Warning: cerr})
					mu.Unlock()
				}
			})
		}
		var f Facts
		if err == nil {
			f, err = parseCollected(t.Name, out)
		}
		return a.report(t, f, err)
	}, func(t Subject, err error) Report {
		return a.report(t, Facts{}, fmt.Errorf("audit %s: %w", t.Name, err))
	})
	go func() {
		defer close(out)
		for r := range reports {
			out <- r
		}
		closing.Wait()
		for _, w := range warnings {
			out <- w
		}
	}()
	return out
}

func (a *Auditor) report(t Subject, f Facts, err error) Report {
	if err != nil {
		return Report{Target: t.Name, Findings: a.Checklist.Unknown(t.Name, err), Err: err}
	}
	now := time.Now()
	if a.Now != nil {
		now = a.Now()
	}
	in := Input{Facts: f, Declared: t.Declared, RecordedRestoreTest: t.RecordedRestoreTest, Now: now}
	return Report{Target: t.Name, Findings: a.Checklist.Evaluate(t.Name, in)}
}

// collect runs CollectScript in one session on target and returns its
// output and, once the session is open, the function that closes it (its
// error names target), which the caller must call, whatever err is. The
// output is parsed by parseCollected, after the caller has started the
// close.
func (a *Auditor) collect(ctx context.Context, exec runbooks.Executor, target string) (out runbooks.Output, closeSession func() error, err error) {
	timeout := a.Timeout
	if timeout <= 0 {
		timeout = DefaultCollectTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	s, err := exec.Open(ctx, target)
	if err != nil {
		return out, nil, fmt.Errorf("open %s: %w", target, runbooks.WithoutTarget(target, err))
	}
	closeSession = func() error {
		if err := s.Close(); err != nil {
			return fmt.Errorf("close %s: %w", target, runbooks.WithoutTarget(target, err))
		}
		return nil
	}
	out, err = s.Run(ctx, runbooks.Command{Shell: runbooks.ShellPowerShell, Script: CollectScript, Timeout: timeout, Name: "checklist-facts", Quiet: true})
	if err != nil {
		return out, closeSession, fmt.Errorf("collect facts on %s: %w", target, runbooks.WithoutTarget(target, err))
	}
	return out, closeSession, nil
}

// parseCollected reads the facts from CollectScript's output on target.
func parseCollected(target string, out runbooks.Output) (Facts, error) {
	if out.Truncated {
		return Facts{}, fmt.Errorf("collect facts on %s: %w", target, errors.New("output was truncated"))
	}
	f, err := ParseFacts(out.Stdout)
	if err != nil {
		return Facts{}, fmt.Errorf("collect facts on %s (exit code %d, stderr %q): %w", target, out.ExitCode, truncate(out.Stderr, 300), err)
	}
	return f, nil
}

// Counts counts findings by status.
type Counts struct {
	Pass    int `json:"pass"`
	Fail    int `json:"fail"`
	Unknown int `json:"unknown"`
}

func (c *Counts) add(s Status) {
	switch s {
	case Pass:
		c.Pass++
	case Fail:
		c.Fail++
	default:
		c.Unknown++
	}
}

// Summary counts an audit's reports.
type Summary struct {
	Targets int `json:"targets"`
	// Errors counts targets whose facts could not be collected.
	Errors int               `json:"errors"`
	Total  Counts            `json:"total"`
	ByRule map[string]Counts `json:"by_rule"`
}

// Summarize counts reports: findings by status, overall and per rule.
func Summarize(reports []Report) Summary {
	s := Summary{ByRule: map[string]Counts{}}
	for _, r := range reports {
		s.Targets++
		if r.Err != nil {
			s.Errors++
		}
		for _, f := range r.Findings {
			s.Total.add(f.Status)
			c := s.ByRule[f.Rule]
			c.add(f.Status)
			s.ByRule[f.Rule] = c
		}
	}
	return s
}
