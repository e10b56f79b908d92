package render

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	extast "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/text"

	"github.com/wsbbot/wsbbot/internal/store"
	"github.com/wsbbot/wsbbot/oncall"
)

// TestTimelineEscapesMarkdown renders a timeline whose record holds
// backticks, fences, "|" and markup in every place text comes from, parses
// it with a CommonMark+GFM parser, and checks the document's shape: one
// table row per event with four cells, one fenced block per output holding
// the output exactly, each detail one code span holding its JSON exactly,
// and no emphasis, HTML, links or extra headings.
func TestTimelineEscapesMarkdown(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	outputs := []string{"before\n```\n# not a heading\n````\nafter `x` | y", "``", "plain"}
	var events []store.Event
	var details []string
	for i, out := range outputs {
		data, _ := json.Marshal(map[string]any{"step": "s`" + strings.Repeat("`", i), "exit_code": i,
			"error": "a ` b `` c | d **e** <b>f</b>", "output": out})
		events = append(events, store.Event{Time: at, Kind: store.KindStepFinished, Actor: "cli:`eve`|**x**", Data: data})
		var m map[string]any
		_ = json.Unmarshal(data, &m)
		delete(m, "output")
		d, _ := json.Marshal(m)
		details = append(details, string(d))
	}
	events = append(events, store.Event{Time: at, Kind: store.KindRunFinished, Actor: "<i>wsbbot</i>", Data: json.RawMessage("{\"summary\":\"`\"}")})
	details = append(details, "{\"summary\":\"`\"}")
	tl := &oncall.Timeline{
		Run: store.RunSummary{ID: "r1", Runbook: "rb_*x*", Target: "fs01 | [link](http://x)", Actor: "cli:`eve`",
			Status: "failed", Summary: "done ``` | **bold** <b>x</b>\n# heading", Started: at, Finished: at.Add(time.Second)},
		Events: events,
	}
	var b strings.Builder
	Timeline(&b, tl)
	src := []byte(b.String())

	md := goldmark.New(goldmark.WithExtensions(extension.Table))
	doc := md.Parser().Parse(text.NewReader(src))
	var headings []int
	var fences []string
	var rows [][]int // cells per row
	var spans []string
	var markup []string
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Heading:
			headings = append(headings, n.Level)
		case *ast.FencedCodeBlock:
			var s strings.Builder
			for i := 0; i < n.Lines().Len(); i++ {
				seg := n.Lines().At(i)
				s.Write(seg.Value(src))
			}
			fences = append(fences, strings.TrimSuffix(s.String(), "\n"))
		case *extast.TableRow, *extast.TableHeader:
			rows = append(rows, []int{n.ChildCount()})
		case *ast.CodeSpan:
			if _, inCell := n.Parent().(*extast.TableCell); inCell {
				spans = append(spans, string(n.Text(src)))
			}
		case *ast.Emphasis, *ast.RawHTML, *ast.HTMLBlock, *ast.Link, *ast.AutoLink:
			markup = append(markup, n.Kind().String())
		}
		return ast.WalkContinue, nil
	})
	if want := []int{1, 2, 2, 3, 3, 3}; !slices.Equal(headings, want) {
		t.Errorf("heading levels %v, want %v\n%s", headings, want, src)
	}
	if len(markup) != 1 { // the **status** the timeline itself makes bold
		t.Errorf("markup from the record: %v\n%s", markup, src)
	}
	if len(rows) != len(events)+1 {
		t.Errorf("%d table rows, want %d\n%s", len(rows), len(events)+1, src)
	}
	for i, r := range rows {
		if r[0] != 4 {
			t.Errorf("row %d has %d cells, want 4", i, r[0])
		}
	}
	if !slices.Equal(fences, outputs) {
		t.Errorf("fenced blocks %q, want the outputs %q\n%s", fences, outputs, src)
	}
	if !slices.Equal(spans, details) {
		t.Errorf("detail code spans %q, want %q\n%s", spans, details, src)
	}
}
