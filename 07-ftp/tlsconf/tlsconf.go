// Package tlsconf sets up TLS 1.3 for the ftp server and client: it makes a
// self-signed certificate for a classroom, loads the server's and the
// client's configuration, and turns a mismatch (a plaintext client meeting
// a TLS server, or a TLS client meeting a plaintext server) into one clear
// line on each side instead of a hang or a cryptic error.
//
// All cryptography is the standard library's (crypto/ecdsa, crypto/x509,
// crypto/tls).
//
// The server tells the two kinds of client apart by the first bytes they
// send, before it answers (both clients speak first; see [Sniff]). A TLS
// connection opens with a handshake record: type 0x16, then the record
// version 0x03 0x01 to 0x03 0x04. A frame of the ftp protocol opens with the
// 4-byte little-endian length of its JSON header, at most 64 KiB, so if its
// first two bytes were 0x16 0x03 its third byte would be 0x00. Three bytes
// therefore tell the two apart without doubt (see [LooksLikeTLS]). The
// refusal itself is written in the server's protocol by a [Refuser] the
// server passes in; this package writes no protocol of its own.
package tlsconf

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"
)

// DefaultValidity is how long a certificate made by [WriteFiles] is valid.
const DefaultValidity = 365 * 24 * time.Hour

// DefaultHosts are the names that gencert puts in a certificate when none
// are given.
var DefaultHosts = []string{"127.0.0.1", "localhost"}

// GenerateSelfSigned makes an ECDSA P-256 key and a self-signed certificate
// for it, valid for validFor from an hour ago (to tolerate clock skew) and
// for each of hosts: an IP address becomes an IP SAN, anything else a DNS
// name. The certificate is its own CA, so a client that trusts it (see
// [ClientConfig]) accepts the server that holds the key. Both are returned
// PEM-encoded: "CERTIFICATE" and PKCS #8 "PRIVATE KEY".
func GenerateSelfSigned(hosts []string, validFor time.Duration) (certPEM, keyPEM []byte, err error) {
	if validFor <= 0 {
		return nil, nil, fmt.Errorf("tlsconf: validity %v is not positive", validFor)
	}
	now := time.Now()
	return generate(hosts, now.Add(-time.Hour), now.Add(validFor))
}

// generate makes a key and a self-signed certificate for hosts, valid from
// notBefore to notAfter.
func generate(hosts []string, notBefore, notAfter time.Time) (certPEM, keyPEM []byte, err error) {
	if len(hosts) == 0 {
		return nil, nil, errors.New("tlsconf: no host names for the certificate")
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("tlsconf: generate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, nil, fmt.Errorf("tlsconf: serial number: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{Organization: []string{"gosockets tutorial ftpd"}, CommonName: hosts[0]},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	for _, h := range hosts {
		h = strings.TrimSpace(h)
		if h == "" {
			return nil, nil, errors.New("tlsconf: empty host name")
		}
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("tlsconf: create certificate: %w", err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("tlsconf: encode key: %w", err)
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})
	return certPEM, keyPEM, nil
}

// WriteFiles makes a certificate for hosts valid for [DefaultValidity] and
// writes it to certPath (mode 0644) and its key to keyPath (mode 0600). It
// refuses to overwrite either file: the error then wraps fs.ErrExist.
func WriteFiles(certPath, keyPath string, hosts []string) error {
	certPEM, keyPEM, err := GenerateSelfSigned(hosts, DefaultValidity)
	if err != nil {
		return err
	}
	for _, p := range []string{certPath, keyPath} {
		if _, err := os.Lstat(p); err == nil {
			return fmt.Errorf("tlsconf: %s: %w; remove it first to make a new certificate", p, os.ErrExist)
		}
	}
	if err := writeNew(keyPath, keyPEM, 0o600); err != nil {
		return err
	}
	if err := writeNew(certPath, certPEM, 0o644); err != nil {
		os.Remove(keyPath)
		return err
	}
	return nil
}

// writeNew creates path with mode perm (failing if it exists) and writes b.
func writeNew(path string, b []byte, perm os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return fmt.Errorf("tlsconf: %w", err)
	}
	_, err = f.Write(b)
	if serr := f.Sync(); err == nil {
		err = serr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("tlsconf: write %s: %w", path, err)
	}
	return nil
}

// ServerConfig loads a certificate and its key (PEM files) into a server
// configuration that accepts TLS 1.3 only.
func ServerConfig(certFile, keyFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("tlsconf: load certificate %s and key %s: %w", certFile, keyFile, err)
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS13,
	}, nil
}

