package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/user"
	"path/filepath"
	"strings"

	"github.com/wsbbot/wsbbot/checklists"
	"github.com/wsbbot/wsbbot/config"
	"github.com/wsbbot/wsbbot/internal/secret"
	"github.com/wsbbot/wsbbot/internal/store"
	"github.com/wsbbot/wsbbot/internal/strictyaml"
	"github.com/wsbbot/wsbbot/oncall"
	"github.com/wsbbot/wsbbot/remote"
	"github.com/wsbbot/wsbbot/runbooks"
)

// config loads the configuration named by --config (or WSBBOT_CONFIG)
// together with the WSBBOT_* environment, once. Problems are usage errors.
func (m *Main) config() (config.Config, error) {
	if m.cfg != nil {
		return *m.cfg, nil
	}
	file := m.configFile
	if file == "" {
		file, _ = m.Env.lookup("WSBBOT_CONFIG")
	}
	cfg, err := config.Load(file, m.Env.vars)
	if err != nil {
		return cfg, &exitError{code: exitUsage, err: err}
	}
	m.cfg = &cfg
	return cfg, nil
}

// useConfig replaces the configuration before anything is built from it
// (the console's simulated lab).
func (m *Main) useConfig(cfg config.Config) { m.cfg = &cfg }

// runbooks loads the bundled catalogue and runbooks plus the folders named
// in the configuration, once. Errors in them stop the command; warnings do
// not (`wsbbot validate` shows them).
func (m *Main) runbooks() (*runbooks.Set, error) {
	if m.set != nil || m.setErr != nil {
		return m.set, m.setErr
	}
	cfg, err := m.config()
	if err != nil {
		return nil, err
	}
	for _, d := range cfg.Runbooks.Dirs {
		if _, err := os.Stat(d); err != nil {
			m.setErr = usageErrorf("runbooks.dirs: %v", err)
			return nil, m.setErr
		}
	}
	set, problems := loadSet(cfg.Runbooks.Dirs)
	if errs := problems.Errors(); len(errs) > 0 {
		m.setErr = &exitError{code: exitUsage, err: fmt.Errorf("runbook files have %d problem(s):\n%w", len(errs), errors.Join(problemErrors(errs)...))}
		return nil, m.setErr
	}
	m.set = set
	return set, nil
}

// runbookSources returns the bundled set followed by the given folders; a
// later source adds to or overrides an earlier one.
func runbookSources(dirs ...string) []runbooks.Source {
	srcs := []runbooks.Source{{Name: "bundled", FS: runbooks.Bundled()}}
	for _, d := range dirs {
		srcs = append(srcs, runbooks.Source{Name: d, FS: os.DirFS(d)})
	}
	return srcs
}

// loadSet loads the bundled set plus dirs and returns every problem.
func loadSet(dirs []string) (*runbooks.Set, strictyaml.Problems) {
	return runbooks.Load(runbookSources(dirs...)...)
}

func problemErrors(ps strictyaml.Problems) []error {
	out := make([]error, len(ps))
	for i, p := range ps {
		out[i] = errors.New(p.String())
	}
	return out
}

// logger returns the operator log: slog on stderr, level and format from
// the configuration.
func (m *Main) logger() *slog.Logger {
	if m.lg != nil {
		return m.lg
	}
	cfg, _ := m.config()
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(cfg.Log.Level))
	opts := &slog.HandlerOptions{Level: lvl}
	if cfg.Log.Format == "json" {
		m.lg = slog.New(slog.NewJSONHandler(m.Env.stderr, opts))
	} else {
		m.lg = slog.New(slog.NewTextHandler(m.Env.stderr, opts))
	}
	return m.lg
}

