// Package console owns wsbbot's terminal chat: the stdin/stdout adapter
// that `wsbbot console` (and `make run`) starts. It reads one line at a
// time, understands the chat's commands (a pasted error code or log line,
// diagnose, run ... on ..., audit, history, restore-test, runbooks, guide,
// servers, help), calls the oncall use cases and prints their answers with
// render.
//
// A Console is built once over one oncall.Service: no line re-enters the
// CLI or reloads the configuration, the runbooks or the record. `run`
// shows the plan (a dry run) and, when the user answers "yes", applies
// exactly that plan through Service.Apply, approved by the console user and
// bound to the shown plan's hash, so the record says which plan ran and
// who confirmed it.
//
// The grammar (grammar.go) and the session state (the last code looked up)
// are kept apart from the terminal I/O so that the conversation core of
// package bot can take them over; the console will then only carry lines
// in and replies out.
package console
