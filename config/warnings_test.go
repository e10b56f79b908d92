package config

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSecurityWarnings(t *testing.T) {
	dir := t.TempDir()
	open := filepath.Join(dir, "open.pw")
	private := filepath.Join(dir, "private.pw")
	for f, mode := range map[string]os.FileMode{open: 0o644, private: 0o600} {
		if err := os.WriteFile(f, []byte("pw\n"), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(f, mode); err != nil { // umask may have narrowed it
			t.Fatal(err)
		}
	}
	c := Config{Targets: []Target{
		{Name: "ok", Scheme: SchemeHTTPS, Auth: AuthNTLM, PasswordFile: private},
		{Name: "basic-http", Scheme: SchemeHTTP, Auth: AuthBasic, PasswordEnv: "PW"},
		{Name: "basic-https", Scheme: SchemeHTTPS, Auth: AuthBasic, PasswordEnv: "PW"},
		{Name: "skip", Scheme: SchemeHTTPS, InsecureSkipVerify: true, PasswordEnv: "PW"},
		{Name: "readable", Scheme: SchemeHTTPS, PasswordFile: open},
		{Name: "missing", Scheme: SchemeHTTPS, PasswordFile: filepath.Join(dir, "none")},
	}}
	var keys []string
	for _, w := range c.SecurityWarnings(nil) {
		keys = append(keys, w.Key)
		if !strings.Contains(w.Message, c.Targets[idx(t, w.Key)].Name) {
			t.Errorf("%s does not name its target: %s", w.Key, w.Message)
		}
	}
	want := []string{"targets[1].auth", "targets[3].insecure_skip_verify"}
	if runtime.GOOS != "windows" {
		want = append(want, "targets[4].password_file")
	}
	if diff := cmp.Diff(want, keys); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	// The stat function is the one given.
	called := false
	_ = c.SecurityWarnings(func(string) (fs.FileInfo, error) { called = true; return nil, fs.ErrNotExist })
	if !called {
		t.Error("stat not used")
	}
}

func idx(t *testing.T, key string) int {
	t.Helper()
	var i int
	if _, err := fmt.Sscanf(key, "targets[%d].", &i); err != nil {
		t.Fatalf("key %q: %v", key, err)
	}
	return i
}
