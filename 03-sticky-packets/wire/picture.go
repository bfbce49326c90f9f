package wire

import (
	"fmt"
	"strconv"
	"time"

	"github.com/gosockets/tutorial/03-sticky-packets/sticky"
)

// Picture is one run drawn in three columns: the writer's writes, the packets on
// the wire, the reader's reads, with links between them.
type Picture struct {
	Title    string
	Writes   []Box
	Segments []Box
	Reads    []Box
	Links    []Link
	Summary  []string
}

// Box is one row of a column.
type Box struct {
	Label  string // first line, for example "write #1: 10 bytes"
	Bytes  string // second line: the bytes, quoted and shortened
	Time   string // third line: when, relative to the run's first packet
	Kind   string // "write", "read", "data", "udp", "ack" or "gap" (rows left out)
	Number []int  // the writes' or reads' numbers a row stands for
}

// Link joins row From of column Col to row To of column Col+1 (0: writes to
// segments, 1: segments to reads).
type Link struct {
	Col, From, To int
}

// MaxRows is the most rows a column shows; a longer column shows its first and
// last rows and one row that stands for those in between.
const MaxRows = 12

// span is a range of the byte stream, [from, to).
type span struct{ from, to int64 }

func (a span) overlaps(b span) bool { return a.from < b.to && b.from < a.to }

// Draw builds the picture of a run from its timeline and the packets of its
// conversation (see Conversation).
func Draw(tl *sticky.Timeline, conv []Segment) Picture {
	p := Picture{Title: tl.Title, Summary: tl.Summary}
	t0 := firstTime(tl, conv)

	type item struct {
		box  Box
		span span
		at   int // for UDP: the datagram's or read's number, from 0
	}
	// column lists the events of one kind, each with its span of the stream.
	column := func(kind sticky.Kind, word string) []item {
		var out []item
		var off int64
		for _, e := range tl.Events() {
			if e.Kind != kind {
				continue
			}
			n := int64(len(e.Data))
			out = append(out, item{box: Box{
				Label:  fmt.Sprintf("%s #%d: %s", word, e.N, bytesWord(len(e.Data))),
				Bytes:  shortQuote(e.Data),
				Time:   "returned " + ms(e.Time.Sub(t0)),
				Kind:   word,
				Number: []int{e.N},
			}, span: span{off, off + n}, at: e.N - 1})
			off += n
		}
		return out
	}
	writes, reads := column(sticky.Write, "write"), column(sticky.Read, "read")
	var segs []item

	// The packets: every data segment or datagram from the writer, and each ACK
	// that a held write waited for: an ACK from the reader after which the writer
	// sent the start of a write that had returned before the ACK came.
	var covered int64
	var lastACK *Segment
	for i := range conv {
		s := conv[i]
		if !s.FromWriter {
			if !s.UDP && len(s.Payload) == 0 && s.Flags == "ACK" {
				lastACK = &conv[i]
			}
			continue
		}
		if len(s.Payload) == 0 {
			continue
		}
		if s.UDP {
			segs = append(segs, item{box: Box{
				Label: fmt.Sprintf("datagram #%d: %s", len(segs)+1, bytesWord(len(s.Payload))),
				Bytes: shortQuote(s.Payload),
				Time:  "sent " + ms(s.Time.Sub(t0)),
				Kind:  "udp",
			}, at: len(segs)})
			continue
		}
		sp := span{s.Seq, s.Seq + int64(len(s.Payload))}
		if lastACK != nil {
			for _, w := range writes {
				starts := sp.from <= w.span.from && w.span.from < sp.to
				if starts && writeTime(tl, w.at).Before(lastACK.Time) {
					segs = append(segs, item{box: Box{
						Label: fmt.Sprintf("ACK %d from the reader", lastACK.Ack),
						Bytes: "the held bytes may leave",
						Time:  "arrived " + ms(lastACK.Time.Sub(t0)),
						Kind:  "ack",
					}, span: span{-1, -1}})
					break
				}
			}
		}
		lastACK = nil
		label := fmt.Sprintf("seq %d, %s, %s", s.Seq, bytesWord(len(s.Payload)), s.Flags)
		if sp.to <= covered {
			label += " (again)"
		}
		covered = max(covered, sp.to)
		segs = append(segs, item{box: Box{
			Label: label,
			Bytes: shortQuote(s.Payload),
			Time:  "sent " + ms(s.Time.Sub(t0)),
			Kind:  "data",
		}, span: sp})
	}

	linked := func(a, b item, udp bool) bool {
		if udp {
			return a.at == b.at
		}
		return a.span.overlaps(b.span)
	}
	udp := len(conv) > 0 && conv[0].UDP
	var links []Link
	for i, w := range writes {
		for j, s := range segs {
			if s.box.Kind != "ack" && linked(w, s, udp) {
				links = append(links, Link{0, i, j})
			}
		}
	}
	for j, s := range segs {
		for k, r := range reads {
			if s.box.Kind != "ack" && linked(s, r, udp) {
				links = append(links, Link{1, j, k})
			}
		}
	}
	boxes := func(items []item) []Box {
		out := make([]Box, len(items))
		for i, it := range items {
			out[i] = it.box
		}
		return out
	}
	p.Writes, p.Segments, p.Reads = boxes(writes), boxes(segs), boxes(reads)
	p.Links = links
	p.condense()
	return p
}

