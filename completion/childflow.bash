# bash completion for childflow                              -*- shell-script -*-
# SPDX-License-Identifier: GPL-2.0-or-later

_childflow()
{
	local cur prev i
	cur="${COMP_WORDS[COMP_CWORD]}"
	prev=""
	[ "$COMP_CWORD" -gt 0 ] && prev="${COMP_WORDS[COMP_CWORD-1]}"

	# Once the command has started, complete it like any command line
	for ((i = 1; i < COMP_CWORD; i++)); do
		case "${COMP_WORDS[i]}" in
		--) break ;;
		--profile|-c|--capture|-C|--capture-point|--backend|--doctor-format|\
		--report|--report-format|-d|--dns|--hosts-file|-p|--proxy|-U|\
		--proxy-user|-P|--proxy-password|--proxy-ca|--summary-format|\
		--flow-log|--default-policy|--allow-cidr|--deny-cidr|--allow-domain|\
		--allow-domain-exact|--deny-domain|--deny-domain-exact|-i|--iface)
			((i++)); continue ;;
		-*) continue ;;
		*) break ;;
		esac
	done
	if [ "$i" -lt "$COMP_CWORD" ]; then
		[ "${COMP_WORDS[i]}" = "--" ] && ((i++))
		if [ "$i" -eq "$COMP_CWORD" ]; then
			mapfile -t COMPREPLY < <(compgen -c -- "$cur")
		elif declare -F _command_offset >/dev/null; then
			_command_offset "$i"
		else
			mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		fi
		return 0
	fi

	case "$prev" in
	--profile|-c|--capture|--hosts-file|--proxy-ca|--flow-log|--report)
		mapfile -t COMPREPLY < <(compgen -f -- "$cur"); return 0 ;;
	-C|--capture-point)
		mapfile -t COMPREPLY < <(compgen -W "child egress wire-egress both" -- "$cur"); return 0 ;;
	--backend)
		mapfile -t COMPREPLY < <(compgen -W "rootless-internal rootful" -- "$cur"); return 0 ;;
	--doctor-format|--summary-format)
		mapfile -t COMPREPLY < <(compgen -W "text json" -- "$cur"); return 0 ;;
	--report-format)
		mapfile -t COMPREPLY < <(compgen -W "text markdown json" -- "$cur"); return 0 ;;
	--default-policy)
		mapfile -t COMPREPLY < <(compgen -W "allow deny" -- "$cur"); return 0 ;;
	-p|--proxy)
		mapfile -t COMPREPLY < <(compgen -W "http:// https:// socks5:// socks5h://" -- "$cur")
		compopt -o nospace 2>/dev/null; return 0 ;;
	-i|--iface)
		mapfile -t COMPREPLY < <(compgen -W "$(ls /sys/class/net 2>/dev/null)" -- "$cur"); return 0 ;;
	-d|--dns|-U|--proxy-user|-P|--proxy-password|--allow-cidr|--deny-cidr|\
	--allow-domain|--allow-domain-exact|--deny-domain|--deny-domain-exact)
		return 0 ;;
	esac

	if [[ "$cur" == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "
			--profile --dump-profile
			-d --dns --hosts-file
			-p --proxy -U --proxy-user -P --proxy-password
			--proxy-insecure --no-proxy-insecure --proxy-ca
			--proxy-dns --no-proxy-dns --proxy-only --no-proxy-only
			--offline --no-offline --block-private --no-block-private
			--block-metadata --no-block-metadata --default-policy
			--allow-cidr --deny-cidr --allow-domain --allow-domain-exact
			--deny-domain --deny-domain-exact
			--fail-on-leak --no-fail-on-leak
			--flow-log --summary --no-summary --summary-format
			-c --capture -C --capture-point --report --report-format
			--root --no-root --backend -i --iface --doctor --doctor-format
			-h --help -V --version --" -- "$cur")
		return 0
	fi
	mapfile -t COMPREPLY < <(compgen -c -- "$cur")
}
complete -F _childflow childflow
