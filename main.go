// xrt is a low-level OCI container runtime with runc's command line.
//
// GOMAXPROCS follows the host, not the cgroup: xrt processes are short-lived
// and the runtime then need not keep watching the cgroup's CPU limit.
//
//go:debug containermaxprocs=0
//go:debug updatemaxprocs=0
package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"xrt/cgroups"
	"xrt/container"
	"xrt/containerinit"
	_ "xrt/cruntime"  // glibc's settings, before any thread (one malloc arena)
	_ "xrt/faststart" // the C fast path of `xrt start`
	"xrt/image"
	"xrt/imagebundle"
	"xrt/logs"
	_ "xrt/nsenter"    // the C constructor that enters namespaces for `xrt init`
	_ "xrt/timerslack" // a coarse timer slack for the Go runtime's sysmon thread
)

// Set by the Makefile.
var (
	version = "0.1.0-dev"
	commit  = "unknown"
)

func main() {
	// `xrt init` is the container's first process: skip the command line
	// machinery entirely, every microsecond here is container start time.
	if len(os.Args) > 1 && os.Args[1] == "init" {
		if err := containerinit.Run(); err != nil {
			os.Exit(1)
		}
		return
	}
	if len(os.Args) > 1 && os.Args[1] == container.UsernsHoldArg {
		container.HoldUserns()
		return
	}
	container.RegisterRootCleanup(imagebundle.CleanupRoot, imagebundle.MadeRoot)
	app := newApp()
	if err := app.Run(flagsFirst(app, os.Args)); err != nil {
		if code, ok := err.(exitCode); ok {
			os.Exit(int(code))
		}
		logs.Errorf("%v", err)
		if logs.Enabled() {
			fmt.Fprintln(os.Stderr, "xrt:", err)
		}
		var f failure
		if errors.As(err, &f) {
			os.Exit(f.code)
		}
		os.Exit(1)
	}
}

// The command line's defaults (faststart/defaults.h has them too).
const (
	defaultRoot     = "/run/xrt"
	rootlessRootDir = "xrt" // under $XDG_RUNTIME_DIR
	storeEnv        = "XRT_STORE"
)

// rootGiven says that --root was on the command line, not the default.
var rootGiven bool

// exitCode ends xrt with a status and no message: `run` returns the
// container's.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// failure is an error that ends xrt with a status other than 1: exec's
// own failures exit 255, as runc's do.
type failure struct {
	code int
	err  error
}

func (f failure) Error() string { return f.err.Error() }
func (f failure) Unwrap() error { return f.err }

func newApp() *cli.App {
	cli.VersionPrinter = func(c *cli.Context) {
		fmt.Printf("xrt version %s\ncommit: %s\nspec: %s\n", version, commit, specVersion)
	}
	return &cli.App{
		// Named as called, as a drop-in is (engines install it as runc).
		Name:                   progName(),
		Usage:                  "run OCI containers (a runc-compatible runtime)",
		Version:                version,
		UseShortOptionHandling: true,
		// -e NO_PROXY=a,b is one variable, as with runc.
		DisableSliceFlagSeparator: true,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "root", Value: defaultRoot, Usage: "directory for container state (rootless: $XDG_RUNTIME_DIR/xrt)"},
			&cli.StringFlag{Name: "log", Usage: "log file (default: stderr)"},
			&cli.StringFlag{Name: "log-format", Value: "text", Usage: "log format: text or json"},
			&cli.BoolFlag{Name: "debug", Usage: "log debug messages"},
			&cli.BoolFlag{Name: "systemd-cgroup", Usage: "make the cgroup a transient systemd unit (cgroupsPath \"slice:prefix:name\"; the user's manager when not root)"},
			&cli.StringFlag{Name: "rootless", Value: "auto", Usage: "accepted for runc compatibility"},
			&cli.StringFlag{Name: "store", Value: image.DefaultStoreDir, EnvVars: []string{storeEnv}, Usage: "image layer store (image mode)"},
		},
		Before: func(c *cli.Context) error {
			rootGiven = c.IsSet("root")
			// Rootless: the state goes where this user may write, as runc's.
			if !rootGiven && os.Geteuid() != 0 {
				if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
					c.Set("root", filepath.Join(d, rootlessRootDir))
				}
			}
			cgroups.Warnf = logs.Warnf
			return logs.Setup(c.String("log"), c.String("log-format"), c.Bool("debug"))
		},
		Commands: []*cli.Command{
			createCommand, startCommand, runCommand, stateCommand, killCommand,
			deleteCommand, listCommand, specCommand, execCommand,
			pauseCommand, resumeCommand, psCommand, eventsCommand, updateCommand,
			featuresCommand, imageCommand, checkpointCommand, restoreCommand,
		},
	}
}

func progName() string {
	if len(os.Args) > 0 && os.Args[0] != "" {
		return filepath.Base(os.Args[0])
	}
	return "xrt"
}

// oneID returns the single container id argument.
func oneID(c *cli.Context) (string, error) {
	if c.NArg() != 1 {
		return "", fmt.Errorf("%s: expected exactly one container id, got %d arguments", c.Command.Name, c.NArg())
	}
	return c.Args().First(), nil
}
