package image

import (
	"fmt"
	"os"
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
// Further options appended to data count against the same page.
func (r *Rootfs) MountData() (data, chdir string, err error) {
	limit := os.Getpagesize() - 1 // the page holds a NUL-terminated string
	if data = r.data(""); len(data) <= limit && !r.hasSpecial() {
		return data, "", nil
	}
	data = r.data(r.StoreDir + "/")
	if len(data) > limit {
		return "", "", fmt.Errorf("overlay mount data for %d layers is %d bytes, more than a page (%d) even relative to %s", len(r.Lower), len(data), limit+1, r.StoreDir)
	}
	return data, r.StoreDir, nil
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
