//go:build !unix

package socketserver

import "net"

// rawReader is the portable fallback: it reads with conn.Read into a pooled
// buffer, which it holds while Read blocks.
type rawReader struct{ conn net.Conn }

func newRawReader(conn net.Conn) rawReader { return rawReader{conn: conn} }

func (r rawReader) read() (*[]byte, int, error) { return readPlain(r.conn) }
