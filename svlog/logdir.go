package svlog

import (
	"time"

	"golang.org/x/sys/unix"

	"gorunit/internal/errstr"
	"gorunit/internal/msg"
	"gorunit/internal/sysio"
	"gorunit/internal/tai64"
)

// outBufSize is the capacity of a directory's output buffer: a batch of
// input is written to current with one write(2) unless its lines (with
// their stamps and prefix) do not fit.
const outBufSize = 32 << 10

// logdir is one log directory given on the command line.
type logdir struct {
	sv     *svlogd
	name   string // as given on the command line (messages, processor cwd)
	opened string // name once opened successfully (runit's verbose quirks)
	ok     bool   // open and in use
	dirfd  int
	lock   int
	cur    int    // current, open for appending
	size   uint64 // size of current including buf
	buf    []byte // bytes for current not yet written
	cfg    Config

	trotate int64 // unix nanoseconds of the next time rotation (cfg.TMax > 0)
	tailSel bool  // the long line in progress goes to this directory
	udpfd   int   // UDP socket, -1 if none
	udpbuf  []byte
	udpsa   unix.SockaddrInet4

	proc processor
}

func (d *logdir) warn(what string, err error) {
	msg.Err("svlogd: warning: ", what, d.name, ": ", errstr.Str(err))
}

func (d *logdir) info(parts ...string) {
	if d.sv.verbose {
		msg.Err(append([]string{"svlogd: info: "}, parts...)...)
	}
}

// pause reports a failure to write to the directory, sleeps three seconds
// and returns so that the caller retries, as runit does.
func (d *logdir) pause(what string, err error) {
	msg.Err("svlogd: pausing: ", what, d.name, ": ", errstr.Str(err))
	time.Sleep(3 * time.Second)
}

func closeFd(fd *int) {
	if *fd >= 0 {
		unix.Close(*fd)
		*fd = -1
	}
}

const openFlags = unix.O_CLOEXEC | unix.O_NONBLOCK

// open opens the directory, locks it, reads its config and opens current
// (renaming a current that was not closed cleanly to @<now>.u first). It
// reports whether the directory can be used; failures were reported.
func (d *logdir) open() bool {
	d.ok = false
	d.dirfd, d.lock, d.cur, d.udpfd = -1, -1, -1, -1
	fd, err := unix.Open(d.name, unix.O_RDONLY|openFlags, 0)
	if err != nil {
		d.warn("unable to open log directory: ", err)
		return false
	}
	d.dirfd = fd
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFDIR {
		if err == nil {
			err = unix.ENOTDIR
		}
		d.info("close: ", d.opened) // runit's quirk: an empty name the first time
		d.warn("unable to change directory: ", err)
		d.closeFds()
		return false
	}
	d.lock, err = unix.Openat(fd, "lock", unix.O_WRONLY|unix.O_APPEND|unix.O_CREAT|openFlags, 0600)
	if err == nil {
		err = unix.Flock(d.lock, unix.LOCK_EX|unix.LOCK_NB)
	}
	if err != nil {
		d.info("close: ", d.opened)
		d.warn("unable to lock directory: ", err)
		d.closeFds()
		return false
	}

	d.cfg = Defaults()
	data, err := sysio.ReadFileAt(fd, "config", unix.O_NONBLOCK)
	switch {
	case err == unix.ENOENT:
	case err != nil:
		d.warn("unable to read config: ", err)
		d.info("read: ", d.name, "/config")
	default:
		d.info("read: ", d.name, "/config")
		var warnings []string
		d.cfg, warnings = ParseConfig(data)
		for _, w := range warnings {
			msg.Err("svlogd: warning: ", w)
		}
	}

	fresh := true
	err = unix.Fstatat(fd, "current", &st, unix.AT_SYMLINK_NOFOLLOW)
	switch {
	case err == unix.ENOENT:
	case err != nil:
		d.warn("unable to stat current: ", err)
		d.closeFds()
		return false
	case st.Size > 0 && st.Mode&0100 == 0:
		// Not closed cleanly: keep it as an unprocessed old file.
		name := d.newName('u')
		for {
			err := unix.Renameat(fd, "current", fd, name)
			if err == nil {
				break
			}
			d.pause("unable to rename current: ", err)
		}
		d.prune()
	default:
		fresh = false
	}
	for {
		d.cur, err = unix.Openat(fd, "current", unix.O_WRONLY|unix.O_APPEND|unix.O_CREAT|openFlags, 0600)
		if err == nil {
			break
		}
		d.pause("unable to open current: ", err)
	}
	if err := unix.Fstat(d.cur, &st); err == nil {
		d.size = uint64(st.Size)
	} else {
		d.size = 0
	}
	unix.Fchmod(d.cur, 0644)
	if fresh {
		d.info("new: ", d.name, "/current")
	} else {
		d.info("append: ", d.name, "/current")
	}
	if d.buf == nil {
		d.buf = make([]byte, 0, outBufSize)
	}
	d.buf = d.buf[:0]
	d.trotate = time.Now().UnixNano() + int64(d.cfg.TMax)*1e9
	d.ok = true
	d.opened = d.name
	d.proc.leftover(d)
	return true
}

