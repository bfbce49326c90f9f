// Package progress reports how far a file transfer has got.
//
// A [Reporter] counts the bytes that pass through it (wrap the file or the
// connection with [Reporter.Reader] or [Reporter.Writer], or call
// [Reporter.Add]) and shows, for a file of known size: percent, bytes done
// and total, speed and time left. It has three modes:
//
//   - [Bar], for a terminal: a bar redrawn in place, drawn by
//     github.com/schollz/progressbar/v3;
//   - [Lines], for a log or a pipe: a plain line now and then, such as
//     "a.bin: 45% 450.0 MiB/1.0 GiB 112.0 MiB/s 5s left", without escape
//     codes or carriage returns;
//   - [Off]: nothing at all.
//
// [ChooseMode] picks the mode as the ftp client should: a bar on a
// terminal, lines off a terminal only when -progress asks for them.
//
// A resumed transfer starts at its offset: the first report already shows
// the bytes that were there before, while the speed and the time left count
// only the bytes of this run. The speed is measured over the last few
// seconds, so it follows a transfer that speeds up or stalls.
//
// The clock is an option, so tests drive time instead of sleeping.
package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// Mode selects how a [Reporter] shows progress.
type Mode int

const (
	// Off shows nothing.
	Off Mode = iota
	// Lines prints a plain line at most once per interval.
	Lines
	// Bar redraws a bar in place on a terminal.
	Bar
)

// String returns "off", "lines" or "bar".
func (m Mode) String() string {
	switch m {
	case Lines:
		return "lines"
	case Bar:
		return "bar"
	}
	return "off"
}

// ChooseMode returns the mode for a transfer: [Bar] when stderr is a
// terminal, else [Lines] if the user asked for progress (-progress), else
// [Off].
func ChooseMode(stderrIsTerminal, progressFlag bool) Mode {
	switch {
	case stderrIsTerminal:
		return Bar
	case progressFlag:
		return Lines
	}
	return Off
}

// IsTerminal reports whether w is a terminal (an *os.File on a console).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// Options describe a transfer to report on.
type Options struct {
	// Mode is how to show it.
	Mode Mode
	// Description names the transfer, usually the file's name.
	Description string
	// Total is the file's full size in bytes.
	Total int64
	// Start is where this run begins: the resumed offset, or zero.
	Start int64
	// Interval is the least time between two reports; zero means 200 ms
	// for Bar and 2 s for Lines. The first report and the last are always
	// shown.
	Interval time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// BarWidth is the bar's width in cells; zero means 30.
	BarWidth int
}

// window is how far back the speed is measured.
const window = 5 * time.Second

// sample is a point of the transfer's history, for the speed.
type sample struct {
	at   time.Time
	done int64
}

// Reporter counts bytes and shows progress. Its methods are safe for
// concurrent use.
type Reporter struct {
	mu       sync.Mutex
	w        io.Writer
	o        Options
	start    time.Time
	last     time.Time // of the last report
	done     int64
	history  []sample
	bar      *progressbar.ProgressBar
	finished bool
}

// New starts reporting on a transfer, writing to w (usually os.Stderr). It
// shows the first report at once, so a resumed transfer shows its offset
// before a byte has moved.
func New(w io.Writer, o Options) *Reporter {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Interval <= 0 {
		o.Interval = 200 * time.Millisecond
		if o.Mode == Lines {
			o.Interval = 2 * time.Second
		}
	}
	if o.BarWidth <= 0 {
		o.BarWidth = 30
	}
	if o.Start < 0 {
		o.Start = 0
	}
	if o.Total < o.Start {
		o.Total = o.Start
	}
	r := &Reporter{w: w, o: o, done: o.Start}
	r.start = o.Now()
	r.history = []sample{{r.start, o.Start}}
	if o.Mode == Bar && o.Total > 0 {
		r.bar = progressbar.NewOptions64(o.Total,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetWidth(o.BarWidth),
			progressbar.OptionSetDescription(o.Description),
			progressbar.OptionShowDescriptionAtLineEnd(),
			// The counts, the speed and the time left are ours, in the
			// description: the library would count the resumed bytes as
			// if they had just been sent and show a wild speed.
			progressbar.OptionSetPredictTime(false),
			progressbar.OptionSetElapsedTime(false),
			progressbar.OptionShowBytes(false),
			progressbar.OptionShowTotalBytes(false),
			progressbar.OptionThrottle(0),
			progressbar.OptionOnCompletion(func() { io.WriteString(w, "\n") }),
		)
	}
	r.mu.Lock()
	r.report(r.start, false)
	r.mu.Unlock()
	return r
}

// Add counts n more bytes and shows progress if the interval has passed.
func (r *Reporter) Add(n int64) {
	if n <= 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.finished {
		return
	}
	r.done += n
	if r.done >= r.o.Total {
		return // the report of 100% is Finish's
	}
	now := r.o.Now()
	if now.Sub(r.last) >= r.o.Interval {
		r.report(now, false)
	}
}

