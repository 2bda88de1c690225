package rootfs

import (
	"reflect"
	"testing"

	"golang.org/x/sys/unix"
)

func TestParseMountOptions(t *testing.T) {
	const atimeOthers = unix.MS_RELATIME | unix.MS_STRICTATIME
	for _, tc := range []struct {
		name string
		opts []string
		want MountOptions
	}{
		{"none", nil, MountOptions{}},
		{"defaults", []string{"defaults", ""}, MountOptions{}},
		{"ro", []string{"ro"}, MountOptions{Flags: unix.MS_RDONLY}},
		{"rw", []string{"rw"}, MountOptions{Clear: unix.MS_RDONLY}},
		{"last wins", []string{"ro", "rw"}, MountOptions{Clear: unix.MS_RDONLY}},
		{"last wins 2", []string{"rw", "ro"}, MountOptions{Flags: unix.MS_RDONLY}},
		{"suid", []string{"nosuid", "suid"}, MountOptions{Clear: unix.MS_NOSUID}},
		{"nosuid", []string{"nosuid"}, MountOptions{Flags: unix.MS_NOSUID}},
		{"nodev", []string{"nodev"}, MountOptions{Flags: unix.MS_NODEV}},
		{"dev", []string{"dev"}, MountOptions{Clear: unix.MS_NODEV}},
		{"noexec", []string{"noexec"}, MountOptions{Flags: unix.MS_NOEXEC}},
		{"exec", []string{"exec"}, MountOptions{Clear: unix.MS_NOEXEC}},
		{"sync", []string{"sync"}, MountOptions{Flags: unix.MS_SYNCHRONOUS}},
		{"async", []string{"async"}, MountOptions{Clear: unix.MS_SYNCHRONOUS}},
		{"dirsync", []string{"dirsync"}, MountOptions{Flags: unix.MS_DIRSYNC}},
		{"remount", []string{"remount"}, MountOptions{Flags: unix.MS_REMOUNT}},
		{"mand", []string{"mand"}, MountOptions{Flags: unix.MS_MANDLOCK}},
		{"nomand", []string{"nomand"}, MountOptions{Clear: unix.MS_MANDLOCK}},
		{"noatime", []string{"noatime"}, MountOptions{Flags: unix.MS_NOATIME, Clear: atimeOthers}},
		{"atime", []string{"atime"}, MountOptions{Clear: unix.MS_NOATIME}},
		{"relatime", []string{"relatime"}, MountOptions{Flags: unix.MS_RELATIME, Clear: unix.MS_NOATIME | unix.MS_STRICTATIME}},
		{"norelatime", []string{"norelatime"}, MountOptions{Clear: unix.MS_RELATIME}},
		{"strictatime", []string{"strictatime"}, MountOptions{Flags: unix.MS_STRICTATIME, Clear: unix.MS_NOATIME | unix.MS_RELATIME}},
		{"nostrictatime", []string{"nostrictatime"}, MountOptions{Clear: unix.MS_STRICTATIME}},
		{"atime modes exclusive", []string{"noatime", "strictatime"}, MountOptions{Flags: unix.MS_STRICTATIME, Clear: unix.MS_NOATIME | unix.MS_RELATIME}},
		{"nodiratime", []string{"nodiratime"}, MountOptions{Flags: unix.MS_NODIRATIME}},
		{"diratime", []string{"diratime"}, MountOptions{Clear: unix.MS_NODIRATIME}},
		{"nosymfollow", []string{"nosymfollow"}, MountOptions{Flags: unix.MS_NOSYMFOLLOW}},
		{"symfollow", []string{"symfollow"}, MountOptions{Clear: unix.MS_NOSYMFOLLOW}},
		{"iversion", []string{"iversion", "lazytime", "silent"}, MountOptions{Flags: unix.MS_I_VERSION | unix.MS_LAZYTIME | unix.MS_SILENT}},
		{"noiversion", []string{"noiversion", "nolazytime", "loud"}, MountOptions{Clear: unix.MS_I_VERSION | unix.MS_LAZYTIME | unix.MS_SILENT}},
		{"bind", []string{"bind"}, MountOptions{Flags: unix.MS_BIND}},
		{"rbind", []string{"rbind"}, MountOptions{Flags: unix.MS_BIND | unix.MS_REC}},
		{"propagation in order", []string{"rbind", "rslave", "shared", "private", "rprivate", "unbindable", "runbindable", "slave", "rshared"},
			MountOptions{Flags: unix.MS_BIND | unix.MS_REC, Propagation: []uintptr{
				unix.MS_SLAVE | unix.MS_REC, unix.MS_SHARED, unix.MS_PRIVATE, unix.MS_PRIVATE | unix.MS_REC,
				unix.MS_UNBINDABLE, unix.MS_UNBINDABLE | unix.MS_REC, unix.MS_SLAVE, unix.MS_SHARED | unix.MS_REC}}},
		{"data", []string{"nosuid", "mode=755", "strictatime", "size=65536k"},
			MountOptions{Flags: unix.MS_NOSUID | unix.MS_STRICTATIME, Clear: unix.MS_NOATIME | unix.MS_RELATIME, Data: "mode=755,size=65536k"}},
		{"runc spec devpts", []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"},
			MountOptions{Flags: unix.MS_NOSUID | unix.MS_NOEXEC, Data: "newinstance,ptmxmode=0666,mode=0620,gid=5"}},
		{"recursive", []string{"rro", "rnosuid", "rnodev", "rnoexec", "rnodiratime", "rnosymfollow"},
			MountOptions{RecSet: unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV | unix.MOUNT_ATTR_NOEXEC | unix.MOUNT_ATTR_NODIRATIME | unix.MOUNT_ATTR_NOSYMFOLLOW}},
		{"recursive clear", []string{"rro", "rrw", "rsuid", "rdev", "rexec", "rdiratime", "rsymfollow"},
			MountOptions{RecClear: unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV | unix.MOUNT_ATTR_NOEXEC | unix.MOUNT_ATTR_NODIRATIME | unix.MOUNT_ATTR_NOSYMFOLLOW}},
		{"rnoatime", []string{"rnoatime"}, MountOptions{RecSet: unix.MOUNT_ATTR_NOATIME, RecClear: unix.MOUNT_ATTR__ATIME}},
		{"rstrictatime", []string{"rnoatime", "rstrictatime"}, MountOptions{RecSet: unix.MOUNT_ATTR_STRICTATIME, RecClear: unix.MOUNT_ATTR__ATIME}},
		{"rnorelatime", []string{"rnorelatime"}, MountOptions{RecSet: unix.MOUNT_ATTR_STRICTATIME, RecClear: unix.MOUNT_ATTR__ATIME}},
		{"rrelatime", []string{"rnoatime", "rrelatime"}, MountOptions{RecSet: unix.MOUNT_ATTR_RELATIME, RecClear: unix.MOUNT_ATTR__ATIME}},
		{"ratime", []string{"ratime"}, MountOptions{RecSet: unix.MOUNT_ATTR_RELATIME, RecClear: unix.MOUNT_ATTR__ATIME}},
		{"rnostrictatime", []string{"rnostrictatime"}, MountOptions{RecSet: unix.MOUNT_ATTR_RELATIME, RecClear: unix.MOUNT_ATTR__ATIME}},
		{"idmap", []string{"idmap"}, MountOptions{IDMap: true}},
		{"ridmap", []string{"ridmap"}, MountOptions{IDMap: true, RecursiveIDMap: true}},
		{"tmpcopyup", []string{"tmpcopyup"}, MountOptions{TmpCopyUp: true}},
		{"rw is not recursive w", []string{"rw", "rshared"}, MountOptions{Clear: unix.MS_RDONLY, Propagation: []uintptr{unix.MS_SHARED | unix.MS_REC}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ParseMountOptions(tc.opts)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ParseMountOptions(%q)\n got  %+v\n want %+v", tc.opts, got, tc.want)
			}
		})
	}
}

