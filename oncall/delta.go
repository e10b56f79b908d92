package oncall

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/wsbbot/wsbbot/checklists"
	"github.com/wsbbot/wsbbot/internal/store"
)

// auditFinished is the Data of an audit.finished event. Scope was added
// with audit deltas; audits recorded before it have none and are nobody's
// previous audit.
type auditFinished struct {
	AuditID   string             `json:"audit_id"`
	Checklist string             `json:"checklist"`
	Scope     string             `json:"scope,omitempty"`
	Finished  time.Time          `json:"finished,omitzero"` // by the service's clock
	Summary   checklists.Summary `json:"summary"`
	// States is every finding's status after the audit, by target (lower
	// case) then rule, as stateOf encodes it. The next audit of the scope
	// reads it from this one event instead of one event per finding (5,000
	// for 1,000 servers). It repeats what the findings say, written in the
	// same transaction. Absent from audits recorded before it; an empty
	// map is kept (an audit whose servers all went away still has one).
	States auditStates `json:"states"`
}

// auditStates is auditFinished.States: target (lower case, as findingKey
// has it) -> rule -> stateOf.
type auditStates map[string]map[string]int

// set records f's state.
func (s auditStates) set(f checklists.Finding, state int) {
	target := strings.ToLower(f.Target)
	if s[target] == nil {
		s[target] = map[string]int{}
	}
	s[target][f.Rule] = state
}

// stateOf encodes a finding's status and streak for auditFinished.States:
// 0 passes, -1 unknown, n > 0 fails for the n-th audit in a row.
func stateOf(status checklists.Status, failingFor int) int {
	switch status {
	case checklists.Pass:
		return 0
	case checklists.Fail:
		return max(failingFor, 1)
	default:
		return -1
	}
}

// pastOf decodes a state of auditFinished.States.
func pastOf(state int) pastFinding {
	switch {
	case state == 0:
		return pastFinding{status: checklists.Pass}
	case state > 0:
		return pastFinding{status: checklists.Fail, failingFor: state}
	default:
		return pastFinding{status: checklists.Unknown}
	}
}

// auditFindingRec is the Data of an audit.finding event (its run id is
// the audit's id, as is the audit.finished event's, since findings began
// to carry their streak; "" before).
type auditFindingRec struct {
	AuditID string `json:"audit_id"`
	checklists.Finding
	// FailingFor is, for a failing finding, the audits in a row of the
	// scope, this one included, that it has failed: the next audit's
	// streak is one more, read from this audit alone. 0 for a finding
	// that does not fail, and in findings recorded before.
	FailingFor int `json:"failing_for,omitempty"`
}

// selection is the servers named in names or tagged with one of groups,
// in inventory order.
func (inv Inventory) selection(names, groups []string) (Inventory, error) {
	for _, n := range names {
		if !inv.has(n) {
			return nil, userErr(Invalid, fmt.Sprintf("no target %q in the inventory", n), fmt.Sprintf("インベントリにサーバー %q はありません", n), nil)
		}
	}
	for _, g := range groups {
		if len(inv.Tagged(g)) == 0 {
			return nil, userErr(Invalid, fmt.Sprintf("no target has the tag %q", g), fmt.Sprintf("タグ %q を持つサーバーはありません", g), nil)
		}
	}
	var out Inventory
	for _, srv := range inv {
		named := slices.ContainsFunc(names, func(n string) bool { return strings.EqualFold(n, srv.Name) })
		tagged := slices.ContainsFunc(groups, func(g string) bool { return len(Inventory{srv}.Tagged(g)) > 0 })
		if named || tagged {
			out = append(out, srv)
		}
	}
	return out, nil
}

// auditScope names an audit's selection: the checklist, then "all", or the
// servers and groups asked for (lower case, sorted), so that `audit fs01`
// in chat and a schedule of servers [fs01] compare with each other.
func auditScope(checklist string, req AuditRequest) string {
	norm := func(xs ...string) string {
		var out []string
		for _, x := range xs {
			if x != "" && !slices.Contains(out, strings.ToLower(x)) {
				out = append(out, strings.ToLower(x))
			}
		}
		slices.Sort(out)
		return strings.Join(out, ",")
	}
	servers := norm(append([]string{req.Server}, req.Servers...)...)
	groups := norm(append([]string{req.Group}, req.Groups...)...)
	var parts []string
	if servers != "" {
		parts = append(parts, "servers="+servers)
	}
	if groups != "" {
		parts = append(parts, "groups="+groups)
	}
	if len(parts) == 0 {
		parts = []string{"all"}
	}
	return checklist + ":" + strings.Join(parts, ";")
}

