// Package container is the container state machine seen from the host:
// creating, created, running, paused and stopped, the state directory under
// --root, its lock, and the parent side of the init handshake.
package container

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"xrt/quickjson"
)

// State is what xrt keeps in <root>/<id>/state.json. The status is not
// stored: it is derived from the init process and exec.fifo when asked.
// The full spec lives beside it in config.json, read only by the commands
// that need it: decoding a whole spec costs a millisecond in a new process.
type State struct {
	ID          string            `json:"id"`
	OCIVersion  string            `json:"ociVersion"`
	Pid         int               `json:"pid"`
	PidStart    uint64            `json:"pidStart"` // guards against a recycled pid
	Bundle      string            `json:"bundle"`
	Rootfs      string            `json:"rootfs"`
	Created     time.Time         `json:"created"`
	Owner       string            `json:"owner"`
	Annotations map[string]string `json:"annotations,omitempty"`
	// Cgroup is the container's cgroup path (cgroups.PathFor; under the
	// systemd driver, the unit's cgroup as systemd reports it).
	Cgroup string `json:"cgroup,omitempty"`
	// CgroupDriver is "systemd" or "systemdUser" when the cgroup is a
	// systemd unit (--systemd-cgroup), named CgroupUnit; "" for cgroupfs.
	CgroupDriver string `json:"cgroupDriver,omitempty"`
	CgroupUnit   string `json:"cgroupUnit,omitempty"`
	// HostMounts: the container has no mount namespace, so its mounts
	// are in ours, on a bind of Rootfs over itself that delete detaches.
	HostMounts bool `json:"hostMounts,omitempty"`
	// Only the hooks xrt runs after create: the decoder stays small.
	Poststart []specs.Hook `json:"poststart,omitempty"`
	Poststop  []specs.Hook `json:"poststop,omitempty"`
	// Fastdel is the fastdel record (fastdel.go), for the C fast path of
	// delete. Last: a reader looks for its key.
	Fastdel []string `json:"fastdel,omitempty"`
}

// Container is a loaded state plus where it lives.
type Container struct {
	State
	dir  string
	lock *lock
	// Console is the pty master when xrt itself runs the terminal
	// (foreground run with process.terminal and no --console-socket).
	Console *os.File
	// Started says that init went on to the process without waiting for
	// start (CreateOpts.Run).
	Started bool
}

// The files of a state directory (faststart/defaults.h has them too).
const (
	StateFile  = "state.json"
	ConfigFile = "config.json"
	FifoFile   = "exec.fifo"

	stateFile  = StateFile
	configFile = ConfigFile
	fifoName   = FifoFile
)

// Dir is the state directory.
func (c *Container) Dir() string { return c.dir }

func (c *Container) fifoPath() string { return filepath.Join(c.dir, fifoName) }

// save writes state.json atomically: a temp file renamed over the old one.
func (c *Container) save() error { return c.writeJSON(stateFile, &c.State) }

func (c *Container) writeJSON(name string, v any) error {
	b, err := quickjson.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", name, err)
	}
	tmp := filepath.Join(c.dir, "."+name)
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := os.Rename(tmp, filepath.Join(c.dir, name)); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

// StateDir returns container id's state directory under root, absolute:
// image mode records it in the store as the owner of the container's root.
func StateDir(root, id string) string {
	if abs, err := filepath.Abs(root); err == nil {
		root = abs
	}
	return filepath.Join(root, id)
}

// Spec reads the container's full spec, as validated at create.
func (c *Container) Spec() (*specs.Spec, error) {
	b, err := os.ReadFile(filepath.Join(c.dir, configFile))
	if err != nil {
		return nil, fmt.Errorf("read the config of %q: %w", c.ID, err)
	}
	var s specs.Spec
	if err := quickjson.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("config of %q is corrupt: %w", c.ID, err)
	}
	return &s, nil
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
	if err := quickjson.Unmarshal(b, &c.State); err != nil {
		return nil, fmt.Errorf("state of %q is corrupt (delete it with `xrt delete -f %s`): %w", id, id, err)
	}
	return c, nil
}