func TestBindAttr(t *testing.T) {
	// Any flag option clears what the options do not name (runc's rule).
	const implied = unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV | unix.MOUNT_ATTR_NOEXEC | unix.MOUNT_ATTR_NOSYMFOLLOW
	for _, tc := range []struct {
		opts     []string
		set, clr uint64
	}{
		{[]string{"rbind"}, 0, 0},
		{[]string{"bind", "ro"}, unix.MOUNT_ATTR_RDONLY, implied &^ unix.MOUNT_ATTR_RDONLY},
		{[]string{"bind", "rw", "suid", "dev", "exec"}, 0, implied},
		{[]string{"bind", "nosuid", "nodev", "noexec", "nodiratime", "nosymfollow"},
			unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV | unix.MOUNT_ATTR_NOEXEC | unix.MOUNT_ATTR_NODIRATIME | unix.MOUNT_ATTR_NOSYMFOLLOW,
			unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR__ATIME}, // nodiratime: relatime unless another mode is asked for
		// Superblock flags cannot change through a bind: not asked for.
		{[]string{"bind", "sync", "dirsync", "mand", "lazytime"}, 0, implied},
		// An atime flag sets the mode (relatime by default) and nodiratime as asked.
		{[]string{"bind", "noatime"}, unix.MOUNT_ATTR_NOATIME, unix.MOUNT_ATTR__ATIME | unix.MOUNT_ATTR_NODIRATIME | implied},
		{[]string{"bind", "strictatime"}, unix.MOUNT_ATTR_STRICTATIME, unix.MOUNT_ATTR__ATIME | unix.MOUNT_ATTR_NODIRATIME | implied},
		{[]string{"bind", "relatime"}, unix.MOUNT_ATTR_RELATIME, unix.MOUNT_ATTR__ATIME | unix.MOUNT_ATTR_NODIRATIME | implied},
		{[]string{"bind", "noatime", "relatime"}, unix.MOUNT_ATTR_RELATIME, unix.MOUNT_ATTR__ATIME | unix.MOUNT_ATTR_NODIRATIME | implied},
		// Clearing one asks for no atime change: the source's stays (as the kernel's remount).
		{[]string{"bind", "norelatime"}, 0, implied},
		{[]string{"bind", "atime"}, 0, implied},
		{[]string{"bind", "nostrictatime"}, 0, implied},
	} {
		o := ParseMountOptions(tc.opts)
		attr, _ := o.bindAttr()
		if attr.Attr_set != tc.set || attr.Attr_clr != tc.clr {
			t.Errorf("%q: set %#x clr %#x, want set %#x clr %#x", tc.opts, attr.Attr_set, attr.Attr_clr, tc.set, tc.clr)
		}
	}
}

func TestParseMountOptionsAllocs(t *testing.T) {
	opts := []string{"nosuid", "noexec", "nodev", "ro"}
	if n := testing.AllocsPerRun(100, func() { ParseMountOptions(opts) }); n != 0 {
		t.Errorf("ParseMountOptions of flag-only options allocates %v times", n)
	}
}

// Every option `xrt features` reports must be one the parser acts on.
func TestKnownMountOptionsParse(t *testing.T) {
	for _, opt := range KnownMountOptions() {
		o := ParseMountOptions([]string{opt})
		if o.Data != "" {
			t.Errorf("%q is listed as known but goes to the filesystem's data", opt)
		}
	}
}
