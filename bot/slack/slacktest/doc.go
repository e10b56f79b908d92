// Package slacktest owns a fake Slack for tests and benchmarks: a real
// HTTP and WebSocket server on loopback that speaks Slack's Web API under
// /api/<method>, the file upload URLs, response_url hooks and Socket Mode on
// /link/, with the state a chat bot touches (channels, users, user groups,
// messages and threads, ephemerals, reactions, files) and a harness that
// plays the humans: UserSays, Click, Select, Slash.
//
// It follows Slack's documented behaviour rather than what one client
// library happens to accept: error names and limits come from Slack's
// method and Block Kit references, envelopes and payloads from Slack's
// documented shapes. It imports no Slack client library, so a test that
// drives slack-go against it checks two independent readings of the
// protocol against each other.
//
// Faults are injected per method (queued errors, 429 with Retry-After, 5xx,
// latency) and per channel (a token bucket for chat.postMessage); Socket
// Mode envelopes that are not acked in time are redelivered with
// retry_attempt and retry_reason, as Slack does for Events API deliveries.
// A connection can be closed politely (Disconnect), dropped (Drop), or cut
// with an envelope, mid-frame or before its ack can come back (CutNext);
// an event can come again in a new envelope (Redeliver) or under its own
// envelope id (ResendEnvelope).
package slacktest
