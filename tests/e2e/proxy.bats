#!/usr/bin/env bats
# --proxy http://, https:// and socks5:// (src/engine/tcp.c and
# tcp_tls.c with src/proxy/handshake.c and tls.c), in the lab as the
# unprivileged user: every TCP connection of the tree goes through the
# proxy, with and without credentials; wrong credentials, a proxy that is
# down and a TLS certificate that does not verify fail fast with the flow
# log saying why; --proxy-only denies what cannot go through the proxy;
# many concurrent proxied connections, and large transfers both ways
# through TLS, move their bytes intact.
#
# https:// proxies: the lab's stunnel fronts the no-auth tinyproxy on
# proxy.test (:8443 lab CA, :8444 self-signed, :8445 a certificate for
# wrong.test only). This file adds two TLS servers of its own with socat
# on the proxy's address: one in front of the Basic-auth tinyproxy, and a
# scripted proxy that answers CONNECT with bytes of its own in the same
# TLS record and replies to the tree's half-close.

# shellcheck disable=SC2016 # single-quoted scripts run in the tree's shell

load helpers
load engine

HTTPS_AUTH_PORT=8450   # socat TLS (proxy.pem) -> tinyproxy with Basic auth
HTTPS_SCRIPT_PORT=8451 # socat TLS (proxy.pem) -> a scripted CONNECT reply

# world_tls_server PORT TARGET: a TLS server on LAB_PROXY4:PORT with the
# lab's proxy certificate, relaying to the socat address TARGET, until
# teardown_file
world_tls_server() {
	local port=$1 target=$2
	setsid ip netns exec "$LAB_NS_WORLD" socat -t 5 \
		"OPENSSL-LISTEN:$port,bind=$LAB_PROXY4,reuseaddr,fork,cert=$LAB_DIR/certs/proxy.pem,key=$LAB_DIR/certs/proxy.key,verify=0" \
		"$target" \
		</dev/null >"$BATS_FILE_TMPDIR/socat-$port.log" 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
	echo "$!" >>"$BATS_FILE_TMPDIR/pids"
	world_wait_listen "$port"
}

setup_file() {
	lab_file_up
	: >"$BATS_FILE_TMPDIR/pids"
	world_tls_server "$HTTPS_AUTH_PORT" "TCP4:$LAB_PROXY4:$LAB_HTTP_PROXY_AUTH_PORT"
	# reads the CONNECT request, answers it with "early" in the same
	# write, then sends back the byte count of the tunnel once the tree
	# has closed its side
	cat >"$BATS_FILE_TMPDIR/scripted-proxy" <<-'EOF'
		#!/bin/sh
		sed -u '/^\r$/q' >/dev/null
		printf 'HTTP/1.1 200 Connection established\r\n\r\nearly\n'
		wc -c
	EOF
	chmod 0755 "$BATS_FILE_TMPDIR/scripted-proxy"
	world_tls_server "$HTTPS_SCRIPT_PORT" "EXEC:$BATS_FILE_TMPDIR/scripted-proxy"
	head -c 64M /dev/urandom >"$LAB_WWW/big64.bin"
	chmod 0644 "$LAB_WWW/big64.bin"
	BIG64_SHA=$(sha256sum <"$LAB_WWW/big64.bin" | cut -d' ' -f1)
	export BIG64_SHA
}

teardown_file() {
	local pid
	while read -r pid; do
		kill "$pid" 2>/dev/null || true
	done <"$BATS_FILE_TMPDIR/pids"
	rm -f "$LAB_WWW/big64.bin"
	lab_file_down
}

setup() {
	require_childflow
	LOG=$LAB_USER_HOME/proxy-flows-$BATS_TEST_NUMBER.jsonl
	HTTP_PX=http://$LAB_PROXY4:$LAB_HTTP_PROXY_PORT
	HTTP_AUTH_PX=http://$LAB_PROXY4:$LAB_HTTP_PROXY_AUTH_PORT
	SOCKS_PX=socks5://$LAB_PROXY4:$LAB_SOCKS_PORT
	HTTPS_PX=https://$LAB_PROXY_NAME:$LAB_HTTPS_PROXY_PORT
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
	run cf user -p http://nosuch.invalid:8080 --flow-log "$LOG" -- touch "$LAB_USER_HOME/px-ran"
	assert_equal "$status" 125
	[[ $output == *"cannot resolve the proxy host nosuch.invalid"* ]]
	assert_equal "$(jq -r 'select(.event == "runtime_failure") | [.phase, .reason_code] | @tsv' "$LOG")" "$(printf 'preflight\tproxy_unresolvable')"
	[[ ! -e $LAB_USER_HOME/px-ran ]]
}

