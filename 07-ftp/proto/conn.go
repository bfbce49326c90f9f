package proto

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/gosockets/tutorial/04-struct-framing/frame"
	"github.com/gosockets/tutorial/07-ftp/xfer"
)

// Conn is one end of a connection that speaks this protocol. It is the
// only code that reads or writes frames: the server reads requests and
// writes responses through it, the client the other way round.
//
// A Conn is not safe for concurrent use, except for [Conn.Interrupt] and
// [Conn.Close], which may be called from any goroutine.
type Conn struct {
	nc net.Conn
	br *bufio.Reader

	// ReadTimeout bounds each read: the wait for the next request or
	// reply, and each read of a body. Zero means none.
	ReadTimeout time.Duration
	// HeaderTimeout bounds a whole frame header once its first byte has
	// arrived: a peer that trickles a header a byte at a time does not
	// renew it. Zero means that only ReadTimeout applies.
	HeaderTimeout time.Duration
	// WriteTimeout bounds each write. Zero means none.
	WriteTimeout time.Duration

	body *bodyReader // the body of the last frame read, until consumed

	mu          sync.Mutex
	waiting     bool      // in ReadRequest, before the first byte of a frame
	header      time.Time // while a header is read: when it must be in
	limit       time.Time // no read or write goes past it; zero: none
	interrupted bool
	// armedR and armedW record that the Conn set a deadline on nc, which
	// it must then clear when none applies. A Conn with no timeouts of
	// its own leaves its caller's deadlines alone.
	armedR, armedW bool
}

// NewConn returns a Conn on nc.
func NewConn(nc net.Conn) *Conn {
	c := &Conn{nc: nc}
	c.br = bufio.NewReaderSize(&deadlineReader{c}, 64<<10)
	return c
}

// NetConn returns the connection underneath.
func (c *Conn) NetConn() net.Conn { return c.nc }

// Close closes the connection.
func (c *Conn) Close() error { return c.nc.Close() }

// Interrupt makes a wait for the next request end now, and every later one
// at once: [Conn.ReadRequest] then fails with an error matching
// os.ErrDeadlineExceeded. A request already being read, and its body, are
// not affected, so a transfer in progress can finish.
func (c *Conn) Interrupt() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.interrupted = true
	if c.waiting {
		c.nc.SetReadDeadline(time.Now())
		c.armedR = true
	}
}

// Interrupted reports whether [Conn.Interrupt] has been called.
func (c *Conn) Interrupted() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.interrupted
}

func (c *Conn) setWaiting(w bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waiting = w
}

// SetDeadline sets a deadline that no read or write goes past, whatever
// the timeouts say: a whole login must end by then, however the client
// paces its bytes. The zero time removes it.
func (c *Conn) SetDeadline(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.limit = t
}

// within returns the earlier of t and the Conn's deadline (zero means
// none); c.mu must be held.
func (c *Conn) within(t time.Time) time.Time {
	if !c.limit.IsZero() && (t.IsZero() || c.limit.Before(t)) {
		return c.limit
	}
	return t
}

// deadlineReader reads from the connection, setting the read deadline
// before each read: ReadTimeout from now, or the header's deadline while a
// header is read, never past the Conn's deadline.
type deadlineReader struct{ c *Conn }

func (r *deadlineReader) Read(p []byte) (int, error) {
	c := r.c
	c.mu.Lock()
	var d time.Time
	switch {
	case c.waiting && c.interrupted:
		d = time.Now()
	case !c.header.IsZero():
		d = c.header
	case c.ReadTimeout > 0:
		d = time.Now().Add(c.ReadTimeout)
	}
	if d = c.within(d); !d.IsZero() || c.armedR {
		c.nc.SetReadDeadline(d)
		c.armedR = !d.IsZero()
	}
	c.mu.Unlock()
	return c.nc.Read(p)
}

// deadlineWriter writes to the connection under WriteTimeout, never past
// the Conn's deadline.
type deadlineWriter struct {
	c    *Conn
	conn net.Conn
}

func (w deadlineWriter) arm() {
	c := w.c
	c.mu.Lock()
	defer c.mu.Unlock()
	var d time.Time
	if c.WriteTimeout > 0 {
		d = time.Now().Add(c.WriteTimeout)
	}
	if d = c.within(d); !d.IsZero() || c.armedW {
		w.conn.SetWriteDeadline(d)
		c.armedW = !d.IsZero()
	}
}