// store opens the durable record named by the configuration, once,
// creating its folder. Runs left open by a process that is gone are
// marked interrupted, never re-run; service reports them.
func (m *Main) store() (store.File, error) {
	if m.st != nil {
		return m.st, nil
	}
	cfg, err := m.config()
	if err != nil {
		return nil, err
	}
	path := cfg.Store.Path
	if path == "" {
		return nil, &exitError{code: exitInternal, err: errors.New("store: store.path is not set and no state directory is known " +
			"(STATE_DIRECTORY, XDG_STATE_HOME or HOME); set store.path in the configuration or WSBBOT_STORE_PATH")}
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, &exitError{code: exitInternal, err: fmt.Errorf("store: %w", err)}
		}
	}
	_, err = os.Stat(path + store.BoltBackupSuffix)
	hadBackup := err == nil
	st, err := store.Open(path, store.Options{Backend: store.Backend(cfg.Store.Backend)})
	if err != nil {
		return nil, &exitError{code: exitInternal, err: err}
	}
	if _, err := os.Stat(path + store.BoltBackupSuffix); err == nil && !hadBackup {
		fmt.Fprintf(m.Env.stderr, "wsbbot: the record %s was migrated from bbolt to SQLite; the bbolt original is kept as %s\n", path, path+store.BoltBackupSuffix)
	}
	m.st = st
	return st, nil
}

// executor gives the runbook engine and the auditor their way to the
// servers: the WinRM client, with targets resolved from the inventory.
func (m *Main) executor() (*remote.Executor, error) {
	if m.exec != nil {
		return m.exec, nil
	}
	cfg, err := m.config()
	if err != nil {
		return nil, err
	}
	client, err := newRemote(cfg, m.logger())
	if err != nil {
		return nil, usageErrorf("%v", err)
	}
	vars := m.Env.vars
	// An index built once: an audit resolves every target, and a scan of
	// the inventory for each made that quadratic in the number of targets.
	// Names are unique case-insensitively (Validate); the scan stays for
	// what lower-casing and EqualFold do not agree on.
	byName := make(map[string]int, len(cfg.Targets))
	for i, t := range cfg.Targets {
		if _, dup := byName[strings.ToLower(t.Name)]; !dup {
			byName[strings.ToLower(t.Name)] = i // the first, as the scan finds
		}
	}
	target := func(name string) (config.Target, bool) {
		if i, ok := byName[strings.ToLower(name)]; ok && strings.EqualFold(cfg.Targets[i].Name, name) {
			return cfg.Targets[i], true
		}
		return cfg.Target(name)
	}
	m.exec = &remote.Executor{Client: client, Resolve: func(name string) (remote.Target, error) {
		t, ok := target(name)
		if !ok {
			return remote.Target{}, fmt.Errorf("no target %q in the inventory", name)
		}
		return remoteTarget(t, cfg.Remote, vars)
	}}
	return m.exec, nil
}

// knowledge is the oncall service without the record or the servers: what
// lookup, runbooks and guide need (they must not create a record).
func (m *Main) knowledge() (*oncall.Service, error) {
	if m.svc != nil && m.set != nil {
		return m.svc, nil
	}
	if m.know != nil {
		return m.know, nil
	}
	set, err := m.runbooks()
	if err != nil {
		return nil, err
	}
	cfg, err := m.config()
	if err != nil {
		return nil, err
	}
	svc, err := oncall.New(oncall.Deps{Runbooks: set, Inventory: inventory(cfg), Logger: m.logger()})
	if err != nil {
		return nil, &exitError{code: exitInternal, err: err}
	}
	m.know = svc
	return svc, nil
}

// service is the oncall service over the configuration's record,
// inventory and servers, built once. It is built even when the runbook
// files do not load (the record must stay readable, and a run request is
// then rejected with the files' problems and recorded); commands that
// need the runbooks to answer ask m.runbooks() first.
func (m *Main) service() (*oncall.Service, error) { return m.buildService(true) }

// recordService is service for the commands that never run a runbook
// (audit, history, restore-test done): the runbook files are parsed only
// when the record holds an interrupted run whose leftovers must be
// explained. Parsing them is about 45 ms of CPU, most of such a command's
// start-up.
func (m *Main) recordService() (*oncall.Service, error) { return m.buildService(false) }

// errRunbooksNotLoaded is the service's reason for having no runbooks
// when the command did not need them.
var errRunbooksNotLoaded = errors.New("this command does not load the runbook files")

