package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/wsbbot/wsbbot/render"
	"github.com/wsbbot/wsbbot/runbooks"
)

func newLookupCommand(m *Main) *cobra.Command {
	var (
		langFlag string
		asJSON   bool
	)
	cmd := &cobra.Command{
		Use:   "lookup TEXT...",
		Short: "Explain every WSB/VSS error code found in the text",
		Long: `lookup finds every error code in TEXT (0x80780119, 800423f4, full-width
０ｘ８０７８０１１９, 2155348249, -2139619047, or a whole pasted log line) and
explains each once, in order: meaning, likely cause, first action, runbooks.

Exit status: 0 when at least one known code was found, 1 when none was,
2 on usage errors.`,
		Args: usageArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			lang, err := m.lang(langFlag)
			if err != nil {
				return err
			}
			svc, err := m.knowledge()
			if err != nil {
				return err
			}
			out := svc.Explain(strings.Join(args, " "), lang)
			if asJSON {
				if err := writeJSON(m.Env.stdout, out); err != nil {
					return err
				}
			} else {
				render.Explanations(m.Env.stdout, out, lang)
			}
			for _, x := range out {
				if x.Known {
					return nil
				}
			}
			return silentExit(exitFailed)
		},
	}
	cmd.Flags().StringVar(&langFlag, "lang", "", langUsage)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	return cmd
}

// lang picks the reply language with runbooks.ChooseLang, the one choice
// everywhere: --lang, else the locale (LC_ALL, then LANG) when it names
// English or Japanese, else the configuration's language, else English.
func (m *Main) lang(flag string) (runbooks.Lang, error) {
	if flag != "" {
		l, err := runbooks.ParseLang(flag)
		if err != nil {
			return "", usageErrorf("--lang: %v", err)
		}
		return l, nil
	}
	cfg, err := m.config()
	if err != nil {
		return "", err
	}
	l, err := runbooks.ChooseLang("", m.Env.lookup, cfg.Language)
	if err != nil {
		return "", usageErrorf("%v", err)
	}
	return l, nil
}

// langUsage documents every command's --lang flag.
const langUsage = "reply language: en or ja (default: LC_ALL/LANG when en or ja, else the configured language, else en)"
