package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/wsbbot/wsbbot/checklists"
	"github.com/wsbbot/wsbbot/oncall"
	"github.com/wsbbot/wsbbot/render"
)

// auditOutput is `wsbbot audit --json`.
type auditOutput struct {
	AuditID  string               `json:"audit_id"`
	Findings []checklists.Finding `json:"findings"`
	Summary  checklists.Summary   `json:"summary"`
}

func newAuditCommand(m *Main) *cobra.Command {
	var (
		checklist, target, group, langFlag string
		all, asJSON                        bool
	)
	cmd := &cobra.Command{
		Use:   "audit [--checklist five-rules] [--target NAME | --group G | --all] [--json]",
		Short: "Audit servers against the five-rule backup checklist",
		Long: `audit collects each server's facts over WinRM (one session, one read-only
command per server, servers in parallel) and checks the guide's five rules:
bmr, separate-disk, 3-2-1, av-exclusion, restore-test. What a server cannot
show is taken from its "declared" block in the configuration; restore tests
also come from "wsbbot restore-test done" records. Every finding is recorded.

With no selector every target of the inventory is audited.
Exit status: 0 when every finding passes, 1 otherwise, 2 on usage errors.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			e := m.Env
			lang, err := m.lang(langFlag)
			if err != nil {
				return err
			}
			if checklist != "five-rules" {
				return usageErrorf("--checklist %q: the bundled checklist is five-rules", checklist)
			}
			if n := btoi(target != "") + btoi(group != "") + btoi(all); n > 1 {
				return usageErrorf("give at most one of --target, --group and --all")
			}
			defer paceGC(e)()
			req := oncall.AuditRequest{Server: target, Group: group, Actor: cliActor()}
			m.warmAudit(req)
			svc, err := m.recordService()
			if err != nil {
				return err
			}
			rep, err := svc.Audit(cmd.Context(), req)
			if err != nil {
				return serviceError(err)
			}
			// The errors name their server ("open fs01: ...").
			for _, r := range rep.Reports {
				if r.Err != nil {
					fmt.Fprintf(e.stderr, "wsbbot: %v\n", r.Err)
				}
				if r.Warning != nil {
					fmt.Fprintf(e.stderr, "wsbbot: warning: the facts were read, but %v\n", r.Warning)
				}
			}
			if asJSON {
				if err := writeAuditJSON(e.stdout, auditOutput{AuditID: rep.ID, Findings: rep.Findings(), Summary: rep.Summary}); err != nil {
					return err
				}
			} else {
				render.Matrix(e.stdout, rep, lang)
			}
			if rep.Summary.Total.Fail > 0 || rep.Summary.Total.Unknown > 0 {
				return silentExit(exitFailed)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&checklist, "checklist", "five-rules", "checklist id")
	f.StringVar(&target, "target", "", "audit only target `NAME`")
	f.StringVar(&group, "group", "", "audit the targets with tag `G`")
	f.BoolVar(&all, "all", false, "audit every target (the default)")
	f.BoolVar(&asJSON, "json", false, `print {"findings": [...], "summary": {...}}`)
	f.StringVar(&langFlag, "lang", "", langUsage)
	return cmd
}

// warmAudit opens, in the background, the connections of the first
// servers the audit of req will ask (as many as it asks at once), so that
// their TCP handshakes go on while the record opens (remote's
// Client.Warm). What fails here is left for the audit to report.
func (m *Main) warmAudit(req oncall.AuditRequest) {
	cfg, err := m.config()
	if err != nil {
		return
	}
	servers, err := inventory(cfg).Audited(req)
	if err != nil {
		return
	}
	x, err := m.executor()
	if err != nil {
		return
	}
	names := make([]string, 0, min(len(servers), cfg.Remote.Concurrency))
	for _, srv := range servers[:cap(names)] {
		names = append(names, srv.Name)
	}
	x.Warm(names...)
}

// writeAuditJSON prints out as writeJSON does, byte for byte
// (TestWriteAuditJSONMatchesWriteJSON), but a finding at a time through a
// small buffer: writeJSON holds the whole document twice (compact, then
// indented), about 8 MB for 1,000 servers, and the growing and first
// touching of that memory was most of the printing's CPU.
func writeAuditJSON(w io.Writer, out auditOutput) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	var compact, indented bytes.Buffer
	enc := json.NewEncoder(&compact)
	enc.SetEscapeHTML(false)
	// value writes v as writeJSON would inside the document, at the
	// nesting of prefix.
	value := func(v any, prefix string) error {
		compact.Reset()
		indented.Reset()
		if err := enc.Encode(v); err != nil {
			return err
		}
		if err := json.Indent(&indented, bytes.TrimSuffix(compact.Bytes(), []byte("\n")), prefix, "  "); err != nil {
			return err
		}
		_, err := bw.Write(indented.Bytes())
		return err
	}
	bw.WriteString("{\n  \"audit_id\": ")
	if err := value(out.AuditID, "  "); err != nil {
		return err
	}
	bw.WriteString(",\n  \"findings\": ")
	switch {
	case out.Findings == nil:
		bw.WriteString("null")
	case len(out.Findings) == 0:
		bw.WriteString("[]")
	default:
		bw.WriteString("[")
		for i := range out.Findings {
			if i > 0 {
				bw.WriteString(",")
			}
			bw.WriteString("\n    ")
			if err := value(out.Findings[i], "    "); err != nil {
				return err
			}
		}
		bw.WriteString("\n  ]")
	}
	bw.WriteString(",\n  \"summary\": ")
	if err := value(out.Summary, "  "); err != nil {
		return err
	}
	bw.WriteString("\n}\n")
	return bw.Flush()
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