// ClientConfig returns a TLS 1.3 client configuration that verifies the
// server's certificate against the CA certificates in caFile (PEM) and
// checks that it is valid for serverName (a host name or an IP address,
// usually the host part of -addr). An empty caFile means the system's
// roots.
func ClientConfig(caFile, serverName string) (*tls.Config, error) {
	cfg := &tls.Config{ServerName: serverName, MinVersion: tls.VersionTLS13}
	if caFile == "" {
		return cfg, nil
	}
	b, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("tlsconf: read CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("tlsconf: %s holds no PEM certificate", caFile)
	}
	cfg.RootCAs = pool
	return cfg, nil
}

// LooksLikeTLS reports whether the first bytes a client sent open a TLS
// handshake: a record of type 0x16 with a version from 3.1 (TLS 1.0, what
// clients put in the record of their first message) up. It needs three
// bytes to be certain; with fewer it judges by those it has.
func LooksLikeTLS(first []byte) bool {
	if len(first) == 0 || first[0] != 0x16 {
		return false
	}
	if len(first) >= 2 && first[1] != 0x03 {
		return false
	}
	return len(first) < 3 || first[2] >= 0x01
}

// Messages that each side shows when the two disagree about TLS.
const (
	// MsgTLSRequired is what a TLS server tells a plaintext client.
	MsgTLSRequired = "this server requires TLS (use -tls)"
	// MsgNoTLS is what a plaintext server tells a TLS client.
	MsgNoTLS = "this server does not speak TLS (drop -tls)"
)

// Errors returned by [Sniff], [Accept], [RefuseTLS] and [Client]; test for
// them with errors.Is.
var (
	// ErrPlainClient means a plaintext client reached a TLS server.
	ErrPlainClient = errors.New("client does not speak TLS")
	// ErrTLSClient means a TLS client reached a plaintext server.
	ErrTLSClient = errors.New("client speaks TLS but this server does not")
	// ErrServerNotTLS means a TLS client reached a plaintext server.
	ErrServerNotTLS = errors.New("server does not speak TLS (drop -tls)")
	// ErrServerNotTrusted means the server's certificate did not verify.
	ErrServerNotTrusted = errors.New("server certificate not trusted")
	// ErrPlainAnswer means the server answered a TLS client with a
	// plaintext reply other than a refusal of TLS, such as "server busy".
	// [Client] does not return it (it cannot read the server's protocol);
	// a client that decodes the bytes of a [NotTLSError] wraps it.
	ErrPlainAnswer = errors.New("the server answered without TLS")
)

// A Refuser answers a client that expects the other kind of connection,
// in the server's own protocol, with msg ([MsgTLSRequired] or [MsgNoTLS]).
type Refuser func(w io.Writer, msg string) error

// peekedConn is a connection whose first bytes were read ahead into r.
type peekedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *peekedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// NetConn returns the connection underneath, for a writer that hands a
// file to the kernel (sendfile). Reads must go through the peekedConn,
// which replays the bytes read ahead.
func (c *peekedConn) NetConn() net.Conn { return c.Conn }

