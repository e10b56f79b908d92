// Package conformance holds no code, only tests that hold wsbbot's WinRM
// side against independent real things:
//
//   - replay_test.go (part of make test) replays SOAP conversations recorded
//     from real Windows servers (testdata/winrm-fixtures) to the real
//     masterzen client and to wsbbot's executor, and checks what they read;
//   - pywinrm_test.go (build tag conformance, run by make conformance)
//     drives Debian's pywinrm 0.3.0 (python3-winrm) against the fake server
//     (remote/winrmtest) and the simulated lab (lab). It is kept out
//     of make test because installing the package needs root.
package conformance
