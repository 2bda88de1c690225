package containerinit

import (
	"errors"
	"fmt"

	"xrt/handshake"
)

// parent is init's side of the handshake. The parent's "placed" can arrive
// at any time after the state, so it is remembered whenever it comes.
type parent struct {
	*handshake.Conn
	placed   bool
	placeErr string
}

// expect receives until a message of type want, recording "placed".
func (p *parent) expect(want string) (handshake.Msg, error) {
	for {
		m, err := p.Recv()
		if err != nil {
			return m, fmt.Errorf("init: waiting for %q from the parent: %w", want, err)
		}
		if m.Type == handshake.Placed {
			p.placed, p.placeErr = true, m.Message
		}
		if m.Type == want {
			return m, nil
		}
		if m.Type != handshake.Placed {
			return m, fmt.Errorf("init: expected %q from the parent, got %q", want, m.Type)
		}
	}
}

// waitPlaced returns once init is in its cgroup.
func (p *parent) waitPlaced() error {
	if !p.placed {
		if _, err := p.expect(handshake.Placed); err != nil {
			return err
		}
	}
	if p.placeErr != "" {
		return errors.New(p.placeErr)
	}
	return nil
}
