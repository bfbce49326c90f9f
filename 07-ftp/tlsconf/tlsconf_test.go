package tlsconf

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gosockets/tutorial/04-struct-framing/frame"
)

const testTimeout = 5 * time.Second

// lineRefuser is the refusal of the line-based protocol these tests speak
// in plaintext: the message and a newline.
func lineRefuser(w io.Writer, msg string) error {
	_, err := io.WriteString(w, msg+"\n")
	return err
}

// pki is a certificate and key written to a temporary directory.
type pki struct {
	cert, key string
}

func newPKI(t *testing.T, hosts ...string) pki {
	t.Helper()
	dir := t.TempDir()
	p := pki{cert: filepath.Join(dir, "cert.pem"), key: filepath.Join(dir, "key.pem")}
	if err := WriteFiles(p.cert, p.key, hosts); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestGenerateSelfSignedIsAP256CAForTheHosts(t *testing.T) {
	certPEM, keyPEM, err := GenerateSelfSigned([]string{"127.0.0.1", "localhost", "::1"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(certPEM)
	if blk == nil || blk.Type != "CERTIFICATE" {
		t.Fatalf("certificate PEM block: %v", blk)
	}
	cert, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if !cert.IsCA || time.Until(cert.NotAfter) > time.Hour || time.Until(cert.NotAfter) < 59*time.Minute {
		t.Errorf("IsCA=%v NotAfter=%v: want a CA valid for an hour", cert.IsCA, cert.NotAfter)
	}
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		t.Errorf("public key %T: want ECDSA P-256", cert.PublicKey)
	}
	if len(cert.IPAddresses) != 2 || len(cert.DNSNames) != 1 || cert.DNSNames[0] != "localhost" {
		t.Errorf("SANs: IPs %v, DNS %v", cert.IPAddresses, cert.DNSNames)
	}
	for _, h := range []string{"127.0.0.1", "localhost", "::1"} {
		if err := cert.VerifyHostname(h); err != nil {
			t.Errorf("not valid for %s: %v", h, err)
		}
	}
	kb, _ := pem.Decode(keyPEM)
	if kb == nil || kb.Type != "PRIVATE KEY" {
		t.Fatalf("key PEM block: %v", kb)
	}
	if _, err := tls.X509KeyPair(certPEM, keyPEM); err != nil {
		t.Fatalf("certificate and key do not match: %v", err)
	}
}

func TestGenerateSelfSignedRejectsBadInput(t *testing.T) {
	if _, _, err := GenerateSelfSigned(nil, time.Hour); err == nil {
		t.Error("no hosts: no error")
	}
	if _, _, err := GenerateSelfSigned([]string{"localhost"}, 0); err == nil {
		t.Error("zero validity: no error")
	}
	if _, _, err := GenerateSelfSigned([]string{" "}, time.Hour); err == nil {
		t.Error("blank host: no error")
	}
}

func TestWriteFilesKeyIsPrivateAndNothingIsOverwritten(t *testing.T) {
	p := newPKI(t, "127.0.0.1")
	if runtime.GOOS != "windows" { // Windows has no Unix permission bits
		fi, err := os.Stat(p.key)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("key file mode %v, want 0600", fi.Mode().Perm())
		}
	}
	before, _ := os.ReadFile(p.key)
	err := WriteFiles(p.cert, p.key, []string{"127.0.0.1"})
	if !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second WriteFiles: %v, want an error wrapping fs.ErrExist", err)
	}
	after, _ := os.ReadFile(p.key)
	if !bytes.Equal(before, after) {
		t.Fatal("the existing key was changed")
	}
	if _, err := ServerConfig(p.cert, p.key); err != nil {
		t.Fatal(err)
	}
}

func TestConfigErrorsNameTheFile(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nope.pem")
	if _, err := ServerConfig(missing, missing); err == nil || !strings.Contains(err.Error(), "nope.pem") {
		t.Errorf("ServerConfig of a missing file: %v", err)
	}
	junk := filepath.Join(dir, "junk.pem")
	os.WriteFile(junk, []byte("not a certificate"), 0o644)
	if _, err := ClientConfig(junk, "127.0.0.1"); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Errorf("ClientConfig of a junk file: %v", err)
	}
	cfg, err := ClientConfig("", "example")
	if err != nil || cfg.RootCAs != nil || cfg.MinVersion != tls.VersionTLS13 {
		t.Errorf("ClientConfig without a CA file: %+v, %v", cfg, err)
	}
}

