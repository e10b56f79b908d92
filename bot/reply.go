package bot

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/wsbbot/wsbbot/runbooks"
)

// Poster is what the core posts through; each adapter implements it. Post
// returns a reference to the posted reply (Slack's ts, the console's
// number) that Update edits later. Post posts the whole Reply except its
// Attachments: the core hands each of those to Upload, in the reply's
// thread, after the Post. Implementations must be safe for concurrent use.
type Poster interface {
	Post(ctx context.Context, r Reply) (ref string, err error)
	Update(ctx context.Context, ref string, r Reply) error
	// Ephemeral shows r to one user only (Slack's postEphemeral).
	Ephemeral(ctx context.Context, user string, r Reply) error
	Upload(ctx context.Context, channel, threadTS, name, content, comment string) error
	React(ctx context.Context, channel, ts, name string) error
}

// Limits of one reply, Slack's (SLACK.md §4) with a margin. The core keeps
// every Reply within them, so no adapter has to cut what the core wrote.
const (
	// MaxSectionChars bounds a section's text plus its code, in
	// characters; longer text becomes an attachment with its head and tail
	// in the section.
	MaxSectionChars = 3000
	// MaxSections bounds the sections of a reply (Slack: 50 blocks).
	MaxSections = 20
	// MaxFields bounds the fields of a section (Slack: 10).
	MaxFields = 10
	// MaxFieldChars bounds a field's label plus value (Slack: 2,000).
	MaxFieldChars = 1900
	// MaxLabelChars bounds a button's or option's label (Slack: 75).
	MaxLabelChars = 75
	// MaxValueChars bounds a button's or option's value (Slack: 2,000).
	MaxValueChars = 2000
	// MaxActionIDChars bounds an action id (Slack: 255).
	MaxActionIDChars = 255
	// MaxMenuOptions bounds a static menu (Slack: 100 options).
	MaxMenuOptions = 100
	// MaxTitleChars bounds the title (Slack's header: 150).
	MaxTitleChars = 150
	// MaxFallbackChars bounds the plain-text fallback.
	MaxFallbackChars = 3000
)

// Reply is one message the bot posts: a platform-neutral document that an
// adapter renders (Block Kit, terminal text).
type Reply struct {
	// Channel and ThreadTS say where it goes; ThreadTS "" posts at the top
	// of the channel.
	Channel, ThreadTS string
	// Lang is the one language every text the core wrote in it is in.
	Lang runbooks.Lang
	// Title is a short heading ("" for none).
	Title    string
	Sections []Section
	// Buttons and Menus are the reply's controls, buttons first.
	Buttons []Button
	Menus   []Menu
	// Context is a small line under the reply (ids, hashes, hints).
	Context string
	// Attachments are long texts posted as files in the thread.
	Attachments []Attachment
	// Fallback is the plain text of the reply (notifications, clients
	// without blocks); FallbackText builds it when empty.
	Fallback string
}

// Section is a block of the reply: text, then fields, then code.
type Section struct {
	// Text is light Markdown: *bold*, `code`, "- " list lines.
	Text   string
	Fields []Field
	// Code is preformatted text (a command line, a table).
	Code string
}

// Field is a label and its value; the value is data, shown as it is.
type Field struct {
	Label, Value string
}

// Style colours a button.
type Style string

// The button styles.
const (
	StyleDefault Style = ""
	StylePrimary Style = "primary"
	StyleDanger  Style = "danger"
)

// Button is a control that sends an Action with its ActionID and Value.
type Button struct {
	Label    string
	ActionID string
	Value    string
	Style    Style
}

// Menu is a list of options; choosing one sends an Action with the
// menu's ActionID and the option's Value.
type Menu struct {
	Placeholder string
	ActionID    string
	Options     []Option
	// Load, when set, stands for options too many for a static menu
	// (Options is then empty): an adapter that can load options as the
	// user types (Slack's external_select) asks Core.MenuOptions with it
	// and the typed text; others show the reply's text, which says what to
	// type instead.
	Load string
}

// Option is one choice of a Menu.
type Option struct {
	Label, Value string
}

// Attachment is a long text posted as a file.
type Attachment struct {
	Name    string // file name, e.g. "diagnosis-writer-failed.txt"
	Content string
	// Comment is posted with the file ("" for none).
	Comment string
}

// FallbackText returns r.Fallback, or the reply's title and the first lines
// of its sections, within MaxFallbackChars.
func (r Reply) FallbackText() string {
	if r.Fallback != "" {
		return r.Fallback
	}
	var b strings.Builder
	b.WriteString(r.Title)
	for _, s := range r.Sections {
		if s.Text == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\n")
		}
		b.WriteString(s.Text)
		if b.Len() > MaxFallbackChars {
			break
		}
	}
	return truncate(b.String(), MaxFallbackChars)
}

// truncate cuts s to at most n characters, marking the cut with "…".
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// headTail returns the first and last lines of s that fit in n
// characters in all, with a line saying how many lines are left out
// between them (omitted is that line's text, given the count).
func headTail(s string, n int, omitted func(lines int) string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	budget := n - 80
	var head, tail []string
	used := 0
	i, j := 0, len(lines)-1
	for i <= j {
		l := truncate(lines[i], 300)
		if used+utf8.RuneCountInString(l)+1 > budget/2+budget/4 && len(head) > 0 {
			break
		}
		head = append(head, l)
		used += utf8.RuneCountInString(l) + 1
		i++
	}
	for j >= i {
		l := truncate(lines[j], 300)
		if used+utf8.RuneCountInString(l)+1 > budget {
			break
		}
		tail = append([]string{l}, tail...)
		used += utf8.RuneCountInString(l) + 1
		j--
	}
	out := head
	if left := j - i + 1; left > 0 {
		out = append(out, omitted(left))
	}
	return strings.Join(append(out, tail...), "\n")
}

