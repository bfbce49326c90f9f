package proto

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// A listing is streamed: the reply to ls says ok with no body, then
// frames with Op "entries" carry the entries as JSON lines, at most
// ListFrame bytes each, and a last frame with Op "end" gives their count
// in Size (or a failure, if the directory could not be read to its end).
// Each side holds one frame of it at a time, whatever the directory size.
const (
	OpEntries = "entries"
	// ListFrame is the most bytes of entries one frame carries.
	ListFrame = 32 << 10
)

// ListWriter writes the entries of a listing in frames.
type ListWriter struct {
	c   *Conn
	buf bytes.Buffer
	enc *json.Encoder
	n   int64
}

// StartList writes resp, the reply to ls, and returns the writer of its
// entries.
func (c *Conn) StartList(resp Response) (*ListWriter, error) {
	if err := c.WriteResponse(resp); err != nil {
		return nil, err
	}
	w := &ListWriter{c: c}
	w.enc = json.NewEncoder(&w.buf)
	return w, nil
}

// Add adds one entry, writing a frame once ListFrame bytes are waiting.
func (w *ListWriter) Add(e Entry) error {
	if err := w.enc.Encode(e); err != nil {
		return err
	}
	w.n++
	if w.buf.Len() >= ListFrame {
		return w.flush()
	}
	return nil
}

func (w *ListWriter) flush() error {
	if w.buf.Len() == 0 {
		return nil
	}
	err := w.c.WriteResponseBody(Response{OK: true, Op: OpEntries}, w.buf.Bytes())
	w.buf.Reset()
	return err
}

// Close writes the entries still waiting and the end of the listing.
func (w *ListWriter) Close() error {
	if err := w.flush(); err != nil {
		return err
	}
	return w.c.WriteResponse(Response{OK: true, Op: OpEnd, Size: w.n})
}

// Fail ends the listing with a failure instead (what was sent stands).
func (w *ListWriter) Fail(resp Response) error {
	if err := w.flush(); err != nil {
		return err
	}
	return w.c.WriteResponse(resp)
}

// ReadList reads the entries of a listing whose reply said ok, and calls
// fn with each. If fn returns an error, the rest of the listing is read
// and dropped (so the session stays in step) and that error is returned.
// A listing that ended with a failure returns it as an *Error.
func (c *Conn) ReadList(fn func(Entry) error) error {
	var stop error
	for {
		resp, body, err := c.ReadResponse()
		if err != nil {
			return err
		}
		switch {
		case !resp.OK:
			return resp.Err()
		case resp.Op == OpEnd:
			return stop
		case resp.Op != OpEntries:
			return fmt.Errorf("%w: unexpected %q frame in a listing", ErrBadReply, resp.Op)
		}
		if c.BodySize() > ListFrame+MaxEntry {
			return fmt.Errorf("%w: listing frame of %d bytes", ErrBadReply, c.BodySize())
		}
		dec := json.NewDecoder(body)
		for {
			var e Entry
			err := dec.Decode(&e)
			if err == io.EOF {
				break
			}
			if err != nil {
				return fmt.Errorf("%w: bad listing: %v", ErrBadReply, err)
			}
			if stop == nil {
				stop = fn(e)
			}
		}
	}
}

// MaxEntry bounds the JSON of one entry (a 255-byte name, escaped).
const MaxEntry = 4 << 10

// ErrBadReply is wrapped by the error of a reply that breaks the
// protocol; the connection cannot go on.
var ErrBadReply = errors.New("bad reply from server")
