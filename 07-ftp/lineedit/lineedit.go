// Package lineedit reads the interactive ftp client's command lines.
//
// On a terminal, [New] gives an "ftp> " prompt with line editing, history
// (the up and down arrows, Ctrl-R) and tab completion, through the
// readline library github.com/chzyer/readline. Anywhere else (a pipe, a
// file, a here-document) it gives a plain line reader that prints no
// prompt, so a script's output holds only what the commands print.
//
// Completion is pluggable: a [Completer] gets the line up to the cursor
// and returns the words that could stand where the cursor is. [Words]
// builds the usual one, commands for the first word and, for instance,
// remote names (see [Paths]) for the others.
package lineedit

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/chzyer/readline"
	"golang.org/x/term"
)

// Reader reads command lines.
type Reader interface {
	// ReadLine returns the next line without its line ending. At the end
	// of the input it returns io.EOF; on Ctrl-C at a terminal prompt it
	// returns [ErrInterrupt].
	ReadLine() (string, error)
	// Close releases the terminal (it leaves raw mode) and saves nothing
	// more to the history.
	Close() error
}

// ErrInterrupt is returned by ReadLine when the user presses Ctrl-C at the
// prompt. The ftp client drops the line and prompts again.
var ErrInterrupt = errors.New("interrupted")

// ErrLineTooLong is returned by the plain reader for a line longer than
// [MaxLine] bytes; the line is skipped and reading goes on after it.
var ErrLineTooLong = fmt.Errorf("line longer than %d bytes", MaxLine)

// MaxLine is the longest line the plain reader accepts, in bytes.
const MaxLine = 1 << 20

// Completer returns the candidates for the word under the cursor, given
// the line up to the cursor. Candidates are whole words; those that do not
// start with the word typed so far are ignored.
type Completer func(line string) []string

// Config configures the terminal reader.
type Config struct {
	// Prompt is shown before each line on a terminal; "" means "ftp> ".
	Prompt string
	// HistoryFile, if set, keeps the history across sessions.
	HistoryFile string
	// Complete completes the word under the cursor on Tab; nil completes
	// nothing.
	Complete Completer
}

// IsTerminal reports whether f is a terminal.
func IsTerminal(f any) bool {
	file, ok := f.(*os.File)
	return ok && term.IsTerminal(int(file.Fd()))
}

// New returns a terminal reader with prompt, editing and history if both in
// and out are terminals, else a plain reader of in that prints nothing.
func New(in io.Reader, out io.Writer, cfg Config) (Reader, error) {
	if IsTerminal(in) && IsTerminal(out) {
		return newTerminal(in.(*os.File), out.(*os.File), cfg)
	}
	return NewPlain(in), nil
}

// NewPlain returns a reader of in without prompt or editing.
func NewPlain(in io.Reader) Reader {
	return &plain{r: bufio.NewReaderSize(in, 64<<10)}
}

type plain struct {
	r *bufio.Reader
}

func (p *plain) ReadLine() (string, error) {
	var line []byte
	tooLong := false
	for {
		chunk, err := p.r.ReadSlice('\n')
		if !tooLong {
			if len(line)+len(chunk) > MaxLine+2 { // room for "\r\n"
				tooLong = true
				line = nil
			} else {
				line = append(line, chunk...)
			}
		}
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF && (len(line) > 0 || tooLong):
			// The last line had no line ending; it still counts. The
			// next call returns io.EOF.
		case err != nil:
			return "", err
		}
		if tooLong {
			return "", ErrLineTooLong
		}
		s := strings.TrimSuffix(string(line), "\n")
		s = strings.TrimSuffix(s, "\r")
		if len(s) > MaxLine {
			return "", ErrLineTooLong
		}
		return s, nil
	}
}

func (p *plain) Close() error { return nil }

type terminal struct {
	rl *readline.Instance
}