# connect_detail: the error_detail of the failed connect_result lines of $LOG
connect_detail() {
	jq -r 'select(.event == "connect_result" and .error != null) | .error_detail' "$LOG" | sort -u
}

# log_count FILE PATTERN: lines of FILE holding the fixed string PATTERN
log_count() {
	grep -cF -- "$2" "$1" || true
}

@test "https:// proxy (--proxy-ca): curl over HTTP and HTTPS reaches the origin; stunnel and tinyproxy see the CONNECTs" {
	local tiny=$LAB_DIR/tinyproxy-noauth.log stun=$LAB_DIR/stunnel.log
	local c80 c443 acc
	c80=$(log_count "$tiny" "CONNECT $LAB_ORIGIN4:80 ")
	c443=$(log_count "$tiny" "CONNECT $LAB_ORIGIN4:443 ")
	acc=$(log_count "$stun" "Service [https-proxy] accepted connection")
	run cf user -p "$HTTPS_PX" --proxy-ca "$LAB_CA" --flow-log "$LOG" -- curl -sS --max-time 10 "http://$LAB_ORIGIN4/"
	assert_equal "$output" "$LAB_ORIGIN_BODY"
	assert_equal "$(jq -r 'select(.event == "connect_result") | [.status, .via_proxy] | @tsv' "$LOG" | sort -u)" "$(printf 'ok\ttrue')"
	# TLS to the origin inside TLS to the proxy, by name
	run cf user -p "$HTTPS_PX" --proxy-ca "$LAB_CA" -- curl -sS --max-time 10 --cacert "$LAB_CA" "https://$LAB_ORIGIN_NAME/"
	assert_equal "$output" "$LAB_ORIGIN_BODY"
	# the proxy by its IP address, which its certificate names too
	run cf user -p "https://$LAB_PROXY4:$LAB_HTTPS_PROXY_PORT" --proxy-ca "$LAB_CA" -- curl -sS --max-time 10 "http://$LAB_ORIGIN4/"
	assert_equal "$output" "$LAB_ORIGIN_BODY"
	# --proxy-only: the proxied connection is allowed
	run cf user -p "$HTTPS_PX" --proxy-ca "$LAB_CA" --proxy-only --no-proxy-dns -- curl -sS --max-time 10 "http://$LAB_ORIGIN4/"
	assert_equal "$output" "$LAB_ORIGIN_BODY"
	assert_equal "$(log_count "$tiny" "CONNECT $LAB_ORIGIN4:80 ")" "$((c80 + 3))"
	assert_equal "$(log_count "$tiny" "CONNECT $LAB_ORIGIN4:443 ")" "$((c443 + 1))"
	assert_equal "$(log_count "$stun" "Service [https-proxy] accepted connection")" "$((acc + 4))"
}

@test "self-signed https:// proxy: refused fast with tls_failed, works with --proxy-insecure" {
	user_fails_fast 3 -p "https://$LAB_PROXY_NAME:$LAB_HTTPS_PROXY_SELFSIGNED_PORT" --flow-log "$LOG" -- curl -sS --max-time 10 "http://$LAB_ORIGIN4/"
	# curl saw a refused connection (exit 7), not a timeout
	assert_equal "$CF_STATUS" 7
	assert_equal "$(connect_errors)" tls_failed
	assert_equal "$(connect_detail)" "certificate verify failed: self-signed certificate"
	run cf user -p "https://$LAB_PROXY_NAME:$LAB_HTTPS_PROXY_SELFSIGNED_PORT" --proxy-insecure -- curl -sS --max-time 10 "http://$LAB_ORIGIN4/"
	assert_equal "$output" "$LAB_ORIGIN_BODY"
}

