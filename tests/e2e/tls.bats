#!/usr/bin/env bats
# TLS to https:// proxies (src/proxy/tls.c) against the lab's real servers:
# stunnel in front of tinyproxy on proxy.test (lab CA, self-signed, wrong
# name), and two socat TLS proxies this file starts on the proxy's IPv6
# address. tests/tools/tls_probe runs the product's TLS client and CONNECT
# state machine on an epoll loop as the engine does, in the lab's host
# namespace, and prints key=value lines (result, detail, tls, ...).
#
# Certificates (tests/lab/lab.bash, lab__build_content): proxy.pem names
# DNS:proxy.test, IP:203.0.113.30 and IP:2001:db8::30; selfsigned.pem
# DNS:proxy.test and IP:203.0.113.30 only; wrongname.pem DNS:wrong.test
# only. stunnel listens on IPv4 only, hence the socat proxies for IPv6.

load helpers
load engine

TLS_PROBE=${TLS_PROBE:-$BATS_TEST_DIRNAME/../../build/tests/tools/tls_probe}
PROXY6_PORT=8446            # socat, proxy.pem (names the IPv6 address)
PROXY6_SELFSIGNED_PORT=8447 # socat, selfsigned.pem (does not)

# socat_proxy PORT CERT: a TLS proxy on [LAB_PROXY6]:PORT in front of the
# no-auth tinyproxy, until teardown_file
socat_proxy() {
	local port=$1 cert=$2
	setsid ip netns exec "$LAB_NS_WORLD" socat \
		"OPENSSL-LISTEN:$port,pf=ip6,bind=[$LAB_PROXY6],reuseaddr,fork,cert=$LAB_DIR/certs/$cert.pem,key=$LAB_DIR/certs/$cert.key,verify=0" \
		"TCP4:$LAB_PROXY4:$LAB_HTTP_PROXY_PORT" \
		</dev/null >"$BATS_FILE_TMPDIR/socat-$port.log" 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
	echo "$!" >>"$BATS_FILE_TMPDIR/pids"
	world_wait_listen "$port"
}

setup_file() {
	lab_file_up
	: >"$BATS_FILE_TMPDIR/pids"
	socat_proxy "$PROXY6_PORT" proxy
	socat_proxy "$PROXY6_SELFSIGNED_PORT" selfsigned
}

teardown_file() {
	local pid
	while read -r pid; do
		kill "$pid" 2>/dev/null || true
	done <"$BATS_FILE_TMPDIR/pids"
	lab_file_down
}

setup() {
	[[ -x $TLS_PROBE ]] || skip "tls_probe not built: $TLS_PROBE"
}

# probe ARGS...: tls_probe ARGS... in the host namespace, into $output and
# $status
probe() {
	run lab_host "$TLS_PROBE" "$@"
}

# field NAME: the value of NAME= in $output
field() {
	sed -n "s/^$1=//p" <<<"$output"
}

# expect_ok: the last probe fetched the page
expect_ok() {
	if [[ $status -ne 0 ]]; then
		echo "$output" >&2
		return 1
	fi
	assert_equal "$(field result)" ok
	assert_equal "$(field http_status)" 200
}

# expect_tls_failed DETAIL: the last probe failed the TLS handshake so
expect_tls_failed() {
	assert_equal "$status" 1
	assert_equal "$(field result)" tls_failed
	assert_equal "$(field detail)" "$1"
	assert_equal "$(field sent_bytes)" 0
}

proxy_url() { echo "https://$LAB_PROXY_NAME:$1"; }

@test "trusted with --proxy-ca: the page arrives over TLS 1.3" {
	probe --ca "$LAB_CA" --out "$BATS_TEST_TMPDIR/body" \
		"$(proxy_url "$LAB_HTTPS_PROXY_PORT")" "$LAB_ORIGIN4" 80 /
	expect_ok
	assert_equal "$(cat "$BATS_TEST_TMPDIR/body")" "$LAB_ORIGIN_BODY"
	assert_match "$(field tls)" '^TLSv1\.3 '
	[[ $(field tls) != *"not verified"* ]]
	# the proxy saw a CONNECT for the origin
	grep -q "CONNECT $LAB_ORIGIN4:80" "$LAB_DIR/tinyproxy-noauth.log"
}

