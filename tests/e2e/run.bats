#!/usr/bin/env bats
# A run from end to end (src/engine/run.c, loop.c with src/sandbox/): exit
# statuses, signals, what the command leaves behind, and who it runs as,
# as root and as the unprivileged test user.

# shellcheck disable=SC2016 # single-quoted scripts run in the tree's shell

load helpers
load engine

setup() {
	require_childflow
}

@test "exit statuses: 0, exit 7 -> 7, killed by TERM -> 143, unknown command -> 127, root and user" {
	local who
	for who in root user; do
		run cf "$who" -- true
		[[ $status -eq 0 ]]
		run cf "$who" -- sh -c 'exit 7'
		[[ $status -eq 7 ]]
		run cf "$who" -- sh -c 'kill -TERM $$'
		[[ $status -eq 143 ]]
		run -127 cf "$who" -- no-such-command-childflow
		[[ $status -eq 127 ]]
	done
}

@test "id -u and id -g inside equal the caller's" {
	run cf root -- sh -c 'echo $(id -u) $(id -g)'
	assert_equal "$output" "0 0"
	run cf user -- sh -c 'echo $(id -u) $(id -g)'
	assert_equal "$output" "$(id -u "$LAB_TEST_USER") $(id -g "$LAB_TEST_USER")"
}

@test "a background sleep left by the command does not outlive the run, root and user" {
	local who
	for who in root user; do
		run cf "$who" -- sh -c 'sleep 3131 & echo started'
		assert_equal "$output" "started"
		sleep 0.2
		run pgrep -f "sleep 3131"
		[[ $status -ne 0 ]]
	done
}

@test "SIGINT (Ctrl-C) and SIGTERM reach the command, root and user" {
	local who sig token st out=$LAB_DIR/run-sig
	mkdir -p -m 1777 "$out"
	for who in root user; do
		for sig in INT TERM; do
			token=cfsig-$who-$sig-$$-$RANDOM
			cf "$who" -- sh -c ": $token; trap 'echo got-$sig >$out/$who; exit 3' $sig; while :; do sleep 0.05; done" &
			tree_pid "$token" >/dev/null
			sleep 0.3
			kill -"$sig" "$(cf_pid "$token")"
			st=0
			wait $! || st=$?
			assert_equal "$(cat "$out/$who")" "got-$sig"
			[[ $st -eq 3 ]]
		done
	done
}

@test "a second SIGINT kills a command that ignores the first" {
	local cfpid st token=cfsig2-$$-$RANDOM
	cf root -- sh -c ": $token; trap '' INT; while :; do sleep 0.05; done" &
	tree_pid "$token" >/dev/null
	cfpid=$(cf_pid "$token")
	sleep 0.3
	kill -INT "$cfpid"
	sleep 0.3
	kill -INT "$cfpid"
	st=0
	wait $! || st=$?
	echo "status $st"
	[[ $st -eq 130 || $st -eq 137 ]]
}

@test "the rootful backend says plainly that it is not built yet (exit 125)" {
	run lab_host "$CHILDFLOW" --root -- true
	[[ $status -eq 125 ]]
	assert_match "$output" "not built"
}

@test "data written just before the command exits still arrives" {
	local i
	lab_world timeout 30 sh -c "socat -u TCP-LISTEN:9120,bind=$LAB_ORIGIN4,reuseaddr - | wc -c >$LAB_DIR/run-last" &
	for i in $(seq 100); do
		lab_world ss -Hltn "sport = :9120" | grep -q . && break
		sleep 0.05
	done
	run cf user -- sh -c "head -c 8000000 /dev/zero | socat -u - TCP:$LAB_ORIGIN4:9120"
	[[ $status -eq 0 ]]
	wait
	assert_equal "$(cat "$LAB_DIR/run-last")" 8000000
}

@test "CHILDFLOW_DEBUG=1 tells each flow's story with a per-flow prefix" {
	run lab_host env CHILDFLOW_DEBUG=1 "$CHILDFLOW" -- curl -sS -4 --max-time 5 "http://$LAB_ORIGIN_NAME/"
	echo "$output"
	[[ $status -eq 0 ]]
	assert_match "$output" "childflow: flow 1 dns: query $LAB_ORIGIN_NAME A via 10\.0\.2\.3:53/udp"
	assert_match "$output" "childflow: flow 1 dns: answer $LAB_ORIGIN_NAME A relayed, [0-9]+ bytes: $LAB_ORIGIN4"
	assert_match "$output" "childflow: flow ([0-9]+) tcp: start $LAB_ORIGIN4:80"
	assert_match "$output" "childflow: flow [0-9]+ tcp: connected $LAB_ORIGIN4:80"
	assert_match "$output" "childflow: flow [0-9]+ tcp: end $LAB_ORIGIN4:80: [a-z_]+, sent [0-9]+ received [0-9]+ in [0-9]+ ms"
	run lab_host env CHILDFLOW_DEBUG=1 "$CHILDFLOW" --offline -- curl -sS --max-time 5 "http://$LAB_ORIGIN4/"
	assert_match "$output" "childflow: flow 1 tcp: denied $LAB_ORIGIN4:80 \(offline\)"
}
