package console

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wsbbot/wsbbot/bot"
	"github.com/wsbbot/wsbbot/internal/langcheck"
	"github.com/wsbbot/wsbbot/internal/store"
	"github.com/wsbbot/wsbbot/lab"
	"github.com/wsbbot/wsbbot/lab/labtest"
	"github.com/wsbbot/wsbbot/oncall"
	"github.com/wsbbot/wsbbot/remote"
	"github.com/wsbbot/wsbbot/runbooks"
)

// scripted is a Handler that answers every message with one reply with
// two buttons, and records what it was given.
type scripted struct {
	con  *Console
	mu   sync.Mutex
	seen []string
}

func (s *scripted) Handle(ctx context.Context, m bot.Message) error {
	s.mu.Lock()
	s.seen = append(s.seen, "say "+m.User+" "+m.Text)
	s.mu.Unlock()
	_, err := s.con.Post(ctx, bot.Reply{Title: "plan", Buttons: []bot.Button{
		{Label: "Approve", ActionID: bot.ActionApprove, Value: "p1"}, {Label: "Deny", ActionID: bot.ActionDeny, Value: "p1"}}})
	return err
}

func (s *scripted) Act(_ context.Context, a bot.Action) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen = append(s.seen, "act "+a.User+" "+a.ActionID+" "+a.Value)
	return nil
}

func (s *scripted) Wait(context.Context) error { return nil }

// TestChoices: a choice is taken by number, by label, or by yes/no; other
// lines are messages; /as switches the user.
func TestChoices(t *testing.T) {
	var out bytes.Buffer
	in := "run x on y\n2\napprove\nrun again\nyes\n/as bob\nno\n9\nquit\nnever read\n"
	con := New(Options{In: strings.NewReader(in), Out: &out, User: "alice", Lang: runbooks.LangEN})
	h := &scripted{con: con}
	if err := con.Run(t.Context(), h); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"say console:alice run x on y",
		"act console:alice wsb.deny p1",
		"act console:alice wsb.approve p1",
		"say console:alice run again",
		"act console:alice wsb.approve p1",
		"act console:bob wsb.deny p1",
		"say console:bob 9",
	}
	if diff := cmp.Diff(want, h.seen); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if !hasLine(out.String(), "[1]", "Approve", "[2]", "Deny") || !hasLine(out.String(), ">", "run", "x", "on", "y") {
		t.Errorf("choices or the transcript's echo missing:\n%s", out.String())
	}
}

