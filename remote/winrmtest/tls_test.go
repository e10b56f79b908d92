package winrmtest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/masterzen/winrm"
)

func TestNewCA(t *testing.T) {
	ca, err := NewCA("test CA")
	if err != nil {
		t.Fatal(err)
	}
	block, rest := pem.Decode(ca.CertPEM())
	if block == nil || block.Type != "CERTIFICATE" || len(rest) != 0 {
		t.Fatalf("CertPEM is not one PEM certificate: %q", ca.CertPEM())
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if !cert.IsCA || cert.Subject.CommonName != "test CA" || cert.KeyUsage&x509.KeyUsageCertSign == 0 {
		t.Errorf("CA certificate: IsCA %v, CN %q, key usage %v", cert.IsCA, cert.Subject.CommonName, cert.KeyUsage)
	}
	if _, ok := cert.PublicKey.(*ecdsa.PublicKey); !ok {
		t.Errorf("CA key is %T, want ECDSA", cert.PublicKey)
	}
	if now := time.Now(); now.Before(cert.NotBefore) || now.After(cert.NotAfter) {
		t.Errorf("CA not valid now: %v..%v", cert.NotBefore, cert.NotAfter)
	}
	other, err := NewCA("test CA")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(ca.CertPEM(), other.CertPEM()) {
		t.Error("two CAs have the same certificate")
	}
}

func TestServerCertificate(t *testing.T) {
	ca, err := NewCA("test CA")
	if err != nil {
		t.Fatal(err)
	}
	other, err := NewCA("other CA")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.ServerCertificate("127.0.0.2", "dc01.lab.example", "", "127.0.0.1", "localhost")
	if err != nil {
		t.Fatal(err)
	}
	if len(cert.Certificate) != 2 || cert.Leaf == nil || !bytes.Equal(cert.Leaf.Raw, cert.Certificate[0]) {
		t.Fatalf("chain of %d, Leaf %v", len(cert.Certificate), cert.Leaf != nil)
	}
	if got := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[1]}); !bytes.Equal(got, ca.CertPEM()) {
		t.Error("chain does not end with the CA certificate")
	}
	if _, ok := cert.PrivateKey.(*ecdsa.PrivateKey); !ok {
		t.Errorf("server key is %T, want ECDSA", cert.PrivateKey)
	}
	if len(cert.Leaf.IPAddresses) != 3 || len(cert.Leaf.DNSNames) != 2 {
		t.Errorf("duplicates or empty names kept: IPs %v, DNS %q", cert.Leaf.IPAddresses, cert.Leaf.DNSNames)
	}
	own, others := x509.NewCertPool(), x509.NewCertPool()
	own.AppendCertsFromPEM(ca.CertPEM())
	others.AppendCertsFromPEM(other.CertPEM())
	tests := []struct {
		name    string
		roots   *x509.CertPool
		wantErr string
	}{
		{"127.0.0.1", own, ""},
		{"::1", own, ""},
		{"localhost", own, ""},
		{"127.0.0.2", own, ""},
		{"dc01.lab.example", own, ""},
		{"127.0.0.3", own, "certificate is valid for"},
		{"dc02.lab.example", own, "certificate is valid for"},
		{"127.0.0.1", others, "unknown authority"},
	}
	for _, tt := range tests {
		_, err := cert.Leaf.Verify(x509.VerifyOptions{DNSName: tt.name, Roots: tt.roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("verify for %s: %v", tt.name, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("verify for %s: error %v, want it to contain %q", tt.name, err, tt.wantErr)
		}
	}
}

// TestSharedCertificate checks servers that serve one certificate from
// one CA, and that they report that CA.
func TestSharedCertificate(t *testing.T) {
	ca, err := NewCA("shared CA")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.ServerCertificate("dc01.lab.example")
	if err != nil {
		t.Fatal(err)
	}
	a := startServer(t, Options{TLS: true, TLSCertificate: &cert})
	b := startServer(t, Options{TLS: true, TLSCertificate: &cert, TLSHosts: []string{"ignored.example"}})
	tests := []struct {
		s          *Server
		serverName string
		wantErr    string
	}{
		{a, "", ""},
		{b, "", ""},
		{b, "dc01.lab.example", ""},
		{b, "ignored.example", "certificate is valid for"},
	}
	for _, tt := range tests {
		s := tt.s
		if !bytes.Equal(s.CACertPEM(), ca.CertPEM()) {
			t.Errorf("%s: CACertPEM is not the shared CA", s.URL())
		}
		if !strings.HasPrefix(s.URL(), "https://") {
			t.Errorf("URL %q", s.URL())
		}
		var out bytes.Buffer
		client := newClient(t, s, "", "", func(ep *winrm.Endpoint, _ *winrm.Parameters) { ep.TLSServerName = tt.serverName })
		_, err := client.RunWithContext(testCtx(t, 30*time.Second), "echo shared", &out, io.Discard)
		if tt.wantErr == "" {
			if err != nil || out.String() != "shared\r\n" {
				t.Errorf("%s as %q: got %q, %v", s.URL(), tt.serverName, out.String(), err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%s as %q: error %v, want it to contain %q", s.URL(), tt.serverName, err, tt.wantErr)
		}
	}
}

func TestEmptyTLSCertificate(t *testing.T) {
	s := New(Options{TLS: true, TLSCertificate: &tls.Certificate{}})
	defer s.Close()
	if err := s.Start("127.0.0.1:0"); err == nil || !strings.Contains(err.Error(), "TLSCertificate has no certificate") {
		t.Errorf("Start: %v, want the empty certificate refused", err)
	}
}
