// Package render owns wsbbot's terminal text: the explanation of an error
// code, a dry-run plan, a run's result and its progress lines, the audit's
// server x rule matrix, the history table, a run's postmortem timeline
// (Markdown), the runbook list and a guide. Each function writes the
// platform-neutral values of oncall and runbooks to an io.Writer in one
// language; the CLI and the console print with them, and the chat adapter
// will have a renderer of its own for Slack blocks.
//
// render only formats: it runs nothing and reaches no server.
package render
