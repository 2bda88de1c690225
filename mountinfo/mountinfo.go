// Package mountinfo parses /proc/<pid>/mountinfo.
//
// Each line of that file describes one mount (see proc(5)):
//
//	36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
//	(1)(2)(3)   (4)   (5)      (6)      (7)   (8) (9)   (10)         (11)
//
// The number of optional fields (7) varies, zero included; the "-" field
// (8) ends them. The kernel escapes space, tab, newline and backslash as
// \040, \011, \012 and \134 in the root, mount point, filesystem type and
// source fields: [Info] holds those four unescaped. The option fields are
// kept as the kernel wrote them.
//
// A line that does not have this shape is an error naming the line; the
// parser never panics on any input.
package mountinfo

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// Info is one mount, one line of mountinfo.
type Info struct {
	// ID is the unique mount ID (may be reused after umount).
	ID int
	// Parent is the ID of the parent mount (or of self for the root of
	// this mount namespace's tree).
	Parent int
	// Major and Minor are st_dev of files on this filesystem.
	Major, Minor int
	// Root is the path of the directory in the filesystem that forms the
	// root of this mount ("/" unless it is a bind mount of a subtree).
	Root string
	// Mountpoint is the mount point, relative to the process's root.
	Mountpoint string
	// Options are the per-mount options, comma-separated (rw, nosuid, ...).
	Options string
	// Optional holds the optional fields, space-separated (shared:N,
	// master:N, propagate_from:N, unbindable), or "" if there are none.
	Optional string
	// FSType is the filesystem type, "type" or "type.subtype".
	FSType string
	// Source is filesystem specific information, or "none".
	Source string
	// VFSOptions are the per-superblock options, comma-separated.
	VFSOptions string
}

// FilterFunc decides, for each parsed entry, whether to leave it out of the
// result (skip) and whether to stop reading after it (stop).
type FilterFunc func(*Info) (skip, stop bool)

// GetMounts returns the mounts of the calling process, from
// /proc/self/mountinfo, that f does not skip. A nil f keeps every entry.
func GetMounts(f FilterFunc) ([]*Info, error) { return getMountsFrom("/proc/self/mountinfo", f) }

func getMountsFrom(path string, f FilterFunc) ([]*Info, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	return GetMountsFromReader(file, f)
}

// GetMountsFromReader parses mountinfo text from r and returns the entries
// that f does not skip. A nil f keeps every entry. Empty lines are ignored.
func GetMountsFromReader(r io.Reader, f FilterFunc) ([]*Info, error) {
	var out []*Info
	br := bufio.NewReader(r)
	for n := 1; ; n++ {
		// ReadString, unlike bufio.Scanner, has no line length limit: an
		// overlay mount with many lower layers makes a very long line.
		line, err := br.ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("mountinfo: read line %d: %w", n, err)
		}
		if text := strings.TrimSuffix(line, "\n"); text != "" {
			info, perr := parseLine(text)
			if perr != nil {
				return nil, fmt.Errorf("mountinfo: line %d %q: %w", n, text, perr)
			}
			skip, stop := false, false
			if f != nil {
				skip, stop = f(info)
			}
			if !skip {
				out = append(out, info)
			}
			if stop {
				break
			}
		}
		if err != nil { // io.EOF
			break
		}
	}
	return out, nil
}

// parseLine parses one line, without its newline.
func parseLine(line string) (*Info, error) {
	// Fields are separated by exactly one space; Split (not Fields) keeps an
	// empty source, which the kernel prints as an empty field.
	fields := strings.Split(line, " ")
	sep := -1
	for i := 6; i < len(fields); i++ {
		if fields[i] == "-" {
			sep = i
			break
		}
	}
	if sep < 0 {
		return nil, fmt.Errorf(`missing "-" separator after field 6 (%d fields)`, len(fields))
	}
	tail := fields[sep+1:]
	if len(tail) < 3 {
		return nil, fmt.Errorf(`want 3 fields after the "-" separator, found %d`, len(tail))
	}

	info := &Info{Options: fields[5]}
	var err error
	if info.ID, err = parseNumber("mount ID", fields[0]); err != nil {
		return nil, err
	}
	if info.Parent, err = parseNumber("parent ID", fields[1]); err != nil {
		return nil, err
	}
	major, minor, ok := strings.Cut(fields[2], ":")
	if !ok {
		return nil, fmt.Errorf("major:minor %q has no colon", fields[2])
	}
	if info.Major, err = parseNumber("major", major); err != nil {
		return nil, err
	}
	if info.Minor, err = parseNumber("minor", minor); err != nil {
		return nil, err
	}
	if info.Root, err = unescape(fields[3]); err != nil {
		return nil, fmt.Errorf("root: %w", err)
	}
	if info.Mountpoint, err = unescape(fields[4]); err != nil {
		return nil, fmt.Errorf("mount point: %w", err)
	}
	info.Optional = strings.Join(fields[6:sep], " ")
	if info.FSType, err = unescape(tail[0]); err != nil {
		return nil, fmt.Errorf("filesystem type: %w", err)
	}
	if info.Source, err = unescape(tail[1]); err != nil {
		return nil, fmt.Errorf("source: %w", err)
	}
	// Kernels before 3.10 could leave a raw space in the cifs "unc="
	// option: keep whatever follows as part of the superblock options.
	info.VFSOptions = strings.Join(tail[2:], " ")
	return info, nil
}

func parseNumber(what, s string) (int, error) {
	// ParseUint refuses signs; 31 bits fits an int everywhere.
	n, err := strconv.ParseUint(s, 10, 31)
	if err != nil {
		return 0, fmt.Errorf("%s %q is not a number", what, s)
	}
	return int(n), nil
}

// unescape decodes the kernel's \NNN octal escapes.
func unescape(s string) (string, error) {
	i := strings.IndexByte(s, '\\')
	if i < 0 {
		return s, nil
	}
	b := make([]byte, 0, len(s))
	b = append(b, s[:i]...)
	for ; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			b = append(b, c)
			continue
		}
		if i+3 >= len(s) || !isOctal(s[i+1]) || !isOctal(s[i+2]) || !isOctal(s[i+3]) {
			return "", fmt.Errorf("bad escape sequence in %q: want a backslash and 3 octal digits", s)
		}
		v := int(s[i+1]-'0')<<6 | int(s[i+2]-'0')<<3 | int(s[i+3]-'0')
		if v > 0xff {
			return "", fmt.Errorf("bad escape sequence in %q: \\%s is above \\377", s, s[i+1:i+4])
		}
		b = append(b, byte(v))
		i += 3
	}
	return string(b), nil
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }
