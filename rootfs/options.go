package rootfs

import (
	"strings"

	"golang.org/x/sys/unix"
)

// MountOptions is the parsed form of the option strings of one spec mount.
type MountOptions struct {
	// Flags are the MS_* flags for mount(2), MS_BIND|MS_REC and MS_REMOUNT included.
	Flags uintptr
	// Clear are the MS_* flags an option explicitly turned off (rw, suid,
	// dev, exec, atime, ...). Bind mounts use it: they keep the source's
	// flags except the ones cleared here.
	Clear uintptr
	// Propagation are the propagation changes (MS_SHARED, MS_SLAVE|MS_REC,
	// ...) in the order given, each one its own mount(2) call after the mount.
	Propagation []uintptr
	// RecSet and RecClear are the MOUNT_ATTR_* bits of the recursive options
	// (rro, rnosuid, ...), applied with mount_setattr(AT_RECURSIVE).
	RecSet, RecClear uint64
	// Data holds the options mount(2) does not know as flags, comma
	// separated, for its data argument (mode=755,size=65536k).
	Data string
	// IDMap is set by idmap or ridmap, RecursiveIDMap by ridmap.
	IDMap, RecursiveIDMap bool
	// TmpCopyUp is set by tmpcopyup.
	TmpCopyUp bool
}

// Bind reports whether the options ask for a bind mount.
func (o *MountOptions) Bind() bool { return o.Flags&unix.MS_BIND != 0 }

const atimeFlags = unix.MS_NOATIME | unix.MS_RELATIME | unix.MS_STRICTATIME

