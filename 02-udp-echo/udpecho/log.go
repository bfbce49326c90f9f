package udpecho

import "log/slog"

func (s *Server) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

// previewLen is how many bytes of a datagram the log shows.
const previewLen = 64

// preview returns the start of msg for the log. The slog handlers quote or
// escape any bytes that are not printable, so the log stays readable
// whatever a client sends.
func preview(msg []byte) string {
	if len(msg) <= previewLen {
		return string(msg)
	}
	return string(msg[:previewLen]) + "..."
}