// TestUpdatePrintsWhatIsNew: an edited reply prints only its new lines.
func TestUpdatePrintsWhatIsNew(t *testing.T) {
	var out bytes.Buffer
	con := New(Options{In: strings.NewReader(""), Out: &out})
	ref, _ := con.Post(t.Context(), bot.Reply{Title: "Diagnosing", Sections: []bot.Section{{Text: "a"}}})
	_ = con.Update(t.Context(), ref, bot.Reply{Title: "Diagnosing", Sections: []bot.Section{{Text: "a\nb"}}})
	_ = con.Update(t.Context(), ref, bot.Reply{Title: "Diagnosing", Sections: []bot.Section{{Text: "a\nb\nc"}}})
	if got, want := out.String(), "── Diagnosing\na\nb\nc\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestSessionOnLab is the console on the real core over the lab: a code
// looked up, Diagnose chosen by number, the server by its label; a plan
// requested by alice, refused to alice herself (Approve by its label), and
// approved by bob (by its number), which runs it once, verified.
func TestSessionOnLab(t *testing.T) {
	svc, st, hosts := labService(t)
	var out bytes.Buffer
	script := strings.Join([]string{"the backup failed: 0x800423F4", "1", "writer-failed",
		"run vss-writer-restart on writer-failed", "approve", "/as bob", "1", "history", "quit"}, "\n")
	con := New(Options{In: strings.NewReader(script), Out: &out, User: "alice", Lang: runbooks.LangEN})
	core := bot.New(bot.Options{Service: svc, Poster: con, Access: &bot.Access{AnyoneApproves: true}})
	if err := con.Run(t.Context(), core); err != nil {
		t.Fatal(err)
	}
	if err := core.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	o := out.String()
	for _, want := range [][]string{
		{"0x800423F4", "VSS_E_WRITERERROR_NONRETRYABLE"},
		{"[1]", "Diagnose", "[2]", "Fix", "[3]", "Guide"},
		{"Which", "server?"},
		{"Writers", "not", "stable:", "SqlServerWriter", "[8]", "Failed"},
		{"Their", "services:", "SQLWriter"},
		{"Restart-Service", "-Name", "$P.service", "-Force"},
		{"[1]", "Approve", "[2]", "Deny"},
		{"⊘", "you", "requested", "this"},
		{"You", "are", "now", "bob."},
		{"vss-writer-restart", "/", "writer-failed", "—", "succeeded,", "verified"},
	} {
		if !hasLine(o, want...) {
			t.Errorf("no line with %q:\n%s", want, o)
		}
	}
	if hosts["writer-failed"].WriterState("SqlServerWriter") != 1 {
		t.Error("the writer is not stable after the fix")
	}
	evs, err := st.Events(t.Context(), store.Filter{Kinds: []store.Kind{store.KindRunStarted}})
	if err != nil {
		t.Fatal(err)
	}
	var fixes []string
	for _, ev := range evs {
		p, err := store.Decode[store.RunStarted](ev)
		if err != nil {
			t.Fatal(err)
		}
		if p.Runbook == "vss-writer-restart" {
			fixes = append(fixes, ev.Actor+" approved by "+strings.Join(p.Approvers, ",")+" "+p.Approval)
		}
	}
	if len(fixes) != 1 || !strings.HasPrefix(fixes[0], "console:alice approved by console:bob approved in chat (request ap-") {
		t.Errorf("fix runs = %q, want one by alice approved by bob", fixes)
	}
}

// hasLine reports whether some line of out holds the words in order, each
// a whole field, whatever the spacing.
func hasLine(out string, words ...string) bool {
	for _, l := range strings.Split(out, "\n") {
		i := 0
		for _, w := range strings.Fields(l) {
			if i < len(words) && w == words[i] {
				i++
			}
		}
		if i == len(words) {
			return true
		}
	}
	return false
}

// labService is the oncall service over a running lab (one host per
// scenario) and an in-memory record.
func labService(t *testing.T) (*oncall.Service, *store.Memory, map[string]*lab.Host) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	l, err := lab.Start(ctx, lab.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	client, err := remote.New(remote.Options{Concurrency: 8})
	if err != nil {
		t.Fatal(err)
	}
	deps, hosts, err := labtest.Deps(l, client)
	if err != nil {
		t.Fatal(err)
	}
	st := store.NewMemory(nil)
	deps.Store = st
	svc, err := oncall.New(deps)
	if err != nil {
		t.Fatal(err)
	}
	return svc, st, hosts
}

// TestJapaneseSessionHasNoEnglish: a Japanese user never reads an English
// sentence: not in help, lookups, diagnoses of the lab's failing servers
// (evidence and expectations included), guides or the runbook list.
func TestJapaneseSessionHasNoEnglish(t *testing.T) {
	svc, _, _ := labService(t)
	var out bytes.Buffer
	script := strings.Join([]string{"ヘルプ", "バックアップが 0x800423F4 で失敗しました", "STOP 0x7B",
		"Log Name: Microsoft-Windows-Backup Event ID: 50",
		"診断 writer-failed 0x800423F4", "診断 reserved-full 0x80780119", "診断 target-missing 0x80780166",
		"診断 share-unreachable 0x807800C5", "ガイド bmr", "ガイド ad-restore", "ランブック", "よくわからない入力", "quit"}, "\n")
	con := New(Options{In: strings.NewReader(script), Out: &out, User: "alice", Locale: "ja_JP.UTF-8", Lang: runbooks.LangJA})
	core := bot.New(bot.Options{Service: svc, Poster: con, Lang: runbooks.LangJA, Access: &bot.Access{AnyoneApproves: true}})
	if err := con.Run(t.Context(), core); err != nil {
		t.Fatal(err)
	}
	if err := core.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	o := out.String()
	for _, s := range langcheck.EnglishSentences(o) {
		t.Errorf("English in the Japanese session: %q", s)
	}
	for _, want := range [][]string{{"writer-failed"}, {"reserved-full"}, {"target-missing"}, {"share-unreachable"}} {
		if !hasLine(o, want...) {
			t.Errorf("no line with %q", want)
		}
	}
	if t.Failed() {
		t.Logf("session:\n%s", o)
	}
}
