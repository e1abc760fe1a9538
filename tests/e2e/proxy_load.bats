#!/usr/bin/env bats
# The http:// and socks5:// proxies under load and under failure, in the
# lab as the unprivileged user (src/engine/tcp.c proxy phase with
# src/proxy/handshake.c; the basic cases are in proxy.bats):
#  * 200 concurrent proxied connections, 1 MiB each way, through tinyproxy
#    and through dante;
#  * a proxy killed mid-transfer ends the tree's connections at once, and
#    the same run keeps serving new ones through the proxy started again;
#  * a statically linked client and programs that ignore proxy variables
#    go through the proxy;
#  * the proxy password never shows in the flow log, the summary, the
#    report, an error message or the command's environment.

# shellcheck disable=SC2016 # single-quoted scripts run in the tree's shell
# shellcheck disable=SC2030,SC2031 # bats runs each test in a subshell: $output
# and $status are set by `run` in the same function that reads them

load helpers
load engine

# An address of the world for this file's own servers (free in the lab)
PL_SRV4=203.0.113.44

setup_file() {
	lab_file_up
	export PL_DIR=$LAB_DIR/proxy-load
	mkdir -m 0755 "$PL_DIR"
	lab_world_addr "$PL_SRV4"
	# on port 80, the one port besides 443 tinyproxy lets CONNECT reach
	pl_spawn echo "$LAB_NS_WORLD" python3 "$BATS_TEST_DIRNAME/many_conns.py" serve "$PL_SRV4" 80
	pl_wait_listen "$PL_SRV4:80"
	# on port 443: a sink that never reads, so a proxy relaying to it
	# keeps unread bytes
	pl_spawn sink "$LAB_NS_WORLD" socat -u "TCP4-LISTEN:443,bind=$PL_SRV4,fork,reuseaddr" \
		"EXEC:sleep 3600"
	pl_wait_listen "$PL_SRV4:443"
}

teardown_file() {
	lab_file_down
}

setup() {
	require_childflow
	LOG=$LAB_USER_HOME/pl-flows-$BATS_TEST_NUMBER.jsonl
	HTTP_PX=http://$LAB_PROXY4:$LAB_HTTP_PROXY_PORT
	SOCKS_PX=socks5://$LAB_PROXY4:$LAB_SOCKS_PORT
}

# pl_spawn NAME NS CMD...: CMD in the background in namespace NS, in its
# own session (so its process group can be killed whole), every descriptor
# above 2 closed (bats waits on fd 3); pid in $PL_DIR/NAME.pid
pl_spawn() {
	local name=$1 ns=$2
	shift 2
	setsid ip netns exec "$ns" "$@" </dev/null >>"$PL_DIR/$name.out" 2>&1 \
		3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
	echo "$!" >"$PL_DIR/$name.pid"
}

# pl_wait_listen ADDR:PORT: wait (5 s at most) until the world listens there
pl_wait_listen() {
	local _
	for _ in $(seq 250); do
		ss -N "$LAB_NS_WORLD" -Hltn | awk '{print $4}' | grep -qxF "$1" && return 0
		sleep 0.02
	done
	echo "nothing listens on $1" >&2
	return 1
}

# pl_wait_gone ADDR:PORT: wait (5 s at most) until nothing listens there
pl_wait_gone() {
	local _
	for _ in $(seq 250); do
		ss -N "$LAB_NS_WORLD" -Hltn | awk '{print $4}' | grep -qxF "$1" || return 0
		sleep 0.02
	done
	echo "something still listens on $1" >&2
	return 1
}

# wait_file FILE SECONDS: wait until FILE exists; print how long it took
wait_file() {
	local t0 now
	t0=$(date +%s.%N)
	while [[ ! -e $1 ]]; do
		now=$(date +%s.%N)
		if awk -v a="$t0" -v b="$now" -v l="$2" 'BEGIN { exit !(b - a > l) }'; then
			echo "no $1 after $2 s" >&2
			return 1
		fi
		sleep 0.02
	done
	awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f\n", b - a }'
}

# connects_ok: how many connect_result lines of $LOG are ok and via_proxy
connects_ok() {
	jq -s '[.[] | select(.event == "connect_result" and .status == "ok" and .via_proxy)] | length' "$LOG"
}

