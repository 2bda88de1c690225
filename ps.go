package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"xrt/container"
)

var psCommand = &cli.Command{
	Name:      "ps",
	Usage:     "list the processes of a container",
	ArgsUsage: "<container-id> [ps options]",
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "table", Usage: "table or json (a list of pids)"},
	},
	Action: func(c *cli.Context) error {
		if c.NArg() < 1 {
			return fmt.Errorf("ps: expected a container id")
		}
		ctr, err := container.Load(c.String("root"), c.Args().First())
		if err != nil {
			return err
		}
		pids, err := ctr.Processes()
		if err != nil {
			return err
		}
		switch c.String("format") {
		case "json":
			if pids == nil {
				pids = []int{}
			}
			return json.NewEncoder(os.Stdout).Encode(pids)
		case "table":
			return psTable(pids, c.Args().Tail())
		default:
			return fmt.Errorf("ps: unknown format %q: use table or json", c.String("format"))
		}
	},
}

// psTable runs the host's ps with the given options (default -ef) and keeps
// the header and the lines of the container's processes.
func psTable(pids []int, opts []string) error {
	if len(opts) == 0 {
		opts = []string{"-ef"}
	}
	out, err := exec.Command("ps", opts...).Output()
	if err != nil {
		return fmt.Errorf("ps %s: %w", strings.Join(opts, " "), err)
	}
	lines := bytes.Split(bytes.TrimRight(out, "\n"), []byte("\n"))
	col := -1
	for i, f := range strings.Fields(string(lines[0])) {
		if f == "PID" {
			col = i
		}
	}
	if col < 0 {
		return fmt.Errorf("ps %s: its output has no PID column", strings.Join(opts, " "))
	}
	in := make(map[string]bool, len(pids))
	for _, p := range pids {
		in[strconv.Itoa(p)] = true
	}
	os.Stdout.Write(append(lines[0], '\n'))
	for _, l := range lines[1:] {
		if f := strings.Fields(string(l)); col < len(f) && in[f[col]] {
			os.Stdout.Write(append(l, '\n'))
		}
	}
	return nil
}
