package main

import (
	"bytes"
	"context"
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func listenUDP(t *testing.T) net.PacketConn {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { pc.Close() })
	return pc
}

func TestRunCannotListen(t *testing.T) {
	busy := listenUDP(t)
	for _, tt := range []struct{ addr, want string }{
		{"nonsense", "cannot listen on nonsense: address nonsense: missing port in address"},
		{"127.0.0.1:99999", "cannot listen on 127.0.0.1:99999: address 99999: invalid port"},
		{busy.LocalAddr().String(), "cannot listen on " + busy.LocalAddr().String() + ": bind: address already in use"},
	} {
		err := run(context.Background(), []string{"-addr", tt.addr}, strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil || err.Error() != tt.want {
			t.Errorf("run(-addr %s) = %v, want %q", tt.addr, err, tt.want)
		}
	}
}

func TestRunFlagErrors(t *testing.T) {
	for _, args := range [][]string{{"-nope"}, {"extra"}} {
		var stderr bytes.Buffer
		err := run(context.Background(), args, strings.NewReader(""), &bytes.Buffer{}, &stderr)
		assert.ErrorIs(t, err, errUsage, "run(%q)", args)
		assert.Contains(t, stderr.String(), "Usage", "run(%q) stderr", args)
	}
}

func TestRunHelpShowsTheNotesAddress(t *testing.T) {
	var stderr bytes.Buffer
	err := run(context.Background(), []string{"-h"}, strings.NewReader(""), &bytes.Buffer{}, &stderr)
	require.NoError(t, err, "-h is not an error")
	assert.Contains(t, stderr.String(), `(default "127.0.0.1:8080")`, "usage")
}
