package sticky

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// SenderWrites are the writes of the Sender case: the notes' two, plus a third small
// one, because Nagle's algorithm never holds the first small write of an idle
// connection, so it can merge only the writes after it.
var SenderWrites = []string{"helloworld", "SB", "ok"}

// SenderMode is one way of configuring the writing socket in the Sender case.
type SenderMode int

// The modes of the Sender case.
const (
	GoDefault    SenderMode = iota // TCP_NODELAY on, as Go sets it on every TCP socket
	Nagle                          // SetNoDelay(false): Nagle's algorithm on, as in Python
	NagleSlowACK                   // Nagle on, and the reader delays its ACKs (TCP_QUICKACK=0)
	Cork                           // TCP_CORK on for the writes, then off
)

// String returns the title of the mode.
func (m SenderMode) String() string {
	switch m {
	case GoDefault:
		return "Go's default: TCP_NODELAY on (Nagle off)"
	case Nagle:
		return "SetNoDelay(false): Nagle on, as Python has it, over loopback"
	case NagleSlowACK:
		return "Nagle on, and the reader delays its ACKs (TCP_QUICKACK=0), as on a link with latency"
	case Cork:
		return "TCP_CORK in for the writes, then out: the deterministic cousin of Nagle"
	}
	return fmt.Sprintf("SenderMode(%d)", int(m))
}

// SenderResult is the outcome of one run of the Sender case.
type SenderResult struct {
	Timeline    *Timeline
	PerWrite    []int // data segments sent so far, read right after each write returned
	Unacked     []int // segments not yet acknowledged, read right after each write returned
	SegsOut     int   // data segments the writer sent in all (tcpi_data_segs_out)
	SegsIn      int   // data segments the reader received in all (tcpi_data_segs_in)
	WritesCount int
	Attempts    int // runs made; more than 1 if a stalled machine spoiled a run
}

// Sender shows S3 on Linux: for each SenderMode it writes SenderWrites and counts,
// with TCP_INFO, the data segments the writer really sent. It returns an error
// wrapping errors.ErrUnsupported on other systems.
func Sender(ctx context.Context) ([]*Timeline, error) {
	if !segmentsSupported {
		return nil, fmt.Errorf("sender: counting segments %w", errNoSegments)
	}
	var tls []*Timeline
	for _, m := range []SenderMode{GoDefault, Nagle, NagleSlowACK, Cork} {
		res, err := SenderRun(ctx, m)
		if err != nil {
			return nil, fmt.Errorf("%v: %w", m, err)
		}
		tls = append(tls, res.Timeline)
	}
	return tls, nil
}

var errNoSegments = fmt.Errorf("needs Linux TCP_INFO: %w", errors.ErrUnsupported)

// maxAttempts bounds how often SenderRun repeats a run that a stalled machine spoiled.
const maxAttempts = 5

// SenderRun runs the Sender case in one mode.
//
// Without the cork, the reader is prompt for the first write: the writer sends the
// second and third writes only once the reader has read "helloworld", so that the
// first segment has certainly arrived. It reads the rest after the writer is done.
// With the cork, the reader just reads: the three writes arrive as one segment, so
// even a reader that was waiting all along gets them in one read.
//
// Two modes rest on a kernel timer that a stalled machine can outlast: the reader's
// delayed ACK (about 40 ms) in NagleSlowACK and the cork's 200 ms limit in Cork. A
// run is spoiled if an ACK reached the writer before its last write returned
// (NagleSlowACK, counted with tcpi_segs_in) or if the writes took over 150 ms (Cork).
// SenderRun then runs again, up to 5 times, and says so in the timeline; the result
// reports the attempts made.
func SenderRun(ctx context.Context, mode SenderMode) (*SenderResult, error) {
	if !segmentsSupported {
		return nil, errNoSegments
	}
	var spoiled []string
	for {
		res, why, err := senderAttempt(ctx, mode)
		if err != nil {
			return nil, err
		}
		res.Attempts = len(spoiled) + 1
		if why == "" || res.Attempts == maxAttempts {
			for i, s := range spoiled {
				res.Timeline.Note(Writer, "(attempt %d was spoiled: %s)", i+1, s)
			}
			if why != "" {
				res.Timeline.Note(Writer, "(this attempt was spoiled too: %s)", why)
			}
			return res, nil
		}
		spoiled = append(spoiled, why)
	}
}

