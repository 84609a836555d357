// Code generated from the spec's Appendix A table; DO NOT EDIT by hand.

package errstr

import "golang.org/x/sys/unix"

// table lists runit's error strings in its order; the first match wins.
var table = [...]struct {
	errno unix.Errno
	text  string
}{
	{unix.EINTR, "interrupted system call"},              // 4
	{unix.ENOMEM, "out of memory"},                       // 12
	{unix.ENOENT, "file does not exist"},                 // 2
	{unix.ETXTBSY, "text busy"},                          // 26
	{unix.EIO, "input/output error"},                     // 5
	{unix.EEXIST, "file already exists"},                 // 17
	{unix.ETIMEDOUT, "timed out"},                        // 110
	{unix.EINPROGRESS, "operation in progress"},          // 115
	{unix.EAGAIN, "temporary failure"},                   // 11
	{unix.EPIPE, "broken pipe"},                          // 32
	{unix.EPERM, "permission denied"},                    // 1
	{unix.EACCES, "access denied"},                       // 13
	{unix.ENXIO, "device not configured"},                // 6
	{unix.EPROTO, "protocol error"},                      // 71
	{unix.EISDIR, "is a directory"},                      // 21
	{unix.ECONNREFUSED, "connection refused"},            // 111
	{unix.ENOTDIR, "not a directory"},                    // 20
	{unix.ESRCH, "no such process"},                      // 3
	{unix.E2BIG, "argument list too long"},               // 7
	{unix.ENOEXEC, "exec format error"},                  // 8
	{unix.EBADF, "file descriptor not open"},             // 9
	{unix.ECHILD, "no child processes"},                  // 10
	{unix.EDEADLK, "operation would cause deadlock"},     // 35
	{unix.EFAULT, "bad address"},                         // 14
	{unix.ENOTBLK, "not a block device"},                 // 15
	{unix.EBUSY, "device busy"},                          // 16
	{unix.EXDEV, "cross-device link"},                    // 18
	{unix.ENODEV, "device does not support operation"},   // 19
	{unix.EINVAL, "invalid argument"},                    // 22
	{unix.ENFILE, "system cannot open more files"},       // 23
	{unix.EMFILE, "process cannot open more files"},      // 24
	{unix.ENOTTY, "not a tty"},                           // 25
	{unix.EFBIG, "file too big"},                         // 27
	{unix.ENOSPC, "out of disk space"},                   // 28
	{unix.ESPIPE, "unseekable descriptor"},               // 29
	{unix.EROFS, "read-only file system"},                // 30
	{unix.EMLINK, "too many links"},                      // 31
	{unix.EDOM, "input out of range"},                    // 33
	{unix.ERANGE, "output out of range"},                 // 34
	{unix.EALREADY, "operation already in progress"},     // 114
	{unix.ENOTSOCK, "not a socket"},                      // 88
	{unix.EDESTADDRREQ, "destination address required"},  // 89
	{unix.EMSGSIZE, "message too long"},                  // 90
	{unix.EPROTOTYPE, "incorrect protocol type"},         // 91
	{unix.ENOPROTOOPT, "protocol not available"},         // 92
	{unix.EPROTONOSUPPORT, "protocol not supported"},     // 93
	{unix.ESOCKTNOSUPPORT, "socket type not supported"},  // 94
	{unix.EOPNOTSUPP, "operation not supported"},         // 95
	{unix.EPFNOSUPPORT, "protocol family not supported"}, // 96
	{unix.EAFNOSUPPORT, "address family not supported"},  // 97
	{unix.EADDRINUSE, "address already used"},            // 98
	{unix.EADDRNOTAVAIL, "address not available"},        // 99
	{unix.ENETDOWN, "network down"},                      // 100
	{unix.ENETUNREACH, "network unreachable"},            // 101
	{unix.ENETRESET, "network reset"},                    // 102
	{unix.ECONNABORTED, "connection aborted"},            // 103
	{unix.ECONNRESET, "connection reset"},                // 104
	{unix.ENOBUFS, "out of buffer space"},                // 105
	{unix.EISCONN, "already connected"},                  // 106
	{unix.ENOTCONN, "not connected"},                     // 107
	{unix.ESHUTDOWN, "socket shut down"},                 // 108
	{unix.ETOOMANYREFS, "too many references"},           // 109
	{unix.ELOOP, "symbolic link loop"},                   // 40
	{unix.ENAMETOOLONG, "file name too long"},            // 36
	{unix.EHOSTDOWN, "host down"},                        // 112
	{unix.EHOSTUNREACH, "host unreachable"},              // 113
	{unix.ENOTEMPTY, "directory not empty"},              // 39
	{unix.EUSERS, "too many users"},                      // 87
	{unix.EDQUOT, "disk quota exceeded"},                 // 122
	{unix.ESTALE, "stale NFS file handle"},               // 116
	{unix.EREMOTE, "too many levels of remote in path"},  // 66
	{unix.ENOLCK, "no locks available"},                  // 37
	{unix.ENOSYS, "system call not available"},           // 38
	{unix.ENOSTR, "not a stream device"},                 // 60
	{unix.ETIME, "timer expired"},                        // 62
	{unix.ENOSR, "out of stream resources"},              // 63
	{unix.ENOMSG, "no message of desired type"},          // 42
	{unix.EBADMSG, "bad message type"},                   // 74
	{unix.EIDRM, "identifier removed"},                   // 43
	{unix.ENONET, "machine not on network"},              // 64
	{unix.ENOLINK, "link severed"},                       // 67
	{unix.EADV, "advertise error"},                       // 68
	{unix.ESRMNT, "srmount error"},                       // 69
	{unix.ECOMM, "communication error"},                  // 70
	{unix.EMULTIHOP, "multihop attempted"},               // 72
	{unix.EREMCHG, "remote address changed"},             // 78
}
