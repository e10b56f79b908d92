package oncall

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/wsbbot/wsbbot/checklists"
	"github.com/wsbbot/wsbbot/internal/store"
	"github.com/wsbbot/wsbbot/runbooks"
)

// BenchmarkPreviousAudit measures what an audit reads of the record to
// compare itself with the previous audit of its scope (previousAudit),
// in a SQLite record holding 4 or 16 audits of 1,000 servers (5,001
// events each): from the previous summary's states, and, for audits
// recorded before summaries had them, from that audit's 5,000 findings.
func BenchmarkPreviousAudit(b *testing.B) {
	const hosts = 1000
	rules := []string{checklists.RuleBMR, checklists.RuleSeparateDisk, checklists.Rule321, checklists.RuleAVExclusion, checklists.RuleRestoreTest}
	for _, states := range []bool{true, false} {
		for _, audits := range []int{4, 16} {
			b.Run(fmt.Sprintf("states=%v/%d-audits", states, audits), func(b *testing.B) {
				ctx := context.Background()
				st, err := store.OpenSQLite(filepath.Join(b.TempDir(), "wsbbot.db"), store.Options{})
				if err != nil {
					b.Fatal(err)
				}
				defer st.Close()
				for i := range audits {
					id := fmt.Sprintf("r%05d", i+1)
					var evs []store.Event
					sum := auditFinished{AuditID: id, Checklist: "five-rules", Scope: "five-rules:all", Finished: time.Now().UTC()}
					if states {
						sum.States = auditStates{}
					}
					for h := range hosts {
						target := fmt.Sprintf("fs%04d", h)
						for _, rule := range rules {
							f := checklists.Finding{Target: target, Rule: rule, Status: checklists.Fail,
								Evidence: runbooks.Text{EN: "the last backup of " + target + " has no bare-metal recovery (BMR) component",
									JA: target + " の最新のバックアップにはベア メタル回復 (BMR) が含まれていません"}}
							ev, err := store.NewEvent(store.KindAuditFinding, id, target, "scheduler", auditFindingRec{AuditID: id, Finding: f, FailingFor: i + 1})
							if err != nil {
								b.Fatal(err)
							}
							evs = append(evs, ev)
							if states {
								sum.States.set(f, stateOf(f.Status, i+1))
							}
						}
					}
					ev, err := store.NewEvent(store.KindAuditFinished, id, "", "scheduler", sum)
					if err != nil {
						b.Fatal(err)
					}
					if _, err := st.AppendMany(ctx, append(evs, ev)); err != nil {
						b.Fatal(err)
					}
				}
				s := &Service{st: st}
				b.ReportAllocs()
				for b.Loop() {
					prev, err := s.previousAudit(ctx, "five-rules:all")
					if err != nil || prev == nil || len(prev.findings) != hosts*len(rules) || prev.findings["fs0000/bmr"].failingFor != audits {
						b.Fatalf("previous audit: %v, %v", prev, err)
					}
				}
			})
		}
	}
}