func (m *Main) buildService(withRunbooks bool) (*oncall.Service, error) {
	if m.svc != nil && (m.svcHasRunbooks || !withRunbooks) {
		return m.svc, nil
	}
	cfg, err := m.config()
	if err != nil {
		return nil, err
	}
	cl, err := checklists.Bundled()
	if err != nil {
		return nil, &exitError{code: exitInternal, err: err}
	}
	st, err := m.store()
	if err != nil {
		return nil, err
	}
	interrupted := st.Interrupted()
	set, setErr := (*runbooks.Set)(nil), errRunbooksNotLoaded
	if withRunbooks || len(interrupted) > 0 {
		set, setErr = m.runbooks()
	}
	exec, err := m.executor()
	if err != nil {
		return nil, err
	}
	lock, err := newChangeLock(cfg, cliActor())
	if err != nil {
		return nil, &exitError{code: exitInternal, err: err}
	}
	svc, err := oncall.New(oncall.Deps{Runbooks: set, RunbooksErr: setErr, Checklist: cl, Executor: exec, Store: st,
		ChangeLock: lock, Inventory: inventory(cfg), AuditConcurrency: cfg.Remote.Concurrency, Logger: m.logger()})
	if err != nil {
		return nil, &exitError{code: exitInternal, err: err}
	}
	first := m.svc == nil
	m.svc, m.svcHasRunbooks = svc, set != nil || setErr != errRunbooksNotLoaded
	if first {
		m.reportInterrupted(context.Background(), svc, interrupted)
	}
	return svc, nil
}

// inventory is the configuration's targets as the use cases see them.
func inventory(cfg config.Config) oncall.Inventory {
	inv := make(oncall.Inventory, 0, len(cfg.Targets))
	for _, t := range cfg.Targets {
		d := t.Declared
		inv = append(inv, oncall.Server{Name: t.Name, Tags: t.Tags, Declared: checklists.Declarations{
			Copies: d.Copies, Media: d.Media, Offsite: d.Offsite,
			AVProduct: d.AVProduct, AVExclusions: d.AVExclusions, RestoreTest: d.RestoreTest,
		}})
	}
	return inv
}

// cliActor names who asked, for the record.
func cliActor() string {
	if u, err := user.Current(); err == nil {
		return "cli:" + u.Username
	}
	return "cli"
}

// remoteTarget turns a configured target into what remote needs, resolving
// the credential reference and reading certificate files.
func remoteTarget(t config.Target, r config.Remote, vars []string) (remote.Target, error) {
	rt := remote.Target{
		Name:               t.Name,
		Address:            t.Address,
		Port:               t.Port(),
		HTTPS:              t.HTTPS(),
		User:               t.User,
		InsecureSkipVerify: t.InsecureSkipVerify,
		TLSServerName:      t.TLSServerName,
		OperationTimeout:   t.EffectiveOperationTimeout(r),
	}
	auth, err := remote.ParseAuth(t.Auth)
	if err != nil {
		return rt, fmt.Errorf("target %s: %w", t.Name, err)
	}
	rt.Auth = auth
	if auth != remote.AuthCertificate {
		pw, err := t.Password(vars, nil)
		if err != nil {
			return rt, err // it names the target
		}
		rt.Password = pw
	}
	read := func(what, path string) ([]byte, error) {
		if path == "" {
			return nil, nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("target %s: %s: %w", t.Name, what, err)
		}
		return b, nil
	}
	if rt.CACertPEM, err = read("ca_file", t.CAFile); err != nil {
		return rt, err
	}
	if rt.ClientCertPEM, err = read("client_cert_file", t.ClientCertFile); err != nil {
		return rt, err
	}
	key, err := read("client_key_file", t.ClientKeyFile)
	if err != nil {
		return rt, err
	}
	rt.ClientKeyPEM = secret.Secret(key)
	return rt, nil
}

// newRemote builds the WinRM client from the configuration.
func newRemote(cfg config.Config, lg *slog.Logger) (*remote.Client, error) {
	return remote.New(remote.Options{
		Concurrency:      cfg.Remote.Concurrency,
		OperationTimeout: cfg.Remote.OperationTimeout.Std(),
		HeaderTimeout:    cfg.Remote.HeaderTimeout.Std(),
		StepTimeout:      cfg.Remote.StepTimeout.Std(),
		RunTimeout:       cfg.Remote.RunTimeout.Std(),
		OutputCap:        int64(cfg.Remote.OutputCap),
		Logger:           lg,
	})
}
