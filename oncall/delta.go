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
}

// auditFindingRec is the Data of an audit.finding event.
type auditFindingRec struct {
	AuditID string `json:"audit_id"`
	checklists.Finding
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

// auditDelta compares rep with the audits of the same scope before it.
func (s *Service) auditDelta(ctx context.Context, rep *AuditReport) (*AuditDelta, error) {
	// The summaries first (one per audit): the findings (one per server
	// and rule) are read and decoded only when there is an earlier audit
	// of the same scope to compare with.
	ends, err := s.st.Events(ctx, store.Filter{Kinds: []store.Kind{store.KindAuditFinished}})
	if err != nil {
		return nil, err
	}
	type past struct {
		id       string
		at       time.Time
		findings map[string]checklists.Status // target/rule -> status
	}
	var earlier []past // same scope, oldest first, without rep
	for _, e := range ends {
		p, err := store.Decode[auditFinished](e)
		if err != nil {
			return nil, err
		}
		if p.Scope == rep.Scope && p.AuditID != rep.ID {
			at := p.Finished
			if at.IsZero() {
				at = e.Time
			}
			earlier = append(earlier, past{id: p.AuditID, at: at})
		}
	}
	d := &AuditDelta{}
	if len(earlier) == 0 {
		return d, nil
	}
	byID := map[string]map[string]checklists.Status{}
	for _, p := range earlier {
		byID[p.id] = map[string]checklists.Status{}
	}
	evs, err := s.st.Events(ctx, store.Filter{Kinds: []store.Kind{store.KindAuditFinding}})
	if err != nil {
		return nil, err
	}
	for _, e := range evs {
		p, err := store.Decode[auditFindingRec](e)
		if err != nil {
			return nil, err
		}
		if m := byID[p.AuditID]; m != nil {
			m[findingKey(p.Finding)] = p.Status
		}
	}
	for i := range earlier {
		earlier[i].findings = byID[earlier[i].id]
	}
	prev := earlier[len(earlier)-1]
	d.Previous, d.PreviousAt = prev.id, prev.at
	for _, f := range rep.Findings() {
		was, seen := prev.findings[findingKey(f)]
		switch {
		case !seen && f.Status == checklists.Fail:
			d.NewFailures = append(d.NewFailures, f)
		case !seen:
			// A server or rule new to the scope that passes: no news.
		case was == f.Status && f.Status == checklists.Fail:
			n := 1
			for i := len(earlier) - 1; i >= 0 && earlier[i].findings[findingKey(f)] == checklists.Fail; i-- {
				n++
			}
			d.StillFailing = append(d.StillFailing, Streak{Finding: f, Audits: n})
		case was == f.Status:
		case f.Status == checklists.Fail:
			d.NewFailures = append(d.NewFailures, f)
		case was == checklists.Fail && f.Status == checklists.Pass:
			d.Recovered = append(d.Recovered, f)
		default:
			d.Changed = append(d.Changed, StatusChange{Finding: f, Was: was})
		}
	}
	return d, nil
}

func findingKey(f checklists.Finding) string { return strings.ToLower(f.Target) + "/" + f.Rule }