# dante_connects TARGET_RE: how many sessions of the lab's SOCKS user to
# TARGET_RE (address.port) dante has opened
dante_connects() {
	grep -cE "tcp/connect \[: username%$LAB_SOCKS_USER@.* $1\$" "$LAB_DIR/danted.log" || true
}

# many_through MODE ARGS...: 200 concurrent connections, 1 MiB each way,
# from the tree to this file's echo server, through the proxy of ARGS.
# MODE half-close: each client half-closes and reads to the end, so every
# flow closes both ways before the tree exits; no-half-close: each reads its
# 1 MiB back, then closes (tinyproxy ends a tunnel at the first EOF, see
# below), and the last FINs may still be on their way when the tree exits.
many_through() {
	local mode=$1 ends=close extra=()
	shift
	[[ $mode == half-close ]] || extra=(no-half-close)
	run cf user "$@" --flow-log "$LOG" -- python3 "$BATS_TEST_DIRNAME/many_conns.py" client \
		"$PL_SRV4" 80 200 1048576 150 "${extra[@]}"
	echo "$output"
	[[ $status -eq 0 ]]
	assert_match "$output" "^200 ok, 0 failed$"
	assert_equal "$(connects_ok)" 200
	# all 1 MiB each way of every flow, and no flow reset or timed out
	assert_equal "$(jq -r 'select(.event == "flow_end") | [.bytes_sent, .bytes_received] | @tsv' "$LOG" | sort | uniq -c | awk '{$1 = $1; print}')" \
		"200 1048576 1048576"
	[[ $mode == half-close ]] || ends='close|sandbox_exit'
	assert_equal "$(jq -r 'select(.event == "flow_end") | .end' "$LOG" | grep -cvxE "$ends")" 0
}

@test "200 concurrent connections through tinyproxy each move 1 MiB each way intact" {
	local before
	before=$(grep -c "CONNECT $PL_SRV4:80 " "$LAB_DIR/tinyproxy-noauth.log" || true)
	# tinyproxy 1.11 tears a tunnel down at the client's half-close, before
	# the echo has come back (as it does without childflow)
	many_through no-half-close -p "$HTTP_PX"
	assert_equal "$(($(grep -c "CONNECT $PL_SRV4:80 " "$LAB_DIR/tinyproxy-noauth.log") - before))" 200
}

@test "200 concurrent connections through dante (SOCKS5 user and password) each move 1 MiB each way intact" {
	local before
	# dante logs "tcp/connect [: username%USER@CLIENT PROXY -> OUT TARGET"
	# when a session opens
	before=$(dante_connects "$PL_SRV4\.80")
	many_through half-close -p "$SOCKS_PX" -U "$LAB_SOCKS_USER" -P "$LAB_SOCKS_PASS"
	assert_equal "$(($(dante_connects "$PL_SRV4\.80") - before))" 200
}

