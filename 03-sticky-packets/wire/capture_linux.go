package wire

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/gopacket/gopacket/afpacket"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// Supported reports whether this system can capture packets.
const Supported = true

// Capture records the packets of one interface from Start to Stop, in the
// kernel's ring buffer (AF_PACKET, TPACKET_V3), so that a busy reader loses none.
type Capture struct {
	tp     *afpacket.TPacket
	marker []byte // the payload of the datagram that ends the capture

	mu   sync.Mutex
	pkts []Packet
	seen bool // the marker has arrived
	err  error
	done chan struct{}
}

// Start starts capturing on the interface named iface, which must be in the
// caller's network namespace. A loopback interface shows every packet twice,
// once leaving and once arriving; with outgoingOnly, Start keeps the copy that
// leaves, so each packet is counted once, at the time it was sent.
func Start(iface string, outgoingOnly bool) (*Capture, error) {
	tp, err := afpacket.NewTPacket(
		afpacket.OptInterface(iface),
		afpacket.OptTPacketVersion(afpacket.TPacketVersion3),
		afpacket.OptFrameSize(1<<16),
		afpacket.OptBlockSize(1<<20),
		afpacket.OptNumBlocks(32),
		afpacket.OptBlockTimeout(5*time.Millisecond),
		afpacket.OptPollTimeout(50*time.Millisecond))
	if err != nil {
		return nil, fmt.Errorf("capture on %s: %w", iface, err)
	}
	if outgoingOnly {
		prog, err := bpf.Assemble([]bpf.Instruction{
			bpf.LoadExtension{Num: bpf.ExtType},
			bpf.JumpIf{Cond: bpf.JumpEqual, Val: unix.PACKET_OUTGOING, SkipFalse: 1},
			bpf.RetConstant{Val: 1 << 18},
			bpf.RetConstant{Val: 0},
		})
		if err == nil {
			err = tp.SetBPF(prog)
		}
		if err != nil {
			tp.Close()
			return nil, fmt.Errorf("capture filter: %w", err)
		}
	}
	c := &Capture{tp: tp, marker: make([]byte, 16), done: make(chan struct{})}
	rand.Read(c.marker)
	go c.loop()
	return c, nil
}

func (c *Capture) loop() {
	defer close(c.done)
	for {
		data, ci, err := c.tp.ReadPacketData()
		if errors.Is(err, afpacket.ErrTimeout) {
			continue
		}
		c.mu.Lock()
		if err != nil {
			c.err = err
			c.mu.Unlock()
			return
		}
		if bytes.Contains(data, c.marker) {
			c.seen = true
			c.mu.Unlock()
			return
		}
		c.pkts = append(c.pkts, Packet{Time: ci.Timestamp, Data: data})
		c.mu.Unlock()
	}
}

// Stop ends the capture and returns the packets in the order they passed. To
// know that every packet sent so far has been read, it sends one UDP datagram to
// to (an address reached through the captured interface) and reads up to it;
// the datagram is not returned. Stop fails if the kernel dropped packets.
func (c *Capture) Stop(to string) ([]Packet, error) {
	defer c.tp.Close()
	conn, err := net.Dial("udp", to)
	if err != nil {
		return nil, fmt.Errorf("end of capture: %w", err)
	}
	_, err = conn.Write(c.marker)
	conn.Close()
	if err != nil {
		return nil, fmt.Errorf("end of capture: %w", err)
	}
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		return nil, errors.New("end of capture: the closing datagram never arrived")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return nil, c.err
	}
	_, v3, err := c.tp.SocketStats()
	if err != nil {
		return nil, err
	}
	if v3.Drops() > 0 {
		return nil, fmt.Errorf("the capture lost %d packets", v3.Drops())
	}
	return c.pkts, nil
}
