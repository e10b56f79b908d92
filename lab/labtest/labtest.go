// Package labtest gives tests the use cases' dependencies over a running
// simulated lab: each host as a remote target and an inventory server
// (tagged with its scenario, declaring what the lab's inventory declares),
// one executor over a given client, and the bundled runbooks and
// checklist. It is imported only by tests; the product never sees the lab.
package labtest

import (
	"fmt"

	"github.com/wsbbot/wsbbot/checklists"
	"github.com/wsbbot/wsbbot/lab"
	"github.com/wsbbot/wsbbot/oncall"
	"github.com/wsbbot/wsbbot/remote"
	"github.com/wsbbot/wsbbot/runbooks"
)

// Deps returns oncall.Deps for l's hosts reached through client (Store
// and Clock left for the caller, AuditConcurrency 4), and the hosts by
// name, for tests that look at or change a host's state.
func Deps(l *lab.Lab, client *remote.Client) (oncall.Deps, map[string]*lab.Host, error) {
	hosts := map[string]*lab.Host{}
	targets := map[string]remote.Target{}
	var inv oncall.Inventory
	for _, h := range l.Hosts() {
		hosts[h.Name] = h.Host
		targets[h.Name] = remote.Target{Name: h.Name, Address: h.Address, Port: h.Port, Auth: remote.AuthBasic,
			User: l.User(), Password: remote.Password(l.Password())}
		d := lab.DeclaredFor(h.Scenario)
		inv = append(inv, oncall.Server{Name: h.Name, Tags: []string{h.Scenario},
			Declared: checklists.Declarations{Copies: d.Copies, Media: d.Media, Offsite: &d.Offsite}})
	}
	exec := &remote.Executor{Client: client, Resolve: func(name string) (remote.Target, error) {
		t, ok := targets[name]
		if !ok {
			return remote.Target{}, fmt.Errorf("no lab host %q", name)
		}
		return t, nil
	}}
	set, err := runbooks.LoadBundled()
	if err != nil {
		return oncall.Deps{}, nil, err
	}
	cl, err := checklists.Bundled()
	if err != nil {
		return oncall.Deps{}, nil, err
	}
	return oncall.Deps{Runbooks: set, Checklist: cl, Executor: exec, Inventory: inv, AuditConcurrency: 4}, hosts, nil
}
