// Package reliability holds cross-component fault, bad-input and
// permission tests of gorunit (issue 10): real processes, pipes, signals,
// tmpfs and PID namespaces, compared with runit's own binaries where the
// question is "does it behave as runit does".
//
// Every fault test records its figure with figure(); TestMain prints the
// collected figures as a markdown table at the end of a verbose run (the
// README's reliability table is made from it).
//
// GORUNIT_LONG=1 makes the storms bigger and repeats them more often.
package reliability

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"

	"gorunit/internal/testenv"
)

func TestMain(m *testing.M) {
	switch {
	case testenv.InNSChild():
		testenv.NSChild() // process 1 of a test namespace: becomes runit
	case os.Getenv(envStorm) != "":
		stormMain() // a storm inside a test namespace
	}
	code := m.Run()
	printFigures()
	os.Exit(code)
}

// long reports whether the long versions of the tests were asked for.
func long() bool { return os.Getenv("GORUNIT_LONG") != "" }

type fig struct{ fault, held, figure string }

var (
	figMu   sync.Mutex
	figures []fig
)

// figure records (and logs) what a fault test proved and its measure.
func figure(t *testing.T, fault, held, measure string) {
	t.Helper()
	t.Logf("FIGURE %s | %s | %s", fault, held, measure)
	figMu.Lock()
	figures = append(figures, fig{fault, held, measure})
	figMu.Unlock()
}

func printFigures() {
	if len(figures) == 0 || !testingVerbose() {
		return
	}
	sort.SliceStable(figures, func(i, j int) bool { return figures[i].fault < figures[j].fault })
	var b strings.Builder
	b.WriteString("\n| Fault | What held | Figure |\n|---|---|---|\n")
	for _, f := range figures {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", f.fault, f.held, f.figure)
	}
	os.Stdout.WriteString(b.String())
}

func testingVerbose() bool {
	for _, a := range os.Args[1:] {
		if a == "-test.v" || a == "-test.v=true" || strings.HasPrefix(a, "-test.v=test2json") {
			return true
		}
	}
	return false
}
