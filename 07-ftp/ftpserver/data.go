package ftpserver

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"time"

	"github.com/gosockets/tutorial/07-ftp/xfer"
)

// passive is the listener a PASV or EPSV opened for the next transfer.
type passive struct {
	ln   *net.TCPListener
	port int
	// ranged: the port is one of Server.PasvPorts, to give back.
	ranged bool
}

// closePassive closes the passive listener, if there is one.
func (s *session) closePassive() {
	if s.pasv == nil {
		return
	}
	s.pasv.ln.Close()
	if s.pasv.ranged {
		s.srv.releasePort(s.pasv.port)
	}
	s.pasv = nil
}

// listenPassive opens a listener for a data connection on the address the
// client reached the server at, on a port of the range or one the kernel
// picks.
func (s *session) listenPassive() error {
	s.closePassive()
	local, ok := s.c.nc.LocalAddr().(*net.TCPAddr)
	if !ok {
		return fmt.Errorf("the control connection is not TCP (%s)", s.c.nc.LocalAddr().Network())
	}
	r := s.srv.PasvPorts
	if r.Low == 0 {
		ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: local.IP})
		if err != nil {
			return err
		}
		s.pasv = &passive{ln: ln, port: ln.Addr().(*net.TCPAddr).Port}
		return nil
	}
	n := r.High - r.Low + 1
	start := rand.IntN(n)
	for i := range n {
		port := r.Low + (start+i)%n
		if !s.srv.takePort(port) {
			continue
		}
		ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: local.IP, Port: port})
		if err != nil { // taken by another program
			s.srv.releasePort(port)
			continue
		}
		s.pasv = &passive{ln: ln, port: port, ranged: true}
		return nil
	}
	return fmt.Errorf("all %d passive ports (%s) are in use", n, r)
}

func (s *Server) takePort(p int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ports[p] {
		return false
	}
	s.ports[p] = true
	return true
}

func (s *Server) releasePort(p int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.ports, p)
}

// cmdPasv opens a passive listener and names it in RFC 959's form,
// "227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)", which holds an IPv4
// address only.
func (s *session) cmdPasv(string) error {
	var ip net.IP
	if a, ok := s.c.nc.LocalAddr().(*net.TCPAddr); ok {
		ip = a.IP.To4()
	}
	if ip == nil {
		return s.reply(425, "PASV names IPv4 addresses only; use EPSV")
	}
	if err := s.listenPassive(); err != nil {
		s.log.Warn("cannot open a passive port", "err", err)
		return s.reply(425, "cannot open a passive port: "+err.Error())
	}
	p := s.pasv.port
	return s.reply(227, fmt.Sprintf("Entering Passive Mode (%d,%d,%d,%d,%d,%d)", ip[0], ip[1], ip[2], ip[3], p>>8, p&0xFF))
}

// cmdEpsv opens a passive listener and names its port only (RFC 2428):
// the client connects to the address it already reaches the server at.
func (s *session) cmdEpsv(arg string) error {
	switch arg {
	case "", "1", "2":
	case "ALL", "all":
		return s.reply(200, "EPSV ALL ok")
	default:
		return s.reply(522, "network protocol not supported, use (1,2)")
	}
	if err := s.listenPassive(); err != nil {
		s.log.Warn("cannot open a passive port", "err", err)
		return s.reply(425, "cannot open a passive port: "+err.Error())
	}
	return s.reply(229, fmt.Sprintf("Entering Extended Passive Mode (|||%d|)", s.pasv.port))
}

// errNoPassive: a transfer command came without PASV or EPSV first.
var errNoPassive = errors.New("use PASV or EPSV first")

// dataReady checks, before a transfer touches any file, that a data
// connection can follow: PASV or EPSV came first, and PROT P on a server
// with TLS. If not, it answers the client (425 or 521) and returns false.
func (s *session) dataReady() (bool, error) {
	if s.pasv == nil {
		return false, s.reply(425, errNoPassive.Error())
	}
	if s.srv.TLS != nil && s.prot != 'P' {
		s.closePassive()
		return false, s.reply(521, "this server requires PROT P (TLS on data connections) before a transfer")
	}
	return true, nil
}

