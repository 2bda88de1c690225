package cgroups

import (
	"fmt"
	"strconv"
	"strings"
)

// Block I/O: the v1 blkio controller and the v2 io controller.
//
// v1: blkio.weight (or blkio.bfq.weight when only BFQ provides weights),
// blkio.leaf_weight, blkio.weight_device, blkio.leaf_weight_device,
// blkio.throttle.{read,write}_{bps,iops}_device, one "MAJ:MIN VALUE" write
// per device.
// v2: io.bfq.weight (same scale as v1) when present, else io.weight with
// weight 1 + (w-10)*9999/990; io.max "MAJ:MIN rbps=.. wbps=.. riops=..
// wiops=.." per device (a rate of 0 writes "max": no limit).

const minBlkioWeight, maxBlkioWeight = 10, 1000

func validateBlockIO(b *BlockIO) error {
	check := func(what string, w *uint16) error {
		if w != nil && (*w < minBlkioWeight || *w > maxBlkioWeight) {
			return fmt.Errorf("blkio %s %d out of range %d..%d", what, *w, minBlkioWeight, maxBlkioWeight)
		}
		return nil
	}
	if err := check("weight", b.Weight); err != nil {
		return err
	}
	if err := check("leafWeight", b.LeafWeight); err != nil {
		return err
	}
	for _, d := range b.WeightDevice {
		if err := checkDevNum("blkio weightDevice", d.Major, d.Minor); err != nil {
			return err
		}
		if d.Weight == nil && d.LeafWeight == nil {
			return fmt.Errorf("blkio weightDevice %d:%d: needs weight or leafWeight", d.Major, d.Minor)
		}
		if err := check(fmt.Sprintf("weightDevice %d:%d weight", d.Major, d.Minor), d.Weight); err != nil {
			return err
		}
		if err := check(fmt.Sprintf("weightDevice %d:%d leafWeight", d.Major, d.Minor), d.LeafWeight); err != nil {
			return err
		}
	}
	for _, l := range throttleLists(b) {
		for _, d := range l.devs {
			if err := checkDevNum("blkio "+l.spec, d.Major, d.Minor); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkDevNum(what string, major, minor int64) error {
	if major < 0 || minor < 0 || major > 0xffffffff || minor > 0xffffffff {
		return fmt.Errorf("%s: device %d:%d: major and minor must be 0..4294967295", what, major, minor)
	}
	return nil
}

type throttleList struct {
	spec, v1File, v2Key string
	devs                []ThrottleDevice
}

func throttleLists(b *BlockIO) []throttleList {
	return []throttleList{
		{"throttleReadBpsDevice", "blkio.throttle.read_bps_device", "rbps", b.ThrottleReadBpsDevice},
		{"throttleWriteBpsDevice", "blkio.throttle.write_bps_device", "wbps", b.ThrottleWriteBpsDevice},
		{"throttleReadIOPSDevice", "blkio.throttle.read_iops_device", "riops", b.ThrottleReadIOPSDevice},
		{"throttleWriteIOPSDevice", "blkio.throttle.write_iops_device", "wiops", b.ThrottleWriteIOPSDevice},
	}
}

func devStr(major, minor int64) string { return i64(major) + ":" + i64(minor) }

// writeFirst writes value to the first of files that exists.
func writeFirst(dir string, files []string, value string) error {
	var err error
	for _, f := range files {
		if err = writeFile(dir, f, value); err == nil || !notExist(err) {
			return err
		}
	}
	return err
}

func setBlkioV1(dir string, b *BlockIO) error {
	if dir == "" {
		return notMounted("blkio limits", "blkio")
	}
	weightFiles := []string{"blkio.weight", "blkio.bfq.weight"}
	weightDevFiles := []string{"blkio.weight_device", "blkio.bfq.weight_device"}
	noSched := func(err error) error {
		if notExist(err) {
			return fmt.Errorf("%w (blkio weights need the CFQ or BFQ I/O scheduler)", err)
		}
		return err
	}
	if b.Weight != nil {
		if err := writeFirst(dir, weightFiles, u64(uint64(*b.Weight))); err != nil {
			return noSched(err)
		}
	}
	if b.LeafWeight != nil {
		if err := writeFile(dir, "blkio.leaf_weight", u64(uint64(*b.LeafWeight))); err != nil {
			return noSched(err)
		}
	}
	for _, d := range b.WeightDevice {
		if d.Weight != nil {
			if err := writeFirst(dir, weightDevFiles, devStr(d.Major, d.Minor)+" "+u64(uint64(*d.Weight))); err != nil {
				return noSched(err)
			}
		}
		if d.LeafWeight != nil {
			if err := writeFile(dir, "blkio.leaf_weight_device", devStr(d.Major, d.Minor)+" "+u64(uint64(*d.LeafWeight))); err != nil {
				return noSched(err)
			}
		}
	}
	for _, l := range throttleLists(b) {
		for _, d := range l.devs {
			if err := writeFile(dir, l.v1File, devStr(d.Major, d.Minor)+" "+u64(d.Rate)); err != nil {
				return err
			}
		}
	}
	return nil
}

// blkioToIOWeight maps a v1 blkio weight [10..1000] onto a v2 io.weight
// [1..10000].
func blkioToIOWeight(w uint16) uint64 {
	return 1 + (uint64(w)-minBlkioWeight)*9999/(maxBlkioWeight-minBlkioWeight)
}

func setIOV2(dir string, b *BlockIO) error {
	if b.LeafWeight != nil {
		warnf("blkio leafWeight %d ignored: cgroup v2 has no leaf weights", *b.LeafWeight)
	}
	if b.Weight != nil || len(b.WeightDevice) > 0 {
		bfq := exists(dir + "/io.bfq.weight")
		file, conv := "io.weight", blkioToIOWeight
		if bfq {
			file, conv = "io.bfq.weight", func(w uint16) uint64 { return uint64(w) }
		}
		if b.Weight != nil {
			val := "default " + u64(conv(*b.Weight))
			if bfq {
				val = u64(conv(*b.Weight))
			}
			if err := writeFile(dir, file, val); err != nil {
				return v2Hint(err, "io")
			}
		}
		for _, d := range b.WeightDevice {
			if d.LeafWeight != nil {
				warnf("blkio weightDevice %d:%d leafWeight ignored: cgroup v2 has no leaf weights", d.Major, d.Minor)
			}
			if d.Weight == nil {
				continue
			}
			if err := writeFile(dir, file, devStr(d.Major, d.Minor)+" "+u64(conv(*d.Weight))); err != nil {
				return v2Hint(err, "io")
			}
		}
	}
	// io.max: one line per device, with the keys of every list naming it.
	var order []string
	lines := map[string]string{}
	for _, l := range throttleLists(b) {
		for _, d := range l.devs {
			dev := devStr(d.Major, d.Minor)
			if _, ok := lines[dev]; !ok {
				order = append(order, dev)
				lines[dev] = dev
			}
			rate := "max"
			if d.Rate != 0 {
				rate = u64(d.Rate)
			}
			lines[dev] += " " + l.v2Key + "=" + rate
		}
	}
	for _, dev := range order {
		if err := writeFile(dir, "io.max", lines[dev]); err != nil {
			return v2Hint(err, "io")
		}
	}
	return nil
}

// parseBlkioV1 parses a v1 blkio statistics file: "MAJ:MIN OP VALUE" or
// "MAJ:MIN VALUE" lines; the "Total N" line is left out.
func parseBlkioV1(s string) []BlkioEntry {
	var out []BlkioEntry
	for line := range strings.Lines(s) {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		maj, mnr, ok := parseDev(f[0])
		if !ok {
			continue
		}
		e := BlkioEntry{Major: maj, Minor: mnr}
		val := f[1]
		if len(f) == 3 {
			e.Op, val = f[1], f[2]
		}
		n, err := strconv.ParseUint(val, 10, 64)
		if err != nil {
			continue
		}
		e.Value = n
		out = append(out, e)
	}
	return out
}

func parseDev(s string) (uint64, uint64, bool) {
	a, b, ok := strings.Cut(s, ":")
	if !ok {
		return 0, 0, false
	}
	maj, err1 := strconv.ParseUint(a, 10, 64)
	mnr, err2 := strconv.ParseUint(b, 10, 64)
	return maj, mnr, err1 == nil && err2 == nil
}

func statBlkioV1(dir string, st *BlkioStats) error {
	// The first of the CFQ, BFQ and throttle files that has entries.
	pick := func(name string) []BlkioEntry {
		var last []BlkioEntry
		for _, f := range []string{"blkio." + name, "blkio.bfq." + name, "blkio.throttle." + name} {
			s, err := readFile(dir, f)
			if err != nil {
				continue
			}
			if last = parseBlkioV1(s); len(last) > 0 {
				return last
			}
		}
		return last
	}
	st.IoServiceBytesRecursive = pick("io_service_bytes_recursive")
	st.IoServicedRecursive = pick("io_serviced_recursive")
	cfq := func(f string) []BlkioEntry {
		s, err := readFile(dir, f)
		if err != nil {
			return nil
		}
		return parseBlkioV1(s)
	}
	st.IoQueuedRecursive = cfq("blkio.io_queued_recursive")
	st.IoServiceTimeRecursive = cfq("blkio.io_service_time_recursive")
	st.IoWaitTimeRecursive = cfq("blkio.io_wait_time_recursive")
	st.IoMergedRecursive = cfq("blkio.io_merged_recursive")
	st.IoTimeRecursive = cfq("blkio.time_recursive")
	st.SectorsRecursive = cfq("blkio.sectors_recursive")
	return nil
}

// statIOV2 converts io.stat ("MAJ:MIN rbytes=.. wbytes=.. rios=.. wios=..")
// into the v1 shape: service bytes and serviced, Read and Write.
func statIOV2(dir string, st *BlkioStats) error {
	s, err := readFile(dir, "io.stat")
	if err != nil {
		if notExist(err) {
			return nil
		}
		return err
	}
	for line := range strings.Lines(s) {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		maj, mnr, ok := parseDev(f[0])
		if !ok {
			continue
		}
		for _, kv := range f[1:] {
			k, v, _ := strings.Cut(kv, "=")
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				continue
			}
			e := BlkioEntry{Major: maj, Minor: mnr, Value: n}
			switch k {
			case "rbytes":
				e.Op = "Read"
				st.IoServiceBytesRecursive = append(st.IoServiceBytesRecursive, e)
			case "wbytes":
				e.Op = "Write"
				st.IoServiceBytesRecursive = append(st.IoServiceBytesRecursive, e)
			case "rios":
				e.Op = "Read"
				st.IoServicedRecursive = append(st.IoServicedRecursive, e)
			case "wios":
				e.Op = "Write"
				st.IoServicedRecursive = append(st.IoServicedRecursive, e)
			}
		}
	}
	return nil
}
