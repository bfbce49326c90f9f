package wire

import (
	"context"
	"errors"
	"net"

	"github.com/gosockets/tutorial/03-sticky-packets/sticky"
)

// Record runs a demonstration in a lab of its own (see NewLab; with veth, across
// a veth pair) while capturing the packets on the writer's interface.
func Record(ctx context.Context, c sticky.Case, o sticky.Options, veth bool) (*Recording, error) {
	if err := CanCapture(); err != nil {
		return nil, err
	}
	lab, err := NewLab(ctx, veth)
	if err != nil {
		return nil, err
	}
	defer lab.Close()
	var capt *Capture
	if err := lab.InWriter(func() (err error) {
		capt, err = Start(lab.Iface, !veth)
		return err
	}); err != nil {
		return nil, err
	}
	tls, runErr := c.Run(sticky.WithNet(ctx, lab.Net()), o)
	var pkts []Packet
	stopErr := lab.InWriter(func() (err error) {
		pkts, err = capt.Stop(net.JoinHostPort(lab.reader, "9"))
		return err
	})
	if err := errors.Join(runErr, stopErr); err != nil {
		return nil, err
	}
	return &Recording{Case: c, Timelines: tls, Packets: pkts, Iface: lab.Iface, Veth: veth}, nil
}
