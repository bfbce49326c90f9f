package rsh

import "time"

// Sizes and limits of the protocol.
const (
	// RawCommandSize is the most a raw (unframed) command can hold: the
	// server reads it with one read of this size, as the notes' recv(1024)
	// does. Longer raw commands are cut, and the rest is read as the next
	// command; send a framed request to avoid that.
	RawCommandSize = 1024
	// MaxCommandSize is the largest framed command the server accepts.
	MaxCommandSize = 64 << 10
	// DefaultTimeout is the time limit of a command when Server.Timeout is 0.
	DefaultTimeout = 30 * time.Second
	// DefaultMaxOutput is the output cap when Server.MaxOutput is 0.
	DefaultMaxOutput = 16 << 20
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
	// output, and then says why, for instance "time limit 30s exceeded".
	// Output written before the kill is still in the body, up to the cap.
	Killed string `json:"killed,omitempty"`
	// Error is set when the server could not run the command at all (a bad
	// request, a failure to start sh). The body is then empty.
	Error string `json:"error,omitempty"`
}
