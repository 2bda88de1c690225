#!/bin/bash
# readme.sh MARK TABLE.md [README]: replaces the lines between
# "<!-- MARK:begin -->" and "<!-- MARK:end -->" of README (the repository's
# README.md) with TABLE.md. bench.sh and v2.sh call it.
set -euo pipefail
mark=$1 md=$2
readme=${3:-$(cd "$(dirname "$0")/../.." && pwd)/README.md}
if ! grep -qx "<!-- $mark:begin -->" "$readme" || ! grep -qx "<!-- $mark:end -->" "$readme"; then
	echo "bench: $readme has no <!-- $mark:begin --> / <!-- $mark:end --> section: table not written there" >&2
	exit 0
fi
tmp=$(mktemp)
awk -v md="$md" -v b="<!-- $mark:begin -->" -v e="<!-- $mark:end -->" '
	$0 == e { while ((getline l < md) > 0) print l; skip = 0 }
	!skip { print }
	$0 == b { skip = 1 }' "$readme" >"$tmp"
cat "$tmp" >"$readme"
rm -f "$tmp"
echo "bench: table written into $readme ($mark section)" >&2
