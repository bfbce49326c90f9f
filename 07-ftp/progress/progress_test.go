package progress

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// clock is a fake clock that the test moves by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// buffer is a concurrency-safe bytes.Buffer.
type buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

const (
	KiB = 1 << 10
	MiB = 1 << 20
	GiB = 1 << 30
)

func TestBarShowsPercentBytesTotalSpeedAndTimeLeft(t *testing.T) {
	var out buffer
	clk := newClock()
	r := New(&out, Options{Mode: Bar, Description: "a.bin", Total: 100 * MiB, Interval: time.Second, Now: clk.Now})
	clk.advance(2 * time.Second)
	r.Add(20 * MiB) // 10 MiB/s, 80 MiB left: 8 s
	s := out.String()
	for _, want := range []string{" 20%", "|", "a.bin", "20.0 MiB/100.0 MiB", "10.0 MiB/s", "8s left"} {
		if !strings.Contains(s, want) {
			t.Errorf("bar output lacks %q:\n%q", want, s)
		}
	}
	if !strings.Contains(s, "\r") {
		t.Errorf("bar output does not return to the start of the line: %q", s)
	}
}

func TestBarOfAResumedTransferStartsAtTheOffset(t *testing.T) {
	var out buffer
	clk := newClock()
	r := New(&out, Options{Mode: Bar, Description: "a.bin", Total: 1 * GiB, Start: 512 * MiB, Interval: time.Second, Now: clk.Now})
	first := out.String()
	if !strings.Contains(first, " 50%") || !strings.Contains(first, "512.0 MiB/1.0 GiB") {
		t.Fatalf("first render of a transfer resumed at half: %q, want 50%% and 512.0 MiB/1.0 GiB", first)
	}
	if strings.Contains(first, "/s") {
		t.Fatalf("first render shows a speed before a byte has moved: %q", first)
	}
	// The speed counts only this run's bytes: 100 MiB in 10 s, not 612.
	clk.advance(10 * time.Second)
	r.Add(100 * MiB)
	if s := out.String(); !strings.Contains(s, "10.0 MiB/s") {
		t.Fatalf("speed after resuming: %q, want 10.0 MiB/s", s[len(first):])
	}
}

func TestBarFinishShowsFullAndEndsTheLine(t *testing.T) {
	var out buffer
	clk := newClock()
	r := New(&out, Options{Mode: Bar, Description: "a.bin", Total: 10 * MiB, Start: 5 * MiB, Now: clk.Now})
	clk.advance(time.Second)
	io.Copy(r.Writer(io.Discard), io.LimitReader(zeros{}, 5*MiB))
	r.Finish()
	r.Finish() // twice is harmless
	s := out.String()
	if !strings.Contains(s, "100%") || !strings.Contains(s, "done in 1s") || !strings.Contains(s, "(resumed at 5.0 MiB)") {
		t.Fatalf("final render %q", s)
	}
	if !strings.HasSuffix(s, "\n") || strings.Count(s, "\n") != 1 {
		t.Fatalf("want exactly one newline, at the end: %q", s)
	}
	if strings.Count(s, "100%") != 1 {
		// The bar would be drawn again on the next line if it were
		// described after it ended.
		t.Fatalf("full bar drawn more than once: %q", s)
	}
}

func TestBarAbortEndsTheLineWhereItStopped(t *testing.T) {
	var out buffer
	clk := newClock()
	r := New(&out, Options{Mode: Bar, Description: "a.bin", Total: 100, Now: clk.Now})
	r.Add(40)
	r.Abort()
	r.Add(60) // after Abort: ignored
	r.Finish()
	s := out.String()
	if !strings.Contains(s, " 40%") || !strings.Contains(s, "stopped") || strings.Contains(s, "100%") {
		t.Fatalf("aborted bar %q", s)
	}
	if strings.Count(s, "\n") != 1 || !strings.HasSuffix(s, "\n") {
		t.Fatalf("want the line ended once: %q", s)
	}
}

