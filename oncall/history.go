package oncall

import (
	"context"
	"fmt"
	"time"

	"github.com/wsbbot/wsbbot/internal/store"
)

// History returns the recorded runs, newest first, on one server ("" for
// all), at most limit (0: all).
func (s *Service) History(ctx context.Context, server string, limit int) ([]store.RunSummary, error) {
	if err := s.ready(false); err != nil {
		return nil, err
	}
	if limit < 0 {
		return nil, userErr(Invalid, "the limit must not be negative", "件数に負の値は指定できません", nil)
	}
	runs, err := s.st.Runs(ctx, store.RunFilter{Target: server, Limit: limit})
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	if runs == nil {
		runs = []store.RunSummary{}
	}
	return runs, nil
}

// Timeline is one run and its events in order: a postmortem's raw material.
type Timeline struct {
	Run    store.RunSummary `json:"run"`
	Events []store.Event    `json:"events"`
}

// Timeline returns a run's record; an unknown run is a UserError (NotFound).
func (s *Service) Timeline(ctx context.Context, runID string) (*Timeline, error) {
	if err := s.ready(false); err != nil {
		return nil, err
	}
	runs, err := s.st.Runs(ctx, store.RunFilter{ID: runID})
	if err != nil {
		return nil, fmt.Errorf("timeline %s: %w", runID, err)
	}
	if len(runs) == 0 {
		return nil, userErr(NotFound, fmt.Sprintf("no run %q in the record", runID),
			fmt.Sprintf("記録に実行 %q はありません", runID), nil)
	}
	events, err := s.st.Events(ctx, store.Filter{RunID: runID})
	if err != nil {
		return nil, fmt.Errorf("timeline %s: %w", runID, err)
	}
	if events == nil {
		events = []store.Event{}
	}
	return &Timeline{Run: runs[0], Events: events}, nil
}

// Verify walks the record's hash chain.
func (s *Service) Verify(ctx context.Context) (store.VerifyReport, error) {
	if err := s.ready(false); err != nil {
		return store.VerifyReport{}, err
	}
	rep, err := s.st.Verify(ctx)
	if err != nil {
		return rep, fmt.Errorf("verify record: %w", err)
	}
	return rep, nil
}

// RestoreTest is a recorded restore test.
type RestoreTest struct {
	Server string
	Date   time.Time
	Seq    uint64 // the record's event
}

// RestoreTestDone records that a restore test was performed on a server on
// day (zero: today by the service's clock), for the checklist's fifth rule.
// An unknown server or a day in the future is a UserError (Invalid).
func (s *Service) RestoreTestDone(ctx context.Context, server string, day time.Time, actor string) (RestoreTest, error) {
	if err := s.ready(false); err != nil {
		return RestoreTest{}, err
	}
	srv, ok := s.inv.Server(server)
	if !ok {
		return RestoreTest{}, userErr(Invalid, fmt.Sprintf("no target %q in the inventory", server),
			fmt.Sprintf("インベントリにサーバー %q はありません", server), nil)
	}
	now := s.now()
	if day.IsZero() {
		day = now
	}
	if day.After(now) {
		d := day.Format(time.DateOnly)
		return RestoreTest{}, userErr(Invalid, "the date "+d+" is in the future", "日付 "+d+" は未来です", nil)
	}
	ev, err := s.st.Append(ctx, store.RestoreTestOn(day).Event(srv.Name, actor))
	if err != nil {
		return RestoreTest{}, fmt.Errorf("record restore test on %s: %w", srv.Name, err)
	}
	return RestoreTest{Server: srv.Name, Date: day, Seq: ev.Seq}, nil
}