func newTerminal(in, out *os.File, cfg Config) (Reader, error) {
	if cfg.Prompt == "" {
		cfg.Prompt = "ftp> "
	}
	rc := &readline.Config{
		Prompt:            cfg.Prompt,
		HistoryFile:       cfg.HistoryFile,
		HistorySearchFold: true,
		AutoComplete:      completer{cfg.Complete},
		Stdout:            out,
		Stderr:            out,
	}
	if in.Fd() != os.Stdin.Fd() {
		// Not the process's stdin (a pseudo-terminal in a test, say):
		// readline must read it and switch its modes, not stdin's.
		fd := int(in.Fd())
		var saved *term.State
		rc.Stdin = in
		rc.FuncIsTerminal = func() bool { return term.IsTerminal(fd) }
		rc.FuncMakeRaw = func() error {
			st, err := term.MakeRaw(fd)
			if err == nil {
				saved = st
			}
			return err
		}
		rc.FuncExitRaw = func() error {
			if saved == nil {
				return nil
			}
			err := term.Restore(fd, saved)
			saved = nil
			return err
		}
		rc.FuncOnWidthChanged = func(func()) {}
	}
	// A terminal that reports 0 columns (some pseudo-terminals and serial
	// consoles) would leave readline unable to lay out completions.
	rc.FuncGetWidth = func() int {
		w, _, err := term.GetSize(int(out.Fd()))
		if err != nil || w <= 0 {
			return 80
		}
		return w
	}
	rl, err := readline.NewEx(rc)
	if err != nil {
		return nil, fmt.Errorf("lineedit: %w", err)
	}
	return &terminal{rl: rl}, nil
}

func (t *terminal) ReadLine() (string, error) {
	line, err := t.rl.Readline()
	if errors.Is(err, readline.ErrInterrupt) {
		return "", ErrInterrupt
	}
	return line, err
}

func (t *terminal) Close() error { return t.rl.Close() }

// completer adapts a Completer to readline's AutoCompleter, which wants
// the suffixes to insert after the word under the cursor.
type completer struct{ c Completer }

func (c completer) Do(line []rune, pos int) ([][]rune, int) {
	if c.c == nil || pos > len(line) {
		return nil, 0
	}
	word, suffixes := Complete(c.c, string(line[:pos]))
	out := make([][]rune, len(suffixes))
	for i, s := range suffixes {
		out[i] = []rune(s)
	}
	return out, len([]rune(word))
}

// Complete runs c on the line up to the cursor and returns the word under
// the cursor and, sorted and without duplicates, what each matching
// candidate adds to it. A candidate that is a whole word (not a directory,
// which ends in "/") gets a space after it, ready for the next word.
func Complete(c Completer, line string) (word string, suffixes []string) {
	if i := strings.LastIndexAny(line, " \t"); i >= 0 {
		word = line[i+1:]
	} else {
		word = line
	}
	seen := map[string]bool{}
	for _, cand := range c(line) {
		if !strings.HasPrefix(cand, word) || seen[cand] {
			continue
		}
		seen[cand] = true
		s := cand[len(word):]
		if !strings.HasSuffix(cand, "/") {
			s += " "
		}
		suffixes = append(suffixes, s)
	}
	sort.Strings(suffixes)
	return word, suffixes
}

// Words returns the usual Completer: the first word from commands, and the
// word at position n (n ≥ 1) of a line that starts with command cmd from
// args(cmd, n, word); args may be nil.
func Words(commands []string, args func(cmd string, n int, word string) []string) Completer {
	return func(line string) []string {
		fields := strings.Fields(line)
		word := ""
		if line != "" && !strings.ContainsAny(line[len(line)-1:], " \t") {
			word = fields[len(fields)-1] // the cursor is inside a word
			fields = fields[:len(fields)-1]
		}
		if len(fields) == 0 {
			return commands
		}
		if args == nil {
			return nil
		}
		return args(fields[0], len(fields), word)
	}
}

// Paths completes a slash-separated path: it lists the directory part of
// word with list ("" for the current directory) and returns that directory
// joined with each name. list returns names, directories with a trailing
// "/". A listing error completes nothing.
func Paths(word string, list func(dir string) ([]string, error)) []string {
	dir := ""
	if i := strings.LastIndex(word, "/"); i >= 0 {
		dir = word[:i+1]
	}
	names, err := list(dir)
	if err != nil {
		return nil
	}
	out := make([]string, 0, len(names))
	for _, n := range names {
		out = append(out, dir+n)
	}
	return out
}
