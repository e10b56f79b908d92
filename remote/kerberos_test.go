package remote

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wsbbot/wsbbot/remote/winrmtest"
)

// Kerberos cannot be exercised end to end without a KDC; these tests check
// that masterzen's Kerberos transporter is wired in and its failures come
// back classified, within the deadline, and without the password.
func TestKerberosFailuresClassified(t *testing.T) {
	srv := startFake(t, winrmtest.Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	kdcPort := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close() // nothing listens: the KDC refuses
	dir := t.TempDir()
	conf := filepath.Join(dir, "krb5.conf")
	err = os.WriteFile(conf, []byte(fmt.Sprintf(`[libdefaults]
  default_realm = LAB.LOCAL
  dns_lookup_kdc = false
  dns_lookup_realm = false
  udp_preference_limit = 1
[realms]
  LAB.LOCAL = {
    kdc = 127.0.0.1:%d
  }
`, kdcPort)), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	base := Target{Name: "krb01", Address: srv.Host(), Port: srv.Port(), Auth: AuthKerberos, User: "operator",
		Password: testPassword, KerberosRealm: "LAB.LOCAL"}
	tests := []struct {
		name   string
		config string
		want   Kind
	}{
		{"missing krb5.conf", filepath.Join(dir, "missing.conf"), KindInvalid},
		{"KDC unreachable", conf, KindUnauthorized},
	}
	c := newClient(t, Options{StepTimeout: 5 * time.Second})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tg := base
			tg.KerberosConfigPath = tc.config
			_, err := c.Exec(context.Background(), tg, Command{Script: "x"})
			if err == nil {
				t.Fatal("no error")
			}
			if k := kindOf(t, err); k != tc.want {
				t.Errorf("kind %s, want %s: %v", k, tc.want, err)
			}
			if strings.Contains(err.Error(), testPassword) {
				t.Error("password in the error")
			}
			masterzenSafe(t, err)
			if tc.want == KindUnauthorized && !strings.Contains(err.(*Error).Explain(), "KDC") {
				t.Errorf("explanation lacks the KDC: %s", err.(*Error).Explain())
			}
			if srv.Count("") != 0 {
				t.Errorf("%d requests reached the server without a ticket", srv.Count(""))
			}
		})
	}
}
