package main

import (
	"errors"
	"strconv"
	"strings"
	"unicode"
)

// splitArgs splits a command line into words, as a shell does for names:
// words are separated by spaces and tabs; single quotes keep everything up
// to the next single quote as it is, double quotes keep everything up to
// the next double quote except that a backslash there escapes " and \, and
// a backslash outside quotes keeps the next character as it is. Quoted and
// unquoted pieces next to each other make one word, so
//
//	put "my notes.txt"   put my\ notes.txt   put 'it'\''s.txt'
//
// name "my notes.txt", "my notes.txt" and "it's.txt".
func splitArgs(line string) ([]string, error) {
	var words []string
	var w strings.Builder
	inWord := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
			continue
		case c == '\'':
			end := strings.IndexByte(line[i+1:], '\'')
			if end < 0 {
				return nil, errors.New("unterminated ' in the line")
			}
			w.WriteString(line[i+1 : i+1+end])
			i += end + 1
		case c == '"':
			j, err := doubleQuoted(line, i+1, &w)
			if err != nil {
				return nil, err
			}
			i = j
		case c == '\\' && i+1 < len(line):
			i++
			w.WriteByte(line[i])
		default:
			w.WriteByte(c)
		}
		inWord = true
	}
	if inWord {
		words = append(words, w.String())
	}
	return words, nil
}

// doubleQuoted copies the double-quoted text of line that starts at i into
// w and returns the index of the closing quote.
func doubleQuoted(line string, i int, w *strings.Builder) (int, error) {
	for ; i < len(line); i++ {
		switch c := line[i]; {
		case c == '"':
			return i, nil
		case c == '\\' && i+1 < len(line) && (line[i+1] == '"' || line[i+1] == '\\'):
			i++
			w.WriteByte(line[i])
		default:
			w.WriteByte(c)
		}
	}
	return 0, errors.New(`unterminated " in the line`)
}

// quoteName writes a name so that it reads back as one word: as it is if
// nothing in it needs quoting, in single quotes if it holds spaces, quotes
// or backslashes, and as a Go string (escapes, not raw control characters)
// if it holds characters a terminal would act on.
func quoteName(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		return strconv.Quote(s)
	}
	if s != "" && !strings.ContainsAny(s, " \t'\"\\#") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