func (d *logdir) closeFds() {
	closeFd(&d.cur)
	closeFd(&d.lock)
	closeFd(&d.dirfd)
	closeFd(&d.udpfd)
}

// close writes what is pending, syncs current, marks it complete (u+x)
// and releases the directory.
func (d *logdir) close() {
	if !d.ok {
		return
	}
	d.flush()
	d.finishCurrent()
	d.closeFds()
	d.ok = false
	d.info("close: ", d.name)
}

// finishCurrent syncs current and sets its mode to 0744 ("complete").
func (d *logdir) finishCurrent() {
	for {
		err := unix.Fsync(d.cur)
		if err == nil || err == unix.EINVAL || err == unix.EROFS {
			break
		}
		d.pause("unable to fsync current logfile: ", err)
	}
	for {
		err := unix.Fchmod(d.cur, 0744)
		if err == nil {
			break
		}
		d.pause("unable to set mode of current: ", err)
	}
}

// newName returns a name @<now>.<suffix> that does not exist yet.
func (d *logdir) newName(suffix byte) string {
	var b [27]byte
	for {
		n := tai64.Now().AppendText(b[:0])
		n = append(n, '.', suffix)
		name := string(n)
		var st unix.Stat_t
		if unix.Fstatat(d.dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW) == unix.ENOENT {
			return name
		}
	}
}

// put appends b to current, rotating before a write when current has
// reached the size limit and cutting writes at exactly that size (runit
// splits lines across files when s is smaller than a line).
func (d *logdir) put(b []byte) {
	for len(b) > 0 {
		n := len(b)
		if max := d.cfg.SizeMax; max != 0 {
			if d.size >= max {
				d.rotate()
			}
			if room := max - d.size; uint64(n) > room {
				n = int(room)
			}
		}
		if len(d.buf)+n > cap(d.buf) {
			d.flush()
			if n > cap(d.buf) {
				d.writeAll(b[:n])
				d.size += uint64(n)
				b = b[n:]
				continue
			}
		}
		d.buf = append(d.buf, b[:n]...)
		d.size += uint64(n)
		b = b[n:]
	}
}

// lineEnd is called after a line's newline went to put: current is
// rotated when it has come within the line length of the size limit
// (never when the limit is below the line length, as in runit).
func (d *logdir) lineEnd() {
	if max := d.cfg.SizeMax; max != 0 && d.size >= max-uint64(d.sv.linemax) {
		d.rotate()
	}
}

// flush writes the buffered bytes to current.
func (d *logdir) flush() {
	if len(d.buf) > 0 {
		d.writeAll(d.buf)
		d.buf = d.buf[:0]
	}
}

// writeAll writes b to current, retrying forever: on a full disk it
// deletes the oldest old file while more than N are left (if N < n),
// otherwise it pauses three seconds and tries again. Nothing accepted is
// ever dropped.
func (d *logdir) writeAll(b []byte) {
	for len(b) > 0 {
		n, err := unix.Write(d.cur, b)
		if n > 0 {
			b = b[n:]
			continue
		}
		if err == unix.EINTR || err == unix.EAGAIN {
			continue
		}
		if err == nil {
			err = unix.EIO
		}
		if err == unix.ENOSPC && d.cfg.NMin < d.cfg.NMax && d.deleteForSpace() {
			continue
		}
		d.pause("unable to write to current: ", err)
	}
}

