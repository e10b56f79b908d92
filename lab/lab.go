package lab

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/wsbbot/wsbbot/internal/netdelay"
	"github.com/wsbbot/wsbbot/remote/winrmtest"
)

// PasswordEnv is the environment variable the inventory names for the lab
// password.
const PasswordEnv = "WSBBOT_LAB_PASSWORD"

// DefaultUser is the lab's user when Options.User is empty.
const DefaultUser = "wsbadmin"

// CAFileName is the name of the CA certificate written beside the inventory.
const CAFileName = "lab-ca.pem"

// Options configures Start.
type Options struct {
	// Hosts is the number of hosts; 0 means one per scenario. Fewer hosts
	// than scenarios take the first ones; more repeat the list, the second
	// round named "<scenario>-2", the third "<scenario>-3", ...
	Hosts int
	// Scenario is "all" (the default) or one scenario id.
	Scenario string
	// Listen is "127.0.0.1:PORT": hosts listen on consecutive ports from
	// PORT; port 0 gives every host a free port. Only loopback addresses
	// are accepted. Default "127.0.0.1:0".
	Listen string
	// User and Password are the Basic credentials (default user wsbadmin;
	// an empty password gets a random one, see Lab.Password).
	User, Password string
	// TLS serves HTTPS with certificates signed by one generated CA.
	TLS bool
	// Inventory is where to write the wsbbot inventory ("" = none); with
	// TLS the CA certificate goes beside it as lab-ca.pem.
	Inventory string
	// Latency, when positive, puts a delaying proxy (internal/netdelay) in
	// front of every host: each byte takes Latency to travel each way and a
	// new connection pays the TCP handshake's round trip, as on a real
	// network. The hosts' advertised ports (and the inventory) are the
	// proxies'.
	Latency time.Duration
	// Logger receives the lab's records; nil discards them.
	Logger *slog.Logger
}

// HostInfo describes one running host.
type HostInfo struct {
	Name, Scenario, Address string
	Port                    int
	Host                    *Host
	// Server is the host's fake WinRM listener, for injecting faults
	// (latency, 401, quota faults...) with Server.Inject. With
	// Options.Latency it serves the delaying proxy's connections only:
	// Port is the proxy's.
	Server *winrmtest.Server
	// Proxy is the delaying proxy in front of Server (nil without
	// Options.Latency), in this process (netdelay.ListenLocal).
	Proxy *netdelay.Proxy
}

// Lab is a set of running hosts.
type Lab struct {
	hosts     []HostInfo
	servers   []*winrmtest.Server
	proxies   []*netdelay.Proxy
	user      string
	password  string
	tls       bool
	caPEM     []byte
	inventory string
	caFile    string
	log       *slog.Logger
	closeOnce sync.Once
	closeErr  error
	stopAfter func() bool
}