@test "https:// proxy whose certificate names another host fails even with --proxy-insecure; a server without TLS fails too" {
	local px=https://$LAB_PROXY_NAME:$LAB_HTTPS_PROXY_WRONGNAME_PORT
	user_fails_fast 3 -p "$px" --proxy-ca "$LAB_CA" --flow-log "$LOG" -- curl -sS --max-time 10 "http://$LAB_ORIGIN4/"
	assert_equal "$CF_STATUS" 7
	assert_equal "$(connect_errors)" tls_failed
	assert_equal "$(connect_detail)" "hostname mismatch: certificate is for $LAB_HTTPS_PROXY_WRONGNAME, not $LAB_PROXY_NAME"
	rm -f "$LOG"
	user_fails_fast 3 -p "$px" --proxy-insecure --flow-log "$LOG" -- curl -sS --max-time 10 "http://$LAB_ORIGIN4/"
	assert_equal "$CF_STATUS" 7
	assert_equal "$(connect_errors)" tls_failed
	assert_equal "$(connect_detail)" "hostname mismatch: certificate is for $LAB_HTTPS_PROXY_WRONGNAME, not $LAB_PROXY_NAME"
	# a server without TLS (nginx's port 80 answers the ClientHello with
	# a plain HTTP 400)
	rm -f "$LOG"
	user_fails_fast 3 -p "https://$LAB_ORIGIN_NAME:80" --proxy-ca "$LAB_CA" --flow-log "$LOG" -- curl -sS --max-time 10 "http://$LAB_ORIGIN4/"
	assert_equal "$CF_STATUS" 7
	assert_equal "$(connect_errors)" tls_failed
	assert_equal "$(connect_detail)" "wrong version number (is the proxy speaking TLS?)"
}

@test "https:// proxy with Basic auth: works; a wrong password is proxy_auth_failed; no password reaches the flow log" {
	local px=https://$LAB_PROXY_NAME:$HTTPS_AUTH_PORT before b64
	before=$(log_count "$LAB_DIR/tinyproxy-auth.log" "CONNECT $LAB_ORIGIN4:80 ")
	run cf user -p "$px" --proxy-ca "$LAB_CA" -U "$LAB_PROXY_USER" -P "$LAB_PROXY_PASS" --flow-log "$LOG" -- curl -sS --max-time 10 "http://$LAB_ORIGIN4/"
	assert_equal "$output" "$LAB_ORIGIN_BODY"
	assert_equal "$(log_count "$LAB_DIR/tinyproxy-auth.log" "CONNECT $LAB_ORIGIN4:80 ")" "$((before + 1))"
	b64=$(printf '%s:%s' "$LAB_PROXY_USER" "$LAB_PROXY_PASS" | base64)
	run -1 grep -F -e "$LAB_PROXY_PASS" -e "$b64" "$LOG"
	rm -f "$LOG"
	user_fails_fast 3 -p "$px" --proxy-ca "$LAB_CA" -U "$LAB_PROXY_USER" -P wrong-secret-42 --flow-log "$LOG" -- curl -sS --max-time 10 "http://$LAB_ORIGIN4/"
	assert_equal "$CF_STATUS" 7
	assert_equal "$(connect_errors)" proxy_auth_failed
	connect_detail | grep -q ' 401 '
	b64=$(printf '%s:%s' "$LAB_PROXY_USER" wrong-secret-42 | base64)
	run -1 grep -F -e wrong-secret-42 -e "$b64" "$LOG"
	[[ $CF_OUT != *wrong-secret-42* && $CF_OUT != *"$b64"* ]]
}

@test "64 MiB down and 64 MiB up through the https:// proxy arrive intact" {
	run cf user -p "$HTTPS_PX" --proxy-ca "$LAB_CA" --flow-log "$LOG" -- sh -c "curl -sS --max-time 120 http://$LAB_ORIGIN4/big64.bin | sha256sum"
	[[ $status -eq 0 ]]
	assert_equal "${output%% *}" "$BIG64_SHA"
	assert_lt $((64 << 20)) "$(jq -r 'select(.event == "flow_end") | .bytes_received' "$LOG")"
	rm -f "$LAB_UPLOAD_DIR/px-up64.bin" "$LOG"
	run cf user -p "$HTTPS_PX" --proxy-ca "$LAB_CA" --flow-log "$LOG" -- curl -sS --max-time 120 -o /dev/null -w '%{http_code}' -T "$LAB_WWW/big64.bin" "http://$LAB_ORIGIN4/upload/px-up64.bin"
	[[ $status -eq 0 ]]
	assert_match "$output" '^20[14]$'
	assert_equal "$(sha256sum <"$LAB_UPLOAD_DIR/px-up64.bin" | cut -d' ' -f1)" "$BIG64_SHA"
	assert_lt $((64 << 20)) "$(jq -r 'select(.event == "flow_end") | .bytes_sent' "$LOG")"
	rm -f "$LAB_UPLOAD_DIR/px-up64.bin"
}

