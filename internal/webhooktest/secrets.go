package webhooktest

import (
	"net"
	"strings"
	"testing"
)

// The secrets SecretURL puts in an endpoint's URL, which no log line,
// stored error or command output may show.
var urlSecrets = []string{"s3cr3t", "pw", "u4711", "p4thS3cr3t"}

// SecretURL is base (http://host:port) with a password, an account and a
// secret in its path (as Zapier's /hooks/catch/123456/abcdef/) and a token
// in its query, as receivers' inbound hook URLs carry them.
func SecretURL(base string) string {
	return strings.Replace(base, "http://", "http://user:pw@", 1) + "/hooks/catch/u4711/p4thS3cr3t/?token=s3cr3t&lead=1"
}

// Shown is how errors, logs and the commands' output show SecretURL(base):
// the scheme, host and port, and the first path segment.
func Shown(base string) string { return base + "/hooks/xxxxx?xxxxx" }

// ShownSecret names the secret of SecretURL that s shows, or "".
func ShownSecret(s string) string {
	for _, secret := range urlSecrets {
		if strings.Contains(s, secret) {
			return secret
		}
	}
	return ""
}

// ClosedPort returns http://127.0.0.1:port of a port nothing listens on.
func ClosedPort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}
