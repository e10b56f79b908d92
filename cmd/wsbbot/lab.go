package main

import (
	"fmt"
	"log/slog"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/wsbbot/wsbbot/lab"
)

func newLabCommand(m *Main) *cobra.Command {
	e := m.Env
	o := lab.Options{}
	cmd := &cobra.Command{
		Use:   "lab [--hosts N] [--scenario ID|all] [--listen 127.0.0.1:PORT] [--user U] [--password P] [--tls] [--latency DUR] [--inventory FILE]",
		Short: "Run simulated Windows backup servers that speak WinRM on loopback",
		Long: `lab starts simulated Windows Server Backup hosts, each a WinRM listener on
loopback with its own state (VSS writers and services, volumes and the System
Reserved partition, a WSB policy, Defender exclusions, SMB shares, backup jobs),
and runs until interrupted. --scenario all (the default) gives one host per
scenario, in this order:
  ` + fmt.Sprint(lab.Scenarios()) + `
--hosts N below that takes the first N; above it repeats the list.

--inventory FILE writes a wsbbot configuration listing the hosts under
targets (usable as --config FILE). It holds no password: it names the
environment variable WSBBOT_LAB_PASSWORD, which must hold --password (by
default the lab reads its password from that variable, or makes one up and
prints it).

--latency DUR puts a delaying proxy in front of every host: each byte takes
DUR to travel each way and each new connection pays a TCP handshake, as a
server DUR away would (for demos and benchmarks of a real network).`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.Password == "" {
				o.Password, _ = e.lookup("WSBBOT_LAB_PASSWORD")
			}
			o.Logger = slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
			ctx := cmd.Context()
			l, err := lab.Start(ctx, o)
			if err != nil {
				return usageErrorf("lab: %v", err)
			}
			defer l.Close()
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tSCENARIO\tADDRESS")
			scheme := "http"
			if o.TLS {
				scheme = "https"
			}
			for _, h := range l.Hosts() {
				fmt.Fprintf(tw, "%s\t%s\t%s://%s:%d/wsman\n", h.Name, h.Scenario, scheme, h.Address, h.Port)
			}
			tw.Flush()
			fmt.Fprintf(e.stdout, "%d host(s); user %s", len(l.Hosts()), l.User())
			if o.Password == "" {
				fmt.Fprintf(e.stdout, ", password %s (export WSBBOT_LAB_PASSWORD=%s)", l.Password(), l.Password())
			} else {
				fmt.Fprint(e.stdout, ", password from --password / WSBBOT_LAB_PASSWORD")
			}
			fmt.Fprintln(e.stdout)
			if p := l.InventoryPath(); p != "" {
				fmt.Fprintf(e.stdout, "inventory: %s (use it as --config %s)\n", p, p)
			}
			fmt.Fprintln(e.stdout, "running until interrupted (Ctrl-C)")
			<-ctx.Done()
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.Hosts, "hosts", 0, "number of hosts (0: one per scenario)")
	f.StringVar(&o.Scenario, "scenario", "all", "scenario `ID`, or all")
	f.StringVar(&o.Listen, "listen", "127.0.0.1:0", "first `ADDRESS:PORT`; hosts take consecutive ports (port 0: any free ports)")
	f.StringVar(&o.User, "user", "wsbadmin", "Basic auth user")
	f.StringVar(&o.Password, "password", "", "Basic auth password (default: $WSBBOT_LAB_PASSWORD, else generated)")
	f.BoolVar(&o.TLS, "tls", false, "serve HTTPS with a generated CA written beside the inventory as lab-ca.pem")
	f.DurationVar(&o.Latency, "latency", 0, "one-way network delay `DUR` in front of every host (e.g. 10ms)")
	f.StringVar(&o.Inventory, "inventory", "", "write the hosts as a wsbbot configuration `FILE`")
	return cmd
}
