package oncall

import (
	"errors"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/wsbbot/wsbbot/checklists"
	"github.com/wsbbot/wsbbot/internal/store"
	"github.com/wsbbot/wsbbot/runbooks"
)

// Server is one server of the inventory as the use cases see it: its name,
// its groups (tags) and what the operator declared about it for the
// checklist audit.
type Server struct {
	Name     string
	Tags     []string
	Declared checklists.Declarations
}

// Inventory is the servers wsbbot may act on, in the operator's order.
type Inventory []Server

// Server returns the server named name (compared case-insensitively, as
// the configuration does).
func (inv Inventory) Server(name string) (Server, bool) {
	for _, s := range inv {
		if strings.EqualFold(s.Name, name) {
			return s, true
		}
	}
	return Server{}, false
}

// Tagged returns the servers carrying tag (case-insensitively), in order.
func (inv Inventory) Tagged(tag string) Inventory {
	var out Inventory
	for _, s := range inv {
		if slices.ContainsFunc(s.Tags, func(t string) bool { return strings.EqualFold(t, tag) }) {
			out = append(out, s)
		}
	}
	return out
}

func (inv Inventory) has(name string) bool { _, ok := inv.Server(name); return ok }

// Deps are what the use cases run on. Store and Executor may be nil for a
// service that only answers from its knowledge (Explain, Runbooks, Guide,
// Servers), as the CLI's lookup does without opening the record; the other
// methods then return a UserError. Checklist is needed by Audit only.
//
// Runbooks may be nil when the runbook files do not load, with
// RunbooksErr saying why: the record (History, Timeline, Verify,
// RestoreTestDone) and the audit still work, and every run request is
// rejected with that reason, and recorded.
type Deps struct {
	Runbooks    *runbooks.Set
	RunbooksErr error
	Checklist   *checklists.Checklist
	Executor    runbooks.Executor
	Store       store.Store
	Inventory   Inventory
	// ChangeLock keeps an approved change to one run per server at a time,
	// across every wsbbot process of the machine (nil: no lock).
	ChangeLock runbooks.ChangeLock
	// AuditConcurrency bounds how many servers an audit reaches at once
	// (0: 1).
	AuditConcurrency int
	// Clock gives the time audits judge against and restore tests default
	// to (nil: time.Now).
	Clock func() time.Time
	// Logger is the operator's log (nil: discard).
	Logger *slog.Logger
}

// Service carries out the use cases. It is safe for concurrent use.
type Service struct {
	set       *runbooks.Set
	setErr    error
	checklist *checklists.Checklist
	exec      runbooks.Executor
	lock      runbooks.ChangeLock
	st        store.Store
	inv       Inventory
	auditConc int
	now       func() time.Time
	lg        *slog.Logger
}

// New returns the service over d.
func New(d Deps) (*Service, error) {
	if d.Runbooks == nil && d.RunbooksErr == nil {
		return nil, errors.New("oncall: no runbook set, and no reason why")
	}
	s := &Service{set: d.Runbooks, setErr: d.RunbooksErr, checklist: d.Checklist, exec: d.Executor, lock: d.ChangeLock, st: d.Store,
		inv: slices.Clone(d.Inventory), auditConc: max(d.AuditConcurrency, 1), now: d.Clock, lg: d.Logger}
	if s.now == nil {
		s.now = time.Now
	}
	if s.lg == nil {
		s.lg = slog.New(slog.DiscardHandler)
	}
	return s, nil
}

// ready reports a knowledge-only service used for what needs the record
// (and, with needExec, the servers), as a UserError: the console without
// an inventory has no record and no server to act on.
func (s *Service) ready(needExec bool) error {
	if s.st == nil || (needExec && s.exec == nil) {
		return userErr(Failed,
			"no servers and no record are configured here: give wsbbot an inventory (--config)",
			"サーバーも記録も設定されていません: インベントリ (--config) を指定してください", nil)
	}
	return nil
}

// catalogue is the loaded catalogue (nil, and empty, without runbooks).
func (s *Service) catalogue() *runbooks.Catalogue {
	if s.set == nil {
		return nil
	}
	return s.set.Catalogue
}

// Servers returns the inventory.
func (s *Service) Servers() Inventory { return slices.Clone(s.inv) }

// Server returns the inventory's server named name, as Inventory.Server
// does, without the copy of the whole inventory that Servers makes: the
// chat looks for a server name in every word of every message.
func (s *Service) Server(name string) (Server, bool) { return s.inv.Server(name) }

// HasServers reports whether the inventory has a server.
func (s *Service) HasServers() bool { return len(s.inv) > 0 }
