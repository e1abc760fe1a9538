# shellcheck shell=bash
# Helpers of the engine's end-to-end tests (tcp.bats, udp_icmp.bats,
# dns.bats, run.bats), loaded after helpers.bash.
#
# Every behaviour is checked as root and as the unprivileged test user:
# `cf WHO ARGS...` runs childflow as either, in the lab's host namespace.

# cf WHO ARGS...: childflow ARGS as WHO (root or user) in the lab host
cf() {
	local who=$1
	shift
	if [[ $who == root ]]; then
		lab_host "$CHILDFLOW" "$@"
	else
		lab_user "$CHILDFLOW" "$@"
	fi
}

# cf_timed WHO ARGS...: cf, recording its wall time in $CF_SECONDS and its
# status in $CF_STATUS; output in $CF_OUT (stdout and stderr)
# shellcheck disable=SC2034 # CF_* are read by the calling test
cf_timed() {
	local t0 t1
	t0=$(date +%s.%N)
	CF_STATUS=0
	CF_OUT=$(cf "$@" 2>&1) || CF_STATUS=$?
	t1=$(date +%s.%N)
	CF_SECONDS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
}

# tree_pid TOKEN: the host pid of a process of a running tree whose
# command line holds TOKEN (one inside the tree's network namespace)
tree_pid() {
	local token=$1 host_ns p ns _
	host_ns=$(ip netns exec "$LAB_NS_HOST" readlink /proc/self/ns/net)
	for _ in $(seq 100); do
		for p in $(pgrep -f "$token"); do
			ns=$(readlink "/proc/$p/ns/net" 2>/dev/null) || continue
			if [[ $ns != "$host_ns" && $ns != "$(readlink /proc/self/ns/net)" ]]; then
				printf '%s\n' "$p"
				return 0
			fi
		done
		sleep 0.05
	done
	return 1
}

# cf_pid TOKEN: the pid of the childflow process (in the lab's host
# namespace) whose command line holds TOKEN
cf_pid() {
	local token=$1 host_ns exe p _
	host_ns=$(ip netns exec "$LAB_NS_HOST" readlink /proc/self/ns/net)
	exe=$(realpath "$CHILDFLOW")
	for _ in $(seq 100); do
		for p in $(pgrep -f "$token"); do
			[[ $(readlink "/proc/$p/exe" 2>/dev/null) == "$exe" ]] || continue
			[[ $(readlink "/proc/$p/ns/net" 2>/dev/null) == "$host_ns" ]] || continue
			printf '%s\n' "$p"
			return 0
		done
		sleep 0.05
	done
	return 1
}

# tree_loss PID PERCENT: drop PERCENT % of the packets both ways on the
# tree's tun0 (nftables numgen inside the tree's network namespace)
tree_loss() {
	lab_tree_exec "$1" nft -f - <<-EOF2
		table inet cfloss {
			chain in { type filter hook input priority 0; iifname "tun0" numgen random mod 100 < $2 drop; }
			chain out { type filter hook output priority 0; oifname "tun0" numgen random mod 100 < $2 drop; }
		}
	EOF2
}

# user_fails_fast SECONDS ARGS...: childflow ARGS as the user must fail
# (non-zero) within SECONDS
user_fails_fast() {
	local limit=$1
	shift
	cf_timed user "$@"
	[[ $CF_STATUS -ne 0 ]] || { echo "succeeded: $CF_OUT"; return 1; }
	assert_lt "$CF_SECONDS" "$limit"
}

# world_wait_listen PORT: wait (5 s at most) until a TCP server listens on
# PORT in the world namespace
world_wait_listen() {
	local _
	for _ in $(seq 100); do
		lab_world ss -Hltn "sport = :$1" | grep -q . && return 0
		sleep 0.05
	done
	echo "nothing listens on port $1 in the world" >&2
	return 1
}

# E2E_BIG_MIB: size of the large transfers (the issue's figure is 1 GiB:
# CHILDFLOW_E2E_BIG_MIB=1024); the default keeps CI time sane
export E2E_BIG_MIB=${CHILDFLOW_E2E_BIG_MIB:-256}
