#!/usr/bin/env bats
# --proxy http:// and socks5:// (src/engine/tcp.c with src/proxy/
# handshake.c), in the lab as the unprivileged user: every TCP connection
# of the tree goes through the proxy, with and without credentials; wrong
# credentials and a proxy that is down fail fast with the flow log saying
# why; --proxy-only denies what cannot go through the proxy; many
# concurrent proxied connections move their bytes intact.

# shellcheck disable=SC2016 # single-quoted scripts run in the tree's shell

load helpers
load engine

setup_file() {
	lab_file_up
}

teardown_file() {
	lab_file_down
}

setup() {
	require_childflow
	LOG=$LAB_USER_HOME/proxy-flows-$BATS_TEST_NUMBER.jsonl
	HTTP_PX=http://$LAB_PROXY4:$LAB_HTTP_PROXY_PORT
	HTTP_AUTH_PX=http://$LAB_PROXY4:$LAB_HTTP_PROXY_AUTH_PORT
	SOCKS_PX=socks5://$LAB_PROXY4:$LAB_SOCKS_PORT
}

# user_fails_fast SECONDS ARGS...: childflow ARGS as the user must fail
# within SECONDS
user_fails_fast() {
	local limit=$1
	shift
	cf_timed user "$@"
	[[ $CF_STATUS -ne 0 ]] || { echo "succeeded: $CF_OUT"; return 1; }
	assert_lt "$CF_SECONDS" "$limit"
}

# connect_errors: the error codes of the connect_result lines of $LOG
connect_errors() {
	jq -r 'select(.event == "connect_result" and .error != null) | .error' "$LOG" | sort -u
}

@test "http:// proxy without auth: curl reaches the origin, tinyproxy logs the CONNECT" {
	local before
	before=$(grep -c "CONNECT $LAB_ORIGIN4:80" "$LAB_DIR/tinyproxy-noauth.log" || true)
	run cf user -p "$HTTP_PX" --flow-log "$LOG" -- curl -sS --max-time 10 "http://$LAB_ORIGIN4/"
	assert_equal "$output" "$LAB_ORIGIN_BODY"
	assert_lt "$before" "$(grep -c "CONNECT $LAB_ORIGIN4:80" "$LAB_DIR/tinyproxy-noauth.log")"
	assert_equal "$(jq -r 'select(.event == "connect_result") | [.status, .via_proxy] | @tsv' "$LOG" | sort -u)" "$(printf 'ok\ttrue')"
}

@test "http:// proxy with Basic auth" {
	local before
	before=$(grep -c "CONNECT $LAB_ORIGIN4:80" "$LAB_DIR/tinyproxy-auth.log" || true)
	run cf user -p "$HTTP_AUTH_PX" -U "$LAB_PROXY_USER" -P "$LAB_PROXY_PASS" --no-proxy-dns -- curl -sS --max-time 10 "http://$LAB_ORIGIN4/"
	assert_equal "$output" "$LAB_ORIGIN_BODY"
	assert_lt "$before" "$(grep -c "CONNECT $LAB_ORIGIN4:80" "$LAB_DIR/tinyproxy-auth.log")"
}

@test "socks5:// proxy with user and password (dante)" {
	run cf user -p "$SOCKS_PX" -U "$LAB_SOCKS_USER" -P "$LAB_SOCKS_PASS" -- curl -sS --max-time 10 "http://$LAB_ORIGIN4/"
	assert_equal "$output" "$LAB_ORIGIN_BODY"
	grep -q "$LAB_ORIGIN4" "$LAB_DIR/danted.log"
}

@test "a program that ignores proxy variables goes through the proxy; with --proxy-only the origin sees only the proxy" {
	lab_capture_start pxonly "host $LAB_ORIGIN4 or host $LAB_PROXY4"
	run cf user -p "$HTTP_PX" --proxy-only --no-proxy-dns -- env -u http_proxy -u HTTP_PROXY -u all_proxy -u ALL_PROXY curl -sS --noproxy '*' --max-time 10 "http://$LAB_ORIGIN4/"
	lab_capture_stop pxonly
	assert_equal "$output" "$LAB_ORIGIN_BODY"
	# the tree's connection crossed the world link to the proxy only
	assert_equal "$(lab_capture_count pxonly "ip.dst == $LAB_ORIGIN4 && ip.src != $LAB_PROXY4")" 0
	assert_lt 0 "$(lab_capture_count pxonly "tcp.dstport == $LAB_HTTP_PROXY_PORT")"
}

