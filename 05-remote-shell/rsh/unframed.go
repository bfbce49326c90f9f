package rsh

import (
	"fmt"
	"io"
	"log/slog"
	"net"
)

// This file holds the note's unframed protocol (Server.Unframed): raw
// output, no header, so a reply longer than the client's one read spills
// into the next (claim R2).

// readResult records one read call: the bytes it returned and its error.
type readResult struct {
	Data []byte
	Err  error
}

// sendUnframed sends out the way the note's unframed server does: stdout,
// then stderr, then the result of the second reads, which is empty.
func (s *Server) sendUnframed(log *slog.Logger, conn net.Conn, out *outcome) error {
	if _, err := io.Copy(conn, out.stdout.reader()); err != nil {
		return err
	}
	if _, err := io.Copy(conn, out.stderr.reader()); err != nil {
		return err
	}
	// The note's third send: conn.send(cmd_res), where cmd_res is what the
	// second read of stderr returned or, if that was empty, the second read
	// of stdout. Both pipes were drained, so it is empty, and a zero-byte
	// write on TCP puts nothing on the wire.
	log.Info("note's extra reads of the drained pipes",
		"stderr_bytes", len(out.secondStderr.Data), "stderr_err", fmt.Sprint(out.secondStderr.Err),
		"stdout_bytes", len(out.secondStdout.Data), "stdout_err", fmt.Sprint(out.secondStdout.Err))
	third := out.secondStderr.Data
	if len(third) == 0 {
		third = out.secondStdout.Data
	}
	if _, err := conn.Write(third); err != nil {
		return err
	}
	if out.killed != "" {
		// No header to carry the reason, so it goes in the text.
		_, err := fmt.Fprintf(conn, "\n[rsh: command killed: %s]\n", out.killed)
		return err
	}
	return nil
}

// readDrainedAgain repeats what the note's unframed server does after it has
// sent stdout and stderr: err = res.stderr.read(), and if that is empty,
// res.stdout.read(). Both pipes are already read to the end, so each read
// returns 0 bytes and io.EOF: the note's third send has nothing to send.
func readDrainedAgain(stdout, stderr io.Reader) (errRead, outRead readResult) {
	buf := make([]byte, RawCommandSize)
	n, err := stderr.Read(buf)
	errRead = readResult{buf[:n], err}
	if n == 0 {
		buf = make([]byte, RawCommandSize)
		n, err = stdout.Read(buf)
		outRead = readResult{buf[:n], err}
	}
	return errRead, outRead
}
