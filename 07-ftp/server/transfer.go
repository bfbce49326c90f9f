package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/gosockets/tutorial/07-ftp/proto"
	"github.com/gosockets/tutorial/07-ftp/store"
)

// put receives an upload:
//
//	C: put {path, size}      S: {ok, offset, sha256 of the part's bytes}
//	C: data {offset} + bytes
//	C: end {sha256}          S: {ok, size, sha256}
//
// The storage core reserves the size against the quota before any data
// flows, writes into a part file, and stores the file only if its SHA-256
// is the client's. If the upload is interrupted (the connection breaks,
// the disk fills up) its part file stays for the next put to resume; if
// it fails for any other reason (checksum, size, quota, a malformed frame)
// the part is removed.
func (s *session) put(req proto.Request) error {
	up, err := s.beginPut(req)
	if up == nil {
		return err
	}
	defer s.keep(up, req.Size) // unless committed or aborted
	if err := s.reply(proto.Response{OK: true, Path: up.Path(), Offset: up.Offset(), SHA256: up.PrefixSum(), Discarded: up.Discarded()}); err != nil {
		return err
	}
	start := time.Now()
	body, err := s.awaitData(req, up)
	if err != nil {
		return err
	}
	n, werr := up.ReadFrom(body)
	var readErr *store.ReadError
	switch {
	case errors.As(werr, &readErr):
		return fmt.Errorf("put %s: connection failed after %d bytes: %w", up.Path(), n, readErr.Err)
	case errors.Is(werr, store.ErrQuota):
		// The client sent more than it announced: stop it at the limit.
		// The rest of its data is not read, so the session cannot go on.
		up.Abort()
		s.fail("put", req.Path, werr)
		return fmt.Errorf("put %s: %w", up.Path(), werr)
	}
	streamed := time.Since(start)
	end, err := s.awaitEnd(req, up) // skips what is left of the data
	if err != nil {
		return err
	}
	if werr != nil {
		// The disk is full, or failing: what was written stays in the
		// part file for a resume once there is room.
		s.keep(up, req.Size)
		return s.fail("put", req.Path, werr)
	}
	return s.commit(req, up, end, n, start, streamed)
}

