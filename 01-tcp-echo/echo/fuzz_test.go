package echo_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/gosockets/tutorial/01-tcp-echo/echo"
)

// wantChat is what Chat should print for input in against an echo server:
// every line that is not blank, with a newline added to a last line that
// lacks one. A line is blank if it is white space only and, newline aside,
// shorter than 4 KiB (Chat decides from its first buffer of the line).
func wantChat(in string) string {
	var b strings.Builder
	for line := range strings.SplitAfterSeq(in, "\n") {
		if strings.TrimSpace(line) == "" && len(strings.TrimSuffix(line, "\n")) < 4096 {
			continue
		}
		b.WriteString(line)
		if !strings.HasSuffix(line, "\n") {
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// FuzzChat checks that any input survives the trip through the client, the
// network and the server: whatever bytes a client sends, the server sends
// them back and keeps going.
func FuzzChat(f *testing.F) {
	for _, seed := range []string{
		"", "\n", "hello\n", "a\n\nb", " \t\r\n", "\r\n\r\n", "\x00\xff\n",
		strings.Repeat("x", 5000) + "\n", strings.Repeat(" ", 4095) + "\n", strings.Repeat(" ", 4096) + "\n", "你好\n世界",
	} {
		f.Add(seed)
	}
	addr := startServer(f, &echo.Server{})
	f.Fuzz(func(t *testing.T, in string) {
		conn := dial(t, addr)
		var out bytes.Buffer
		if err := echo.Chat(conn, strings.NewReader(in), &out, ""); err != nil {
			t.Fatalf("Chat(%q) = %v", in, err)
		}
		if got, want := out.String(), wantChat(in); got != want {
			t.Errorf("Chat(%q) wrote %q, want %q", in, got, want)
		}
		conn.Close()
	})
}
