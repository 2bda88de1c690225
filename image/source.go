package image

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"

	"xrt/image/unpack"
)

// source reads the files of an image layout or `docker save` tree by
// slash-separated name, wherever they live: a directory or a tar archive.
type source interface {
	// open returns a file's content and size. A missing file is an error
	// matching fs.ErrNotExist.
	open(name string) (io.ReadCloser, int64, error)
	// exists reports whether name is a readable file.
	exists(name string) bool
	Close() error
}

// openSource opens the directory or archive at p.
func openSource(p string) (source, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("open image %s: %w", p, err)
	}
	if fi.IsDir() {
		root, err := os.OpenRoot(p)
		if err != nil {
			return nil, fmt.Errorf("open image %s: %w", p, err)
		}
		return &dirSource{root: root}, nil
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("open image %s: %w", p, err)
	}
	f, err = uncompressedArchive(f)
	if err != nil {
		return nil, fmt.Errorf("open image archive %s: %w", p, err)
	}
	src, err := indexTar(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open image archive %s: %w", p, err)
	}
	return src, nil
}

// dirSource is an image layout or extracted `docker save` directory. The
// os.Root keeps names (which come from the image) inside it, symlinks
// included.
type dirSource struct{ root *os.Root }

func (d *dirSource) open(name string) (io.ReadCloser, int64, error) {
	if !fs.ValidPath(name) {
		return nil, 0, fmt.Errorf("file name %q: not a relative path inside the image", name)
	}
	f, err := d.root.Open(name)
	if err != nil {
		return nil, 0, err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fmt.Errorf("%s: not a regular file", name)
	}
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, fi.Size(), nil
}

func (d *dirSource) exists(name string) bool {
	if !fs.ValidPath(name) {
		return false
	}
	fi, err := d.root.Stat(name)
	return err == nil && fi.Mode().IsRegular()
}

func (d *dirSource) Close() error { return d.root.Close() }

// uncompressedArchive returns f itself when it is a plain tar, or an
// unlinked temporary file holding its decompressed content when it is
// gzip or zstd compressed (a tar cannot be indexed through a
// decompressor). f is closed in that case.
func uncompressedArchive(f *os.File) (*os.File, error) {
	var magic [4]byte
	n, err := io.ReadFull(f, magic[:])
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		f.Close()
		return nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	var dec io.ReadCloser
	switch {
	case n >= 2 && bytes.Equal(magic[:2], []byte{0x1f, 0x8b}):
		dec, err = unpack.NewGzipReader(f)
	case n == 4 && bytes.Equal(magic[:], []byte{0x28, 0xb5, 0x2f, 0xfd}):
		dec, err = unpack.NewZstdReader(f)
	default:
		return f, nil
	}
	defer f.Close()
	if err != nil {
		return nil, err
	}
	defer dec.Close()
	tmp, err := os.CreateTemp("", "xrt-image-*.tar")
	if err != nil {
		return nil, fmt.Errorf("decompress into a temporary file (set TMPDIR to a roomier place): %w", err)
	}
	os.Remove(tmp.Name()) // the open file is all we need; nothing is left on a crash
	_, err = io.Copy(tmp, dec)
	if err == nil {
		_, err = tmp.Seek(0, io.SeekStart)
	}
	if err != nil {
		tmp.Close()
		return nil, fmt.Errorf("decompress into a temporary file: %w", err)
	}
	return tmp, nil
}

// maxLinkHops bounds symlink chains inside an archive.
const maxLinkHops = 16

// tarSource reads an archive in place: each member is a section of the
// file, found through an index built by one pass over the headers.
type tarSource struct {
	f     *os.File
	files map[string]tarEntry
	links map[string]string // member name -> target member name
}

type tarEntry struct{ off, size int64 }

// indexTar reads every header of the tar f once. tar.Reader skips member
// data with Seek when it can, so this reads only headers, and the data of
// the member just returned starts at the file's current offset.
func indexTar(f *os.File) (*tarSource, error) {
	t := &tarSource{f: f, files: map[string]tarEntry{}, links: map[string]string{}}
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("not a readable tar archive: %w", err)
		}
		name := cleanMember(hdr.Name)
		switch hdr.Typeflag {
		case tar.TypeReg: // the reader reports the old TypeRegA as TypeReg
			off, err := f.Seek(0, io.SeekCurrent)
			if err != nil {
				return nil, err
			}
			t.files[name] = tarEntry{off: off, size: hdr.Size}
			delete(t.links, name)
		case tar.TypeSymlink:
			t.links[name] = cleanMember(path.Join(path.Dir(name), hdr.Linkname))
			delete(t.files, name)
		case tar.TypeLink:
			t.links[name] = cleanMember(hdr.Linkname)
			delete(t.files, name)
		}
	}
	if len(t.files) == 0 {
		return nil, errors.New("no files in the tar archive")
	}
	return t, nil
}

func cleanMember(name string) string {
	return path.Clean("/" + name)[1:]
}

func (t *tarSource) lookup(name string) (tarEntry, bool) {
	for range maxLinkHops {
		if e, ok := t.files[name]; ok {
			return e, true
		}
		target, ok := t.links[name]
		if !ok {
			return tarEntry{}, false
		}
		name = target
	}
	return tarEntry{}, false
}

func (t *tarSource) open(name string) (io.ReadCloser, int64, error) {
	e, ok := t.lookup(cleanMember(name))
	if !ok {
		return nil, 0, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return io.NopCloser(io.NewSectionReader(t.f, e.off, e.size)), e.size, nil
}

func (t *tarSource) exists(name string) bool {
	_, ok := t.lookup(cleanMember(name))
	return ok
}

func (t *tarSource) Close() error { return t.f.Close() }