// Start builds the hosts, makes every one listen, writes the inventory (and
// with TLS the CA) and returns. The lab runs until Close or until ctx is
// done.
func Start(ctx context.Context, o Options) (*Lab, error) {
	began := time.Now()
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if o.Latency < 0 {
		return nil, fmt.Errorf("start lab: negative latency %v", o.Latency)
	}
	plan, err := planHosts(o.Hosts, o.Scenario)
	if err != nil {
		return nil, err
	}
	listen := o.Listen
	if listen == "" {
		listen = "127.0.0.1:0"
	}
	addr, port, err := parseListen(listen)
	if err != nil {
		return nil, err
	}
	l := &Lab{user: o.User, password: o.Password, tls: o.TLS, log: log}
	if l.user == "" {
		l.user = DefaultUser
	}
	if l.password == "" {
		b := make([]byte, 18)
		if _, err := rand.Read(b); err != nil {
			return nil, fmt.Errorf("start lab: password: %w", err)
		}
		l.password = base64.RawURLEncoding.EncodeToString(b)
	}
	var cert *tls.Certificate
	if o.TLS {
		ca, err := winrmtest.NewCA("wsbbot lab CA")
		if err != nil {
			return nil, fmt.Errorf("start lab: %w", err)
		}
		c, err := ca.ServerCertificate(addr)
		if err != nil {
			return nil, fmt.Errorf("start lab: %w", err)
		}
		l.caPEM, cert = ca.CertPEM(), &c
	}
	tb := newTables()
	for i, pl := range plan {
		if err := ctx.Err(); err != nil {
			_ = l.Close()
			return nil, fmt.Errorf("start lab: %w", err)
		}
		h, err := newHost(pl.name, pl.scenario, tb)
		if err != nil {
			_ = l.Close()
			return nil, fmt.Errorf("start lab: %w", err)
		}
		hp := net.JoinHostPort(addr, "0")
		if port != 0 {
			hp = net.JoinHostPort(addr, strconv.Itoa(port+i))
		}
		cp := winrmtest.CodepageCP437
		if h.lang == LangJapanese {
			cp = winrmtest.CodepageCP932
		}
		srv := winrmtest.New(winrmtest.Options{
			User: l.user, Password: l.password, Handler: h.Handler(), Logger: log,
			DefaultCodepage: cp, MaxLogEntries: -1,
			TLS: o.TLS, TLSCertificate: cert,
		})
		l.servers = append(l.servers, srv)
		var px *netdelay.Proxy
		if o.Latency > 0 {
			// The server takes its connections from the proxy, in this
			// process: no second loopback connection per client.
			px, err = netdelay.ListenLocal(hp, o.Latency)
			if err == nil {
				l.proxies = append(l.proxies, px)
				err = srv.StartListener(px.Listener())
			}
		} else {
			err = srv.Start(hp)
		}
		if err != nil {
			_ = l.Close()
			return nil, fmt.Errorf("start lab: host %s: %w", pl.name, err)
		}
		l.hosts = append(l.hosts, HostInfo{Name: pl.name, Scenario: pl.scenario, Address: addr, Port: srv.Port(), Host: h, Server: srv, Proxy: px})
	}
	if o.Inventory != "" {
		if err := l.writeInventory(o.Inventory); err != nil {
			_ = l.Close()
			return nil, err
		}
	}
	l.stopAfter = context.AfterFunc(ctx, func() { _ = l.Close() })
	log.Info("lab started", "hosts", len(l.hosts), "tls", o.TLS, "inventory", l.inventory, "elapsed", time.Since(began))
	return l, nil
}

type plannedHost struct{ name, scenario string }

// planHosts names the hosts: the scenario ids for the first round, then
// "<id>-2", "<id>-3", ...
func planHosts(n int, scenario string) ([]plannedHost, error) {
	if n < 0 {
		return nil, fmt.Errorf("start lab: negative host count %d", n)
	}
	list := Scenarios()
	if scenario != "" && scenario != "all" {
		if !slices.Contains(list, scenario) && !slices.Contains(ExtraScenarios(), scenario) {
			return nil, fmt.Errorf("start lab: unknown scenario %q (known: all, %v, %v)", scenario, list, ExtraScenarios())
		}
		list = []string{scenario}
	}
	if n == 0 {
		n = len(list)
	}
	plan := make([]plannedHost, n)
	for i := range plan {
		sc := list[i%len(list)]
		name := sc
		if round := i / len(list); round > 0 {
			name = fmt.Sprintf("%s-%d", sc, round+1)
		}
		plan[i] = plannedHost{name: name, scenario: sc}
	}
	return plan, nil
}

// parseListen checks "host:port" and that host is a loopback address.
func parseListen(s string) (string, int, error) {
	host, ps, err := net.SplitHostPort(s)
	if err != nil {
		return "", 0, fmt.Errorf("start lab: listen %q: %w", s, err)
	}
	port, err := strconv.Atoi(ps)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("start lab: listen %q: bad port", s)
	}
	if host == "" || host == "localhost" {
		host = "127.0.0.1"
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return "", 0, fmt.Errorf("start lab: listen %q: the lab listens on loopback addresses only", s)
	}
	return host, port, nil
}

// Hosts returns the running hosts in order.
func (l *Lab) Hosts() []HostInfo { return slices.Clone(l.hosts) }

// User is the Basic user name.
func (l *Lab) User() string { return l.user }

// Password is the Basic password (generated when Options.Password was
// empty). It is never written to the inventory.
func (l *Lab) Password() string { return l.password }

// CACertPEM is the CA that signed the hosts' certificate (nil without TLS).
func (l *Lab) CACertPEM() []byte { return slices.Clone(l.caPEM) }

// InventoryPath is the absolute path of the written inventory ("" if none).
func (l *Lab) InventoryPath() string { return l.inventory }

