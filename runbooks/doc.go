// Package runbooks is the heart of wsbbot's knowledge and action: the
// bilingual error-code catalogue, the languages it answers in and the one
// choice of reply language (ChooseLang: flag, locale, configuration,
// English), the runbook format (typed parameters, read-only and changing
// steps in a typed Shell, parsers, expectations, conditions, repetition,
// preconditions, cleanup, verification) with its safe expression language
// (its functions declared once, in exprFuncs), strict loading of the
// bundled and operator-supplied YAML, dry runs with a stable plan hash, and
// the engine that runs runbooks through the Executor, Gate, Observer and
// Recorder interfaces it declares. The engine takes each step through
// decide, render and execute; a dry run executes only read-only
// preconditions and steps and renders the rest. The bundled YAML under
// bundled/ is embedded in the binary.
//
// runbooks depends on no adapter: chat, WinRM and storage depend on it.
package runbooks
