package cgroups

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The cgroup v2 device filter: a BPF_PROG_TYPE_CGROUP_DEVICE program,
// built here as raw eBPF instructions and loaded with bpf(2) directly.
//
// The kernel runs it on every device open and mknod with a context of
// three u32: access_type ((access << 16) | type), major, minor, where type
// is 1 (block) or 2 (char) and access a mask of 1 (mknod), 2 (read) and 4
// (write). It returns 1 to allow and 0 to deny.
//
// Program shape, for each access bit in turn (mknod, read, write):
//
//	if the request has the bit:
//	    for the rules that name the bit, last rule first:
//	        if type, major and minor match (wildcards skip their test):
//	            allow: go on with the next bit / deny: return 0
//	    return 0                       // no rule matched: default deny
//	return 1                           // every requested bit allowed
//
// A rule that matches everything ends its bit's list: nothing after it
// could run, and the verifier refuses unreachable instructions.

// eBPF opcodes (linux/bpf_common.h, linux/bpf.h).
const (
	opLdxMemW   = 0x61 // BPF_LDX | BPF_MEM | BPF_W: dst = *(u32 *)(src + off)
	opMov64Imm  = 0xb7 // BPF_ALU64 | BPF_MOV | BPF_K
	opAnd64Imm  = 0x57 // BPF_ALU64 | BPF_AND | BPF_K
	opRsh64Imm  = 0x77 // BPF_ALU64 | BPF_RSH | BPF_K
	opJeq32Imm  = 0x16 // BPF_JMP32 | BPF_JEQ | BPF_K
	opJne32Imm  = 0x56 // BPF_JMP32 | BPF_JNE | BPF_K
	opJa        = 0x05 // BPF_JMP | BPF_JA
	opExit      = 0x95 // BPF_JMP | BPF_EXIT
	devBlock    = 1    // BPF_DEVCG_DEV_BLOCK
	devChar     = 2    // BPF_DEVCG_DEV_CHAR
	regRet      = 0
	regCtx      = 1
	regType     = 2
	regMajor    = 4
	regMinor    = 5
	regScratch  = 6
	labelNone   = -1
	maxBpfInsns = 1 << 16 // about 5000 rules; the verifier takes ~0.3 s there
)

// insn is one eBPF instruction; target, when not labelNone, is the label
// whose position resolves off.
type insn struct {
	code     uint8
	dst, src uint8
	off      int16
	imm      int32
	target   int
}

type progBuilder struct {
	insns  []insn
	labels []int // label -> instruction index
}

func (b *progBuilder) emit(code, dst, src uint8, off int16, imm int32) {
	b.insns = append(b.insns, insn{code: code, dst: dst, src: src, off: off, imm: imm, target: labelNone})
}

func (b *progBuilder) jump(code, dst uint8, imm int32, label int) {
	b.insns = append(b.insns, insn{code: code, dst: dst, imm: imm, target: label})
}

func (b *progBuilder) newLabel() int {
	b.labels = append(b.labels, -1)
	return len(b.labels) - 1
}

func (b *progBuilder) mark(label int) { b.labels[label] = len(b.insns) }

func (b *progBuilder) ret(v int32) {
	b.emit(opMov64Imm, regRet, 0, 0, v)
	b.emit(opExit, 0, 0, 0, 0)
}