// beginPut starts the upload of a put request, waiting a moment for
// another session's upload of the same file to end. If it cannot start, it
// answers the client and returns a nil upload.
func (s *session) beginPut(req proto.Request) (*store.Upload, error) {
	v, err := s.resolve(req.Path)
	if err != nil {
		return nil, s.fail("put", req.Path, err)
	}
	mode := store.Resume
	if req.Fresh {
		mode = store.Fresh
	}
	wait := s.srv.BusyWait
	if wait <= 0 {
		wait = 3 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	up, err := s.home.BeginUpload(ctx, v, store.UploadOptions{Size: req.Size, Mode: mode})
	if err != nil {
		return nil, s.fail("put", req.Path, err)
	}
	if up.Discarded() > 0 {
		s.log.Info("put: part file discarded", "path", v, "bytes", up.Discarded(), "fresh", req.Fresh, "size", req.Size)
	}
	return up, nil
}

// awaitData reads the data request that follows a put's reply. Its offset
// is the one offered, or zero when the client's file is not the one the
// part came from (the part is then emptied). Anything else ends the
// session; the part stays unless the frame broke the protocol.
func (s *session) awaitData(req proto.Request, up *store.Upload) (io.Reader, error) {
	dreq, body, err := s.pc.ReadFollowUp()
	if err != nil {
		if proto.Malformed(err) {
			up.Abort()
		}
		return nil, fmt.Errorf("put %s: reading data: %w", up.Path(), err)
	}
	if dreq.Op != proto.OpData {
		s.keep(up, req.Size)
		s.reply(proto.Response{Code: proto.CodeBadReq, Error: fmt.Sprintf("put %s: expected data, got %s", req.Path, dreq.Op)})
		return nil, fmt.Errorf("put %s: expected data, got %s", up.Path(), dreq.Op)
	}
	switch have := up.Offset(); dreq.Offset {
	case have:
	case 0:
		if err := up.Restart(); err != nil {
			up.Abort()
			return nil, fmt.Errorf("put %s: truncating part: %w", up.Path(), err)
		}
		s.log.Info("put: part file discarded, the client's file differs", "path", up.Path(), "bytes", have)
	default:
		s.keep(up, req.Size)
		s.reply(proto.Response{Code: proto.CodeBadReq, Error: fmt.Sprintf(
			"put %s: data must start at offset %d or 0, not %d", req.Path, have, dreq.Offset)})
		return nil, fmt.Errorf("put %s: data at offset %d, offered %d", up.Path(), dreq.Offset, have)
	}
	return body, nil
}

// awaitEnd reads the end request that follows an upload's data.
func (s *session) awaitEnd(req proto.Request, up *store.Upload) (proto.Request, error) {
	end, _, err := s.pc.ReadFollowUp()
	if err != nil {
		if proto.Malformed(err) {
			up.Abort()
		}
		return end, fmt.Errorf("put %s: reading end: %w", up.Path(), err)
	}
	if end.Op != proto.OpEnd {
		up.Abort()
		s.reply(proto.Response{Code: proto.CodeBadReq, Error: fmt.Sprintf("put %s: expected end, got %s", req.Path, end.Op)})
		return end, fmt.Errorf("put %s: expected end, got %s", up.Path(), end.Op)
	}
	return end, nil
}

// commit stores an upload whose data and end have arrived.
func (s *session) commit(req proto.Request, up *store.Upload, end proto.Request, sent int64, start time.Time, streamed time.Duration) error {
	c, err := up.Commit(end.SHA256)
	if errors.Is(err, store.ErrChecksum) {
		s.log.Warn("put checksum mismatch", "path", up.Path(), "err", err)
	}
	if err != nil {
		return s.fail("put", req.Path, err)
	}
	s.log.Info("put", "path", up.Path(), "bytes", c.Size, "sent", sent, "resumed_at", up.Offset(), "sha256", c.SHA256,
		"took", time.Since(start).Round(time.Millisecond), "streaming", streamed.Round(time.Millisecond), "fsync", c.Fsync.Round(time.Millisecond))
	return s.reply(proto.Response{OK: true, Path: up.Path(), Size: c.Size, SHA256: c.SHA256})
}

// keep ends an upload that was neither committed nor aborted: its part
// stays for a resume.
func (s *session) keep(up *store.Upload, size int64) {
	if n := up.Keep(); n > 0 {
		s.log.Info("put interrupted: part file kept for resume", "path", up.Path(), "bytes", n, "of", size)
	}
}

// get sends a regular file:
//
//	C: get {path[, offset, sha256 of the client's first offset bytes]}
//	S: {ok, size, offset} + the bytes from offset on
//	S: end {sha256 of the whole file}
//
// A resumed get continues from the client's offset only if the client's
// bytes hash like the server's first bytes; otherwise the whole file is
// sent.
func (s *session) get(req proto.Request) error {
	v, err := s.resolve(req.Path)
	var dl *store.Download
	if err == nil {
		dl, err = s.home.BeginDownload(v)
	}
	if err != nil {
		return s.fail("get", req.Path, err)
	}
	defer dl.Close()
	if req.Offset > 0 && req.SHA256 == "" {
		return s.reply(proto.Response{Code: proto.CodeBadReq, Error: fmt.Sprintf(
			"get %s: an offset needs the sha256 of your first %d bytes", req.Path, req.Offset)})
	}
	start := time.Now()
	off, err := dl.Resume(req.Offset, req.SHA256)
	if err != nil {
		return s.fail("get", req.Path, err)
	}
	var discarded int64
	if req.Offset > 0 && off == 0 {
		discarded = req.Offset
		s.log.Info("get: the client's part file differs; sending the whole file", "path", v, "client_bytes", req.Offset, "size", dl.Size())
	}
	w, err := s.pc.StartData(proto.Response{OK: true, Path: v, Size: dl.Size(), Offset: off, Discarded: discarded}, dl.Size()-off)
	if err != nil {
		return err
	}
	n, sum, err := dl.Send(w, off)
	if err != nil {
		// The reply promised more bytes than were sent: end the session.
		return fmt.Errorf("get %s: %w", v, err)
	}
	_, cached := dl.Sum()
	s.log.Info("get", "path", v, "bytes", n, "resumed_at", off, "sha256", sum, "cached_sum", cached, "took", time.Since(start).Round(time.Millisecond))
	return s.reply(proto.Response{OK: true, Op: proto.OpEnd, SHA256: sum})
}
