package svlog

import (
	"golang.org/x/sys/unix"
)

// sendUDP sends one datagram with the line's copy (stamp, prefix, the
// first len bytes, "..." if the line is that long, newline) to the
// directory's UDP target. A failure is recorded in the directory itself,
// as runit does: "warning: failure sending through udp: " followed by the
// datagram. The socket is made once per configuration (runit makes one
// per line).
func (d *logdir) sendUDP(stamp, head []byte, long bool) {
	b := append(d.udpbuf[:0], stamp...)
	b = append(b, d.cfg.Prefix...)
	b = append(b, head...)
	if long {
		b = append(b, "..."...)
	}
	b = append(b, '\n')
	d.udpbuf = b
	if d.udpfd < 0 {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			d.put(noSocket)
			d.put(b)
			return
		}
		d.udpfd = fd
	}
	d.udpsa.Port, d.udpsa.Addr = d.cfg.UDPPort, d.cfg.UDPAddr
	for {
		err := unix.Sendto(d.udpfd, b, 0, &d.udpsa)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			d.put(sendFailed)
			d.put(b)
		}
		return
	}
}

var (
	noSocket   = []byte("warning: no udp socket available: ")
	sendFailed = []byte("warning: failure sending through udp: ")
)