// deviceProgram compiles rules into eBPF instructions (8 bytes each, in
// the host's byte order).
func deviceProgram(rules []DeviceRule) ([]byte, error) {
	b := &progBuilder{}
	for _, bit := range []uint32{accMknod, accRead, accWrite} {
		// The rules naming this bit, last first, up to the first (from the
		// end) that matches every device.
		var list []*DeviceRule
		for i := len(rules) - 1; i >= 0; i-- {
			r := &rules[i]
			if r.access()&bit == 0 {
				continue
			}
			list = append(list, r)
			if r.matchesAll() {
				break
			}
		}
		if len(list) > 0 && list[0].matchesAll() && list[0].Allow {
			continue // the last word on this bit is "allow everything"
		}
		// Every test loads what it compares straight from the context, so
		// that no register carries what an earlier comparison taught the
		// verifier into a label that many paths reach: it can then see
		// those paths as one (otherwise it walks each, and a few hundred
		// rules exceed its budget).
		next := b.newLabel()
		b.emit(opLdxMemW, regScratch, regCtx, 0, 0)
		b.emit(opRsh64Imm, regScratch, 0, 0, 16)
		b.emit(opAnd64Imm, regScratch, 0, 0, int32(bit))
		b.jump(opJeq32Imm, regScratch, 0, next)
		terminated := false
		for _, r := range list {
			skip := b.newLabel()
			if t := r.typ(); t != 'a' {
				b.emit(opLdxMemW, regType, regCtx, 0, 0)
				b.emit(opAnd64Imm, regType, 0, 0, 0xffff)
				dev := int32(devChar)
				if t == 'b' {
					dev = devBlock
				}
				b.jump(opJne32Imm, regType, dev, skip)
			}
			if r.Major != -1 {
				b.emit(opLdxMemW, regMajor, regCtx, 4, 0)
				b.jump(opJne32Imm, regMajor, int32(uint32(r.Major)), skip)
			}
			if r.Minor != -1 {
				b.emit(opLdxMemW, regMinor, regCtx, 8, 0)
				b.jump(opJne32Imm, regMinor, int32(uint32(r.Minor)), skip)
			}
			if r.Allow {
				if !r.matchesAll() { // else it falls through to next
					b.jump(opJa, 0, 0, next)
				}
			} else {
				b.ret(0)
			}
			if r.matchesAll() {
				terminated = true // nothing after it is reachable
				break
			}
			b.mark(skip)
		}
		if !terminated {
			b.ret(0)
		}
		b.mark(next)
	}
	b.ret(1)
	return b.assemble()
}

func (r *DeviceRule) matchesAll() bool { return r.typ() == 'a' && r.Major == -1 && r.Minor == -1 }

func (b *progBuilder) assemble() ([]byte, error) {
	if len(b.insns) > maxBpfInsns {
		return nil, fmt.Errorf("device rules: the filter has %d instructions, more than %d: too many rules", len(b.insns), maxBpfInsns)
	}
	out := make([]byte, 8*len(b.insns))
	for i, in := range b.insns {
		off := in.off
		if in.target != labelNone {
			d := b.labels[in.target] - (i + 1)
			if b.labels[in.target] < 0 || d < 0 || d > 0x7fff {
				return nil, fmt.Errorf("device rules: internal error: bad jump at %d", i)
			}
			off = int16(d)
		}
		p := out[8*i:]
		p[0] = in.code
		if bigEndian {
			p[1] = in.dst<<4 | in.src
		} else {
			p[1] = in.src<<4 | in.dst
		}
		binary.NativeEndian.PutUint16(p[2:], uint16(off))
		binary.NativeEndian.PutUint32(p[4:], uint32(in.imm))
	}
	return out, nil
}

var bigEndian = binary.NativeEndian.Uint16([]byte{0, 1}) == 1

// bpf(2) attribute layouts (the leading members of union bpf_attr that
// these commands read; the kernel zero-fills the rest).
type bpfProgLoadAttr struct {
	progType           uint32
	insnCnt            uint32
	insns              uint64
	license            uint64
	logLevel           uint32
	logSize            uint32
	logBuf             uint64
	kernVersion        uint32
	progFlags          uint32
	progName           [16]byte
	progIfindex        uint32
	expectedAttachType uint32
}

type bpfAttachAttr struct {
	targetFd     uint32
	attachBpfFd  uint32
	attachType   uint32
	attachFlags  uint32
	replaceBpfFd uint32
}

type bpfQueryAttr struct {
	targetFd    uint32
	attachType  uint32
	queryFlags  uint32
	attachFlags uint32
	progIDs     uint64
	progCnt     uint32
	_           uint32
}

type bpfGetFdAttr struct {
	id        uint32
	nextID    uint32
	openFlags uint32
}

func bpfCall(cmd uintptr, attr unsafe.Pointer, size uintptr) (int, error) {
	for try := 0; ; try++ {
		r, _, errno := unix.Syscall(unix.SYS_BPF, cmd, uintptr(attr), size)
		if errno == unix.EINTR || errno == unix.EAGAIN && cmd == unix.BPF_PROG_LOAD && try < 5 {
			continue
		}
		if errno != 0 {
			return -1, errno
		}
		return int(r), nil
	}
}

var bpfLicense = []byte("Apache\x00")

