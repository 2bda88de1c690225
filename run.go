package main

import (
	"os"

	"github.com/urfave/cli/v2"
	"xrt/container"
	"xrt/logs"
)

var runCommand = &cli.Command{
	Name:      "run",
	Usage:     "create and start a container; wait for it unless --detach",
	ArgsUsage: "<container-id>",
	Flags: append([]cli.Flag{
		&cli.BoolFlag{Name: "detach", Aliases: []string{"d"}, Usage: "return once the container runs"},
		&cli.BoolFlag{Name: "keep", Usage: "do not delete the container after it exits"},
	}, createFlags...),
	Action: func(c *cli.Context) error {
		// Catch signals before the container exists, to forward them all.
		sigs := make(chan os.Signal, 64)
		if !c.Bool("detach") {
			catchSignals(sigs)
		}
		ctr, err := createFromFlags(c)
		if err != nil {
			return err
		}
		var n *container.Notifier
		if !ctr.Started {
			if n, err = ctr.Start(os.Getenv("NOTIFY_SOCKET")); err != nil {
				ctr.Delete(true)
			}
		}
		// Other commands (kill, exec, pause) may act on it while it runs.
		ctr.Unlock()
		if err != nil {
			return err
		}
		if n != nil {
			if c.Bool("detach") {
				return n.Forward()
			}
			go func() {
				if err := n.Forward(); err != nil {
					logs.Warnf("%v", err)
				}
			}()
		}
		if c.Bool("detach") {
			return nil
		}
		if ctr.Console != nil {
			defer attachTerminal(ctr.Console)()
		}
		// Signals stay caught until xrt exits: one that comes during the
		// delete is dropped, so the delete completes.
		status := container.WaitForwarding(ctr.Pid, sigs)
		if !c.Bool("keep") {
			if err := deleteAfterRun(c.String("root"), ctr.ID); err != nil {
				logs.Warnf("delete %s: %v", ctr.ID, err)
			}
		}
		return exitCode(status)
	},
}

func deleteAfterRun(root, id string) error {
	ctr, err := container.Locked(root, id)
	if err != nil {
		return nil // someone deleted it already
	}
	defer ctr.Unlock()
	return ctr.Delete(true)
}
