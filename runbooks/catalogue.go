package runbooks

import (
	"cmp"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/wsbbot/wsbbot/internal/hresult"
	"github.com/wsbbot/wsbbot/internal/strictyaml"
)

// Text is a catalogue text in both languages. Its JSON form is
// {"en": ..., "ja": ...} (and "translated" when set), written by the tags
// rather than a MarshalJSON method: encoding/json re-scans what a
// MarshalJSON returns, and an audit of 1,000 servers writes 20,000 texts
// (its record and its --json output).
type Text struct {
	EN string `json:"en"`
	JA string `json:"ja"`
	// Translated names the language whose text is wsbbot's translation of the
	// other ("" when neither is, or it is not recorded).
	Translated Lang `json:"translated,omitempty"`
}

// In returns the text in l, or "" for a language it has no text in. It never
// falls back to the other language.
func (t Text) In(l Lang) string {
	switch l {
	case LangEN:
		return t.EN
	case LangJA:
		return t.JA
	}
	return ""
}

// Message is Microsoft's own message text for a code, in the languages a
// source gives it in; either may be missing.
type Message struct {
	EN, JA string
	// NoteEN and NoteJA are caveats about the English and the Japanese
	// text, each written in its own language, so a reply in one language
	// never quotes the other.
	NoteEN, NoteJA string
}

// NoteIn returns the caveat about the message in l, in l.
func (m Message) NoteIn(l Lang) string {
	switch l {
	case LangEN:
		return m.NoteEN
	case LangJA:
		return m.NoteJA
	}
	return ""
}

// In returns the message in l and whether there is one.
func (m Message) In(l Lang) (string, bool) {
	var s string
	switch l {
	case LangEN:
		s = m.EN
	case LangJA:
		s = m.JA
	}
	return s, s != ""
}

// Refs names runbooks by id, grouped by what they do.
type Refs struct {
	Diagnose, Fix, Guide []string
}

