package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wsbbot/wsbbot/internal/store"
)

// backends opens each file-backed store for a benchmark.
var backends = []struct {
	name string
	open func(tb testing.TB, path string) store.Store
}{
	{"bbolt", func(tb testing.TB, path string) store.Store { return mustOpen(tb, path, nil) }},
	{"sqlite", func(tb testing.TB, path string) store.Store { return mustOpenSQLite(tb, path, nil) }},
}

// BenchmarkAppend measures one Append of a step's result: one write
// transaction synced to disk before Append returns (bbolt: two fsyncs,
// data pages then meta page; SQLite in WAL mode: one, of the WAL), so the
// figure is dominated by the disk's sync latency.
func BenchmarkAppend(b *testing.B) {
	out := strings.Repeat("Writer name: 'System Writer' State: [1] Stable\n", 20)
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			s := be.open(b, filepath.Join(b.TempDir(), "bench.db"))
			ctx := context.Background()
			if _, err := s.Append(ctx, store.RunStarted{Runbook: "vss-restart", PlanHash: "p"}.Event("r1", "fs01", "U1")); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				e := store.StepFinished{Step: fmt.Sprint("s", i), Status: "ok", Output: out}.Event("r1", "fs01", "wsbbot")
				e.Key = fmt.Sprint("k", i)
				if _, err := s.Append(ctx, e); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// auditHosts and auditRules are the size of the audit whose record
// BenchmarkAuditFindings writes: 1,000 servers, the bundled checklist's
// five rules each.
const (
	auditHosts = 1000
	auditRules = 5
)

// auditEvents returns the findings of one audit of auditHosts servers
// and its summary, with payloads the size of the real ones (bilingual
// evidence and fix), each under the audit's id as run id as the audit
// records them.
func auditEvents(tb testing.TB, auditID string) []store.Event {
	tb.Helper()
	rules := []string{"bmr", "separate-disk", "3-2-1", "av-exclusion", "restore-test"}
	events := make([]store.Event, 0, auditHosts*auditRules+1)
	for h := range auditHosts {
		target := fmt.Sprintf("fs%04d", h)
		for _, rule := range rules[:auditRules] {
			ev, err := store.NewEvent(store.KindAuditFinding, auditID, target, "scheduler", map[string]any{
				"audit_id": auditID, "target": target, "rule": rule, "status": "fail",
				"evidence": map[string]string{"en": "the last backup of " + target + " has no bare-metal recovery (BMR) component; wbadmin get versions shows only volumes C:, D:",
					"ja": target + " の最新のバックアップにはベア メタル回復 (BMR) が含まれていません。wbadmin get versions はボリューム C:, D: のみを示しています"},
				"fix": map[string]string{"en": "add -allCritical (or the BMR option in the schedule) to the backup policy",
					"ja": "バックアップ ポリシーに -allCritical（スケジュールの BMR オプション）を追加します"},
			})
			if err != nil {
				tb.Fatal(err)
			}
			events = append(events, ev)
		}
	}
	sum, err := store.NewEvent(store.KindAuditFinished, auditID, "", "scheduler", map[string]any{"audit_id": auditID, "checklist": "five-rules", "scope": "five-rules:all",
		"summary": map[string]int{"pass": 0, "fail": auditHosts * auditRules}})
	if err != nil {
		tb.Fatal(err)
	}
	return append(events, sum)
}

// BenchmarkAuditFindings measures recording the findings of one
// 1,000-server audit (5,001 events), once with one Append (one synced
// write) per event, as the audit did before, and once with AppendMany
// (one transaction), as it does now. The ns/op is the whole audit's
// record; events/s is given too.
func BenchmarkAuditFindings(b *testing.B) {
	for _, be := range backends {
		for _, mode := range []string{"one-each", "append-many"} {
			b.Run(be.name+"/"+mode, func(b *testing.B) {
				s := be.open(b, filepath.Join(b.TempDir(), "bench.db"))
				ctx := context.Background()
				n := 0
				start := time.Now()
				for i := 0; b.Loop(); i++ {
					events := auditEvents(b, fmt.Sprint("a", i))
					if mode == "one-each" {
						for _, e := range events {
							if _, err := s.Append(ctx, e); err != nil {
								b.Fatal(err)
							}
						}
					} else if _, err := s.AppendMany(ctx, events); err != nil {
						b.Fatal(err)
					}
					n += len(events)
				}
				b.ReportMetric(float64(n)/time.Since(start).Seconds(), "events/s")
			})
		}
	}
}

// BenchmarkMarkSeen measures what the chat waits for before each reply:
// one MarkSeen of an event's two dedupe keys (event id, channel+ts). It
// reports the mean and the tail of single calls (p99-us, max-us): the
// tail is where a checkpoint of the WAL in the caller's commit would
// show, one call in a few hundred.
func BenchmarkMarkSeen(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			s := be.open(b, filepath.Join(b.TempDir(), "bench.db"))
			ctx := context.Background()
			var took []time.Duration
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				t0 := time.Now()
				if _, err := s.MarkSeen(ctx, []string{fmt.Sprint("event:Ev", i), fmt.Sprint("msg:C1/", i, ".000100")}); err != nil {
					b.Fatal(err)
				}
				took = append(took, time.Since(t0))
			}
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)*99/100].Microseconds()), "p99-us")
			b.ReportMetric(float64(took[len(took)-1].Microseconds()), "max-us")
		})
	}
}
