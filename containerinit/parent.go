package containerinit

import (
	"fmt"

	"xrt/handshake"
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
