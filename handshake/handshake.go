// Package handshake is the typed conversation between xrt and the init it
// spawns (`xrt init`, first its C half in nsenter, then its Go half in
// containerinit), over a SOCK_SEQPACKET socket pair: one JSON message per
// packet, so no framing is needed and a dead peer reads as EOF.
package handshake

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"

	"xrt/quickjson"
)

// Message types, in the order they usually flow.
const (
	Go      = "go"      // parent → init: cgroup placement done, go ahead
	UserMap = "usermap" // init → parent: write uid/gid maps for Pid
	Ack     = "ack"     // parent → init: done what was asked
	Pid     = "pid"     // init → parent: Pid is the container's init
	State   = "state"   // parent → init: the runtime-spec state, for hooks
	Hooks   = "hooks"   // init → parent: run createRuntime and prestart hooks now
	Ready   = "ready"   // init → parent: set up, about to block on exec.fifo
	Log     = "log"     // init → parent: log Message at Level; no reply
	// MountSource: init → parent: a detached mount (open_tree) of Path,
	// which init may not open itself; the reply, of the same type, carries
	// it as SCM_RIGHTS, or Message says why not.
	MountSource = "mountsource"
	// IDMapSource: init → parent: the idmapped mount of spec mount Index,
	// made now, when earlier mounts may have made its source; the reply,
	// of the same type, carries it as SCM_RIGHTS, or Message says why not.
	IDMapSource = "idmapsource"
	Error       = "error" // either way: Message says what failed
	// ProcFS: the fast init → parent: a procfs context (fsopen) made in
	// the container's PID namespace, as SCM_RIGHTS, for the parent's
	// thread that mounts the container's /proc.
	ProcFS = "procfs"
	// Failed: the fast init → parent: Step failed with Errno (Index: the
	// rlimit or capability it was at); the parent words it.
	Failed = "failed"
	// RaiseFailed: the fast init → parent: ambient capability Index could
	// not be raised (Errno); a warning, no reply.
	RaiseFailed = "raisefailed"
)

// Msg is one packet.
type Msg struct {
	Type    string `json:"type"`
	Pid     int    `json:"pid,omitempty"`
	Message string `json:"message,omitempty"`
	Level   string `json:"level,omitempty"` // of a Log: debug, info, warning
	// Path and Recursive: of a MountSource request.
	Path      string `json:"path,omitempty"`
	Recursive bool   `json:"recursive,omitempty"`
	// Index: of an IDMapSource request, in the spec's mounts.
	Index int             `json:"index,omitempty"`
	Step  string          `json:"step,omitempty"`
	Errno int             `json:"errno,omitempty"`
	State json.RawMessage `json:"state,omitempty"`
}

// Conn is one end of the socket pair.
type Conn struct{ f *os.File }

// Pair returns the parent's end and the child's end (to pass to the child,
// which inherits it without close-on-exec through ExtraFiles).
//
// The parent's end is non-blocking, so Go's poller waits on it: a goroutine
// waiting for init parks instead of holding its thread, and its P, in a
// blocking recvmsg, which left other goroutines to wait for the runtime to
// take the P back and made it start threads. The child's end is a socket
// of its own and stays blocking, as nsenter's C code expects.
func Pair() (parent *Conn, child *os.File, err error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("socketpair: %w", err)
	}
	if err := unix.SetNonblock(fds[0], true); err != nil {
		unix.Close(fds[0])
		unix.Close(fds[1])
		return nil, nil, fmt.Errorf("socketpair: %w", err)
	}
	return &Conn{os.NewFile(uintptr(fds[0]), "handshake")}, os.NewFile(uintptr(fds[1]), "handshake-child"), nil
}

// read runs recv, a call on the socket, until it does not fail with EAGAIN:
// through the poller on a non-blocking end, once on a blocking one.
func (c *Conn) read(recv func(fd int) error) error {
	rc, err := c.f.SyscallConn()
	if err != nil {
		return err
	}
	return untilReady(rc.Read, recv)
}

// write is read for a call that sends.
func (c *Conn) write(send func(fd int) error) error {
	rc, err := c.f.SyscallConn()
	if err != nil {
		return err
	}
	return untilReady(rc.Write, send)
}

