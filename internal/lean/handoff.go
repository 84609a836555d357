package lean

import (
	"bytes"
	"encoding/binary"

	"golang.org/x/sys/unix"
)

// A parent that starts one of gorunit's lean daemons many times (runsvdir
// starting runsv) can spare each of them the re-exec: it puts the marker
// that Init's re-exec would add at the end of the child's environment, and
// the child then starts lean at once and removes the marker again before
// it runs anything. The marker must only go to gorunit's own daemon: any
// other program would hand GOMAXPROCS=1 on to the services it runs.

// Env returns env followed by the marker for a daemon known as name, or
// env itself if GOMAXPROCS is set in it (Init then leaves the daemon as it
// is, and so must the parent). The result never shares env's array.
func Env(env []string, name string) []string {
	for _, e := range env {
		if len(e) >= len("GOMAXPROCS=") && e[:len("GOMAXPROCS=")] == "GOMAXPROCS=" {
			return env
		}
	}
	return append(env[:len(env):len(env)], maxprocs, marker+name)
}

// Built reports whether the file at path is gorunit's build of the command
// cmd, by its Go build information ("path\tgorunit/cmd/<cmd>", or
// "path\tgorunit/cmd/gorunit": the multi-call binary, which runs cmd when
// executed under its name), which the Go linker puts at the start of the
// program's first writable segment. Anything it cannot read or recognise
// is not gorunit's.
func Built(path, cmd string) bool {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	return built(func(b []byte, off int64) int {
		n, _ := unix.Pread(fd, b, off)
		return n
	}, cmd)
}

// built is Built on a file read by pread, which returns the number of
// bytes read at off (less at the end of the file or on an error).
func built(pread func(b []byte, off int64) int, cmd string) bool {
	var eh [64]byte
	if n := pread(eh[:], 0); n != len(eh) ||
		string(eh[:4]) != "\x7fELF" || eh[4] != 2 || eh[5] != 1 { // 64-bit, little-endian
		return false
	}
	phoff := binary.LittleEndian.Uint64(eh[32:])
	phentsize := int(binary.LittleEndian.Uint16(eh[54:]))
	phnum := int(binary.LittleEndian.Uint16(eh[56:]))
	if phentsize < 56 || phnum == 0 || phnum > 64 || phoff > 1<<30 {
		return false
	}
	ph := make([]byte, phentsize*phnum)
	if n := pread(ph, int64(phoff)); n != len(ph) {
		return false
	}
	for i := 0; i < phnum; i++ {
		p := ph[i*phentsize:]
		const ptLoad, pfW = 1, 2
		if binary.LittleEndian.Uint32(p) != ptLoad || binary.LittleEndian.Uint32(p[4:])&pfW == 0 {
			continue
		}
		off := binary.LittleEndian.Uint64(p[8:])
		if off > 1<<40 {
			return false
		}
		var b [512]byte
		n := pread(b[:], int64(off))
		const magic = "\xff Go buildinf:"
		if n < len(magic) || string(b[:len(magic)]) != magic {
			return false
		}
		return bytes.Contains(b[:n], []byte("path\tgorunit/cmd/"+cmd+"\n")) ||
			bytes.Contains(b[:n], []byte("path\tgorunit/cmd/gorunit\n"))
	}
	return false
}
