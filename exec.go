package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v2"

	"xrt/container"
)

var execCommand = &cli.Command{
	Name:      "exec",
	Usage:     "run a new process inside a running container",
	ArgsUsage: "<container-id> [command args...]",
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "process", Aliases: []string{"p"}, Usage: "process.json with the whole process (args and flags below are then ignored)"},
		&cli.BoolFlag{Name: "detach", Aliases: []string{"d"}, Usage: "return once the process runs"},
		&cli.StringFlag{Name: "pid-file", Usage: "write the process pid to this file"},
		&cli.BoolFlag{Name: "tty", Aliases: []string{"t"}, Usage: "allocate a pseudo-terminal"},
		&cli.StringFlag{Name: "console-socket", Usage: "unix socket that receives the pty master"},
		&cli.StringFlag{Name: "pidfd-socket", Usage: "unix socket that receives a pidfd of the process"},
		&cli.StringFlag{Name: "cwd", Usage: "working directory in the container"},
		&cli.StringSliceFlag{Name: "env", Aliases: []string{"e"}, Usage: "set an environment variable (KEY=VALUE)"},
		&cli.StringFlag{Name: "user", Aliases: []string{"u"}, Usage: "uid[:gid]"},
		&cli.StringSliceFlag{Name: "additional-gids", Aliases: []string{"g"}, Usage: "additional gids"},
		&cli.StringSliceFlag{Name: "cap", Aliases: []string{"c"}, Usage: "add a capability (CAP_NAME)"},
		&cli.BoolFlag{Name: "no-new-privs", Usage: "set no_new_privs"},
		&cli.IntFlag{Name: "preserve-fds", Usage: "pass this many extra fds (from 3) to the process"},
		&cli.BoolFlag{Name: "ignore-paused", Usage: "exec even into a paused container"},
		&cli.StringFlag{Name: "process-label", Usage: "SELinux label of the process"},
		&cli.StringFlag{Name: "apparmor", Usage: "AppArmor profile of the process"},
		&cli.StringSliceFlag{Name: "cgroup", Usage: "run in this existing sub-cgroup of the container: PATH, or CONTROLLER[,CONTROLLER]:PATH (repeatable; v1)"},
	},
	// runc's exec exits 255 when the process could not be started.
	Action: func(c *cli.Context) error {
		err := execAction(c)
		if _, ok := err.(exitCode); err != nil && !ok {
			return failure{255, err}
		}
		return err
	},
}

func execAction(c *cli.Context) error {
	if c.NArg() < 1 {
		return fmt.Errorf("exec: expected a container id")
	}
	ctr, err := container.Locked(c.String("root"), c.Args().First())
	if err != nil {
		return err
	}
	spec, err := ctr.Spec()
	// The lock only guards reading the container: an exec into a paused
	// container (--ignore-paused) waits frozen, and resume must get in.
	ctr.Unlock()
	if err != nil {
		return err
	}
	p, err := execProcess(c, spec.Process)
	if err != nil {
		return err
	}
	sigs := make(chan os.Signal, 64)
	if !c.Bool("detach") {
		catchSignals(sigs)
	}
	pid, master, err := ctr.Exec(&container.ExecOpts{
		Spec:          spec,
		Process:       p,
		PidFile:       c.String("pid-file"),
		PidfdSocket:   c.String("pidfd-socket"),
		PreserveFDs:   c.Int("preserve-fds"),
		IgnorePaused:  c.Bool("ignore-paused"),
		Cgroups:       c.StringSlice("cgroup"),
		ConsoleSocket: c.String("console-socket"),
		Foreground:    !c.Bool("detach"),
	})
	if err != nil || c.Bool("detach") {
		return err
	}
	if master != nil {
		defer attachTerminal(master)()
	}
	return exitCode(container.WaitForwarding(pid, sigs))
}

// execProcess builds the process to exec: --process as given, or the
// container's own process with the args and flags of the command line.
func execProcess(c *cli.Context, base *specs.Process) (*specs.Process, error) {
	if path := c.String("process"); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("exec: read --process: %w", err)
		}
		var p specs.Process
		if err := json.Unmarshal(b, &p); err != nil {
			return nil, fmt.Errorf("exec: parse --process %s: %w", path, err)
		}
		return &p, nil
	}
	p := *base
	p.Args = c.Args().Tail()
	p.Terminal = c.Bool("tty")
	p.Env = container.SetEnv(base.Env, c.StringSlice("env")...)
	if cwd := c.String("cwd"); cwd != "" {
		p.Cwd = cwd
	}
	if u := c.String("user"); u != "" {
		uid, gid, hasGid := strings.Cut(u, ":")
		n, err := strconv.ParseUint(uid, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("exec: --user %q: want uid[:gid] as numbers", u)
		}
		p.User.UID = uint32(n)
		if hasGid {
			if n, err = strconv.ParseUint(gid, 10, 32); err != nil {
				return nil, fmt.Errorf("exec: --user %q: want uid[:gid] as numbers", u)
			}
			p.User.GID = uint32(n)
		}
	}
	for _, g := range c.StringSlice("additional-gids") {
		n, err := strconv.ParseUint(g, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("exec: --additional-gids %q: want a number", g)
		}
		p.User.AdditionalGids = append(p.User.AdditionalGids, uint32(n))
	}
	if caps := c.StringSlice("cap"); len(caps) > 0 {
		var pc specs.LinuxCapabilities
		if base.Capabilities != nil {
			pc = *base.Capabilities
		}
		pc.Bounding = append(pc.Bounding[:len(pc.Bounding):len(pc.Bounding)], caps...)
		pc.Effective = append(pc.Effective[:len(pc.Effective):len(pc.Effective)], caps...)
		pc.Permitted = append(pc.Permitted[:len(pc.Permitted):len(pc.Permitted)], caps...)
		// CVE-2022-29162: --cap never fills the inheritable set. Ambient
		// needs inheritable, so it follows only a config that has one.
		if pc.Inheritable != nil {
			pc.Ambient = append(pc.Ambient[:len(pc.Ambient):len(pc.Ambient)], caps...)
		}
		p.Capabilities = &pc
	}
	if c.Bool("no-new-privs") {
		p.NoNewPrivileges = true
	}
	if l := c.String("process-label"); l != "" {
		p.SelinuxLabel = l
	}
	if a := c.String("apparmor"); a != "" {
		p.ApparmorProfile = a
	}
	return &p, nil
}