// Sniff waits up to timeout for the client's first three bytes and reports
// whether they open a TLS handshake. The returned connection replays those
// bytes, so the caller goes on reading as if nothing had been taken. The
// read deadline is cleared before Sniff returns. A client that sends fewer
// than three bytes in time, or hangs up, gives an error. Call it in the
// connection's own goroutine, not in the accept loop.
func Sniff(conn net.Conn, timeout time.Duration) (net.Conn, bool, error) {
	r := bufio.NewReaderSize(conn, 16)
	if err := conn.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		return conn, false, err
	}
	first, err := r.Peek(3)
	conn.SetReadDeadline(time.Time{})
	if err != nil {
		return conn, false, fmt.Errorf("tlsconf: waiting for the client's first bytes: %w", err)
	}
	return &peekedConn{Conn: conn, r: r}, LooksLikeTLS(first), nil
}

// refuse answers conn with msg through r, under a write deadline, then
// closes it.
func refuse(conn net.Conn, r Refuser, msg string, timeout time.Duration) {
	conn.SetWriteDeadline(time.Now().Add(timeout))
	r(conn, msg)
	CloseAfterWrite(conn)
}

// Accept runs the server side of a new connection on a TLS server. If the
// client speaks TLS, Accept completes the handshake within timeout and
// returns the TLS connection. If it does not, Accept answers through r
// with [MsgTLSRequired] (so the client prints that one line), closes the
// connection and returns an error wrapping [ErrPlainClient]. On any error
// the connection is closed.
func Accept(conn net.Conn, cfg *tls.Config, timeout time.Duration, r Refuser) (*tls.Conn, error) {
	pc, isTLS, err := Sniff(conn, timeout)
	if err != nil {
		conn.Close()
		return nil, err
	}
	if !isTLS {
		refuse(conn, r, MsgTLSRequired, timeout)
		return nil, fmt.Errorf("tlsconf: %s: %w", conn.RemoteAddr(), ErrPlainClient)
	}
	tc := tls.Server(pc, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := tc.HandshakeContext(ctx); err != nil {
		conn.Close()
		return nil, fmt.Errorf("tlsconf: TLS handshake with %s: %w", conn.RemoteAddr(), err)
	}
	return tc, nil
}

// RefuseTLS runs on each new connection of a plaintext server. If the
// client opens with a TLS handshake, RefuseTLS answers through r with
// [MsgNoTLS] in the plaintext protocol (which the TLS client sees as a
// record that is not TLS, see [Client]), closes the connection and returns
// an error wrapping [ErrTLSClient]. Otherwise it returns the connection,
// first bytes intact.
func RefuseTLS(conn net.Conn, timeout time.Duration, r Refuser) (net.Conn, error) {
	pc, isTLS, err := Sniff(conn, timeout)
	if err != nil {
		conn.Close()
		return nil, err
	}
	if isTLS {
		refuse(conn, r, MsgNoTLS, timeout)
		return nil, fmt.Errorf("tlsconf: %s: %w", conn.RemoteAddr(), ErrTLSClient)
	}
	return pc, nil
}

// CloseAfterWrite closes conn so that what was written arrives: it sends
// FIN first, then closes. Closing a socket with unread input makes the
// kernel send an RST, which may destroy the reply before the client reads
// it, so the unread input is drained briefly first.
func CloseAfterWrite(conn net.Conn) {
	if cw, ok := conn.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
		conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		io.Copy(io.Discard, io.LimitReader(conn, 64<<10))
	}
	conn.Close()
}

// NotTLSError is the error of [Client] when the server answered with bytes
// that are not TLS. It matches [ErrServerNotTLS]; First holds the first
// bytes the server sent (up to 4 KiB), so that a client that knows the
// server's plaintext protocol can show what it said (a refusal of TLS, or
// "server busy").
type NotTLSError struct {
	First []byte
}

func (e *NotTLSError) Error() string        { return ErrServerNotTLS.Error() }
func (e *NotTLSError) Is(target error) bool { return target == ErrServerNotTLS }