// openData replies with a 150 preliminary reply and takes the client's
// data connection on the passive listener, which it then closes. A
// connection from another address than the control connection's is
// closed at once and logged (someone else racing for the port), and the
// wait goes on for the client's own until DataTimeout. Under PROT P the
// data connection is secured with TLS.
func (s *session) openData(what string) (*dataConn, error) {
	if ok, err := s.dataReady(); !ok {
		return nil, err
	}
	if err := s.reply(150, what); err != nil {
		return nil, err
	}
	ln := s.pasv.ln
	defer s.closePassive()
	timeout := orDefault(s.srv.DataTimeout, 30*time.Second)
	ln.SetDeadline(time.Now().Add(timeout))
	for {
		conn, err := ln.AcceptTCP()
		if err != nil {
			s.log.Info("no data connection", "err", err)
			return nil, s.reply(425, "the data connection did not open")
		}
		if remoteHost(conn.RemoteAddr().String()) != s.host {
			s.log.Warn("data connection refused: not from the client's address", "from", conn.RemoteAddr().String(), "client", s.host)
			conn.SetLinger(0)
			conn.Close()
			continue
		}
		dc := &dataConn{Conn: conn, tcp: conn, timeout: timeout, write: orDefault(s.srv.WriteTimeout, time.Minute), srv: s.srv}
		s.srv.trackData(conn, true)
		if s.prot == 'P' {
			if err := dc.secure(s.srv.TLS); err != nil {
				s.log.Info("data connection TLS handshake failed", "err", err)
				dc.abort()
				return nil, s.reply(425, "TLS on the data connection failed: "+err.Error())
			}
		}
		return dc, nil
	}
}

// dataConn is one data connection: each read and write under its own
// deadline, and, on plain TCP, file bytes handed to the kernel
// (sendfile) a chunk at a time.
type dataConn struct {
	net.Conn              // the TCP connection, or TLS over it
	tcp      *net.TCPConn // the TCP connection underneath
	timeout  time.Duration
	write    time.Duration
	srv      *Server
}

func (d *dataConn) secure(cfg *tls.Config) error {
	tc := tls.Server(d.tcp, cfg)
	tc.SetDeadline(time.Now().Add(d.timeout))
	if err := tc.Handshake(); err != nil {
		return err
	}
	tc.SetDeadline(time.Time{})
	d.Conn = tc
	return nil
}

func (d *dataConn) isTLS() bool { _, ok := d.Conn.(*tls.Conn); return ok }

// Read reads what the client uploads; a client that sends nothing for
// DataTimeout is dropped.
func (d *dataConn) Read(p []byte) (int, error) {
	d.Conn.SetReadDeadline(time.Now().Add(d.timeout))
	return d.Conn.Read(p)
}

// Write writes to the client; a client that reads nothing for
// WriteTimeout is dropped.
func (d *dataConn) Write(p []byte) (int, error) {
	d.Conn.SetWriteDeadline(time.Now().Add(d.write))
	return d.Conn.Write(p)
}

// ReadFrom copies r to the client: through the kernel on plain TCP (see
// [store.Download.Send]), through TLS otherwise.
func (d *dataConn) ReadFrom(r io.Reader) (int64, error) {
	if d.isTLS() {
		return io.Copy(onlyWriter{d}, r)
	}
	return xfer.SendChunks(d.tcp, r, func() { d.tcp.SetWriteDeadline(time.Now().Add(d.write)) })
}

// onlyWriter hides ReadFrom, so io.Copy uses its own buffer.
type onlyWriter struct{ io.Writer }

// finish ends a data connection whose transfer went well, so that the
// client sees a clean end: on TLS a close_notify alert first (Python's
// ftplib waits for it), then FIN; then it waits briefly for the client to
// close its side, so that closing does not reset what is still in
// flight. (After an upload the client may have closed already: nothing
// is lost then, and there is nothing to report.)
func (d *dataConn) finish() {
	if tc, ok := d.Conn.(*tls.Conn); ok {
		tc.SetWriteDeadline(time.Now().Add(d.write))
		tc.CloseWrite() // close_notify
	}
	d.tcp.CloseWrite()
	d.Conn.SetReadDeadline(time.Now().Add(time.Second))
	io.Copy(io.Discard, io.LimitReader(d.Conn, 64<<10))
	d.close()
}

// abort ends a data connection at once, with a reset.
func (d *dataConn) abort() {
	d.tcp.SetLinger(0)
	d.close()
}

func (d *dataConn) close() {
	d.srv.trackData(d.tcp, false)
	d.tcp.Close()
}
