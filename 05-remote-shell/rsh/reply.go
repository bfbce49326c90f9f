package rsh

import (
	"fmt"
	"io"
	"net"

	"github.com/gosockets/tutorial/04-struct-framing/frame"
)

// Reply is the header of the server's answer to one command. Its JSON form,
// together with data_size, is the frame header on the wire, for example
//
//	{"data_size":8,"exit_code":3,"status":"exit status 3","stderr_size":4,"stdout_size":4}
type Reply struct {
	// ExitCode is the command's exit code, or -1 if a signal ended it
	// (for instance because the server killed it).
	ExitCode int `json:"exit_code"`
	// Status describes how the command ended, as Go's os.ProcessState
	// prints it: "exit status 3", "signal: killed".
	Status string `json:"status,omitempty"`
	// StdoutSize and StderrSize are the lengths of the two parts of the
	// body, stdout first. Their sum is the frame's data_size.
	StdoutSize int64 `json:"stdout_size"`
	StderrSize int64 `json:"stderr_size"`
	// Killed is empty unless the server killed the command or cut its
	// output, and then says why, for instance "time limit 30s exceeded"
	// or KilledByShutdown. Output written before the kill is still in
	// the body, up to the cap.
	Killed string `json:"killed,omitempty"`
	// Error is set when the server did not run the command at all (a bad
	// request, a failure to start sh, ErrServerBusy). The body is then
	// empty.
	Error string `json:"error,omitempty"`
}

// sendReply writes out as one frame: the header, then stdout, then stderr,
// streamed from the spool files.
func sendReply(conn net.Conn, out *outcome) error {
	rep := Reply{
		ExitCode:   out.exitCode,
		Status:     out.status,
		StdoutSize: out.stdout.n,
		StderrSize: out.stderr.n,
		Killed:     out.killed,
	}
	size := out.stdout.n + out.stderr.n
	body := io.MultiReader(out.stdout.reader(), out.stderr.reader())
	return frame.Write(conn, rep, size, body)
}

// sendError tells the client that its command was not run.
func (s *Server) sendError(conn net.Conn, err error) error {
	if s.Unframed {
		_, werr := fmt.Fprintf(conn, "[rsh: %v]\n", err)
		return werr
	}
	return frame.WriteBytes(conn, Reply{ExitCode: -1, Error: err.Error()}, nil)
}