// All returns every id, diagnose first, then fix, then guide, each once.
func (r Refs) All() []string {
	var out []string
	for _, ids := range [][]string{r.Diagnose, r.Fix, r.Guide} {
		for _, id := range ids {
			if !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	return out
}

// Entry is what the catalogue knows about one error code.
type Entry struct {
	Code hresult.Code
	// Name is the symbolic name, such as VSS_E_WRITERERROR_NONRETRYABLE; it
	// may be empty.
	Name string
	// Family is the catalogue family: vss, vss-writer, wsb, win32, com,
	// win7-backup, bugcheck, vhd or success (0x00000000 only). It agrees
	// with Code.Family(); vss-writer is a part of vss.
	Family string
	// InGuide is set for the codes the field guide itself discusses.
	InGuide     bool
	Title       Text
	Cause       Text
	FirstAction Text
	Message     Message
	// Verified is false when no source confirms what the code means.
	Verified     bool
	Verification string
	Sources      []string
	Runbooks     Refs
	// File and Line locate the entry ("bundled/catalogue/vss.yaml", 12).
	File string
	Line int
}

func (e Entry) clone() Entry {
	e.Sources = slices.Clone(e.Sources)
	e.Runbooks = Refs{
		Diagnose: slices.Clone(e.Runbooks.Diagnose),
		Fix:      slices.Clone(e.Runbooks.Fix),
		Guide:    slices.Clone(e.Runbooks.Guide),
	}
	return e
}

// Catalogue is the error-code catalogue: one Entry per code. It is built by
// Load and never changes afterwards, so it is safe for concurrent use.
type Catalogue struct {
	byCode map[hresult.Code]*record
	sorted []*record
	// signs are the texts and events the catalogue knows without a code,
	// by id; recognisers match texts, names and signs (see Recognise).
	signs       []*Sign
	recognisers recognisers
}

// record is an entry with the lines of its runbook references, for CheckRefs.
type record struct {
	entry Entry
	refs  []refAt
}

// refAt is one runbook id referenced by an entry, at a line of entry.File.
type refAt struct {
	id   string
	line int
}

func newCatalogue(recs map[hresult.Code]*record, signs map[string]*Sign) *Catalogue {
	c := &Catalogue{byCode: recs, sorted: make([]*record, 0, len(recs))}
	for _, r := range recs {
		c.sorted = append(c.sorted, r)
	}
	slices.SortFunc(c.sorted, func(a, b *record) int { return cmp.Compare(a.entry.Code, b.entry.Code) })
	for _, s := range signs {
		c.signs = append(c.signs, s)
	}
	slices.SortFunc(c.signs, func(a, b *Sign) int { return cmp.Compare(a.ID, b.ID) })
	c.recognisers = newRecognisers(c)
	return c
}

// Lookup returns the entry for code.
func (c *Catalogue) Lookup(code hresult.Code) (Entry, bool) {
	if c == nil {
		return Entry{}, false
	}
	r, ok := c.byCode[code]
	if !ok {
		return Entry{}, false
	}
	return r.entry.clone(), true
}

// Entries returns every entry, sorted by code.
func (c *Catalogue) Entries() []Entry {
	if c == nil {
		return nil
	}
	out := make([]Entry, len(c.sorted))
	for i, r := range c.sorted {
		out[i] = r.entry.clone()
	}
	return out
}

// Len returns the number of codes in the catalogue.
func (c *Catalogue) Len() int {
	if c == nil {
		return 0
	}
	return len(c.byCode)
}

// The YAML form of a catalogue file (kind: catalogue). Only validated entries
// become Entry values.
type (
	catalogueFile struct {
		Kind  string         `yaml:"kind"`
		Codes []catalogueRaw `yaml:"codes"`
		Signs []signRaw      `yaml:"signs"`
	}
	catalogueRaw struct {
		Code         string     `yaml:"code"`
		Name         string     `yaml:"name"`
		Family       string     `yaml:"family"`
		InGuide      bool       `yaml:"in_guide"`
		Title        textRaw    `yaml:"title"`
		Message      messageRaw `yaml:"message"`
		Cause        textRaw    `yaml:"cause"`
		FirstAction  textRaw    `yaml:"first_action"`
		Verified     *bool      `yaml:"verified"`
		Verification string     `yaml:"verification"`
		Sources      []string   `yaml:"sources"`
		Runbooks     refsRaw    `yaml:"runbooks"`
	}
	textRaw struct {
		EN         string `yaml:"en"`
		JA         string `yaml:"ja"`
		Translated string `yaml:"translated"`
	}
	messageRaw struct {
		EN   string  `yaml:"en"`
		JA   string  `yaml:"ja"`
		Note noteRaw `yaml:"note"`
	}
	noteRaw struct {
		EN string `yaml:"en"`
		JA string `yaml:"ja"`
	}
	refsRaw struct {
		Diagnose []string `yaml:"diagnose"`
		Fix      []string `yaml:"fix"`
		Guide    []string `yaml:"guide"`
	}
)

// catalogueFamilies are the families an entry may name, in the order
// messages list them.
const catalogueFamilies = "vss, vss-writer, wsb, win32, com, win7-backup, bugcheck, vhd, success"

// hresultFamily maps a catalogue family to the hresult family it must agree
// with.
func hresultFamily(f string) (hresult.Family, bool) {
	switch f {
	case "vss", "vss-writer":
		return hresult.FamilyVSS, true
	case "wsb":
		return hresult.FamilyWSB, true
	case "win32":
		return hresult.FamilyWin32, true
	case "com":
		return hresult.FamilyCOM, true
	case "win7-backup":
		return hresult.FamilyWin7Backup, true
	case "bugcheck":
		return hresult.FamilyBugcheck, true
	case "vhd":
		return hresult.FamilyVHD, true
	case "success":
		return hresult.FamilySuccess, true
	}
	return "", false
}

// parsedEntry is one catalogue entry as read from one file: the record when
// the code could be read, and whether the entry had any Error problem.
type parsedEntry struct {
	rec     *record
	codeOK  bool
	invalid bool
}

// parseCatalogue decodes and validates one catalogue file; parsed holds what
// Parse reported about it. Every entry whose code could be read is returned
// (for duplicate detection); entries with an Error problem anywhere in them
// are marked invalid.
func parseCatalogue(d *strictyaml.Doc, parsed strictyaml.Problems) ([]parsedEntry, []*Sign, strictyaml.Problems) {
	var f catalogueFile
	ps := d.Decode(&f)
	decodeProblems := append(parsed.Errors(), ps.Errors()...)

	signs, sps := parseSigns(d, f.Signs, decodeProblems)
	ps = append(ps, sps...)
	switch n := d.Node("codes"); {
	case (n == nil || n.ShortTag() == "!!null") && d.Node("signs") != nil:
		return nil, signs, ps // a file of signs only
	case n == nil || n.ShortTag() == "!!null":
		return nil, nil, append(ps, d.Problem(strictyaml.Error, `a catalogue needs a "codes" list of entries`, "codes"))
	case n.Kind == yaml.SequenceNode && len(n.Content) == 0:
		return nil, signs, append(ps, d.Problem(strictyaml.Warning, "codes is empty: this file adds nothing to the catalogue", "codes"))
	}

	if n := d.Node("codes"); n.Kind == yaml.SequenceNode {
		for i, item := range n.Content {
			if item.Kind == yaml.ScalarNode && item.ShortTag() == "!!null" {
				ps = append(ps, d.Problem(strictyaml.Error, strictyaml.FormatPath("codes", i)+" is empty", "codes", i))
			}
		}
	}
	kept := d.KeptItems(reflect.Struct, "codes")
	if len(kept) != len(f.Codes) {
		// yaml.v3 skips a whole mapping with a duplicate key, so the list
		// was not decoded: that problem is reported already. Otherwise
		// yaml.v3 changed how it drops items; refuse to guess which item an
		// entry came from.
		if len(decodeProblems) > 0 {
			return nil, signs, ps
		}
		return nil, signs, append(ps, d.Problem(strictyaml.Error,
			fmt.Sprintf("internal: decoded %d entries from %d usable items; not loading this file", len(f.Codes), len(kept)), "codes"))
	}
	out := make([]parsedEntry, 0, len(kept))
	for j, i := range kept {
		v := entryValidator{d: d, raw: &f.Codes[j], path: []any{"codes", i}}
		pe := v.validate()
		first, last := d.Span("codes", i)
		for _, p := range decodeProblems {
			if p.Line >= first && p.Line <= last {
				pe.invalid = true
			}
		}
		if v.ps.Err() != nil {
			pe.invalid = true
		}
		ps = append(ps, v.ps...)
		out = append(out, pe)
	}
	return out, signs, ps
}

// entryValidator checks one decoded entry against the node it came from, so
// that a value missing from the file is told apart from one yaml.v3 could not
// decode (already reported).
type entryValidator struct {
	d     *strictyaml.Doc
	raw   *catalogueRaw
	path  []any
	label string
	ps    strictyaml.Problems
}

func (v *entryValidator) at(field ...any) []any {
	return append(slices.Clip(v.path), field...)
}

func (v *entryValidator) errorf(field []any, format string, args ...any) {
	v.ps = append(v.ps, v.d.Problem(strictyaml.Error, v.label+": "+fmt.Sprintf(format, args...), v.at(field...)...))
}

// codeErrorf reports a problem with the code itself, which the label would
// only repeat.
func (v *entryValidator) codeErrorf(format string, args ...any) {
	v.ps = append(v.ps, v.d.Problem(strictyaml.Error, fmt.Sprintf(format, args...), v.at("code")...))
}

func (v *entryValidator) warnf(field []any, format string, args ...any) {
	v.ps = append(v.ps, v.d.Problem(strictyaml.Warning, v.label+": "+fmt.Sprintf(format, args...), v.at(field...)...))
}

// absent reports whether the file gives no value at field: no key, null, or a
// blank string. A value of the wrong type is not absent.
func (v *entryValidator) absent(field ...any) bool {
	n := v.d.Node(v.at(field...)...)
	return n == nil || (n.Kind == yaml.ScalarNode && (n.ShortTag() == "!!null" || strings.TrimSpace(n.Value) == ""))
}

func (v *entryValidator) validate() parsedEntry {
	r := v.raw
	v.label = strictyaml.FormatPath(v.path...)
	if c := strings.TrimSpace(r.Code); c != "" {
		v.label = c
	}
	e := Entry{
		Name:         strings.TrimSpace(r.Name),
		Family:       r.Family,
		InGuide:      r.InGuide,
		Message:      Message{EN: r.Message.EN, JA: r.Message.JA, NoteEN: r.Message.Note.EN, NoteJA: r.Message.Note.JA},
		Verification: r.Verification,
		Sources:      r.Sources,
		Runbooks:     Refs{Diagnose: r.Runbooks.Diagnose, Fix: r.Runbooks.Fix, Guide: r.Runbooks.Guide},
		File:         v.d.File,
		Line:         v.d.Line(v.path...),
	}
	pe := parsedEntry{rec: &record{}}

	switch {
	case r.Code == "":
		if v.absent("code") {
			v.errorf([]any{"code"}, `"code" is required, e.g. code: "0x800423F4"`)
		}
	default:
		c, err := hresult.Parse(r.Code)
		switch {
		case err != nil:
			v.codeErrorf("code %q is not an error code: %v", r.Code, err)
		case c.String() != r.Code:
			v.codeErrorf("code %q must be written in canonical form %q", r.Code, c.String())
			e.Code, pe.codeOK = c, true
		default:
			e.Code, pe.codeOK = c, true
		}
	}

	switch want, known := hresultFamily(r.Family); {
	case r.Family == "":
		if v.absent("family") {
			v.errorf([]any{"family"}, `"family" is required (one of: %s)`, catalogueFamilies)
		}
	case !known:
		v.errorf([]any{"family"}, "family %q is not one of: %s", r.Family, catalogueFamilies)
	case pe.codeOK && e.Code.Family() != want:
		got := e.Code.Family()
		v.errorf([]any{"family"}, "family %q does not match the code: %s belongs to family %q (%s)",
			r.Family, e.Code, got, got.Describe(string(LangEN)))
	}

	e.Title = v.text("title", r.Title)
	e.Cause = v.text("cause", r.Cause)
	e.FirstAction = v.text("first_action", r.FirstAction)

	if r.Verified != nil {
		e.Verified = *r.Verified
	} else if v.absent("verified") {
		v.errorf([]any{"verified"}, `"verified" is required: true when a source confirms the meaning, false when not`)
	}
	if strings.TrimSpace(r.Verification) == "" && v.absent("verification") {
		v.errorf([]any{"verification"}, `"verification" is required: say what confirms the meaning, or what is unverified`)
	}
	v.sources()
	pe.rec.refs = v.refs()

	pe.rec.entry = e
	return pe
}

// text checks a bilingual text: both languages required, translated "", en
// or ja.
func (v *entryValidator) text(field string, t textRaw) Text {
	out := Text{EN: t.EN, JA: t.JA, Translated: Lang(t.Translated)}
	if v.absent(field) {
		v.errorf([]any{field}, "%q is required, in both en and ja", field)
		return out
	}
	for _, lang := range []struct {
		key, val string
	}{{"en", t.EN}, {"ja", t.JA}} {
		if strings.TrimSpace(lang.val) == "" && v.absent(field, lang.key) {
			v.errorf([]any{field, lang.key}, "%s.%s is required: %s needs both en and ja", field, lang.key, field)
		}
	}
	switch out.Translated {
	case "", LangEN, LangJA:
	default:
		v.errorf([]any{field, "translated"}, "%s.translated is %q; want en or ja (the language that is the translation)", field, t.Translated)
	}
	return out
}

func (v *entryValidator) sources() {
	if len(v.raw.Sources) == 0 {
		if n := v.d.Node(v.at("sources")...); n == nil || n.ShortTag() == "!!null" ||
			(n.Kind == yaml.SequenceNode && len(n.Content) == 0) {
			v.errorf([]any{"sources"}, `"sources" needs at least one source`)
		}
		return
	}
	v.blankItems("sources")
}

// blankItems reports the null or blank scalars of the list at field (yaml.v3
// silently drops null items).
func (v *entryValidator) blankItems(field ...any) {
	n := v.d.Node(v.at(field...)...)
	if n == nil || n.Kind != yaml.SequenceNode {
		return
	}
	for i, item := range n.Content {
		if item.Kind == yaml.ScalarNode && (item.ShortTag() == "!!null" || strings.TrimSpace(item.Value) == "") {
			at := append(slices.Clip(field), i)
			v.errorf(at, "%s is empty", strictyaml.FormatPath(at...))
		}
	}
}

// refs checks the runbook ids and returns each with its line.
func (v *entryValidator) refs() []refAt {
	r := v.raw.Runbooks
	if v.absent("runbooks") {
		v.errorf([]any{"runbooks"}, `"runbooks" is required, with at least one diagnose runbook`)
		return nil
	}
	if len(r.Diagnose) == 0 {
		if n := v.d.Node(v.at("runbooks", "diagnose")...); n == nil || n.ShortTag() == "!!null" || n.Kind == yaml.SequenceNode {
			v.errorf([]any{"runbooks", "diagnose"}, "runbooks.diagnose needs at least one runbook id")
		}
	}
	var out []refAt
	for _, list := range []struct {
		key string
		ids []string
	}{{"diagnose", r.Diagnose}, {"fix", r.Fix}, {"guide", r.Guide}} {
		v.blankItems("runbooks", list.key)
		kept := v.d.KeptItems(reflect.String, v.at("runbooks", list.key)...)
		seen := make(map[string]bool, len(list.ids))
		for j, id := range list.ids {
			field := []any{"runbooks", list.key}
			if j < len(kept) {
				field = append(field, kept[j])
			}
			line := v.d.Line(v.at(field...)...)
			switch {
			case strings.TrimSpace(id) == "":
				continue // reported by blankItems
			case !isRunbookID(id):
				v.errorf(field, "runbook id %q in runbooks.%s is not kebab-case (lower-case letters and digits joined by single hyphens, e.g. diag-vss-writers)", id, list.key)
				continue
			case seen[id]:
				v.warnf(field, "runbook %q is listed twice in runbooks.%s", id, list.key)
				continue
			}
			seen[id] = true
			out = append(out, refAt{id: id, line: line})
		}
	}
	return out
}

// isRunbookID reports whether id is kebab-case: [a-z0-9]+(-[a-z0-9]+)*.
func isRunbookID(id string) bool {
	if id == "" || id[0] == '-' || id[len(id)-1] == '-' || strings.Contains(id, "--") {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
