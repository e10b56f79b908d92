package render

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/wsbbot/wsbbot/runbooks"
)

// Runbooks prints the runbooks as a table: id, category, codes, title.
func Runbooks(w io.Writer, rbs []*runbooks.Runbook, lang runbooks.Lang) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCATEGORY\tCODES\tTITLE")
	for _, rb := range rbs {
		codes := make([]string, len(rb.Codes))
		for i, c := range rb.Codes {
			codes[i] = c.String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", rb.ID, rb.Category, strings.Join(codes, " "), rb.Title.In(lang))
	}
	return tw.Flush()
}

// Guide prints a guide's text, or another runbook's description and steps.
func Guide(w io.Writer, rb *runbooks.Runbook, lang runbooks.Lang) {
	fmt.Fprintf(w, "%s — %s\n\n", rb.ID, rb.Title.In(lang))
	if body := rb.Body.In(lang); body != "" {
		fmt.Fprintln(w, strings.TrimRight(body, "\n"))
		return
	}
	if d := rb.Description.In(lang); d != "" {
		fmt.Fprintln(w, strings.TrimRight(d, "\n"))
	}
	fmt.Fprintf(w, "\n%s\n", lang.Pick("Steps:", "ステップ:"))
	for _, st := range rb.Steps {
		fmt.Fprintf(w, "  - [%s] %s: %s\n", st.Mode, st.ID, st.Title.In(lang))
	}
}
