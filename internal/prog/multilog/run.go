package multilog

import (
	"bufio"
	"os"

	"golang.org/x/sys/unix"

	"gorunit/internal/errstr"
	"gorunit/internal/msg"
	"gorunit/internal/tai64"
)

// Svlogd translates multilog's argv (argv[0] included) into svlogd's: it
// prepares the directories (created, locked once to fail early as
// multilog does, config written) and returns the arguments with which the
// caller runs svlogd on them (svlog.Main). Without log directories it
// filters standard input itself (multilog's e actions). When it returns
// no arguments, the program is done and exits with code.
//
// This package does not run svlogd itself: the command's dispatcher does,
// so that no program body imports another.
func Svlogd(argv []string) (args []string, code int) {
	var script []string
	if len(argv) > 0 {
		script = argv[1:]
	}
	p := Parse(script)
	for _, w := range p.Warnings {
		msg.Err("multilog: warning: ", w)
	}
	if len(p.Dirs) == 0 {
		return nil, p.filter()
	}
	if len(p.Errs) > 0 {
		msg.Err("multilog: warning: more e actions than directories, the extra ones are ignored")
	}
	args = []string{"multilog"}
	if p.Stamp {
		args = append(args, "-t")
	}
	for _, d := range p.Dirs {
		if err := prepare(d); err != "" {
			msg.Err("multilog: fatal: ", err)
			return nil, 111
		}
		args = append(args, d.Name)
	}
	return args, 0
}

// prepare creates the directory if needed, checks that no other logger
// holds its lock and writes its config (only if it changed).
func prepare(d Dir) string {
	if err := unix.Mkdir(d.Name, 0o700); err != nil && err != unix.EEXIST {
		return "unable to create directory " + d.Name + ": " + errstr.Str(err)
	}
	dfd, err := unix.Open(d.Name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return "unable to open directory " + d.Name + ": " + errstr.Str(err)
	}
	defer unix.Close(dfd)
	lock, err := unix.Openat(dfd, "lock", unix.O_WRONLY|unix.O_APPEND|unix.O_CREAT|unix.O_CLOEXEC, 0o600)
	if err == nil {
		err = unix.Flock(lock, unix.LOCK_EX|unix.LOCK_NB)
		defer unix.Close(lock) // released before svlogd takes it
	}
	if err != nil {
		return "unable to lock directory " + d.Name + ": " + errstr.Str(err)
	}
	if old, err := readAt(dfd, "config"); err == nil && old == d.Config {
		return ""
	}
	fd, err := unix.Openat(dfd, "config.new", unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o644)
	if err != nil {
		return "unable to write " + d.Name + "/config.new: " + errstr.Str(err)
	}
	b := []byte(d.Config)
	for len(b) > 0 && err == nil {
		var n int
		n, err = unix.Write(fd, b)
		if err == unix.EINTR {
			err = nil
		}
		b = b[max(n, 0):]
	}
	if err == nil {
		err = unix.Fsync(fd)
	}
	unix.Close(fd)
	if err == nil {
		err = unix.Renameat(dfd, "config.new", dfd, "config")
	}
	if err != nil {
		unix.Unlinkat(dfd, "config.new", 0)
		return "unable to write " + d.Name + "/config: " + errstr.Str(err)
	}
	return ""
}

func readAt(dfd int, name string) (string, error) {
	fd, err := unix.Openat(dfd, name, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", err
	}
	defer unix.Close(fd)
	var out []byte
	var buf [4096]byte
	for {
		n, err := unix.Read(fd, buf[:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return "", err
		}
		if n <= 0 {
			return string(out), nil
		}
		out = append(out, buf[:n]...)
	}
}

// filter is multilog without log directories: each line (at most 1000
// bytes, a longer one is taken in 1000-byte pieces, as multilog does) goes
// through the script, and every e copies it to stderr if selected there
// (the first 200 bytes, then "..."). It exits 0 at the end of the input.
func (p *Plan) filter() int {
	in := bufio.NewReaderSize(os.Stdin, 4096)
	out := bufio.NewWriterSize(os.Stderr, 4096)
	line := make([]byte, 0, 1000)
	for {
		line = line[:0]
		if p.Stamp {
			line = append(tai64.Now().AppendText(line), ' ')
		}
		eof, any := false, false
		for len(line) < 1000 {
			c, err := in.ReadByte()
			if err != nil {
				eof = true
				break
			}
			any = true
			if c == '\n' {
				break
			}
			line = append(line, c)
		}
		if eof && !any {
			return 0
		}
		for _, sel := range p.Errs {
			if !sel.Selected(string(line)) {
				continue
			}
			if len(line) > 200 {
				out.Write(line[:200])
				out.WriteString("...\n")
			} else {
				out.Write(line)
				out.WriteByte('\n')
			}
		}
		if in.Buffered() == 0 || eof {
			out.Flush()
		}
		if eof {
			return 0
		}
	}
}
