// Package container is the container state machine seen from the host:
// creating, created, running, paused and stopped, the state directory under
// --root, its lock, and the parent side of the init handshake.
package container

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// State is what xrt keeps in <root>/<id>/state.json. The status is not
// stored: it is derived from the init process and exec.fifo when asked.
type State struct {
	ID       string      `json:"id"`
	Pid      int         `json:"pid"`
	PidStart uint64      `json:"pidStart"` // guards against a recycled pid
	Bundle   string      `json:"bundle"`
	Rootfs   string      `json:"rootfs"`
	Created  time.Time   `json:"created"`
	Owner    string      `json:"owner"`
	Spec     *specs.Spec `json:"spec"`
}

// Container is a loaded state plus where it lives.
type Container struct {
	State
	dir  string
	lock *lock
	// Console is the pty master when xrt itself runs the terminal
	// (foreground run with process.terminal and no --console-socket).
	Console *os.File
}

const (
	stateFile = "state.json"
	fifoName  = "exec.fifo"
)

// Dir is the state directory.
func (c *Container) Dir() string { return c.dir }

func (c *Container) fifoPath() string { return filepath.Join(c.dir, fifoName) }

// save writes state.json atomically: a temp file renamed over the old one.
func (c *Container) save() error {
	b, err := json.Marshal(&c.State)
	if err != nil {
		return fmt.Errorf("encode state: %w", err)
	}
	tmp := filepath.Join(c.dir, "."+stateFile)
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(c.dir, stateFile)); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	return nil
}

// ErrNotExist is returned (wrapped) for an id with no state directory.
var ErrNotExist = errors.New("container does not exist")

type notExistError string

func (id notExistError) Error() string        { return fmt.Sprintf("container %q does not exist", string(id)) }
func (id notExistError) Is(target error) bool { return target == ErrNotExist }

// Load reads the state of container id under root.
func Load(root, id string) (*Container, error) {
	if err := ValidateID(id); err != nil {
		return nil, err
	}
	c := &Container{dir: filepath.Join(root, id)}
	b, err := os.ReadFile(filepath.Join(c.dir, stateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, notExistError(id)
	}
	if err != nil {
		return nil, fmt.Errorf("read state of %q: %w", id, err)
	}
	if err := json.Unmarshal(b, &c.State); err != nil {
		return nil, fmt.Errorf("state of %q is corrupt (delete it with `xrt delete -f %s`): %w", id, id, err)
	}
	return c, nil
}
