package containerinit

import (
	"fmt"
	"os"

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
