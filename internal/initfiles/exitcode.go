package initfiles

import (
	"strconv"

	"golang.org/x/sys/unix"
)

// WriteExitcode leaves code in Exitcode, the container's exit code that
// process 1 reads at the end (a main service's, hosted).
func WriteExitcode(code int) {
	fd, err := unix.Open(Exitcode, unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC|unix.O_CLOEXEC, 0o644)
	if err != nil {
		return
	}
	unix.Write(fd, strconv.AppendInt(nil, int64(code), 10))
	unix.Write(fd, []byte{'\n'})
	unix.Close(fd)
}
