package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkLoadInventory1000 loads a configuration of 1,000 targets, as
// `wsbbot audit` of a 1,000-server fleet does at every start.
func BenchmarkLoadInventory1000(b *testing.B) {
	benchmarkLoadInventory(b, true)
}

// BenchmarkLoadGeneralInventory1000 loads the same configuration the way
// Load does when the targets fast path (targets.go) gives up, as it does
// for a file with a misspelled key.
func BenchmarkLoadGeneralInventory1000(b *testing.B) {
	benchmarkLoadInventory(b, false)
}

func benchmarkLoadInventory(b *testing.B, plainTargets bool) {
	var sb strings.Builder
	sb.WriteString("targets:\n")
	for i := range 1000 {
		fmt.Fprintf(&sb, "  - name: srv-%04d\n    address: 127.0.0.1\n    port: %d\n    scheme: http\n    auth: basic\n"+
			"    user: wsbadmin\n    password_env: WSBBOT_LAB_PASSWORD\n    tags: [healthy]\n"+
			"    declared:\n      copies: 3\n      media: 2\n      offsite: true\n", i, 20000+i)
	}
	file := filepath.Join(b.TempDir(), "inventory.yaml")
	if err := os.WriteFile(file, []byte(sb.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	env := []string{"WSBBOT_LAB_PASSWORD=x", "HOME=" + b.TempDir()}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := load(file, env, plainTargets); err != nil {
			b.Fatal(err)
		}
	}
}
