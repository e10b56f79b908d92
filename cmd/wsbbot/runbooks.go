package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/wsbbot/wsbbot/internal/strictyaml"
	"github.com/wsbbot/wsbbot/runbooks"
)

// runbookSources returns the bundled set followed by the configured folders
// and then extra folders; a later source adds to or overrides an earlier one.
func runbookSources(dirs ...string) []runbooks.Source {
	srcs := []runbooks.Source{{Name: "bundled", FS: runbooks.Bundled()}}
	for _, d := range dirs {
		srcs = append(srcs, runbooks.Source{Name: d, FS: os.DirFS(d)})
	}
	return srcs
}

// loadRunbooks loads the bundled catalogue and runbooks plus the folders
// named in the configuration. Errors in them stop the command; warnings do
// not (`wsbbot validate` shows them).
func loadRunbooks(g *globals, e env) (*runbooks.Set, error) {
	cfg, err := g.loadConfig(e)
	if err != nil {
		return nil, err
	}
	for _, d := range cfg.Runbooks.Dirs {
		if _, err := os.Stat(d); err != nil {
			return nil, usageErrorf("runbooks.dirs: %v", err)
		}
	}
	set, problems := runbooks.Load(runbookSources(cfg.Runbooks.Dirs...)...)
	if errs := problems.Errors(); len(errs) > 0 {
		return nil, &exitError{code: exitUsage, err: fmt.Errorf("runbook files have %d problem(s):\n%w", len(errs), errors.Join(problemErrors(errs)...))}
	}
	return set, nil
}

func problemErrors(ps strictyaml.Problems) []error {
	out := make([]error, len(ps))
	for i, p := range ps {
		out[i] = errors.New(p.String())
	}
	return out
}

// loadSet loads the bundled set plus dirs and returns every problem.
func loadSet(dirs []string) (*runbooks.Set, strictyaml.Problems) {
	return runbooks.Load(runbookSources(dirs...)...)
}
