// Package oncall owns wsbbot's use cases: what the CLI, the console and,
// next, Slack share. Explain the error codes in a text; diagnose a server
// with the read-only runbooks a code's catalogue entry names; plan a
// runbook (the dry run and its hash) and apply exactly that plan under an
// approval bound to its hash; run a runbook unapproved (changes refused);
// audit servers against the five-rule checklist; read the history, a run's
// timeline and the record's hash chain; record restore tests; list the
// runbooks and guides and the servers of the inventory.
//
// oncall owns recording: every run, every request turned down before it
// ran, every audit finding and restore test goes into the store here, with
// who asked, who approved, how, and the hash of the plan that was approved.
//
// It returns platform-neutral values (runbooks.Plan, runbooks.Result,
// AuditReport, ...) and never formats text for a medium: adapters (cmd's
// CLI, bot/console, the chat) render them. Errors a user may see are
// *UserError, whose bilingual message is kept apart from the internal
// cause. oncall imports no adapter.
package oncall
