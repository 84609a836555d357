package main

// Row 5: tree start. N service directories (no loggers) are linked into
// service/; we start runsvdir on it and time until every service's
// the status record shows a running process.

import "time"

func benchTreeStart(im impl, n int) (result, error) {
	if quick && n > 100 {
		return nil, skip("not run (BENCH_QUICK)")
	}
	svdir, services, err := makeTree(n, false)
	if err != nil {
		return nil, err
	}
	defer removeTree(svdir)
	every := 5 * time.Millisecond
	if n > 100 {
		every = 20 * time.Millisecond
	}
	t0 := time.Now()
	t, err := startTree(im, svdir)
	if err != nil {
		return nil, err
	}
	err = waitAllUp(services, false, every, 120*time.Second)
	d := time.Since(t0)
	if serr := t.stop(); err == nil {
		err = serr
	}
	if err != nil {
		return nil, err
	}
	return result{"start." + itoa(n): ms(d)}, nil
}
