package unpack

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"

	"golang.org/x/sys/unix"
)

const createFlags = unix.O_WRONLY | unix.O_CREAT | unix.O_EXCL | unix.O_NOFOLLOW | unix.O_CLOEXEC

func (a *applier) regular(e target, hdr *tar.Header, r io.Reader) error {
	mode, exact := a.creds.createMode(permBits(hdr))
	fd, err := unix.Openat(e.pfd, e.base, createFlags, mode)
	if err == unix.EEXIST {
		if _, err = a.clearAt(e, false); err != nil {
			return err
		}
		fd, err = unix.Openat(e.pfd, e.base, createFlags, mode)
	}
	if err != nil {
		return fmt.Errorf("create file: %w", err)
	}
	err = a.fill(fd, r, hdr.Size)
	if err == nil {
		err = a.setAttrsFD(fd, e, hdr, exact)
	}
	if cerr := unix.Close(fd); err == nil && cerr != nil {
		err = fmt.Errorf("close file: %w", cerr)
	}
	if err == nil {
		a.stats.Files++
	}
	return err
}

// fill copies size bytes of r into fd through the shared buffer.
func (a *applier) fill(fd int, r io.Reader, size int64) error {
	for size > 0 {
		chunk := a.buf
		if int64(len(chunk)) > size {
			chunk = chunk[:size]
		}
		n, rerr := io.ReadFull(r, chunk)
		if err := writeAll(fd, chunk[:n]); err != nil {
			return fmt.Errorf("write file content: %w", err)
		}
		a.stats.Bytes += int64(n)
		size -= int64(n)
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			return fmt.Errorf("file content ends %d bytes short: %w", size, io.ErrUnexpectedEOF)
		}
		if rerr != nil {
			return fmt.Errorf("read file content: %w", rerr)
		}
	}
	return nil
}

func writeAll(fd int, b []byte) error {
	for len(b) > 0 {
		n, err := unix.Write(fd, b)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		if n == 0 {
			return io.ErrShortWrite
		}
		b = b[n:]
	}
	return nil
}

func (a *applier) dir(e target, hdr *tar.Header) error {
	err := unix.Mkdirat(e.pfd, e.base, 0o700)
	opaque := false
	if err == unix.EEXIST {
		var ex existing
		ex, err = a.clearAt(e, true)
		if err == nil && ex.dir {
			// Its setgid bit may change, and it may be cached under
			// any path that resolves to it.
			a.dropCache(e.parent)
		}
		if err == nil && !ex.dir {
			// ".wh.b" then "b/" in one layer: the lower b is gone and the
			// new b must not merge with it.
			opaque = ex.whiteout
			err = unix.Mkdirat(e.pfd, e.base, 0o700)
		}
	}
	if err != nil {
		return fmt.Errorf("create directory: %w", err)
	}
	if err := a.setAttrsAt(e, hdr); err != nil {
		return err
	}
	if opaque {
		if err := unix.Lsetxattr(procPath(e.pfd, e.base), opaqueXattr, []byte("y"), 0); err != nil {
			return fmt.Errorf("mark directory opaque: %w", err)
		}
	}
	a.times = append(a.times, dirTime{name: e.name, ts: timespecs(hdr)})
	a.stats.Dirs++
	return nil
}

// rootDir applies a "./" entry's attributes to the layer directory itself.
func (a *applier) rootDir(hdr *tar.Header) error {
	if hdr.Typeflag != tar.TypeDir {
		return fmt.Errorf("a %q entry cannot replace the layer root", hdr.Typeflag)
	}
	if err := checkOwner(hdr); err != nil {
		return err
	}
	if err := unix.Fchown(a.root, hdr.Uid, hdr.Gid); err != nil {
		return fmt.Errorf("chown %d:%d: %w", hdr.Uid, hdr.Gid, err)
	}
	if err := unix.Fchmod(a.root, permBits(hdr)); err != nil {
		return fmt.Errorf("chmod %o: %w", permBits(hdr), err)
	}
	a.rootRef.setgid = permBits(hdr)&unix.S_ISGID != 0
	if err := a.setXattrs(a.root, "", ".", hdr, true); err != nil {
		return err
	}
	a.times = append(a.times, dirTime{name: ".", ts: timespecs(hdr)})
	return nil
}

func (a *applier) symlink(e target, hdr *tar.Header) error {
	err := unix.Symlinkat(hdr.Linkname, e.pfd, e.base)
	if err == unix.EEXIST {
		if _, err = a.clearAt(e, false); err != nil {
			return err
		}
		err = unix.Symlinkat(hdr.Linkname, e.pfd, e.base)
	}
	if err != nil {
		return fmt.Errorf("create symlink to %q: %w", hdr.Linkname, err)
	}
	if err := a.setAttrsAt(e, hdr); err != nil {
		return err
	}
	a.stats.Files++
	return nil
}

// hardlink links e to an entry already unpacked in this layer. The target is
// resolved inside the layer root like any other path.
func (a *applier) hardlink(e target, hdr *tar.Header) error {
	tname, err := cleanName(hdr.Linkname)
	if err != nil {
		return fmt.Errorf("hard link target %q: %w", hdr.Linkname, err)
	}
	if tname == "." {
		return errors.New("hard link to the layer root")
	}
	tparent, tbase := splitName(tname)
	td, err := a.dirFD(tparent, false)
	if err != nil {
		return fmt.Errorf("hard link target %q: %w", hdr.Linkname, err)
	}
	tpfd := td.fd
	err = unix.Linkat(tpfd, tbase, e.pfd, e.base, 0)
	if err == unix.EEXIST {
		var old, tgt unix.Stat_t
		if unix.Fstatat(e.pfd, e.base, &old, unix.AT_SYMLINK_NOFOLLOW) == nil &&
			unix.Fstatat(tpfd, tbase, &tgt, unix.AT_SYMLINK_NOFOLLOW) == nil &&
			old.Dev == tgt.Dev && old.Ino == tgt.Ino {
			a.stats.Files++
			return nil // already that file
		}
		if _, err = a.clearAt(e, false, tparent); err != nil {
			return err
		}
		err = unix.Linkat(tpfd, tbase, e.pfd, e.base, 0)
	}
	if err != nil {
		return fmt.Errorf("hard link to %q: %w", hdr.Linkname, err)
	}
	a.stats.Files++
	return nil
}

// node creates a character or block device or a fifo.
func (a *applier) node(e target, hdr *tar.Header) error {
	mode := permBits(hdr)
	switch hdr.Typeflag {
	case tar.TypeChar:
		mode |= unix.S_IFCHR
	case tar.TypeBlock:
		mode |= unix.S_IFBLK
	default:
		mode |= unix.S_IFIFO
	}
	// mknod takes a 32-bit dev_t: 12 bits of major, 20 of minor.
	if hdr.Devmajor < 0 || hdr.Devmajor > 0xfff || hdr.Devminor < 0 || hdr.Devminor > 0xfffff {
		return fmt.Errorf("device number %d:%d out of range", hdr.Devmajor, hdr.Devminor)
	}
	dev := int(unix.Mkdev(uint32(hdr.Devmajor), uint32(hdr.Devminor)))
	err := unix.Mknodat(e.pfd, e.base, mode, dev)
	if err == unix.EEXIST {
		if _, err = a.clearAt(e, false); err != nil {
			return err
		}
		err = unix.Mknodat(e.pfd, e.base, mode, dev)
	}
	if err != nil {
		return fmt.Errorf("mknod: %w", err)
	}
	if err := a.setAttrsAt(e, hdr); err != nil {
		return err
	}
	a.stats.Files++
	return nil
}