// listen starts a listener on loopback and runs serve on each connection
// in its own goroutine; serve's error is sent on the returned channel.
func listen(t *testing.T, serve func(net.Conn) error) (string, <-chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 8)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.SetDeadline(time.Now().Add(testTimeout))
			errs <- serve(c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
	})
	return ln.Addr().String(), errs
}

func serverErr(t *testing.T, errs <-chan error) error {
	t.Helper()
	select {
	case err := <-errs:
		return err
	case <-time.After(testTimeout):
		t.Fatal("server side did not finish in time")
		return nil
	}
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(testTimeout))
	t.Cleanup(func() { c.Close() })
	return c
}

// tlsEcho is a TLS server that echoes one line.
func tlsEcho(t *testing.T, p pki) (string, <-chan error) {
	t.Helper()
	cfg, err := ServerConfig(p.cert, p.key)
	if err != nil {
		t.Fatal(err)
	}
	return listen(t, func(c net.Conn) error {
		tc, err := Accept(c, cfg, testTimeout, lineRefuser)
		if err != nil {
			return err
		}
		defer tc.Close()
		line := make([]byte, 6)
		if _, err := io.ReadFull(tc, line); err != nil {
			return err
		}
		_, err = tc.Write(line)
		return err
	})
}

func TestHandshakeWithTheCASucceedsOverTLS13(t *testing.T) {
	p := newPKI(t, "127.0.0.1", "localhost")
	addr, errs := tlsEcho(t, p)
	for _, name := range []string{"127.0.0.1", "localhost"} {
		cfg, err := ClientConfig(p.cert, name)
		if err != nil {
			t.Fatal(err)
		}
		tc, err := Client(context.Background(), dial(t, addr), cfg, testTimeout)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if v := tc.ConnectionState().Version; v != tls.VersionTLS13 {
			t.Errorf("version %x, want TLS 1.3", v)
		}
		tc.Write([]byte("hello\n"))
		got := make([]byte, 6)
		if _, err := io.ReadFull(tc, got); err != nil || string(got) != "hello\n" {
			t.Fatalf("echo: %q, %v", got, err)
		}
		tc.Close()
		if err := serverErr(t, errs); err != nil {
			t.Fatalf("server: %v", err)
		}
	}
}

