package runbooks

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/wsbbot/wsbbot/internal/strictyaml"
)

// Sign is something the catalogue recognises in pasted text that carries no
// error code: an event that has none (Microsoft-Windows-Backup event 50), or
// a message wbadmin prints on its own ("A backup cannot be done to a remote
// shared folder which is not hosted on a volume formatted with NTFS/ReFS").
// It is answered like a code, and the answer says it was found by its text.
type Sign struct {
	// ID names the sign (kebab-case), e.g. "wsb-event-50".
	ID string
	// Family is a catalogue family, as for an Entry.
	Family string
	// Event is the event the sign is, when it is one.
	Event SignEvent
	// Match holds the texts, in each language, whose presence in pasted
	// text shows the sign. A source must give each text.
	Match       SignTexts
	Title       Text
	Cause       Text
	FirstAction Text
	Verified    bool
	// Verification says what the sources did and did not confirm.
	Verification string
	Sources      []string
	Runbooks     Refs
	File         string
	Line         int
}

// SignEvent is an event by its provider and id; zero when the sign is not
// an event.
type SignEvent struct {
	Provider string
	ID       int
}

// SignTexts are texts in English and Japanese.
type SignTexts struct{ EN, JA []string }

// The YAML form of a sign, under "signs:" in a catalogue file.
type (
	signRaw struct {
		ID           string       `yaml:"id"`
		Family       string       `yaml:"family"`
		Event        signEventRaw `yaml:"event"`
		Match        signTextsRaw `yaml:"match"`
		Title        textRaw      `yaml:"title"`
		Cause        textRaw      `yaml:"cause"`
		FirstAction  textRaw      `yaml:"first_action"`
		Verified     *bool        `yaml:"verified"`
		Verification string       `yaml:"verification"`
		Sources      []string     `yaml:"sources"`
		Runbooks     refsRaw      `yaml:"runbooks"`
	}
	signEventRaw struct {
		Provider string `yaml:"provider"`
		ID       int    `yaml:"id"`
	}
	signTextsRaw struct {
		EN []string `yaml:"en"`
		JA []string `yaml:"ja"`
	}
)

// minSignText is the shortest match text accepted, in runes: shorter texts
// would be found in unrelated sentences.
const minSignText = 12

// parseSigns validates the signs of one catalogue file. Signs with an Error
// problem are left out.
func parseSigns(d *strictyaml.Doc, raws []signRaw, decodeProblems strictyaml.Problems) ([]*Sign, strictyaml.Problems) {
	if d.Node("signs") == nil {
		return nil, nil
	}
	var (
		out []*Sign
		ps  strictyaml.Problems
	)
	kept := d.KeptItems(reflect.Struct, "signs")
	if len(kept) != len(raws) {
		if len(decodeProblems) > 0 {
			return nil, nil
		}
		return nil, strictyaml.Problems{d.Problem(strictyaml.Error,
			fmt.Sprintf("internal: decoded %d signs from %d usable items; not loading them", len(raws), len(kept)), "signs")}
	}
	for j, i := range kept {
		r := &raws[j]
		v := entryValidator{d: d, raw: &catalogueRaw{Sources: r.Sources, Runbooks: r.Runbooks}, path: []any{"signs", i}}
		v.label = strictyaml.FormatPath("signs", i)
		if id := strings.TrimSpace(r.ID); id != "" {
			v.label = "sign " + id
		}
		s := &Sign{
			ID: r.ID, Family: r.Family,
			Event:        SignEvent{Provider: r.Event.Provider, ID: r.Event.ID},
			Match:        SignTexts{EN: r.Match.EN, JA: r.Match.JA},
			Verification: r.Verification,
			Sources:      r.Sources,
			Runbooks:     Refs{Diagnose: r.Runbooks.Diagnose, Fix: r.Runbooks.Fix, Guide: r.Runbooks.Guide},
			File:         d.File,
			Line:         d.Line("signs", i),
		}
		if !isRunbookID(r.ID) {
			v.errorf([]any{"id"}, "sign id %q is not kebab-case (e.g. wsb-event-50)", r.ID)
		}
		if _, ok := hresultFamily(r.Family); !ok {
			v.errorf([]any{"family"}, "family %q is not one of: %s", r.Family, catalogueFamilies)
		}
		if (r.Event.Provider == "") != (r.Event.ID == 0) {
			v.errorf([]any{"event"}, "event needs both provider and id")
		}
		if len(r.Match.EN)+len(r.Match.JA) == 0 && r.Event.ID == 0 {
			v.errorf([]any{"match"}, "a sign needs match texts (en, ja) or an event")
		}
		for _, lang := range []struct {
			key   string
			texts []string
		}{{"en", r.Match.EN}, {"ja", r.Match.JA}} {
			for k, t := range lang.texts {
				if n := len([]rune(strings.TrimSpace(t))); n < minSignText {
					v.errorf([]any{"match", lang.key, k}, "match text %q is %d characters; want at least %d, or it matches unrelated sentences", t, n, minSignText)
				}
			}
		}
		s.Title = v.text("title", r.Title)
		s.Cause = v.text("cause", r.Cause)
		s.FirstAction = v.text("first_action", r.FirstAction)
		if r.Verified != nil {
			s.Verified = *r.Verified
		} else {
			v.errorf([]any{"verified"}, `"verified" is required: true when a source confirms the text and its meaning, false when not`)
		}
		if strings.TrimSpace(r.Verification) == "" {
			v.errorf([]any{"verification"}, `"verification" is required: say what confirms the text, or what is unverified`)
		}
		v.sources()
		v.refs()
		invalid := v.ps.Err() != nil
		first, last := d.Span("signs", i)
		for _, p := range decodeProblems {
			if p.Line >= first && p.Line <= last {
				invalid = true
			}
		}
		ps = append(ps, v.ps...)
		if !invalid {
			out = append(out, s)
		}
	}
	return out, ps
}

// addSigns adds one source's signs to byID: a later source replaces an
// earlier one's sign of the same id; the same id twice in one source is an
// error at the second.
func addSigns(byID map[string]*Sign, signs []*Sign) strictyaml.Problems {
	var ps strictyaml.Problems
	seen := map[string]*Sign{}
	for _, s := range signs {
		if first, dup := seen[s.ID]; dup {
			ps = append(ps, strictyaml.Problem{File: s.File, Line: s.Line, Severity: strictyaml.Error,
				Msg: fmt.Sprintf("sign %q is defined twice (first at %s:%d)", s.ID, first.File, first.Line)})
			continue
		}
		seen[s.ID] = s
		byID[s.ID] = s
	}
	return ps
}

// Signs returns the signs, sorted by id.
func (c *Catalogue) Signs() []*Sign {
	if c == nil {
		return nil
	}
	return append([]*Sign(nil), c.signs...)
}
