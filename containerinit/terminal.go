package containerinit

import (
	"fmt"
	"os"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"xrt/console"
)

// EnvConsole is the fd of the connected socket that receives the pty master.
const EnvConsole = "_XRT_CONSOLE_FD"

// setupTerminal gives the process a new pty from the container's devpts as
// its controlling terminal and stdio, sends the master to the console
// socket, and (for a container's init) binds the pty over /dev/console.
// It runs after pivot_root and setsid.
func setupTerminal(p *specs.Process, devConsole bool) error {
	conn := os.NewFile(uintptr(envFD(EnvConsole)), "console-socket")
	defer conn.Close()
	master, slave, err := console.NewPty("/dev/pts/ptmx")
	if err != nil {
		return fmt.Errorf("terminal: %w", err)
	}
	defer slave.Close()
	// The terminal belongs to the process's user, as a login's does; its
	// group stays devpts' (gid=5, tty, in the usual config).
	if err := unix.Fchown(int(slave.Fd()), int(p.User.UID), -1); err != nil {
		master.Close()
		return fmt.Errorf("terminal: chown %s to uid %d: %w", slave.Name(), p.User.UID, err)
	}
	if p.ConsoleSize != nil {
		if err := console.SetSize(master, p.ConsoleSize.Height, p.ConsoleSize.Width); err != nil {
			master.Close()
			return fmt.Errorf("terminal: %w", err)
		}
	}
	if devConsole {
		if err := bindConsole(slave); err != nil {
			master.Close()
			return err
		}
	}
	err = console.SendFdOn(conn, slave.Name(), master)
	master.Close()
	if err != nil {
		return fmt.Errorf("terminal: %w", err)
	}
	return console.MakeControlling(slave)
}

// bindConsole bind-mounts the pty slave over /dev/console. The target is
// created or opened without following symlinks (CVE-2025-52565: a
// /dev/console symlink must not redirect the mount).
func bindConsole(slave *os.File) error {
	dev, err := unix.Open("/dev", unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("/dev/console: open /dev: %w", err)
	}
	defer unix.Close(dev)
	// Made by rootfs already (a read-only /dev allows no creation now);
	// created here only when this process prepared no root of its own.
	fd, err := unix.Openat(dev, "console", unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err == unix.ENOENT {
		fd, err = unix.Openat(dev, "console", unix.O_CREAT|unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	}
	if err == unix.ENXIO || err == unix.ENODEV {
		// A character device with no driver: it still is a mount target.
		fd, err = unix.Openat(dev, "console", unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	}
	if err != nil {
		return fmt.Errorf("/dev/console: refusing to use it (is it a symlink?): %w", err)
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fmt.Errorf("/dev/console: %w", err)
	}
	if t := st.Mode & unix.S_IFMT; t != unix.S_IFREG && t != unix.S_IFCHR {
		return fmt.Errorf("/dev/console is not a file or device: refusing to mount over it")
	}
	src := "/proc/self/fd/" + strconv.Itoa(int(slave.Fd()))
	dst := "/proc/self/fd/" + strconv.Itoa(fd)
	if err := unix.Mount(src, dst, "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind the pty over /dev/console: %w", err)
	}
	return nil
}
