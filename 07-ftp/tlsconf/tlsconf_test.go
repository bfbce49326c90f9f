package tlsconf

import (
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
	"github.com/gosockets/tutorial/07-ftp/proto"
)

const testTimeout = 5 * time.Second

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
		tc, err := Accept(c, cfg, testTimeout)
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

// TestPlainClientMeetingTLSServerGetsOneClearLine plays the plaintext ftp
// client: it sends its first frame and reads the reply as a proto.Response.
func TestPlainClientMeetingTLSServerGetsOneClearLine(t *testing.T) {
	p := newPKI(t, "127.0.0.1")
	addr, errs := tlsEcho(t, p)
	c := dial(t, addr)
	if err := frame.WriteBytes(c, proto.Request{Op: proto.OpAuth}, []byte("n,,n=alice,r=abcdefgh")); err != nil {
		t.Fatal(err)
	}
	resp, _, err := proto.ReadResponse(c)
	if err != nil {
		t.Fatalf("reading the reply: %v", err)
	}
	rerr := resp.Err()
	var pe *proto.Error
	if !errors.As(rerr, &pe) || pe.Code != Code || pe.Msg != MsgTLSRequired {
		t.Fatalf("reply %+v, want a failure with code %q and message %q", resp, Code, MsgTLSRequired)
	}
	if err := serverErr(t, errs); !errors.Is(err, ErrPlainClient) {
		t.Fatalf("server: %v, want ErrPlainClient", err)
	}
}

// plainServer is the plaintext ftp server's side: it refuses TLS clients
// and otherwise reads one frame and answers OK.
func plainServer(t *testing.T) (string, <-chan error) {
	t.Helper()
	return listen(t, func(c net.Conn) error {
		defer c.Close()
		pc, err := RefuseTLS(c, testTimeout)
		if err != nil {
			return err
		}
		h, err := frame.ReadHeader(pc)
		if err != nil {
			return err
		}
		if _, err := io.CopyN(io.Discard, pc, h.DataSize); err != nil {
			return err
		}
		return proto.WriteResponse(pc, proto.Response{OK: true, User: "ok"})
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
	if err := serverErr(t, errs); !errors.Is(err, ErrTLSClient) {
		t.Fatalf("server: %v, want ErrTLSClient", err)
	}
}

func TestRefuseTLSPassesAPlainClientsBytesThrough(t *testing.T) {
	addr, errs := plainServer(t)
	c := dial(t, addr)
	body := bytes.Repeat([]byte("x"), 100_000)
	if err := frame.WriteBytes(c, proto.Request{Op: proto.OpAuth}, body); err != nil {
		t.Fatal(err)
	}
	resp, _, err := proto.ReadResponse(c)
	if err != nil || !resp.OK || resp.User != "ok" {
		t.Fatalf("reply %+v, %v", resp, err)
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
	plain, err := frame.EncodeHeader(proto.Request{Op: proto.OpAuth}, 40)
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

// TestTLSClientMeetingABusyPlainServerShowsItsMessage: a server that
// answers every connection with a plaintext "busy" reply (as an overloaded
// server does before it reads anything) gets its message shown, not a
// misleading "does not speak TLS".
func TestTLSClientMeetingABusyPlainServerShowsItsMessage(t *testing.T) {
	p := newPKI(t, "127.0.0.1")
	addr, errs := listen(t, func(c net.Conn) error {
		defer c.Close()
		return proto.WriteResponse(c, proto.Response{Code: proto.CodeBusy, Error: "server busy: 200 sessions, try again later"})
	})
	cfg, _ := ClientConfig(p.cert, "127.0.0.1")
	_, err := Client(context.Background(), dial(t, addr), cfg, testTimeout)
	if !errors.Is(err, ErrPlainAnswer) || !strings.Contains(err.Error(), "server busy: 200 sessions") {
		t.Fatalf("err = %v, want ErrPlainAnswer with the server's message", err)
	}
	serverErr(t, errs)
}

func TestPlainReply(t *testing.T) {
	refuse, _ := frame.EncodeHeader(proto.Response{Code: Code, Error: MsgNoTLS}, 0)
	ok, _ := frame.EncodeHeader(proto.Response{OK: true}, 0)
	for _, tc := range []struct {
		name string
		b    []byte
		code string
		good bool
	}{
		{"refusal", refuse, Code, true},
		{"truncated", refuse[:len(refuse)-1], "", false},
		{"success is not a failure", ok, "", false},
		{"short", []byte{1, 0}, "", false},
		{"huge length", []byte{0xff, 0xff, 0xff, 0x7f, '{'}, "", false},
		{"HTTP", []byte("HTTP/1.1 400 Bad Request\r\n"), "", false},
	} {
		code, _, good := plainReply(tc.b)
		if code != tc.code || good != tc.good {
			t.Errorf("%s: code %q ok %v, want %q %v", tc.name, code, good, tc.code, tc.good)
		}
	}
}

func FuzzPlainReply(f *testing.F) {
	refuse, _ := frame.EncodeHeader(proto.Response{Code: Code, Error: MsgNoTLS}, 0)
	f.Add(refuse)
	f.Add([]byte{0x16, 0x03, 0x01, 0x00, 0x05})
	f.Add([]byte("HTTP/1.1 400 Bad Request\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		plainReply(b) // must not panic on anything a server sends
	})
}