// rotate closes current as an old file @<now>.s (.u if a processor is
// configured), opens a new current, prunes old files and starts the
// processor. A previous processor still running is waited for first.
func (d *logdir) rotate() {
	d.proc.wait(d)
	d.flush()
	size := d.size
	d.finishCurrent()
	closeFd(&d.cur)
	suffix := byte('s')
	if d.cfg.Processor != "" {
		suffix = 'u'
	}
	name := d.newName(suffix)
	for {
		err := unix.Renameat(d.dirfd, "current", d.dirfd, name)
		if err == nil {
			break
		}
		d.pause("unable to rename current: ", err)
	}
	d.info("rename: ", d.name, "/current ", name, " ", msg.Itoa(int64(size)))
	for {
		var err error
		d.cur, err = unix.Openat(d.dirfd, "current", unix.O_WRONLY|unix.O_APPEND|unix.O_CREAT|unix.O_TRUNC|openFlags, 0600)
		if err == nil {
			break
		}
		d.pause("unable to create new current: ", err)
	}
	unix.Fchmod(d.cur, 0644)
	d.size = 0
	if d.cfg.TMax != 0 {
		d.trotate = time.Now().UnixNano() + int64(d.cfg.TMax)*1e9
	}
	d.prune()
	if d.cfg.Processor != "" {
		d.proc.start(d, name[:25], d.cfg.Processor)
	}
}

// isOld tells whether name is one of svlogd's old files (@ + 24 hex +
// '.' + suffix: 27 characters starting with '@').
func isOld(name []byte) bool { return len(name) == 27 && name[0] == '@' }

// prune deletes every processor leftover (@….t) and, if more than n old
// files remain, the oldest one: one per rotation, as runit does. Files
// @….u (input of a processor) are neither counted nor deleted (Debian).
func (d *logdir) prune() {
	var oldest [27]byte
	count := uint64(0)
	found := false
	eachEntry(d.dirfd, func(name []byte) {
		if !isOld(name) || name[25] != '.' {
			return
		}
		switch name[26] {
		case 't':
			unix.Unlinkat(d.dirfd, string(name), 0)
			return
		case 'u':
			return
		}
		count++
		if !found || string(name) < string(oldest[:]) {
			copy(oldest[:], name)
			found = true
		}
	})
	if d.cfg.NMax != 0 && count > d.cfg.NMax && found {
		d.info("delete: ", d.name, "/", string(oldest[:]))
		if err := unix.Unlinkat(d.dirfd, string(oldest[:]), 0); err != nil {
			msg.Err("svlogd: warning: unable to unlink oldest logfile: ", d.name, "/", string(oldest[:]), ": ", errstr.Str(err))
		}
	}
}

// deleteForSpace deletes the oldest old file if more than N are left and
// reports whether it did. As runit's, it counts every 27-character @ name,
// unprocessed (.u) and half-processed (.t) ones too: only rotation keeps
// those.
func (d *logdir) deleteForSpace() bool {
	var oldest [27]byte
	count := uint64(0)
	eachEntry(d.dirfd, func(name []byte) {
		if !isOld(name) {
			return
		}
		count++
		if count == 1 || string(name) < string(oldest[:]) {
			copy(oldest[:], name)
		}
	})
	if count <= d.cfg.NMin {
		return false
	}
	msg.Err("svlogd: warning: out of disk space, delete: ", d.name, "/", string(oldest[:]))
	if err := unix.Unlinkat(d.dirfd, string(oldest[:]), 0); err != nil {
		msg.Err("svlogd: warning: unable to unlink oldest logfile: ", d.name, "/", string(oldest[:]), ": ", errstr.Str(err))
		return false
	}
	return true
}

// eachEntry calls f with the name of every entry of the directory dirfd
// (without allocating per entry; the slice is valid during the call).
func eachEntry(dirfd int, f func(name []byte)) {
	fd, err := unix.Openat(dirfd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return
	}
	defer unix.Close(fd)
	var buf [4096]byte
	for {
		n, err := unix.Getdents(fd, buf[:])
		if err == unix.EINTR {
			continue
		}
		if err != nil || n <= 0 {
			return
		}
		for off := 0; off+19 <= n; {
			reclen := int(buf[off+16]) | int(buf[off+17])<<8
			if reclen <= 0 || off+reclen > n {
				return
			}
			name := buf[off+19 : off+reclen]
			for i, c := range name {
				if c == 0 {
					name = name[:i]
					break
				}
			}
			f(name)
			off += reclen
		}
	}
}
