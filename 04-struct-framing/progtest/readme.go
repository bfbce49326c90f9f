package progtest

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// ReadmeCommands returns the commands that a README shows: the lines of
// its fenced code blocks that start with "$ ", without the "$ ".
func ReadmeCommands(t testing.TB, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cmds []string
	inBlock := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "```"):
			inBlock = !inBlock
		case inBlock && strings.HasPrefix(line, "$ "):
			cmds = append(cmds, strings.TrimPrefix(line, "$ "))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return cmds
}

// CheckReadmeCommands checks that the commands of a README run from root,
// the repository's root: none starts with "cd", and every path they name
// (an argument that starts with "./" or with one of dirs, such as
// "04-struct-framing/") exists there. It returns the commands.
func CheckReadmeCommands(t testing.TB, readme, root string, dirs ...string) []string {
	t.Helper()
	cmds := ReadmeCommands(t, readme)
	if len(cmds) == 0 {
		t.Fatalf("%s shows no command", readme)
	}
	for _, c := range cmds {
		if strings.HasPrefix(c, "cd ") {
			t.Errorf("%q: the README's commands run from the root", c)
		}
		for _, f := range strings.Fields(c) {
			isPath := strings.HasPrefix(f, "./")
			for _, d := range dirs {
				isPath = isPath || strings.HasPrefix(f, d)
			}
			if !isPath {
				continue
			}
			if _, err := os.Stat(filepath.Join(root, strings.TrimSuffix(f, "/..."))); err != nil {
				t.Errorf("%q names %s, which is not there from the root: %v", c, f, err)
			}
		}
	}
	return cmds
}
