package rsh

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/gosockets/tutorial/04-struct-framing/frame"
)

// errBadRequest marks a request the server will not run. After the error
// reply the connection goes on if the request was read to its end (a
// *refusedError) and is closed otherwise, because the stream can no longer
// be trusted.
var errBadRequest = errors.New("bad request")

// refusedError is a well-formed request that the server refuses. It was read
// to its end, so the connection goes on with the next request.
type refusedError struct{ reason string }

func (e *refusedError) Error() string        { return "bad request: " + e.reason }
func (e *refusedError) Is(target error) bool { return target == errBadRequest }

var (
	errTooLong  = &refusedError{fmt.Sprintf("command longer than %d bytes", MaxCommandSize)}
	errZeroByte = &refusedError{"command holds a zero byte"}
)

// readCommand reads the next command in either form (see the package doc).
// It returns io.EOF when the client has left between commands.
func (s *Server) readCommand(br *bufio.Reader) (cmd []byte, framed bool, err error) {
	if _, err := br.Peek(1); err != nil {
		return nil, false, err
	}
	head, _ := br.Peek(min(br.Buffered(), frame.PrefixSize))
	if s.Unframed || !looksFramed(head) {
		// The note's way: whatever one recv(1024) returns is the command.
		buf := make([]byte, RawCommandSize)
		n, err := br.Read(buf)
		return buf[:n], false, err
	}
	h, err := frame.ReadHeader(br)
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, true, io.EOF
		}
		return nil, true, fmt.Errorf("%w: %w", errBadRequest, err)
	}
	body := h.Body(br)
	if h.DataSize > MaxCommandSize {
		if _, err := io.Copy(io.Discard, body); err != nil {
			return nil, true, io.EOF
		}
		return nil, true, errTooLong
	}
	cmd = make([]byte, h.DataSize)
	if _, err := io.ReadFull(body, cmd); err != nil {
		return nil, true, io.EOF
	}
	if bytes.IndexByte(cmd, 0) >= 0 {
		return nil, true, errZeroByte
	}
	return cmd, true, nil
}

// looksFramed reports whether the first bytes of a request, as far as they
// have arrived, are a frame's length prefix rather than a raw command. A
// prefix of at most 64 KiB always has a zero fourth byte; a raw command never
// holds a zero byte.
func looksFramed(head []byte) bool {
	if len(head) >= frame.PrefixSize {
		return head[3] == 0
	}
	return bytes.IndexByte(head, 0) >= 0
}
