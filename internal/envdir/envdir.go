// Package envdir reads an environment directory as runit's chpst does
// (chpst -e, envdir): one variable per file, the file name is the
// variable's name; an empty file removes the variable; otherwise the
// value is the file's first line with trailing blanks and tabs removed
// and NUL bytes turned into newlines. Names beginning with '.' are
// skipped; entries are taken in directory (readdir) order.
//
// It works with raw system calls (no os.File): it changes into the
// directory, opens each entry relative to it and changes back, so that it
// fails with the same errors in the same order as runit and leaves no
// descriptor open.
package envdir

import (
	"syscall"
	"unsafe"

	"gorunit/internal/errstr"
	"gorunit/internal/sysio"
)

// Error is a failure while reading the directory. Msg gives runit's text
// (after "chpst: fatal: ").
type Error struct {
	Op   string // "unable to switch to directory", "unable to read", ...
	Path string // dir, or dir/name for "unable to read"; unused for the working directory
	Err  error  // the system error
}

func (e *Error) Error() string { return e.Msg() }

// Msg returns runit's message text for e, without the "chpst: fatal: "
// prefix.
func (e *Error) Msg() string {
	switch {
	case e.Op == opCwd || e.Op == opBack:
		return e.Op + ": " + errstr.Str(e.Err)
	case e.Op == "unable to read":
		return e.Op + " " + e.Path + ": " + errstr.Str(e.Err)
	default:
		return e.Op + ": " + e.Path + ": " + errstr.Str(e.Err)
	}
}

const (
	opCwd  = "unable to open current working directory"
	opBack = "unable to switch to starting directory"
)

// Options control the treatment of sub-directories.
type Options struct {
	// SkipDirs makes an entry that cannot be read because it is a
	// directory (EISDIR) be skipped instead of failing (chpst -e; the
	// envdir personality fails).
	SkipDirs bool
	// Warn, if not nil, is called for each skipped entry with the warning
	// text (after "chpst: warning: ").
	Warn func(text string)
}

// Read reads the directory dir and returns the changes as entries for
// Env: "name=value" sets, a bare "name" removes.
func Read(dir string, o Options) ([]string, error) {
	wdir, err := open(".", syscall.O_RDONLY|syscall.O_NONBLOCK)
	if err != nil {
		return nil, &Error{Op: opCwd, Err: err}
	}
	defer syscall.Close(wdir)
	if err := syscall.Chdir(dir); err != nil {
		return nil, &Error{Op: "unable to switch to directory", Path: dir, Err: err}
	}
	out, rerr := readHere(dir, o)
	if err := syscall.Fchdir(wdir); err != nil && rerr == nil {
		return nil, &Error{Op: opBack, Err: err}
	}
	return out, rerr
}

func readHere(dir string, o Options) ([]string, error) {
	dfd, err := open(".", syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_DIRECTORY|syscall.O_CLOEXEC)
	if err != nil {
		return nil, &Error{Op: "unable to open directory", Path: dir, Err: err}
	}
	defer syscall.Close(dfd)
	var out []string
	// prev holds the previous file's value as runit leaves it in its
	// buffer (processed, NUL-terminated): an entry that vanishes between
	// readdir and open (a dangling symlink) is "read" as that buffer.
	var prev []byte
	buf := make([]byte, 8192)
	for {
		n, err := syscall.ReadDirent(dfd, buf)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return out, &Error{Op: "unable to read directory", Path: dir, Err: err}
		}
		if n == 0 {
			return out, nil
		}
		for b := buf[:n]; len(b) > 0; {
			name, reclen := dirent(b)
			b = b[reclen:]
			if len(name) == 0 || name[0] == '.' {
				continue
			}
			data, err := sysio.ReadFile(name, syscall.O_NONBLOCK)
			switch {
			case err == syscall.ENOENT:
				data = prev
			case err != nil:
				if err == syscall.EISDIR && o.SkipDirs {
					if o.Warn != nil {
						o.Warn("unable to read " + dir + "/" + name + ": " + errstr.Str(err))
					}
					// runit emptied its buffer before the read failed.
					prev = prev[:0]
					continue
				}
				return out, &Error{Op: "unable to read", Path: dir + "/" + name, Err: err}
			}
			if len(data) == 0 {
				out = append(out, name)
				prev = data
				continue
			}
			v := Value(data)
			out = append(out, name+"="+v)
			prev = append(append(data[:0], v...), 0)
		}
	}
}

// Value turns a file's contents into the variable's value: the first
// line, trailing blanks and tabs removed, NULs turned into newlines.
func Value(data []byte) string {
	n := 0
	for n < len(data) && data[n] != '\n' {
		n++
	}
	for n > 0 && (data[n-1] == ' ' || data[n-1] == '\t') {
		n--
	}
	v := make([]byte, n)
	for i := 0; i < n; i++ {
		if data[i] == 0 {
			v[i] = '\n'
		} else {
			v[i] = data[i]
		}
	}
	return string(v)
}

// dirent decodes one linux_dirent64 record: its name and length.
func dirent(b []byte) (string, int) {
	const nameOff = int(unsafe.Offsetof(syscall.Dirent{}.Name))
	if len(b) < nameOff {
		return "", len(b)
	}
	reclen := int(*(*uint16)(unsafe.Pointer(&b[unsafe.Offsetof(syscall.Dirent{}.Reclen)])))
	if reclen < nameOff || reclen > len(b) {
		return "", len(b)
	}
	name := b[nameOff:reclen]
	for i, c := range name {
		if c == 0 {
			name = name[:i]
			break
		}
	}
	return string(name), reclen
}

func open(path string, flags int) (int, error) {
	for {
		fd, err := syscall.Open(path, flags, 0)
		if err != syscall.EINTR {
			return fd, err
		}
	}
}
