package main

import (
	"bufio"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wsbbot/wsbbot/internal/hresult"
)

// newConsoleCommand is the terminal stand-in for the chat: type or paste
// text with an error code and get the same answer the bot gives in a thread.
func newConsoleCommand(g *globals, e env) *cobra.Command {
	var langFlag string
	cmd := &cobra.Command{
		Use:   "console",
		Short: "Chat with wsbbot in the terminal (error-code lookup)",
		Long: `console reads lines from stdin and answers each like the chat bot does:
paste an error code or a whole log line to get its meaning, cause, first
action and runbooks. Type "help" for help, "quit" or end of input to leave.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			lang, err := resolveLang(langFlag, e)
			if err != nil {
				return err
			}
			set, err := loadRunbooks(g, e)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			fmt.Fprintln(e.stdout, pickLang(lang,
				"wsbbot console: paste an error code (e.g. 0x80780119) or a log line. \"help\", \"quit\".",
				"wsbbot コンソール: エラー コード (例: 0x80780119) やログ行を貼り付けてください。\"help\"、\"quit\"。"))
			sc := bufio.NewScanner(e.stdin)
			sc.Buffer(make([]byte, 64<<10), 1<<20)
			for {
				fmt.Fprint(e.stdout, "> ")
				if !sc.Scan() || ctx.Err() != nil {
					fmt.Fprintln(e.stdout)
					return sc.Err()
				}
				line := strings.TrimSpace(sc.Text())
				switch strings.ToLower(line) {
				case "":
					continue
				case "quit", "exit", "bye":
					return nil
				case "help", "?":
					fmt.Fprintln(e.stdout, pickLang(lang,
						"Paste any text containing a WSB/VSS error code: 0x800423F4, 800423f4, 2155348249, -2139619047, ０ｘ８０７８０１１９ ...",
						"WSB/VSS のエラー コードを含むテキストを貼り付けてください: 0x800423F4、800423f4、2155348249、-2139619047、０ｘ８０７８０１１９ など"))
					continue
				}
				codes := hresult.Extract(line)
				if len(codes) == 0 {
					fmt.Fprintln(e.stdout, pickLang(lang, "No error code found in that text.", "エラー コードが見つかりませんでした。"))
					continue
				}
				for i, c := range codes {
					if i > 0 {
						fmt.Fprintln(e.stdout)
					}
					writeExplanation(e.stdout, set.Catalogue.Explain(c, lang))
				}
			}
		},
	}
	cmd.Flags().StringVar(&langFlag, "lang", "", "reply language: en or ja (default: LANG starting with ja, else en)")
	return cmd
}
