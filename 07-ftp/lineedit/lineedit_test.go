package lineedit

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// readAll reads lines until io.EOF and returns them with the errors seen.
func readAll(t *testing.T, r Reader) (lines []string, errs []error) {
	t.Helper()
	for range 1000 {
		line, err := r.ReadLine()
		if err == io.EOF {
			return lines, errs
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		lines = append(lines, line)
	}
	t.Fatal("no io.EOF after 1000 lines")
	return nil, nil
}

func TestPlainReaderSplitsLinesWithoutPrompt(t *testing.T) {
	for name, tc := range map[string]struct {
		in   string
		want []string
	}{
		"empty":            {"", nil},
		"one line":         {"pwd\n", []string{"pwd"}},
		"no final newline": {"pwd\nls", []string{"pwd", "ls"}},
		"CRLF":             {"cd a\r\nls\r\n", []string{"cd a", "ls"}},
		"blank lines kept": {"\n\nquit\n", []string{"", "", "quit"}},
		"spaces kept":      {"  put a b  \n", []string{"  put a b  "}},
	} {
		t.Run(name, func(t *testing.T) {
			r := NewPlain(strings.NewReader(tc.in))
			got, errs := readAll(t, r)
			if errs != nil {
				t.Fatal(errs)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("lines (-want +got):\n%s", diff)
			}
			if _, err := r.ReadLine(); err != io.EOF {
				t.Fatalf("after the end: %v, want io.EOF", err)
			}
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestPlainReaderSkipsALineTooLongAndGoesOn(t *testing.T) {
	long := strings.Repeat("x", MaxLine+1)
	exact := strings.Repeat("y", MaxLine)
	in := "pwd\n" + long + "\n" + exact + "\r\nls\n" + long
	got, errs := readAll(t, NewPlain(strings.NewReader(in)))
	if len(errs) != 2 || !errors.Is(errs[0], ErrLineTooLong) || !errors.Is(errs[1], ErrLineTooLong) {
		t.Fatalf("errors %v, want ErrLineTooLong twice", errs)
	}
	if len(got) != 3 || got[0] != "pwd" || got[1] != exact || got[2] != "ls" {
		t.Fatalf("lines: %d of them, want pwd, the %d-byte line and ls", len(got), MaxLine)
	}
}

func TestNewOffATerminalIsPlainAndPrintsNothing(t *testing.T) {
	dir := t.TempDir()
	inPath := filepath.Join(dir, "in")
	os.WriteFile(inPath, []byte("help\nquit\n"), 0o644)
	in, err := os.Open(inPath)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(filepath.Join(dir, "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if IsTerminal(in) || IsTerminal(out) || IsTerminal(strings.NewReader("")) {
		t.Fatal("a regular file or a strings.Reader counted as a terminal")
	}
	r, err := New(in, out, Config{Prompt: "ftp> "})
	if err != nil {
		t.Fatal(err)
	}
	got, errs := readAll(t, r)
	r.Close()
	if errs != nil || cmp.Diff([]string{"help", "quit"}, got) != "" {
		t.Fatalf("lines %q, errors %v", got, errs)
	}
	printed, _ := os.ReadFile(out.Name())
	if len(printed) != 0 {
		t.Fatalf("plain reader printed %q", printed)
	}
}

var commands = []string{"cd", "get", "help", "ls", "mkdir", "put", "pwd", "quit", "quota", "rm"}

// remote is a fake remote tree for completion.
func remote(dir string) ([]string, error) {
	tree := map[string][]string{
		"":       {"a.txt", "alpha/", "b.bin", "docs/"},
		"docs/":  {"notes.md", "old/"},
		"alpha/": {},
	}
	names, ok := tree[dir]
	if !ok {
		return nil, errors.New("no such directory")
	}
	return names, nil
}

func ftpCompleter() Completer {
	return Words(commands, func(cmd string, n int, word string) []string {
		switch cmd {
		case "get", "cd", "rm", "ls":
			if n == 1 {
				return Paths(word, remote)
			}
		}
		return nil
	})
}

func TestCompleteCommandsAndRemoteNames(t *testing.T) {
	c := ftpCompleter()
	for _, tc := range []struct {
		line     string
		word     string
		suffixes []string
	}{
		{"", "", []string{"cd ", "get ", "help ", "ls ", "mkdir ", "put ", "pwd ", "quit ", "quota ", "rm "}},
		{"q", "q", []string{"uit ", "uota "}},
		{"pw", "pw", []string{"d "}},
		{"get ", "", []string{"a.txt ", "alpha/", "b.bin ", "docs/"}},
		{"get a", "a", []string{".txt ", "lpha/"}},
		{"get  docs/", "docs/", []string{"notes.md ", "old/"}},
		{"get docs/n", "docs/n", []string{"otes.md "}},
		{"get nowhere/x", "nowhere/x", nil},                   // a listing error completes nothing
		{"get a.txt ", "", nil},                               // no third word for get
		{"put ", "", nil},                                     // put's first word is local
		{"zzz", "zzz", nil},                                   // no command starts so
		{"get docs/notes.md", "docs/notes.md", []string{" "}}, // complete: a space
	} {
		word, suffixes := Complete(c, tc.line)
		if word != tc.word || cmp.Diff(tc.suffixes, suffixes) != "" {
			t.Errorf("Complete(%q) = %q, %q; want %q, %q", tc.line, word, suffixes, tc.word, tc.suffixes)
		}
	}
}

func TestReadlineAdapterReportsTheWordLength(t *testing.T) {
	got, n := completer{ftpCompleter()}.Do([]rune("get docs/n and more"), len("get docs/n"))
	if n != len("docs/n") || len(got) != 1 || string(got[0]) != "otes.md " {
		t.Fatalf("Do = %q, %d", got, n)
	}
	if got, n := (completer{}).Do([]rune("ge"), 2); got != nil || n != 0 {
		t.Fatalf("nil completer: %q, %d", got, n)
	}
}

func TestWordsWithoutArgsCompletesOnlyCommands(t *testing.T) {
	c := Words([]string{"ls"}, nil)
	if got := c("ls "); got != nil {
		t.Fatalf("%q", got)
	}
	if got := c("l"); cmp.Diff([]string{"ls"}, got) != "" {
		t.Fatalf("%q", got)
	}
}
