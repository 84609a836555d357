package stages

import (
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"gorunit/internal/errstr"
)

// loopback brings up lo with 127.0.0.1/8 and ::1/128. What is already
// there is left alone (a container's engine usually did it, and the kernel
// adds both addresses itself when lo comes up). In a container, lacking
// the privilege (no CAP_NET_ADMIN) is expected and not reported, as for
// mountAPI.
//
// It speaks to the kernel directly (an ioctl for the flags, one
// RTM_NEWADDR message per address) rather than through a netlink library:
// the library brought net, net/netip and their initialisers into every
// command of the multi-call binary, ~30 kB of memory in every runsv and
// svlogd (docs/footprint.md, P5).
func loopback(container bool) {
	denied := func(err error) bool {
		return container && (err == unix.EPERM || err == unix.EACCES)
	}
	s, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		warn("unable to find the loopback interface: ", errstr.Str(err))
		return
	}
	ifr, _ := unix.NewIfreq("lo")
	err = unix.IoctlIfreq(s, unix.SIOCGIFINDEX, ifr)
	index := int32(ifr.Uint32())
	if err == nil {
		err = unix.IoctlIfreq(s, unix.SIOCGIFFLAGS, ifr)
	}
	if err != nil {
		unix.Close(s)
		warn("unable to find the loopback interface: ", errstr.Str(err))
		return
	}
	if flags := ifr.Uint16(); flags&unix.IFF_UP == 0 {
		ifr.SetUint16(flags | unix.IFF_UP)
		if err := unix.IoctlIfreq(s, unix.SIOCSIFFLAGS, ifr); err != nil && !denied(err) {
			warn("unable to bring up lo: ", errstr.Str(err))
		}
	}
	unix.Close(s)

	have := loAddrs(index)
	for _, a := range []struct {
		name   string
		family uint8
		bits   uint8
		ip     []byte
	}{
		{"127.0.0.1/8", unix.AF_INET, 8, []byte{127, 0, 0, 1}},
		{"::1/128", unix.AF_INET6, 128, []byte{15: 1}},
	} {
		if have[a.family] {
			continue
		}
		err := addAddr(index, a.family, a.bits, a.ip)
		if err == nil || err == unix.EEXIST || denied(err) {
			continue
		}
		if a.family == unix.AF_INET6 && (err == unix.EACCES || err == unix.EAFNOSUPPORT || err == unix.EOPNOTSUPP) {
			continue // IPv6 disabled
		}
		warn("unable to add ", a.name, " to lo: ", errstr.Str(err))
	}
}

// loAddrs reports which of 127.0.0.1 (have[AF_INET]) and ::1
// (have[AF_INET6]) interface index carries, whatever their prefix.
func loAddrs(index int32) (have [unix.AF_INET6 + 1]bool) {
	rib, err := syscall.NetlinkRIB(syscall.RTM_GETADDR, syscall.AF_UNSPEC)
	if err != nil {
		return
	}
	msgs, err := syscall.ParseNetlinkMessage(rib)
	if err != nil {
		return
	}
	for i := range msgs {
		m := &msgs[i]
		if m.Header.Type != syscall.RTM_NEWADDR || len(m.Data) < syscall.SizeofIfAddrmsg {
			continue
		}
		ifa := (*syscall.IfAddrmsg)(unsafe.Pointer(&m.Data[0]))
		if int32(ifa.Index) != index || (ifa.Family != unix.AF_INET && ifa.Family != unix.AF_INET6) {
			continue
		}
		attrs, err := syscall.ParseNetlinkRouteAttr(m)
		if err != nil {
			continue
		}
		for _, at := range attrs {
			if at.Attr.Type != syscall.IFA_LOCAL && at.Attr.Type != syscall.IFA_ADDRESS {
				continue
			}
			v := at.Value
			switch {
			case ifa.Family == unix.AF_INET && len(v) == 4 && v[0] == 127 && v[1] == 0 && v[2] == 0 && v[3] == 1:
				have[unix.AF_INET] = true
			case ifa.Family == unix.AF_INET6 && len(v) == 16 && string(v) == string([]byte{15: 1}):
				have[unix.AF_INET6] = true
			}
		}
	}
	return
}

// addAddr adds ip/bits to interface index, host scope (as ip(8) and the
// kernel do for loopback addresses), with one RTM_NEWADDR request, and
// returns the kernel's answer.
func addAddr(index int32, family, bits uint8, ip []byte) error {
	s, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return err
	}
	defer unix.Close(s)
	attr := func(b []byte, typ uint16, v []byte) []byte {
		var h [unix.SizeofRtAttr]byte
		*(*unix.RtAttr)(unsafe.Pointer(&h[0])) = unix.RtAttr{Len: uint16(unix.SizeofRtAttr + len(v)), Type: typ}
		b = append(append(b, h[:]...), v...)
		for len(b)%unix.NLMSG_ALIGNTO != 0 {
			b = append(b, 0)
		}
		return b
	}
	b := make([]byte, unix.SizeofNlMsghdr+unix.SizeofIfAddrmsg, 64)
	*(*unix.IfAddrmsg)(unsafe.Pointer(&b[unix.SizeofNlMsghdr])) = unix.IfAddrmsg{
		Family: family, Prefixlen: bits, Scope: unix.RT_SCOPE_HOST, Index: uint32(index),
	}
	b = attr(b, unix.IFA_LOCAL, ip)
	b = attr(b, unix.IFA_ADDRESS, ip)
	*(*unix.NlMsghdr)(unsafe.Pointer(&b[0])) = unix.NlMsghdr{
		Len: uint32(len(b)), Type: unix.RTM_NEWADDR, Seq: 1,
		Flags: unix.NLM_F_REQUEST | unix.NLM_F_ACK | unix.NLM_F_CREATE | unix.NLM_F_EXCL,
	}
	if err := unix.Sendto(s, b, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return err
	}
	var rb [4096]byte
	for {
		n, _, err := unix.Recvfrom(s, rb[:], 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		msgs, err := syscall.ParseNetlinkMessage(rb[:n])
		if err != nil {
			return err
		}
		for _, m := range msgs {
			if m.Header.Type == unix.NLMSG_ERROR && m.Header.Seq == 1 && len(m.Data) >= 4 {
				if e := *(*int32)(unsafe.Pointer(&m.Data[0])); e != 0 {
					return unix.Errno(-e)
				}
				return nil
			}
		}
	}
}
