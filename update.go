package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

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
		&cli.StringFlag{Name: "memory", Usage: "memory limit in bytes, or with a unit (50M, 1g)"},
		&cli.StringFlag{Name: "memory-reservation", Usage: "memory soft limit in bytes"},
		&cli.StringFlag{Name: "memory-swap", Usage: "memory+swap limit in bytes (-1: unlimited)"},
		&cli.StringFlag{Name: "kernel-memory", Usage: "ignored (deprecated by the kernel)"},
		&cli.StringFlag{Name: "kernel-memory-tcp", Usage: "ignored (deprecated by the kernel)"},
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
	for _, m := range []struct {
		flag string
		dst  func() **int64
	}{
		{"memory", func() **int64 { return &mem().Limit }},
		{"memory-reservation", func() **int64 { return &mem().Reservation }},
		{"memory-swap", func() **int64 { return &mem().Swap }},
	} {
		if !set(m.flag) {
			continue
		}
		n, err := parseMemory(c.String(m.flag))
		if err != nil {
			return nil, fmt.Errorf("update: --%s: %w", m.flag, err)
		}
		*m.dst() = &n
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

// parseMemory reads a byte count as runc's update takes it: a number, -1
// (unlimited), or a number with a binary unit (b, k, m, g, t, p, with an
// optional "b" or "ib": 50M, 1gb, 512KiB).
func parseMemory(v string) (int64, error) {
	if v == "-1" {
		return -1, nil
	}
	s := strings.ToLower(strings.TrimSpace(v))
	s = strings.TrimSuffix(strings.TrimSuffix(s, "ib"), "b")
	mult := int64(1)
	if n := len(s); n > 0 {
		if i := strings.IndexByte("kmgtp", s[n-1]); i >= 0 {
			mult = 1 << (10 * (i + 1))
			s = s[:n-1]
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || f*float64(mult) > math.MaxInt64 {
		return 0, fmt.Errorf("invalid size %q: want bytes, or a number with k, m, g, t or p", v)
	}
	return int64(f * float64(mult)), nil
}