@test "trusted via SSL_CERT_FILE, or a hashed SSL_CERT_DIR" {
	probe_env() { run lab_host env "$@"; }
	probe_env SSL_CERT_FILE="$LAB_CA" "$TLS_PROBE" \
		"$(proxy_url "$LAB_HTTPS_PROXY_PORT")" "$LAB_ORIGIN4" 80 /
	expect_ok
	assert_equal "$(field body_bytes)" "$((${#LAB_ORIGIN_BODY} + 1))" # + newline

	mkdir "$BATS_TEST_TMPDIR/certs"
	cp "$LAB_CA" "$BATS_TEST_TMPDIR/certs/lab-ca.pem"
	openssl rehash "$BATS_TEST_TMPDIR/certs"
	probe_env SSL_CERT_FILE=/nonexistent SSL_CERT_DIR="$BATS_TEST_TMPDIR/certs" \
		"$TLS_PROBE" "$(proxy_url "$LAB_HTTPS_PROXY_PORT")" "$LAB_ORIGIN4" 80 /
	expect_ok
}

@test "without the CA: tls_failed, certificate verify failed" {
	probe "$(proxy_url "$LAB_HTTPS_PROXY_PORT")" "$LAB_ORIGIN4" 80 /
	expect_tls_failed "certificate verify failed: unable to get local issuer certificate"
	# --proxy-insecure alone does trust it: the name matches
	probe --insecure "$(proxy_url "$LAB_HTTPS_PROXY_PORT")" "$LAB_ORIGIN4" 80 /
	expect_ok
	assert_match "$(field tls)" 'chain not verified \(--proxy-insecure\): unable to get local issuer certificate$'
}

@test "self-signed: tls_failed without --proxy-insecure, works with it or pinned" {
	local url
	url=$(proxy_url "$LAB_HTTPS_PROXY_SELFSIGNED_PORT")
	probe --ca "$LAB_CA" "$url" "$LAB_ORIGIN4" 80 /
	expect_tls_failed "certificate verify failed: self-signed certificate"

	probe --insecure "$url" "$LAB_ORIGIN4" 80 /
	expect_ok
	assert_match "$(field tls)" 'chain not verified \(--proxy-insecure\): self-signed certificate$'

	# the certificate itself as --proxy-ca
	probe --ca "$LAB_DIR/certs/selfsigned.pem" "$url" "$LAB_ORIGIN4" 80 /
	expect_ok
}

@test "wrong hostname: tls_failed, even with --proxy-insecure" {
	local url want
	url=$(proxy_url "$LAB_HTTPS_PROXY_WRONGNAME_PORT")
	want="hostname mismatch: certificate is for $LAB_HTTPS_PROXY_WRONGNAME, not $LAB_PROXY_NAME"
	probe --ca "$LAB_CA" "$url" "$LAB_ORIGIN4" 80 /
	expect_tls_failed "$want"
	probe --ca "$LAB_CA" --insecure "$url" "$LAB_ORIGIN4" 80 /
	expect_tls_failed "$want"
	probe --insecure "$url" "$LAB_ORIGIN4" 80 /
	expect_tls_failed "$want"
}

@test "IPv4 literal proxy: checked against the certificate's IP addresses" {
	probe --ca "$LAB_CA" "https://$LAB_PROXY4:$LAB_HTTPS_PROXY_PORT" "$LAB_ORIGIN4" 80 /
	expect_ok
	probe --insecure "https://$LAB_PROXY4:$LAB_HTTPS_PROXY_SELFSIGNED_PORT" "$LAB_ORIGIN4" 80 /
	expect_ok
	# wrongname.pem has no IP address at all; its DNS name does not count
	probe --ca "$LAB_CA" --insecure "https://$LAB_PROXY4:$LAB_HTTPS_PROXY_WRONGNAME_PORT" \
		"$LAB_ORIGIN4" 80 /
	expect_tls_failed "IP address mismatch: certificate is for $LAB_HTTPS_PROXY_WRONGNAME, not $LAB_PROXY4"
}

@test "IPv6 literal proxy: checked against the certificate's IP addresses" {
	probe --ca "$LAB_CA" "https://[$LAB_PROXY6]:$PROXY6_PORT" "$LAB_ORIGIN4" 80 /
	expect_ok
	# selfsigned.pem names 203.0.113.30 but not 2001:db8::30
	probe --insecure "https://[$LAB_PROXY6]:$PROXY6_SELFSIGNED_PORT" "$LAB_ORIGIN4" 80 /
	expect_tls_failed "IP address mismatch: certificate is for $LAB_PROXY_NAME, $LAB_PROXY4, not $LAB_PROXY6"
	# by name, over IPv6, the same certificate passes its DNS name check
	probe --insecure --connect "$LAB_PROXY6" \
		"https://$LAB_PROXY_NAME:$PROXY6_SELFSIGNED_PORT" "$LAB_ORIGIN4" 80 /
	expect_ok
}

