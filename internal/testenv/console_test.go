package testenv

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// TestConsole: lines written in pieces by another opener of the FIFO come
// back whole; an unfinished line waits for its newline.
func TestConsole(t *testing.T) {
	c := NewConsole(t, filepath.Join(t.TempDir(), "console"))
	defer c.Close()
	w, err := os.OpenFile(c.Path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for _, step := range []struct {
		write string
		want  []string
	}{
		{"", nil},
		{"one\ntw", []string{"one"}},
		{"o\n\nthree", []string{"one", "two", ""}},
		{"\n", []string{"one", "two", "", "three"}},
	} {
		if _, err := w.WriteString(step.write); err != nil {
			t.Fatal(err)
		}
		if got := c.Lines(); !reflect.DeepEqual(got, step.want) {
			t.Fatalf("after %q: got %q, want %q", step.write, got, step.want)
		}
	}
}
