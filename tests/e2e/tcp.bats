#!/usr/bin/env bats
# TCP through the rootless engine (src/engine/tcp.c), in the lab, as root
# and as the unprivileged test user: pages by name and address over IPv4
# and IPv6, refusals and unreachables as the tree would see them without
# childflow, large transfers intact (also with 2% loss both ways inside the
# tree), 1,000 concurrent connections, and the host's loopback out of reach.
#
# CHILDFLOW_E2E_BIG_MIB sets the size of the large transfers (default 256;
# the issue's full figure is 1024).

# shellcheck disable=SC2016 # single-quoted scripts run in the tree's shell

load helpers
load engine

setup_file() {
	lab_file_up
	export ENG_DIR=$LAB_DIR/engine-tcp
	mkdir -m 1777 "$ENG_DIR"
	head -c "$((E2E_BIG_MIB << 20))" /dev/urandom >"$LAB_WWW/big.bin"
	chmod 0644 "$LAB_WWW/big.bin"
	BIG_SHA=$(sha256sum <"$LAB_WWW/big.bin" | cut -d' ' -f1)
	export BIG_SHA
}

teardown_file() {
	rm -f "$LAB_WWW/big.bin"
	lab_file_down
}

setup() {
	require_childflow
}

# sink_start PORT OUT: a one-connection TCP sink on the origin that writes
# the sha256 of what it receives to OUT
sink_start() {
	local port=$1 out=$2 i
	lab_world timeout 300 sh -c \
		"socat -u TCP-LISTEN:$port,bind=$LAB_ORIGIN4,reuseaddr - | sha256sum | cut -d' ' -f1 >$out" &
	for i in $(seq 100); do
		lab_world ss -Hltn "sport = :$port" | grep -q . && return 0
		sleep 0.05
	done
	return 1
}

@test "curl over HTTP and HTTPS, by name and by address, IPv4 and IPv6, root and user" {
	local who url
	for who in root user; do
		for url in "http://$LAB_ORIGIN_NAME/" "https://$LAB_ORIGIN_NAME/" \
			"http://$LAB_ORIGIN4/" "https://$LAB_ORIGIN4/" \
			"http://[$LAB_ORIGIN6]/" "https://[$LAB_ORIGIN6]/"; do
			run cf "$who" -- curl -sS --max-time 10 --cacert "$LAB_CA" "$url"
			[[ $status -eq 0 ]] || echo "$who $url: $output"
			assert_equal "$output" "$LAB_ORIGIN_BODY"
		done
		# by name, forced onto each family
		run cf "$who" -- curl -sS -4 --max-time 10 "http://$LAB_ORIGIN_NAME/"
		assert_equal "$output" "$LAB_ORIGIN_BODY"
		run cf "$who" -- curl -sS -6 --max-time 10 "http://$LAB_ORIGIN_NAME/"
		assert_equal "$output" "$LAB_ORIGIN_BODY"
	done
}

@test "a closed port is refused in under a second (curl exit 7), v4 and v6, root and user" {
	local who addr
	for who in root user; do
		for addr in "$LAB_ORIGIN4" "[$LAB_ORIGIN6]"; do
			cf_timed "$who" -- curl -sS --max-time 10 "http://$addr:$LAB_CLOSED_PORT/"
			echo "$who $addr: $CF_STATUS in $CF_SECONDS s: $CF_OUT"
			[[ $CF_STATUS -eq 7 ]]
			assert_lt "$CF_SECONDS" 1
		done
	done
}

@test "an unreachable address fails as unreachable in under a second, root and user" {
	local who addr
	for who in root user; do
		for addr in "$LAB_UNREACH4" "[$LAB_UNREACH6]"; do
			cf_timed "$who" -- curl -sS --max-time 10 "http://$addr/"
			echo "$who $addr: $CF_STATUS in $CF_SECONDS s: $CF_OUT"
			[[ $CF_STATUS -eq 7 ]]
			assert_lt "$CF_SECONDS" 1
		done
		# the tree's own error is "No route to host", as without childflow
		run cf "$who" -- bash -c "exec 3<>/dev/tcp/$LAB_UNREACH4/80" 2>&1
		assert_match "$output" "No route to host"
	done
}

