// Package store owns wsbbot's durable record: every run, step, approval,
// audit result and restore test, kept so that nothing is lost across a
// restart and nothing is done twice.
//
// # One chained log
//
// The source of truth is a single append-only log of Events. Each event
// gets a gapless sequence number and the SHA-256 of the event before it
// (PrevHash), and its own Hash covers every field including PrevHash (see
// Event.ComputeHash for the exact encoding). Everything else the bot shows
// is a view over that log: the Runs view (one row per run, with its
// status), the idempotency index, the latest restore test per server. The
// views are updated in the same transaction as the append, so they can
// never disagree with the log, and they could be rebuilt from it.
//
// One log rather than a table per concern because the questions on-call
// asks cross concerns: "what happened on fs01 last night" is approvals,
// steps and audit findings in the order they happened, which is exactly
// the log filtered by target (and the postmortem timeline export). A
// single sequence also makes ordering and gap detection trivial, and it
// gives one place to enforce the record's rules:
//
//   - Idempotency: an event with a Key seen before is not appended again;
//     Append returns the earlier event. A Slack event delivered twice
//     (same event id as Key) is handled once. The earlier event wins even
//     if the new one differs.
//   - Run state: a run is started once, its steps and its end belong to a
//     started run still running, and nothing is appended to it after
//     run.finished or run.interrupted (ErrRunState).
//   - Crash safety: Open marks every run still "running" whose owner
//     process is gone as interrupted by appending run.interrupted (actor
//     "wsbbot"), and reports those ids in Interrupted so the bot can say
//     so in chat. A run records its owner (pid, host and, on Linux, the
//     process start time) in run.started; a run of another wsbbot that is
//     still working (the bot, while the CLI opens the record) is left
//     alone, and a run recorded without an owner counts as orphaned. A
//     run is never silently re-run, and because the event carries an
//     idempotency key and the run is no longer running, it is marked
//     exactly once.
//   - Batches: AppendMany appends several events in one transaction, all
//     or none, with one sync to disk (the audit's findings).
//
// # Implementations
//
// Open returns the default, SQLite: one SQLite file (pure Go,
// modernc.org/sqlite, so the binary still cross-compiles for Windows) in
// WAL mode with a busy timeout and synchronous=FULL. Readers never wait for
// the writer, so `wsbbot history` and `status` work beside a running bot
// or run; writers of several processes take turns, each waiting up to
// Options.Timeout. Tables: meta (schema version, head seq/hash, run id
// counter), events (one column per Event field; the idempotency key is a
// UNIQUE column), runs and restore_tests; the SQL is kept to what
// PostgreSQL reads alike. Open migrates a bbolt file found at the path
// (a record of an older wsbbot) into SQLite first, verifying that the copy
// reports the same chain, and keeps the original as PATH.bbolt.
//
// Bolt keeps the log in one bbolt file, the former default, still opened
// with Options.Backend = BackendBolt: buckets meta (schema version, head
// seq/hash, run id counter), events (big-endian Seq -> event JSON), keys
// (idempotency key -> Seq), runs (run id -> RunSummary) and restore_tests
// (target -> latest date). bbolt locks the whole file, so a second wsbbot
// fails after Options.Timeout with ErrLocked: the CLI cannot read the
// record while the bot holds it, which is why SQLite replaced it (the
// measurements are in docs/STORE.md).
//
// Each Append is one write transaction, synced before commit: an event
// Append returned is on disk, at the cost of one sync per event (see
// BenchmarkAppend). Schema changes are a list of migrations applied in
// order inside one transaction at Open; a file from a newer wsbbot is
// refused (ErrSchemaTooNew).
//
// Memory keeps the same structures in maps for tests and the console demo.
// All three share the append algorithm, the interrupted-run rule and the
// chain walk, and all pass the suite in package storetest.
//
// # What Verify can and cannot detect
//
// Verify walks the log from Seq 1, recomputes every hash and checks every
// link, and reports the first broken Seq and why: a changed event whose
// hash was not recomputed (tampered), an event replaced together with its
// hash (the next event's link breaks), a deleted event (gap), a record
// that cannot be read, or a log cut short behind the recorded head
// (truncated).
//
// It cannot detect someone who rewrites the chain from the changed event
// to the end (or the whole file) with freshly computed hashes: the chain is
// only self-consistent, not signed. Detecting that needs an external
// anchor, for example the HeadSeq/HeadHash of a VerifyReport posted to the
// audit channel or written to another system; a later chain that no longer
// contains that hash at that Seq has been rewritten. Nor can it tell a
// dropped tail if the head record in meta was rewritten with it. The hash
// chain is tamper-evidence for accidents and casual edits, not protection
// against an attacker with write access to the file.
//
// Filtering scans the log; that is fine for the event volumes of one
// on-call bot (thousands per day) and keeps the views few.
package store
