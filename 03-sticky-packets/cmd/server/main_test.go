package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestRunRejectsBadFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-bufsize", "0"}, "must be at least 1"},
		{[]string{"-delay", "-1s"}, "must not be negative"},
		{[]string{"-addr", "127.0.0.1:notaport"}, "listen"},
		{[]string{"extra"}, "unexpected arguments"},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		err := run(t.Context(), tt.args, &out, &errb)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("run(%q) = %v, want an error containing %q", tt.args, err, tt.want)
		}
	}
}
