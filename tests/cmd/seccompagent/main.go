// Command seccompagent is the seccomp notify agent of the integration
// tests: it listens on a unix socket (linux.seccomp.listenerPath), receives
// one container's process state and listener fd (SCM_RIGHTS), writes the
// state JSON to STATE, and answers every notification with success and
// the return value VAL, without running the syscall, until the listener
// closes (all filtered processes gone) or 60 s pass.
//
//	seccompagent SOCKET STATE VAL
package main

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The kernel's struct seccomp_notif and seccomp_notif_resp.
type notif struct {
	ID    uint64
	Pid   uint32
	Flags uint32
	Data  [64]byte // struct seccomp_data
}

type notifResp struct {
	ID    uint64
	Val   int64
	Error int32
	Flags uint32
}

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: seccompagent SOCKET STATE VAL")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2], os.Args[3]); err != nil {
		fmt.Fprintln(os.Stderr, "seccompagent:", err)
		os.Exit(1)
	}
}

func run(sock, stateFile, valArg string) error {
	val, err := strconv.ParseInt(valArg, 10, 64)
	if err != nil {
		return err
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		return err
	}
	defer ln.Close()
	ln.SetDeadline(time.Now().Add(60 * time.Second))
	c, err := ln.AcceptUnix()
	if err != nil {
		return err
	}
	defer c.Close()
	buf := make([]byte, 1<<20)
	oob := make([]byte, unix.CmsgSpace(4*4))
	var state []byte
	fd := -1
	for fd < 0 {
		n, oobn, _, _, err := c.ReadMsgUnix(buf, oob)
		if err != nil {
			return fmt.Errorf("read state: %w", err)
		}
		state = append(state, buf[:n]...)
		msgs, _ := unix.ParseSocketControlMessage(oob[:oobn])
		for _, m := range msgs {
			if fds, err := unix.ParseUnixRights(&m); err == nil && len(fds) > 0 {
				fd = fds[0]
			}
		}
	}
	if err := os.WriteFile(stateFile, state, 0o644); err != nil {
		return err
	}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		if _, err := unix.Poll(pfd, 1000); err != nil && err != unix.EINTR {
			return err
		}
		if pfd[0].Revents&unix.POLLHUP != 0 {
			return nil // every filtered process is gone
		}
		if pfd[0].Revents&unix.POLLIN == 0 {
			continue
		}
		var n notif
		if _, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SECCOMP_IOCTL_NOTIF_RECV, uintptr(unsafe.Pointer(&n))); e != 0 {
			if e == unix.ENOENT || e == unix.EINTR {
				continue // the caller went away
			}
			return fmt.Errorf("NOTIF_RECV: %w", e)
		}
		r := notifResp{ID: n.ID, Val: val}
		if _, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SECCOMP_IOCTL_NOTIF_SEND, uintptr(unsafe.Pointer(&r))); e != 0 && e != unix.ENOENT {
			return fmt.Errorf("NOTIF_SEND: %w", e)
		}
	}
	return nil
}
