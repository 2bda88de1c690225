package seccomp

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// cond is one argument comparison in libseccomp's terms (struct scmp_arg_cmp).
type cond struct {
	Arg  uint
	Op   int
	A, B uint64 // datum_a, datum_b: for MASKED_EQ the mask and the value
}

// maxArgs is the number of syscall arguments seccomp can look at.
const maxArgs = 6

// maxRulesPerEntry bounds the expansion of conditionSets, so that a config
// cannot make Compile build a filter the kernel would refuse anyway.
const maxRulesPerEntry = 256

// conditionSets turns one syscall entry's args into the rules to add: each
// returned set is ANDed by libseccomp, and the sets are alternatives.
//
// The spec reads several comparisons of the same argument index as OR, while
// comparisons of different indexes are ANDed. So the comparisons are grouped
// by index and every combination of one comparison per index becomes a rule:
// [a0==1, a0==2, a1==5] gives (a0==1 && a1==5) || (a0==2 && a1==5).
// No args gives one empty set: the syscall matches unconditionally.
func conditionSets(args []specs.LinuxSeccompArg) ([][]cond, error) {
	var order []uint
	byIndex := map[uint][]cond{}
	for _, a := range args {
		op, ok := operators[a.Op]
		if !ok {
			return nil, fmt.Errorf("unknown seccomp operator %q (known: %v)", a.Op, sortedKeys(operators))
		}
		if a.Index >= maxArgs {
			return nil, fmt.Errorf("seccomp argument index %d is out of range: syscalls have arguments 0 to %d", a.Index, maxArgs-1)
		}
		if _, seen := byIndex[a.Index]; !seen {
			order = append(order, a.Index)
		}
		byIndex[a.Index] = append(byIndex[a.Index], cond{Arg: a.Index, Op: op, A: a.Value, B: a.ValueTwo})
	}
	sets := [][]cond{nil}
	for _, idx := range order {
		alts := byIndex[idx]
		if len(sets)*len(alts) > maxRulesPerEntry {
			return nil, fmt.Errorf("seccomp args expand to more than %d rules (comparisons on the same index are ORed, different indexes ANDed); split the entry", maxRulesPerEntry)
		}
		next := make([][]cond, 0, len(sets)*len(alts))
		for _, s := range sets {
			for _, c := range alts {
				n := make([]cond, len(s), len(s)+1)
				copy(n, s)
				next = append(next, append(n, c))
			}
		}
		sets = next
	}
	return sets, nil
}
