package cgroups

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

func rule(allow bool, typ string, major, minor int64, access string) DeviceRule {
	return DeviceRule{Allow: allow, Type: typ, Major: major, Minor: minor, Access: access}
}

// specLike is the device list a runtime-spec config usually carries.
var specLike = []DeviceRule{
	rule(false, "", -1, -1, "rwm"),
	rule(true, "c", 1, 3, "rwm"),    // /dev/null
	rule(true, "c", 1, 5, "rwm"),    // /dev/zero
	rule(true, "c", 136, -1, "rwm"), // /dev/pts/*
	rule(true, "c", 10, 229, "rw"),  // /dev/fuse
	rule(true, "b", 8, 0, "r"),
	rule(false, "c", 1, 5, "w"), // then take write to /dev/zero back
}

func TestDevicesV1(t *testing.T) {
	v, root := fakeV1(t, map[string]string{"devices/devices.allow": "", "devices/devices.deny": ""})
	w := recordWrites(t, root)
	rules := append(specLike, rule(true, "a", 7, -1, "r"), rule(true, "a", -1, -1, ""))
	if err := v.Set(&Resources{Devices: rules}); err != nil {
		t.Fatal(err)
	}
	d := "devices/xrt/c1/devices."
	wantWrites(t, w,
		d+"deny=a",
		d+"deny=a",
		d+"allow=c 1:3 rwm",
		d+"allow=c 1:5 rwm",
		d+"allow=c 136:* rwm",
		d+"allow=c 10:229 rw",
		d+"allow=b 8:0 r",
		d+"deny=c 1:5 w",
		d+"allow=b 7:* r", // a narrowed "a" rule: v1 would read "a" as everything
		d+"allow=c 7:* r",
		d+"allow=a",
	)
	wantNotMounted(t, setDevicesV1("", specLike))
	// No rules: untouched.
	if err := v.Set(&Resources{}); err != nil {
		t.Fatal(err)
	}
	wantWrites(t, w)
}

func TestDevicesValidate(t *testing.T) {
	for _, tc := range []struct {
		r    DeviceRule
		want string
	}{
		{rule(true, "x", 1, 1, "r"), `device rule: type "x" must be a, b or c`},
		{rule(true, "cc", 1, 1, "r"), `device rule: type "cc" must be a, b or c`},
		{rule(true, "c", 1, 1, "rx"), `device rule: access "rx" must be a combination of r, w and m`},
		{rule(true, "c", -2, 1, "r"), "device rule: major -2 must be -1 (any) or 0..4294967295"},
		{rule(true, "c", 1, 1<<33, "r"), "device rule: minor 8589934592 must be"},
	} {
		wantErr(t, (&Resources{Devices: []DeviceRule{tc.r}}).Validate(), tc.want)
	}
}

// model is the meaning of a rule list: per access bit, the last matching
// rule wins; nothing matching denies.
func model(rules []DeviceRule, typ byte, major, minor uint32, access uint32) bool {
	for _, bit := range []uint32{accMknod, accRead, accWrite} {
		if access&bit == 0 {
			continue
		}
		ok := false
		for i := len(rules) - 1; i >= 0; i-- {
			r := &rules[i]
			if r.access()&bit == 0 {
				continue
			}
			if t := r.typ(); t != 'a' && t != typ {
				continue
			}
			if r.Major != -1 && uint32(r.Major) != major || r.Minor != -1 && uint32(r.Minor) != minor {
				continue
			}
			ok = r.Allow
			break
		}
		if !ok {
			return false
		}
	}
	return true
}

// run interprets the subset of eBPF deviceProgram emits, the way the
// kernel runs it on a bpf_cgroup_dev_ctx.
func run(t *testing.T, code []byte, typ byte, major, minor, access uint32) bool {
	t.Helper()
	devType := uint32(devChar)
	if typ == 'b' {
		devType = devBlock
	}
	ctx := []uint32{access<<16 | devType, major, minor}
	var reg [11]uint64
	for pc, steps := 0, 0; ; pc++ {
		if pc < 0 || 8*pc >= len(code) || steps > 100000 {
			t.Fatalf("pc %d out of the program", pc)
		}
		steps++
		p := code[8*pc:]
		op, dst, src := p[0], p[1]&0xf, p[1]>>4
		off := int16(binary.NativeEndian.Uint16(p[2:]))
		imm := int32(binary.NativeEndian.Uint32(p[4:]))
		switch op {
		case opLdxMemW:
			if src != regCtx || off%4 != 0 {
				t.Fatalf("load from r%d%+d", src, off)
			}
			reg[dst] = uint64(ctx[off/4])
		case opMov64Imm:
			reg[dst] = uint64(int64(imm))
		case opAnd64Imm:
			reg[dst] &= uint64(int64(imm))
		case opRsh64Imm:
			reg[dst] >>= uint(imm)
		case opJeq32Imm:
			if uint32(reg[dst]) == uint32(imm) {
				pc += int(off)
			}
		case opJne32Imm:
			if uint32(reg[dst]) != uint32(imm) {
				pc += int(off)
			}
		case opJa:
			pc += int(off)
		case opExit:
			return reg[0] == 1
		default:
			t.Fatalf("unexpected opcode %#x at %d", op, pc)
		}
	}
}

