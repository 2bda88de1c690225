package console

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"

	"golang.org/x/sys/unix"
)

// The console socket protocol (as engines such as containerd's shim and
// conmon expect it): the runtime connects to the unix stream socket given
// with --console-socket and sends a single message whose regular payload
// is the pty's name (e.g. "/dev/pts/0", no terminator) and whose ancillary
// data is one SCM_RIGHTS control message carrying the pty master's fd.

// maxNameLen bounds the payload: a path, so PATH_MAX.
const maxNameLen = 4096

// maxSunPath is the room for a path in struct sockaddr_un (with its NUL).
const maxSunPath = 108

// Dial connects to the unix stream socket at socketPath and returns the
// connection as a close-on-exec *os.File, ready for SendFdOn (the parent
// dials before the container's init pivots away from the host's paths and
// passes the connection down). Paths too long for sockaddr_un are reached
// through their directory's /proc/self/fd entry.
func Dial(socketPath string) (*os.File, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("console socket %s: socket: %w", socketPath, err)
	}
	if err := connect(fd, socketPath); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("console socket %s: connect: %w", socketPath, err)
	}
	return os.NewFile(uintptr(fd), socketPath), nil
}

func connect(fd int, path string) error {
	if len(path) < maxSunPath {
		return connectRetry(fd, path)
	}
	dir, err := unix.Open(filepath.Dir(path), unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(dir)
	short := fmt.Sprintf("/proc/self/fd/%d/%s", dir, filepath.Base(path))
	if len(short) >= maxSunPath {
		return unix.ENAMETOOLONG
	}
	return connectRetry(fd, short)
}

func connectRetry(fd int, path string) error {
	for {
		err := unix.Connect(fd, &unix.SockaddrUnix{Name: path})
		if err != unix.EINTR {
			return err
		}
	}
}

// SendFd connects to the console socket at socketPath and sends fd over it
// with name as the payload (see SendFdOn), then closes the connection.
func SendFd(socketPath string, name string, fd *os.File) error {
	conn, err := Dial(socketPath)
	if err != nil {
		return err
	}
	defer conn.Close()
	return SendFdOn(conn, name, fd)
}

// SendFdOn sends fd over the connected unix socket conn in one message:
// name (normally the pty's name, "/dev/pts/N") as the regular payload and
// fd in an SCM_RIGHTS control message. conn is not closed.
func SendFdOn(conn *os.File, name string, fd *os.File) error {
	if name == "" {
		return fmt.Errorf("console socket %s: send: empty name", conn.Name())
	}
	if len(name) > maxNameLen {
		return fmt.Errorf("console socket %s: send: name is %d bytes, more than %d", conn.Name(), len(name), maxNameLen)
	}
	rc, err := conn.SyscallConn()
	if err != nil {
		return fmt.Errorf("console socket %s: send: %w", conn.Name(), err)
	}
	oob := unix.UnixRights(int(fd.Fd()))
	var n int
	var serr error
	err = rc.Write(func(s uintptr) bool {
		for {
			n, serr = unix.SendmsgN(int(s), []byte(name), oob, nil, unix.MSG_NOSIGNAL)
			if serr != unix.EINTR {
				break
			}
		}
		return serr != unix.EAGAIN
	})
	runtime.KeepAlive(fd)
	if err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("console socket %s: send %s: %w", conn.Name(), name, err)
	}
	if n != len(name) {
		return fmt.Errorf("console socket %s: send %s: short write (%d of %d bytes)", conn.Name(), name, n, len(name))
	}
	return nil
}

// RecvFd receives one message sent by SendFdOn (or by any runtime speaking
// the console socket protocol) on the connected unix socket conn and
// returns its payload as name and the passed fd as a close-on-exec file
// named name. A message without exactly one fd is an error; any extra fds
// are closed.
func RecvFd(conn *os.File) (name string, fd *os.File, err error) {
	rc, err := conn.SyscallConn()
	if err != nil {
		return "", nil, fmt.Errorf("console socket %s: receive: %w", conn.Name(), err)
	}
	buf := make([]byte, maxNameLen)
	// Room for a few fds so that a sender passing more than one does not
	// get them truncated (and leaked in flight): they are closed below.
	oob := make([]byte, unix.CmsgSpace(4*8))
	var n, oobn, flags int
	var rerr error
	err = rc.Read(func(s uintptr) bool {
		for {
			n, oobn, flags, _, rerr = unix.Recvmsg(int(s), buf, oob, unix.MSG_CMSG_CLOEXEC)
			if rerr != unix.EINTR {
				break
			}
		}
		return rerr != unix.EAGAIN
	})
	if err == nil {
		err = rerr
	}
	if err != nil {
		return "", nil, fmt.Errorf("console socket %s: receive: %w", conn.Name(), err)
	}

	fds, perr := parseRights(oob[:oobn])
	closeAll := func() {
		for _, f := range fds {
			unix.Close(f)
		}
	}
	switch {
	case perr != nil:
		closeAll()
		return "", nil, fmt.Errorf("console socket %s: receive: control message: %w", conn.Name(), perr)
	case flags&unix.MSG_CTRUNC != 0:
		closeAll()
		return "", nil, fmt.Errorf("console socket %s: receive: control message truncated", conn.Name())
	case len(fds) == 0 && n == 0:
		return "", nil, fmt.Errorf("console socket %s: receive: %w", conn.Name(), io.ErrUnexpectedEOF)
	case len(fds) != 1:
		closeAll()
		return "", nil, fmt.Errorf("console socket %s: receive: got %d fds, want 1", conn.Name(), len(fds))
	}
	// Senders that pad the name with a NUL (C strings) are tolerated.
	name = string(bytes.TrimRight(buf[:n], "\x00"))
	return name, os.NewFile(uintptr(fds[0]), name), nil
}

// parseRights returns every fd carried by SCM_RIGHTS messages in oob.
func parseRights(oob []byte) ([]int, error) {
	if len(oob) == 0 {
		return nil, nil
	}
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, err
	}
	var fds []int
	var errs []error
	for i := range msgs {
		if msgs[i].Header.Level != unix.SOL_SOCKET || msgs[i].Header.Type != unix.SCM_RIGHTS {
			continue
		}
		got, err := unix.ParseUnixRights(&msgs[i])
		if err != nil {
			errs = append(errs, err)
			continue
		}
		fds = append(fds, got...)
	}
	return fds, errors.Join(errs...)
}