@test "16 MiB down and up through the https:// proxy intact with 2% loss both ways in the tree" {
	# retransmissions to the tree come from the flow's plaintext buffer
	local token pid out=$LAB_USER_HOME/pxs-lossy
	token=cfpxloss-$$-$RANDOM
	rm -f "$LAB_UPLOAD_DIR/px-lossy.bin" "$out".*
	cf user -p "$HTTPS_PX" --proxy-ca "$LAB_CA" -- sh -c ": $token; while [ ! -e $out.go ]; do sleep 0.05; done
		curl -sS --max-time 120 http://$LAB_ORIGIN4/16m.bin | sha256sum >$out.down
		curl -sS --max-time 120 -o /dev/null -T $LAB_WWW/16m.bin http://$LAB_ORIGIN4/upload/px-lossy.bin" &
	pid=$(tree_pid "$token")
	tree_loss "$pid" 2
	touch "$out.go"
	wait
	assert_equal "$(cut -d' ' -f1 "$out.down")" "$LAB_SHA256_16M"
	assert_equal "$(sha256sum <"$LAB_UPLOAD_DIR/px-lossy.bin" | cut -d' ' -f1)" "$LAB_SHA256_16M"
	rm -f "$LAB_UPLOAD_DIR/px-lossy.bin" "$out".*
}

@test "30 concurrent connections through the https:// proxy each move 1 MiB intact" {
	run cf user -p "$HTTPS_PX" --proxy-ca "$LAB_CA" -- sh -c '
		for i in $(seq 30); do
			curl -sS --max-time 60 "http://'"$LAB_ORIGIN4"'/1m.bin" | sha256sum | cut -d" " -f1 >"$HOME/pxs-sum-$i" &
		done
		wait
		cat "$HOME"/pxs-sum-* | sort | uniq -c; rm -f "$HOME"/pxs-sum-*'
	assert_equal "$(echo "$output" | awk '{print $1, $2}')" "30 $LAB_SHA256_1M"
}

@test "https:// proxy: bytes sent with the CONNECT reply reach the tree; the tree's half-close reaches the proxy, whose answer comes back" {
	# the scripted proxy sends "early" in the reply's TLS record, then
	# the count of the bytes it got once the tree's FIN became its EOF
	run cf user -p "https://$LAB_PROXY_NAME:$HTTPS_SCRIPT_PORT" --proxy-ca "$LAB_CA" --flow-log "$LOG" -- sh -c "printf 0123456789 | socat -t 5 - TCP:$LAB_ORIGIN4:80"
	assert_equal "$output" "$(printf 'early\n10')"
	assert_equal "$(jq -r 'select(.event == "flow_end") | [.bytes_sent, .bytes_received] | @tsv' "$LOG")" "$(printf '10\t9')"
}

@test "without its TLS module childflow refuses an https:// proxy with 125; other runs do not need it" {
	local dir=$LAB_USER_HOME/cf-alone
	[[ ! -e /usr/local/lib/x86_64-linux-gnu/childflow/childflow-tls.so ]] ||
		skip "an installed TLS module would be found"
	mkdir -p "$dir"
	cp "$CHILDFLOW" "$dir/childflow"
	chmod 0755 "$dir" "$dir/childflow"
	run lab_user "$dir/childflow" -p "$HTTPS_PX" --proxy-ca "$LAB_CA" --flow-log "$LOG" -- touch "$LAB_USER_HOME/nomod-ran"
	assert_equal "$status" 125
	assert_match "$output" "needs childflow's TLS module, which cannot be loaded"
	[[ ! -e $LAB_USER_HOME/nomod-ran ]]
	assert_equal "$(jq -r 'select(.event == "runtime_failure") | .reason_code' "$LOG")" proxy_tls_unavailable
	# plain proxies and direct runs never load it
	run lab_user "$dir/childflow" -p "$HTTP_PX" -- curl -sS --max-time 10 "http://$LAB_ORIGIN4/"
	assert_equal "$output" "$LAB_ORIGIN_BODY"
}

@test "an --proxy-ca without a certificate in it stops the run with 125 before the command starts" {
	printf 'not a certificate\n' >"$LAB_USER_HOME/bad-ca.pem"
	run cf user -p "$HTTPS_PX" --proxy-ca "$LAB_USER_HOME/bad-ca.pem" --flow-log "$LOG" -- touch "$LAB_USER_HOME/pxs-ran"
	assert_equal "$status" 125
	assert_match "$output" "--proxy-ca $LAB_USER_HOME/bad-ca.pem: no PEM certificate could be loaded"
	[[ ! -e $LAB_USER_HOME/pxs-ran ]]
	assert_equal "$(jq -r 'select(.event == "runtime_failure") | .reason_code' "$LOG")" proxy_tls_unavailable
}
