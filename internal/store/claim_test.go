package store_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"

	"github.com/wsbbot/wsbbot/internal/store"
)

// Of many concurrent claims of one key exactly one wins, on both stores,
// and a claim after a reopen of the file still loses.
func TestClaimOneWinner(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "wsbbot.db")
	bolt := mustOpen(t, path, nil)
	for name, st := range map[string]store.Store{"memory": store.NewMemory(nil), "bolt": bolt} {
		t.Run(name, func(t *testing.T) {
			var wg sync.WaitGroup
			var mu sync.Mutex
			wins := 0
			for range 16 {
				wg.Go(func() {
					e, err := store.NewEvent(store.KindScheduleFired, "", "", "scheduler", map[string]string{"schedule": "weekly"})
					if err != nil {
						t.Error(err)
						return
					}
					e.Key = "schedule:weekly:2026-12-07T00:00:00Z"
					_, won, err := store.Claim(ctx, st, e)
					if err != nil {
						t.Error(err)
						return
					}
					if won {
						mu.Lock()
						wins++
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			if wins != 1 {
				t.Fatalf("%d claims won, want exactly 1", wins)
			}
			evs, err := st.Events(ctx, store.Filter{Kinds: []store.Kind{store.KindScheduleFired}})
			if err != nil || len(evs) != 1 {
				t.Fatalf("events = %d, %v; want 1", len(evs), err)
			}
		})
	}
	if err := bolt.Close(); err != nil {
		t.Fatal(err)
	}
	st := mustOpen(t, path, nil)
	e, _ := store.NewEvent(store.KindScheduleFired, "", "", "scheduler", map[string]string{"schedule": "weekly"})
	e.Key = "schedule:weekly:2026-12-07T00:00:00Z"
	if _, won, err := store.Claim(ctx, st, e); err != nil || won {
		t.Fatalf("claim after reopen: won %v, err %v; want lost", won, err)
	}
}

func TestClaimRefusesBadInput(t *testing.T) {
	ctx := context.Background()
	st := store.NewMemory(nil)
	e, _ := store.NewEvent(store.KindScheduleFired, "", "", "scheduler", map[string]string{})
	if _, _, err := store.Claim(ctx, st, e); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("claim without key: %v, want ErrInvalid", err)
	}
	e.Key = "k"
	e.Data = []byte(`{"claim_nonce":"mine"}`)
	if _, _, err := store.Claim(ctx, st, e); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("claim with a nonce given: %v, want ErrInvalid", err)
	}
	plain, _ := store.NewEvent(store.KindScheduleFired, "", "", "x", map[string]string{})
	plain.Key = "held"
	if _, err := st.Append(ctx, plain); err != nil {
		t.Fatal(err)
	}
	e.Data, e.Key = nil, "held"
	if _, won, err := store.Claim(ctx, st, e); err == nil || won {
		t.Errorf("claim of a key held by a plain event: won %v err %v; want an error", won, err)
	}
}
