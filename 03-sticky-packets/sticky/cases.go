package sticky

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"time"
)

// Options tune the demonstrations.
type Options struct {
	// Gap is the sleep between the two writes of the Sleep case, the notes'
	// time.sleep workaround. Zero means DefaultGap.
	Gap time.Duration
}

// DefaultGap is the writer's sleep in the Sleep case when Options.Gap is zero.
const DefaultGap = 200 * time.Millisecond

// Case is one demonstration of cmd/demo.
type Case struct {
	Name  string // the name on the command line
	Claim string // the claim IDs of CURRICULUM.md it shows
	About string // one line
	Run   func(ctx context.Context, o Options) ([]*Timeline, error)
}

// Cases lists the demonstrations in the order `demo all` runs them.
var Cases = []Case{
	{"receiver", "S2 S4", "a reader that reads late gets both writes in one read",
		func(ctx context.Context, _ Options) ([]*Timeline, error) { return one(Receiver(ctx)) }},
	{"partial", "S5", "a reader that reads less than was sent leaves the rest for the next read",
		func(ctx context.Context, _ Options) ([]*Timeline, error) { return one(Partial(ctx)) }},
	{"sender", "S3", "small writes that leave as one segment: Nagle's algorithm and TCP_CORK, segments counted",
		func(ctx context.Context, _ Options) ([]*Timeline, error) { return Sender(ctx) }},
	{"sleep", "S6", "sleeping between writes works with a prompt reader only",
		func(ctx context.Context, o Options) ([]*Timeline, error) { return Sleep(ctx, o.Gap) }},
	{"udp", "S1", "the same writes over UDP stay separate datagrams",
		func(ctx context.Context, _ Options) ([]*Timeline, error) { return one(UDP(ctx)) }},
	{"lengths", "S7", "a reader that knows the lengths gets the messages back",
		func(ctx context.Context, _ Options) ([]*Timeline, error) { return one(Lengths(ctx)) }},
	{"big", "S2", "one large write is cut into segments, and read back 1024 bytes at a time",
		func(ctx context.Context, _ Options) ([]*Timeline, error) { return one(Big(ctx)) }},
}

// Lookup returns the case with the given name.
func Lookup(name string) (Case, bool) {
	i := slices.IndexFunc(Cases, func(c Case) bool { return c.Name == name })
	if i < 0 {
		return Case{}, false
	}
	return Cases[i], true
}

func one(tl *Timeline, err error) ([]*Timeline, error) {
	if tl == nil {
		return nil, err
	}
	return []*Timeline{tl}, err
}

// ReadLate runs msgs as separate writes over a loopback TCP connection to a reader
// that starts reading only after all the writes are done and, on Linux, queued on
// its socket. The reader's i-th read asks for sizes[i] bytes (the last size repeats)
// until the end of the stream. The title names the run.
func ReadLate(ctx context.Context, title string, msgs []string, sizes ...int) (*Timeline, error) {
	if len(sizes) == 0 || slices.Min(sizes) < 1 {
		return nil, fmt.Errorf("read sizes %v: each must be at least 1", sizes)
	}
	tl := NewTimeline(title)
	err := lateReader(ctx, tl, msgs, func(r *net.TCPConn) error {
		return readUntilEOF(r, tl, sizes...)
	})
	if err != nil {
		return nil, err
	}
	tl.Summary = append(tl.Summary, boundaries(tl))
	return tl, nil
}

// lateReader runs msgs as separate writes against a reader that starts reading
// only after all of them are done and queued on its socket; read does the reading.
func lateReader(ctx context.Context, tl *Timeline, msgs []string, read func(r *net.TCPConn) error) error {
	ctx, cancel := bounded(ctx)
	defer cancel()
	w, r, err := tcpPair(ctx)
	if err != nil {
		return err
	}
	defer w.Close()
	defer r.Close()
	connect(tl, w, r)
	if n := total(msgs); n > 64<<10 {
		// Room for every byte in the kernel, so that the write completes and the
		// late reader finds it all queued.
		if err := errors.Join(w.SetWriteBuffer(2*n), r.SetReadBuffer(2*n)); err != nil {
			return err
		}
	}
	done := make(chan struct{})
	return both(func() error {
		defer close(done)
		for _, m := range msgs {
			if err := write(w, tl, m, nil); err != nil {
				return err
			}
		}
		return w.CloseWrite()
	}, func() error {
		if err := wait(ctx, done); err != nil {
			return err
		}
		tl.Note(Reader, "(starts reading only now)")
		if err := WaitQueued(r, total(msgs)); err != nil {
			return fmt.Errorf("wait for %d queued bytes: %w", total(msgs), err)
		}
		countSegments(tl, w) // every byte is queued at the reader: all has been sent
		return read(r)
	})
}

