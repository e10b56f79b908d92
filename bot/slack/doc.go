// Package slack owns wsbbot's Slack adapter: Socket Mode events in, Block
// Kit messages out, on the platform-neutral bot core.
//
// adapter.go reads slack-go's Socket Mode client: it acks every envelope
// at once (a malformed one too, by the envelope id in its raw text), then
// hands the work to a bounded pool of workers, so the event loop never
// waits on the core or on Slack. It listens to app_mention, direct
// messages, the /wsb slash command, block_actions (buttons and menu
// choices), block_suggestion (a server menu that loads as one types) and
// plain messages holding an error code in the incident channels; it
// ignores its own posts and other bots'. events.go is the other
// transport, the HTTP Events API (slack.mode: http): it checks Slack's
// request signature and hands the request to the same function as
// Socket Mode (take), answering within Slack's three seconds. An event is handled once: by
// event_id, through Seen (the serve wiring keeps it in the record, so a
// restart inside Slack's retry window does not answer again), and by
// channel+ts, for the message and app_mention events of one post. Both
// keys of an event go in one write, and GroupSeen commits the keys of
// concurrent events together, each returning only once its keys are
// written: the reply never waits behind a queue of other events' writes.
//
// poster.go is the core's bot.Poster over the Web API: chat.postMessage,
// chat.update, chat.postEphemeral, reactions.add and the three-step file
// upload, each with its text fallback; a 429 is waited out (Retry-After)
// and retried, for up to RetryFor in all, and the posts of a channel take
// turns, one second from the end of one to the start of the next
// (pacer.go). A reply Slack refuses for its content (invalid_blocks,
// msg_too_long) is logged, counted and sent again as text, the whole of
// it in a file in the thread when the text cannot hold it.
// blocks.go renders a bot.Reply into Block Kit within Slack's limits by
// construction. users.go reads a user's locale (users.info with
// include_locale), cached, for the core's choice of language.
//
// The adapter holds no product logic: what to answer is the core's.
package slack
