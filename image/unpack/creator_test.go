package unpack

import (
	"bytes"
	"encoding/binary"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// Apply skips chown and chmod when creation alone gives the header's owner
// and mode; these cases must still end exactly as the header says.
func TestApplyOwnerAndModeUnderSetgidDir(t *testing.T) {
	_, layer := sandbox(t)
	sg := dir("sg/", 0o2775)
	sg.hdr.Gid = 77
	link := symlink("sg/l", "f")
	applyBytes(t, layer, tarBytes(t, sg, file("sg/f", "x", 0o644), link, dir("sg/sub/", 0o755), file("sg/sub/g", "", 0o755)))
	for name, perm := range map[string]uint32{"sg/f": 0o644, "sg/l": 0o777, "sg/sub": 0o755, "sg/sub/g": 0o755} {
		st := lstat(t, filepath.Join(layer, name))
		if st.Uid != 0 || st.Gid != 0 || st.Mode&0o7777 != perm {
			t.Errorf("%s: %d:%d %o, want 0:0 %o", name, st.Uid, st.Gid, st.Mode&0o7777, perm)
		}
	}
}

func TestApplyModeIgnoresUmask(t *testing.T) {
	for _, mask := range []int{0, 0o022, 0o077, 0o777} {
		old := unix.Umask(mask)
		_, layer := sandbox(t)
		_, err := Apply(layer, bytes.NewReader(tarBytes(t, file("a", "", 0o644), file("b", "", 0o755), file("c", "", 0o666), dir("d", 0o777))))
		unix.Umask(old)
		if err != nil {
			t.Fatal(err)
		}
		for name, perm := range map[string]uint32{"a": 0o644, "b": 0o755, "c": 0o666, "d": 0o777} {
			if got := lstat(t, filepath.Join(layer, name)).Mode & 0o7777; got != perm {
				t.Errorf("umask %o: %s mode %o, want %o", mask, name, got, perm)
			}
		}
	}
}

// defaultACL encodes a system.posix_acl_default value: user::rwx,
// group::---, other::---, which would turn a new 0644 file into 0600.
func defaultACL() []byte {
	b := binary.LittleEndian.AppendUint32(nil, 2) // POSIX_ACL_XATTR_VERSION
	for _, e := range []struct{ tag, perm uint16 }{{0x01, 7}, {0x04, 0}, {0x20, 0}} {
		b = binary.LittleEndian.AppendUint16(b, e.tag)
		b = binary.LittleEndian.AppendUint16(b, e.perm)
		b = binary.LittleEndian.AppendUint32(b, 0xffffffff)
	}
	return b
}

func TestApplyModeUnderDefaultACL(t *testing.T) {
	_, layer := sandbox(t)
	if err := unix.Setxattr(layer, aclDefaultXattr, defaultACL(), 0); err == unix.EOPNOTSUPP {
		t.Skip("no POSIX ACLs on the temp dir's filesystem")
	} else if err != nil {
		t.Fatal(err)
	}
	applyBytes(t, layer, tarBytes(t, file("a", "", 0o644)))
	if got := lstat(t, filepath.Join(layer, "a")).Mode & 0o7777; got != 0o644 {
		t.Errorf("under the root's default ACL: mode %o, want 644", got)
	}

	_, layer = sandbox(t)
	d := dir("d/", 0o755)
	d.hdr.PAXRecords = map[string]string{"SCHILY.xattr." + aclDefaultXattr: string(defaultACL())}
	applyBytes(t, layer, tarBytes(t, d, file("d/a", "", 0o644)))
	if got := lstat(t, filepath.Join(layer, "d/a")).Mode & 0o7777; got != 0o644 {
		t.Errorf("under an entry's default ACL: mode %o, want 644", got)
	}
}
