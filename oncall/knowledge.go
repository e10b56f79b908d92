package oncall

import (
	"strconv"
	"strings"

	"github.com/wsbbot/wsbbot/runbooks"
)

// Explain finds every error code in text (hex, bare, full-width, signed or
// unsigned decimal, inside a pasted log line; stop codes in their short
// form), and with no code the message texts, names and events the catalogue
// knows, and returns the catalogue's answer for each, in order of
// appearance, once each, saying how each was found (MatchedBy). Unknown
// codes are answered too (Known false) with their family's diagnostics.
func (s *Service) Explain(text string, lang runbooks.Lang) []runbooks.Explanation {
	return s.catalogue().ExplainText(text, lang)
}

// Runbooks returns every loaded runbook (bundled and the operator's),
// sorted by id.
func (s *Service) Runbooks() []*runbooks.Runbook { return s.set.Runbooks() }

// Guide returns the runbook named topic: a guide's id ("guide-bmr"), its
// short form ("bmr"), or any runbook's id.
func (s *Service) Guide(topic string) (*runbooks.Runbook, error) {
	topic = strings.TrimSpace(topic)
	if rb, ok := s.set.Runbook(topic); ok {
		return rb, nil
	}
	if rb, ok := s.set.Runbook("guide-" + topic); ok {
		return rb, nil
	}
	var ids []string
	for _, rb := range s.set.Runbooks() {
		if rb.Category == runbooks.CategoryGuide {
			ids = append(ids, rb.ID)
		}
	}
	list := strings.Join(ids, ", ")
	return nil, userErr(Invalid,
		"no guide or runbook "+quote(topic)+"; guides: "+list,
		"ガイドまたはランブック "+quote(topic)+" はありません。ガイド: "+list, nil)
}

func quote(s string) string { return strconv.Quote(s) }
