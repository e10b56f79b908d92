// Package runbooks is the heart of wsbbot's knowledge: the bilingual
// error-code catalogue, the runbook and step types, strict loading of the
// bundled and operator-supplied YAML, and (in a later issue) the engine that
// runs runbooks through the Executor, Gate and Recorder interfaces it
// declares. The bundled YAML under bundled/ is embedded in the binary.
//
// runbooks depends on no adapter: chat, WinRM and storage depend on it.
package runbooks
