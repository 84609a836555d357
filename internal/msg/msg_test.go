package msg

import (
	"math"
	"os"
	"strconv"
	"testing"
)

func TestItoa(t *testing.T) {
	for _, v := range []int64{0, 1, -1, 9, 10, 111, -128, 4294967295, math.MaxInt64, math.MinInt64 + 1} {
		if got := Itoa(v); got != strconv.FormatInt(v, 10) {
			t.Errorf("Itoa(%d) = %q", v, got)
		}
	}
}

func TestWrite(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	Write(int(w.Fd()), "runsv ", "demo", ": fatal: ", "x")
	w.Close()
	buf := make([]byte, 100)
	n, _ := r.Read(buf)
	if got := string(buf[:n]); got != "runsv demo: fatal: x\n" {
		t.Fatalf("got %q", got)
	}
	Write(-1, "ignored") // errors are ignored
}