# The tree's side of the kill test (sh -c SCRIPT sh ORIGIN SINK DIR): a
# slow download and an upload to a sink that never reads, both through the
# proxy; once both have ended, one connection while the proxy is down, and
# one more once DIR/back exists. Each step's curl/python exit status goes to
# DIR/STEP.rc, its stderr to DIR/STEP.err.
KILL_TREE='
	o=$1 sink=$2 d=$3
	{
		timeout 60 curl -sS -o /dev/null "http://$o/slow/16m.bin?rate=512k" 2>"$d/dl.err"
		echo $? >"$d/dl.rc"
	} &
	{
		timeout 60 python3 -c "
import socket, sys
s = socket.create_connection((sys.argv[1], 443))
while True:
    s.sendall(b\"x\" * 65536)
" "$sink" 2>"$d/ul.err"
		echo $? >"$d/ul.rc"
	} &
	wait
	timeout 10 curl -sS -o /dev/null "http://$o/" 2>"$d/down.err"
	echo $? >"$d/down.rc"
	while [ ! -e "$d/back" ]; do sleep 0.05; done
	timeout 10 curl -sS "http://$o/"
'

# killed_proxy KIND: a proxy of KIND (http: tinyproxy, socks: dante) of
# this test's own is killed (SIGKILL, the whole process group) while the
# tree moves data through it, then started again; one childflow run sees
# it all
killed_proxy() {
	local kind=$1 port px name d pid t cred=() _
	d=$LAB_USER_HOME/kill-$kind
	mkdir "$d"
	chown "$LAB_TEST_USER" "$d"
	if [[ $kind == http ]]; then
		port=8890 name=tinyproxy-kill px=http://$LAB_PROXY4:8890
		cat >"$PL_DIR/$name.conf" <<-CONF
			User nobody
			Group nogroup
			Port $port
			Listen $LAB_PROXY4
			Timeout 600
			LogFile "$PL_DIR/$name.log"
			LogLevel Info
			PidFile "$PL_DIR/$name.pidfile"
			MaxClients 64
			ConnectPort 443
			ConnectPort 80
		CONF
		: >"$PL_DIR/$name.log"
		chown nobody:nogroup "$PL_DIR/$name.log"
		set -- tinyproxy -d -c "$PL_DIR/$name.conf"
	else
		port=1081 name=danted-kill px=socks5://$LAB_PROXY4:1081
		cred=(-U "$LAB_SOCKS_USER" -P "$LAB_SOCKS_PASS")
		sed -e "s/port = $LAB_SOCKS_PORT\$/port = $port/" \
			-e "s|^logoutput: .*|logoutput: $PL_DIR/$name.log|" \
			"$LAB_DIR/danted.conf" >"$PL_DIR/$name.conf"
		set -- danted -f "$PL_DIR/$name.conf" -p "$PL_DIR/$name.pidfile" -N 1
	fi
	pl_spawn "$name" "$LAB_NS_WORLD" "$@"
	pl_wait_listen "$LAB_PROXY4:$port"

	cf user -p "$px" "${cred[@]}" --flow-log "$LOG" -- \
		sh -c "$KILL_TREE" sh "$LAB_ORIGIN4" "$PL_SRV4" "$d" >"$d/out" 2>&1 &
	pid=$!
	# both transfers are through the proxy and moving
	for _ in $(seq 200); do
		[[ -e $LOG && $(connects_ok) == 2 ]] && break
		sleep 0.05
	done
	assert_equal "$(connects_ok)" 2
	sleep 0.5
	[[ ! -e $d/dl.rc && ! -e $d/ul.rc ]]
	kill -KILL -- "-$(cat "$PL_DIR/$name.pid")"
	pl_wait_gone "$LAB_PROXY4:$port"
	# each client sees its error at once, not after a timeout
	t=$(wait_file "$d/dl.rc" 3)
	echo "download ended ${t}s after the kill: $(cat "$d/dl.err")"
	t=$(wait_file "$d/ul.rc" 3)
	echo "upload ended ${t}s after the kill: $(cat "$d/ul.err")"
	assert_equal "$(cat "$d/dl.rc")" 18 # curl: transfer closed, bytes missing
	# python: ConnectionResetError, or BrokenPipeError when the RST came
	# between two sends
	assert_equal "$(cat "$d/ul.rc")" 1
	grep -qE '^(ConnectionResetError|BrokenPipeError):' "$d/ul.err"
	# while the proxy is down, a new connection is refused, fast
	t=$(wait_file "$d/down.rc" 3)
	assert_equal "$(cat "$d/down.rc")" 7 # curl: could not connect
	# started again, it serves the same run
	pl_spawn "$name" "$LAB_NS_WORLD" "$@"
	pl_wait_listen "$LAB_PROXY4:$port"
	touch "$d/back"
	wait "$pid" || { echo "childflow: status $?: $(cat "$d/out")"; return 1; }
	assert_equal "$(cat "$d/out")" "$LAB_ORIGIN_BODY"
	jq -c 'select(.event == "connect_result" or .event == "flow_end")' "$LOG"
	# the flow log: the download saw the proxy's FIN (close), the upload
	# its RST (the killed proxy had unread data): reset
	assert_equal "$(jq -r 'select(.event == "flow_end" and .remote_port == 443) | .end' "$LOG")" reset
	# (a killed proxy with nothing unread sends a FIN, which the engine
	# cannot tell from the end of the stream: it passes it on, and curl
	# sees the bytes missing)
	assert_equal "$(jq -rs '(map(select(.event == "connect_result" and .remote_port == 80)) | min_by(.flow_id) | .flow_id) as $dl |
		.[] | select(.event == "flow_end" and .flow_id == $dl) | .end' "$LOG")" close
	assert_equal "$(jq -r 'select(.event == "connect_result" and .status == "error") | .error' "$LOG")" proxy_refused
	assert_equal "$(jq -r 'select(.event == "connect_result") | .status' "$LOG" | sort | uniq -c | awk '{$1 = $1; print}')" \
		"$(printf '1 error\n3 ok')"
}

@test "tinyproxy killed mid-transfer: the tree's connections end at once, the same run works again after its restart" {
	killed_proxy http
}

@test "dante killed mid-transfer: the tree's connections end at once, the same run works again after its restart" {
	killed_proxy socks
}

# no_direct NAME: capture NAME saw the tree reach the world only through the
# proxy: nothing to or from the origin on the world's link (the proxy talks
# to it over the world's loopback), and something to the proxy
no_direct() {
	assert_equal "$(lab_capture_count "$1" "ip.addr == $LAB_ORIGIN4 || ip.addr == $PL_SRV4")" 0
	assert_lt 0 "$(lab_capture_count "$1" "ip.dst == $LAB_PROXY4 && tcp.dstport == $2")"
}

@test "a statically linked client (busybox wget) goes through the proxy; the origin sees only the proxy" {
	local bb before
	bb=$(command -v busybox)
	file -L "$bb" | grep -q 'statically linked'
	before=$(grep -c "CONNECT $LAB_ORIGIN4:80 " "$LAB_DIR/tinyproxy-noauth.log" || true)
	lab_capture_start static "host $LAB_ORIGIN4 or host $LAB_PROXY4"
	# -Y off and no proxy variables: wget itself would go direct
	run cf user -p "$HTTP_PX" --proxy-only --no-proxy-dns --flow-log "$LOG" -- \
		env -u http_proxy -u HTTP_PROXY "$bb" wget -Y off -q -O - "http://$LAB_ORIGIN4/"
	lab_capture_stop static
	assert_equal "$status" 0
	assert_equal "$output" "$LAB_ORIGIN_BODY"
	assert_equal "$(($(grep -c "CONNECT $LAB_ORIGIN4:80 " "$LAB_DIR/tinyproxy-noauth.log") - before))" 1
	assert_equal "$(connects_ok)" 1
	no_direct static "$LAB_HTTP_PROXY_PORT"
}

@test "programs that ignore proxy variables go through the proxy: python3 http.client (http://), bash /dev/tcp (socks5://)" {
	local before bogus=http://bogus.invalid:1
	local -a env=(env "http_proxy=$bogus" "HTTP_PROXY=$bogus" "https_proxy=$bogus"
		"all_proxy=$bogus" "ALL_PROXY=$bogus")
	lab_capture_start ignore "host $LAB_ORIGIN4 or host $LAB_PROXY4"
	before=$(grep -c "CONNECT $LAB_ORIGIN4:80 " "$LAB_DIR/tinyproxy-noauth.log" || true)
	run cf user -p "$HTTP_PX" --proxy-only --no-proxy-dns --flow-log "$LOG" -- "${env[@]}" python3 -c '
import http.client, sys
c = http.client.HTTPConnection(sys.argv[1], 80, timeout=10)
c.request("GET", "/")
sys.stdout.write(c.getresponse().read().decode())' "$LAB_ORIGIN4"
	assert_equal "$status" 0
	assert_equal "$output" "$LAB_ORIGIN_BODY"
	assert_equal "$(($(grep -c "CONNECT $LAB_ORIGIN4:80 " "$LAB_DIR/tinyproxy-noauth.log") - before))" 1
	assert_equal "$(connects_ok)" 1
	rm -f "$LOG"
	before=$(dante_connects "$LAB_ORIGIN4\.80")
	run cf user -p "$SOCKS_PX" -U "$LAB_SOCKS_USER" -P "$LAB_SOCKS_PASS" --proxy-only --no-proxy-dns \
		--flow-log "$LOG" -- "${env[@]}" bash -c '
exec 3<>"/dev/tcp/$1/80"
printf "GET / HTTP/1.0\r\nHost: %s\r\n\r\n" "$1" >&3
cat <&3' bash "$LAB_ORIGIN4"
	lab_capture_stop ignore
	assert_equal "$status" 0
	assert_equal "${lines[-1]}" "$LAB_ORIGIN_BODY"
	assert_equal "$(($(dante_connects "$LAB_ORIGIN4\.80") - before))" 1
	assert_equal "$(connects_ok)" 1
	no_direct ignore "$LAB_HTTP_PROXY_PORT"
	no_direct ignore "$LAB_SOCKS_PORT"
}

# no_secret SECRET RESULT ARGS...: childflow ARGS as the user, with a flow
# log, once with --summary and once with --summary-format json, then
# --report of that log in text, markdown and json: SECRET appears in none
# of their output (stdout and stderr: errors, summary, report, and the
# tree's own environment, which the command prints but for the lab's LAB_*
# variables bats passes down) nor in the flow log.
# RESULT: the connect_result error expected (ok when none), or "start"
# for a run that fails before the tree starts (125).
no_secret() {
	local secret=$1 want=$2 fmt out=$LAB_USER_HOME/pl-secret-out
	shift 2
	: >"$out"
	for fmt in text json; do
		rm -f "$LOG"
		run cf user "$@" --flow-log "$LOG" --summary --summary-format "$fmt" -- \
			sh -c "curl -sS --max-time 10 -o /dev/null http://$LAB_ORIGIN4/; env | grep -v '^LAB_'"
		printf '%s\n' "$output" >>"$out"
		cat "$LOG" >>"$out" 2>/dev/null || true
		if [[ $want == start ]]; then
			assert_equal "$status" 125
			[[ $output == *"childflow: cannot resolve the proxy host nosuch.invalid"* ]]
		else
			assert_equal "$status" 0
			assert_equal "$(jq -r 'select(.event == "connect_result") | .error // "ok"' "$LOG")" "$want"
			[[ $output == *"USER=$LAB_TEST_USER"* ]] # the tree's env was printed
		fi
		# the summary names the proxy and that it has credentials
		if [[ $fmt == json ]]; then
			[[ $output == *'"proxy_credentials": true'* ]]
		elif [[ $want != start ]]; then
			[[ $output == *"(with credentials)"* ]]
		fi
	done
	for fmt in text markdown json; do
		# (without the variable: alone, it is a usage error even here)
		run env -u CHILDFLOW_PROXY_PASSWORD "$CHILDFLOW" --report "$LOG" --report-format "$fmt"
		assert_equal "$status" 0
		printf '%s\n' "$output" >>"$out"
	done
	if grep -nF -- "$secret" "$out"; then
		echo "the password $secret leaked (above)"
		return 1
	fi
}

@test "the proxy password never shows: flow log, summary, report, errors, the tree's environment" {
	local h=$LAB_PROXY4:$LAB_HTTP_PROXY_AUTH_PORT s=$LAB_PROXY4:$LAB_SOCKS_PORT
	local u=$LAB_PROXY_USER p=$LAB_PROXY_PASS su=$LAB_SOCKS_USER sp=$LAB_SOCKS_PASS
	local bad=Wr0ng-pa55word
	# right credentials from -U/-P, from the URI, from the environment
	no_secret "$p" ok -p "http://$h" -U "$u" -P "$p"
	no_secret "$p" ok -p "http://$u:$p@$h"
	CHILDFLOW_PROXY_PASSWORD=$p no_secret "$p" ok -p "http://$h" -U "$u"
	no_secret "$sp" ok -p "socks5://$s" -U "$su" -P "$sp"
	no_secret "$sp" ok -p "socks5://$su:$sp@$s"
	CHILDFLOW_PROXY_PASSWORD=$sp no_secret "$sp" ok -p "socks5://$s" -U "$su"
	# wrong ones, which the proxies refuse
	no_secret "$bad" proxy_auth_failed -p "http://$h" -U "$u" -P "$bad"
	no_secret "$bad" proxy_auth_failed -p "http://$u:$bad@$h"
	CHILDFLOW_PROXY_PASSWORD=$bad no_secret "$bad" proxy_auth_failed -p "http://$h" -U "$u"
	no_secret "$bad" proxy_auth_failed -p "socks5://$s" -U "$su" -P "$bad"
	no_secret "$bad" proxy_auth_failed -p "socks5://$su:$bad@$s"
	CHILDFLOW_PROXY_PASSWORD=$bad no_secret "$bad" proxy_auth_failed -p "socks5://$s" -U "$su"
	# a run that fails at start, naming the proxy
	no_secret "$bad" start -p "http://$u:$bad@nosuch.invalid:8080"
	CHILDFLOW_PROXY_PASSWORD=$bad no_secret "$bad" start -p "socks5://nosuch.invalid:1080" -U "$su"
}
