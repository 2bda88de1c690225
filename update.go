package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v2"

	"xrt/container"
)

var updateCommand = &cli.Command{
	Name:      "update",
	Usage:     "change the resource limits of a running container",
	ArgsUsage: "<container-id>",
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "resources", Aliases: []string{"r"}, Usage: "linux.resources JSON file, or - for stdin"},
		&cli.Int64Flag{Name: "memory", Usage: "memory limit in bytes"},
		&cli.Int64Flag{Name: "memory-reservation", Usage: "memory soft limit in bytes"},
		&cli.Int64Flag{Name: "memory-swap", Usage: "memory+swap limit in bytes (-1: unlimited)"},
		&cli.Int64Flag{Name: "kernel-memory", Usage: "ignored (deprecated by the kernel)"},
		&cli.Int64Flag{Name: "kernel-memory-tcp", Usage: "ignored (deprecated by the kernel)"},
		&cli.Int64Flag{Name: "cpu-quota", Usage: "CFS quota in microseconds per period"},
		&cli.Uint64Flag{Name: "cpu-period", Usage: "CFS period in microseconds"},
		&cli.Uint64Flag{Name: "cpu-shares", Aliases: []string{"cpu-share"}, Usage: "relative CPU weight"},
		&cli.Uint64Flag{Name: "cpu-burst", Usage: "CFS burst in microseconds"},
		&cli.Int64Flag{Name: "cpu-idle", Usage: "1: the cgroup's tasks get SCHED_IDLE (cpu.idle); 0: they do not"},
		&cli.Uint64Flag{Name: "cpu-rt-period", Usage: "realtime period in microseconds"},
		&cli.Int64Flag{Name: "cpu-rt-runtime", Usage: "realtime runtime in microseconds"},
		&cli.StringFlag{Name: "cpuset-cpus", Usage: "CPUs to run on (0-3,5)"},
		&cli.StringFlag{Name: "cpuset-mems", Usage: "memory nodes to use"},
		&cli.Int64Flag{Name: "pids-limit", Usage: "maximum number of processes (-1: unlimited)"},
		&cli.UintFlag{Name: "blkio-weight", Usage: "block IO weight (10-1000)"},
	},
	Action: func(c *cli.Context) error {
		id, err := oneID(c)
		if err != nil {
			return err
		}
		r, err := updateResources(c)
		if err != nil {
			return err
		}
		ctr, err := container.Locked(c.String("root"), id)
		if err != nil {
			return err
		}
		defer ctr.Unlock()
		return ctr.Update(r)
	},
}

// updateResources reads --resources, then lets each flag given override it.
func updateResources(c *cli.Context) (*specs.LinuxResources, error) {
	r := &specs.LinuxResources{}
	if path := c.String("resources"); path != "" {
		var in io.Reader = os.Stdin
		if path != "-" {
			f, err := os.Open(path)
			if err != nil {
				return nil, fmt.Errorf("update: %w", err)
			}
			defer f.Close()
			in = f
		}
		if err := json.NewDecoder(in).Decode(r); err != nil {
			return nil, fmt.Errorf("update: parse --resources: %w", err)
		}
	}
	mem := func() *specs.LinuxMemory {
		if r.Memory == nil {
			r.Memory = &specs.LinuxMemory{}
		}
		return r.Memory
	}
	cpu := func() *specs.LinuxCPU {
		if r.CPU == nil {
			r.CPU = &specs.LinuxCPU{}
		}
		return r.CPU
	}
	set := c.IsSet
	if set("memory") {
		mem().Limit = ptr(c.Int64("memory"))
	}
	if set("memory-reservation") {
		mem().Reservation = ptr(c.Int64("memory-reservation"))
	}
	if set("memory-swap") {
		mem().Swap = ptr(c.Int64("memory-swap"))
	}
	if set("cpu-quota") {
		cpu().Quota = ptr(c.Int64("cpu-quota"))
	}
	if set("cpu-period") {
		cpu().Period = ptr(c.Uint64("cpu-period"))
	}
	if set("cpu-shares") {
		cpu().Shares = ptr(c.Uint64("cpu-shares"))
	}
	if set("cpu-burst") {
		cpu().Burst = ptr(c.Uint64("cpu-burst"))
	}
	if set("cpu-idle") {
		cpu().Idle = ptr(c.Int64("cpu-idle"))
	}
	if set("cpu-rt-period") {
		cpu().RealtimePeriod = ptr(c.Uint64("cpu-rt-period"))
	}
	if set("cpu-rt-runtime") {
		cpu().RealtimeRuntime = ptr(c.Int64("cpu-rt-runtime"))
	}
	if set("cpuset-cpus") {
		cpu().Cpus = c.String("cpuset-cpus")
	}
	if set("cpuset-mems") {
		cpu().Mems = c.String("cpuset-mems")
	}
	if set("pids-limit") {
		r.Pids = &specs.LinuxPids{Limit: ptr(c.Int64("pids-limit"))}
	}
	if set("blkio-weight") {
		r.BlockIO = &specs.LinuxBlockIO{Weight: ptr(uint16(c.Uint("blkio-weight")))}
	}
	return r, nil
}

func ptr[T any](v T) *T { return &v }