// writeTime returns when write number i+1 of tl returned.
func writeTime(tl *sticky.Timeline, i int) time.Time {
	for _, e := range tl.Events() {
		if e.Kind == sticky.Write && e.N == i+1 {
			return e.Time
		}
	}
	return time.Time{}
}

// firstTime returns the time of the run's first packet, or of its first event if
// it has no packets.
func firstTime(tl *sticky.Timeline, conv []Segment) time.Time {
	if len(conv) > 0 {
		return conv[0].Time
	}
	for _, e := range tl.Events() {
		return e.Time
	}
	return time.Time{}
}

// ms formats d as milliseconds from the start of the run.
func ms(d time.Duration) string {
	return fmt.Sprintf("+%.3f ms", float64(d)/float64(time.Millisecond))
}

// condense shortens each column longer than MaxRows to its first rows, one row
// that stands for those in between, and its last rows, and moves the links.
func (p *Picture) condense() {
	const head, tail = MaxRows - 4, 3
	remap := func(col []Box, what string) ([]Box, func(int) int) {
		if len(col) <= MaxRows {
			return col, func(i int) int { return i }
		}
		gap := col[head : len(col)-tail]
		g := Box{Kind: "gap", Label: fmt.Sprintf("… %d more %s …", len(gap), what)}
		for _, b := range gap {
			g.Number = append(g.Number, b.Number...)
		}
		if len(g.Number) > 0 {
			g.Bytes = fmt.Sprintf("(#%d to #%d)", g.Number[0], g.Number[len(g.Number)-1])
		}
		out := append(append(append([]Box{}, col[:head]...), g), col[len(col)-tail:]...)
		return out, func(i int) int {
			switch {
			case i < head:
				return i
			case i < len(col)-tail:
				return head
			}
			return i - len(col) + tail + head + 1
		}
	}
	var mw, mseg, mr func(int) int
	p.Writes, mw = remap(p.Writes, "writes")
	p.Segments, mseg = remap(p.Segments, "segments")
	p.Reads, mr = remap(p.Reads, "reads")
	seen := map[Link]bool{}
	var links []Link
	for _, l := range p.Links {
		n := Link{Col: l.Col}
		if l.Col == 0 {
			n.From, n.To = mw(l.From), mseg(l.To)
		} else {
			n.From, n.To = mseg(l.From), mr(l.To)
		}
		if !seen[n] {
			seen[n] = true
			links = append(links, n)
		}
	}
	p.Links = links
}

func bytesWord(n int) string {
	if n == 1 {
		return "1 byte"
	}
	return strconv.Itoa(n) + " bytes"
}

// shortQuote quotes p in Go syntax, showing at most 24 bytes of a longer p.
func shortQuote(p []byte) string {
	if len(p) <= 24 {
		return strconv.Quote(string(p))
	}
	return strconv.Quote(string(p[:12])) + "…" + strconv.Quote(string(p[len(p)-8:]))
}
