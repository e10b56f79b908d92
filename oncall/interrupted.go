package oncall

import (
	"context"
	"fmt"
	"maps"

	"github.com/wsbbot/wsbbot/internal/store"
)

// InterruptedFix is a run started from an approval request that stopped
// with its wsbbot process (a crash, a kill): what it may have left, and
// the request it was approved in, whose Where says where to report it.
type InterruptedFix struct {
	Leftovers *Leftovers
	Request   *ApprovalRequest
}

// runReported is the Data of a run.reported event.
type runReported struct {
	Run   string            `json:"run"`
	Where map[string]string `json:"where,omitempty"`
}

func runReportedKey(runID string) string { return "run.reported:" + runID }

// UnreportedInterruptions returns, oldest first, the interrupted runs that
// were started from an approval request and whose interruption has not
// been reported yet (see InterruptionReported). The record marks a run
// interrupted when the next wsbbot opens it; nothing is re-run.
func (s *Service) UnreportedInterruptions(ctx context.Context) ([]InterruptedFix, error) {
	if err := s.ready(false); err != nil {
		return nil, err
	}
	runs, err := s.st.Runs(ctx, store.RunFilter{Status: store.StatusInterrupted})
	if err != nil {
		return nil, fmt.Errorf("read interrupted runs: %w", err)
	}
	evs, err := s.st.Events(ctx, store.Filter{Kinds: []store.Kind{store.KindRunReported}})
	if err != nil {
		return nil, fmt.Errorf("read reported runs: %w", err)
	}
	reported := map[string]bool{}
	for _, e := range evs {
		p, err := store.Decode[runReported](e)
		if err != nil {
			return nil, err
		}
		reported[p.Run] = true
	}
	var out []InterruptedFix
	for i := len(runs) - 1; i >= 0; i-- { // Runs lists the newest first
		if reported[runs[i].ID] {
			continue
		}
		l, err := s.Leftovers(ctx, runs[i].ID)
		if err != nil {
			return out, err
		}
		if l.Request == "" {
			continue // approved otherwise: the CLI's notice tells of it
		}
		ar, err := s.Approval(ctx, l.Request)
		if err != nil {
			return out, fmt.Errorf("run %s: its request %s: %w", l.Run.ID, l.Request, err)
		}
		out = append(out, InterruptedFix{Leftovers: l, Request: ar})
	}
	return out, nil
}

// InterruptionReported records that the interruption of runID (on
// target) was reported at where. Recorded once per run: a second call
// changes nothing.
func (s *Service) InterruptionReported(ctx context.Context, runID, target string, where map[string]string) error {
	if err := s.ready(true); err != nil {
		return err
	}
	ev, err := store.NewEvent(store.KindRunReported, "", target, "wsbbot", runReported{Run: runID, Where: maps.Clone(where)})
	if err != nil {
		return err
	}
	ev.Key = runReportedKey(runID)
	if _, err := s.st.Append(ctx, ev); err != nil {
		return fmt.Errorf("record the report of run %s: %w", runID, err)
	}
	return nil
}
