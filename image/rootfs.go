package image

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Rootfs is a container's overlay root filesystem, ready to mount.
type Rootfs struct {
	// StoreDir is the store's absolute directory; MountData may ask the
	// mounter to chdir there.
	StoreDir string
	// Lower are the overlay lower dirs, top first: the container's init
	// layer, then the image layers from top to bottom. They are absolute
	// paths, the image layers through their short l/ links.
	Lower []string
	// Upper, Work and Merged are absolute: the writable layer, overlay's
	// work dir, and the mount point.
	Upper, Work, Merged string
}

// MountData returns the overlay mount data
// "lowerdir=A:B:...,upperdir=U,workdir=W". mount(2) copies at most one
// page of it, so when the absolute form does not fit (or a path holds a
// character overlay would split on), MountData returns the same paths
// relative to the store and chdir = StoreDir: the mounter must chdir
// there before mount(2) and back after. chdir is "" when not needed.
// When even that does not fit (some 130 layers and more), it makes a link
// per lower dir in the container's own directory, named by its place
// ("l/0", "l/1", ...), and returns paths relative to that directory.
// Further options appended to data count against the same page.
func (r *Rootfs) MountData() (data, chdir string, err error) {
	limit := os.Getpagesize() - 1 // the page holds a NUL-terminated string
	if data = r.data(""); len(data) <= limit && !r.hasSpecial() {
		return data, "", nil
	}
	if data = r.data(r.StoreDir + "/"); len(data) <= limit {
		return data, r.StoreDir, nil
	}
	dir := filepath.Dir(r.Upper)
	short, err := r.indexLinks(dir)
	if err != nil {
		return "", "", err
	}
	if data = short.data(dir + "/"); len(data) > limit {
		return "", "", fmt.Errorf("overlay mount data for %d layers is %d bytes, more than a page (%d) even through links named by their place in %s (Linux 6.8 has no such limit)", len(r.Lower), len(data), limit+1, dir)
	}
	return data, dir, nil
}

// indexLinks makes dir/l/<i> (i in base 36) a link to each lower dir and
// returns r with those as its lower dirs.
func (r *Rootfs) indexLinks(dir string) (*Rootfs, error) {
	if err := os.MkdirAll(filepath.Join(dir, "l"), 0o700); err != nil {
		return nil, fmt.Errorf("overlay links: %w", err)
	}
	short := *r
	short.Lower = make([]string, len(r.Lower))
	for i, target := range r.Lower {
		link := filepath.Join(dir, "l", strconv.FormatInt(int64(i), 36))
		if cur, err := os.Readlink(link); err != nil || cur != target {
			os.Remove(link)
			if err := os.Symlink(target, link); err != nil {
				return nil, fmt.Errorf("overlay links: %w", err)
			}
		}
		short.Lower[i] = link
	}
	return &short, nil
}

// hasSpecial reports whether a path holds a character overlay's option
// parser treats specially.
func (r *Rootfs) hasSpecial() bool {
	for _, p := range append([]string{r.Upper, r.Work}, r.Lower...) {
		if strings.ContainsAny(p, ",:\\") {
			return true
		}
	}
	return false
}

// data builds the option string with prefix trimmed from every path.
func (r *Rootfs) data(prefix string) string {
	rel := func(p string) string { return strings.TrimPrefix(p, prefix) }
	var b strings.Builder
	b.WriteString("lowerdir=")
	for i, l := range r.Lower {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(rel(l))
	}
	b.WriteString(",upperdir=")
	b.WriteString(rel(r.Upper))
	b.WriteString(",workdir=")
	b.WriteString(rel(r.Work))
	return b.String()
}