// Write counts len(p) bytes; it never fails. Use it as the extra writer of
// an io.MultiWriter or io.TeeReader.
func (r *Reporter) Write(p []byte) (int, error) {
	r.Add(int64(len(p)))
	return len(p), nil
}

// Reader returns a reader that counts every byte read from src.
func (r *Reporter) Reader(src io.Reader) io.Reader { return &countReader{src, r} }

// Writer returns a writer that counts every byte that dst accepts.
func (r *Reporter) Writer(dst io.Writer) io.Writer { return &countWriter{dst, r} }

type countReader struct {
	src io.Reader
	r   *Reporter
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.src.Read(p)
	c.r.Add(int64(n))
	return n, err
}

type countWriter struct {
	dst io.Writer
	r   *Reporter
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.dst.Write(p)
	c.r.Add(int64(n))
	return n, err
}

// Done returns the bytes counted so far, the start offset included.
func (r *Reporter) Done() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.done
}

// Finish shows the final report of a completed transfer (100%, the
// average speed and the time taken) and ends the line. Later calls of
// Finish, Abort and Add do nothing.
func (r *Reporter) Finish() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.finished {
		return
	}
	r.done = r.o.Total
	r.report(r.o.Now(), true)
	r.finished = true
}

// Abort shows where an interrupted transfer stopped and ends the line, so
// that the caller's error message starts on a line of its own.
func (r *Reporter) Abort() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.finished {
		return
	}
	r.finished = true
	switch r.o.Mode {
	case Bar:
		if r.bar != nil {
			// Below the maximum: reaching it would end the bar's line
			// as a success (all bytes arrived, but the check failed).
			r.bar.Set64(min(r.done, r.o.Total-1))
			r.bar.Describe(r.describe(r.o.Now(), false, true))
			r.bar.Exit() // its completion hook ends the line
			return
		}
		fmt.Fprintf(r.w, "\r%s\n", r.line(r.o.Now(), false, true))
	case Lines:
		fmt.Fprintln(r.w, r.line(r.o.Now(), false, true))
	}
}

// report shows the current state; r.mu is held.
func (r *Reporter) report(now time.Time, final bool) {
	r.last = now
	r.history = append(r.history, sample{now, r.done})
	for len(r.history) > 2 && now.Sub(r.history[1].at) >= window {
		r.history = r.history[1:]
	}
	switch r.o.Mode {
	case Bar:
		if r.bar == nil { // an empty file: nothing to draw a bar of
			if final {
				fmt.Fprintf(r.w, "\r%s\n", r.line(now, true, false))
			}
			return
		}
		desc := r.describe(now, final, false)
		if final {
			// Describe first: reaching the maximum ends the bar's line,
			// and a bar that has ended is drawn again on the next line.
			r.bar.Describe(desc)
			r.bar.Set64(r.o.Total)
			return
		}
		// Describe first, so the render that Set64 triggers shows the
		// new percent and the new text together.
		r.bar.Describe(desc)
		r.bar.Set64(r.done)
	case Lines:
		fmt.Fprintln(r.w, r.line(now, final, false))
	}
}

// describe is the text after the bar: name, bytes, speed, time left.
func (r *Reporter) describe(now time.Time, final, aborted bool) string {
	return r.o.Description + " " + r.stats(now, final, aborted)
}

// line is a whole report in Lines form.
func (r *Reporter) line(now time.Time, final, aborted bool) string {
	pct := 100
	if r.o.Total > 0 {
		pct = int(r.done * 100 / r.o.Total)
	}
	return fmt.Sprintf("%s: %d%% %s", r.o.Description, pct, r.stats(now, final, aborted))
}

// stats is "450.0 MiB/1.0 GiB 112.0 MiB/s 5s left" and its variants.
func (r *Reporter) stats(now time.Time, final, aborted bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s/%s", Bytes(r.done), Bytes(r.o.Total))
	elapsed := now.Sub(r.start)
	switch {
	case final:
		if sent := r.done - r.o.Start; elapsed > 0 && sent > 0 {
			fmt.Fprintf(&b, " %s/s", Bytes(int64(float64(sent)/elapsed.Seconds())))
		}
		fmt.Fprintf(&b, " done in %s", roundDuration(elapsed))
		if r.o.Start > 0 {
			fmt.Fprintf(&b, " (resumed at %s)", Bytes(r.o.Start))
		}
	case aborted:
		b.WriteString(" stopped")
	default:
		old := r.history[0]
		if d := now.Sub(old.at); d > 0 && r.done > old.done {
			rate := float64(r.done-old.done) / d.Seconds()
			left := time.Duration(float64(r.o.Total-r.done) / rate * float64(time.Second))
			fmt.Fprintf(&b, " %s/s %s left", Bytes(int64(rate)), roundDuration(left))
		}
	}
	return b.String()
}

// roundDuration rounds d to whole seconds, or tenths below ten seconds.
func roundDuration(d time.Duration) string {
	if d < 10*time.Second {
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

// Bytes formats n in binary units with one decimal: "512 B", "1.5 KiB",
// "450.0 MiB", "1.0 GiB".
func Bytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