// Close stops every host and waits for them.
func (l *Lab) Close() error {
	l.closeOnce.Do(func() {
		if l.stopAfter != nil {
			l.stopAfter()
		}
		var errs []error
		var mu sync.Mutex
		var wg sync.WaitGroup
		sem := make(chan struct{}, 64)
		for _, p := range l.proxies {
			if err := p.Close(); err != nil {
				errs = append(errs, err)
			}
		}
		for _, s := range l.servers {
			wg.Add(1)
			sem <- struct{}{}
			go func(s *winrmtest.Server) {
				defer func() { <-sem; wg.Done() }()
				if err := s.Close(); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}(s)
		}
		wg.Wait()
		for _, h := range l.hosts {
			h.Host.close()
		}
		if len(errs) > 0 {
			l.closeErr = fmt.Errorf("close lab: %w", errors.Join(errs...))
		}
	})
	return l.closeErr
}

// --- inventory ---

type invFile struct {
	Targets []invTarget `yaml:"targets"`
}

type invTarget struct {
	Name        string   `yaml:"name"`
	Address     string   `yaml:"address"`
	Port        int      `yaml:"port"`
	Scheme      string   `yaml:"scheme"`
	Auth        string   `yaml:"auth"`
	User        string   `yaml:"user"`
	PasswordEnv string   `yaml:"password_env"`
	CAFile      string   `yaml:"ca_file,omitempty"`
	Tags        flowList `yaml:"tags"`
	Language    string   `yaml:"language,omitempty"`
	// Declared is what the checklist audit cannot see on a host.
	Declared *invDeclared `yaml:"declared,omitempty"`
}

// invDeclared is a target's declared: block (config.Declared).
type invDeclared struct {
	Copies  int   `yaml:"copies"`
	Media   int   `yaml:"media"`
	Offsite *bool `yaml:"offsite,omitempty"`
}

// Declaration is what a host's inventory entry declares (a wsbbot
// configuration's declared: block): the 3-2-1 facts a server cannot show.
type Declaration struct {
	Copies, Media int
	Offsite       bool
}

// DeclaredFor is what the inventory declares for a host of the scenario.
// Every host keeps three copies (the data, the local backup disk, the
// share) on two media, one off-site, except no-offsite, whose only copy
// besides the data is the local disk. Nothing is declared for antivirus
// (the hosts run Microsoft Defender, which the audit reads) nor for the
// restore test: every host but no-restore-test has a completed recovery 62
// days old in its Microsoft-Windows-Backup event log, which the audit reads.
func DeclaredFor(scenario string) Declaration {
	if scenario == ScenarioNoOffsite {
		return Declaration{Copies: 2, Media: 1, Offsite: false}
	}
	return Declaration{Copies: 3, Media: 2, Offsite: true}
}

func declaredFor(scenario string) *invDeclared {
	d := DeclaredFor(scenario)
	return &invDeclared{Copies: d.Copies, Media: d.Media, Offsite: &d.Offsite}
}

// flowList marshals as [a, b].
type flowList []string

// MarshalYAML implements yaml.Marshaler.
func (f flowList) MarshalYAML() (any, error) {
	n := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
	for _, s := range f {
		n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: s})
	}
	return n, nil
}

// writeInventory writes the CA (with TLS) and the inventory, each
// atomically (temporary file in the same folder, then rename).
func (l *Lab) writeInventory(path string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("write inventory %s: %w", path, err)
	}
	dir := filepath.Dir(abs)
	caFile := ""
	if l.tls {
		caFile = filepath.Join(dir, CAFileName)
		if err := writeAtomic(caFile, l.caPEM); err != nil {
			return err
		}
		l.caFile = caFile
	}
	inv := invFile{Targets: make([]invTarget, 0, len(l.hosts))}
	scheme := "http"
	if l.tls {
		scheme = "https"
	}
	for _, h := range l.hosts {
		t := invTarget{
			Name: h.Name, Address: h.Address, Port: h.Port, Scheme: scheme, Auth: "basic",
			User: l.user, PasswordEnv: PasswordEnv, CAFile: caFile, Tags: flowList{h.Scenario},
			Declared: declaredFor(h.Scenario),
		}
		if h.Host.lang == LangJapanese {
			t.Language = LangJapanese
		}
		inv.Targets = append(inv.Targets, t)
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "# wsbbot lab inventory: %d simulated hosts; password in $%s\n", len(l.hosts), PasswordEnv)
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(inv); err != nil {
		return fmt.Errorf("write inventory %s: %w", abs, err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("write inventory %s: %w", abs, err)
	}
	if err := writeAtomic(abs, buf.Bytes()); err != nil {
		return err
	}
	l.inventory = abs
	return nil
}

func writeAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(tmp, 0o644)
	}
	if werr == nil {
		werr = os.Rename(tmp, path)
	}
	if werr != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, werr)
	}
	return nil
}
