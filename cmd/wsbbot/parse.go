package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wsbbot/wsbbot/internal/textdecode"
	"github.com/wsbbot/wsbbot/internal/winout"
)

// maxParseInput bounds what `wsbbot parse` reads: command output pasted into
// a file is small, and a wrong file should not exhaust memory.
const maxParseInput = 32 << 20

func newParseCommand(m *Main) *cobra.Command {
	e := m.Env
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "parse KIND [FILE|-]",
		Short: "Parse saved Windows command output the way runbooks do",
		Long: `parse reads the output of a Windows command from FILE (or stdin when FILE is
"-" or missing) and prints what wsbbot understands of it. KIND is one of:
  ` + strings.Join(winout.Kinds, ", ") + `

The file may be UTF-8, UTF-16 with a BOM (PowerShell's ">" redirection) or
Shift-JIS, with any line endings.

Exit status: 0 when parsed, 1 when the input is not that kind of output
(the reason is printed), 2 on usage errors.`,
		Args: usageArgs(cobra.RangeArgs(1, 2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			kind := args[0]
			if !knownKind(kind) {
				return usageErrorf("unknown kind %q; want one of %s", kind, strings.Join(winout.Kinds, ", "))
			}
			raw, err := readInput(e, args[1:])
			if err != nil {
				return err
			}
			text, _ := textdecode.Decode(raw)
			v, err := winout.Parse(kind, text)
			if err != nil {
				var vse *winout.VSSAdminError
				if errors.As(err, &vse) {
					return &exitError{code: exitFailed, err: fmt.Errorf("vssadmin itself failed: %w", err)}
				}
				return &exitError{code: exitFailed, err: fmt.Errorf("not %s output: %w", kind, err)}
			}
			if asJSON {
				return writeJSON(e.stdout, v)
			}
			return writeFlat(e.stdout, v)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func knownKind(k string) bool {
	for _, x := range winout.Kinds {
		if x == k {
			return true
		}
	}
	return false
}

func readInput(e env, args []string) ([]byte, error) {
	var r io.Reader = e.stdin
	name := "stdin"
	if len(args) == 1 && args[0] != "-" {
		f, err := os.Open(args[0])
		if err != nil {
			return nil, usageErrorf("%v", err)
		}
		defer f.Close()
		r, name = f, args[0]
	}
	b, err := io.ReadAll(io.LimitReader(r, maxParseInput+1))
	if err != nil {
		return nil, &exitError{code: exitFailed, err: fmt.Errorf("read %s: %w", name, err)}
	}
	if len(b) > maxParseInput {
		return nil, usageErrorf("%s is larger than %d MiB; this is not command output", name, maxParseInput>>20)
	}
	return b, nil
}

// writeFlat prints any JSON-able value as one "path: value" line per leaf,
// in a stable order, which reads well for every parser's result.
func writeFlat(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var tree any
	if err := json.Unmarshal(b, &tree); err != nil {
		return err
	}
	var lines []string
	flatten("", tree, &lines)
	_, err = io.WriteString(w, strings.Join(lines, "\n")+"\n")
	return err
}

func flatten(prefix string, v any, out *[]string) {
	switch t := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if len(keys) == 0 {
			*out = append(*out, prefix+": {}")
		}
		for _, k := range keys {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			flatten(p, t[k], out)
		}
	case []any:
		if len(t) == 0 {
			*out = append(*out, prefix+": []")
		}
		for i, x := range t {
			flatten(fmt.Sprintf("%s[%d]", prefix, i), x, out)
		}
	default:
		b, _ := json.Marshal(t)
		s := string(b)
		if str, ok := t.(string); ok {
			s = str
		}
		*out = append(*out, prefix+": "+s)
	}
}
