package lab

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/masterzen/winrm"
	"gopkg.in/yaml.v3"

	"github.com/wsbbot/wsbbot/internal/winout"
)

func TestPlanHosts(t *testing.T) {
	tests := []struct {
		n        int
		scenario string
		want     []string
	}{
		{0, "all", Scenarios()},
		{0, "", Scenarios()},
		{3, "all", []string{"healthy", "writer-failed", "reserved-full"}},
		{13, "all", append(append([]string{}, Scenarios()...), "healthy-2", "writer-failed-2")},
		{3, "no-bmr", []string{"no-bmr", "no-bmr-2", "no-bmr-3"}},
		{0, "japanese", []string{"japanese"}},
	}
	for _, tc := range tests {
		plan, err := planHosts(tc.n, tc.scenario)
		if err != nil {
			t.Fatalf("planHosts(%d, %q): %v", tc.n, tc.scenario, err)
		}
		var got []string
		for _, p := range plan {
			got = append(got, p.name)
		}
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("planHosts(%d, %q) = %v, want %v", tc.n, tc.scenario, got, tc.want)
		}
	}
	if _, err := planHosts(1, "nope"); err == nil {
		t.Error("unknown scenario accepted")
	}
	if _, err := planHosts(-1, "all"); err == nil {
		t.Error("negative count accepted")
	}
	for _, l := range []string{"0.0.0.0:0", "192.168.1.1:5985", "127.0.0.1", "127.0.0.1:99999"} {
		if _, _, err := parseListen(l); err == nil {
			t.Errorf("parseListen(%q) accepted", l)
		}
	}
}

// inventory is the shape written by Start (and read by config).
type inventory struct {
	Targets []struct {
		Name        string   `yaml:"name"`
		Address     string   `yaml:"address"`
		Port        int      `yaml:"port"`
		Scheme      string   `yaml:"scheme"`
		Auth        string   `yaml:"auth"`
		User        string   `yaml:"user"`
		PasswordEnv string   `yaml:"password_env"`
		CAFile      string   `yaml:"ca_file"`
		Tags        []string `yaml:"tags"`
		Language    string   `yaml:"language"`
		Declared    struct {
			Copies  int   `yaml:"copies"`
			Media   int   `yaml:"media"`
			Offsite *bool `yaml:"offsite"`
		} `yaml:"declared"`
	} `yaml:"targets"`
}

func readInventory(t *testing.T, path string) (inventory, string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var inv inventory
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&inv); err != nil {
		t.Fatalf("inventory: %v\n%s", err, b)
	}
	return inv, string(b)
}

