package main

// Row 2: svlogd throughput. One million lines (about 90 MB, every tenth
// one a debug line) are fed from a file on stdin to
//
//	svlogd -tt DIR      with DIR/config:  s1000000
//	                                      -*debug*
//
// i.e. a UTC time stamp on every line, rotation every 1,000,000 bytes
// (about 90 rotations, the default 10 old files kept), and a pattern
// that drops the debug lines. svlogd exits at end of input; we time the
// whole run.

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

const svlogdLines = 1000000

var svlogdInput string // the generated input file, made once

func makeSvlogdInput() (string, error) {
	if svlogdInput != "" {
		return svlogdInput, nil
	}
	path := filepath.Join(scratch, "svlogd-input")
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	w := bufio.NewWriter(f)
	for i := 0; i < svlogdLines; i++ {
		level := "info"
		if i%10 == 7 {
			level = "debug"
		}
		fmt.Fprintf(w, "%s worker=%d request=%08x GET /api/v1/items/%d status=200 bytes=%d\n",
			level, i%8, i*2654435761&0xffffffff, i%5000, 100+i%9000)
	}
	if err := w.Flush(); err != nil {
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	svlogdInput = path
	return path, nil
}

func benchSvlogd(im impl) (result, error) {
	in, err := makeSvlogdInput()
	if err != nil {
		return nil, err
	}
	st, err := os.Stat(in)
	if err != nil {
		return nil, err
	}
	seq++
	dir := filepath.Join(scratch, fmt.Sprintf("svlogd%d", seq))
	defer os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "config"), []byte("s1000000\n-*debug*\n"), 0o644); err != nil {
		return nil, err
	}
	f, err := os.Open(in)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cmd := exec.Command(im.path("svlogd"), "-tt", dir)
	cmd.Stdin = f
	out, _ := os.Create(filepath.Join(dir, "..", fmt.Sprintf("svlogd%d.err", seq)))
	defer os.Remove(out.Name())
	defer out.Close()
	cmd.Stdout, cmd.Stderr = out, out
	t0 := time.Now()
	err = cmd.Run()
	d := time.Since(t0)
	if err != nil {
		msg, _ := os.ReadFile(out.Name())
		return nil, fmt.Errorf("svlogd: %v: %.200s", err, msg)
	}
	// Sanity: the last file holds lines, and no debug line got through.
	cur, err := os.ReadFile(filepath.Join(dir, "current"))
	if err != nil || len(cur) == 0 {
		return nil, fmt.Errorf("svlogd: no current log (%v)", err)
	}
	if strings.Contains(string(cur), "debug") {
		return nil, fmt.Errorf("svlogd: a debug line passed the -*debug* pattern")
	}
	secs := d.Seconds()
	return result{
		"svlogd.lines": svlogdLines / secs,
		"svlogd.mb":    float64(st.Size()) / 1e6 / secs,
	}, nil
}