// Receiver shows S4 (and S2): the notes' client writes "helloworld" and "SB"; the
// reader reads 1024 bytes at a time, but only once both writes are queued on its
// socket. One read returns both writes.
func Receiver(ctx context.Context) (*Timeline, error) {
	return ReadLate(ctx, "receiver (S4): the reader reads late, 1024 bytes at a time", NotesWrites, 1024)
}

// Partial shows S5: the reader reads 1 byte (the notes' recv(1)), then 1024. The
// first read returns "h", the second the rest of both writes.
func Partial(ctx context.Context) (*Timeline, error) {
	tl, err := ReadLate(ctx, "partial (S5): the reader reads 1 byte, then 1024 at a time", NotesWrites, 1, 1024)
	if err != nil {
		return nil, err
	}
	tl.Summary = append(tl.Summary,
		"a short read leaves the rest in the kernel for the next read; the rest carries on into the next write")
	return tl, nil
}

// BigSize is the length of the Big case's one write.
const BigSize = 200_000

// BigData returns the Big case's write: BigSize bytes of the alphabet, over and over.
func BigData() string {
	const abc = "abcdefghijklmnopqrstuvwxyz"
	return strings.Repeat(abc, BigSize/len(abc)+1)[:BigSize]
}

// Big shows S2 at scale: one write of BigSize bytes, read 1024 bytes at a time by
// a reader that starts once all of it is queued. TCP cuts the write into segments
// of at most one MSS (over a network with an MTU of 1500, 1448 bytes of data with
// timestamps on); the reads are cut by the reader's size. Neither shows where
// the write began or ended.
func Big(ctx context.Context) (*Timeline, error) {
	return ReadLate(ctx, "big (S2): one 200,000-byte write, read 1024 bytes at a time", []string{BigData()}, 1024)
}

// Lengths shows S7: the same late reader, but it knows that the messages are 10 and
// 2 bytes long and reads exactly that much for each (io.ReadFull). It gets the
// messages back from the very same merged stream.
func Lengths(ctx context.Context) (*Timeline, error) {
	tl := NewTimeline("lengths (S7): the late reader knows the lengths and reads exactly 10, then 2 bytes")
	err := lateReader(ctx, tl, NotesWrites, func(r *net.TCPConn) error {
		rr := recordingReader{r: r, tl: tl}
		for _, m := range NotesWrites {
			buf := make([]byte, len(m))
			if _, err := io.ReadFull(rr, buf); err != nil {
				return fmt.Errorf("read %d bytes: %w", len(m), err)
			}
		}
		return readUntilEOF(r, tl, 1024)
	})
	if err != nil {
		return nil, err
	}
	tl.Summary = append(tl.Summary, boundaries(tl),
		"the bytes are the same as in the receiver case; what changed is that the reader knows each message's length (chapter 04 sends it first)")
	return tl, nil
}

// Sleep shows S6 with two runs of the notes' workaround, a writer that sleeps gap
// between its two writes (DefaultGap if gap is zero). With a prompt reader, which has
// read the first write before the second one is sent, the writes stay apart. With a
// slow reader, which starts reading only after both writes are queued, the same
// sleep changes nothing: one read returns both writes.
//
// The prompt reader's promptness is enforced, not hoped for: the writer sends its
// second write only once the reader has reported its first read. That makes the run
// reproducible, and it is exactly the condition that a real sleep cannot guarantee.
func Sleep(ctx context.Context, gap time.Duration) ([]*Timeline, error) {
	if gap <= 0 {
		gap = DefaultGap
	}
	prompt, err := sleepRun(ctx, gap, true)
	if err != nil {
		return nil, err
	}
	slow, err := sleepRun(ctx, gap, false)
	if err != nil {
		return nil, err
	}
	return []*Timeline{prompt, slow}, nil
}

