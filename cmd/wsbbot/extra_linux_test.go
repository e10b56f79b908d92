//go:build linux

package main

// The tests that need root, run by `make test-extra` (.ci/test-extra):
// inside private network and mount namespaces the target creates, with
// latency and loss on every loopback packet of the namespace (setLink).
// They are skipped unless WSBBOT_EXTRA=1, and each checks that it is in a
// namespace of its own before it changes the loopback's queue or mounts
// anything, so they can never touch the host's network or files.

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wsbbot/wsbbot/checklists"
	"github.com/wsbbot/wsbbot/internal/netdelay"
	"github.com/wsbbot/wsbbot/lab"
)

// extraEnv gates the root tests; .ci/test-extra sets it inside the
// namespaces it creates.
const extraEnv = "WSBBOT_EXTRA"

// hostNamespacesEnv holds the namespaces .ci/test-extra ran in before it
// created the tests' own ("net:[4026531840] mnt:[4026531841]", as
// readlink /proc/self/ns/KIND prints them).
const hostNamespacesEnv = "WSBBOT_EXTRA_HOST_NS"

// requireOwnNamespace skips the test outside `make test-extra`, and fails
// it unless the process is in a namespace of each kind ("net", "mnt")
// other than the one .ci/test-extra started in, i.e. the host's.
func requireOwnNamespace(t *testing.T, kinds ...string) {
	t.Helper()
	if os.Getenv(extraEnv) != "1" {
		t.Skipf("needs root and its own namespaces: run by `make test-extra` (%s=1)", extraEnv)
	}
	outside := strings.Fields(os.Getenv(hostNamespacesEnv))
	for _, kind := range kinds {
		own, err := os.Readlink("/proc/self/ns/" + kind)
		if err != nil {
			t.Fatal(err)
		}
		known := false
		for _, host := range outside {
			if strings.HasPrefix(host, kind+":") {
				known = true
				if host == own {
					t.Fatalf("this process shares the %s namespace it was started from (%s): run it through `make test-extra`", kind, own)
				}
			}
		}
		if !known {
			t.Fatalf("%s does not name the %s namespace the tests were started from (%q): run them through `make test-extra`", hostNamespacesEnv, kind, outside)
		}
	}
}

// linkDevice is the TUN device setLink creates in the test's namespace.
const linkDevice = "wsbdelay0"

// setLink sends every IPv4 loopback packet of the test's network
// namespace (TCP handshakes included) through a packet-level delay line
// (netdelay.Link) that delays, jitters or loses it as spec says, so both
// ends are the kernel's TCP on a slow, lossy path; when t ends the routes
// are restored and the device removed. This kernel has no tc netem
// (CONFIG_NET_SCH_NETEM is not set), which would do the same on lo.
//
// Routing: a packet the host sends to 127.0.0.0/8 (rule "iif lo") is
// routed out of the device; a packet coming back in from the device is
// looked up in the local table and delivered. route_localnet and
// accept_local let 127.0.0.1 travel on a device other than lo.
//
// It checks that a TCP connect now takes at least one round trip.
func setLink(t *testing.T, spec netdelay.LinkSpec) {
	t.Helper()
	requireOwnNamespace(t, "net")
	link, err := netdelay.OpenLink(linkDevice, spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		packets, dropped := link.Counts()
		t.Logf("link %s: %d packets, %d dropped", spec, packets, dropped)
		if err := link.Close(); err != nil {
			t.Errorf("link %s: %v", spec, err)
		}
	})
	for _, conf := range []string{"all", linkDevice} {
		for key, v := range map[string]string{"route_localnet": "1", "accept_local": "1", "rp_filter": "0"} {
			if err := os.WriteFile("/proc/sys/net/ipv4/conf/"+conf+"/"+key, []byte(v), 0); err != nil {
				t.Fatal(err)
			}
		}
	}
	ip := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	ip("link", "set", linkDevice, "up", "mtu", "65000")
	ip("route", "add", "127.0.0.0/8", "dev", linkDevice, "src", "127.0.0.1", "table", "100")
	ip("rule", "add", "pref", "10", "iif", linkDevice, "lookup", "local")
	ip("rule", "add", "pref", "20", "iif", "lo", "to", "127.0.0.0/8", "lookup", "100")
	ip("rule", "add", "pref", "100", "lookup", "local")
	ip("rule", "del", "pref", "0", "lookup", "local")
	t.Cleanup(func() {
		ip("rule", "add", "pref", "0", "lookup", "local")
		for _, pref := range []string{"100", "20", "10"} {
			ip("rule", "del", "pref", pref)
		}
	})

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	start := time.Now()
	c, err := net.DialTimeout("tcp", ln.Addr().String(), 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.Close()
	if rtt := time.Since(start); rtt < 2*spec.OneWay {
		t.Fatalf("link %s: a TCP connect on 127.0.0.1 took %v, less than the round trip: packets do not go through the link", spec, rtt)
	}
	if packets, _ := link.Counts(); packets == 0 {
		t.Fatalf("link %s: a TCP connect on 127.0.0.1 sent no packet through it", spec)
	}
}

