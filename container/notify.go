package container

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"xrt/logs"
)

// sd_notify (systemd's NOTIFY_SOCKET protocol) through a container: when
// xrt itself runs with NOTIFY_SOCKET set (a systemd unit of Type=notify,
// or an engine like podman), create gives the container a socket
// directory of its own, bound read-only at /run/notify, and start listens
// there and passes the container's messages on to the caller's socket,
// with MAINPID set to the container's init, until READY=1.
const (
	notifyDir         = "notify"
	notifySock        = "notify.sock"
	notifyInContainer = "/run/notify"
)

// addNotifySocket makes the container's notify directory and points the
// container's NOTIFY_SOCKET at it.
func (c *Container) addNotifySocket(spec *specs.Spec) error {
	dir := filepath.Join(c.dir, notifyDir)
	if err := os.Mkdir(dir, 0o755); err != nil {
		return fmt.Errorf("create notify socket directory: %w", err)
	}
	spec.Mounts = append(spec.Mounts, specs.Mount{
		Destination: notifyInContainer,
		Type:        "bind",
		Source:      dir,
		Options:     []string{"bind", "nosuid", "noexec", "nodev", "ro"},
	})
	spec.Process.Env = SetEnv(spec.Process.Env, "NOTIFY_SOCKET="+notifyInContainer+"/"+notifySock)
	return nil
}

// Notifier passes a container's sd_notify messages on to the host.
type Notifier struct {
	c    *Container
	sock int
	host string
}

// listenNotify binds the container's notify socket, or returns nil when the
// container was not created with one or host is "".
func (c *Container) listenNotify(host string) (*Notifier, error) {
	dir := filepath.Join(c.dir, notifyDir)
	if host == "" {
		return nil, nil
	}
	if _, err := os.Stat(dir); err != nil {
		return nil, nil
	}
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("notify socket: %w", err)
	}
	path := filepath.Join(dir, notifySock)
	os.Remove(path) // left by an earlier start that failed
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("bind notify socket %s: %w", path, err)
	}
	// The container's program may run as any user.
	if err := os.Chmod(path, 0o777); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("notify socket: %w", err)
	}
	return &Notifier{c: c, sock: fd, host: host}, nil
}

// Forward passes each message from the container on to the host socket,
// MAINPID replaced by the init's pid, and returns after READY=1, or when
// the init exits first: that is the container's business (a short job that
// never says READY=1), logged, not an error of start.
func (n *Notifier) Forward() error {
	defer n.close()
	pidfd, err := n.c.pidfd()
	if err != nil {
		logs.Warnf("container %s exited before it sent READY=1", n.c.ID)
		return nil
	}
	defer unix.Close(pidfd)
	buf := make([]byte, 4096)
	fds := []unix.PollFd{{Fd: int32(n.sock), Events: unix.POLLIN}, {Fd: int32(pidfd), Events: unix.POLLIN}}
	for {
		if _, err := unix.Poll(fds, -1); err != nil && err != unix.EINTR {
			return fmt.Errorf("notify socket: %w", err)
		}
		if fds[0].Revents&unix.POLLIN != 0 {
			m, _, err := unix.Recvfrom(n.sock, buf, unix.MSG_DONTWAIT)
			if err != nil && err != unix.EAGAIN {
				return fmt.Errorf("notify socket: %w", err)
			}
			if m > 0 {
				msg, ready := n.rewrite(buf[:m])
				if err := n.send(msg); err != nil {
					return err
				}
				if ready {
					return nil
				}
			}
			continue
		}
		if fds[1].Revents != 0 {
			logs.Warnf("container %s exited before it sent READY=1", n.c.ID)
			return nil
		}
	}
}

// rewrite drops the container's own MAINPID (a pid of its namespace) and
// adds the init's host pid; it reports whether the message says READY=1.
func (n *Notifier) rewrite(msg []byte) ([]byte, bool) {
	var out bytes.Buffer
	ready := false
	for _, line := range strings.Split(string(msg), "\n") {
		if line == "" || strings.HasPrefix(line, "MAINPID=") {
			continue
		}
		ready = ready || line == "READY=1"
		out.WriteString(line + "\n")
	}
	out.WriteString("MAINPID=" + strconv.Itoa(n.c.Pid) + "\n")
	return out.Bytes(), ready
}

// send writes one datagram to the host's NOTIFY_SOCKET ("@name" is an
// abstract socket, as in systemd).
func (n *Notifier) send(msg []byte) error {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("NOTIFY_SOCKET: %w", err)
	}
	defer unix.Close(fd)
	if err := unix.Sendto(fd, msg, 0, &unix.SockaddrUnix{Name: n.host}); err != nil {
		return fmt.Errorf("NOTIFY_SOCKET %s: %w", n.host, err)
	}
	return nil
}

func (n *Notifier) close() {
	unix.Close(n.sock)
	os.Remove(filepath.Join(n.c.dir, notifyDir, notifySock))
}
