package unpack

import (
	"archive/tar"
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// Stats describes what Apply wrote.
type Stats struct {
	// Files counts non-directory entries: regular files, hard links,
	// symlinks, devices and fifos (whiteouts are counted apart).
	Files int
	Dirs  int
	// Bytes is the regular file content written.
	Bytes int64
	// Whiteouts counts whiteout and opaque markers converted to overlay form.
	Whiteouts int
	// Warnings lists what was skipped on purpose (unsupported xattrs,
	// unknown entry types, overlay-private xattrs in the tar), capped at
	// maxWarnings lines.
	Warnings []string
}

const maxWarnings = 100

// copyBufSize is the size of the buffer regular file content goes through.
const copyBufSize = 1 << 20

var copyBufs = sync.Pool{New: func() any { b := make([]byte, copyBufSize); return &b }}

type applier struct {
	root    int // O_RDONLY descriptor of the layer directory
	rootRef dirRef
	dirs    map[string]dirRef
	lastDir string
	last    dirRef
	buf     []byte
	bufp    *[]byte
	times   []dirTime
	dropped int // warnings beyond maxWarnings
	stats   Stats
	creds   creator
}

// Apply unpacks the uncompressed layer tar stream r into dir, which must
// exist and be empty, converting whiteouts to overlayfs form (see the
// package comment). It reads r to its end, past the tar end marker, so that
// a decompressor's checksum is checked and a digest computed over the blob
// sees all of it. On error dir holds a partial layer: remove it.
func Apply(dir string, r io.Reader) (Stats, error) {
	a, err := newApplier(dir)
	if err != nil {
		return Stats{}, fmt.Errorf("unpack layer into %s: %w", dir, err)
	}
	defer a.close()
	err = a.run(r)
	if a.dropped > 0 {
		a.stats.Warnings = append(a.stats.Warnings, fmt.Sprintf("%d more warnings not shown", a.dropped))
	}
	if err != nil {
		return a.stats, fmt.Errorf("unpack layer into %s: %w (the directory holds a partial layer: remove it)", dir, err)
	}
	return a.stats, nil
}

func newApplier(dir string) (*applier, error) {
	root, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: dir, Err: err}
	}
	if err := checkEmpty(root); err != nil {
		unix.Close(root)
		return nil, err
	}
	rootRef, err := newDirRef(root)
	if err != nil {
		unix.Close(root)
		return nil, fmt.Errorf("stat directory: %w", err)
	}
	bufp := copyBufs.Get().(*[]byte)
	return &applier{
		root: root, rootRef: rootRef, dirs: make(map[string]dirRef),
		buf: *bufp, bufp: bufp, creds: currentCreator(root),
	}, nil
}

// checkEmpty fails unless the directory fd has no entries besides . and ..
func checkEmpty(fd int) error {
	var buf [4096]byte
	for {
		n, err := unix.Getdents(fd, buf[:])
		if err != nil {
			return fmt.Errorf("read directory: %w", err)
		}
		if n <= 0 {
			return nil
		}
		if _, _, names := unix.ParseDirent(buf[:n], 1, nil); len(names) > 0 {
			return fmt.Errorf("directory is not empty (found %q): unpack into a fresh directory", names[0])
		}
	}
}

func (a *applier) close() {
	a.dropCache()
	unix.Close(a.root)
	copyBufs.Put(a.bufp)
}

func (a *applier) run(r io.Reader) error {
	br := bufio.NewReaderSize(r, 64<<10)
	tr := tar.NewReader(br)
	last := ""
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if last == "" {
				return fmt.Errorf("read first tar header: %w", err)
			}
			return fmt.Errorf("read tar header after entry %q: %w", last, err)
		}
		last = hdr.Name
		a.trimCache()
		if err := a.entry(tr, hdr); err != nil {
			return fmt.Errorf("entry %q: %w", hdr.Name, err)
		}
	}
	if _, err := io.Copy(io.Discard, br); err != nil {
		return fmt.Errorf("read the layer stream past the tar end: %w", err)
	}
	return a.setDirTimes()
}

func (a *applier) entry(tr *tar.Reader, hdr *tar.Header) error {
	if hdr.Typeflag == tar.TypeXGlobalHeader {
		return nil
	}
	name, err := cleanName(hdr.Name)
	if err != nil {
		return err
	}
	if name == "." {
		return a.rootDir(hdr)
	}
	parent, base := splitName(name)
	if hasWhiteoutDir(parent) {
		a.warnf("%s: skipped: a parent directory has a whiteout name", name)
		return nil
	}
	if strings.HasPrefix(base, whiteoutPrefix) {
		return a.whiteout(parent, base)
	}
	if isSparse(hdr) {
		return errors.New("sparse files are not supported (image-spec says layers SHOULD NOT use them); rebuild the layer without --sparse")
	}
	if err := checkOwner(hdr); err != nil {
		return err
	}
	switch hdr.Typeflag {
	case tar.TypeReg, tar.TypeCont, tar.TypeDir, tar.TypeSymlink, tar.TypeLink,
		tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
	default:
		a.warnf("%s: skipped: unsupported tar entry type %q", name, hdr.Typeflag)
		return nil
	}
	pd, err := a.dirFD(parent, true)
	if err != nil {
		return err
	}
	e := target{pfd: pd.fd, psetgid: pd.setgid, parent: parent, base: base, name: name}
	switch hdr.Typeflag {
	case tar.TypeDir:
		err = a.dir(e, hdr)
	case tar.TypeSymlink:
		err = a.symlink(e, hdr)
	case tar.TypeLink:
		err = a.hardlink(e, hdr)
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		err = a.node(e, hdr)
	default:
		err = a.regular(e, hdr, tr)
	}
	return err
}

// target is where an entry goes: base inside the directory pfd, whose clean
// path from the layer root is parent.
type target struct {
	pfd          int
	psetgid      bool // the parent directory is setgid
	parent, base string
	name         string // parent/base
}

func isSparse(hdr *tar.Header) bool {
	if hdr.Typeflag == tar.TypeGNUSparse {
		return true
	}
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}

func (a *applier) warnf(format string, args ...any) {
	if len(a.stats.Warnings) >= maxWarnings {
		a.dropped++
		return
	}
	a.stats.Warnings = append(a.stats.Warnings, fmt.Sprintf(format, args...))
}