// sectionChars is what a section counts against MaxSectionChars.
func sectionChars(s Section) int {
	return utf8.RuneCountInString(s.Text) + utf8.RuneCountInString(s.Code)
}

// Fits reports whether r keeps every limit above; the core's replies
// always do.
func (r Reply) Fits() bool {
	if utf8.RuneCountInString(r.Title) > MaxTitleChars || len(r.Sections) > MaxSections ||
		utf8.RuneCountInString(r.FallbackText()) > MaxFallbackChars || utf8.RuneCountInString(r.Context) > MaxSectionChars {
		return false
	}
	for _, s := range r.Sections {
		if sectionChars(s) > MaxSectionChars || len(s.Fields) > MaxFields {
			return false
		}
		for _, f := range s.Fields {
			if utf8.RuneCountInString(f.Label)+utf8.RuneCountInString(f.Value) > MaxFieldChars {
				return false
			}
		}
	}
	for _, b := range r.Buttons {
		if !controlFits(b.Label, b.ActionID, b.Value) {
			return false
		}
	}
	for _, m := range r.Menus {
		if len(m.Options) > MaxMenuOptions || (len(m.Options) == 0) == (m.Load == "") || utf8.RuneCountInString(m.Placeholder) > MaxLabelChars ||
			len(m.Load) > MaxActionIDChars {
			return false
		}
		for _, o := range m.Options {
			if !controlFits(o.Label, m.ActionID, o.Value) {
				return false
			}
		}
	}
	return true
}

func controlFits(label, id, value string) bool {
	return label != "" && utf8.RuneCountInString(label) <= MaxLabelChars && id != "" && len(id) <= MaxActionIDChars &&
		utf8.RuneCountInString(value) <= MaxValueChars
}

// fit brings r within the limits: a section too long for a message moves
// whole into an attachment (name from base) and keeps its head and tail;
// titles, fields and labels are cut; extra sections go into one more
// attachment.
func fit(r Reply, base string, t texts) Reply {
	r.Title = truncate(r.Title, MaxTitleChars)
	if len(r.Sections) > MaxSections {
		var rest strings.Builder
		for _, s := range r.Sections[MaxSections-1:] {
			rest.WriteString(plainSection(s))
			rest.WriteString("\n\n")
		}
		r.Attachments = append(r.Attachments, Attachment{Name: base + "-more.txt", Content: rest.String()})
		r.Sections = append(r.Sections[:MaxSections-1:MaxSections-1], Section{Text: t.pick("The rest is in the file "+base+"-more.txt.", "続きはファイル "+base+"-more.txt にあります。")})
	}
	secs := make([]Section, len(r.Sections))
	for i, s := range r.Sections {
		if len(s.Fields) > MaxFields {
			s.Fields = s.Fields[:MaxFields]
		}
		for k, f := range s.Fields {
			s.Fields[k].Value = truncate(f.Value, MaxFieldChars-utf8.RuneCountInString(f.Label))
		}
		if sectionChars(s) > MaxSectionChars {
			name := base + ".txt"
			if len(r.Sections) > 1 {
				name = base + "-" + itoa(i+1) + ".txt"
			}
			r.Attachments = append(r.Attachments, Attachment{Name: name, Content: plainSection(s), Comment: t.pick("The full text.", "全文です。")})
			omitted := func(n int) string {
				return t.pick("… "+itoa(n)+" lines left out: see "+name+" …", "… "+itoa(n)+" 行省略 ("+name+" を参照) …")
			}
			switch {
			case s.Code != "":
				s.Text = truncate(s.Text, MaxSectionChars/4)
				s.Code = headTail(s.Code, MaxSectionChars-utf8.RuneCountInString(s.Text)-20, omitted)
			default:
				s.Text = headTail(s.Text, MaxSectionChars-20, omitted)
			}
		}
		secs[i] = s
	}
	r.Sections = secs
	for i, b := range r.Buttons {
		r.Buttons[i].Label = truncate(b.Label, MaxLabelChars)
	}
	for i, m := range r.Menus {
		if len(m.Options) > MaxMenuOptions {
			r.Menus[i].Options = m.Options[:MaxMenuOptions]
		}
		for k, o := range r.Menus[i].Options {
			r.Menus[i].Options[k].Label = truncate(o.Label, MaxLabelChars)
		}
	}
	r.Context = truncate(r.Context, MaxSectionChars)
	if r.Fallback != "" {
		r.Fallback = truncate(r.Fallback, MaxFallbackChars)
	}
	return r
}

// PlainText is the whole reply as plain text: the title, every section
// (text, fields as "label: value", code) and the context line; what an
// adapter shows when the reply's rich form cannot be shown.
func (r Reply) PlainText() string {
	var parts []string
	if t := strings.TrimSpace(r.Title); t != "" {
		parts = append(parts, t)
	}
	for _, s := range r.Sections {
		if t := strings.TrimRight(plainSection(s), "\n"); t != "" {
			parts = append(parts, t)
		}
	}
	if c := strings.TrimSpace(r.Context); c != "" {
		parts = append(parts, c)
	}
	return strings.Join(parts, "\n\n")
}

// plainSection is a section as plain text (for attachments).
func plainSection(s Section) string {
	var b strings.Builder
	if s.Text != "" {
		b.WriteString(s.Text)
		b.WriteString("\n")
	}
	for _, f := range s.Fields {
		b.WriteString(f.Label + ": " + f.Value + "\n")
	}
	if s.Code != "" {
		b.WriteString(s.Code)
		b.WriteString("\n")
	}
	return b.String()
}
