//go:build !linux

package main

// asLabProcess: the lab process serves the Linux-only benchmarks.
func asLabProcess() (code int, ok bool) { return 0, false }
