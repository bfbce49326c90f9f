package sticky

import (
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

func TestQuote(t *testing.T) {
	tests := []struct {
		in   []byte
		want string
	}{
		{nil, `0 bytes ""`},
		{[]byte("h"), `1 byte "h"`},
		{[]byte("SB"), `2 bytes "SB"`},
		{[]byte("a\nb\x00"), `4 bytes "a\nb\x00"`},
		{[]byte("你好"), `6 bytes "你好"`},
	}
	for _, tt := range tests {
		if got := Quote(tt.in); got != tt.want {
			t.Errorf("Quote(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestTimelinePrintsWritesLeftAndReadsRight(t *testing.T) {
	tl := NewTimeline("title")
	tl.Write([]byte("helloworld"), "")
	tl.Write([]byte("SB"), "[x]")
	tl.Note(Reader, "(late)")
	tl.Read([]byte("helloworldSB"), "")
	tl.EOF()
	tl.Note(Writer, "done")
	tl.Summary = []string{"merged"}
	var b strings.Builder
	require.NoError(t, tl.Print(&b))
	want := `-- title
  writer                          | reader
  --------------------------------+-------------------------
  write #1: 10 bytes "helloworld" |
  write #2: 2 bytes "SB"  [x]     |
                                  | (late)
                                  | read #1: 12 bytes "helloworldSB"
                                  | EOF (the writer closed)
  done                            |
  => merged
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("Print (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"helloworld", "SB"}, tl.Writes()); diff != "" {
		t.Errorf("Writes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"helloworldSB"}, tl.Reads()); diff != "" {
		t.Errorf("Reads (-want +got):\n%s", diff)
	}
}

func TestTimelineCopiesTheBytes(t *testing.T) {
	tl := NewTimeline("copy")
	buf := []byte("ab")
	tl.Write(buf, "")
	tl.Read(buf, "")
	buf[0] = 'X'
	if got := tl.Writes()[0] + tl.Reads()[0]; got != "abab" {
		t.Errorf("after the caller reused its buffer, the timeline holds %q, want %q", got, "abab")
	}
}

func TestTimelineReadWaitsForItsWrite(t *testing.T) {
	// A reader that records before the writer has recorded must still appear below it.
	tl := NewTimeline("order")
	var wg sync.WaitGroup
	readStarted := make(chan struct{})
	wg.Go(func() {
		close(readStarted)
		tl.Read([]byte("helloworld"), "")
	})
	<-readStarted
	tl.Write([]byte("hello"), "")
	tl.Write([]byte("world"), "")
	wg.Wait()
	var kinds []Kind
	for _, e := range tl.Events() {
		kinds = append(kinds, e.Kind)
	}
	if diff := cmp.Diff([]Kind{Write, Write, Read}, kinds); diff != "" {
		t.Errorf("event order (-want +got):\n%s", diff)
	}
}
