package main

import (
	"os"

	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"xrt/bundle"
	"xrt/checkpoint"
	"xrt/container"
)

var restoreCommand = &cli.Command{
	Name:        "restore",
	Usage:       "restore a container from a previous checkpoint",
	ArgsUsage:   "<container-id>",
	Description: "Restores the saved state of the container instance that was previously saved\nusing the xrt (or runc) checkpoint command.",
	Flags: append([]cli.Flag{
		&cli.StringFlag{Name: "console-socket", Usage: "path to an AF_UNIX socket which will receive a file descriptor referencing the master end of the console's pseudoterminal"},
		&cli.StringFlag{Name: "bundle", Aliases: []string{"b"}, Usage: "path to the root of the bundle directory (default: the current directory)"},
		&cli.BoolFlag{Name: "detach", Aliases: []string{"d"}, Usage: "detach from the container's process"},
		&cli.StringFlag{Name: "pid-file", Usage: "specify the file to write the process id to"},
		&cli.BoolFlag{Name: "no-subreaper", Usage: "disable the use of the subreaper used to reap reparented processes"},
		&cli.BoolFlag{Name: "no-pivot", Usage: "accepted for runc compatibility (CRIU restores the root itself)"},
		&cli.StringFlag{Name: "lsm-profile", Usage: "Specify an LSM profile to be used during restore in the form of TYPE:NAME."},
		&cli.StringFlag{Name: "image", Usage: "restore a checkpoint of an image-mode container (xrt create --image): the image it ran, as for create; its root's changes come from the checkpoint"},
		&cli.StringFlag{Name: "lsm-mount-context", Usage: "Specify an LSM mount context to be used during restore."},
	}, criuFlags...),
	Action: func(c *cli.Context) error {
		id, err := oneID(c)
		if err != nil {
			return err
		}
		path := c.String("bundle")
		if path == "" {
			path = "."
		}
		var b *bundle.Bundle
		if c.String("image") == "" {
			if err := checkpoint.CheckBundleMode(criuOptions(c)); err != nil {
				return err
			}
			var err error
			if b, err = bundle.Load(path); err != nil {
				return err
			}
		}
		foreground := !c.Bool("detach")
		sigs := make(chan os.Signal, 64)
		if foreground {
			catchSignals(sigs)
			if !c.Bool("no-subreaper") {
				unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
			}
		}
		ctr, master, err := checkpoint.Restore(&checkpoint.RestoreRequest{
			Options:       *criuOptions(c),
			Root:          c.String("root"),
			ID:            id,
			Bundle:        b,
			ImageRef:      c.String("image"),
			Store:         c.String("store"),
			BundleDir:     path,
			PidFile:       c.String("pid-file"),
			ConsoleSocket: c.String("console-socket"),
			Foreground:    foreground,
		})
		if err != nil {
			return err
		}
		ctr.Unlock()
		if !foreground {
			return nil
		}
		if master != nil {
			defer attachTerminal(master)()
		}
		status := container.WaitForwarding(ctr.Pid, sigs)
		if err := deleteAfterRun(c.String("root"), ctr.ID); err != nil {
			return err
		}
		return exitCode(status)
	},
}
