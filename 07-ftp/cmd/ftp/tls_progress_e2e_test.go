package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gosockets/tutorial/07-ftp/internal/faultproxy"
	"github.com/gosockets/tutorial/07-ftp/progress"
)

// gencert runs "ftpd gencert" into dir and returns the certificate and
// key paths.
func gencert(t *testing.T, dir string) (cert, key string) {
	t.Helper()
	_, ftpd := build(t)
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	out, err := exec.Command(ftpd, "gencert", "-host", "127.0.0.1,localhost", "-cert", cert, "-key", key).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "connect with: ftp -tls-ca "+cert) {
		t.Fatalf("ftpd gencert: %v\n%s", err, out)
	}
	return cert, key
}

// TestTLSTransfersAndMismatches: with a certificate made by "ftpd
// gencert", put and get work over TLS 1.3 (including a get served from the
// cached checksum, which must not bypass TLS); a plaintext client, a TLS
// client of a plaintext server and a client trusting another certificate
// each get one clear line and exit 1.
func TestTLSTransfersAndMismatches(t *testing.T) {
	certDir := t.TempDir()
	cert, key := gencert(t, certDir)
	other, _ := gencert(t, t.TempDir())
	d := startDaemon(t, "", "-tls-cert", cert, "-tls-key", key)
	dir := t.TempDir()
	_, sum := randomFile(t, dir, "s.bin", 3<<20)
	r := ftp(t, dir, d.addr, "demo", d.demoPW, "put s.bin\nget s.bin back.bin\n", "-tls-ca", cert)
	wantOK(t, r)
	if got := fileSHA(t, filepath.Join(dir, "back.bin")); got != sum {
		t.Errorf("TLS round trip: sha256 %s, want %s", got, sum)
	}
	if !strings.Contains(d.logs.String(), "cached_sum=true") {
		t.Error("the get was not served from the cached checksum; the sendfile path went untested")
	}
	plain := startDaemon(t, "")
	for _, tt := range []struct {
		name, addr, pw string
		flags          []string
		want           string
	}{
		{"plaintext client, TLS server", d.addr, d.demoPW, nil, "ftp: this server requires TLS (use -tls)\n"},
		{"TLS client, plaintext server", plain.addr, plain.demoPW, []string{"-tls-ca", cert}, "ftp: server does not speak TLS (drop -tls)\n"},
		{"untrusted certificate", d.addr, d.demoPW, []string{"-tls-ca", other}, "ftp: server certificate not trusted: it is not signed by the CA given with -tls-ca"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := ftp(t, dir, tt.addr, "demo", tt.pw, "pwd\n", tt.flags...)
			if r.code != 1 || !strings.HasPrefix(r.stderr, tt.want) || strings.Count(r.stderr, "\n") != 1 {
				t.Errorf("exit %d, stderr %q; want one line starting %q", r.code, r.stderr, tt.want)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "s.bin.part")); err == nil {
		t.Error("stray part file")
	}
}

var progressLineRe = regexp.MustCompile(`^s\.bin: (\d+)% (\S+ \S+)/(\S+ \S+)`)

// TestReq13_ProgressLinesStartAtResumedOffset: off a terminal, -progress
// prints plain lines (no bar, no escape codes); a download cut half-way
// and run again starts its first line at the resumed offset and ends at
// 100%. Without -progress nothing is printed.
func TestReq13_ProgressLinesStartAtResumedOffset(t *testing.T) {
	d := startDaemon(t, "")
	dir := t.TempDir()
	const size = 8 << 20
	_, sum := randomFile(t, dir, "s.bin", size)
	wantOK(t, ftp(t, dir, d.addr, "demo", d.demoPW, "put s.bin\n"))
	os.Remove(filepath.Join(dir, "s.bin"))
	p, err := faultproxy.Start(d.addr, faultproxy.Fault{Dir: faultproxy.ServerToClient, After: 3 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if r := ftp(t, dir, p.Addr(), "demo", d.demoPW, "get s.bin\n"); r.code != 1 || !strings.Contains(r.stderr, "error: connection to server lost") {
		t.Fatalf("cut get: exit %d, stderr %q", r.code, r.stderr)
	}
	fi, err := os.Stat(filepath.Join(dir, "s.bin.part"))
	if err != nil || fi.Size() == 0 {
		t.Fatalf("no local part after the cut: %v", err)
	}
	part := fi.Size()
	r := ftp(t, dir, d.addr, "demo", d.demoPW, "get s.bin\n", "-progress")
	if r.code != 0 {
		t.Fatalf("resumed get: exit %d, stderr %q", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	first := progressLineRe.FindStringSubmatch(lines[0])
	if first == nil || first[2] != progress.Bytes(part) || first[3] != progress.Bytes(size) {
		t.Errorf("first progress line %q; want it to start at %s of %s", lines[0], progress.Bytes(part), progress.Bytes(size))
	}
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, "s.bin: 100% 8.0 MiB/8.0 MiB") || !strings.Contains(last, "(resumed at "+progress.Bytes(part)+")") {
		t.Errorf("last progress line %q", last)
	}
	if strings.ContainsAny(r.stderr, "\r\x1b") {
		t.Errorf("progress lines contain terminal control characters: %q", r.stderr)
	}
	if got := fileSHA(t, filepath.Join(dir, "s.bin")); got != sum {
		t.Error("resumed download does not verify")
	}
	t.Logf("cut at %d bytes; progress output:\n%s", part, r.stderr)
	os.Remove(filepath.Join(dir, "s.bin"))
	wantOK(t, ftp(t, dir, d.addr, "demo", d.demoPW, "get s.bin\n")) // no -progress: stderr stays empty
}
