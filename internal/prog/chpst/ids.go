package chpst

import (
	"gorunit/internal/errstr"
	"gorunit/internal/passwd"
	"gorunit/internal/scan"
)

// maxGids is the most groups the numeric form :uid:gid:... may list.
const maxGids = 60

// IDs is a resolved account: the uid and the groups (GIDs[0] is the
// primary group).
type IDs struct {
	UID  uint32
	GIDs []uint32
}

// NumericIDs parses the ":uid:gid[:gid...]" form (spec without the
// leading ':'). Empty numbers are 0; a trailing ':' adds group 0; at most
// 60 groups.
func NumericIDs(s string) (IDs, bool) {
	var ids IDs
	v, n := scan.Ulong(s)
	ids.UID = uint32(v)
	s = s[n:]
	if len(s) == 0 || s[0] != ':' {
		return ids, false
	}
	s = s[1:]
	for len(ids.GIDs) < maxGids {
		v, n = scan.Ulong(s)
		s = s[n:]
		ids.GIDs = append(ids.GIDs, uint32(v))
		if len(s) == 0 || s[0] != ':' {
			break
		}
		s = s[1:]
	}
	return ids, s == ""
}

// Resolver looks accounts up in a passwd and a group file.
type Resolver struct {
	PasswdFile, GroupFile string
}

// DefaultResolver uses /etc/passwd and /etc/group.
var DefaultResolver = Resolver{PasswdFile: passwd.PasswdFile, GroupFile: passwd.GroupFile}

// Resolve resolves an account as chpst -u/-U (ext) or setuidgid/envuidgid
// (!ext) do. On failure it returns the message (after "chpst: fatal: ").
//
// ext forms: "user" (uid and primary gid of user), "user:g1[:g2...]"
// (groups by name, g1 primary), ":uid:gid[:gid...]" (numeric, no lookups).
// The personalities take the whole argument as a user name.
func (r Resolver) Resolve(spec string, ext bool) (IDs, string) {
	if ext && len(spec) > 0 && spec[0] == ':' {
		ids, ok := NumericIDs(spec[1:])
		if !ok {
			return IDs{}, "invalid uid/gids: " + spec[1:]
		}
		return ids, ""
	}
	unknown := "unknown account: " + spec
	name, groups := spec, ""
	hasGroups := false
	if ext {
		unknown = "unknown user/group: " + spec
		for i := 0; i < len(spec); i++ {
			if spec[i] == ':' {
				name, groups, hasGroups = spec[:i], spec[i+1:], true
				break
			}
		}
	}
	u, found, err := passwd.LookupUser(r.PasswdFile, name)
	if err != nil {
		return IDs{}, "unable to get password/group file entry: " + errstr.Str(err)
	}
	if !found {
		return IDs{}, unknown
	}
	ids := IDs{UID: u.UID}
	if !hasGroups {
		ids.GIDs = []uint32{u.GID}
		return ids, ""
	}
	for {
		g := groups
		rest, more := "", false
		for i := 0; i < len(groups); i++ {
			if groups[i] == ':' {
				g, rest, more = groups[:i], groups[i+1:], true
				break
			}
		}
		gid, found, err := passwd.LookupGroup(r.GroupFile, g)
		if err != nil {
			return IDs{}, "unable to get password/group file entry: " + errstr.Str(err)
		}
		if !found {
			return IDs{}, unknown
		}
		ids.GIDs = append(ids.GIDs, gid)
		// Group names after the 60th are ignored, not even looked up.
		if !more || len(ids.GIDs) == maxGids {
			return ids, ""
		}
		groups = rest
	}
}
