// Package bot will own the conversation core of wsbbot's chat: one event
// (a Slack mention, DM or /wsb command, or a console line) -> the command
// grammar -> the oncall use cases -> what to post, with the approval flow
// in between. The adapters live below it: bot/console (the terminal chat,
// written) and bot/slack (Socket Mode and Block Kit, next). Nothing imports
// bot or its adapters except cmd/wsbbot.
//
// Not written yet: the console's grammar and session state move here with
// the chat issue.
package bot
