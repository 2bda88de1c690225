package seccomp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// struct seccomp_notif and seccomp_notif_resp of linux/seccomp.h.
type seccompNotif struct {
	ID    uint64
	Pid   uint32
	Flags uint32
	Data  struct {
		Nr   int32
		Arch uint32
		IP   uint64
		Args [6]uint64
	}
}

type seccompNotifResp struct {
	ID    uint64
	Val   int64
	Error int32
	Flags uint32
}

// received is what an agent got on one connection.
type received struct {
	data []byte
	fds  []int
	cmsg int // control messages seen
}

// acceptOne accepts one connection on ln and reads it to EOF.
func acceptOne(ln *net.UnixListener) (received, error) {
	var r received
	if err := ln.SetDeadline(time.Now().Add(20 * time.Second)); err != nil {
		return r, err
	}
	conn, err := ln.AcceptUnix()
	if err != nil {
		return r, err
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(20 * time.Second)); err != nil {
		return r, err
	}
	buf, oob := make([]byte, 64<<10), make([]byte, unix.CmsgSpace(4*4))
	for {
		n, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
		r.data = append(r.data, buf[:n]...)
		if oobn > 0 {
			msgs, perr := unix.ParseSocketControlMessage(oob[:oobn])
			if perr != nil {
				return r, perr
			}
			for _, m := range msgs {
				r.cmsg++
				fds, perr := unix.ParseUnixRights(&m)
				if perr != nil {
					return r, perr
				}
				r.fds = append(r.fds, fds...)
			}
		}
		if errors.Is(err, io.EOF) || (err == nil && n == 0 && oobn == 0) {
			return r, nil
		}
		if err != nil {
			return r, err
		}
	}
}

func listen(t *testing.T) (*net.UnixListener, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "agent.sock")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln, path
}

func TestSendListener(t *testing.T) {
	ln, path := listen(t)
	var pipe [2]int
	if err := unix.Pipe2(pipe[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(pipe[0])
	defer unix.Close(pipe[1])
	// Big enough to need several sendmsg calls.
	meta := strings.Repeat("m", 4<<20)
	state, err := ProcessState(specs.State{Version: specs.Version, ID: "ctr", Status: specs.StateCreating, Pid: 4422, Bundle: "/b"}, 4423, meta)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan received, 1)
	errc := make(chan error, 1)
	go func() {
		r, err := acceptOne(ln)
		got <- r
		errc <- err
	}()
	if err := SendListener(path, pipe[1], state); err != nil {
		t.Fatal(err)
	}
	r := <-got
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	for _, fd := range r.fds {
		defer unix.Close(fd)
	}
	if !bytes.Equal(r.data, state) {
		t.Fatalf("agent got %d bytes, sent %d", len(r.data), len(state))
	}
	if len(r.fds) != 1 || r.cmsg != 1 {
		t.Fatalf("agent got fds %v in %d control messages, want one fd in one", r.fds, r.cmsg)
	}
	// The received fd is the pipe's write end.
	if _, err := unix.Write(r.fds[0], []byte("hi")); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 2)
	if n, err := unix.Read(pipe[0], b); err != nil || string(b[:n]) != "hi" {
		t.Fatalf("read from pipe: %q, %v", b[:n], err)
	}
	var ps specs.ContainerProcessState
	if err := json.Unmarshal(r.data, &ps); err != nil {
		t.Fatal(err)
	}
	if ps.Version != specs.Version || !reflect.DeepEqual(ps.Fds, []string{"seccompFd"}) || ps.Pid != 4423 ||
		ps.Metadata != meta || ps.State.ID != "ctr" || ps.State.Status != specs.StateCreating || ps.State.Pid != 4422 {
		t.Errorf("container process state: version %q fds %v pid %d state %+v", ps.Version, ps.Fds, ps.Pid, ps.State)
	}
}

func TestDialErrors(t *testing.T) {
	_, err := Dial(filepath.Join(t.TempDir(), "no-agent.sock"))
	if err == nil || !strings.Contains(err.Error(), "connect") {
		t.Errorf("Dial of a missing socket: %v", err)
	}
	if err := SendListener(filepath.Join(t.TempDir(), "no-agent.sock"), 0, []byte("{}")); err == nil {
		t.Error("SendListener to a missing socket succeeded")
	}
}