// Client runs the client side of the TLS handshake on conn, bounded by ctx
// and by timeout, and returns the TLS connection. Its errors are those of
// [Explain]: one clear line for a server that does not speak TLS or whose
// certificate does not verify. A server that answered in plaintext gives a
// *[NotTLSError] with its first bytes. On error conn is closed.
func Client(ctx context.Context, conn net.Conn, cfg *tls.Config, timeout time.Duration) (*tls.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	rc := &recordingConn{Conn: conn}
	tc := tls.Client(rc, cfg)
	err := tc.HandshakeContext(ctx)
	rc.stop()
	if err == nil {
		return tc, nil
	}
	conn.Close()
	var rh tls.RecordHeaderError
	if errors.As(err, &rh) {
		return nil, &NotTLSError{First: rc.recorded()}
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("TLS handshake timed out after %v: is the server an ftpd with -tls-cert? (%w)", timeout, err)
	}
	return nil, Explain(err, cfg)
}

// recordLimit is how many of the server's first bytes a TLS client keeps,
// to show a plaintext reply if the server sent one.
const recordLimit = 4096

// recordingConn keeps a copy of the first bytes read during the handshake:
// crypto/tls reads ahead, so once it finds that they are not TLS they can
// no longer be read from the connection.
type recordingConn struct {
	net.Conn
	mu      sync.Mutex
	buf     []byte
	stopped bool
}

func (c *recordingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	if !c.stopped && len(c.buf) < recordLimit {
		c.buf = append(c.buf, p[:min(n, recordLimit-len(c.buf))]...)
	}
	c.mu.Unlock()
	return n, err
}

func (c *recordingConn) stop() {
	c.mu.Lock()
	c.stopped = true
	c.mu.Unlock()
}

func (c *recordingConn) recorded() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf
}

// Explain turns an error from a client's TLS handshake with cfg into one
// clear line:
//   - a reply that is not TLS (tls.RecordHeaderError) wraps [ErrServerNotTLS];
//   - the server hanging up or resetting during the handshake says that
//     the server may not speak TLS;
//   - a certificate that does not verify wraps [ErrServerNotTrusted] and
//     says why: expired (or not yet valid), made for another name, or not
//     vouched for by the CA given with -tls-ca (or, without -tls-ca, by any
//     authority the system trusts).
//
// Other errors are returned unchanged.
func Explain(err error, cfg *tls.Config) error {
	if err == nil {
		return nil
	}
	var rh tls.RecordHeaderError
	if errors.As(err, &rh) {
		return ErrServerNotTLS
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) {
		return fmt.Errorf("the server hung up during the TLS handshake: it may not speak TLS (drop -tls) or may be overloaded: %w", err)
	}
	if why := untrusted(err, cfg != nil && cfg.RootCAs != nil); why != "" {
		return fmt.Errorf("%w: %s", ErrServerNotTrusted, why)
	}
	return err
}

// untrusted says why the server's certificate did not verify, or "" if
// err is not about that.
func untrusted(err error, caGiven bool) string {
	var invalid x509.CertificateInvalidError
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var verify *tls.CertificateVerificationError
	switch {
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return fmt.Sprintf("it has expired or is not valid yet (%s); the server needs a new one (ftpd gencert)", invalid.Detail)
	case errors.As(err, &invalid):
		return fmt.Sprintf("it is not valid: %v", invalid)
	case errors.As(err, &unknown) && caGiven:
		return fmt.Sprintf("it is not signed by the CA given with -tls-ca (%v)", err)
	case errors.As(err, &unknown):
		return fmt.Sprintf("no authority this system trusts has signed it; if it is the server's own certificate (ftpd gencert), trust it with -tls-ca FILE (%v)", err)
	case errors.As(err, &host):
		return fmt.Sprintf("it is not valid for %q; connect with a name it holds or make a new one with ftpd gencert -host (%v)", host.Host, err)
	case errors.As(err, &verify):
		return err.Error()
	}
	return ""
}