func checkProgram(t *testing.T, rules []DeviceRule, devs [][3]uint32) {
	t.Helper()
	code, err := deviceProgram(rules)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range devs {
		for _, typ := range []byte{'b', 'c'} {
			for access := uint32(1); access < 8; access++ {
				want := model(rules, typ, d[0], d[1], access)
				if got := run(t, code, typ, d[0], d[1], access); got != want {
					t.Fatalf("rules %+v: %c %d:%d access %s: program says %v, model %v", rules, typ, d[0], d[1], accessString(access), got, want)
				}
			}
		}
	}
}

func TestDeviceProgram(t *testing.T) {
	devs := [][3]uint32{{1, 3}, {1, 5}, {1, 7}, {136, 0}, {136, 9}, {10, 229}, {8, 0}, {8, 1}, {7, 2}, {4294967295, 1}}
	checkProgram(t, specLike, devs)
	checkProgram(t, nil, devs)                                          // no rules: deny all
	checkProgram(t, []DeviceRule{rule(true, "a", -1, -1, "rwm")}, devs) // allow all
	checkProgram(t, []DeviceRule{rule(true, "", -1, -1, ""), rule(false, "c", 1, 3, "w")}, devs)
	checkProgram(t, []DeviceRule{rule(true, "c", 1, 3, "r"), rule(true, "c", 1, 3, "w")}, devs) // rw from two rules
	checkProgram(t, []DeviceRule{rule(true, "c", 4294967295, -1, "rwm")}, devs)

	// Random lists against the model.
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func(vals ...int64) int64 { return vals[rng.IntN(len(vals))] }
	for range 300 {
		var rules []DeviceRule
		for range rng.IntN(8) {
			rules = append(rules, rule(rng.IntN(2) == 0, []string{"", "a", "b", "c"}[rng.IntN(4)],
				pick(-1, 1, 8), pick(-1, 3, 0), []string{"", "r", "w", "m", "rw", "rm", "wm", "rwm"}[rng.IntN(8)]))
		}
		checkProgram(t, rules, [][3]uint32{{1, 3}, {1, 0}, {8, 3}, {8, 0}, {2, 2}})
	}
}

// TestDeviceProgramLoads puts a few programs through the kernel's verifier
// (root only; nothing is attached).
func TestDeviceProgramLoads(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	for i, rules := range [][]DeviceRule{specLike, nil, {rule(true, "a", -1, -1, "rwm")}, {rule(false, "a", -1, -1, "rwm"), rule(true, "a", -1, -1, "r")}} {
		code, err := deviceProgram(rules)
		if err != nil {
			t.Fatal(err)
		}
		fd, err := loadDeviceProgram(code)
		if err != nil {
			t.Fatalf("program %d: %v", i, err)
		}
		unix.Close(fd)
	}
	// Random lists: the verifier refuses unreachable code, which the
	// shapes above may not exercise.
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 200 {
		var rules []DeviceRule
		for range rng.IntN(6) {
			rules = append(rules, rule(rng.IntN(2) == 0, []string{"", "a", "b", "c"}[rng.IntN(4)],
				[]int64{-1, 1}[rng.IntN(2)], []int64{-1, 3}[rng.IntN(2)], []string{"r", "w", "rw", "rwm"}[rng.IntN(4)]))
		}
		code, err := deviceProgram(rules)
		if err != nil {
			t.Fatal(err)
		}
		fd, err := loadDeviceProgram(code)
		if err != nil {
			t.Fatalf("random list %d %+v: %v", i, rules, err)
		}
		unix.Close(fd)
	}
	// Many rules.
	var many []DeviceRule
	for i := range 2000 {
		many = append(many, rule(i%3 != 0, "c", int64(i), int64(i%7), "rw"))
	}
	code, err := deviceProgram(many)
	if err != nil {
		t.Fatal(err)
	}
	fd, err := loadDeviceProgram(code)
	if err != nil {
		t.Fatalf("2000 rules (%d instructions): %v", len(code)/8, err)
	}
	unix.Close(fd)
}

func ExampleDeviceRule() {
	r := rule(true, "c", 10, 229, "rw")
	fmt.Println(r.v1Lines())
	// Output: [c 10:229 rw]
}