// loadDeviceProgram loads the program; on a verifier error it loads again
// with a log, to put the verifier's words in the error.
func loadDeviceProgram(code []byte) (int, error) {
	load := func(log []byte) (int, error) {
		attr := bpfProgLoadAttr{
			progType:           unix.BPF_PROG_TYPE_CGROUP_DEVICE,
			insnCnt:            uint32(len(code) / 8),
			insns:              uint64(uintptr(unsafe.Pointer(&code[0]))),
			license:            uint64(uintptr(unsafe.Pointer(&bpfLicense[0]))),
			expectedAttachType: unix.BPF_CGROUP_DEVICE,
		}
		copy(attr.progName[:], "xrt_devices")
		if len(log) > 0 {
			attr.logLevel = 1
			attr.logSize = uint32(len(log))
			attr.logBuf = uint64(uintptr(unsafe.Pointer(&log[0])))
		}
		fd, err := bpfCall(unix.BPF_PROG_LOAD, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
		runtime.KeepAlive(code)
		runtime.KeepAlive(log)
		return fd, err
	}
	fd, err := load(nil)
	if err == nil {
		return fd, nil
	}
	if err == unix.EINVAL || err == unix.EACCES {
		log := make([]byte, 64<<10)
		if _, err2 := load(log); err2 != nil {
			if n := indexByte(log, 0); n > 0 {
				return -1, fmt.Errorf("load device filter: %w: verifier: %s", err, log[:n])
			}
		}
	}
	return -1, fmt.Errorf("load device filter: %w", err)
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return len(b)
}

// attachedDevicePrograms lists the ids of the device programs attached
// directly to the cgroup dirFd.
func attachedDevicePrograms(dirFd int) ([]uint32, error) {
	ids := make([]uint32, 64)
	for {
		attr := bpfQueryAttr{
			targetFd:   uint32(dirFd),
			attachType: unix.BPF_CGROUP_DEVICE,
			progIDs:    uint64(uintptr(unsafe.Pointer(&ids[0]))),
			progCnt:    uint32(len(ids)),
		}
		_, err := bpfCall(unix.BPF_PROG_QUERY, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
		runtime.KeepAlive(ids)
		if err == unix.ENOSPC {
			ids = make([]uint32, 2*attr.progCnt)
			continue
		}
		if err != nil {
			return nil, err
		}
		return ids[:attr.progCnt], nil
	}
}

// setDevicesV2 compiles rules, attaches the program to dir, then detaches
// the device programs that were attached to dir before.
func setDevicesV2(dir string, rules []DeviceRule) error {
	code, err := deviceProgram(rules)
	if err != nil {
		return err
	}
	dirFd, err := unix.Open(dir, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("device rules: %w", &os.PathError{Op: "open", Path: dir, Err: err})
	}
	defer unix.Close(dirFd)
	old, err := attachedDevicePrograms(dirFd)
	if err != nil {
		return fmt.Errorf("device rules: query the programs attached to %s: %w", dir, err)
	}
	progFd, err := loadDeviceProgram(code)
	if err != nil {
		return fmt.Errorf("device rules for %s: %w", dir, err)
	}
	defer unix.Close(progFd)
	attach := bpfAttachAttr{
		targetFd:    uint32(dirFd),
		attachBpfFd: uint32(progFd),
		attachType:  unix.BPF_CGROUP_DEVICE,
		attachFlags: unix.BPF_F_ALLOW_MULTI,
	}
	if _, err := bpfCall(unix.BPF_PROG_ATTACH, unsafe.Pointer(&attach), unsafe.Sizeof(attach)); err != nil {
		return fmt.Errorf("device rules: attach the device filter to %s: %w", dir, err)
	}
	var errs []error
	for _, id := range old {
		errs = append(errs, detachProgram(dirFd, id))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("device rules: detach the previous device filter of %s: %w", dir, err)
	}
	return nil
}

func detachProgram(dirFd int, id uint32) error {
	get := bpfGetFdAttr{id: id}
	fd, err := bpfCall(unix.BPF_PROG_GET_FD_BY_ID, unsafe.Pointer(&get), unsafe.Sizeof(get))
	if err == unix.ENOENT {
		return nil // gone meanwhile
	}
	if err != nil {
		return fmt.Errorf("program %d: %w", id, err)
	}
	defer unix.Close(fd)
	detach := bpfAttachAttr{targetFd: uint32(dirFd), attachBpfFd: uint32(fd), attachType: unix.BPF_CGROUP_DEVICE}
	if _, err := bpfCall(unix.BPF_PROG_DETACH, unsafe.Pointer(&detach), unsafe.Sizeof(detach)); err != nil && err != unix.ENOENT {
		return fmt.Errorf("program %d: %w", id, err)
	}
	return nil
}