func TestHandshakeWithAnotherCAFailsClearly(t *testing.T) {
	p := newPKI(t, "127.0.0.1")
	other := newPKI(t, "127.0.0.1")
	addr, errs := tlsEcho(t, p)
	cfg, err := ClientConfig(other.cert, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Client(context.Background(), dial(t, addr), cfg, testTimeout)
	if !errors.Is(err, ErrServerNotTrusted) || !strings.Contains(err.Error(), "-tls-ca") {
		t.Fatalf("err = %v, want ErrServerNotTrusted naming -tls-ca", err)
	}
	t.Logf("client says: %v", err)
	if err := serverErr(t, errs); err == nil {
		t.Fatal("server: handshake succeeded with a client that rejected it")
	}
}

func TestHandshakeWithTheWrongNameFailsClearly(t *testing.T) {
	p := newPKI(t, "localhost")
	addr, errs := tlsEcho(t, p)
	cfg, err := ClientConfig(p.cert, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Client(context.Background(), dial(t, addr), cfg, testTimeout)
	if !errors.Is(err, ErrServerNotTrusted) || !strings.Contains(err.Error(), "gencert -host") {
		t.Fatalf("err = %v, want ErrServerNotTrusted suggesting gencert -host", err)
	}
	serverErr(t, errs)
}

// TestPlainClientMeetingTLSServerGetsOneClearLine plays a plaintext
// client: it sends its first line and reads the server's refusal, written
// by the server's own Refuser.
func TestPlainClientMeetingTLSServerGetsOneClearLine(t *testing.T) {
	p := newPKI(t, "127.0.0.1")
	addr, errs := tlsEcho(t, p)
	c := dial(t, addr)
	if _, err := io.WriteString(c, "hello\n"); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || line != MsgTLSRequired+"\n" {
		t.Fatalf("reply %q, %v; want %q", line, err, MsgTLSRequired)
	}
	if err := serverErr(t, errs); !errors.Is(err, ErrPlainClient) {
		t.Fatalf("server: %v, want ErrPlainClient", err)
	}
}

// plainServer is a plaintext server's side: it refuses TLS clients and
// otherwise reads one line and answers "ok".
func plainServer(t *testing.T) (string, <-chan error) {
	t.Helper()
	return listen(t, func(c net.Conn) error {
		defer c.Close()
		pc, err := RefuseTLS(c, testTimeout, lineRefuser)
		if err != nil {
			return err
		}
		if _, err := bufio.NewReader(pc).ReadString('\n'); err != nil {
			return err
		}
		_, err = io.WriteString(pc, "ok\n")
		return err
	})
}

func TestTLSClientMeetingPlainServerGetsOneClearLine(t *testing.T) {
	p := newPKI(t, "127.0.0.1")
	addr, errs := plainServer(t)
	cfg, err := ClientConfig(p.cert, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Client(context.Background(), dial(t, addr), cfg, testTimeout)
	if !errors.Is(err, ErrServerNotTLS) {
		t.Fatalf("err = %v, want ErrServerNotTLS", err)
	}
	if err.Error() != "server does not speak TLS (drop -tls)" {
		t.Fatalf("message %q", err)
	}
	var nt *NotTLSError
	if !errors.As(err, &nt) || string(nt.First) != MsgNoTLS+"\n" {
		t.Errorf("err = %#v; want a NotTLSError holding the server's refusal", err)
	}
	if err := serverErr(t, errs); !errors.Is(err, ErrTLSClient) {
		t.Fatalf("server: %v, want ErrTLSClient", err)
	}
}

func TestRefuseTLSPassesAPlainClientsBytesThrough(t *testing.T) {
	addr, errs := plainServer(t)
	c := dial(t, addr)
	line := append(bytes.Repeat([]byte("x"), 100_000), '\n')
	if _, err := c.Write(line); err != nil {
		t.Fatal(err)
	}
	reply, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || reply != "ok\n" {
		t.Fatalf("reply %q, %v", reply, err)
	}
	if err := serverErr(t, errs); err != nil {
		t.Fatalf("server: %v", err)
	}
}

// TestTLSClientMeetingANaivePlainServerDoesNotHang uses a plaintext
// server that does not sniff: it reads the ClientHello as a frame, finds
// the length absurd and hangs up. The client must say so, not hang.
func TestTLSClientMeetingANaivePlainServerDoesNotHang(t *testing.T) {
	p := newPKI(t, "127.0.0.1")
	addr, errs := listen(t, func(c net.Conn) error {
		defer c.Close()
		_, err := frame.ReadHeader(c)
		return err
	})
	cfg, err := ClientConfig(p.cert, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Client(context.Background(), dial(t, addr), cfg, testTimeout)
	if err == nil || !strings.Contains(err.Error(), "drop -tls") {
		t.Fatalf("err = %v, want a message suggesting to drop -tls", err)
	}
	t.Logf("client says: %v", err)
	if err := serverErr(t, errs); !errors.Is(err, frame.ErrHeaderTooLarge) {
		t.Fatalf("server: %v, want frame.ErrHeaderTooLarge", err)
	}
}

func TestClientHandshakeTimesOutOnASilentServer(t *testing.T) {
	release := make(chan struct{})
	addr, errs := listen(t, func(c net.Conn) error {
		<-release
		return c.Close()
	})
	defer close(release)
	p := newPKI(t, "127.0.0.1")
	cfg, _ := ClientConfig(p.cert, "127.0.0.1")
	start := time.Now()
	_, err := Client(context.Background(), dial(t, addr), cfg, 100*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("err = %v, want a timeout", err)
	}
	if d := time.Since(start); d > testTimeout {
		t.Fatalf("took %v", d)
	}
	_ = errs
}

func TestSniffGivesUpOnASilentClient(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	_, _, err := Sniff(a, 50*time.Millisecond)
	if err == nil {
		t.Fatal("Sniff of a silent client returned no error")
	}
}

// clientHello captures the first bytes a real TLS client sends.
func clientHello(t *testing.T) []byte {
	t.Helper()
	a, b := net.Pipe()
	defer b.Close()
	go func() {
		tc := tls.Client(a, &tls.Config{ServerName: "x", MinVersion: tls.VersionTLS13})
		tc.Handshake()
		a.Close()
	}()
	b.SetDeadline(time.Now().Add(testTimeout))
	buf := make([]byte, 16)
	n, err := io.ReadFull(b, buf)
	if err != nil {
		t.Fatalf("read ClientHello: %d bytes, %v", n, err)
	}
	return buf
}

func TestLooksLikeTLS(t *testing.T) {
	hello := clientHello(t)
	if !LooksLikeTLS(hello) || !LooksLikeTLS(hello[:3]) {
		t.Errorf("a real ClientHello % x is not recognised", hello[:5])
	}
	plain, err := frame.EncodeHeader(map[string]string{"op": "auth"}, 40)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		b    []byte
		want bool
	}{
		{nil, false},
		{[]byte{0x16}, true},
		{[]byte{0x16, 0x03}, true},
		{[]byte{0x16, 0x03, 0x01}, true},
		{[]byte{0x16, 0x03, 0x00, 0x00}, false}, // a frame with a 790-byte header
		{[]byte{0x16, 0x00, 0x00, 0x00}, false}, // a frame with a 22-byte header
		{[]byte{0x15, 0x03, 0x03}, false},
		{plain, false},
	} {
		if got := LooksLikeTLS(tc.b); got != tc.want {
			t.Errorf("LooksLikeTLS(% x) = %v, want %v", tc.b, got, tc.want)
		}
	}
}

// FuzzLooksLikeTLSNeverMistakesAFrame checks the property the server relies
// on: the first bytes of any valid frame are never taken for TLS.
func FuzzLooksLikeTLSNeverMistakesAFrame(f *testing.F) {
	f.Add("auth", int64(40), 0)
	f.Add(strings.Repeat("a", 760), int64(0), 0)
	f.Add("put", int64(1<<40), 700)
	f.Fuzz(func(t *testing.T, op string, size int64, pad int) {
		if size < 0 || pad < 0 || pad > frame.MaxHeaderSize {
			return
		}
		b, err := frame.EncodeHeader(map[string]string{"op": op, "pad": strings.Repeat("p", pad)}, size)
		if err != nil {
			return
		}
		if LooksLikeTLS(b[:3]) {
			t.Fatalf("frame prefix % x taken for TLS", b[:4])
		}
	})
}

// writePKI writes a certificate valid from notBefore to notAfter for hosts.
func writePKI(t *testing.T, notBefore, notAfter time.Time, hosts ...string) pki {
	t.Helper()
	certPEM, keyPEM, err := generate(hosts, notBefore, notAfter)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p := pki{cert: filepath.Join(dir, "cert.pem"), key: filepath.Join(dir, "key.pem")}
	os.WriteFile(p.cert, certPEM, 0o644)
	os.WriteFile(p.key, keyPEM, 0o600)
	return p
}

// TestAttack8_CertificateErrorsSayWhatIsWrong: an expired certificate is
// reported as expired, not as signed by another CA; a certificate no
// authority vouches for, without -tls-ca, does not speak of a CA "given
// with -tls-ca" but says to give one.
func TestAttack8_CertificateErrorsSayWhatIsWrong(t *testing.T) {
	expired := writePKI(t, time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour), "127.0.0.1")
	addr, errs := tlsEcho(t, expired)
	cfg, err := ClientConfig(expired.cert, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Client(context.Background(), dial(t, addr), cfg, testTimeout)
	if !errors.Is(err, ErrServerNotTrusted) || !strings.Contains(err.Error(), "expired") || strings.Contains(err.Error(), "not signed") {
		t.Errorf("an expired certificate: %v; want it called expired", err)
	}
	serverErr(t, errs)

	p := newPKI(t, "127.0.0.1")
	addr, errs = tlsEcho(t, p)
	cfg, err = ClientConfig("", "127.0.0.1") // the system's roots: no -tls-ca
	if err != nil {
		t.Fatal(err)
	}
	_, err = Client(context.Background(), dial(t, addr), cfg, testTimeout)
	if !errors.Is(err, ErrServerNotTrusted) || strings.Contains(err.Error(), "given with -tls-ca") || !strings.Contains(err.Error(), "-tls-ca FILE") {
		t.Errorf("an unknown authority without -tls-ca: %v; want advice to give one", err)
	}
	serverErr(t, errs)
}
