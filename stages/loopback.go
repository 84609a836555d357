package stages

import (
	"errors"
	"net"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"gorunit/internal/errstr"
)

// loopback brings up lo with 127.0.0.1/8 and ::1/128. What is already
// there is left alone (a container's engine usually did it). In a
// container, lacking the privilege (no CAP_NET_ADMIN) is expected and not
// reported, as for mountAPI.
func loopback(container bool) {
	denied := func(err error) bool {
		return container && (errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES))
	}
	lo, err := netlink.LinkByName("lo")
	if err != nil {
		warn("unable to find the loopback interface: ", errstr.Str(err))
		return
	}
	if lo.Attrs().Flags&net.FlagUp == 0 {
		if err := netlink.LinkSetUp(lo); err != nil && !denied(err) {
			warn("unable to bring up lo: ", errstr.Str(err))
		}
	}
	have, _ := netlink.AddrList(lo, netlink.FAMILY_ALL)
	for _, a := range []struct {
		ip   net.IP
		bits int
	}{{net.IPv4(127, 0, 0, 1), 32}, {net.IPv6loopback, 128}} {
		n := &net.IPNet{IP: a.ip, Mask: net.CIDRMask(8, 32)}
		if a.bits == 128 {
			n.Mask = net.CIDRMask(128, 128)
		} else {
			n.IP = a.ip.To4()
		}
		found := false
		for _, h := range have {
			if h.IP.Equal(n.IP) {
				found = true
			}
		}
		if found {
			continue
		}
		err := netlink.AddrAdd(lo, &netlink.Addr{IPNet: n})
		if err == nil || errors.Is(err, unix.EEXIST) || denied(err) {
			continue
		}
		if a.bits == 128 && (errors.Is(err, unix.EACCES) || errors.Is(err, unix.EAFNOSUPPORT) || errors.Is(err, unix.EOPNOTSUPP)) {
			continue // IPv6 disabled
		}
		warn("unable to add ", n.String(), " to lo: ", errstr.Str(err))
	}
}
