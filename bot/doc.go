// Package bot will own the chat side of wsbbot: the Slack (Socket Mode) and
// console adapters, the command grammar shared by mentions, DMs and the /wsb
// slash command, the approval UI, and rendering of engine results into chat
// messages. Nothing imports bot except cmd/wsbbot.
//
// Not written yet: it arrives with the chat issue.
package bot
