package main

import (
	"bytes"
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockets/tutorial/01-tcp-echo/echo"
)

func TestRunEchoes(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &echo.Server{}
	go srv.Serve(ln)
	defer srv.Close()

	var stdout, stderr bytes.Buffer
	err = run(t.Context(), []string{"-addr", ln.Addr().String()}, strings.NewReader("one\n\ntwo\n"), &stdout, &stderr)
	require.NoError(t, err)
	assert.Equal(t, "one\ntwo\n", stdout.String(), "no prompt: input is not a terminal")
	assert.Empty(t, stderr.String())
}

func TestRunUsage(t *testing.T) {
	var stdout, stderr bytes.Buffer
	assert.NoError(t, run(t.Context(), []string{"-h"}, strings.NewReader(""), &stdout, &stderr))
	assert.Contains(t, stderr.String(), "-addr host:port")

	stderr.Reset()
	assert.ErrorIs(t, run(t.Context(), []string{"extra"}, strings.NewReader(""), &stdout, &stderr), errUsage)
	assert.Contains(t, stderr.String(), `unexpected argument "extra"`)
}
