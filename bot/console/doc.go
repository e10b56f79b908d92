// Package console owns wsbbot's terminal chat adapter: it carries lines
// typed at the terminal (or read from a script) to the conversation core of
// package bot as Messages, and renders the core's Reply documents as text.
// `wsbbot demo` (what `make run` starts) and `wsbbot console` use it.
//
// It holds no product logic. The whole session is one thread of one
// channel, so the core's thread context (the code and server of the last
// lookup) applies to the next line. Buttons and menu options are shown as
// numbered choices: typing the number or the label clicks it, and "yes" or
// "no" answer an approval request's Approve / Deny. `/as NAME` switches the
// user the core sees (who requests, who approves: never the same one). A progress reply that the core edits
// is printed line by line as it grows. Attachments are printed whole.
//
// When the input is not a terminal, each line read is echoed after a
// prompt so that the output reads as a transcript, and the session ends at
// the end of the input.
package console
