package seccomp

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// The seccomp notify hand-over of the runtime-spec (config-linux.md,
// "The Container Process State"): one connection to listenerPath per
// listener fd, carrying the container process state as JSON, with the fd in
// SCM_RIGHTS of the first sendmsg; then the connection is closed.

// ProcessState is the JSON payload for the agent. pid is the process that
// loaded the filter, as the runtime sees it (the init's pid for create, the
// new process's for exec); metadata is linux.seccomp.listenerMetadata.
func ProcessState(state specs.State, pid int, metadata string) ([]byte, error) {
	b, err := json.Marshal(specs.ContainerProcessState{
		Version:  specs.Version,
		Fds:      []string{specs.SeccompFdName},
		Pid:      pid,
		Metadata: metadata,
		State:    state,
	})
	if err != nil {
		return nil, fmt.Errorf("seccomp: encode container process state: %w", err)
	}
	return b, nil
}

// Dial connects to the agent's AF_UNIX SOCK_STREAM socket at path. The
// container's init calls it before pivot_root, while the host path is still
// visible, and SendOn later on the connection.
func Dial(path string) (*os.File, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("seccomp listener %s: socket: %w", path, err)
	}
	for {
		err = unix.Connect(fd, &unix.SockaddrUnix{Name: path})
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("failed to connect with seccomp agent on %s: %w (is the seccomp agent running?)", path, err)
	}
	return os.NewFile(uintptr(fd), "seccomp-listener:"+path), nil
}

// SendOn sends processState (see ProcessState) and the listener fd over
// conn, then closes conn, as the spec wants one state per connection. It
// uses raw sendmsg calls only: when it runs after Load, every syscall is
// already filtered, and sendmsg is one Compile refuses to NOTIFY.
func SendOn(conn *os.File, fd int, processState []byte) error {
	defer conn.Close()
	if len(processState) == 0 {
		return errors.New("seccomp listener: empty container process state")
	}
	s := int(conn.Fd())
	oob := unix.UnixRights(fd)
	for len(processState) > 0 {
		n, err := unix.SendmsgN(s, processState, oob, nil, unix.MSG_NOSIGNAL)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return fmt.Errorf("seccomp listener %s: send state and fd: %w", conn.Name(), err)
		}
		// The fds went with the first sendmsg; the spec wants them only there.
		oob = nil
		processState = processState[n:]
	}
	return nil
}

// SendListener connects to the agent at socketPath and sends it the
// listener fd with processState: Dial and SendOn in one go, for a caller
// that can still see socketPath.
func SendListener(socketPath string, fd int, processState []byte) error {
	conn, err := Dial(socketPath)
	if err != nil {
		return err
	}
	return SendOn(conn, fd, processState)
}
