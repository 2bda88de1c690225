#!/bin/bash
# argv-flags.sh < LOG: the flags in runtime calls logged by the engine
# tests' wrapper (one call a line, arguments separated by tabs), one
# "COMMAND --flag" a line ("global --flag" before the command), sorted and
# unique. "--flag=value" counts as --flag; a short flag stays short.
# The command is the first argument that is one of the runtime's commands
# (a global flag's value is a path or a word that never is one); what
# follows "--" is the container's, not the runtime's.
set -euo pipefail
cmds=" checkpoint create delete events exec features kill list pause ps restore resume run spec start state update "
while IFS=$'\t' read -r -a args; do
	cmd=global
	for a in "${args[@]}"; do
		[ "$a" = -- ] && break
		if [ "$cmd" = global ] && [[ "$cmds" == *" $a "* ]]; then
			cmd=$a
			continue
		fi
		case $a in
		--*=*) echo "$cmd ${a%%=*}" ;;
		-?*) echo "$cmd $a" ;;
		esac
	done
done | sort -u
