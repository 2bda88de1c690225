package cgroups

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	sddbus "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"
)

// ErrNoSystemd is wrapped by the errors of the systemd driver when no
// systemd manager can be reached.
var ErrNoSystemd = errors.New("systemd is not running")

// ErrUnitInUse is wrapped by the error of a create whose unit another
// container runs (a shared cgroupsPath): that unit is not ours to stop.
var ErrUnitInUse = errors.New("the unit belongs to another container")

type unitInUseError struct{ error }

func (e unitInUseError) Unwrap() error      { return e.error }
func (unitInUseError) Is(target error) bool { return target == ErrUnitInUse }

// systemdBooted reports whether systemd is the init system (sd_booted's
// test: systemd makes /run/systemd/system at boot).
func systemdBooted() bool {
	fi, err := os.Lstat("/run/systemd/system")
	return err == nil && fi.IsDir()
}

// dialSystemd connects to the system manager (root) or to the calling
// user's manager: first its private socket, which needs no D-Bus daemon
// and skips the bus's Hello, then the system or session bus.
func dialSystemd(ctx context.Context, user bool) (*sddbus.Conn, error) {
	if !systemdBooted() {
		return nil, fmt.Errorf("the systemd cgroup driver needs systemd as the init system (/run/systemd/system is missing): drop --systemd-cgroup to use cgroupfs: %w", ErrNoSystemd)
	}
	private := "/run/systemd/private"
	if user {
		dir := os.Getenv("XDG_RUNTIME_DIR")
		if dir == "" {
			dir = "/run/user/" + strconv.Itoa(os.Getuid())
		}
		private = dir + "/systemd/private"
	}
	conn, perr := sddbus.NewConnection(func() (*dbus.Conn, error) { return dialPrivate(ctx, private) })
	if perr == nil {
		return conn, nil
	}
	// Never dbus-launch a session bus (godbus's autolaunch): a user
	// without one has no manager to reach.
	bus := dbus.SystemBusPrivate
	if user {
		bus = dbus.SessionBusPrivateNoAutoStartup
	}
	conn, err := sddbus.NewConnection(func() (*dbus.Conn, error) { return dialBus(ctx, bus) })
	if err != nil {
		which := "the system manager (as root)"
		if user {
			which = "this user's manager (systemd --user; is user@" + strconv.Itoa(os.Getuid()) + ".service running, XDG_RUNTIME_DIR set?)"
		}
		return nil, fmt.Errorf("connect to %s over D-Bus: %s: %v; bus: %w (%w)", which, private, perr, err, ErrNoSystemd)
	}
	return conn, nil
}

// dialPrivate connects to a manager's own socket (no bus: no Hello).
func dialPrivate(ctx context.Context, path string) (*dbus.Conn, error) {
	c, err := dbus.Dial("unix:path="+path, dbus.WithContext(ctx))
	if err != nil {
		return nil, err
	}
	if err := c.Auth([]dbus.Auth{dbus.AuthExternal(strconv.Itoa(os.Getuid()))}); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// dialBus connects to a bus and says Hello. EXTERNAL auth with the uid
// only: no user name lookup.
func dialBus(ctx context.Context, bus func(...dbus.ConnOption) (*dbus.Conn, error)) (*dbus.Conn, error) {
	c, err := bus(dbus.WithContext(ctx))
	if err != nil {
		return nil, err
	}
	if err := c.Auth([]dbus.Auth{dbus.AuthExternal(strconv.Itoa(os.Getuid()))}); err != nil {
		c.Close()
		return nil, err
	}
	if err := c.Hello(); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// SystemdAvailable reports whether the systemd driver can work here: a
// cgroup v2 host whose system manager (user: the caller's manager)
// answers over D-Bus. `features` asks it.
func SystemdAvailable(user bool) error {
	if DetectMode() != Unified {
		return errors.New("the systemd cgroup driver needs a cgroup v2 host")
	}
	ctx, cancel := context.WithTimeout(context.Background(), dbusTimeout)
	defer cancel()
	c, err := dialSystemd(ctx, user)
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.GetManagerProperty("Version")
	return err
}

// dbusName is the name of a D-Bus error ("" for other errors).
func dbusName(err error) string {
	var e dbus.Error
	if errors.As(err, &e) {
		return e.Name
	}
	var pe *dbus.Error
	if errors.As(err, &pe) {
		return pe.Name
	}
	return ""
}

// systemdVersion is the manager's version number ("252" of
// "252.39-1~deb12u2"), 0 when it cannot be read.
func systemdVersion(c *sddbus.Conn) int {
	v, err := c.GetManagerProperty("Version")
	if err != nil {
		return 0
	}
	return parseSystemdVersion(v)
}

// parseSystemdVersion reads the leading number of a systemd version as
// D-Bus gives it, quoted ("\"252.39-1~deb12u2\"", "\"v256-rc1\""); 0 if none.
func parseSystemdVersion(v string) int {
	v = strings.TrimPrefix(strings.Trim(v, `"`), "v")
	end := 0
	for end < len(v) && v[end] >= '0' && v[end] <= '9' {
		end++
	}
	n, err := strconv.Atoi(v[:end])
	if err != nil {
		return 0
	}
	return n
}
