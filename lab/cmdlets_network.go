package lab

import (
	"fmt"
	"strings"

	"github.com/wsbbot/wsbbot/lab/ps"
)

const hostIP = hostIPBase + "11"

func cmdletTestNetConnection(e *execEnv, c *ps.Call) ([]any, error) {
	h, t := e.h, e.h.t
	target := "internetbeacon.msedge.net"
	if s, ok := c.Str("ComputerName"); ok {
		target = s
	}
	port := int64(0)
	if n, ok := c.Num("Port"); ok {
		port = n
	}
	if cp, ok := c.Str("CommonTCPPort"); ok {
		port = map[string]int64{"smb": 445, "http": 80, "rdp": 3389, "winrm": 5985}[strings.ToLower(cp)]
	}
	h.mu.Lock()
	addr, reachable, open := "", false, map[int64]bool{}
	lt := strings.ToLower(target)
	switch {
	case lt == strings.ToLower(h.nas.name) || lt == strings.ToLower(h.nas.fqdn) || lt == h.nas.ip:
		addr, reachable = h.nas.ip, h.nas.reachable
		open = map[int64]bool{445: true, 139: true}
	case lt == "localhost" || lt == "127.0.0.1" || lt == strings.ToLower(h.name) || lt == hostIP:
		addr, reachable = hostIP, true
		open = map[int64]bool{445: true, 5985: true, 3389: true, 135: true}
		if lt == "localhost" || lt == "127.0.0.1" {
			addr = "::1"
		}
	case strings.HasPrefix(lt, hostIPBase):
		addr = target
	}
	h.mu.Unlock()
	resolved := addr != ""
	tcpOK := resolved && reachable && open[port]
	if !resolved {
		c.Warn(fmt.Sprintf(t.psNameResolution, target))
	} else if port != 0 && !tcpOK {
		c.Warn(fmt.Sprintf(t.psTestConnectionFailed, addr, port))
		if !reachable {
			c.Warn(fmt.Sprintf(t.psTestConnectionWarning, addr))
		}
	} else if port == 0 && !reachable {
		c.Warn(fmt.Sprintf(t.psTestConnectionWarning, addr))
	}
	if lvl, ok := c.Str("InformationLevel"); ok && strings.EqualFold(lvl, "Quiet") {
		if port != 0 {
			return []any{tcpOK}, nil
		}
		return []any{resolved && reachable}, nil
	}
	src := ps.NewObject("Microsoft.Management.Infrastructure.CimInstance#ROOT/StandardCimv2/MSFT_NetIPAddress", ps.P("IPAddress", hostIP))
	src.Str = hostIP
	var remote any
	if resolved {
		remote = addr
	}
	o := ps.NewObject("TestNetConnectionResult",
		ps.P("ComputerName", target),
		ps.P("RemoteAddress", remote),
		ps.P("RemotePort", port),
		ps.P("NameResolutionSucceeded", resolved),
		ps.P("InterfaceAlias", "Ethernet"),
		ps.P("SourceAddress", src),
		ps.P("NetRoute (NextHop)", "0.0.0.0"),
		ps.P("PingSucceeded", resolved && reachable),
		ps.P("PingReplyDetails (RTT)", "0 ms"),
		ps.P("TcpTestSucceeded", tcpOK),
	)
	o.View = ps.ViewList
	if port != 0 {
		o.List = []string{"ComputerName", "RemoteAddress", "RemotePort", "InterfaceAlias", "SourceAddress", "TcpTestSucceeded"}
	} else {
		o.List = []string{"ComputerName", "RemoteAddress", "InterfaceAlias", "SourceAddress", "PingSucceeded", "PingReplyDetails (RTT)"}
	}
	return []any{o}, nil
}

func cmdletSmbConnection(e *execEnv, c *ps.Call) ([]any, error) {
	h := e.h
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []any
	user := strings.ToUpper(strings.Split(h.domain, ".")[0]) + `\` + e.userName()
	for _, s := range h.shares {
		if !s.connected {
			continue
		}
		if sn, ok := c.Str("ServerName"); ok && !strings.EqualFold(sn, s.server) && !strings.EqualFold(sn, h.nas.fqdn) {
			continue
		}
		if sh, ok := c.Str("ShareName"); ok && !ps.Like(sh, s.name) {
			continue
		}
		o := ps.NewObject("Microsoft.Management.Infrastructure.CimInstance#ROOT/Microsoft/Windows/SMB/MSFT_SmbConnection",
			ps.P("ContinuouslyAvailable", false),
			ps.P("Credential", user),
			ps.P("Dialect", s.dialect),
			ps.P("Encrypted", false),
			ps.P("NumOpens", uint32(1)),
			ps.P("Redirected", false),
			ps.P("ServerName", s.server),
			ps.P("ShareName", s.name),
			ps.P("Signed", s.dialect != "2.0.2"),
			ps.P("UserName", user),
			ps.P("PSComputerName", nil),
		)
		o.View = ps.ViewTable
		t := e.h.t
		o.Cols = []ps.Column{strCol("ServerName", "ServerName", t), strCol("ShareName", "ShareName", t), strCol("UserName", "UserName", t), strCol("Credential", "Credential", t), strCol("Dialect", "Dialect", t), {Header: "NumOpens", Right: true, Value: func(o *ps.Object) string { v, _ := o.Get("NumOpens"); return ps.String(v) }}}
		out = append(out, o)
	}
	return out, nil
}
