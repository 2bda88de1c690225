package main

import (
	"os"

	"github.com/urfave/cli/v2"

	"xrt/bundle"
	"xrt/container"
)

var createFlags = []cli.Flag{
	&cli.StringFlag{Name: "bundle", Aliases: []string{"b"}, Value: ".", Usage: "bundle directory (holds config.json)"},
	&cli.StringFlag{Name: "pid-file", Usage: "write the init pid to this file"},
	&cli.StringFlag{Name: "console-socket", Usage: "unix socket that receives the pty master (process.terminal)"},
	&cli.BoolFlag{Name: "no-pivot", Usage: "use MS_MOVE and chroot instead of pivot_root"},
	&cli.BoolFlag{Name: "no-new-keyring", Usage: "keep the caller's session keyring"},
	&cli.IntFlag{Name: "preserve-fds", Usage: "pass this many extra fds (from 3) to the container"},
}

var createCommand = &cli.Command{
	Name:      "create",
	Usage:     "create a container: set it up and wait for start",
	ArgsUsage: "<container-id>",
	Flags:     createFlags,
	Action: func(c *cli.Context) error {
		ctr, err := createFromFlags(c)
		if err != nil {
			return err
		}
		ctr.Unlock()
		return nil
	},
}

func createFromFlags(c *cli.Context) (*container.Container, error) {
	id, err := oneID(c)
	if err != nil {
		return nil, err
	}
	b, err := bundle.Load(c.String("bundle"))
	if err != nil {
		return nil, err
	}
	// Socket activation: the fds systemd gave xrt go first, before --preserve-fds.
	listen := container.ListenFDs(b.Spec.Process)
	return container.Create(&container.CreateOpts{
		Root:         c.String("root"),
		ID:           id,
		Bundle:       b,
		PidFile:      c.String("pid-file"),
		NoPivot:      c.Bool("no-pivot"),
		NoNewKeyring: c.Bool("no-new-keyring"),
		PreserveFDs:  listen + c.Int("preserve-fds"),
		NotifySocket: os.Getenv("NOTIFY_SOCKET"),
		// Only a foreground run keeps the terminal itself.
		ConsoleSocket: c.String("console-socket"),
		Foreground:    c.Command.Name == "run" && !c.Bool("detach"),
	})
}
