package containerinit

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"xrt/handshake"
	"xrt/nsenter"
)

// parent is init's side of the handshake.
type parent struct{ *handshake.Conn }

// expect receives one message, which must be of type want.
func (p *parent) expect(want string) (handshake.Msg, error) {
	m, err := p.Recv()
	if err != nil {
		return m, fmt.Errorf("init: waiting for %q from the parent: %w", want, err)
	}
	if m.Type != want {
		return m, fmt.Errorf("init: expected %q from the parent, got %q", want, m.Type)
	}
	return m, nil
}

// warn has the parent log msg as a warning (init's own stderr is the
// container's).
func (p *parent) warn(msg string) {
	p.Send(handshake.Msg{Type: handshake.Log, Level: "warning", Message: msg})
}

// debug has the parent log msg at debug level, with --debug only.
func (p *parent) debug(msg string) {
	if os.Getenv(nsenter.EnvDebug) != "" {
		p.Send(handshake.Msg{Type: handshake.Log, Level: "debug", Message: msg})
	}
}

// mountSource asks the parent for a detached mount of path, a bind source
// that init may not open from inside its user namespace
// (rootfs.Config.OpenSource).
func (p *parent) mountSource(path string, recursive bool) (int, error) {
	if err := p.Send(handshake.Msg{Type: handshake.MountSource, Path: path, Recursive: recursive}); err != nil {
		return -1, err
	}
	m, fd, err := p.RecvFd()
	if err != nil {
		return -1, fmt.Errorf("init: waiting for the mount source %s: %w", path, err)
	}
	if m.Type != handshake.MountSource || fd < 0 {
		if fd >= 0 {
			unix.Close(fd)
		}
		return -1, fmt.Errorf("mount source %s: the runtime could not open it for the container: %s", path, m.Message)
	}
	return fd, nil
}

// idmapSource asks the parent for the idmapped mount of spec mount i
// (rootfs.Config.IDMapSource), made as this mount namespace now sees its
// source.
func (p *parent) idmapSource(i int) (int, error) {
	if err := p.Send(handshake.Msg{Type: handshake.IDMapSource, Index: i}); err != nil {
		return -1, err
	}
	m, fd, err := p.RecvFd()
	if err != nil {
		return -1, fmt.Errorf("init: waiting for idmapped mount %d: %w", i, err)
	}
	if m.Type != handshake.IDMapSource || fd < 0 {
		if fd >= 0 {
			unix.Close(fd)
		}
		return -1, errors.New(m.Message)
	}
	return fd, nil
}
