#!/bin/bash
# tests/v2/run.sh: the tests that matter on a pure cgroup v2 host with an
# LTS kernel, run in a throw-away guest (../shared/v2vm: Debian's kernel,
# cgroup_no_v1=all, under qemu). `make test-v2` calls it after building
# ./xrt and tests/bin.
#
#   V2VM=PATH          the guest's run.sh (default: ../shared/v2vm/run.sh
#                      next to the repository)
#   V2_BATS="a.bats b.bats:REGEX"  the bats files to run, each whole or
#                      only its tests whose names match REGEX (no spaces:
#                      "." matches one); default: V2_DEFAULT_BATS
#   V2_TIMEOUT=SECS    limit for the whole guest (default 2400)
#   V2_RESULTS=DIR     where the TAP files go (default: a new temp dir)
#   V2_RUNTIME=PATH    run the bats files against another runtime, e.g.
#                      /usr/sbin/runc (the guest sees the host's files), for
#                      the side-by-side column; the Go tests, which test
#                      xrt's packages, are then left out
#
# Exit status: 0 when the guest booted and every test passed; 1 when a
# test failed; 2 when the guest did not boot, timed out or gave no results
# (an error, never a skip).
set -euo pipefail

cd "$(dirname "$0")/../.."
repo=$PWD
v2vm=${V2VM:-$(cd .. && pwd)/shared/v2vm/run.sh}
timeout_s=${V2_TIMEOUT:-2400}

# What runs in the guest: 74 tests. A bats test costs 15-30 s there under
# TCG (most of it bats' own forks), so about 20-25 minutes on an idle
# 2-CPU machine, an hour when three guests share it. Everything about
# cgroups, namespaces (cgroup and user), mounts (the cgroup mounts, the
# rootfs), image mode (overlay without lowerdir+ on 6.1), idmapped mounts,
# rootless and LSM (the guest's kernel runs AppArmor), the fast init (its
# mount API calls on an older kernel, a cgroup2 /sys/fs/cgroup). The rest of the
# suite does not depend on the cgroup version or the kernel release; of
# mounts.bats and image.bats, the tests that do.
V2_DEFAULT_BATS="cgroups.bats namespaces.bats lsm.bats idmap.bats rootless.bats fastinit.bats
	mounts.bats:default.spec|root.readonly|maskedPaths
	image.bats:overlay.is.mounted|200.layers|merges.the.image.config|unpacked.once"
bats_files=${V2_BATS:-$V2_DEFAULT_BATS}

die() { echo "test-v2: $*" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || die "must run as root (the guest's run.sh needs it)"
[ -x "$v2vm" ] || die "no guest harness at $v2vm (set V2VM=, or put shared/ next to the repository)"
[ -x ./xrt ] && [ -d tests/bin ] || die "build first: make xrt testbin"

results=${V2_RESULTS:-$(mktemp -d "${TMPDIR:-/tmp}/xrt-v2.XXXXXX")}
mkdir -p "$results"
results=$(readlink -f "$results")
echo "test-v2: results in $results"

# The guest runs copies of the binaries: the repository's own are read
# through 9p, and a rebuild on the host while the guest runs one would
# kill it (SIGBUS).
mkdir -p "$results/bin"
cp ./xrt "$results/bin/xrt"
cp -r tests/bin "$results/bin/testbin"

# Go tests that need the guest's kernel, built here (the guest has no Go
# toolchain of its own to spare time for): the real cgroup v2 tree, and
# rootfs (overlay without lowerdir+, the cgroup mounts).
runtime=$results/bin/xrt run_go=1
if [ -n "${V2_RUNTIME:-}" ]; then
	runtime=$(readlink -f "$V2_RUNTIME") run_go=0
	[ -x "$runtime" ] || die "V2_RUNTIME=$V2_RUNTIME is not an executable"
	echo "test-v2: the bats files run against $runtime ($("$runtime" --version | head -n1))"
fi
export PATH=/usr/local/go/bin:$PATH
if [ "$run_go" = 1 ]; then
	CGO_ENABLED=1 go test -c -o "$results/cgroups.test" ./cgroups
	CGO_ENABLED=1 go test -c -o "$results/rootfs.test" ./rootfs
fi

start=$(date +%s)
rc=0
"$v2vm" --share "$results" --no-share --cwd "$repo" --timeout "$timeout_s" \
	-e "V2_RESULTS=$results" -e "V2_BATS=$bats_files" \
	-e "XRT=$runtime" -e "TESTBIN=$results/bin/testbin" \
	-- bash tests/v2/guest.sh || rc=$?
secs=$(($(date +%s) - start))
echo "test-v2: guest ran ${secs}s, exit status $rc"

case $rc in
0 | 1) ;;
124) die "the guest timed out after ${timeout_s}s (V2_TIMEOUT)" ;;
125) die "the guest did not boot or gave no exit status (rerun $v2vm --verbose -- true)" ;;
*) die "the guest exited with status $rc" ;;
esac
[ -s "$results/summary" ] || die "the guest gave no summary in $results"
cat "$results/summary"
exit "$rc"
