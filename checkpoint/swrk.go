// Package checkpoint checkpoints and restores containers with CRIU
// (`xrt checkpoint`, `xrt restore`). It talks to CRIU the way engines and
// runc do: `criu swrk` over a SOCK_SEQPACKET socket pair, with the RPC
// messages of github.com/checkpoint-restore/go-criu. The driver is xrt's
// own (swrk.go) because a restore needs what go-criu's loop drops: the
// pty master CRIU sends with its "orphan-pts-master" notification, and the
// restored init's pid from "post-restore".
//
// Layout: swrk.go (one CRIU session), options.go (the flags shared by both
// commands, the image and work directories, CRIU's log), mounts.go (the
// external mounts described to CRIU), dump.go and restore.go.
package checkpoint

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/checkpoint-restore/go-criu/v8/rpc"
	"golang.org/x/sys/unix"
)

// Binary is the CRIU program run as `criu swrk`, found in $PATH.
var Binary = "criu"

// notifyFunc handles one CRIU notification (a "script" in CRIU's words);
// fds are the descriptors CRIU passed with it, which it must close or keep.
// An error aborts the operation: CRIU rolls back what it did.
type notifyFunc func(script string, pid int32, fds []*os.File) error

// swrkOpts are the process-level inputs of one CRIU session.
type swrkOpts struct {
	// stdio becomes CRIU's fds 0, 1, 2 (nil: /dev/null); a restore hands
	// them to the restored processes whose stdio were pipes.
	stdio [3]*os.File
	// extra become CRIU's fds 4, 5, ... (3 is the RPC socket).
	extra []*os.File
	// started runs once CRIU is running, before the request is sent
	// (restore moves CRIU into the container's cgroup here).
	started func(criuPid int) error
}

// call runs one CRIU request in a fresh `criu swrk`, answering its
// notifications with nfy, and returns CRIU's final response.
func call(req *rpc.CriuReq, o *swrkOpts, nfy notifyFunc) (*rpc.CriuResp, error) {
	path, err := exec.LookPath(Binary)
	if err != nil {
		return nil, fmt.Errorf("CRIU is not installed (%q not found in $PATH): install criu 3.x (e.g. apt-get install criu)", Binary)
	}
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("criu: socketpair: %w", err)
	}
	conn := os.NewFile(uintptr(fds[0]), "criu-rpc")
	defer conn.Close()
	srv := os.NewFile(uintptr(fds[1]), "criu-rpc-srv")
	if o == nil {
		o = &swrkOpts{}
	}
	cmd := exec.Command(path, "swrk", "3")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = o.stdio[0], o.stdio[1], o.stdio[2]
	cmd.ExtraFiles = append([]*os.File{srv}, o.extra...)
	err = cmd.Start()
	srv.Close() // ours: CRIU's death then reads as EOF, never a hang
	if err != nil {
		return nil, fmt.Errorf("start %s swrk: %w", path, err)
	}
	waited := false
	defer func() {
		if !waited {
			conn.Close()
			cmd.Wait()
		}
	}()
	if o.started != nil {
		if err := o.started(cmd.Process.Pid); err != nil {
			return nil, err
		}
	}
	resp, err := exchange(conn, req, nfy)
	if err != nil {
		return resp, err
	}
	// CRIU exits once we close our end. After a pre-dump it waits for the
	// next request and exits non-zero: that is not a failure.
	conn.Close()
	waited = true
	werr := cmd.Wait()
	if werr != nil && req.GetType() != rpc.CriuReqType_PRE_DUMP {
		return resp, fmt.Errorf("criu swrk: %w", werr)
	}
	return resp, nil
}

// exchange sends req and reads responses, answering notifications, until
// the final one.
func exchange(conn *os.File, req *rpc.CriuReq, nfy notifyFunc) (*rpc.CriuResp, error) {
	op := req.GetType().String()
	buf := make([]byte, 10*4096)
	oob := make([]byte, unix.CmsgSpace(4*16))
	for {
		b, err := req.MarshalVT()
		if err != nil {
			return nil, fmt.Errorf("criu: encode request: %w", err)
		}
		if _, err := conn.Write(b); err != nil {
			return nil, fmt.Errorf("criu: send request: %w", err)
		}
		n, oobn, _, _, err := unix.Recvmsg(int(conn.Fd()), buf, oob, unix.MSG_CMSG_CLOEXEC)
		if err != nil {
			return nil, fmt.Errorf("criu: read response: %w", err)
		}
		if n == 0 {
			return nil, errors.New("criu exited without answering")
		}
		fds, err := rights(oob[:oobn])
		if err != nil {
			return nil, err
		}
		resp := &rpc.CriuResp{}
		if err := resp.UnmarshalVT(buf[:n]); err != nil {
			closeAll(fds)
			return nil, fmt.Errorf("criu: decode response: %w", err)
		}
		if !resp.GetSuccess() {
			closeAll(fds)
			return resp, &Error{Op: op, Errno: resp.GetCrErrno(), Msg: strings.TrimSpace(resp.GetCrErrmsg())}
		}
		if resp.GetType() != rpc.CriuReqType_NOTIFY {
			closeAll(fds)
			return resp, nil
		}
		script, pid := resp.GetNotify().GetScript(), resp.GetNotify().GetPid()
		if nfy == nil {
			closeAll(fds)
		} else if err := nfy(script, pid, fds); err != nil {
			return resp, fmt.Errorf("criu notification %q: %w", script, err)
		}
		t := rpc.CriuReqType_NOTIFY
		req = &rpc.CriuReq{Type: &t, NotifySuccess: ptr(true)}
	}
}

// rights returns the descriptors of SCM_RIGHTS messages in oob.
func rights(oob []byte) ([]*os.File, error) {
	if len(oob) == 0 {
		return nil, nil
	}
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, fmt.Errorf("criu: parse control message: %w", err)
	}
	var files []*os.File
	for i := range msgs {
		fds, err := unix.ParseUnixRights(&msgs[i])
		if err != nil {
			continue
		}
		for _, fd := range fds {
			files = append(files, os.NewFile(uintptr(fd), "criu-fd"))
		}
	}
	return files, nil
}

func closeAll(fs []*os.File) {
	for _, f := range fs {
		f.Close()
	}
}

// Error is a request CRIU answered with failure.
type Error struct {
	Op    string // the request: DUMP, RESTORE, ...
	Errno int32
	Msg   string
}

func (e *Error) Error() string {
	s := "criu " + e.Op + " failed"
	if e.Msg != "" {
		s += ": " + e.Msg
	}
	if e.Errno != 0 {
		s += fmt.Sprintf(" (%v)", unix.Errno(e.Errno))
	}
	return s
}

// Version asks CRIU for its version as major*10000 + minor*100 + sublevel
// (a build from git counts as the next minor release, as CRIU's own tools
// count it).
func Version() (int, error) {
	t := rpc.CriuReqType_VERSION
	resp, err := call(&rpc.CriuReq{Type: &t}, nil, nil)
	if err != nil {
		return 0, err
	}
	v := resp.GetVersion()
	if v == nil {
		return 0, errors.New("criu did not report its version: it is older than 3.0, install criu 3.x")
	}
	n := int(v.GetMajorNumber())*10000 + int(v.GetMinorNumber())*100 + int(v.GetSublevel())
	if v.GetGitid() != "" {
		n = n - n%100 + 100
	}
	return n, nil
}

func ptr[T any](v T) *T { return &v }
