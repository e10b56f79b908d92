package console

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/wsbbot/wsbbot/bot"
	"github.com/wsbbot/wsbbot/runbooks"
)

// Handler is the conversation core as the console uses it (*bot.Core).
type Handler interface {
	Handle(ctx context.Context, m bot.Message) error
	Act(ctx context.Context, a bot.Action) error
	// Wait returns once the work the lines started is done.
	Wait(ctx context.Context) error
}

// Options configure a Console.
type Options struct {
	In  io.Reader
	Out io.Writer
	// User names the person at the terminal ("alice"); the core sees
	// "console:alice".
	User string
	// Locale is the user's locale (LANG); Lang the default language when
	// it says neither English nor Japanese.
	Locale string
	Lang   runbooks.Lang
	// Interactive prints a prompt before each line; otherwise each line is
	// echoed after the prompt (a script's transcript).
	Interactive bool
}

// Channel and Thread are the console session's place in the core's terms.
const (
	Channel = "console"
	Thread  = "console"
)

// Console is one terminal chat session; it is the core's bot.Poster.
type Console struct {
	in          *bufio.Scanner
	interactive bool
	locale      string
	lang        runbooks.Lang

	mu      sync.Mutex
	out     io.Writer
	user    string
	n       int                 // replies posted
	printed map[string][]string // lines printed per reply
	choices []choice            // of the latest reply with controls
	msgs    int
}

type choice struct {
	label, actionID, value, ref string
}

var _ bot.Poster = (*Console)(nil)

// New returns a console session.
func New(o Options) *Console {
	sc := bufio.NewScanner(o.In)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	user := o.User
	if user == "" {
		user = "operator"
	}
	return &Console{in: sc, out: o.Out, user: "console:" + user, locale: o.Locale, lang: bot.LangFor(o.Locale, o.Lang),
		interactive: o.Interactive, printed: map[string][]string{}}
}

func (c *Console) pick(en, ja string) string {
	if c.lang == runbooks.LangJA {
		return ja
	}
	return en
}

func (c *Console) println(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	fmt.Fprintln(c.out, s)
}

// Run reads lines and hands them to h until the input ends, "quit", or ctx
// is done.
func (c *Console) Run(ctx context.Context, h Handler) error {
	c.println(c.pick(
		`Paste an error code (e.g. 0x800423F4) or a log line, or type a command ("help"). Choices appear as [1] [2] ...: type the number or the label. "/as NAME" switches the user, "quit" ends.`,
		`エラー コード (例: 0x800423F4) やログ行を貼り付けるか、コマンドを入力してください ("help")。選択肢は [1] [2] … と表示されます: 番号かラベルを入力してください。"/as 名前" でユーザーを切り替え、"quit" で終了します。`))
	for {
		if c.interactive {
			c.mu.Lock()
			fmt.Fprint(c.out, "> ")
			c.mu.Unlock()
		}
		if !c.in.Scan() {
			return c.in.Err()
		}
		if ctx.Err() != nil {
			return nil
		}
		line := strings.TrimSpace(c.in.Text())
		if line == "" {
			continue
		}
		if !c.interactive {
			c.println("\n> " + line)
		}
		if done := c.line(ctx, h, line); done {
			return nil
		}
		if err := h.Wait(ctx); err != nil {
			return nil
		}
	}
}

// line handles one line; it reports whether the session ends.
func (c *Console) line(ctx context.Context, h Handler, line string) bool {
	switch low := strings.ToLower(line); {
	case low == "quit" || low == "exit" || low == "終了":
		return true
	case strings.HasPrefix(low, "/as"):
		name := strings.TrimSpace(line[3:])
		if name == "" {
			c.println(c.pick("Usage: /as NAME", "使い方: /as 名前"))
			return false
		}
		c.mu.Lock()
		c.user = "console:" + name
		c.mu.Unlock()
		c.println(c.pick("You are now "+name+".", "ユーザーを "+name+" に切り替えました。"))
		return false
	}
	c.mu.Lock()
	user := c.user
	ch, ok := c.choose(line)
	c.msgs++
	ts := strconv.Itoa(c.msgs)
	c.mu.Unlock()
	var err error
	if ok {
		err = h.Act(ctx, bot.Action{User: user, Locale: c.locale, Channel: Channel, ThreadTS: Thread, MessageTS: ch.ref,
			ActionID: ch.actionID, Value: ch.value})
	} else {
		err = h.Handle(ctx, bot.Message{User: user, Locale: c.locale, Channel: Channel, ThreadTS: Thread, TS: ts,
			Text: line, Source: bot.SourceConsole})
	}
	if err != nil {
		c.println(c.pick("(could not show the whole answer: ", "(回答をすべて表示できませんでした: ") + err.Error() + ")")
	}
	return false
}

