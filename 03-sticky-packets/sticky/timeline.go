package sticky

import (
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Side says which end of a connection an event happened on.
type Side int

// The two sides of a timeline.
const (
	Writer Side = iota
	Reader
)

// Kind says what an event is.
type Kind int

// The kinds of timeline events.
const (
	Write Kind = iota // a call to Write, with the bytes it wrote
	Read              // a call to Read that returned bytes
	EOF               // a call to Read that reported the end of the stream
	Note              // a remark, such as a sleep or a segment count
)

// Event is one row of a timeline.
type Event struct {
	Side Side
	Kind Kind
	N    int    // number of the write or read on its side, from 1; zero for notes and EOF
	Data []byte // the bytes written or read
	Text string // the text of a note, or a remark appended to a write or read
	// Time is when the event was recorded: for a write or a read, right after
	// the call returned.
	Time time.Time
}

// String formats the event as it appears in its column,
// for example `write #1: 10 bytes "helloworld"`.
func (e Event) String() string {
	var s string
	switch e.Kind {
	case Write:
		s = fmt.Sprintf("write #%d: %s", e.N, Quote(e.Data))
	case Read:
		s = fmt.Sprintf("read #%d: %s", e.N, Quote(e.Data))
	case EOF:
		s = "EOF (the writer closed)"
	case Note:
		return e.Text
	}
	if e.Text != "" {
		s += "  " + e.Text
	}
	return s
}

// Quote formats p as its length and its bytes in Go quoted form: `2 bytes "SB"`.
// Of more than QuoteMax bytes it shows the first and last few.
func Quote(p []byte) string {
	unit := "bytes"
	if len(p) == 1 {
		unit = "byte"
	}
	if len(p) > QuoteMax {
		return fmt.Sprintf("%d %s %q…%q", len(p), unit, p[:8], p[len(p)-8:])
	}
	return fmt.Sprintf("%d %s %q", len(p), unit, p)
}

// QuoteMax is the longest run of bytes that Quote shows whole.
const QuoteMax = 40

// Timeline records the writes and reads of one run in the order they happened.
// It is safe for concurrent use; the order of its rows is the order of the calls,
// so a demonstration that wants a reproducible order must synchronise its two sides.
type Timeline struct {
	Title   string   // what this run shows
	Summary []string // conclusions, printed under the rows
	// Writer and Reader are the local addresses of the two sockets, so that a
	// packet capture can find this run's packets; nil until the run connects.
	Writer, Reader net.Addr
	// DataSegments is how many data segments the writer sent in all, from
	// Linux's TCP_INFO (a retransmission counts again); -1 where unknown.
	DataSegments int

	mu      sync.Mutex
	cond    *sync.Cond // signalled when bytes are written
	events  []Event
	writes  int
	reads   int
	written int // bytes recorded by Write
	read    int // bytes recorded by Read
}

// NewTimeline returns an empty timeline with the given title.
func NewTimeline(title string) *Timeline {
	t := &Timeline{Title: title, DataSegments: -1}
	t.cond = sync.NewCond(&t.mu)
	return t
}

// Write records a write of p on the writer's side; remark may be empty.
func (t *Timeline) Write(p []byte, remark string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.writes++
	t.written += len(p)
	t.events = append(t.events, Event{Side: Writer, Kind: Write, N: t.writes, Data: clone(p), Text: remark, Time: time.Now()})
	t.cond.Broadcast()
}

// Read records a read that returned p on the reader's side; remark may be empty.
// It first waits until the writes that produced p have been recorded, so that a read
// never appears above the write it came from even when the reader is quicker to
// record than the writer. Every byte read was written, so the wait always ends,
// provided the writer records each write it makes.
func (t *Timeline) Read(p []byte, remark string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for t.written < t.read+len(p) {
		t.cond.Wait()
	}
	t.read += len(p)
	t.reads++
	t.events = append(t.events, Event{Side: Reader, Kind: Read, N: t.reads, Data: clone(p), Text: remark, Time: time.Now()})
}

// EOF records that a read on the reader's side reported the end of the stream.
func (t *Timeline) EOF() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.events = append(t.events, Event{Side: Reader, Kind: EOF, Time: time.Now()})
}

// Note records a remark in the column of side.
func (t *Timeline) Note(side Side, format string, args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.events = append(t.events, Event{Side: side, Kind: Note, Text: fmt.Sprintf(format, args...), Time: time.Now()})
}

// Events returns a copy of the recorded events, in order.
func (t *Timeline) Events() []Event {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]Event(nil), t.events...)
}

// Writes returns the bytes of each write, in order, as strings.
func (t *Timeline) Writes() []string { return t.data(Write) }

// Reads returns the bytes of each read that returned data, in order, as strings.
func (t *Timeline) Reads() []string { return t.data(Read) }

func (t *Timeline) data(k Kind) []string {
	var out []string
	for _, e := range t.Events() {
		if e.Kind == k {
			out = append(out, string(e.Data))
		}
	}
	return out
}

// Print writes the timeline to w: the title, one row per event with writes in the
// left column and reads in the right one, then the summary lines.
func (t *Timeline) Print(w io.Writer) error {
	events := t.Events()
	width := len("writer")
	for _, e := range events {
		if e.Side == Writer {
			width = max(width, utf8.RuneCountInString(e.String()))
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "-- %s\n", t.Title)
	fmt.Fprintf(&b, "  %-*s | %s\n", width, "writer", "reader")
	fmt.Fprintf(&b, "  %s-+-%s\n", strings.Repeat("-", width), strings.Repeat("-", 24))
	for _, e := range events {
		if e.Side == Writer {
			fmt.Fprintf(&b, "  %-*s |\n", width, e.String())
		} else {
			fmt.Fprintf(&b, "  %-*s | %s\n", width, "", e.String())
		}
	}
	for _, s := range t.Summary {
		fmt.Fprintf(&b, "  => %s\n", s)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func clone(p []byte) []byte {
	return append([]byte(nil), p...)
}
