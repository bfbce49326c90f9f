package ftpserver

import (
	"bytes"
	"errors"
	"strings"
)

// MaxLine is the longest command line a client may send, CRLF included.
// A longer line is refused and the connection closed: there is no telling
// where the next command would start.
const MaxLine = 4096

// Telnet bytes that clients put on the control connection (RFC 959 says it
// speaks the Telnet protocol): IAC introduces a command; IAC IAC is a
// literal 0xFF. Clients send IAC IP IAC DM before ABOR.
const (
	iac  = 0xFF
	will = 0xFB // WILL, WONT, DO and DONT take one option byte more
	dont = 0xFE
)

// Errors of parseLine. The words are what the client is told after 501.
var (
	errEmpty    = errors.New("empty command line")
	errVerb     = errors.New("a command is 3 or 4 letters")
	errControl  = errors.New("control characters are not allowed in an argument")
	errNoCRLF   = errors.New("command line does not end with CRLF")
	errTooLong  = errors.New("command line over 4096 bytes")
	errBadTelne = errors.New("malformed Telnet sequence")
)

// command is one parsed command line: the verb in upper case, and its
// argument as sent (spaces inside it kept, for file names that have
// them).
type command struct {
	verb, arg string
}

// parseLine parses one control line, which must end with "\n" (RFC 959
// says "\r\n"; a bare "\n" is accepted, as every server does). Telnet
// commands are removed first. The verb is 3 or 4 ASCII letters; one space
// separates it from the argument. An argument must not hold control
// characters (a NUL, a lone CR): they cannot be part of a path this
// server serves.
func parseLine(line []byte) (command, error) {
	if len(line) > MaxLine {
		return command{}, errTooLong
	}
	if len(line) == 0 || line[len(line)-1] != '\n' {
		return command{}, errNoCRLF
	}
	line = line[:len(line)-1]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	b, err := stripTelnet(line)
	if err != nil {
		return command{}, err
	}
	if len(b) == 0 {
		return command{}, errEmpty
	}
	verb, arg, _ := strings.Cut(string(b), " ")
	if len(verb) < 3 || len(verb) > 4 {
		return command{}, errVerb
	}
	for i := 0; i < len(verb); i++ {
		if c := verb[i] | 0x20; c < 'a' || c > 'z' {
			return command{}, errVerb
		}
	}
	for i := 0; i < len(arg); i++ {
		if arg[i] < 0x20 || arg[i] == 0x7F {
			return command{}, errControl
		}
	}
	return command{verb: strings.ToUpper(verb), arg: arg}, nil
}

// stripTelnet removes Telnet commands from b: IAC IAC stands for 0xFF,
// IAC WILL/WONT/DO/DONT and their option go, any other IAC and the byte
// after it go. It returns b itself when there is no IAC.
func stripTelnet(b []byte) ([]byte, error) {
	if bytes.IndexByte(b, iac) < 0 {
		return b, nil
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] != iac {
			out = append(out, b[i])
			continue
		}
		if i+1 >= len(b) {
			return nil, errBadTelne
		}
		i++
		switch c := b[i]; {
		case c == iac:
			out = append(out, iac)
		case c >= will && c <= dont:
			if i+1 >= len(b) {
				return nil, errBadTelne
			}
			i++
		}
	}
	return out, nil
}
