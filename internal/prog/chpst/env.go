package chpst

import "gorunit/internal/sysio"

// Env returns the environment a program gets: environ with the changes
// applied one after the other as runit's pathexec does it. A change
// "name=value" removes the first existing entry for name (moving the last
// entry into its place) and appends the new one; a bare "name" only
// removes. The resulting order is exactly runit's.
func Env(environ, changes []string) []string {
	e := make([]string, len(environ), len(environ)+len(changes))
	copy(e, environ)
	for _, p := range changes {
		split := len(p)
		for i := 0; i < len(p); i++ {
			if p[i] == '=' {
				split = i
				break
			}
		}
		name := p[:split]
		for t := range e {
			if len(e[t]) > split && e[t][split] == '=' && e[t][:split] == name {
				e[t] = e[len(e)-1]
				e = e[:len(e)-1]
				break
			}
		}
		if split < len(p) {
			e = append(e, p)
		}
	}
	return e
}

// Getenv returns the value of the first entry for name in environ.
func Getenv(environ []string, name string) (string, bool) {
	for _, s := range environ {
		if len(s) > len(name) && s[len(name)] == '=' && s[:len(name)] == name {
			return s[len(name)+1:], true
		}
	}
	return "", false
}

// SearchPath lists the names execve is tried with for file, in order:
// file itself if it contains a '/', otherwise file in every element of
// path (an empty element is "."); path is "/bin:/usr/bin" if PATH is not
// set at all.
func SearchPath(file, path string, havePath bool) []string {
	for i := 0; i < len(file); i++ {
		if file[i] == '/' {
			return []string{file}
		}
	}
	if !havePath {
		path = "/bin:/usr/bin"
	}
	var out []string
	for _, dir := range sysio.SplitPath(path) {
		out = append(out, dir+"/"+file)
	}
	return out
}
