package cgroups

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// traceWrite, when set (by tests), sees every write before it is made.
var traceWrite func(path, value string)

// writeFile writes value to dir/file with one write(2). The error names the
// file, the value and the path.
func writeFile(dir, file, value string) error {
	p := dir + "/" + file
	if traceWrite != nil {
		traceWrite(p, value)
	}
	fd, err := openRetry(p, unix.O_WRONLY|unix.O_TRUNC|unix.O_CLOEXEC)
	if err != nil {
		return setError(file, value, &os.PathError{Op: "open", Path: p, Err: err})
	}
	err = writeAll(fd, value)
	unix.Close(fd)
	if err != nil {
		return setError(file, value, &os.PathError{Op: "write", Path: p, Err: err})
	}
	return nil
}

func setError(file, value string, err error) error {
	if value == "" || strings.ContainsAny(value, " \t\n\"") {
		value = strconv.Quote(value)
	}
	return fmt.Errorf("set %s to %s: %w", file, value, err)
}

func openRetry(p string, flags int) (int, error) {
	for {
		fd, err := unix.Open(p, flags, 0)
		if err != unix.EINTR {
			return fd, err
		}
	}
}

func writeAll(fd int, value string) error {
	b := []byte(value)
	for {
		n, err := unix.Write(fd, b)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		if n != len(b) {
			return io.ErrShortWrite
		}
		return nil
	}
}

// readFile reads dir/file whole. The error is an *os.PathError.
func readFile(dir, file string) (string, error) {
	return readPath(dir + "/" + file)
}

// readPath reads the file at p whole.
func readPath(p string) (string, error) {
	fd, err := openRetry(p, unix.O_RDONLY|unix.O_CLOEXEC)
	if err != nil {
		return "", &os.PathError{Op: "open", Path: p, Err: err}
	}
	defer unix.Close(fd)
	buf := make([]byte, 0, 512)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := unix.Read(fd, buf[len(buf):cap(buf)])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return "", &os.PathError{Op: "read", Path: p, Err: err}
		}
		if n == 0 {
			return string(buf), nil
		}
		buf = buf[:len(buf)+n]
	}
}

// readTrim reads a one-value file without its trailing newline.
func readTrim(dir, file string) (string, error) {
	s, err := readFile(dir, file)
	return strings.TrimSpace(s), err
}

// readInt reads a one-number file.
func readInt(dir, file string) (int64, error) {
	s, err := readTrim(dir, file)
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("read %s/%s: %w", dir, file, err)
	}
	return n, nil
}

// readUint reads a one-number file; "max" reads as ^uint64(0).
func readUint(dir, file string) (uint64, error) {
	s, err := readTrim(dir, file)
	if err != nil {
		return 0, err
	}
	if s == "max" {
		return ^uint64(0), nil
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("read %s/%s: %w", dir, file, err)
	}
	return n, nil
}

func notExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }

func isEINVAL(err error) bool { return errors.Is(err, unix.EINVAL) }

// mkdirCgroup creates dir and its missing parents, but never root (the
// mount point) itself. created runs for every directory made, top-down.
func mkdirCgroup(root, dir string, created func(string) error) error {
	err := unix.Mkdir(dir, 0o755)
	if err == unix.ENOENT && dir != root && len(dir) > len(root) {
		parent := dir[:strings.LastIndexByte(dir, '/')]
		if parent != root {
			if err := mkdirCgroup(root, parent, created); err != nil {
				return err
			}
			err = unix.Mkdir(dir, 0o755)
		}
	}
	switch err {
	case nil:
		if created != nil {
			return created(dir)
		}
		return nil
	case unix.EEXIST:
		return nil
	}
	return &os.PathError{Op: "mkdir", Path: dir, Err: err}
}

// destroyTimeout bounds how long Destroy waits for a busy cgroup to empty.
const destroyTimeout = time.Second

// removeCgroup removes dir and every cgroup below it, children first. rmdir
// on a cgroup that still has (exiting) processes fails with EBUSY: it is
// retried with a growing pause until deadline. A missing dir is fine.
//
// rmdir comes first: a container's cgroup has no children in the common
// case, and listing a cgroup directory (every control file of every
// controller) costs more than the rmdir itself, in each of a v1 host's
// ten hierarchies. The kernel answers EBUSY both for processes and for
// child cgroups (ENOTEMPTY is not used by cgroupfs, but is treated the
// same), so a failed rmdir lists the directory: children are removed and
// the rmdir tried again at once; without children, it waits.
func removeCgroup(dir string, deadline time.Time) error {
	pause := time.Millisecond
	for {
		err := unix.Rmdir(dir)
		switch {
		case err == nil || err == unix.ENOENT:
			return nil
		case err != unix.EBUSY && err != unix.ENOTEMPTY:
			return &os.PathError{Op: "remove", Path: dir, Err: err}
		}
		entries, rerr := os.ReadDir(dir)
		if rerr != nil {
			if notExist(rerr) {
				return nil
			}
			return rerr
		}
		children := false
		for _, e := range entries {
			if e.IsDir() {
				children = true
				if err := removeCgroup(dir+"/"+e.Name(), deadline); err != nil {
					return err
				}
			}
		}
		if time.Now().After(deadline) {
			return &os.PathError{Op: "remove", Path: dir, Err: err}
		}
		if !children {
			// Tasks still exiting (or a child went away meanwhile).
			time.Sleep(pause)
			pause = min(2*pause, 50*time.Millisecond)
		}
	}
}

// readProcs appends the pids in dir/cgroup.procs and in every cgroup below.
func readProcs(dir string, out []int) ([]int, error) {
	s, err := readFile(dir, "cgroup.procs")
	if err != nil {
		return out, err
	}
	for f := range strings.FieldsSeq(s) {
		if pid, err := strconv.Atoi(f); err == nil {
			out = append(out, pid)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return out, err
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		out, err = readProcs(dir+"/"+e.Name(), out)
		if err != nil && !notExist(err) {
			return out, err
		}
	}
	return out, nil
}

// joinPid writes pid to dir/cgroup.procs.
func joinPid(dir string, pid int) error {
	if err := writeFile(dir, "cgroup.procs", strconv.Itoa(pid)); err != nil {
		return fmt.Errorf("join pid %d: %w", pid, err)
	}
	return nil
}

func exists(p string) bool {
	var st unix.Stat_t
	return unix.Stat(p, &st) == nil
}

// i64 and u64 format numbers for cgroup files.
func i64(n int64) string  { return strconv.FormatInt(n, 10) }
func u64(n uint64) string { return strconv.FormatUint(n, 10) }

// maxOr64 formats a limit where -1 means "max" (cgroup v2).
func maxOr64(n int64) string {
	if n == -1 {
		return "max"
	}
	return strconv.FormatInt(n, 10)
}