func (w deadlineWriter) Write(p []byte) (int, error) {
	w.arm()
	return w.conn.Write(p)
}

func (c *Conn) setHeader(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.header = t
}

// readFrame skips what is left of the previous frame's body, then reads
// the next frame's header.
func (c *Conn) readFrame(waiting bool) (frame.Header, error) {
	if c.body != nil {
		if _, err := io.Copy(io.Discard, c.body); err != nil {
			return frame.Header{}, err
		}
		c.body = nil
	}
	c.setWaiting(waiting)
	_, err := c.br.Peek(1)
	c.setWaiting(false)
	if err != nil {
		return frame.Header{}, err
	}
	if c.HeaderTimeout > 0 {
		c.setHeader(time.Now().Add(c.HeaderTimeout))
		defer c.setHeader(time.Time{})
	}
	h, err := frame.ReadHeader(c.br)
	if err != nil {
		return h, err
	}
	c.body = &bodyReader{r: h.Body(c.br), left: h.DataSize}
	return h, nil
}

// bodyReader is the body of a frame, counting what is left of it.
type bodyReader struct {
	r    io.Reader
	left int64
}

func (b *bodyReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.left -= int64(n)
	return n, err
}

// ReadRequest waits for the client's next request and returns it with a
// reader of its body (empty for most requests; the file bytes of an
// upload's data). A frame that breaks the framing is answered with a
// "request" failure (best effort) and returned as an error for which
// [Malformed] reports true; the connection cannot go on. A frame that is
// well formed but not a valid request gives an error wrapping
// [ErrBadRequest]; the caller may answer it and read the next request.
func (c *Conn) ReadRequest() (Request, io.Reader, error) {
	return c.readRequest(true)
}

// ReadFollowUp reads a request that continues the one being served (the
// data and the end of an upload) like [Conn.ReadRequest], except that
// [Conn.Interrupt] does not cut it short: a transfer in progress finishes.
func (c *Conn) ReadFollowUp() (Request, io.Reader, error) {
	return c.readRequest(false)
}

func (c *Conn) readRequest(waiting bool) (Request, io.Reader, error) {
	h, err := c.readFrame(waiting)
	if err != nil {
		if Malformed(err) {
			c.WriteResponse(Response{Code: CodeBadReq, Error: "malformed frame: " + err.Error()})
			return Request{}, nil, fmt.Errorf("malformed frame: %w", err)
		}
		return Request{}, nil, err
	}
	req, err := ParseRequest(h)
	return req, c.body, err
}

// ReadResponse reads the server's next reply and returns it with a reader
// of its body.
func (c *Conn) ReadResponse() (Response, io.Reader, error) {
	h, err := c.readFrame(false)
	if err != nil {
		return Response{}, nil, err
	}
	var resp Response
	if err := h.Decode(&resp); err != nil {
		return Response{}, nil, err
	}
	return resp, c.body, nil
}

// BodySize returns how many bytes of the last frame's body are still
// unread.
func (c *Conn) BodySize() int64 {
	if c.body == nil {
		return 0
	}
	return c.body.left
}

// Malformed reports whether err is a frame or request that breaks the
// protocol, as opposed to a connection that failed.
func Malformed(err error) bool {
	return errors.Is(err, frame.ErrNegativeLength) || errors.Is(err, frame.ErrHeaderTooLarge) ||
		errors.Is(err, frame.ErrBadHeader) || errors.Is(err, frame.ErrBadDataSize) || errors.Is(err, ErrBadRequest)
}

// WriteResponse writes resp as a frame with an empty body.
func (c *Conn) WriteResponse(resp Response) error {
	return frame.WriteBytes(deadlineWriter{c, c.nc}, resp, nil)
}

// WriteResponseBody writes resp with a small body, such as a SCRAM message.
func (c *Conn) WriteResponseBody(resp Response, body []byte) error {
	return frame.WriteBytes(deadlineWriter{c, c.nc}, resp, body)
}