func TestStartEndToEndWithMasterzen(t *testing.T) {
	for _, useTLS := range []bool{false, true} {
		t.Run(fmt.Sprintf("tls=%v", useTLS), func(t *testing.T) {
			dir := t.TempDir()
			invPath := filepath.Join(dir, "lab.yaml")
			const password = "s3cret-Pa55"
			l, err := Start(context.Background(), Options{Hosts: 3, Scenario: "all", TLS: useTLS, Inventory: invPath, Password: password})
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				if err := l.Close(); err != nil {
					t.Errorf("close: %v", err)
				}
			}()
			inv, raw := readInventory(t, invPath)
			if strings.Contains(raw, password) {
				t.Errorf("inventory contains the password")
			}
			if !strings.HasPrefix(raw, "# wsbbot lab inventory: 3 simulated hosts; password in $WSBBOT_LAB_PASSWORD\n") {
				t.Errorf("header: %q", raw[:80])
			}
			if !strings.Contains(raw, "    tags: [healthy]\n") {
				t.Errorf("tags not in flow style:\n%s", raw)
			}
			hosts := l.Hosts()
			if len(inv.Targets) != 3 || len(hosts) != 3 {
				t.Fatalf("%d targets, %d hosts", len(inv.Targets), len(hosts))
			}
			var caPEM []byte
			for i, tg := range inv.Targets {
				hi := hosts[i]
				scheme, ca := "http", ""
				if useTLS {
					scheme, ca = "https", filepath.Join(dir, CAFileName)
				}
				if tg.Name != hi.Name || tg.Port != hi.Port || tg.Address != "127.0.0.1" || tg.Scheme != scheme || tg.Auth != "basic" ||
					tg.User != DefaultUser || tg.PasswordEnv != PasswordEnv || tg.CAFile != ca || len(tg.Tags) != 1 || tg.Tags[0] != hi.Scenario || tg.Language != "" {
					t.Errorf("target %d = %+v, host %+v", i, tg, hi)
				}
			}
			if useTLS {
				caPEM, err = os.ReadFile(filepath.Join(dir, CAFileName))
				if err != nil || !bytes.Equal(caPEM, l.CACertPEM()) {
					t.Fatalf("CA file: %v", err)
				}
				blk, _ := pem.Decode(caPEM)
				ca, err := x509.ParseCertificate(blk.Bytes)
				if err != nil || !ca.IsCA {
					t.Fatalf("CA: %v", err)
				}
			}
			var wg sync.WaitGroup
			for i, hi := range hosts {
				wg.Add(1)
				go func(i int, hi HostInfo) {
					defer wg.Done()
					endpoint := winrm.NewEndpoint(hi.Address, hi.Port, useTLS, false, caPEM, nil, nil, 30*time.Second)
					c, err := winrm.NewClient(endpoint, l.User(), l.Password())
					if err != nil {
						t.Error(err)
						return
					}
					ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
					defer cancel()
					out, serr, code, err := c.RunCmdWithContext(ctx, "vssadmin list writers")
					if err != nil || code != 0 || serr != "" {
						t.Errorf("%s: vssadmin: %v %d %q", hi.Name, err, code, serr)
						return
					}
					ws, err := winout.ParseVSSWriters(out)
					if err != nil || len(ws.Writers) != 11 {
						t.Errorf("%s: writers %d %v", hi.Name, len(ws.Writers), err)
					}
					if wantFailed := hi.Scenario == ScenarioWriterFailed; (len(ws.Failed()) == 1) != wantFailed {
						t.Errorf("%s: failed writers %v", hi.Name, ws.Failed())
					}
					out, _, code, err = c.RunPSWithContext(ctx, "Get-WBSummary | ConvertTo-Json -Compress")
					if err != nil || code != 0 || !strings.Contains(out, `"LastBackupResultHR":`) {
						t.Errorf("%s: RunPS: %v %d %q", hi.Name, err, code, out)
					}
					if hi.Scenario == ScenarioReservedFull && !strings.Contains(out, `"LastBackupResultHR":2155348249`) {
						t.Errorf("%s: summary %s", hi.Name, out)
					}
					// wsbbot's own transport: bootstrap on the command line,
					// script on stdin.
					out, serr, code, err = c.RunWithContextWithString(ctx, transportLine(), transportStdin(t, map[string]any{"Name": "SQLWriter"}, "(Get-Service -Name $P.Name).Status\n$env:COMPUTERNAME"))
					if err != nil || code != 0 || out != "Running\r\n"+strings.ToUpper(hi.Name)+"\r\n" {
						t.Errorf("%s: transport: %v %d %q %q", hi.Name, err, code, out, serr)
					}
					out, serr, code, err = c.RunCmdWithContext(ctx, "foo")
					if err != nil || code != 1 || out != "" || !strings.Contains(serr, "'foo' is not recognized") {
						t.Errorf("%s: unknown command: %v %d %q", hi.Name, err, code, serr)
					}
				}(i, hi)
			}
			wg.Wait()
			// Wrong password: refused.
			endpoint := winrm.NewEndpoint("127.0.0.1", hosts[0].Port, useTLS, false, caPEM, nil, nil, 10*time.Second)
			c, _ := winrm.NewClient(endpoint, l.User(), "wrong")
			if _, _, _, err := c.RunCmdWithContext(context.Background(), "hostname"); err == nil {
				t.Errorf("wrong password accepted")
			}
		})
	}
}