// senderAttempt makes one run of SenderRun; why is not empty if the run was spoiled.
func senderAttempt(ctx context.Context, mode SenderMode) (res *SenderResult, why string, err error) {
	ctx, cancel := bounded(ctx)
	defer cancel()
	w, r, err := tcpPair(ctx)
	if err != nil {
		return nil, "", err
	}
	defer w.Close()
	defer r.Close()
	switch mode {
	case Nagle:
		err = w.SetNoDelay(false)
	case NagleSlowACK:
		err = errors.Join(w.SetNoDelay(false), DelayACKs(r))
	case Cork:
		err = SetCork(w, true)
	}
	if err != nil {
		return nil, "", err
	}
	tl := NewTimeline("sender (S3), " + mode.String())
	connect(tl, w, r)
	res = &SenderResult{Timeline: tl, WritesCount: len(SenderWrites)}
	base, err := SegmentsSent(w)
	if err != nil {
		return nil, "", err
	}
	segs := func() string {
		n, err := SegmentsSent(w)
		if err != nil {
			return "[segments: " + err.Error() + "]"
		}
		res.PerWrite = append(res.PerWrite, n-base)
		u, err := unacked(w)
		if err != nil {
			return "[unacked: " + err.Error() + "]"
		}
		res.Unacked = append(res.Unacked, u)
		return fmt.Sprintf("[data segments sent: %d, unacknowledged: %d]", n-base, u)
	}
	firstRead := make(chan struct{}) // closed when the reader has read write #1
	done := make(chan struct{})      // closed when the writer has made its writes
	err = both(func() error {
		defer close(done)
		acks, err := segmentsInAll(w)
		if err != nil {
			return err
		}
		start := time.Now()
		for i, m := range SenderWrites {
			if i == 1 && mode != Cork {
				if err := wait(ctx, firstRead); err != nil {
					return fmt.Errorf("wait for read #1: %w", err)
				}
			}
			if err := write(w, tl, m, segs); err != nil {
				return err
			}
		}
		switch mode {
		case NagleSlowACK:
			n, err := segmentsInAll(w)
			if err != nil {
				return err
			}
			if n != acks {
				why = fmt.Sprintf("%d ACKs reached the writer before its last write returned", n-acks)
			}
		case Cork:
			if d := time.Since(start); d > 150*time.Millisecond {
				why = fmt.Sprintf("the writes took %v, near the cork's 200 ms limit", d.Round(time.Millisecond))
			}
		}
		if mode == Cork {
			if err := SetCork(w, false); err != nil {
				return err
			}
			n, err := SegmentsSent(w)
			if err != nil {
				return err
			}
			tl.Note(Writer, "TCP_CORK out [data segments sent: %d]", n-base)
		}
		return nil
	}, func() error {
		buf := make([]byte, 1024)
		want := total(SenderWrites)
		got := 0
		if mode != Cork {
			n, err := r.Read(buf)
			if n > 0 {
				tl.Read(buf[:n], "")
				got += n
			}
			close(firstRead)
			if err != nil {
				return fmt.Errorf("read: %w", err)
			}
			if err := wait(ctx, done); err != nil {
				return err
			}
			tl.Note(Reader, "(reads the rest once the writer is done)")
			if err := WaitQueued(r, want-got); err != nil {
				return fmt.Errorf("wait for queued bytes: %w", err)
			}
		}
		for got < want {
			n, err := r.Read(buf)
			if mode == Cork {
				// Record the read below the writer's last row.
				if err := wait(ctx, done); err != nil {
					return err
				}
			}
			if n > 0 {
				tl.Read(buf[:n], "")
				got += n
			}
			if err != nil {
				return fmt.Errorf("read: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	// Every byte has arrived, so every data segment has been sent and received.
	if res.SegsOut, err = SegmentsSent(w); err != nil {
		return nil, "", err
	}
	res.SegsOut -= base
	tl.DataSegments = res.SegsOut
	if res.SegsIn, err = SegmentsReceived(r); err != nil {
		return nil, "", err
	}
	tl.Note(Writer, "in all: %d data %s sent", res.SegsOut, plural(res.SegsOut, "segment"))
	tl.Note(Reader, "in all: %d data %s received", res.SegsIn, plural(res.SegsIn, "segment"))
	s := fmt.Sprintf("%d writes left as %d data %s (TCP_INFO)", res.WritesCount, res.SegsOut, plural(res.SegsOut, "segment"))
	if res.SegsOut < res.WritesCount {
		s += ": the kernel merged small writes before they left the sender"
	} else {
		s += ": nothing was merged on the way out"
	}
	tl.Summary = append(tl.Summary, s)
	if why := explain(mode, res); why != "" {
		tl.Summary = append(tl.Summary, why)
	}
	return res, why, nil
}

// explain says why a run of the Sender case came out as it did, when the counts
// it measured match the usual explanation for its mode.
func explain(mode SenderMode, res *SenderResult) string {
	merged := res.SegsOut < res.WritesCount
	noneUnacked := len(res.Unacked) > 0 && slices.Max(res.Unacked) == 0
	switch {
	case mode == GoDefault && !merged:
		return "with TCP_NODELAY each write leaves at once, as its own segment"
	case mode == Nagle && !merged && noneUnacked:
		return "over loopback each ACK was back before its write returned (unacknowledged: 0), so Nagle had nothing to wait for"
	case mode == NagleSlowACK && merged && slices.Equal(res.PerWrite, []int{1, 1, 1}) && slices.Min(res.Unacked) == 1:
		return `"helloworld" left at once (nothing was unacknowledged yet); "SB" and "ok" waited for its ACK and left together`
	case mode == Cork && merged:
		return "the cork held every write until it was taken out; then all left in one segment"
	}
	return ""
}