@test "16 MiB download through the tunnel, small reads from OpenSSL's buffer" {
	probe --ca "$LAB_CA" --rcvbuf 4096 --read-chunk 1000 \
		"$(proxy_url "$LAB_HTTPS_PROXY_PORT")" "$LAB_ORIGIN4" 80 /16m.bin
	expect_ok
	assert_equal "$(field body_bytes)" "$LAB_SIZE_16M"
	assert_equal "$(field body_sha256)" "$LAB_SHA256_16M"
	# reads served from what OpenSSL held, with no EPOLLIN for them
	[[ $(field pending_reads) -gt 0 ]]
}

@test "16 MiB upload with stalled and partial writes, intact" {
	local got
	probe --ca "$LAB_CA" --sndbuf 4096 --chunk 65536 --put "$LAB_WWW/16m.bin" \
		"$(proxy_url "$LAB_HTTPS_PROXY_PORT")" "$LAB_ORIGIN4" 80 /upload/tls16.bin
	if [[ $status -ne 0 ]]; then
		echo "$output" >&2
		return 1
	fi
	assert_equal "$(field result)" ok
	assert_match "$(field http_status)" '^20[14]$'
	[[ $(field write_stalls) -gt 0 ]]
	[[ $(field partial_writes) -gt 0 ]]
	got=$(sha256sum <"$LAB_UPLOAD_DIR/tls16.bin" | cut -d' ' -f1)
	assert_equal "$got" "$LAB_SHA256_16M"

	# segment-sized writes: each stall holds one record and replays it
	probe --ca "$LAB_CA" --sndbuf 4096 --chunk 1400 --put "$LAB_WWW/1m.bin" \
		"$(proxy_url "$LAB_HTTPS_PROXY_PORT")" "$LAB_ORIGIN4" 80 /upload/tls1.bin
	assert_equal "$(field result)" ok
	got=$(sha256sum <"$LAB_UPLOAD_DIR/tls1.bin" | cut -d' ' -f1)
	assert_equal "$got" "$LAB_SHA256_1M"
}

@test "the proxy ends the tunnel with close_notify (stunnel and socat)" {
	probe --ca "$LAB_CA" --drain "$(proxy_url "$LAB_HTTPS_PROXY_PORT")" "$LAB_ORIGIN4" 80 /
	expect_ok
	assert_equal "$(field close)" close_notify
	probe --ca "$LAB_CA" --drain "https://[$LAB_PROXY6]:$PROXY6_PORT" "$LAB_ORIGIN4" 80 /
	expect_ok
	assert_equal "$(field close)" close_notify
}

@test "errors inside TLS: the proxy's refusal, and a server that is not TLS" {
	# tinyproxy allows CONNECT to ports 80 and 443 only
	probe --ca "$LAB_CA" "$(proxy_url "$LAB_HTTPS_PROXY_PORT")" "$LAB_ORIGIN4" "$LAB_ECHO_PORT" /
	assert_equal "$status" 1
	assert_equal "$(field result)" proxy_refused
	assert_match "$(field detail)" '^HTTP/1\.[01] 403 '
	assert_match "$(field tls)" '^TLSv1\.3 '

	# plain HTTP where TLS was expected: nginx answers 400 at once
	probe --ca "$LAB_CA" "https://$LAB_ORIGIN4:80" "$LAB_ORIGIN4" 80 /
	expect_tls_failed "wrong version number (is the proxy speaking TLS?)"
}

@test "--proxy-ca that cannot be loaded fails at start, one line" {
	probe --ca /nonexistent/ca.pem "$(proxy_url "$LAB_HTTPS_PROXY_PORT")" "$LAB_ORIGIN4" 80 /
	assert_equal "$status" 125
	assert_equal "$output" "tls_probe: --proxy-ca /nonexistent/ca.pem: cannot read it: No such file or directory"

	echo "not a certificate" >"$BATS_TEST_TMPDIR/bad.pem"
	probe --ca "$BATS_TEST_TMPDIR/bad.pem" "$(proxy_url "$LAB_HTTPS_PROXY_PORT")" "$LAB_ORIGIN4" 80 /
	assert_equal "$status" 125
	assert_match "$output" "^tls_probe: --proxy-ca $BATS_TEST_TMPDIR/bad.pem: no PEM certificate could be loaded from it \(.*\)$"
}
