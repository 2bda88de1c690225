package merge

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"
)

// passwdEntry is the part of an /etc/passwd line Merge uses.
type passwdEntry struct {
	name     string
	uid, gid uint32
}

// groupEntry is the part of an /etc/group line Merge uses.
type groupEntry struct {
	name    string
	gid     uint32
	members []string
}

// readPasswd parses the image's /etc/passwd; found is false when the image
// has no such file.
func readPasswd(rootfs fs.FS) (entries []passwdEntry, found bool, err error) {
	var out []passwdEntry
	found, err = readColonFile(rootfs, "etc/passwd", func(f []string) {
		// name:password:uid:gid[:gecos:home:shell]
		if len(f) < 4 {
			return
		}
		uid, err1 := parseID(f[2])
		gid, err2 := parseID(f[3])
		if f[0] == "" || err1 != nil || err2 != nil {
			return
		}
		out = append(out, passwdEntry{name: f[0], uid: uid, gid: gid})
	})
	return out, found, err
}

// readGroup parses the image's /etc/group; found is false when the image
// has no such file.
func readGroup(rootfs fs.FS) (entries []groupEntry, found bool, err error) {
	var out []groupEntry
	found, err = readColonFile(rootfs, "etc/group", func(f []string) {
		// name:password:gid[:member,member...]
		if len(f) < 3 {
			return
		}
		gid, err := parseID(f[2])
		if f[0] == "" || err != nil {
			return
		}
		g := groupEntry{name: f[0], gid: gid}
		if len(f) > 3 {
			for _, m := range strings.Split(f[3], ",") {
				if m = strings.TrimSpace(m); m != "" {
					g.members = append(g.members, m)
				}
			}
		}
		out = append(out, g)
	})
	return out, found, err
}

// readColonFile calls line with the colon-separated fields of each line of
// name in rootfs, skipping blank lines and comments. found is false when
// the file does not exist (and then err is nil).
func readColonFile(rootfs fs.FS, name string, line func([]string)) (found bool, err error) {
	if rootfs == nil {
		return false, nil
	}
	f, err := rootfs.Open(name)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("open /%s in the image: %w", name, err)
	}
	defer f.Close()
	r := bufio.NewReader(f)
	for {
		text, err := r.ReadString('\n')
		text = strings.TrimSpace(text)
		if text != "" && !strings.HasPrefix(text, "#") {
			line(strings.Split(text, ":"))
		}
		if err == io.EOF {
			return true, nil
		}
		if err != nil {
			return true, fmt.Errorf("read /%s in the image: %w", name, err)
		}
	}
}

// parseID parses a decimal uid or gid.
func parseID(s string) (uint32, error) {
	n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 32)
	return uint32(n), err
}
