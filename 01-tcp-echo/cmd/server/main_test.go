package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRunStopsWhenContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel() // as if Ctrl-C came at once
	var stdout, stderr bytes.Buffer
	err := run(ctx, []string{"-addr", "127.0.0.1:0"}, strings.NewReader(""), &stdout, &stderr)
	assert.NoError(t, err)
	assert.Contains(t, stderr.String(), `msg="shutting down"`)
}

func TestRunUsage(t *testing.T) {
	var stdout, stderr bytes.Buffer
	assert.NoError(t, run(t.Context(), []string{"-h"}, strings.NewReader(""), &stdout, &stderr))
	assert.Contains(t, stderr.String(), "-interactive")

	stderr.Reset()
	assert.ErrorIs(t, run(t.Context(), []string{"-addr"}, strings.NewReader(""), &stdout, &stderr), errUsage)
	assert.Contains(t, stderr.String(), "flag needs an argument: -addr")
}
