package main

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/wsbbot/wsbbot/config"
	"github.com/wsbbot/wsbbot/remote"
)

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
			return rt, fmt.Errorf("target %s: %w", t.Name, err)
		}
		rt.Password = remote.Password(pw.Reveal())
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
	if rt.ClientKeyPEM, err = read("client_key_file", t.ClientKeyFile); err != nil {
		return rt, err
	}
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

// newLogger returns the operator log: slog on stderr, level and format from
// the configuration.
func newLogger(cfg config.Config, e env) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(cfg.Log.Level))
	opts := &slog.HandlerOptions{Level: lvl}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(e.stderr, opts))
	}
	return slog.New(slog.NewTextHandler(e.stderr, opts))
}

// newExecutor gives the runbook engine and the auditor their way to the
// servers: the WinRM client, with targets resolved from the inventory.
func newExecutor(cfg config.Config, e env, lg *slog.Logger) (*remote.Executor, error) {
	client, err := newRemote(cfg, lg)
	if err != nil {
		return nil, usageErrorf("%v", err)
	}
	return &remote.Executor{Client: client, Resolve: func(name string) (remote.Target, error) {
		t, ok := cfg.Target(name)
		if !ok {
			return remote.Target{}, fmt.Errorf("no target %q in the inventory", name)
		}
		return remoteTarget(t, cfg.Remote, e.vars)
	}}, nil
}