func TestBarAbortAfterAllBytesEndsTheLineOnce(t *testing.T) {
	// All bytes arrived but the checksum did not match: Abort, not Finish.
	var out buffer
	r := New(&out, Options{Mode: Bar, Description: "a.bin", Total: 100, Interval: time.Nanosecond})
	r.Add(100)
	r.Abort()
	s := out.String()
	if strings.Count(s, "\n") != 1 || !strings.HasSuffix(s, "\n") || !strings.Contains(s, "stopped") {
		t.Fatalf("want one line ending, after the stopped state: %q", s)
	}
	if strings.Contains(s, "done in") {
		t.Fatalf("an aborted transfer reported as done: %q", s)
	}
}

func TestBarOfAnEmptyFile(t *testing.T) {
	var out buffer
	r := New(&out, Options{Mode: Bar, Description: "empty", Total: 0})
	r.Finish()
	if s := out.String(); !strings.Contains(s, "empty: 100% 0 B/0 B") || !strings.HasSuffix(s, "\n") {
		t.Fatalf("empty file: %q", s)
	}
}

var ansiOrCR = regexp.MustCompile("[\r\x1b]")

func TestLinesArePlainAndPeriodic(t *testing.T) {
	var out buffer
	clk := newClock()
	r := New(&out, Options{Mode: Lines, Description: "a.bin", Total: 1 * GiB, Interval: time.Second, Now: clk.Now})
	src := r.Reader(io.LimitReader(zeros{}, 1*GiB))
	buf := make([]byte, 450*MiB/90)
	for range 90 { // 450 MiB in 90 reads, 50 ms apart: 4.5 s at 100 MiB/s
		clk.advance(50 * time.Millisecond)
		if _, err := io.ReadFull(src, buf); err != nil {
			t.Fatal(err)
		}
	}
	s := out.String()
	if ansiOrCR.MatchString(s) {
		t.Fatalf("Lines output has a CR or an escape code: %q", s)
	}
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	// The first line at once, then one a second for 4.5 s.
	if len(lines) != 5 {
		t.Fatalf("%d lines, want 5:\n%s", len(lines), s)
	}
	if lines[0] != "a.bin: 0% 0 B/1.0 GiB" {
		t.Errorf("first line %q", lines[0])
	}
	if want := "a.bin: 39% 400.0 MiB/1.0 GiB 100.0 MiB/s 6.2s left"; lines[4] != want {
		t.Errorf("last line\n%q, want\n%q", lines[4], want)
	}
	clk.advance(500 * time.Millisecond)
	io.Copy(io.Discard, src)
	r.Finish()
	all := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	last := all[len(all)-1]
	if !strings.HasPrefix(last, "a.bin: 100% 1.0 GiB/1.0 GiB ") || !strings.HasSuffix(last, "done in 5s") {
		t.Errorf("final line %q", last)
	}
}

func TestLinesSpeedFollowsAStall(t *testing.T) {
	var out buffer
	clk := newClock()
	r := New(&out, Options{Mode: Lines, Description: "f", Total: 100 * MiB, Interval: time.Second, Now: clk.Now})
	for range 10 { // 10 s at 1 MiB/s
		clk.advance(time.Second)
		r.Add(1 * MiB)
	}
	clk.advance(20 * time.Second) // a stall
	r.Add(1)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	last := lines[len(lines)-1]
	// Over the last five seconds or so almost nothing moved.
	if !strings.Contains(last, " B/s") {
		t.Fatalf("after a 20 s stall the speed is still high: %q", last)
	}
}