// AuditDelta is what changed since the previous audit of the same scope.
type AuditDelta struct {
	// Previous is the previous audit's id ("" for the first audit of the
	// scope) and PreviousAt when it finished.
	Previous   string
	PreviousAt time.Time
	// NewFailures failed now and did not before; Recovered failed before
	// and pass now.
	NewFailures []checklists.Finding
	Recovered   []checklists.Finding
	// StillFailing failed before and fail now, with the number of audits
	// in a row (this one included) they have failed.
	StillFailing []Streak
	// Changed are the other changes of status (to or from unknown).
	Changed []StatusChange
}

// Streak is a finding failing for Audits audits in a row.
type Streak struct {
	checklists.Finding
	Audits int
}

// StatusChange is a finding whose status was Was.
type StatusChange struct {
	checklists.Finding
	Was checklists.Status
}

// First reports the first audit of its scope: nothing to compare with.
func (d *AuditDelta) First() bool { return d.Previous == "" }

// Unchanged reports that every finding has the status it had.
func (d *AuditDelta) Unchanged() bool {
	return !d.First() && len(d.NewFailures)+len(d.Recovered)+len(d.Changed) == 0
}

// pastAudit is the previous audit of a scope as the next one needs it:
// each finding's status and, for the failing ones, how many audits in a
// row of the scope (that one included) it had failed.
type pastAudit struct {
	id       string
	at       time.Time
	findings map[string]pastFinding // findingKey -> finding
}

type pastFinding struct {
	status     checklists.Status
	failingFor int
}

// previousAudit reads the latest audit of scope recorded, or nil when
// there is none. It reads the newest audits' summaries (by the record's
// kind index) back to that audit, and then the findings of that one audit
// only (by its id), whatever the length of the history: each finding
// carries its failing streak forward (auditFindingRec.FailingFor), so
// older audits need not be read. Audits recorded before findings carried
// their audit id as run id are read the old way (legacyPrevious).
func (s *Service) previousAudit(ctx context.Context, scope string) (*pastAudit, error) {
	// The newest summaries first, more of them until one is of scope (a
	// record seldom holds many other scopes' audits in between).
	var (
		ends     []store.Event
		i        int
		p        auditFinishedHead
		complete bool // ends holds every summary
	)
	for last := 8; ; last *= 4 {
		var err error
		if ends, err = s.st.Events(ctx, store.Filter{Kinds: []store.Kind{store.KindAuditFinished}, Last: last}); err != nil {
			return nil, err
		}
		if i, p, err = newestOfScope(ends, scope); err != nil {
			return nil, err
		}
		complete = len(ends) < last
		if i >= 0 || complete {
			break
		}
	}
	if i < 0 {
		return nil, nil
	}
	prev := &pastAudit{id: p.AuditID, at: p.Finished, findings: map[string]pastFinding{}}
	if prev.at.IsZero() {
		prev.at = ends[i].Time
	}
	if ends[i].RunID != p.AuditID {
		if !complete {
			seq := ends[i].Seq
			var err error
			if ends, err = s.st.Events(ctx, store.Filter{Kinds: []store.Kind{store.KindAuditFinished}}); err != nil {
				return nil, err
			}
			i = slices.IndexFunc(ends, func(e store.Event) bool { return e.Seq == seq })
		}
		return s.legacyPrevious(ctx, prev, ends[:i+1], scope)
	}
	// The summary's states, when it has them: nothing more to read.
	st, err := store.Decode[auditFinishedStates](ends[i])
	if err != nil {
		return nil, err
	}
	if st.States != nil {
		for target, rules := range st.States {
			for rule, state := range rules {
				prev.findings[findingKey(checklists.Finding{Target: target, Rule: rule})] = pastOf(state)
			}
		}
		return prev, nil
	}
	// Else by the audit's id (the record's run index), its findings and
	// its summary.
	evs, err := s.st.Events(ctx, store.Filter{RunID: p.AuditID})
	if err != nil {
		return nil, err
	}
	for _, e := range evs {
		if e.Kind != store.KindAuditFinding {
			continue
		}
		f, err := store.Decode[findingHead](e)
		if err != nil {
			return nil, err
		}
		pf := pastFinding{status: f.Status}
		if f.Status == checklists.Fail {
			pf.failingFor = max(f.FailingFor, 1)
		}
		prev.findings[f.key()] = pf
	}
	return prev, nil
}

