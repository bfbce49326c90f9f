package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestRunUnknownCaseListsTheCases(t *testing.T) {
	var out, errb bytes.Buffer
	err := run(t.Context(), []string{"bogus"}, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "receiver, partial, sender, sleep, udp, lengths, big") {
		t.Errorf("run(bogus) = %v, want an error listing the cases", err)
	}
}
