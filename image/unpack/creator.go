package unpack

import (
	"archive/tar"
	"bytes"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

const aclDefaultXattr = "system.posix_acl_default"

// creator is what a new file gets without chown or chmod: the process's
// effective ids (or the parent's group under a setgid directory) and the
// requested permissions less the umask. Knowing it lets Apply skip the
// chown and chmod calls for the common entry (root-owned, 0644 or 0755),
// which is most of the per-file system call cost besides the data.
type creator struct {
	uid, gid   int
	umask      uint32
	umaskKnown bool
	// acl: a default ACL may apply to new files (inherited by the layer
	// directory, or set by an entry), and then the umask says nothing
	// about the created mode: always chmod.
	acl bool
}

func currentCreator(root int) creator {
	c := creator{uid: unix.Geteuid(), gid: unix.Getegid()}
	c.umask, c.umaskKnown = readUmask()
	if _, err := unix.Fgetxattr(root, aclDefaultXattr, nil); err == nil || err == unix.ERANGE {
		c.acl = true
	}
	return c
}

// readUmask reads the umask without changing it: umask(2) is process-wide
// and setting it, even briefly, would race with other goroutines.
func readUmask() (uint32, bool) {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for line := range bytes.Lines(status) {
		if v, ok := bytes.CutPrefix(line, []byte("Umask:")); ok {
			m, err := strconv.ParseUint(string(bytes.TrimSpace(v)), 8, 32)
			return uint32(m), err == nil
		}
	}
	return 0, false
}

// needChown reports whether a new entry would be owned other than hdr says.
func (c *creator) needChown(hdr *tar.Header, parentSetgid bool) bool {
	return hdr.Uid != c.uid || hdr.Gid != c.gid || parentSetgid
}

// createMode returns the mode to create a regular file with, and whether
// the file then has exactly perm. Special bits always go through chmod
// (after chown, which clears them).
func (c *creator) createMode(perm uint32) (uint32, bool) {
	if c.umaskKnown && !c.acl && perm&c.umask == 0 && perm&0o7000 == 0 {
		return perm, true
	}
	return 0o600, false
}
