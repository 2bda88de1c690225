package checkpoint

import (
	"archive/tar"
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"xrt/image/unpack"
)

// An image-mode container's root is an overlay whose writable upper layer
// lives in the layer store and goes with the container. CRIU restores the
// processes but not the files of the root, so a checkpoint of such a
// container also saves the upper layer, as an OCI layer tar (whiteouts in
// ".wh." form, xattrs as PAX records), and a restore unpacks it into the
// new container's upper layer before it mounts the overlay. The image's
// own layers stay in the store; the checkpoint names the image by its
// manifest digest.

// rootfsDiffFile is the upper layer of an image-mode container's root.
const rootfsDiffFile = "rootfs-diff.tar"

// imageFile records which image an image-mode checkpoint ran.
const imageFile = "xrt-image.json"

// opaqueXattrs mark an opaque overlay directory (trusted.*, or user.*
// when the overlay was mounted with userxattr).
var opaqueXattrs = []string{"trusted.overlay.opaque", "user.overlay.opaque"}

// writeRootfsDiff writes the overlay upper layer upper as a layer tar to
// path, atomically (a temp file renamed).
func writeRootfsDiff(upper, path string) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("save the container's root filesystem changes: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriterSize(tmp, 1<<20)
	tw := tar.NewWriter(bw)
	if err := writeLayer(tw, upper); err != nil {
		return fmt.Errorf("save the container's root filesystem changes from %s: %w", upper, err)
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("save the container's root filesystem changes: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("save the container's root filesystem changes: %w", err)
	}
	return nil
}

// writeLayer walks upper (not its root, whose attributes come from the
// image at restore) and writes each entry to tw.
func writeLayer(tw *tar.Writer, upper string) error {
	links := map[[2]uint64]string{} // (dev, ino) -> first name, for hard links
	return filepath.WalkDir(upper, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == upper {
			return nil
		}
		rel, err := filepath.Rel(upper, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			return &os.PathError{Op: "lstat", Path: p, Err: err}
		}
		typ := st.Mode & unix.S_IFMT
		if typ == unix.S_IFCHR && st.Rdev == 0 { // overlay whiteout
			dir, base := filepath.Split(rel)
			return tw.WriteHeader(&tar.Header{
				Typeflag: tar.TypeReg, Name: dir + ".wh." + base, Mode: 0o644,
				ModTime: time.Unix(st.Mtim.Unix()), Format: tar.FormatPAX,
			})
		}
		hdr := &tar.Header{
			Name:    rel,
			Mode:    int64(st.Mode & 0o7777),
			Uid:     int(st.Uid),
			Gid:     int(st.Gid),
			ModTime: time.Unix(st.Mtim.Unix()),
			Format:  tar.FormatPAX,
		}
		opaque := false
		xattrs, err := readXattrs(p)
		if err != nil {
			return err
		}
		for k, v := range xattrs {
			if strings.HasPrefix(k, "trusted.overlay.") || strings.HasPrefix(k, "user.overlay.") {
				opaque = opaque || (isOpaqueXattr(k) && v == "y")
				continue // overlay's own bookkeeping, never layer content
			}
			if hdr.PAXRecords == nil {
				hdr.PAXRecords = map[string]string{}
			}
			hdr.PAXRecords["SCHILY.xattr."+k] = v
		}
		key := [2]uint64{st.Dev, st.Ino}
		switch typ {
		case unix.S_IFDIR:
			hdr.Typeflag, hdr.Name = tar.TypeDir, rel+"/"
		case unix.S_IFREG:
			if first, ok := links[key]; ok && st.Nlink > 1 {
				hdr.Typeflag, hdr.Linkname = tar.TypeLink, first
				return tw.WriteHeader(hdr)
			}
			if st.Nlink > 1 {
				links[key] = rel
			}
			hdr.Typeflag, hdr.Size = tar.TypeReg, st.Size
		case unix.S_IFLNK:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, target
		case unix.S_IFCHR, unix.S_IFBLK:
			hdr.Typeflag = tar.TypeChar
			if typ == unix.S_IFBLK {
				hdr.Typeflag = tar.TypeBlock
			}
			hdr.Devmajor, hdr.Devminor = int64(unix.Major(st.Rdev)), int64(unix.Minor(st.Rdev))
		case unix.S_IFIFO:
			hdr.Typeflag = tar.TypeFifo
		default: // sockets: nothing a layer can hold
			return nil
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if opaque {
			if err := tw.WriteHeader(&tar.Header{
				Typeflag: tar.TypeReg, Name: rel + "/.wh..wh..opq", Mode: 0o644,
				ModTime: hdr.ModTime, Format: tar.FormatPAX,
			}); err != nil {
				return err
			}
		}
		if hdr.Typeflag != tar.TypeReg || hdr.Size == 0 {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		if _, err := io.CopyN(tw, f, hdr.Size); err != nil {
			return fmt.Errorf("%s: %w (did it change while it was saved?)", p, err)
		}
		return nil
	})
}

func isOpaqueXattr(k string) bool {
	for _, o := range opaqueXattrs {
		if k == o {
			return true
		}
	}
	return false
}

// readXattrs returns the extended attributes of p (not following a
// symlink).
func readXattrs(p string) (map[string]string, error) {
	buf := make([]byte, 4096)
	n, err := unix.Llistxattr(p, buf)
	if errors.Is(err, unix.ERANGE) {
		if n, err = unix.Llistxattr(p, nil); err == nil {
			buf = make([]byte, n)
			n, err = unix.Llistxattr(p, buf)
		}
	}
	if errors.Is(err, unix.ENOTSUP) {
		return nil, nil
	}
	if err != nil {
		return nil, &os.PathError{Op: "listxattr", Path: p, Err: err}
	}
	out := map[string]string{}
	for _, name := range strings.Split(string(buf[:n]), "\x00") {
		if name == "" {
			continue
		}
		val := make([]byte, 256)
		m, err := unix.Lgetxattr(p, name, val)
		if errors.Is(err, unix.ERANGE) {
			if m, err = unix.Lgetxattr(p, name, nil); err == nil {
				val = make([]byte, m)
				m, err = unix.Lgetxattr(p, name, val)
			}
		}
		if errors.Is(err, unix.ENODATA) {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "getxattr " + name, Path: p, Err: err}
		}
		out[name] = string(val[:m])
	}
	return out, nil
}

// applyRootfsDiff unpacks the saved upper layer diff into upper, the new
// container's writable layer, which holds only the empty etc directory
// the store makes (the saved layer has the container's own).
func applyRootfsDiff(upper, diff string) error {
	if err := os.Remove(filepath.Join(upper, "etc")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("restore the root filesystem changes: %w", err)
	}
	f, err := os.Open(diff)
	if err != nil {
		return fmt.Errorf("restore the root filesystem changes: %w", err)
	}
	defer f.Close()
	if _, err := unpack.Apply(upper, bufio.NewReaderSize(f, 1<<20)); err != nil {
		return fmt.Errorf("restore the root filesystem changes from %s: %w", diff, err)
	}
	return nil
}
