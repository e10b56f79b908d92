// Package runbooks is the heart of wsbbot's knowledge and action: the
// bilingual error-code catalogue, the runbook format (typed parameters,
// read-only and changing steps, parsers, expectations, conditions,
// repetition, preconditions, cleanup, verification) with its safe expression
// language, strict loading of the bundled and operator-supplied YAML, dry
// runs with a stable plan hash, and the engine that runs runbooks through
// the Executor, Gate, Observer and Recorder interfaces it declares. The
// bundled YAML under bundled/ is embedded in the binary.
//
// runbooks depends on no adapter: chat, WinRM and storage depend on it.
package runbooks
