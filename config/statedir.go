package config

import (
	"path/filepath"
	"runtime"
	"strings"
)

// StateDir is the folder where wsbbot keeps its record when store.path is
// not set, read from env (an os.Environ()-style list): systemd's
// $STATE_DIRECTORY (StateDirectory= in the unit), then %LOCALAPPDATA%\wsbbot
// on Windows, $XDG_STATE_HOME/wsbbot, or $HOME/.local/state/wsbbot. It is ""
// when env names none of them.
func StateDir(env []string) string {
	vars := map[string]string{}
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			vars[k] = v
		}
	}
	if d, _, _ := strings.Cut(vars["STATE_DIRECTORY"], ":"); filepath.IsAbs(d) {
		return d
	}
	if runtime.GOOS == "windows" {
		if d := vars["LOCALAPPDATA"]; filepath.IsAbs(d) {
			return filepath.Join(d, "wsbbot")
		}
	}
	if d := vars["XDG_STATE_HOME"]; filepath.IsAbs(d) {
		return filepath.Join(d, "wsbbot")
	}
	if d := vars["HOME"]; filepath.IsAbs(d) {
		return filepath.Join(d, ".local", "state", "wsbbot")
	}
	return ""
}

// resolveStorePath makes store.path absolute (see Store.Path). fromFile is
// set when the value was written in the configuration file (not given by
// WSBBOT_STORE_PATH, which is taken from the working folder as usual).
func resolveStorePath(path, file string, fromFile bool, env []string) string {
	switch {
	case path == "":
		if d := StateDir(env); d != "" {
			return filepath.Join(d, "wsbbot.db")
		}
		return ""
	case filepath.IsAbs(path):
		return path
	case fromFile && file != "":
		if dir, err := filepath.Abs(filepath.Dir(file)); err == nil {
			return filepath.Join(dir, path)
		}
	}
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}