@test "a host that drops SYNs times out on the client's own timer, root and user" {
	local who
	for who in root user; do
		cf_timed "$who" -- curl -sS --connect-timeout 2 "http://$LAB_BLACKHOLE4/"
		echo "$who: $CF_STATUS in $CF_SECONDS s: $CF_OUT"
		[[ $CF_STATUS -eq 28 ]]
		assert_lt 1.9 "$CF_SECONDS"
		assert_lt "$CF_SECONDS" 4
	done
}

# big_download WHO: the large file, hashed inside the tree
big_download() {
	run cf "$1" -- sh -c "curl -sS http://$LAB_ORIGIN4/big.bin | sha256sum"
	[[ $status -eq 0 ]]
	assert_equal "${output%% *}" "$BIG_SHA"
}

# big_upload WHO PORT: the large file to a sink on the origin
big_upload() {
	local out=$ENG_DIR/up-$1-$2
	sink_start "$2" "$out"
	run cf "$1" -- socat -u "FILE:$LAB_WWW/big.bin" "TCP:$LAB_ORIGIN4:$2"
	[[ $status -eq 0 ]]
	wait
	assert_equal "$(cat "$out")" "$BIG_SHA"
}

@test "large download arrives intact (root)" {
	big_download root
}

@test "large download arrives intact (user)" {
	big_download user
}

@test "large upload arrives intact (root)" {
	big_upload root 9101
}

@test "large upload arrives intact (user)" {
	big_upload user 9102
}

# lossy_transfers WHO PORT: download and upload with 2% of the packets
# dropped both ways on the tree's tun0
lossy_transfers() {
	local who=$1 port=$2 token pid out=$ENG_DIR/lossy-$1 up=$ENG_DIR/lossy-up-$1
	token=cfloss-$who-$$-$RANDOM
	sink_start "$port" "$up"
	cf "$who" -- sh -c ": $token; while [ ! -e $out.go ]; do sleep 0.05; done
		curl -sS http://$LAB_ORIGIN4/big.bin | sha256sum >$out.down
		socat -u FILE:$LAB_WWW/big.bin TCP:$LAB_ORIGIN4:$port" &
	pid=$(tree_pid "$token")
	tree_loss "$pid" 2
	touch "$out.go"
	wait
	assert_equal "$(cut -d' ' -f1 "$out.down")" "$BIG_SHA"
	assert_equal "$(cat "$up")" "$BIG_SHA"
}

@test "large download and upload intact with 2% loss both ways (root)" {
	lossy_transfers root 9103
}

@test "large download and upload intact with 2% loss both ways (user)" {
	lossy_transfers user 9104
}

# many_conns WHO: 1,000 concurrent connections, 1 MiB each way
many_conns() {
	run cf "$1" -- python3 "$BATS_TEST_DIRNAME/many_conns.py" client \
		"$LAB_ORIGIN4" 9110 1000 1048576 100
	echo "$output"
	[[ $status -eq 0 ]]
	assert_match "$output" "1000 ok, 0 failed"
}

@test "1,000 concurrent connections each moving 1 MiB complete intact, root and user" {
	local srv i
	lab_world python3 "$BATS_TEST_DIRNAME/many_conns.py" serve "$LAB_ORIGIN4" 9110 \
		>"$ENG_DIR/srv.out" 2>&1 &
	srv=$!
	for i in $(seq 100); do
		grep -q listening "$ENG_DIR/srv.out" && break
		sleep 0.05
	done
	many_conns root
	many_conns user
	kill "$srv"
	pkill -P "$srv" || true
}

@test "a server on the host's 127.0.0.1 is not reachable from the tree, root and user" {
	local srv who
	lab_host timeout 60 socat TCP-LISTEN:8099,bind=127.0.0.1,reuseaddr,fork SYSTEM:'echo host-loopback' &
	srv=$!
	sleep 0.3
	run lab_host bash -c 'exec 3<>/dev/tcp/127.0.0.1/8099 && cat <&3'
	assert_equal "$output" "host-loopback" # it does listen
	for who in root user; do
		run cf "$who" -- curl -sS --max-time 3 http://127.0.0.1:8099/
		[[ $status -eq 7 ]]
		run cf "$who" -- curl -sS --max-time 3 http://10.0.2.2:8099/
		[[ $status -eq 7 ]]
		run cf "$who" -- curl -sS --max-time 3 "http://[::ffff:127.0.0.1]:8099/"
		[[ $status -ne 0 ]]
	done
	kill "$srv" || true
}