@test "wrong credentials fail fast: proxy_auth_failed" {
	# tinyproxy answers 407 to missing credentials (proxy_auth_failed)...
	user_fails_fast 5 -p "$HTTP_AUTH_PX" --flow-log "$LOG" -- curl -sS --max-time 10 "http://$LAB_ORIGIN4/"
	assert_equal "$(connect_errors)" proxy_auth_failed
	# ...and 401 to wrong ones, which is an authentication failure too
	rm -f "$LOG"
	user_fails_fast 5 -p "$HTTP_AUTH_PX" -U "$LAB_PROXY_USER" -P wrong --flow-log "$LOG" -- curl -sS --max-time 10 "http://$LAB_ORIGIN4/"
	assert_equal "$(connect_errors)" proxy_auth_failed
	jq -r 'select(.event == "connect_result") | .error_detail' "$LOG" | grep -q ' 401 '
	rm -f "$LOG"
	user_fails_fast 5 -p "$SOCKS_PX" -U "$LAB_SOCKS_USER" -P wrong --flow-log "$LOG" -- curl -sS --max-time 10 "http://$LAB_ORIGIN4/"
	assert_equal "$(connect_errors)" proxy_auth_failed
}

@test "proxy down fails fast: proxy_refused" {
	user_fails_fast 5 -p "http://$LAB_PROXY4:9" --flow-log "$LOG" -- curl -sS --max-time 10 "http://$LAB_ORIGIN4/"
	assert_equal "$(connect_errors)" proxy_refused
	assert_equal "$(jq -r 'select(.event == "connect_result" and .error != null) | .error_detail' "$LOG" | sort -u)" "proxy $LAB_PROXY4:9 refused the connection"
}

@test "--proxy-only: direct DNS and UDP are denied with proxy_only" {
	user_fails_fast 8 -p "$HTTP_PX" --proxy-only --no-proxy-dns --flow-log "$LOG" -- dig +tries=1 +time=2 "@$LAB_DNS4" origin.test
	assert_equal "$(jq -r 'select(.event == "policy_violation") | .reason_code' "$LOG" | sort -u)" proxy_only
	# the engine's own resolver too: without --proxy-dns it cannot go
	# through the proxy
	rm -f "$LOG"
	cf_timed user -p "$HTTP_PX" --proxy-only --no-proxy-dns --flow-log "$LOG" -- dig +tries=1 +time=2 origin.test
	assert_match "$CF_OUT" "status: REFUSED"
	assert_lt "$CF_SECONDS" 8
	assert_equal "$(jq -r 'select(.event == "policy_violation") | [.protocol, .reason_code] | @tsv' "$LOG" | sort -u)" "$(printf 'dns\tproxy_only')"
	rm -f "$LOG"
	cf user -p "$HTTP_PX" --proxy-only --no-proxy-dns --flow-log "$LOG" -- sh -c "echo x | socat -u - UDP:$LAB_ORIGIN4:9" || true
	assert_equal "$(jq -r 'select(.event == "policy_violation") | [.protocol, .reason_code] | @tsv' "$LOG" | sort -u)" "$(printf 'udp\tproxy_only')"
}

@test "50 concurrent proxied connections each move 1 MiB intact" {
	run cf user -p "$HTTP_PX" -- sh -c '
		for i in $(seq 50); do
			curl -sS --max-time 60 "http://'"$LAB_ORIGIN4"'/1m.bin" | sha256sum | cut -d" " -f1 >"$HOME/px-sum-$i" &
		done
		wait
		cat "$HOME"/px-sum-* | sort | uniq -c; rm -f "$HOME"/px-sum-*'
	assert_equal "$(echo "$output" | awk '{print $1, $2}')" "50 $LAB_SHA256_1M"
}

@test "a proxy host that cannot be resolved fails the run with 125" {
	run cf user -p http://nosuch.invalid:8080 -- touch "$LAB_USER_HOME/px-ran"
	assert_equal "$status" 125
	[[ $output == *"cannot resolve the proxy host nosuch.invalid"* ]]
	[[ ! -e $LAB_USER_HOME/px-ran ]]
}