// choose finds the choice a line names: its number, its label, or yes/no
// for an approval request's Approve / Deny. c.mu is held.
func (c *Console) choose(line string) (choice, bool) {
	if n, err := strconv.Atoi(line); err == nil && n >= 1 && n <= len(c.choices) {
		return c.choices[n-1], true
	}
	want := ""
	switch strings.ToLower(line) {
	case "yes", "y", "はい", "approve", "承認":
		want = bot.ActionApprove
	case "no", "n", "いいえ", "deny", "却下":
		want = bot.ActionDeny
	}
	for _, ch := range c.choices {
		if strings.EqualFold(ch.label, line) || want != "" && ch.actionID == want {
			return ch, true
		}
	}
	return choice{}, false
}

// Post implements bot.Poster: the reply as text, its controls numbered.
func (c *Console) Post(_ context.Context, r bot.Reply) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	ref := strconv.Itoa(c.n)
	lines := c.render(r, ref)
	c.printed[ref] = lines
	fmt.Fprintln(c.out, strings.Join(lines, "\n"))
	return ref, nil
}

// Update implements bot.Poster: the lines the edit added are printed.
func (c *Console) Update(_ context.Context, ref string, r bot.Reply) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	lines := c.render(r, ref)
	old := c.printed[ref]
	for _, l := range lines {
		if !slices.Contains(old, l) {
			fmt.Fprintln(c.out, l)
		}
	}
	c.printed[ref] = lines
	return nil
}

// Ephemeral implements bot.Poster: at a terminal everything is the user's.
func (c *Console) Ephemeral(ctx context.Context, _ string, r bot.Reply) error {
	_, err := c.Post(ctx, r)
	return err
}

// Upload implements bot.Poster: the file's text is printed whole.
func (c *Console) Upload(_ context.Context, _, _, name, content, comment string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	head := "── " + name
	if comment != "" {
		head += " · " + comment
	}
	fmt.Fprintf(c.out, "%s ──\n%s\n── %s ──\n", head, strings.TrimRight(content, "\n"), name)
	return nil
}

// React implements bot.Poster; the terminal shows no reactions.
func (c *Console) React(context.Context, string, string, string) error { return nil }

// render turns a reply into lines; a reply with controls becomes the
// current choices. c.mu is held.
func (c *Console) render(r bot.Reply, ref string) []string {
	var out []string
	if r.Title != "" {
		out = append(out, "── "+r.Title)
	}
	for _, s := range r.Sections {
		if s.Text != "" {
			out = append(out, strings.Split(plain(s.Text), "\n")...)
		}
		for _, f := range s.Fields {
			out = append(out, "  "+f.Label+": "+f.Value)
		}
		if s.Code != "" {
			for _, l := range strings.Split(s.Code, "\n") {
				out = append(out, "    "+l)
			}
		}
	}
	var choices []choice
	var labels []string
	for _, b := range r.Buttons {
		choices = append(choices, choice{label: b.Label, actionID: b.ActionID, value: b.Value, ref: ref})
		labels = append(labels, fmt.Sprintf("[%d] %s", len(choices), b.Label))
	}
	if len(labels) > 0 {
		out = append(out, "  "+strings.Join(labels, "   "))
	}
	for _, m := range r.Menus {
		if len(m.Options) == 0 {
			continue // a menu that loads as one types: the reply's text says what to type
		}
		out = append(out, "  "+m.Placeholder+":")
		labels = labels[:0]
		for _, o := range m.Options {
			choices = append(choices, choice{label: o.Label, actionID: m.ActionID, value: o.Value, ref: ref})
			labels = append(labels, fmt.Sprintf("[%d] %s", len(choices), o.Label))
		}
		out = append(out, "  "+strings.Join(labels, "  "))
	}
	if len(choices) > 0 {
		c.choices = choices
	}
	for _, a := range r.Attachments {
		out = append(out, "  ("+c.pick("attached: ", "添付: ")+a.Name+")")
	}
	if r.Context != "" {
		out = append(out, "  · "+plain(r.Context))
	}
	return out
}

// plain drops the light Markdown's bold markers.
func plain(s string) string { return strings.ReplaceAll(s, "*", "") }