func TestStartJapaneseInventoryAndPorts(t *testing.T) {
	base := freePortRun(t, 3)
	dir := t.TempDir()
	invPath := filepath.Join(dir, "sub", "..", "inv.yaml")
	l, err := Start(context.Background(), Options{Scenario: ScenarioJapanese, Hosts: 3, Listen: "127.0.0.1:" + strconv.Itoa(base), Inventory: invPath})
	if err != nil {
		t.Skipf("ports from %d not free: %v", base, err)
	}
	defer l.Close()
	inv, raw := readInventory(t, filepath.Join(dir, "inv.yaml"))
	for i, tg := range inv.Targets {
		if tg.Port != base+i || tg.Language != "ja" || tg.Scheme != "http" || tg.CAFile != "" {
			t.Errorf("target %d: %+v", i, tg)
		}
	}
	if strings.Contains(raw, l.Password()) || l.Password() == "" {
		t.Errorf("generated password missing or written")
	}
	if l.InventoryPath() != filepath.Join(dir, "inv.yaml") {
		t.Errorf("inventory path %s", l.InventoryPath())
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
	// The cancelled context stops the lab.
	ctx, cancel := context.WithCancel(context.Background())
	l2, err := Start(ctx, Options{Hosts: 1})
	if err != nil {
		t.Fatal(err)
	}
	port := l2.Hosts()[0].Port
	cancel()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), 200*time.Millisecond)
		if err != nil {
			return
		}
		c.Close()
		time.Sleep(20 * time.Millisecond)
	}
	t.Errorf("lab still listening after its context was cancelled")
}

// freePortRun finds n consecutive free ports (best effort).
func freePortRun(t *testing.T, n int) int {
	t.Helper()
	for try := 0; try < 20; try++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		base := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		ok := true
		for i := 1; i < n; i++ {
			l2, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(base+i)))
			if err != nil {
				ok = false
				break
			}
			l2.Close()
		}
		if ok {
			return base
		}
	}
	t.Skip("no run of free ports")
	return 0
}

// TestStartThousandHosts starts 1,000 hosts (with TLS) and checks their
// inventory; it logs the startup time and the resident memory.
func TestStartThousandHosts(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 1,000 listeners")
	}
	dir := t.TempDir()
	began := time.Now()
	l, err := Start(context.Background(), Options{Hosts: 1000, TLS: true, Inventory: filepath.Join(dir, "lab.yaml")})
	if err != nil {
		t.Fatal(err)
	}
	startup := time.Since(began)
	defer func() {
		b := time.Now()
		if err := l.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
		t.Logf("closed 1,000 hosts in %v", time.Since(b))
	}()
	runtime.GC()
	rss := readRSS()
	// A figure for the log only: speed belongs in benchmarks, not in a
	// pass/fail unit test.
	t.Logf("started 1,000 hosts with TLS in %v; RSS %s", startup, rss)
	inv, _ := readInventory(t, filepath.Join(dir, "lab.yaml"))
	if len(inv.Targets) != 1000 || inv.Targets[999].Name != "no-restore-test-91" {
		t.Fatalf("inventory: %d targets, last %+v", len(inv.Targets), inv.Targets[len(inv.Targets)-1])
	}
	ca := l.CACertPEM()
	for _, i := range []int{0, 500, 999} {
		hi := l.Hosts()[i]
		c, err := winrm.NewClient(winrm.NewEndpoint(hi.Address, hi.Port, true, false, ca, nil, nil, 30*time.Second), l.User(), l.Password())
		if err != nil {
			t.Fatal(err)
		}
		out, _, code, err := c.RunCmdWithContext(context.Background(), "hostname")
		if err != nil || code != 0 || out != hi.Name+"\r\n" {
			t.Errorf("host %d: %v %d %q", i, err, code, out)
		}
	}
}

// readRSS returns VmRSS from /proc/self/status, or "unknown".
func readRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			return strings.TrimSpace(strings.TrimPrefix(l, "VmRSS:"))
		}
	}
	return "unknown"
}