// passiveOpens is the namespace's count of accepted TCP connections
// (/proc/net/snmp Tcp: PassiveOpens), each one handshake.
func passiveOpens(t *testing.T) int {
	t.Helper()
	f, err := os.Open("/proc/net/snmp")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var names []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || fields[0] != "Tcp:" {
			continue
		}
		if names == nil {
			names = fields
			continue
		}
		for i, n := range names {
			if n == "PassiveOpens" && i < len(fields) {
				v, err := strconv.Atoi(fields[i])
				if err != nil {
					t.Fatal(err)
				}
				return v
			}
		}
	}
	t.Fatal("/proc/net/snmp has no Tcp PassiveOpens")
	return 0
}

// TestExtraServeUnderLatency runs the serve end-to-end contract (a mention
// answered in its thread, a Diagnose click, a 429, a redelivery, a
// disconnect and a dropped socket each followed by a reconnection and an
// answer) and the Slack fault cases through real kernel latency: 20 ms
// round trips on every packet, then with 1% of packets lost, then with
// jitter. Every wait in those tests is a condition, so they pass under
// latency exactly when the bot keeps its contract there.
func TestExtraServeUnderLatency(t *testing.T) {
	requireOwnNamespace(t, "net")
	for _, round := range []struct {
		link   netdelay.LinkSpec
		faults bool
	}{
		{netdelay.LinkSpec{OneWay: netOneWay}, true},
		{netdelay.LinkSpec{OneWay: netOneWay, Loss: 0.01}, true},
		{netdelay.LinkSpec{OneWay: netOneWay, Jitter: 10 * time.Millisecond}, false},
	} {
		t.Run(strings.ReplaceAll(round.link.String(), " ", "_"), func(t *testing.T) {
			setLink(t, round.link)
			t.Run("contract", TestServeContract)
			if round.faults {
				t.Run("slack-faults", TestServeSlackFaults)
			}
		})
	}
}

// TestExtraAuditKernelVsProxy audits 100 lab hosts twice: once through
// the userspace delaying proxies (internal/netdelay, what `make bench`
// uses) on a loopback without delay, once straight to the hosts with the
// kernel delaying every packet by the same 10 ms. Both must make the same
// number of round trips (WinRM requests plus TCP handshakes) and take at
// least the latency floor they imply; it reports both times against the
// floor and fails when they disagree by more than 2x, which would mean
// the proxy does not measure what a real network does.
func TestExtraAuditKernelVsProxy(t *testing.T) {
	requireOwnNamespace(t, "net")
	const hosts, password = 100, "extra-Passw0rd"
	type measured struct {
		wall       time.Duration
		roundTrips int
		cpu        time.Duration
	}
	audit := func(t *testing.T, latency time.Duration, handshakes func(*lab.Lab) int) measured {
		dir := t.TempDir()
		inv := filepath.Join(dir, "inventory.yaml")
		l, err := lab.Start(context.Background(), lab.Options{Hosts: hosts, Password: password, Inventory: inv, Latency: latency})
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		h0 := handshakes(l)
		r := runAudit(t, l, inv, password, filepath.Join(dir, "state"), dir)
		if r.out.Summary.Total.Unknown != 0 {
			t.Fatalf("%d unknown findings: some host was not reached\n%s", r.out.Summary.Total.Unknown, r.stderr)
		}
		return measured{wall: r.wall, roundTrips: r.requests + handshakes(l) - h0, cpu: r.cpu}
	}
	var proxy, kernel measured
	t.Run("proxy", func(t *testing.T) {
		// The handshakes that pay the delay are the client's with the
		// proxies; theirs with the hosts are on an undelayed loopback.
		proxy = audit(t, netOneWay, func(l *lab.Lab) int {
			n := 0
			for _, h := range l.Hosts() {
				n += h.Proxy.Accepted()
			}
			return n
		})
	})
	t.Run("kernel", func(t *testing.T) {
		setLink(t, netdelay.LinkSpec{OneWay: netOneWay})
		kernel = audit(t, 0, func(*lab.Lab) int { return passiveOpens(t) })
	})
	if t.Failed() {
		return
	}
	for _, m := range []struct {
		name string
		m    measured
	}{{"proxy (internal/netdelay)", proxy}, {"kernel TCP (netdelay.Link)", kernel}} {
		floor := auditFloor(hosts, m.m.roundTrips)
		t.Logf("%-26s %d hosts: wall %.3f s, floor %.3f s (%.2f round trips/host x 20 ms), wall/floor %.2f, cpu %.2f ms/host",
			m.name, hosts, m.m.wall.Seconds(), floor.Seconds(), float64(m.m.roundTrips)/hosts, m.m.wall.Seconds()/floor.Seconds(),
			float64(m.m.cpu.Microseconds())/1000/hosts)
		if m.m.wall < floor {
			t.Errorf("%s: the audit took %v, less than the latency floor %v: the delay was not on the path", m.name, m.m.wall, floor)
		}
	}
	if proxy.roundTrips != kernel.roundTrips {
		t.Errorf("round trips: %d through the proxy, %d with kernel latency: the proxy changes how the client talks", proxy.roundTrips, kernel.roundTrips)
	}
	if ratio := kernel.wall.Seconds() / proxy.wall.Seconds(); ratio > 2 || ratio < 0.5 {
		t.Errorf("kernel latency %.3f s vs proxy %.3f s (%.2fx): the proxy does not model the network", kernel.wall.Seconds(), proxy.wall.Seconds(), ratio)
	}
}

