package main

import (
	"slices"
	"testing"
)

func TestSplitArgs(t *testing.T) {
	for _, tt := range []struct {
		line string
		want []string
	}{
		{"put a b", []string{"put", "a", "b"}},
		{"  put\ta  ", []string{"put", "a"}},
		{`put "my notes.txt"`, []string{"put", "my notes.txt"}},
		{`put my\ notes.txt`, []string{"put", "my notes.txt"}},
		{`put 'it'\''s.txt'`, []string{"put", "it's.txt"}},
		{`put "say \"hi\".txt" x`, []string{"put", `say "hi".txt`, "x"}},
		{`mv 'a b' "c d"`, []string{"mv", "a b", "c d"}},
		{`get ""`, []string{"get", ""}},
		{`get 'a\b'`, []string{"get", `a\b`}},
	} {
		got, err := splitArgs(tt.line)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("splitArgs(%q) = %q, %v; want %q", tt.line, got, err, tt.want)
		}
	}
	for _, bad := range []string{`put "a`, `put 'a`} {
		if got, err := splitArgs(bad); err == nil {
			t.Errorf("splitArgs(%q) = %q, want an error", bad, got)
		}
	}
}

// TestQuoteNameReadsBack: what ls prints for a name is one word that
// splitArgs reads back as the name.
func TestQuoteNameReadsBack(t *testing.T) {
	for _, name := range []string{"plain.txt", "my notes.txt", "it's", `a"b`, `back\slash`, "#hash", "日本語 ファイル"} {
		q := quoteName(name)
		got, err := splitArgs("get " + q)
		if err != nil || len(got) != 2 || got[1] != name {
			t.Errorf("quoteName(%q) = %s, which reads back as %q, %v", name, q, got, err)
		}
	}
	if q := quoteName("evil\x1b[2Jname"); q != `"evil\x1b[2Jname"` {
		t.Errorf("quoteName of a name with an escape sequence = %s; want it escaped", q)
	}
}
