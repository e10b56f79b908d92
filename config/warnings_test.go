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

func TestStorePathNeverDependsOnTheWorkingFolder(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "wsbbot.yaml")
	write := func(body string) {
		t.Helper()
		if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	home := []string{"HOME=/home/alice"}
	for _, tc := range []struct {
		name, body string
		env        []string
		want       string
	}{
		{"unset: the state directory under HOME", "", home, "/home/alice/.local/state/wsbbot/wsbbot.db"},
		{"XDG_STATE_HOME wins over HOME", "", append([]string{"XDG_STATE_HOME=/var/xdg"}, home...), "/var/xdg/wsbbot/wsbbot.db"},
		{"systemd's STATE_DIRECTORY wins", "", append([]string{"STATE_DIRECTORY=/var/lib/wsbbot:/var/lib/other", "XDG_STATE_HOME=/var/xdg"}, home...), "/var/lib/wsbbot/wsbbot.db"},
		{"relative in the file: from the file's folder", "store:\n  path: data/record.db\n", home, filepath.Join(dir, "data", "record.db")},
		{"absolute in the file", "store:\n  path: /srv/wsbbot.db\n", home, "/srv/wsbbot.db"},
		{"no state directory known", "", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if runtime.GOOS == "windows" {
				t.Skip("unix paths")
			}
			write(tc.body)
			c, err := Load(file, tc.env)
			if err != nil {
				t.Fatal(err)
			}
			if c.Store.Path != tc.want {
				t.Errorf("store.path = %q, want %q", c.Store.Path, tc.want)
			}
		})
	}
}
