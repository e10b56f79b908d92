package oncall

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/wsbbot/wsbbot/checklists"
	"github.com/wsbbot/wsbbot/internal/store"
)

// AuditRequest selects the servers to audit: one Server, or the servers
// tagged Group, or the servers named in Servers and tagged with one of
// Groups (a scheduled audit's scope), or (all empty) the whole inventory.
type AuditRequest struct {
	Server, Group   string
	Servers, Groups []string
	Actor           string
}

// AuditReport is an audit's outcome: one report per server in inventory
// order (a server that could not be reached has Err set and unknown
// findings), the counts, and the id its findings are recorded under.
type AuditReport struct {
	ID string
	// Scope names what was audited (checklist and servers), the same for
	// every audit of the same selection; Delta compares this audit with
	// the previous one of the same scope.
	Scope     string
	Delta     *AuditDelta
	Checklist *checklists.Checklist
	Reports   []checklists.Report
	Summary   checklists.Summary
	Finished  time.Time
}

// Findings returns every finding, server by server.
func (r *AuditReport) Findings() []checklists.Finding {
	n := 0
	for _, rep := range r.Reports {
		n += len(rep.Findings)
	}
	out := make([]checklists.Finding, 0, n)
	for _, rep := range r.Reports {
		out = append(out, rep.Findings...)
	}
	return out
}

// Audit checks the selected servers against the checklist (one read-only
// command per server, servers in parallel), taking restore tests from the
// record, and records every finding and the summary under one audit id,
// in one write at the end.
// Audited returns the servers an audit of req covers, in inventory order:
// the server, the group, the servers and groups asked for, or every
// server. It fails (Invalid) for a selection that names nothing.
func (inv Inventory) Audited(req AuditRequest) (Inventory, error) {
	var servers Inventory
	switch {
	case (req.Server != "" || req.Group != "") && len(req.Servers)+len(req.Groups) > 0,
		req.Server != "" && req.Group != "":
		return nil, userErr(Invalid, "give a server or a group, not both", "サーバーかグループのどちらか一方を指定してください", nil)
	case len(req.Servers)+len(req.Groups) > 0:
		var err error
		if servers, err = inv.selection(req.Servers, req.Groups); err != nil {
			return nil, err
		}
	case req.Server != "":
		srv, ok := inv.Server(req.Server)
		if !ok {
			return nil, userErr(Invalid, fmt.Sprintf("no target %q in the inventory", req.Server),
				fmt.Sprintf("インベントリにサーバー %q はありません", req.Server), nil)
		}
		servers = Inventory{srv}
	case req.Group != "":
		if servers = inv.Tagged(req.Group); len(servers) == 0 {
			return nil, userErr(Invalid, fmt.Sprintf("no target has the tag %q", req.Group),
				fmt.Sprintf("タグ %q を持つサーバーはありません", req.Group), nil)
		}
	default:
		servers = inv
	}
	if len(servers) == 0 {
		return nil, userErr(Invalid, "the inventory has no targets", "インベントリにサーバーがありません", nil)
	}
	return servers, nil
}

func (s *Service) Audit(ctx context.Context, req AuditRequest) (*AuditReport, error) {
	if err := s.ready(true); err != nil {
		return nil, err
	}
	if s.checklist == nil {
		return nil, errors.New("audit: no checklist")
	}
	servers, err := s.inv.Audited(req)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(servers))
	for i, srv := range servers {
		names[i] = srv.Name
	}
	restored, err := s.st.LastRestoreTests(ctx, names) // one read, not one per server
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	subjects := make([]checklists.Subject, 0, len(servers))
	for _, srv := range servers {
		subjects = append(subjects, checklists.Subject{Name: srv.Name, Declared: srv.Declared, RecordedRestoreTest: restored[srv.Name]})
	}
	id, err := s.st.NewRunID(ctx)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	scope := auditScope(s.checklist.ID, req)
	// The previous audit of the scope, read before the servers are asked:
	// each finding is recorded with its failing streak, which it needs.
	// When it cannot be read, the findings are still recorded (a failing
	// one as failing for the first time) and the audit then fails.
	prev, prevErr := s.previousAudit(ctx, scope)
	lg := s.lg.With("audit", id)
	lg.Info("audit started", "servers", len(subjects), "actor", req.Actor)
	auditor := &checklists.Auditor{Checklist: s.checklist, Now: s.now}
	var (
		reports = make([]checklists.Report, 0, len(subjects))
		// A finding per rule per server, and the summary.
		events = make([]store.Event, 0, len(subjects)*len(s.checklist.Rules)+1)
		evErr  error
		states = make(auditStates, len(subjects))
	)
	// The collectors hand each server's report over as soon as its facts
	// are read, before its session is closed, and without waiting for the
	// record: the findings are written in one write with the summary once
	// every server has reported, while the last sessions close. Then come
	// the warnings of sessions that could not be closed, and the end of
	// the channel, once every session is closed: waited for on every
	// return, so that no shell is left behind by a process that exits.
	results := auditor.Audit(ctx, s.exec, subjects, s.auditConc)
	warnings := map[string]error{}
	closed := false
	waitClosed := func() {
		if closed {
			return
		}
		closed = true
		for w := range results {
			lg.Warn("audit read the facts, then could not close the session", "target", w.Target, "err", w.Warning)
			warnings[w.Target] = w.Warning
		}
	}
	defer waitClosed()
	for range subjects {
		rep, ok := <-results
		if !ok {
			break
		}
		reports = append(reports, rep)
		if rep.Err != nil {
			lg.Warn("audit could not collect facts", "target", rep.Target, "err", rep.Err)
		}
		for _, f := range rep.Findings {
			streak := failingFor(prev, f)
			states.set(f, stateOf(f.Status, streak))
			ev, err := store.NewEvent(store.KindAuditFinding, id, f.Target, req.Actor,
				auditFindingRec{AuditID: id, Finding: f, FailingFor: streak})
			if err != nil {
				evErr = errors.Join(evErr, err)
				continue
			}
			events = append(events, ev)
		}
	}
	if evErr != nil {
		return nil, fmt.Errorf("audit: record finding: %w", evErr)
	}
	order := map[string]int{}
	for i, sub := range subjects {
		order[sub.Name] = i
	}
	slices.SortStableFunc(reports, func(a, b checklists.Report) int { return order[a.Target] - order[b.Target] })
	sum := checklists.Summarize(reports)
	ev, err := store.NewEvent(store.KindAuditFinished, id, "", req.Actor, auditFinished{AuditID: id, Checklist: s.checklist.ID, Scope: scope, Finished: s.now().UTC(), Summary: sum, States: states})
	if err != nil {
		return nil, fmt.Errorf("audit: record summary: %w", err)
	}
	// One transaction, one sync to disk, for every finding and the
	// summary: a record never holds an audit's findings without its end.
	if _, err := s.st.AppendMany(ctx, append(events, ev)); err != nil {
		return nil, fmt.Errorf("audit: record %d findings and the summary: %w", len(events), err)
	}
	lg.Info("audit finished", "pass", sum.Total.Pass, "fail", sum.Total.Fail, "unknown", sum.Total.Unknown)
	waitClosed()
	for i := range reports {
		reports[i].Warning = warnings[reports[i].Target]
	}
	if prevErr != nil {
		return nil, fmt.Errorf("audit: compare with the previous audit: %w", prevErr)
	}
	rep := &AuditReport{ID: id, Scope: scope, Checklist: s.checklist, Reports: reports, Summary: sum, Finished: s.now()}
	rep.Delta = auditDelta(prev, rep.Findings())
	return rep, nil
}