func TestLinesAbort(t *testing.T) {
	var out buffer
	r := New(&out, Options{Mode: Lines, Description: "a.bin", Total: 200, Interval: time.Hour})
	r.Add(50)
	r.Abort()
	if got, want := out.String(), "a.bin: 0% 0 B/200 B\na.bin: 25% 50 B/200 B stopped\n"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestOffWritesNothing(t *testing.T) {
	var out buffer
	r := New(&out, Options{Mode: Off, Description: "a.bin", Total: 1000, Start: 10, Interval: time.Nanosecond})
	w := r.Writer(io.Discard)
	for range 100 {
		w.Write(make([]byte, 9))
	}
	r.Abort()
	r.Finish()
	if out.String() != "" {
		t.Fatalf("Off wrote %q", out.String())
	}
	if r.Done() != 910 {
		t.Fatalf("Done() = %d, want 910", r.Done())
	}
}

func TestWrappersCountExactly(t *testing.T) {
	r := New(io.Discard, Options{Mode: Lines, Total: 1 << 20, Interval: time.Nanosecond})
	data := bytes.Repeat([]byte("x"), 300_000)
	n, err := io.Copy(r.Writer(io.Discard), r.Reader(bytes.NewReader(data)))
	if err != nil || n != int64(len(data)) {
		t.Fatal(n, err)
	}
	if r.Done() != 2*int64(len(data)) { // counted once by each wrapper
		t.Fatalf("Done() = %d, want %d", r.Done(), 2*len(data))
	}
	r.Write(make([]byte, 10))
	if r.Done() != 2*int64(len(data))+10 {
		t.Fatalf("Done() after Write = %d", r.Done())
	}
}

func TestConcurrentAddIsSafe(t *testing.T) {
	var out buffer
	r := New(&out, Options{Mode: Bar, Description: "x", Total: 8 * 1000, Interval: time.Nanosecond})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				r.Add(1)
			}
		})
	}
	wg.Wait()
	if r.Done() != 8000 {
		t.Fatalf("Done() = %d", r.Done())
	}
	r.Finish()
}

func TestChooseMode(t *testing.T) {
	for _, tc := range []struct {
		term, flag bool
		want       Mode
	}{
		{true, false, Bar},
		{true, true, Bar},
		{false, true, Lines},
		{false, false, Off},
	} {
		if got := ChooseMode(tc.term, tc.flag); got != tc.want {
			t.Errorf("ChooseMode(%v, %v) = %v, want %v", tc.term, tc.flag, got, tc.want)
		}
	}
	var b bytes.Buffer
	if IsTerminal(&b) {
		t.Error("a bytes.Buffer is a terminal")
	}
}

func TestBytes(t *testing.T) {
	for n, want := range map[int64]string{
		0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB",
		450 * MiB: "450.0 MiB", GiB: "1.0 GiB", 3 * GiB / 2: "1.5 GiB", 1 << 40: "1.0 TiB",
		1<<63 - 1: "8.0 EiB",
	} {
		if got := Bytes(n); got != want {
			t.Errorf("Bytes(%d) = %q, want %q", n, got, want)
		}
	}
}

// zeros is an endless source of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// Example shows the plain lines a transfer prints when stderr is not a
// terminal and -progress asks for them; the clock is faked so the figures
// are exact.
func Example() {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	r := New(exampleOut{}, Options{
		Mode: ChooseMode(false, true), Description: "a.bin",
		Total: 1 << 30, Start: 256 << 20, Interval: time.Second, Now: clock,
	})
	for range 4 {
		now = now.Add(time.Second)
		r.Add(128 << 20)
	}
	now = now.Add(time.Second)
	r.Finish()
	// Output:
	// a.bin: 25% 256.0 MiB/1.0 GiB
	// a.bin: 37% 384.0 MiB/1.0 GiB 128.0 MiB/s 5s left
	// a.bin: 50% 512.0 MiB/1.0 GiB 128.0 MiB/s 4s left
	// a.bin: 62% 640.0 MiB/1.0 GiB 128.0 MiB/s 3s left
	// a.bin: 75% 768.0 MiB/1.0 GiB 128.0 MiB/s 2s left
	// a.bin: 100% 1.0 GiB/1.0 GiB 153.6 MiB/s done in 5s (resumed at 256.0 MiB)
}

type exampleOut struct{}

func (exampleOut) Write(p []byte) (int, error) { return fmt.Print(string(p)) }
