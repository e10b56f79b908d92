package ps

import (
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCache(t *testing.T) {
	c := NewCache(2)
	a1, err := c.Parse("'a'")
	if err != nil {
		t.Fatal(err)
	}
	if a2, _ := c.Parse("'a'"); a2 != a1 {
		t.Error("second Parse of the same text parsed again")
	}
	// A syntax error is kept too, and runs as the same ParserError.
	_, err1 := c.Parse("while ($true) { }")
	_, err2 := c.Parse("while ($true) { }")
	if err1 == nil || err1 != err2 {
		t.Errorf("syntax error not cached: %v, %v", err1, err2)
	}
	// 'a' was used before the error: adding a third text drops 'a'.
	if _, err := c.Parse("'b'"); err != nil {
		t.Fatal(err)
	}
	if got := c.Len(); got != 2 {
		t.Errorf("Len = %d, want 2", got)
	}
	if a3, _ := c.Parse("'a'"); a3 == a1 {
		t.Error("least recently used script was not dropped")
	}
}

// TestCacheConcurrentRuns runs one script from many goroutines through one
// cache (run with -race): every run gives the same output.
func TestCacheConcurrentRuns(t *testing.T) {
	c := NewCache(4)
	const n = 16
	got := make([]runResult, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i] = runScript(t, "foreach ($t in Get-Thing) { \"$($t.Name)=$($t.Size)\" }", c)
		}()
	}
	wg.Wait()
	want := runResult{Stdout: lines("alpha=10", "beta=200", "gamma=3")}
	for i := range n {
		if diff := cmp.Diff(want, got[i]); diff != "" {
			t.Fatalf("run %d (-want +got):\n%s", i, diff)
		}
	}
	if c.Len() != 3 { // the script and its two $(...) expansions
		t.Errorf("Len = %d, want 3", c.Len())
	}
}