// TestExtraAuditUnderLoss audits 100 lab hosts over a loopback that
// delays every packet 10 ms and loses some, opening sessions under a short
// step timeout: at 1% loss TCP recovers and every host is read; at 25%
// some hosts fail. Every host is either read or reported with an error
// remote classified (its fix is named), and the audit ends within the
// timeouts that govern it: the collection on one server
// (checklists.DefaultCollectTimeout, which bounds the opening too) plus
// closing the session (5 s); none hangs, none is dropped.
func TestExtraAuditUnderLoss(t *testing.T) {
	requireOwnNamespace(t, "net")
	const hosts, password, stepTimeout = 100, "extra-Passw0rd", 8 * time.Second
	for _, loss := range []float64{0.01, 0.25} {
		spec := netdelay.LinkSpec{OneWay: netOneWay, Loss: loss}
		t.Run(strings.ReplaceAll(spec.String(), " ", "_"), func(t *testing.T) {
			dir := t.TempDir()
			inv := filepath.Join(dir, "inventory.yaml")
			l, err := lab.Start(context.Background(), lab.Options{Hosts: hosts, Password: password, Inventory: inv})
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			f, err := os.OpenFile(inv, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			_, err = fmt.Fprintf(f, "remote:\n  step_timeout: %v\n", stepTimeout)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				t.Fatal(err)
			}
			setLink(t, spec)
			r := runAudit(t, l, inv, password, filepath.Join(dir, "state"), dir)
			read, unread := map[string]bool{}, map[string]string{}
			for _, fd := range r.out.Findings {
				if fd.Status != checklists.Unknown {
					read[fd.Target] = true
					continue
				}
				ev := fd.Evidence.EN
				if !strings.HasPrefix(ev, "could not collect facts") {
					continue // a rule the server's facts cannot decide
				}
				if fix := fd.Fix.EN; !strings.HasPrefix(fix, "first make the server answer: ") {
					t.Errorf("%s: unclassified failure %q (fix %q)", fd.Target, ev, fix)
				}
				if _, seen := unread[fd.Target]; !seen {
					t.Logf("%s not read: %s", fd.Target, ev)
				}
				unread[fd.Target] = ev
			}
			for name := range unread {
				if read[name] {
					t.Errorf("%s: reported both read and unread", name)
				}
			}
			if len(read)+len(unread) != hosts {
				t.Errorf("%d hosts read + %d reported unread, want %d", len(read), len(unread), hosts)
			}
			if loss == 0.01 && len(unread) != 0 {
				t.Errorf("at 1%% loss %d hosts were not read (TCP recovers from that): %v", len(unread), unread)
			}
			// 5 s to close (remote's cleanup deadline), 10 s to start and record.
			if limit := checklists.DefaultCollectTimeout + 15*time.Second; r.wall > limit {
				t.Errorf("the audit took %v, past the %v collection timeout and the close: something outlived its timeout\n%s",
					r.wall, checklists.DefaultCollectTimeout, r.stderr)
			}
			kinds := map[string]int{}
			for _, ev := range unread {
				kinds[ev[strings.LastIndex(ev, ": ")+2:]]++
			}
			t.Logf("link %s, step timeout %v: %d hosts read, %d not (%v), audit %.2f s",
				spec, stepTimeout, len(read), len(unread), kinds, r.wall.Seconds())
		})
	}
}

// TestExtraSystemdVerify runs `systemd-analyze verify` on
// deploy/wsbbot.service with an executable at the unit's ExecStart
// path, /usr/local/bin/wsbbot: a tmpfs mounted over /usr/local/bin in the
// test's own mount namespace (hence root), so the host's is untouched.
// Any warning fails it: an unknown key, a bad value, a missing binary.
func TestExtraSystemdVerify(t *testing.T) {
	requireOwnNamespace(t, "mnt")
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Skip("systemd-analyze not installed")
	}
	if err := syscall.Mount("tmpfs", "/usr/local/bin", "tmpfs", 0, "mode=0755"); err != nil {
		t.Fatalf("mount a tmpfs on /usr/local/bin in the test's mount namespace: %v", err)
	}
	defer func() {
		if err := syscall.Unmount("/usr/local/bin", 0); err != nil {
			t.Error(err)
		}
	}()
	// The test binary is wsbbot when asWsbbot is set (see main_test.go);
	// verify only needs ExecStart's path to be an executable.
	data, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("/usr/local/bin/wsbbot", data, 0o755); err != nil {
		t.Fatal(err)
	}
	unit, err := filepath.Abs("../../deploy/wsbbot.service")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("systemd-analyze", "verify", unit).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) != 0 {
		t.Errorf("systemd-analyze verify %s: %v\n%s", unit, err, out)
	}
}
