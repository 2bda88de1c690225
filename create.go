package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"xrt/bundle"
	"xrt/container"
	"xrt/imagebundle"
	"xrt/logs"
)

var createFlags = []cli.Flag{
	&cli.StringFlag{Name: "bundle", Aliases: []string{"b"}, Value: ".", Usage: "bundle directory (holds config.json)"},
	&cli.StringFlag{Name: "pid-file", Usage: "write the init pid to this file"},
	&cli.StringFlag{Name: "console-socket", Usage: "unix socket that receives the pty master (process.terminal)"},
	&cli.StringFlag{Name: "pidfd-socket", Usage: "unix socket that receives a pidfd of the container's init"},
	&cli.BoolFlag{Name: "no-pivot", Usage: "use MS_MOVE and chroot instead of pivot_root"},
	&cli.BoolFlag{Name: "no-new-keyring", Usage: "keep the caller's session keyring"},
	&cli.IntFlag{Name: "preserve-fds", Usage: "pass this many extra fds (from 3) to the container"},
	&cli.StringFlag{Name: "image", Usage: "run this OCI image (layout dir, oci-archive or docker save tar: PATH[:TAG] or PATH@DIGEST); args after the id replace its Cmd"},
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
	ctr, err := createFrom(c)
	if err != nil {
		// runc's first words ("runc create failed: ..."), which people
		// and scripts look for, with the program's own name.
		return nil, fmt.Errorf("%s %s failed: %w", progName(), c.Command.Name, err)
	}
	return ctr, nil
}

func createFrom(c *cli.Context) (*container.Container, error) {
	ref := c.String("image")
	var id string
	var args []string
	if ref == "" {
		var err error
		if id, err = oneID(c); err != nil {
			return nil, err
		}
	} else if id, args = c.Args().First(), c.Args().Tail(); id == "" {
		return nil, fmt.Errorf("%s: expected a container id", c.Command.Name)
	}
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	b, makeRoot, err := loadBundle(c, ref, id, args)
	if err != nil {
		return nil, err
	}
	// Socket activation: the fds systemd gave xrt go first, before --preserve-fds.
	listen := container.ListenFDs(b.Spec.Process)
	ctr, err := container.Create(&container.CreateOpts{
		Root:         c.String("root"),
		ID:           id,
		Bundle:       b,
		MakeRoot:     makeRoot,
		PidFile:      c.String("pid-file"),
		PidfdSocket:  c.String("pidfd-socket"),
		NoPivot:      c.Bool("no-pivot"),
		NoNewKeyring: c.Bool("no-new-keyring"),
		PreserveFDs:  listen + c.Int("preserve-fds"),
		NotifySocket: os.Getenv("NOTIFY_SOCKET"),
		// Only a foreground run keeps the terminal itself.
		ConsoleSocket: c.String("console-socket"),
		Foreground:    c.Command.Name == "run" && !c.Bool("detach"),
		SystemdCgroup: c.Bool("systemd-cgroup"),
		Run:           c.Command.Name == "run",
	})
	// A failed Create removed the image root it made (destroy, by the
	// store annotation and owner); makeRoot runs only inside it.
	return ctr, err
}

// loadBundle reads the bundle's config.json, or in image mode pulls the
// image and builds the bundle from it, with the function that makes its
// root filesystem.
func loadBundle(c *cli.Context, ref, id string, args []string) (*bundle.Bundle, func() error, error) {
	if ref == "" {
		b, err := bundle.Load(c.String("bundle"))
		if err == nil {
			for _, w := range b.Warnings {
				logs.Warnf("%s", w)
			}
		}
		return b, nil, err
	}
	// Checked first: the store must not touch a live container's root.
	if err := container.ValidateID(id); err != nil {
		return nil, nil, err
	}
	if container.Exists(c.String("root"), id) {
		return nil, nil, container.AlreadyExists(id)
	}
	return imagebundle.Prepare(&imagebundle.Options{
		Store:  c.String("store"),
		Ref:    ref,
		ID:     id,
		Bundle: c.String("bundle"),
		Args:   args,
		Owner:  container.StateDir(c.String("root"), id),
	})
}
