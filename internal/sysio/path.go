package sysio

import "golang.org/x/sys/unix"

// SplitPath splits a PATH value into its directories, in order, the way
// execvp reads it: an empty element (leading, trailing, or "::") is the
// current directory ".".
func SplitPath(path string) []string {
	var out []string
	for {
		i := 0
		for i < len(path) && path[i] != ':' {
			i++
		}
		dir := path[:i]
		if dir == "" {
			dir = "."
		}
		out = append(out, dir)
		if i == len(path) {
			return out
		}
		path = path[i+1:]
	}
}

// Executable checks that p is a regular file this process may execute,
// leaving its stat in st. missing is true when stat found no file there
// (ENOENT or ENOTDIR); otherwise err is stat's error, EACCES for a file
// that is not regular, or access(2)'s error.
func Executable(p string, st *unix.Stat_t) (missing bool, err error) {
	if err := unix.Stat(p, st); err != nil {
		return err == unix.ENOENT || err == unix.ENOTDIR, err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return false, unix.EACCES
	}
	return false, unix.Access(p, unix.X_OK)
}

// LookPath finds file the way execvp would: the first executable regular
// file named file in path's directories (see SplitPath), and leaves its
// stat in st. Without one it returns the most telling error: the last
// reason a candidate that exists could not be run (access denied, ...),
// else file does not exist.
func LookPath(file, path string, st *unix.Stat_t) (string, error) {
	var saved error = unix.ENOENT
	for _, dir := range SplitPath(path) {
		cand := dir + "/" + file
		missing, err := Executable(cand, st)
		if err == nil {
			return cand, nil
		}
		if !missing {
			saved = err
		}
	}
	return "", saved
}
