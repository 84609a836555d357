package sv

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"

	"gorunit/internal/supervise"
)

// BenchmarkStatus100 is `sv status` over 100 services, in process (without
// the cost of starting sv), against crafted supervise/ directories.
func BenchmarkStatus100(b *testing.B) {
	dir := b.TempDir()
	var held []int
	defer func() {
		for _, fd := range held {
			unix.Close(fd)
		}
	}()
	args := []string{"sv", "status"}
	for i := 0; i < 100; i++ {
		name := "s" + strconv.Itoa(i)
		f := fakeSv{status: rec(1000+i, false, 'u', false, supervise.Run)}
		svc := filepath.Join(dir, name)
		if err := os.MkdirAll(svc, 0o755); err != nil {
			b.Fatal(err)
		}
		f.build(b, svc, &held)
		args = append(args, name)
	}
	b.Setenv("SVDIR", dir)
	null, err := unix.Open("/dev/null", unix.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	saved, _ := unix.Dup(1)
	unix.Dup2(null, 1)
	defer func() { unix.Dup2(saved, 1); unix.Close(saved); unix.Close(null) }()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if code := Main(args); code != 0 {
			b.Fatal("exit", code)
		}
	}
}
