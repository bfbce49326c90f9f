package ftpserver

import (
	"crypto/tls"
	"errors"
	"strings"
	"time"
)

// cmdAuth secures the control connection (RFC 4217, explicit FTP over
// TLS): "234", then a TLS handshake on the same connection. A client that
// sent more bytes after AUTH TLS, before the handshake, is closed: those
// bytes came in clear and would be taken for commands sent under TLS (the
// STARTTLS injection attack).
func (s *session) cmdAuth(arg string) error {
	switch {
	case s.srv.TLS == nil:
		return s.reply(502, "TLS is not configured on this server (ftpd -tls-cert)")
	case s.tls:
		return s.reply(503, "the control connection is already secured")
	case !strings.EqualFold(arg, "TLS") && !strings.EqualFold(arg, "TLS-C") && !strings.EqualFold(arg, "SSL"):
		return s.reply(504, "AUTH "+arg+": only AUTH TLS is offered")
	}
	if s.c.br.Buffered() > 0 {
		s.reply(503, "commands sent after AUTH TLS before the handshake; closing")
		return errors.New("bytes pipelined after AUTH TLS")
	}
	if err := s.reply(234, "AUTH TLS ok; start the handshake"); err != nil {
		return err
	}
	tc := tls.Server(s.c.nc, s.srv.TLS)
	s.c.mu.Lock()
	d := s.c.within(orDefault(s.srv.LineTimeout, 10*time.Second))
	s.c.mu.Unlock()
	tc.SetDeadline(d)
	if err := tc.Handshake(); err != nil {
		s.log.Info("TLS handshake failed", "err", err)
		return err
	}
	tc.SetDeadline(time.Time{})
	s.c.use(tc)
	s.tls = true
	s.log.Info("control connection secured", "version", tls.VersionName(tc.ConnectionState().Version))
	return nil
}

// cmdPbsz answers PBSZ: TLS has no buffer size to agree on, so it is 0.
func (s *session) cmdPbsz(string) error {
	if !s.tls {
		return s.reply(503, "send AUTH TLS first")
	}
	s.pbsz = true
	return s.reply(200, "PBSZ=0")
}

// cmdProt sets the protection of data connections: C (clear) or P
// (private, TLS). On a server with TLS, clear data connections are
// refused.
func (s *session) cmdProt(arg string) error {
	if !s.tls {
		return s.reply(503, "send AUTH TLS first")
	}
	if !s.pbsz {
		return s.reply(503, "send PBSZ 0 first")
	}
	switch strings.ToUpper(arg) {
	case "P":
		s.prot = 'P'
		return s.reply(200, "PROT P: data connections use TLS")
	case "C":
		return s.reply(534, "PROT C refused: data connections must use TLS on this server")
	}
	return s.reply(504, "PROT "+arg+": only P is offered")
}