// A NOTIFY rule for real: the child loads it, hands the listener fd to an
// agent (this test), and its getppid returns what the agent answers.
func TestLoadNotify(t *testing.T) {
	for _, tc := range []struct {
		name      string
		dialFirst bool
		flags     []specs.LinuxSeccompFlag
	}{
		{"dial before load, send after", true, []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagWaitKillableRecv}},
		{"connect after load", false, []specs.LinuxSeccompFlag{"SECCOMP_FILTER_FLAG_TSYNC"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ln, path := listen(t)
			s := getppidRule(specs.ActNotify)
			s.ListenerPath, s.ListenerMetadata, s.Flags = path, "meta=1", tc.flags
			p := mustCompile(t, s)
			state, err := ProcessState(specs.State{Version: specs.Version, ID: "ctr", Status: specs.StateCreating, Bundle: "/b"}, 4422, p.ListenerMetadata)
			if err != nil {
				t.Fatal(err)
			}
			agentErr := make(chan error, 1)
			var notif seccompNotif
			var ps specs.ContainerProcessState
			go func() { agentErr <- agent(ln, &ps, &notif, 4242) }()

			cs := childSpec{Program: p, State: state, Calls: []call{sys(unix.SYS_GETPPID)}}
			if tc.dialFirst {
				cs.DialPath = path
			} else {
				cs.SendPath = path
			}
			res, st, stderr := runChild(t, cs)
			if !st.Exited() || st.ExitStatus() != 0 || res.LoadErr != "" || res.TimedOut || len(res.Results) != 1 {
				t.Fatalf("child %v, report %+v; stderr:\n%s", st, res, stderr)
			}
			if err := <-agentErr; err != nil {
				t.Fatalf("agent: %v", err)
			}
			if res.Listener < 0 {
				t.Errorf("Load returned listener fd %d", res.Listener)
			}
			if r := res.Results[0]; r.Errno != 0 || r.R != 4242 {
				t.Errorf("getppid under NOTIFY = %d, errno %d; want the agent's 4242", r.R, r.Errno)
			}
			if notif.Data.Nr != unix.SYS_GETPPID || notif.Data.Arch != unix.AUDIT_ARCH_X86_64 && notif.Data.Arch != unix.AUDIT_ARCH_AARCH64 {
				t.Errorf("notification for syscall %d arch %#x, want getppid", notif.Data.Nr, notif.Data.Arch)
			}
			if ps.Pid != 4422 || ps.Metadata != "meta=1" || ps.State.ID != "ctr" || !reflect.DeepEqual(ps.Fds, []string{specs.SeccompFdName}) {
				t.Errorf("container process state %+v", ps)
			}
		})
	}
}

// agent receives the state and listener fd on ln, then answers one
// notification with val after checking it comes from a child of this test.
func agent(ln *net.UnixListener, ps *specs.ContainerProcessState, notif *seccompNotif, val int64) error {
	r, err := acceptOne(ln)
	for _, fd := range r.fds {
		defer unix.Close(fd)
	}
	if err != nil {
		return err
	}
	if len(r.fds) != 1 {
		return fmt.Errorf("got %d fds", len(r.fds))
	}
	if err := json.Unmarshal(r.data, ps); err != nil {
		return fmt.Errorf("state %q: %w", r.data, err)
	}
	fd := r.fds[0]
	pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	if n, err := unix.Poll(pfd, 20000); err != nil || n != 1 || pfd[0].Revents&unix.POLLIN == 0 {
		return fmt.Errorf("poll listener: n=%d revents=%#x err=%v", n, pfd[0].Revents, err)
	}
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SECCOMP_IOCTL_NOTIF_RECV, uintptr(unsafe.Pointer(notif))); e != 0 {
		return fmt.Errorf("SECCOMP_IOCTL_NOTIF_RECV: %w", e)
	}
	if ppid, err := procPPid(int(notif.Pid)); err != nil || ppid != os.Getpid() {
		return fmt.Errorf("notification from pid %d, whose parent is %d (%v), not this test", notif.Pid, ppid, err)
	}
	resp := seccompNotifResp{ID: notif.ID, Val: val}
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SECCOMP_IOCTL_NOTIF_SEND, uintptr(unsafe.Pointer(&resp))); e != 0 {
		return fmt.Errorf("SECCOMP_IOCTL_NOTIF_SEND: %w", e)
	}
	return nil
}

func procPPid(tid int) (int, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", tid))
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "PPid:"); ok {
			return strconv.Atoi(strings.TrimSpace(v))
		}
	}
	return 0, fmt.Errorf("no PPid in /proc/%d/status", tid)
}
