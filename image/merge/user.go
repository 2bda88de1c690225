package merge

import (
	"fmt"
	"io/fs"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// resolveUser turns the image's User ("name", "uid", "name:group",
// "uid:gid", "uid:group" or "name:gid") into a process user, looking names
// up in the image's /etc/passwd and /etc/group.
//
// Like Docker: an empty User means root (uid 0); a user without a group
// gets its primary gid from /etc/passwd (0 when the uid has no entry there)
// and additionalGids from the /etc/group entries that list its name; a
// user with a group gets that group only.
func resolveUser(spec string, rootfs fs.FS) (specs.User, error) {
	userPart, groupPart, hasGroup := strings.Cut(spec, ":")
	if spec == "" {
		userPart = "0"
	}
	if userPart == "" || (hasGroup && groupPart == "") {
		return specs.User{}, fmt.Errorf("image User %q: want user, uid, user:group or uid:gid", spec)
	}

	users, havePasswd, err := readPasswd(rootfs)
	if err != nil {
		return specs.User{}, fmt.Errorf("image User %q: %w", spec, err)
	}
	var u specs.User
	var name string
	if uid, err := parseID(userPart); err == nil {
		u.UID = uid
		if i := slices.IndexFunc(users, func(e passwdEntry) bool { return e.uid == uid }); i >= 0 {
			u.GID, name = users[i].gid, users[i].name
		}
	} else {
		i := slices.IndexFunc(users, func(e passwdEntry) bool { return e.name == userPart })
		if i < 0 {
			return specs.User{}, fmt.Errorf("image User %q: no user %q in the image's /etc/passwd%s", spec, userPart, absent(havePasswd, "/etc/passwd"))
		}
		u.UID, u.GID, name = users[i].uid, users[i].gid, userPart
	}

	if hasGroup {
		gid, err := parseID(groupPart)
		if err != nil {
			groups, haveGroup, err := readGroup(rootfs)
			if err != nil {
				return specs.User{}, fmt.Errorf("image User %q: %w", spec, err)
			}
			i := slices.IndexFunc(groups, func(g groupEntry) bool { return g.name == groupPart })
			if i < 0 {
				return specs.User{}, fmt.Errorf("image User %q: no group %q in the image's /etc/group%s", spec, groupPart, absent(haveGroup, "/etc/group"))
			}
			gid = groups[i].gid
		}
		u.GID = gid
		return u, nil
	}

	if name != "" {
		groups, _, err := readGroup(rootfs)
		if err != nil {
			return specs.User{}, fmt.Errorf("image User %q: %w", spec, err)
		}
		for _, g := range groups {
			if slices.Contains(g.members, name) && !slices.Contains(u.AdditionalGids, g.gid) {
				u.AdditionalGids = append(u.AdditionalGids, g.gid)
			}
		}
	}
	return u, nil
}

// absent explains a failed lookup when the file itself is missing.
func absent(found bool, file string) string {
	if found {
		return ""
	}
	return " (the image has no " + file + ")"
}
