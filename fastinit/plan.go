package fastinit

import (
	"encoding/binary"
	"strconv"
)

// Plan is what the fast init applies to itself before it runs the
// container's program: everything containerinit's setupProcess would,
// computed by create (containerinit.PlanFor).
type Plan struct {
	Path      string // the program, resolved in the container's root
	Args, Env []string
	Cwd       string
	UID, GID  uint32
	// AdditionalGids are set with setgroups, also when empty.
	AdditionalGids []uint32
	// The capability sets as bit masks, and the highest capability the
	// kernel knows (the bounding set is dropped up to it).
	Bounding, Effective, Permitted, Inheritable, Ambient uint64
	LastCap                                              int
	Rlimits                                              []Rlimit
	OOMScoreAdj                                          *int
	NoNewPrivileges                                      bool
	Umask                                                uint32
	// Filter is the seccomp BPF program (nil: none), loaded with
	// SeccompFlags.
	Filter       []byte
	SeccompFlags uint32
	// Keyring is the session keyring to join ("" : keep the caller's).
	Keyring     string
	NewCgroupNS bool
	PreserveFDs int
}

// Rlimit is one setrlimit.
type Rlimit struct {
	Resource   uint32
	Soft, Hard uint64
}

// Encode writes the plan as plan.h describes.
func (p *Plan) Encode() []byte {
	var b []byte
	rec := func(tag byte, payload []byte) {
		b = append(b, tag)
		b = binary.NativeEndian.AppendUint32(b, uint32(len(payload)))
		b = append(b, payload...)
	}
	str := func(tag byte, s string) { rec(tag, append([]byte(s), 0)) }
	u32 := func(v uint32) []byte { return binary.NativeEndian.AppendUint32(nil, v) }

	str('p', p.Path)
	for _, a := range p.Args {
		str('a', a)
	}
	for _, e := range p.Env {
		str('e', e)
	}
	str('c', p.Cwd)
	ids := append(u32(p.UID), u32(p.GID)...)
	for _, g := range p.AdditionalGids {
		ids = binary.NativeEndian.AppendUint32(ids, g)
	}
	rec('u', ids)
	var caps []byte
	for _, set := range []uint64{p.Bounding, p.Effective, p.Permitted, p.Inheritable, p.Ambient} {
		caps = binary.NativeEndian.AppendUint64(caps, set)
	}
	rec('k', caps)
	rec('L', u32(uint32(p.LastCap)))
	for _, r := range p.Rlimits {
		v := binary.NativeEndian.AppendUint64(u32(r.Resource), r.Soft)
		rec('r', binary.NativeEndian.AppendUint64(v, r.Hard))
	}
	if p.OOMScoreAdj != nil {
		str('o', strconv.Itoa(*p.OOMScoreAdj))
	}
	if p.NoNewPrivileges {
		rec('n', nil)
	}
	rec('m', u32(p.Umask))
	if p.Filter != nil {
		rec('s', append(u32(p.SeccompFlags), p.Filter...))
	}
	if p.Keyring != "" {
		str('K', p.Keyring)
	}
	if p.NewCgroupNS {
		rec('C', nil)
	}
	rec('f', u32(uint32(p.PreserveFDs)))
	rec('Z', nil)
	return b
}