func sleepRun(ctx context.Context, gap time.Duration, prompt bool) (*Timeline, error) {
	ctx, cancel := bounded(ctx)
	defer cancel()
	title := fmt.Sprintf("sleep (S6), prompt reader: the writer sleeps %v between writes; the reader reads at once", gap)
	if !prompt {
		title = fmt.Sprintf("sleep (S6), slow reader: the writer sleeps %v between writes; the reader is busy until both are in", gap)
	}
	tl := NewTimeline(title)
	w, r, err := tcpPair(ctx)
	if err != nil {
		return nil, err
	}
	defer w.Close()
	defer r.Close()
	connect(tl, w, r)
	done := make(chan struct{})      // closed when the writer has finished
	firstRead := make(chan struct{}) // closed when the prompt reader has read write #1
	err = both(func() error {
		defer close(done)
		then := func() string { return fmt.Sprintf("then time.Sleep(%v)", gap) }
		if err := write(w, tl, NotesWrites[0], then); err != nil {
			return err
		}
		if err := sleep(ctx, gap); err != nil {
			return err
		}
		if prompt {
			if err := wait(ctx, firstRead); err != nil {
				return fmt.Errorf("wait for the prompt reader: %w", err)
			}
		}
		if err := write(w, tl, NotesWrites[1], nil); err != nil {
			return err
		}
		return w.CloseWrite()
	}, func() error {
		if prompt {
			buf := make([]byte, 1024)
			n, err := r.Read(buf)
			if n > 0 {
				tl.Read(buf[:n], "")
			}
			close(firstRead)
			if err != nil {
				return fmt.Errorf("read: %w", err)
			}
			return readUntilEOF(r, tl, 1024)
		}
		if err := wait(ctx, done); err != nil {
			return err
		}
		tl.Note(Reader, "(was busy; starts reading only now)")
		if err := WaitQueued(r, total(NotesWrites)); err != nil {
			return fmt.Errorf("wait for queued bytes: %w", err)
		}
		return readUntilEOF(r, tl, 1024)
	})
	if err != nil {
		return nil, err
	}
	countSegments(tl, w)
	tl.Summary = append(tl.Summary, boundaries(tl))
	if prompt {
		tl.Summary = append(tl.Summary, fmt.Sprintf("the sleep worked only because the reader read within %v; the writer lost %v", gap, gap))
	} else {
		tl.Summary = append(tl.Summary, fmt.Sprintf("the same %v sleep did not help: the reader was slower than the sleep", gap))
	}
	return tl, nil
}

// UDP shows S1: the notes' two writes sent as UDP datagrams and read late, after
// both were sent, still arrive as two reads: UDP keeps message boundaries.
func UDP(ctx context.Context) (*Timeline, error) {
	ctx, cancel := bounded(ctx)
	defer cancel()
	tl := NewTimeline("udp (S1): the same writes as datagrams, read late, 1024 bytes at a time")
	n := netFrom(ctx)
	var r, w *net.UDPConn
	if err := n.inReader(func() (err error) {
		addr, err := net.ResolveUDPAddr("udp", n.readerAddr())
		if err == nil {
			r, err = net.ListenUDP("udp", addr)
		}
		return err
	}); err != nil {
		return nil, fmt.Errorf("listen udp: %w", err)
	}
	defer r.Close()
	if err := n.inWriter(func() (err error) {
		w, err = net.DialUDP("udp", nil, r.LocalAddr().(*net.UDPAddr))
		return err
	}); err != nil {
		return nil, fmt.Errorf("dial udp: %w", err)
	}
	defer w.Close()
	connect(tl, w, r)
	dl := deadline(ctx)
	if err := errors.Join(r.SetDeadline(dl), w.SetDeadline(dl)); err != nil {
		return nil, err
	}
	context.AfterFunc(ctx, func() { r.Close() })
	done := make(chan struct{})
	err := both(func() error {
		defer close(done)
		for _, m := range NotesWrites {
			if err := write(w, tl, m, nil); err != nil {
				return err
			}
		}
		return nil
	}, func() error {
		if err := wait(ctx, done); err != nil {
			return err
		}
		tl.Note(Reader, "(starts reading only now)")
		buf := make([]byte, 1024)
		for range NotesWrites {
			n, _, err := r.ReadFromUDP(buf)
			if err != nil {
				return fmt.Errorf("read udp: %w", err)
			}
			tl.Read(buf[:n], "")
		}
		tl.Note(Reader, "(no EOF: UDP has no connection to close)")
		return nil
	})
	if err != nil {
		return nil, err
	}
	tl.Summary = append(tl.Summary, boundaries(tl))
	return tl, nil
}

// boundaries describes whether the reads kept the boundaries of the writes.
func boundaries(tl *Timeline) string {
	ws, rs := tl.Writes(), tl.Reads()
	s := fmt.Sprintf("%d %s became %d %s: ", len(ws), plural(len(ws), "write"), len(rs), plural(len(rs), "read"))
	if len(ws) == 1 && len(rs) > 1 {
		return s + "nothing in the stream marks where the write began or ended"
	}
	if slices.Equal(ws, rs) {
		return s + "every read returned exactly one write"
	}
	return s + "the boundaries between the writes are gone"
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