// WriteRequest writes req as a frame with an empty body.
func (c *Conn) WriteRequest(req Request) error {
	return frame.WriteBytes(deadlineWriter{c, c.nc}, req, nil)
}

// WriteRequestBody writes req with a small body, such as a SCRAM message.
func (c *Conn) WriteRequestBody(req Request, body []byte) error {
	return frame.WriteBytes(deadlineWriter{c, c.nc}, req, body)
}

// StartData writes the header of resp, announcing a body of size bytes
// (a download), and returns the writer of that body. The caller must write
// exactly size bytes to it.
func (c *Conn) StartData(resp Response, size int64) (io.Writer, error) {
	return c.startBody(resp, size)
}

// StartUpload writes the header of req (an upload's data), announcing a
// body of size bytes, and returns the writer of that body. The caller must
// write exactly size bytes to it.
func (c *Conn) StartUpload(req Request, size int64) (io.Writer, error) {
	return c.startBody(req, size)
}

func (c *Conn) startBody(hdr any, size int64) (io.Writer, error) {
	w := &dataWriter{c: c}
	if err := frame.WriteHeader(w, hdr, size); err != nil {
		return nil, err
	}
	return w, nil
}

// dataWriter writes a data body, each write under its own deadline, so a
// peer that stops reading is dropped after WriteTimeout.
type dataWriter struct{ c *Conn }

func (w *dataWriter) Write(p []byte) (int, error) {
	return deadlineWriter{w.c, w.c.nc}.Write(p)
}

// ReadFrom copies r to the connection. On a plain TCP connection it hands
// the copy to the kernel (sendfile when r is a file or an
// *io.LimitedReader of one), a chunk at a time, each under its own write
// deadline: it looks through the wrappers of the connection (those with a
// NetConn method, such as an idle timer or the replay of sniffed bytes)
// for one that takes a ReadFrom of its own. A *tls.Conn has a NetConn
// method too, but its bytes must go through TLS: they are copied through a
// buffer of copyBuffer bytes.
func (w *dataWriter) ReadFrom(r io.Reader) (int64, error) {
	dst := kernelWriter(w.c.nc)
	rf, ok := dst.(io.ReaderFrom)
	if !ok {
		return io.CopyBuffer(onlyWriter{w}, r, make([]byte, copyBuffer))
	}
	return xfer.SendChunks(rf, r, deadlineWriter{w.c, dst}.arm)
}

// copyBuffer is the buffer of a copy that cannot go through the kernel
// (TLS): as large as the chunks of xfer.Copy.
const copyBuffer = 256 << 10

// kernelWriter returns the innermost connection under nc that a file can
// be handed to (a *net.TCPConn), or nc when there is none: a *tls.Conn,
// or a wrapper that does not say what it wraps.
func kernelWriter(nc net.Conn) net.Conn {
	for {
		if _, ok := nc.(*net.TCPConn); ok {
			return nc
		}
		if _, isTLS := nc.(*tls.Conn); isTLS {
			return nc
		}
		u, ok := nc.(interface{ NetConn() net.Conn })
		if !ok {
			return nc
		}
		nc = u.NetConn()
	}
}

// onlyWriter hides ReadFrom, so io.CopyBuffer uses the buffer it is given.
type onlyWriter struct{ io.Writer }

// Refuse writes a failed reply with code and msg to w: the answer to a
// connection that is refused before a Conn exists (a busy server, TLS on
// one side only).
func Refuse(w io.Writer, code, msg string) error {
	return frame.WriteBytes(w, Response{Code: code, Error: msg}, nil)
}

// RefuseTLS answers a client that expects TLS from a plaintext server, or
// the other way round, with msg; it has the shape of a tlsconf.Refuser.
func RefuseTLS(w io.Writer, msg string) error { return Refuse(w, CodeTLS, msg) }

// DecodeReply decodes b, the first bytes a server sent, as a failed reply
// and reports whether b holds one whole: what a TLS client shows when a
// plaintext server answered it ("server busy", or the refusal of TLS).
func DecodeReply(b []byte) (Response, bool) {
	h, err := frame.ReadHeader(bytes.NewReader(b))
	if err != nil {
		return Response{}, false
	}
	var r Response
	if h.Decode(&r) != nil || r.OK || r.Error == "" {
		return Response{}, false
	}
	return r, true
}
