package main

import (
	"github.com/urfave/cli/v2"

	"xrt/checkpoint"
	"xrt/container"
)

var checkpointCommand = &cli.Command{
	Name:        "checkpoint",
	Usage:       "checkpoint a running container",
	ArgsUsage:   "<container-id>",
	Description: "The checkpoint command saves the state of the container instance with CRIU.",
	Flags: append([]cli.Flag{
		&cli.StringFlag{Name: "parent-path", Usage: "path for previous criu image files in pre-dump"},
		&cli.BoolFlag{Name: "leave-running", Usage: "leave the process running after checkpointing"},
		&cli.BoolFlag{Name: "tcp-skip-in-flight", Usage: "skip in-flight tcp connections"},
		&cli.BoolFlag{Name: "link-remap", Usage: "allow one to link unlinked files back when possible"},
		&cli.IntFlag{Name: "status-fd", Value: -1, Usage: "criu writes \\0 to this FD once lazy-pages is ready"},
		&cli.StringFlag{Name: "page-server", Usage: "ADDRESS:PORT of the page server"},
		&cli.BoolFlag{Name: "pre-dump", Usage: "dump container's memory information only, leave the container running after this"},
	}, criuFlags...),
	Action: func(c *cli.Context) error {
		id, err := oneID(c)
		if err != nil {
			return err
		}
		ctr, err := container.Locked(c.String("root"), id)
		if err != nil {
			return err
		}
		defer ctr.Unlock()
		return checkpoint.Dump(ctr, criuOptions(c))
	},
}

// criuFlags are the flags checkpoint and restore share, as runc's.
var criuFlags = []cli.Flag{
	&cli.StringFlag{Name: "image-path", Usage: "path for saving criu image files (default: ./checkpoint)"},
	&cli.StringFlag{Name: "work-path", Usage: "path for saving work files and logs (default: the image path)"},
	&cli.BoolFlag{Name: "tcp-established", Usage: "allow open tcp connections"},
	&cli.BoolFlag{Name: "ext-unix-sk", Usage: "allow external unix sockets"},
	&cli.BoolFlag{Name: "shell-job", Usage: "allow shell jobs"},
	&cli.BoolFlag{Name: "lazy-pages", Usage: "use userfaultfd to lazily restore memory pages"},
	&cli.BoolFlag{Name: "file-locks", Usage: "handle file locks, for safety"},
	&cli.StringFlag{Name: "manage-cgroups-mode", Usage: "cgroups mode: soft|full|strict|ignore (default: soft)"},
	&cli.StringSliceFlag{Name: "empty-ns", Usage: "create a namespace, but don't restore its properties"},
	&cli.BoolFlag{Name: "auto-dedup", Usage: "enable auto deduplication of memory images"},
}

// criuOptions reads the flags of checkpoint or restore; those a command
// lacks read as their zero value.
func criuOptions(c *cli.Context) *checkpoint.Options {
	statusFd := -1
	if c.IsSet("status-fd") {
		statusFd = c.Int("status-fd")
	}
	return &checkpoint.Options{
		ImagePath:         c.String("image-path"),
		WorkPath:          c.String("work-path"),
		ParentPath:        c.String("parent-path"),
		LeaveRunning:      c.Bool("leave-running"),
		TCPEstablished:    c.Bool("tcp-established"),
		TCPSkipInFlight:   c.Bool("tcp-skip-in-flight"),
		LinkRemap:         c.Bool("link-remap"),
		ExtUnixSk:         c.Bool("ext-unix-sk"),
		ShellJob:          c.Bool("shell-job"),
		FileLocks:         c.Bool("file-locks"),
		PreDump:           c.Bool("pre-dump"),
		AutoDedup:         c.Bool("auto-dedup"),
		LazyPages:         c.Bool("lazy-pages"),
		StatusFd:          statusFd,
		PageServer:        c.String("page-server"),
		ManageCgroupsMode: c.String("manage-cgroups-mode"),
		EmptyNs:           c.StringSlice("empty-ns"),
		LsmProfile:        c.String("lsm-profile"),
		LsmMountContext:   c.String("lsm-mount-context"),
	}
}
