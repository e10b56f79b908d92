// Package conformance holds no code, only tests that check the fake WinRM
// server (remote/winrmtest) and the simulated lab (remote/lab) against a
// second, independent client: Debian's pywinrm 0.3.0 (python3-winrm). They
// run with `make conformance`, which installs the package; they are kept
// out of `make test` because installing it needs root.
package conformance
