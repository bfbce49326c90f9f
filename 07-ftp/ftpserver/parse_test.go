package ftpserver

import (
	"strings"
	"testing"
)

func TestParseLine(t *testing.T) {
	tests := []struct {
		line      string
		verb, arg string
		err       error
	}{
		{"USER demo\r\n", "USER", "demo", nil},
		{"user demo\n", "USER", "demo", nil},
		{"PWD\r\n", "PWD", "", nil},
		{"STOR my file.txt\r\n", "STOR", "my file.txt", nil},
		{"STOR  lead\r\n", "STOR", " lead", nil},
		{"\xff\xf4\xff\xf2ABOR\r\n", "ABOR", "", nil},
		{"RETR a\xff\xffb\r\n", "RETR", "a\xffb", nil},
		{"\xff\xfb\x01NOOP\r\n", "NOOP", "", nil},
		{"CWD 目录\r\n", "CWD", "目录", nil},
		{"\r\n", "", "", errEmpty},
		{"NOOP", "", "", errNoCRLF},
		{"AB\r\n", "", "", errVerb},
		{"ABCDE x\r\n", "", "", errVerb},
		{"RE1R x\r\n", "", "", errVerb},
		{"RETR a\x00b\r\n", "", "", errControl},
		{"RETR a\rb\r\n", "", "", errControl},
		{"NOOP\xff\r\n", "", "", errBadTelne},
		{"STOR " + strings.Repeat("x", MaxLine) + "\r\n", "", "", errTooLong},
	}
	for _, tt := range tests {
		got, err := parseLine([]byte(tt.line))
		if err != tt.err || got.verb != tt.verb || got.arg != tt.arg {
			t.Errorf("parseLine(%q) = %q, %q, %v; want %q, %q, %v", tt.line, got.verb, got.arg, err, tt.verb, tt.arg, tt.err)
		}
	}
}

// FuzzParseLine checks what the control loop relies on, for any bytes a
// client sends: no panic; a parsed verb is 3 or 4 upper-case letters; an
// argument holds no control character (so no CR or LF reaches a reply or
// a listing, and no NUL a path); the argument is a part of the line.
func FuzzParseLine(f *testing.F) {
	for _, s := range []string{"USER demo\r\n", "RETR a b.txt\r\n", "\xff\xf4\xff\xf2ABOR\r\n", "PASS \r\n",
		"CWD ../..\r\n", "RETR a\x00b\r\n", "\xff", "MLST\n", "x\r\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		cmd, err := parseLine(line)
		if err != nil {
			if cmd != (command{}) {
				t.Fatalf("error %v with a command %+v", err, cmd)
			}
			return
		}
		if n := len(cmd.verb); n < 3 || n > 4 || strings.ToUpper(cmd.verb) != cmd.verb {
			t.Fatalf("verb %q", cmd.verb)
		}
		for _, r := range cmd.verb {
			if r < 'A' || r > 'Z' {
				t.Fatalf("verb %q", cmd.verb)
			}
		}
		for i := 0; i < len(cmd.arg); i++ {
			if c := cmd.arg[i]; c < 0x20 || c == 0x7F {
				t.Fatalf("argument %q holds control byte %#x", cmd.arg, c)
			}
		}
		if len(cmd.arg) >= len(line) {
			t.Fatalf("argument %q longer than the line %q", cmd.arg, line)
		}
	})
}
