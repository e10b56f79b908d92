package config

import (
	"fmt"
	"io/fs"
	"os"
	"runtime"
)

// Warning is a setting that is valid but weakens security: the
// configuration loads, and `wsbbot config check` (and the bot at start)
// says what is weak and how to fix it.
type Warning struct {
	Key     string // key path, "targets[2].auth"
	Message string
}

func (w Warning) String() string { return w.Key + ": " + w.Message }

// SecurityWarnings lists the weak settings of c: Basic authentication over
// plain http (the password travels base64-encoded, readable by anyone on
// the path), TLS verification turned off, and a password_file that other
// users can read. stat is os.Stat when nil (tests pass their own).
func (c Config) SecurityWarnings(stat func(string) (fs.FileInfo, error)) []Warning {
	if stat == nil {
		stat = os.Stat
	}
	var ws []Warning
	for i, t := range c.Targets {
		p := fmt.Sprintf("targets[%d].", i)
		auth := t.Auth
		if auth == "" {
			auth = AuthNTLM
		}
		if auth == AuthBasic && !t.HTTPS() {
			ws = append(ws, Warning{p + "auth", fmt.Sprintf("target %s uses basic over http: the password crosses the "+
				"network base64-encoded, readable by anyone on the path; use scheme https (5986), or auth ntlm/kerberos", t.Name)})
		}
		if t.InsecureSkipVerify && t.HTTPS() {
			ws = append(ws, Warning{p + "insecure_skip_verify", fmt.Sprintf("target %s does not verify the server's "+
				"certificate: anyone who can intercept the connection can pose as the server and receive the credentials; "+
				"give the issuing CA in ca_file instead", t.Name)})
		}
		if t.PasswordFile != "" && runtime.GOOS != "windows" {
			if fi, err := stat(t.PasswordFile); err == nil && fi.Mode().Perm()&0o077 != 0 {
				ws = append(ws, Warning{p + "password_file", fmt.Sprintf("%s has mode %04o: other users can read "+
					"target %s's password; chmod 600 %s (owned by the user wsbbot runs as)",
					t.PasswordFile, fi.Mode().Perm(), t.Name, t.PasswordFile)})
			}
		}
	}
	return ws
}