// untilReady runs call through wait (a RawConn's Read or Write) until it
// does not fail with EAGAIN, and returns its error.
func untilReady(wait func(func(fd uintptr) bool) error, call func(fd int) error) error {
	var cerr error
	if err := wait(func(fd uintptr) bool {
		cerr = call(int(fd))
		return cerr != unix.EAGAIN
	}); err != nil {
		return err
	}
	return cerr
}

// peekSize is the size of the next packet, 0 when the peer is gone.
func (c *Conn) peekSize() (int, error) {
	var size int
	err := c.read(func(fd int) (err error) {
		size, _, err = unix.Recvfrom(fd, nil, unix.MSG_PEEK|unix.MSG_TRUNC)
		return err
	})
	return size, err
}

// FromFD wraps an inherited end.
func FromFD(fd int) *Conn { return &Conn{os.NewFile(uintptr(fd), "handshake")} }

// Send writes one message.
func (c *Conn) Send(m Msg) error {
	b, err := quickjson.Marshal(m)
	if err != nil {
		return err
	}
	if _, err := c.f.Write(b); err != nil {
		return fmt.Errorf("send %s: %w", m.Type, err)
	}
	return nil
}

// Recv reads one message; io.EOF means the peer is gone.
func (c *Conn) Recv() (Msg, error) {
	var m Msg
	// Peek at the packet's real size first: a spec's annotations can make
	// a state message of any size.
	size, err := c.peekSize()
	if err != nil {
		return m, fmt.Errorf("receive: %w", err)
	}
	if size == 0 {
		return m, io.EOF
	}
	buf := make([]byte, size)
	n, err := c.f.Read(buf)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return m, io.EOF
		}
		return m, fmt.Errorf("receive: %w", err)
	}
	if n == 0 {
		return m, io.EOF
	}
	if err := quickjson.Unmarshal(buf[:n], &m); err != nil {
		return m, fmt.Errorf("receive: bad message %q: %w", buf[:n], err)
	}
	return m, nil
}

// SendError reports err to the peer.
func (c *Conn) SendError(err error) error { return c.Send(Msg{Type: Error, Message: err.Error()}) }

// Close closes this end.
func (c *Conn) Close() error { return c.f.Close() }

// SendFd writes one message with fd attached (SCM_RIGHTS).
func (c *Conn) SendFd(m Msg, fd int) error {
	b, err := quickjson.Marshal(m)
	if err != nil {
		return err
	}
	if err := c.write(func(sfd int) error { return unix.Sendmsg(sfd, b, unix.UnixRights(fd), nil, 0) }); err != nil {
		return fmt.Errorf("send %s: %w", m.Type, err)
	}
	return nil
}

// RecvFd reads one message and the fd attached to it (-1 if none; it is
// close-on-exec).
func (c *Conn) RecvFd() (Msg, int, error) {
	var m Msg
	// Sized as Recv sizes it: a peek leaves the fd with the packet.
	size, err := c.peekSize()
	if err != nil {
		return m, -1, fmt.Errorf("receive: %w", err)
	}
	if size == 0 {
		return m, -1, io.EOF
	}
	buf := make([]byte, size)
	oob := make([]byte, unix.CmsgSpace(4))
	var n, oobn int
	err = c.read(func(fd int) (err error) {
		n, oobn, _, _, err = unix.Recvmsg(fd, buf, oob, unix.MSG_CMSG_CLOEXEC)
		return err
	})
	if err != nil {
		return m, -1, fmt.Errorf("receive: %w", err)
	}
	if n == 0 {
		return m, -1, io.EOF
	}
	fd := -1
	if oobn > 0 {
		msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
		if err == nil && len(msgs) == 1 {
			if fds, err := unix.ParseUnixRights(&msgs[0]); err == nil && len(fds) == 1 {
				fd = fds[0]
			}
		}
	}
	if err := quickjson.Unmarshal(buf[:n], &m); err != nil {
		if fd >= 0 {
			unix.Close(fd)
		}
		return m, -1, fmt.Errorf("receive: bad message %q: %w", buf[:n], err)
	}
	return m, fd, nil
}
