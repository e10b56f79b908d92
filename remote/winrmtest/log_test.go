package winrmtest

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestLogPayload checks that the request log keeps the command text of a
// Command (decoded from the XML, with its arguments) and the stdin of a
// Send (decoded from base64), and nothing of either for other requests or
// when the log keeps no entries.
func TestLogPayload(t *testing.T) {
	type entry struct {
		Action, Command string
		Args            []string
		Stdin           string
	}
	tests := []struct {
		name       string
		maxEntries int
		want       []entry
	}{
		{"logged", 0, []entry{
			{Action: ActionCreate},
			{Action: ActionCommand, Command: `echo <a&b> 'q' "x" $(y)`, Args: []string{`'q'`, `"x"`, `$(y)`}},
			{Action: ActionSend, Stdin: "line 1\r\n\x00ünï"},
			{Action: ActionSend, Stdin: "end"},
			{Action: ActionDelete},
		}},
		{"no log", -1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startServer(t, Options{MaxLogEntries: tt.maxEntries})
			c := newRawClient(t, s, "u", "p")
			sh := c.mustCreate(65001)
			id := c.mustCommand(sh, "echo <a&b>", `'q'`, `"x"`, `$(y)`)
			c.send(sh, id, []byte("line 1\r\n\x00ünï"), false)
			c.send(sh, id, []byte("end"), true)
			c.delete(sh)
			var got []entry
			for _, r := range s.Requests() {
				got = append(got, entry{Action: r.Action, Command: r.Command, Args: r.Args, Stdin: string(r.Stdin)})
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("log (-want +got):\n%s", diff)
			}
		})
	}
}