// ParseMountOptions parses mount option strings as listed in the runtime
// spec's "Linux mount options" table. Later options override earlier ones;
// unknown options go to Data in their original order.
func ParseMountOptions(opts []string) MountOptions {
	var o MountOptions
	var data strings.Builder
	for _, opt := range opts {
		var set, clr uintptr
		switch opt {
		case "", "defaults":
		case "ro":
			set = unix.MS_RDONLY
		case "rw":
			clr = unix.MS_RDONLY
		case "nosuid":
			set = unix.MS_NOSUID
		case "suid":
			clr = unix.MS_NOSUID
		case "nodev":
			set = unix.MS_NODEV
		case "dev":
			clr = unix.MS_NODEV
		case "noexec":
			set = unix.MS_NOEXEC
		case "exec":
			clr = unix.MS_NOEXEC
		case "sync":
			set = unix.MS_SYNCHRONOUS
		case "async":
			clr = unix.MS_SYNCHRONOUS
		case "dirsync":
			set = unix.MS_DIRSYNC
		case "remount":
			set = unix.MS_REMOUNT
		case "mand":
			set = unix.MS_MANDLOCK
		case "nomand":
			clr = unix.MS_MANDLOCK
		case "noatime":
			set = unix.MS_NOATIME
		case "atime":
			clr = unix.MS_NOATIME
		case "nodiratime":
			set = unix.MS_NODIRATIME
		case "diratime":
			clr = unix.MS_NODIRATIME
		case "relatime":
			set = unix.MS_RELATIME
		case "norelatime":
			clr = unix.MS_RELATIME
		case "strictatime":
			set = unix.MS_STRICTATIME
		case "nostrictatime":
			clr = unix.MS_STRICTATIME
		case "nosymfollow":
			set = unix.MS_NOSYMFOLLOW
		case "symfollow":
			clr = unix.MS_NOSYMFOLLOW
		case "iversion":
			set = unix.MS_I_VERSION
		case "noiversion":
			clr = unix.MS_I_VERSION
		case "lazytime":
			set = unix.MS_LAZYTIME
		case "nolazytime":
			clr = unix.MS_LAZYTIME
		case "silent":
			set = unix.MS_SILENT
		case "loud":
			clr = unix.MS_SILENT
		case "bind":
			set = unix.MS_BIND
		case "rbind":
			set = unix.MS_BIND | unix.MS_REC

		case "shared":
			o.Propagation = append(o.Propagation, unix.MS_SHARED)
		case "rshared":
			o.Propagation = append(o.Propagation, unix.MS_SHARED|unix.MS_REC)
		case "slave":
			o.Propagation = append(o.Propagation, unix.MS_SLAVE)
		case "rslave":
			o.Propagation = append(o.Propagation, unix.MS_SLAVE|unix.MS_REC)
		case "private":
			o.Propagation = append(o.Propagation, unix.MS_PRIVATE)
		case "rprivate":
			o.Propagation = append(o.Propagation, unix.MS_PRIVATE|unix.MS_REC)
		case "unbindable":
			o.Propagation = append(o.Propagation, unix.MS_UNBINDABLE)
		case "runbindable":
			o.Propagation = append(o.Propagation, unix.MS_UNBINDABLE|unix.MS_REC)

		case "rro":
			o.recAttr(unix.MOUNT_ATTR_RDONLY, 0)
		case "rrw":
			o.recAttr(0, unix.MOUNT_ATTR_RDONLY)
		case "rnosuid":
			o.recAttr(unix.MOUNT_ATTR_NOSUID, 0)
		case "rsuid":
			o.recAttr(0, unix.MOUNT_ATTR_NOSUID)
		case "rnodev":
			o.recAttr(unix.MOUNT_ATTR_NODEV, 0)
		case "rdev":
			o.recAttr(0, unix.MOUNT_ATTR_NODEV)
		case "rnoexec":
			o.recAttr(unix.MOUNT_ATTR_NOEXEC, 0)
		case "rexec":
			o.recAttr(0, unix.MOUNT_ATTR_NOEXEC)
		case "rnodiratime":
			o.recAttr(unix.MOUNT_ATTR_NODIRATIME, 0)
		case "rdiratime":
			o.recAttr(0, unix.MOUNT_ATTR_NODIRATIME)
		case "rnosymfollow":
			o.recAttr(unix.MOUNT_ATTR_NOSYMFOLLOW, 0)
		case "rsymfollow":
			o.recAttr(0, unix.MOUNT_ATTR_NOSYMFOLLOW)
		// The atime attributes are an enum: mount_setattr wants the whole
		// MOUNT_ATTR__ATIME mask cleared and one mode set.
		case "rnoatime":
			o.recAtime(unix.MOUNT_ATTR_NOATIME)
		case "rstrictatime", "rnorelatime":
			o.recAtime(unix.MOUNT_ATTR_STRICTATIME)
		case "rrelatime", "ratime", "rnostrictatime":
			o.recAtime(unix.MOUNT_ATTR_RELATIME)

		case "idmap":
			o.IDMap = true
		case "ridmap":
			o.IDMap, o.RecursiveIDMap = true, true
		case "tmpcopyup":
			o.TmpCopyUp = true
		default:
			if data.Len() > 0 {
				data.WriteByte(',')
			}
			data.WriteString(opt)
		}
		if set&atimeFlags != 0 {
			// noatime, relatime and strictatime are one setting: the last wins.
			clr |= atimeFlags &^ set
		}
		o.Flags = o.Flags&^clr | set
		o.Clear = o.Clear&^set | clr
	}
	o.Data = data.String()
	return o
}

func (o *MountOptions) recAttr(set, clr uint64) {
	o.RecSet = o.RecSet&^clr | set
	o.RecClear = o.RecClear&^set | clr
}

func (o *MountOptions) recAtime(mode uint64) {
	o.RecSet = o.RecSet&^unix.MOUNT_ATTR__ATIME | mode
	o.RecClear |= unix.MOUNT_ATTR__ATIME
}

// flagAttrs pairs the per-mount MS_* flags with their MOUNT_ATTR_* bits.
var flagAttrs = [...]struct {
	ms   uintptr
	attr uint64
}{
	{unix.MS_RDONLY, unix.MOUNT_ATTR_RDONLY},
	{unix.MS_NOSUID, unix.MOUNT_ATTR_NOSUID},
	{unix.MS_NODEV, unix.MOUNT_ATTR_NODEV},
	{unix.MS_NOEXEC, unix.MOUNT_ATTR_NOEXEC},
	{unix.MS_NODIRATIME, unix.MOUNT_ATTR_NODIRATIME},
	{unix.MS_NOSYMFOLLOW, unix.MOUNT_ATTR_NOSYMFOLLOW},
}

