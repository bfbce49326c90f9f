package echo

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"syscall"
)

func (s *Server) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

// logLeft logs why the conversation with a client ended: err is what ended
// it.
func (s *Server) logLeft(log *slog.Logger, err error) {
	const msg = "client left"
	var rerr *replyError
	switch {
	case s.shuttingDown():
		log.Info(msg, "reason", "server closing")
	case errors.Is(err, io.EOF):
		log.Info(msg, "reason", "closed by client")
	case errors.Is(err, syscall.ECONNRESET):
		log.Info(msg, "reason", "reset by client")
	case errors.Is(err, os.ErrDeadlineExceeded):
		log.Info(msg, "reason", "idle", "idle", s.IdleTimeout)
	case errors.Is(err, ErrOperatorGone):
		log.Info(msg, "reason", "operator input ended")
	case errors.As(err, &rerr):
		log.Warn(msg, "reason", "reply failed", "err", rerr.err)
	default:
		log.Warn(msg, "reason", "error", "err", err)
	}
}
