package main

import (
	"bufio"
	"io"
	"strings"
)

// line is one line of input: its text without the line ending, cut after
// limit+1 bytes, and its whole length n, so that a line too long to send
// is reported with its size and costs no more memory than one that fits.
type line struct {
	text string
	n    int
	err  error
}

// readLines reads r line by line on a goroutine of its own, so that the
// client can stop waiting for input on Ctrl-C, and sends each line on the
// channel it returns, which it closes at the end of the input or when done
// is closed.
func readLines(r io.Reader, limit int, done <-chan struct{}) <-chan line {
	lines := make(chan line)
	send := func(l line) bool {
		select {
		case lines <- l:
			return true
		case <-done:
			return false
		}
	}
	go func() {
		defer close(lines)
		br := bufio.NewReader(r)
		for {
			l, err := readLine(br, limit+1)
			if l.n > 0 || err == nil {
				if !send(l) {
					return
				}
			}
			if err != nil {
				if err != io.EOF {
					send(line{err: err})
				}
				return
			}
		}
	}()
	return lines
}

// readLine reads one line from br, keeping at most keep bytes of it.
func readLine(br *bufio.Reader, keep int) (line, error) {
	var kept []byte
	var l line
	for {
		frag, err := br.ReadSlice('\n')
		l.n += len(frag)
		kept = append(kept, frag[:min(len(frag), keep-len(kept))]...)
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == nil { // the line ends with "\n", and maybe "\r\n"
			l.n--
			if strings.HasSuffix(string(frag), "\r\n") {
				l.n--
			}
		}
		l.text = strings.TrimRight(string(kept), "\r\n")
		return l, err
	}
}
