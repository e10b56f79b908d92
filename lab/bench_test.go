package lab

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/wsbbot/wsbbot/checklists"
	"github.com/wsbbot/wsbbot/lab/ps"
)

// benchmarkAudit runs the five-rule audit's collection script, through
// wsbbot's transport, on hosts that share scripts (a lab's tables) or not.
func benchmarkAudit(b *testing.B, scripts *ps.Cache) {
	tb := newTables()
	tb.scripts = scripts
	const hosts = 8
	var hs []*Host
	for i := range hosts {
		h, err := newHost("fs"+string(rune('a'+i)), ScenarioHealthy, tb)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(h.close)
		hs = append(hs, h)
	}
	line, stdin := transportLine(), transportStdin(b, nil, checklists.CollectScript)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if code := hs[i%hosts].Run(ctx, line, "wsbadmin", strings.NewReader(stdin), io.Discard, io.Discard); code != 0 {
			b.Fatalf("exit code %d", code)
		}
	}
}

func BenchmarkRunScriptCached(b *testing.B)   { benchmarkAudit(b, ps.NewCache(scriptCacheSize)) }
func BenchmarkRunScriptUncached(b *testing.B) { benchmarkAudit(b, nil) }

// TestHostsShareParsedScripts checks that the hosts of one lab parse a
// script once: the first host's run fills the cache with the bootstrap, the
// script and its "$(...)" expansions, the second host's adds nothing.
func TestHostsShareParsedScripts(t *testing.T) {
	tb := newTables()
	var sizes []int
	for _, name := range []string{"fs01", "fs02"} {
		h, err := newHost(name, ScenarioHealthy, tb)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(h.close)
		if r := run(t, h, transportLine(), transportStdin(t, nil, checklists.CollectScript)); r.code != 0 || !strings.Contains(r.stdout, `"bmr":true`) {
			t.Fatalf("%s: %+v", name, r)
		}
		sizes = append(sizes, tb.scripts.Len())
	}
	// bootstrap, script, and three "$(...)" inside its strings
	if diff := cmp.Diff([]int{5, 5}, sizes); diff != "" {
		t.Errorf("cache sizes after each host (-want +got):\n%s", diff)
	}
}
