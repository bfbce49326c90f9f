package echo

import (
	"io"
	"sync"
)

// screen is Chat's output: replies as they arrive, and the prompt. It
// writes nothing after end.
type screen struct {
	w      io.Writer
	prompt string

	mu       sync.Mutex
	midLine  bool // the last byte written was not a newline
	atPrompt bool // the prompt is shown and no line has been typed yet
	ended    bool
}

func (s *screen) write(p []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended || len(p) == 0 {
		return nil
	}
	s.midLine = p[len(p)-1] != '\n'
	_, err := s.w.Write(p)
	return err
}

// showPrompt shows the prompt, if any, at the start of a line. The line a
// person then types ends with a newline the terminal shows.
func (s *screen) showPrompt() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended || s.prompt == "" {
		return
	}
	text := s.prompt
	if s.midLine {
		text = "\n" + text
	}
	io.WriteString(s.w, text) // an error shows at the next write
	s.midLine, s.atPrompt = false, true
}

func (s *screen) lineTyped() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.atPrompt = false
}

// end ends the line left open by a prompt or a reply, if there is a prompt,
// so the shell's prompt or an error message starts a line of its own.
func (s *screen) end() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.prompt != "" && (s.midLine || s.atPrompt) {
		io.WriteString(s.w, "\n")
	}
	s.ended = true
}
