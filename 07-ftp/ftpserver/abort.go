package ftpserver

import (
	"bytes"
	"time"
)

// watchAbort reads the control connection while a transfer runs on dc, so
// that an ABOR sent in the middle of it (RFC 959, 4.1.3; clients send it
// after the Telnet IP and Synch bytes) stops the transfer at once: the
// data connection is reset, the transfer answers 426, and the ABOR itself
// then 226. Any other command is left where it is, to be answered after
// the transfer. The returned function stops the watch and reports whether
// the transfer was aborted; it must be called before the control
// connection is read again.
func (s *session) watchAbort(dc *dataConn) (stop func() bool) {
	done := make(chan bool, 1)
	c := s.c
	c.mu.Lock()
	nc := c.nc
	c.mu.Unlock()
	nc.SetReadDeadline(time.Time{})
	go func() {
		for n := 1; n <= MaxLine; n = c.br.Buffered() + 1 {
			if _, err := c.br.Peek(n); err != nil {
				break // stopped, or the connection failed: the loop sees it
			}
			b, _ := c.br.Peek(c.br.Buffered()) // all that has arrived
			i := bytes.IndexByte(b, '\n')
			if i < 0 {
				continue
			}
			if cmd, err := parseLine(b[:i+1]); err == nil && cmd.verb == "ABOR" {
				dc.abort()
				done <- true
				return
			}
			break
		}
		done <- false
	}()
	return func() bool {
		nc.SetReadDeadline(time.Now()) // wakes the Peek above
		return <-done
	}
}