// bindAttr translates the per-mount flags of o into a mount_setattr request
// for a fresh bind mount, as runc does (and mount(8) does not): with no
// flag option at all the bind keeps the source's flags; with any, the
// flags it does not name are cleared (rw, suid, dev, exec, symfollow),
// except the atime ones. implied are the clears no option asked for: in a
// user namespace the kernel locks the source's ro, nosuid, nodev and
// noexec, and those clears are then dropped (see lockableAttrs).
// Superblock flags (sync, dirsync, mand, lazytime, iversion, silent) cannot
// be changed through a bind mount and are ignored, as mount(2) does.
func (o *MountOptions) bindAttr() (attr unix.MountAttr, implied uint64) {
	touched := o.Flags&^(unix.MS_BIND|unix.MS_REC|unix.MS_REMOUNT) != 0 || o.Clear != 0
	for _, f := range flagAttrs {
		switch {
		case f.ms == unix.MS_NODIRATIME: // with the atime mode, below
		case o.Flags&f.ms != 0:
			attr.Attr_set |= f.attr
		case o.Clear&f.ms != 0:
			attr.Attr_clr |= f.attr
		case touched:
			attr.Attr_clr |= f.attr
			implied |= f.attr
		}
	}
	// atime as the kernel treats a bind remount: with no atime flag the
	// source's settings stay (an option that clears one, "atime" or
	// "norelatime", asks for nothing); with any, the mode is noatime,
	// strictatime or else relatime, and nodiratime is as asked.
	if o.Flags&(atimeFlags|unix.MS_NODIRATIME) != 0 {
		mode := uint64(unix.MOUNT_ATTR_RELATIME)
		switch {
		case o.Flags&unix.MS_NOATIME != 0:
			mode = unix.MOUNT_ATTR_NOATIME
		case o.Flags&unix.MS_STRICTATIME != 0:
			mode = unix.MOUNT_ATTR_STRICTATIME
		}
		attr.Attr_set |= mode
		attr.Attr_clr |= unix.MOUNT_ATTR__ATIME
		if o.Flags&unix.MS_NODIRATIME != 0 {
			attr.Attr_set |= unix.MOUNT_ATTR_NODIRATIME
		} else {
			attr.Attr_clr |= unix.MOUNT_ATTR_NODIRATIME
		}
	}
	return attr, implied
}

// lockableAttrs are the flags a user namespace's mount of a source keeps
// locked as the source has them.
const lockableAttrs = unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV | unix.MOUNT_ATTR_NOEXEC

// KnownMountOptions lists every option ParseMountOptions understands (the
// rest go to Data for the filesystem), for `xrt features`.
func KnownMountOptions() []string {
	return []string{
		"async", "atime", "bind", "defaults", "dev", "diratime", "dirsync", "exec",
		"idmap", "iversion", "lazytime", "loud", "mand", "noatime", "nodev",
		"nodiratime", "noexec", "noiversion", "nolazytime", "nomand", "norelatime",
		"nostrictatime", "nosuid", "nosymfollow", "private", "ratime", "rbind",
		"rdev", "rdiratime", "relatime", "remount", "rexec", "ridmap", "rnoatime",
		"rnodev", "rnodiratime", "rnoexec", "rnorelatime", "rnostrictatime",
		"rnosuid", "rnosymfollow", "ro", "rprivate", "rrelatime", "rro", "rrw",
		"rshared", "rslave", "rstrictatime", "rsuid", "rsymfollow", "runbindable",
		"rw", "shared", "silent", "slave", "strictatime", "suid", "symfollow",
		"sync", "tmpcopyup", "unbindable",
	}
}
