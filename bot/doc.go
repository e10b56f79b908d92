// Package bot owns the conversation core of wsbbot's chat: one event (a
// Slack mention, DM, /wsb command or incident-channel message, a console
// line, or a click on a button or menu) -> the command grammar -> the
// oncall use cases -> reply documents posted through a Poster.
//
// The core is platform-neutral both ways. In come Message and Action
// values; out go Reply documents (a title, sections of text, fields and
// code, buttons and static menus, long text as attachments, a context line
// and a plain-text fallback) and edits of an earlier reply, through the
// Poster interface the adapters implement. Adapters (bot/console for the
// terminal, bot/slack for Socket Mode) translate and hold no product logic;
// only cmd/wsbbot imports them.
//
// What the core owns:
//   - the grammar (grammar.go), the same for every source: a pasted code or
//     log line, diagnose, run, fix, audit, restore-test, runbooks, guide,
//     history, status, cancel, servers, help, with Japanese verbs,
//     full-width input normalised (NFKC), a mention prefix stripped and
//     "did you mean" for a mistyped verb or server;
//   - the thread context: the code and server of a lookup, remembered per
//     channel and thread (in memory, bounded), so that `diagnose` and `fix`
//     with no arguments in that thread apply to them;
//   - the reply language: the user's locale (ja-* is Japanese, en-* is
//     English), else the configured default; one language per reply;
//   - long work (diagnose, audit, plans, runs) on a bounded worker pool, so
//     that Handle and Act never block their caller; a run's progress edits
//     one reply, at most once per second (Throttle), the final state always;
//   - plans shown in chat: the dry run, its exact commands and warnings.
//     Nothing changes a server from chat until approvals exist; an adapter
//     whose user confirms locally (the console) gets Apply/Cancel buttons,
//     and Apply runs exactly the plan shown through oncall.Apply, bound to
//     its hash. The pending request (requester, plan hash, expiry) is the
//     shape chat approvals will take.
//
// Everything the core writes for a user comes from its message table in
// both languages (text.go); data (server names, codes, command lines,
// Windows output) is shown as it is.
package bot