// legacyPrevious fills prev, an audit recorded before audit events
// carried their audit id as run id, the way every audit was read then:
// the findings of all the audits of scope in ends (oldest first, prev
// last) from one read of every finding, counting each failing streak
// back through them.
func (s *Service) legacyPrevious(ctx context.Context, prev *pastAudit, ends []store.Event, scope string) (*pastAudit, error) {
	var ids []string // the scope's audits, oldest first
	byID := map[string]map[string]checklists.Status{}
	for _, e := range ends {
		p, err := store.Decode[auditFinishedHead](e)
		if err != nil {
			return nil, err
		}
		if p.Scope == scope {
			ids = append(ids, p.AuditID)
			byID[p.AuditID] = map[string]checklists.Status{}
		}
	}
	evs, err := s.st.Events(ctx, store.Filter{Kinds: []store.Kind{store.KindAuditFinding}})
	if err != nil {
		return nil, err
	}
	for _, e := range evs {
		p, err := store.Decode[findingHead](e)
		if err != nil {
			return nil, err
		}
		if m := byID[p.AuditID]; m != nil {
			m[p.key()] = p.Status
		}
	}
	for key, st := range byID[prev.id] {
		pf := pastFinding{status: st}
		for i := len(ids) - 1; st == checklists.Fail && i >= 0 && byID[ids[i]][key] == checklists.Fail; i-- {
			pf.failingFor++
		}
		prev.findings[key] = pf
	}
	return prev, nil
}

// findingHead is the part of an audit.finding event's Data that the next
// audit's delta needs (not the evidence and the fix, most of its bytes).
type findingHead struct {
	AuditID    string            `json:"audit_id"`
	Target     string            `json:"target"`
	Rule       string            `json:"rule"`
	Status     checklists.Status `json:"status"`
	FailingFor int               `json:"failing_for"`
}

func (f findingHead) key() string {
	return findingKey(checklists.Finding{Target: f.Target, Rule: f.Rule})
}

// newestOfScope returns the index in ends (audit.finished events, oldest
// first) of the newest audit of scope and its summary's head, or -1.
func newestOfScope(ends []store.Event, scope string) (int, auditFinishedHead, error) {
	for i := len(ends) - 1; i >= 0; i-- {
		p, err := store.Decode[auditFinishedHead](ends[i])
		if err != nil {
			return -1, p, err
		}
		if p.Scope == scope {
			return i, p, nil
		}
	}
	return -1, auditFinishedHead{}, nil
}

// auditFinishedStates is the part of an audit.finished event's Data
// that the next audit of its scope compares with.
type auditFinishedStates struct {
	States auditStates `json:"states"`
}

// auditFinishedHead is the part of an audit.finished event's Data that
// finding the previous audit needs.
type auditFinishedHead struct {
	AuditID  string    `json:"audit_id"`
	Scope    string    `json:"scope"`
	Finished time.Time `json:"finished"`
}

// auditDelta compares the findings of an audit with prev, the previous
// audit of its scope (nil for none).
func auditDelta(prev *pastAudit, findings []checklists.Finding) *AuditDelta {
	d := &AuditDelta{}
	if prev == nil {
		return d
	}
	d.Previous, d.PreviousAt = prev.id, prev.at
	for _, f := range findings {
		was, seen := prev.findings[findingKey(f)]
		switch {
		case !seen && f.Status == checklists.Fail:
			d.NewFailures = append(d.NewFailures, f)
		case !seen:
			// A server or rule new to the scope that passes: no news.
		case was.status == f.Status && f.Status == checklists.Fail:
			d.StillFailing = append(d.StillFailing, Streak{Finding: f, Audits: was.failingFor + 1})
		case was.status == f.Status:
		case f.Status == checklists.Fail:
			d.NewFailures = append(d.NewFailures, f)
		case was.status == checklists.Fail && f.Status == checklists.Pass:
			d.Recovered = append(d.Recovered, f)
		default:
			d.Changed = append(d.Changed, StatusChange{Finding: f, Was: was.status})
		}
	}
	return d
}

// failingFor is how many audits in a row of its scope, this one
// included, a finding has failed, given prev, the previous audit of the
// scope (nil for none); 0 when it does not fail.
func failingFor(prev *pastAudit, f checklists.Finding) int {
	if f.Status != checklists.Fail {
		return 0
	}
	if was := prev.finding(f); was.status == checklists.Fail {
		return was.failingFor + 1
	}
	return 1
}

// finding is f's finding in the audit (zero when there is none).
func (p *pastAudit) finding(f checklists.Finding) pastFinding {
	if p == nil {
		return pastFinding{}
	}
	return p.findings[findingKey(f)]
}

func findingKey(f checklists.Finding) string { return strings.ToLower(f.Target) + "/" + f.Rule }
