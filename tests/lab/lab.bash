# shellcheck shell=bash
# childflow end-to-end test lab.
#
# Source this file from bats or from a script, then call lab_up / lab_down.
# It builds, as root, three fresh network namespaces:
#
#   host  (eth0 172.31.1.2 fd42:1::2)   where childflow runs, like a user's machine
#     |
#   router (lan0 172.31.1.1 fd42:1::1 / wan0 172.31.2.1 fd42:2::1)
#     |
#   world (eth0 172.31.2.2 fd42:2::2, servers on its loopback)
#
# Nothing is ever added to the machine's initial network namespace: every
# interface is created inside a lab namespace, and every server listens on a
# lab address.  See tests/lab/README.md for the list of servers and helpers.
#
# The library is safe under `set -euo pipefail` and does no work when sourced.

# ---------------------------------------------------------------------------
# Static constants (the same in every lab instance).
# ---------------------------------------------------------------------------
LAB_SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export LAB_SRC_DIR
export LAB_PREFIX=cflab
export LAB_BASE=${LAB_BASE:-/tmp}

# Link subnets.
export LAB_HOST_IF=eth0 LAB_WORLD_IF=eth0
export LAB_HOST4=172.31.1.2 LAB_HOST6=fd42:1::2
export LAB_ROUTER4=172.31.1.1 LAB_ROUTER6=fd42:1::1
export LAB_ROUTER_WAN4=172.31.2.1 LAB_ROUTER_WAN6=fd42:2::1
export LAB_WORLD4=172.31.2.2 LAB_WORLD6=fd42:2::2

# Servers in the world namespace.
export LAB_ORIGIN4=203.0.113.10 LAB_ORIGIN6=2001:db8::10 LAB_ORIGIN_NAME=origin.test
export LAB_ORIGIN_BODY='childflow lab origin'
export LAB_DNS4=203.0.113.53 LAB_DNS6=2001:db8::53
export LAB_PROXY4=203.0.113.30 LAB_PROXY6=2001:db8::30 LAB_PROXY_NAME=proxy.test
export LAB_HTTP_PROXY_PORT=8888
export LAB_HTTP_PROXY_AUTH_PORT=8889 LAB_PROXY_USER=cfuser LAB_PROXY_PASS=cfpass
export LAB_SOCKS_PORT=1080 LAB_SOCKS_USER=cfsocks LAB_SOCKS_PASS=cfsockspass
export LAB_HTTPS_PROXY_PORT=8443
export LAB_HTTPS_PROXY_SELFSIGNED_PORT=8444
export LAB_HTTPS_PROXY_WRONGNAME_PORT=8445 LAB_HTTPS_PROXY_WRONGNAME=wrong.test
export LAB_BLACKHOLE4=203.0.113.20 LAB_BLACKHOLE6=2001:db8::20
# Fast host unreachable (ICMP from the router ~20 ms later, connect fails at once).
export LAB_UNREACH4=192.0.2.1 LAB_UNREACH6=2001:db8:ffff::1
# Behind a plain `unreachable` route: connect fails after ~1 s (see lab__build_net).
export LAB_UNREACH_ROUTE4=192.0.2.129 LAB_UNREACH_ROUTE6=2001:db8:ffff:1::1
export LAB_DOC4=198.51.100.10 LAB_DOC_BODY='childflow lab doc'
export LAB_PRIVATE4=10.1.2.3 LAB_PRIVATE6=fd10:1:2::3 LAB_PRIVATE_BODY='childflow lab private'
export LAB_METADATA4=169.254.169.254 LAB_METADATA6=fd00:ec2::254
export LAB_METADATA_BODY='childflow lab metadata'
export LAB_IPERF_PORT=5201 LAB_ECHO_PORT=7 LAB_CLOSED_PORT=9

# Users.
export LAB_TEST_USER=cftest

# Every address that the world namespace owns (and the router routes to it).
LAB__SERVERS4=("$LAB_ORIGIN4" "$LAB_DNS4" "$LAB_PROXY4" "$LAB_BLACKHOLE4" "$LAB_DOC4"
	"$LAB_PRIVATE4" "$LAB_METADATA4")
LAB__SERVERS6=("$LAB_ORIGIN6" "$LAB_DNS6" "$LAB_PROXY6" "$LAB_BLACKHOLE6" "$LAB_PRIVATE6"
	"$LAB_METADATA6")

# Dynamic variables, set by lab_up / lab_attach (documented in README.md).
LAB__DYNAMIC_VARS=(LAB_NAME LAB_DIR LAB_NS_HOST LAB_NS_ROUTER LAB_NS_WORLD LAB_CA
	LAB_USER_HOME LAB_OWNER_PID LAB_NETNS_IDS LAB_SHA256_1M LAB_SHA256_16M
	LAB_SIZE_1M LAB_SIZE_16M LAB_WWW LAB_UPLOAD_DIR LAB_UP_SECONDS)

# ---------------------------------------------------------------------------
# Small internal helpers.
# ---------------------------------------------------------------------------
lab__log() { printf 'lab: %s\n' "$*" >&2; }

lab__die() {
	lab__log "error: $*"
	return 1
}

# Seconds since the epoch with nanoseconds, as a decimal string.
lab__now() { date +%s.%N; }

# lab__alive PID: true if PID exists and is not a zombie.
lab__alive() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[[ ${stat:0:1} != Z ]]
}

# lab__names NAME: set the namespace and directory names for lab NAME.
lab__names() {
	LAB_NAME=$1
	LAB_DIR=$LAB_BASE/$1
	LAB_NS_HOST=$1-host
	LAB_NS_ROUTER=$1-router
	LAB_NS_WORLD=$1-world
	LAB_CA=$LAB_DIR/ca.pem
	LAB_USER_HOME=$LAB_DIR/home
	LAB_WWW=$LAB_DIR/www/origin
	LAB_UPLOAD_DIR=$LAB_DIR/www/origin/upload
	export LAB_NAME LAB_DIR LAB_NS_HOST LAB_NS_ROUTER LAB_NS_WORLD LAB_CA LAB_USER_HOME \
		LAB_WWW LAB_UPLOAD_DIR
}

lab__need_up() {
	[[ -n ${LAB_NAME:-} && -e $LAB_BASE/${LAB_NAME}/.up ]] || lab__die "the lab is not up (call lab_up)"
}

# lab__spawn NAME NS CMD...: start CMD in the background inside namespace NS,
# in its own session, with stdin from /dev/null, output to $LAB_DIR/log/NAME.out
# and every inherited descriptor above 2 closed (bats waits on fd 3).
lab__spawn() {
	local name=$1 ns=$2
	shift 2
	setsid ip netns exec "$ns" "$@" </dev/null >"$LAB_DIR/log/$name.out" 2>&1 \
		3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
	echo "$!" >"$LAB_DIR/pids/$name"
}

# ---------------------------------------------------------------------------
# Users.
# ---------------------------------------------------------------------------
lab__ensure_users() {
	local hash salt want lockfd
	# Serialise concurrent labs editing /etc/passwd and /etc/shadow.
	mkdir -p /run/lock
	exec {lockfd}>/run/lock/childflow-lab-users.lock
	flock "$lockfd"
	if ! id -u "$LAB_TEST_USER" >/dev/null 2>&1; then
		useradd --user-group --create-home --shell /bin/bash "$LAB_TEST_USER"
	fi
	if ! id -u "$LAB_SOCKS_USER" >/dev/null 2>&1; then
		useradd --system --user-group --no-create-home --home-dir /nonexistent \
			--shell /usr/sbin/nologin "$LAB_SOCKS_USER"
	fi
	# (Re)set the SOCKS user's password only when it does not match already.
	hash=$(getent shadow "$LAB_SOCKS_USER" | cut -d: -f2)
	want=
	# shellcheck disable=SC2016 # a literal "$6$"
	if [[ $hash == '$6$'* ]]; then
		salt=${hash#\$6\$}
		salt=${salt%%\$*}
		want=$(openssl passwd -6 -salt "$salt" "$LAB_SOCKS_PASS")
	fi
	if [[ -z $want || $hash != "$want" ]]; then
		printf '%s:%s\n' "$LAB_SOCKS_USER" "$LAB_SOCKS_PASS" | chpasswd -c SHA512
	fi
	flock -u "$lockfd"
	exec {lockfd}>&-
}

# ---------------------------------------------------------------------------
# Network.
# ---------------------------------------------------------------------------
lab__build_net() {
	local H=$LAB_NS_HOST R=$LAB_NS_ROUTER W=$LAB_NS_WORLD ns a

	for ns in "$H" "$R" "$W"; do
		ip netns add "$ns"
	done
	# /etc/netns/<ns>/ files are bind-mounted over /etc/ by `ip netns exec`.
	mkdir -p "/etc/netns/$H" "/etc/netns/$W"
	printf 'nameserver %s\n' "$LAB_DNS4" >"/etc/netns/$H/resolv.conf"
	printf 'nameserver %s\n' "$LAB_DNS4" >"/etc/netns/$W/resolv.conf"

	# Per-namespace sysctls, before any interface exists (so that DAD is off
	# on every interface created later).
	local common=(net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
		net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0
		net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0)
	ip netns exec "$H" sysctl -q -w "${common[@]}" 'net.ipv4.ping_group_range=0 2147483647'
	ip netns exec "$R" sysctl -q -w "${common[@]}" net.ipv4.ip_forward=1 \
		net.ipv6.conf.all.forwarding=1 net.ipv6.conf.default.forwarding=1
	ip netns exec "$W" sysctl -q -w "${common[@]}"

	# Links, created inside the lab namespaces only.  void0/void1 is a dead-end
	# pair inside the router: nothing answers ARP/ND behind void0 (see below).
	ip -n "$H" link add "$LAB_HOST_IF" type veth peer name lan0 netns "$R"
	ip -n "$W" link add "$LAB_WORLD_IF" type veth peer name wan0 netns "$R"
	ip -n "$R" link add void0 type veth peer name void1
	ip netns exec "$R" sysctl -q -w net.ipv4.neigh.void0.mcast_solicit=1 \
		net.ipv4.neigh.void0.ucast_solicit=1 net.ipv4.neigh.void0.app_solicit=0 \
		net.ipv4.neigh.void0.retrans_time_ms=20 net.ipv6.neigh.void0.mcast_solicit=1 \
		net.ipv6.neigh.void0.ucast_solicit=1 net.ipv6.neigh.void0.app_solicit=0 \
		net.ipv6.neigh.void0.retrans_time_ms=20

	ip -n "$H" addr add "$LAB_HOST4/24" dev "$LAB_HOST_IF"
	ip -n "$H" addr add "$LAB_HOST6/64" dev "$LAB_HOST_IF" nodad
	ip -n "$R" addr add "$LAB_ROUTER4/24" dev lan0
	ip -n "$R" addr add "$LAB_ROUTER6/64" dev lan0 nodad
	ip -n "$R" addr add "$LAB_ROUTER_WAN4/24" dev wan0
	ip -n "$R" addr add "$LAB_ROUTER_WAN6/64" dev wan0 nodad
	ip -n "$R" addr add 172.31.3.1/24 dev void0
	ip -n "$R" addr add fd42:3::1/64 dev void0 nodad
	ip -n "$W" addr add "$LAB_WORLD4/24" dev "$LAB_WORLD_IF"
	ip -n "$W" addr add "$LAB_WORLD6/64" dev "$LAB_WORLD_IF" nodad
	# Server addresses live on the world's loopback.
	for a in "${LAB__SERVERS4[@]}"; do
		ip -n "$W" addr add "$a/32" dev lo
	done
	for a in "${LAB__SERVERS6[@]}"; do
		ip -n "$W" addr add "$a/128" dev lo nodad
	done

	for ns in "$H" "$R" "$W"; do
		ip -n "$ns" link set lo up
	done
	ip -n "$H" link set "$LAB_HOST_IF" up
	ip -n "$R" link set lan0 up
	ip -n "$R" link set wan0 up
	ip -n "$R" link set void0 up
	ip -n "$R" link set void1 up
	ip -n "$W" link set "$LAB_WORLD_IF" up

	# Routes.  The router sends each server address to the world.  Everything
	# else (unassigned lab addresses, 192.0.2.0/25, 2001:db8:ffff::/64 and any
	# address outside the lab) goes to a gateway behind void0 that never
	# answers ARP/ND: 20 ms later the router sends ICMP host unreachable
	# (ICMPv6 address unreachable), so connects fail at once with EHOSTUNREACH.
	# (An `unreachable` route answers synchronously, while connect() still
	# holds the socket lock over veth; Linux then ignores that first ICMP error
	# and the connect only fails at the first SYN retransmission, after ~1 s.
	# 192.0.2.128/25 and 2001:db8:ffff::/48 keep such routes for tests of that.)
	# Nothing ever leaves the lab: void0's peer is a dead end in the router.
	ip -n "$H" route add default via "$LAB_ROUTER4"
	ip -n "$H" -6 route add default via "$LAB_ROUTER6"
	ip -n "$W" route add default via "$LAB_ROUTER_WAN4"
	ip -n "$W" -6 route add default via "$LAB_ROUTER_WAN6"
	for a in "${LAB__SERVERS4[@]}"; do
		ip -n "$R" route add "$a/32" via "$LAB_WORLD4"
	done
	for a in "${LAB__SERVERS6[@]}"; do
		ip -n "$R" -6 route add "$a/128" via "$LAB_WORLD6"
	done
	ip -n "$R" route add default via 172.31.3.2
	ip -n "$R" -6 route add default via fd42:3::2
	ip -n "$R" route add unreachable 192.0.2.0/24
	ip -n "$R" route add 192.0.2.0/25 via 172.31.3.2
	ip -n "$R" -6 route add unreachable 2001:db8:ffff::/48
	ip -n "$R" -6 route add 2001:db8:ffff::/64 via fd42:3::2

	# The blackhole address silently drops TCP and UDP (ICMP still answers).
	ip netns exec "$W" nft -f - <<EOF
table inet cflab {
	chain input {
		type filter hook input priority 0; policy accept;
		ip daddr $LAB_BLACKHOLE4 meta l4proto { tcp, udp } drop
		ip6 daddr $LAB_BLACKHOLE6 meta l4proto { tcp, udp } drop
		ip saddr 172.31.2.1 ip daddr 172.31.2.2 udp dport 9 drop
	}
}
EOF
}

# ---------------------------------------------------------------------------
# Content: certificates and web files.
# ---------------------------------------------------------------------------

# lab__cert NAME CN SANS [self]: make $LAB_DIR/certs/NAME.{pem,key}, signed by the
# lab CA, or self-signed when the 4th argument is "self".
lab__cert() {
	local name=$1 cn=$2 sans=$3 mode=${4:-ca}
	local c=$LAB_DIR/certs
	local sign=(-CA "$LAB_DIR/ca.pem" -CAkey "$LAB_DIR/ca.key")
	[[ $mode == self ]] && sign=()
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
		-keyout "$c/$name.key" -out "$c/$name.pem" -subj "/CN=$cn" "${sign[@]}" \
		-addext "subjectAltName=$sans" -addext basicConstraints=critical,CA:FALSE \
		-addext keyUsage=critical,digitalSignature,keyEncipherment \
		-addext extendedKeyUsage=serverAuth 2>/dev/null
}

lab__build_content() {
	local c=$LAB_DIR/certs w=$LAB_DIR/www
	mkdir -p "$c" "$LAB_WWW" "$LAB_UPLOAD_DIR" "$w/doc" "$w/private" \
		"$w/metadata/latest/meta-data"

	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
		-keyout "$LAB_DIR/ca.key" -out "$LAB_DIR/ca.pem" -subj "/CN=childflow lab CA $LAB_NAME" \
		-addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
	lab__cert origin "$LAB_ORIGIN_NAME" \
		"DNS:$LAB_ORIGIN_NAME,DNS:www.$LAB_ORIGIN_NAME,IP:$LAB_ORIGIN4,IP:$LAB_ORIGIN6"
	lab__cert proxy "$LAB_PROXY_NAME" "DNS:$LAB_PROXY_NAME,IP:$LAB_PROXY4,IP:$LAB_PROXY6"
	lab__cert selfsigned "$LAB_PROXY_NAME" "DNS:$LAB_PROXY_NAME,IP:$LAB_PROXY4" self
	lab__cert wrongname "$LAB_HTTPS_PROXY_WRONGNAME" "DNS:$LAB_HTTPS_PROXY_WRONGNAME"
	chmod 0644 "$LAB_DIR"/ca.pem "$c"/*.pem

	printf '%s\n' "$LAB_ORIGIN_BODY" >"$LAB_WWW/index.html"
	printf 'hello from the childflow lab\n' >"$LAB_WWW/hello.txt"
	head -c 1048576 /dev/urandom >"$LAB_WWW/1m.bin"
	head -c 16777216 /dev/urandom >"$LAB_WWW/16m.bin"
	(cd "$LAB_WWW" && sha256sum 1m.bin 16m.bin >SHA256SUMS)
	printf '%s\n' "$LAB_DOC_BODY" >"$w/doc/index.html"
	printf '%s\n' "$LAB_PRIVATE_BODY" >"$w/private/index.html"
	printf '%s\n' "$LAB_METADATA_BODY" >"$w/metadata/index.html"
	printf 'ami-id\ninstance-id\n' >"$w/metadata/latest/meta-data/index.html"
	printf 'i-0c0ffee0childflow\n' >"$w/metadata/latest/meta-data/instance-id"
	chown nobody:nogroup "$LAB_UPLOAD_DIR"
}

# ---------------------------------------------------------------------------
# Server configuration.
# ---------------------------------------------------------------------------
lab__conf_nginx() {
	local d=$LAB_DIR/nginx echo_mod=/usr/lib/nginx/modules/ngx_http_echo_module.so
	local load='' echo_locs=''
	mkdir -p "$d/tmp"
	if [[ -e $echo_mod ]]; then
		load="load_module $echo_mod;"
		echo_locs="
		location = /echo { client_max_body_size 64m; echo_read_request_body; echo_request_body; }
		location = /request-headers { default_type text/plain; echo -n \$echo_client_request_headers; }"
	fi
	local origin_locs="
		root $LAB_WWW;
		index index.html;
		location = /ip { return 200 \"\$remote_addr\\n\"; }
		location = /host { return 200 \"\$host\\n\"; }
		location = /user-agent { return 200 \"\$http_user_agent\\n\"; }
		location = /status/204 { return 204; }
		location = /status/404 { return 404; }
		location = /status/500 { return 500; }
		location = /redirect { return 302 /; }
		location /slow/ {
			alias $LAB_WWW/;
			set \$rate \$arg_rate;
			if (\$rate = '') { set \$rate 256k; }
			limit_rate \$rate;
		}
		location /upload/ {
			dav_methods PUT DELETE;
			create_full_put_path on;
			client_max_body_size 64m;
			client_body_temp_path $d/tmp/upload;
		}$echo_locs"
	cat >"$d/nginx.conf" <<EOF
$load
daemon off;
master_process on;
worker_processes 2;
user nobody nogroup;
pid $d/nginx.pid;
error_log $d/error.log info;
events { worker_connections 512; }
http {
	types { text/html html; text/plain txt; application/octet-stream bin; }
	default_type text/plain;
	access_log $d/access.log;
	client_body_temp_path $d/tmp/body;
	proxy_temp_path $d/tmp/proxy;
	fastcgi_temp_path $d/tmp/fastcgi;
	uwsgi_temp_path $d/tmp/uwsgi;
	scgi_temp_path $d/tmp/scgi;
	sendfile on;
	keepalive_timeout 30;
	server {
		listen $LAB_ORIGIN4:80 default_server;
		listen [$LAB_ORIGIN6]:80 default_server;
		server_name $LAB_ORIGIN_NAME www.$LAB_ORIGIN_NAME;
$origin_locs
	}
	server {
		listen $LAB_ORIGIN4:443 ssl http2 default_server;
		listen [$LAB_ORIGIN6]:443 ssl http2 default_server;
		server_name $LAB_ORIGIN_NAME www.$LAB_ORIGIN_NAME;
		ssl_certificate $LAB_DIR/certs/origin.pem;
		ssl_certificate_key $LAB_DIR/certs/origin.key;
$origin_locs
	}
	server {
		listen $LAB_DOC4:80;
		root $LAB_DIR/www/doc;
		location = /ip { return 200 "\$remote_addr\\n"; }
	}
	server {
		listen $LAB_PRIVATE4:80;
		listen [$LAB_PRIVATE6]:80;
		root $LAB_DIR/www/private;
		location = /ip { return 200 "\$remote_addr\\n"; }
	}
	server {
		listen $LAB_METADATA4:80;
		listen [$LAB_METADATA6]:80;
		root $LAB_DIR/www/metadata;
		location = /ip { return 200 "\$remote_addr\\n"; }
	}
}
EOF
}

lab__conf_dnsmasq() {
	cat >"$LAB_DIR/dnsmasq.conf" <<EOF
port=53
listen-address=$LAB_DNS4
listen-address=$LAB_DNS6
bind-interfaces
except-interface=lo
no-resolv
no-hosts
no-poll
user=root
pid-file=
log-queries
log-facility=$LAB_DIR/dnsmasq.log
local-ttl=60
# Every name outside the local data is answered NXDOMAIN; nothing is forwarded.
address=/#/
host-record=$LAB_ORIGIN_NAME,www.$LAB_ORIGIN_NAME,$LAB_ORIGIN4,$LAB_ORIGIN6
cname=alias.test,chain1.test
cname=chain1.test,$LAB_ORIGIN_NAME
host-record=v6only.test,$LAB_ORIGIN6
host-record=v4only.test,$LAB_ORIGIN4
host-record=private.test,$LAB_PRIVATE4,$LAB_PRIVATE6
host-record=doc.test,$LAB_DOC4
host-record=metadata.test,$LAB_METADATA4,$LAB_METADATA6
host-record=$LAB_PROXY_NAME,$LAB_PROXY4,$LAB_PROXY6
host-record=blackhole.test,$LAB_BLACKHOLE4,$LAB_BLACKHOLE6
host-record=unreachable.test,$LAB_UNREACH4,$LAB_UNREACH6
host-record=dns.test,$LAB_DNS4,$LAB_DNS6
host-record=mail.$LAB_ORIGIN_NAME,$LAB_ORIGIN4
mx-host=$LAB_ORIGIN_NAME,mail.$LAB_ORIGIN_NAME,10
txt-record=txt.test,"childflow lab"
EOF
}

lab__conf_tinyproxy() {
	local name=$1 port=$2 auth=${3:-}
	cat >"$LAB_DIR/$name.conf" <<EOF
User nobody
Group nogroup
Port $port
Listen $LAB_PROXY4
Timeout 600
LogFile "$LAB_DIR/$name.log"
LogLevel Info
PidFile "$LAB_DIR/run/$name.pid"
MaxClients 512
ConnectPort 443
ConnectPort 80
DisableViaHeader Yes
EOF
	if [[ -n $auth ]]; then
		printf 'BasicAuth %s %s\n' "$LAB_PROXY_USER" "$LAB_PROXY_PASS" >>"$LAB_DIR/$name.conf"
	fi
	: >"$LAB_DIR/$name.log"
	chown nobody:nogroup "$LAB_DIR/$name.log"
}

lab__conf_danted() {
	cat >"$LAB_DIR/danted.conf" <<EOF
logoutput: $LAB_DIR/danted.log
internal: $LAB_PROXY4 port = $LAB_SOCKS_PORT
internal: $LAB_PROXY6 port = $LAB_SOCKS_PORT
external: $LAB_PROXY4
external: $LAB_PROXY6
clientmethod: none
socksmethod: username
user.privileged: root
user.unprivileged: nobody
timeout.negotiate: 10
client pass {
	from: 0/0 to: 0/0
	log: error connect disconnect
}
socks pass {
	from: 0/0 to: 0/0
	command: bind connect udpassociate
	socksmethod: username
	log: error connect disconnect
}
socks pass {
	from: 0/0 to: 0/0
	command: bindreply udpreply
	log: error connect disconnect
}
EOF
}

lab__conf_stunnel() {
	local up=$LAB_PROXY4:$LAB_HTTP_PROXY_PORT c=$LAB_DIR/certs
	cat >"$LAB_DIR/stunnel.conf" <<EOF
foreground = yes
pid =
syslog = no
output = $LAB_DIR/stunnel.log
debug = info

[https-proxy]
accept = $LAB_PROXY4:$LAB_HTTPS_PROXY_PORT
connect = $up
cert = $c/proxy.pem
key = $c/proxy.key

[https-proxy-selfsigned]
accept = $LAB_PROXY4:$LAB_HTTPS_PROXY_SELFSIGNED_PORT
connect = $up
cert = $c/selfsigned.pem
key = $c/selfsigned.key

[https-proxy-wrongname]
accept = $LAB_PROXY4:$LAB_HTTPS_PROXY_WRONGNAME_PORT
connect = $up
cert = $c/wrongname.pem
key = $c/wrongname.key
EOF
}

# ---------------------------------------------------------------------------
# Servers.
# ---------------------------------------------------------------------------
lab__start_servers() {
	local W=$LAB_NS_WORLD
	lab__spawn nginx "$W" nginx -e "$LAB_DIR/nginx/error.log" -p "$LAB_DIR/nginx/" \
		-c "$LAB_DIR/nginx/nginx.conf"
	lab__spawn dnsmasq "$W" dnsmasq --keep-in-foreground -C "$LAB_DIR/dnsmasq.conf"
	lab__spawn tinyproxy-noauth "$W" tinyproxy -d -c "$LAB_DIR/tinyproxy-noauth.conf"
	lab__spawn tinyproxy-auth "$W" tinyproxy -d -c "$LAB_DIR/tinyproxy-auth.conf"
	lab__spawn danted "$W" danted -f "$LAB_DIR/danted.conf" -p "$LAB_DIR/run/danted.pid" -N 1
	lab__spawn stunnel "$W" stunnel4 "$LAB_DIR/stunnel.conf"
	lab__spawn iperf3-v4 "$W" iperf3 -s -B "$LAB_ORIGIN4" -p "$LAB_IPERF_PORT"
	lab__spawn iperf3-v6 "$W" iperf3 -s -B "$LAB_ORIGIN6" -p "$LAB_IPERF_PORT"
	lab__spawn udpecho-v4 "$W" socat "UDP4-RECVFROM:$LAB_ECHO_PORT,bind=$LAB_ORIGIN4,fork" PIPE
	lab__spawn udpecho-v6 "$W" socat "UDP6-RECVFROM:$LAB_ECHO_PORT,bind=[$LAB_ORIGIN6],fork" PIPE
	lab__spawn tcpecho-v4 "$W" socat "TCP4-LISTEN:$LAB_ECHO_PORT,bind=$LAB_ORIGIN4,fork,reuseaddr" PIPE
	lab__spawn tcpecho-v6 "$W" socat "TCP6-LISTEN:$LAB_ECHO_PORT,bind=[$LAB_ORIGIN6],fork,reuseaddr" PIPE
}

# Every socket the servers must have open before the lab is ready.
lab__expected_listeners() {
	local a
	for a in "$LAB_ORIGIN4:80" "[$LAB_ORIGIN6]:80" "$LAB_ORIGIN4:443" "[$LAB_ORIGIN6]:443" \
		"$LAB_DOC4:80" "$LAB_PRIVATE4:80" "[$LAB_PRIVATE6]:80" "$LAB_METADATA4:80" \
		"[$LAB_METADATA6]:80" "$LAB_DNS4:53" "[$LAB_DNS6]:53" \
		"$LAB_PROXY4:$LAB_HTTP_PROXY_PORT" "$LAB_PROXY4:$LAB_HTTP_PROXY_AUTH_PORT" \
		"$LAB_PROXY4:$LAB_SOCKS_PORT" "[$LAB_PROXY6]:$LAB_SOCKS_PORT" \
		"$LAB_PROXY4:$LAB_HTTPS_PROXY_PORT" "$LAB_PROXY4:$LAB_HTTPS_PROXY_SELFSIGNED_PORT" \
		"$LAB_PROXY4:$LAB_HTTPS_PROXY_WRONGNAME_PORT" "$LAB_ORIGIN4:$LAB_IPERF_PORT" \
		"[$LAB_ORIGIN6]:$LAB_IPERF_PORT" "$LAB_ORIGIN4:$LAB_ECHO_PORT" "[$LAB_ORIGIN6]:$LAB_ECHO_PORT"; do
		printf 'tcp %s\n' "$a"
	done
	for a in "$LAB_DNS4:53" "[$LAB_DNS6]:53" "$LAB_ORIGIN4:$LAB_ECHO_PORT" \
		"[$LAB_ORIGIN6]:$LAB_ECHO_PORT"; do
		printf 'udp %s\n' "$a"
	done
}

# Poll the world's sockets until every expected listener is there.  Fails at
# once if a server died, and after LAB_READY_TIMEOUT seconds (default 20).
lab__wait_ready() {
	local deadline have missing f want
	deadline=$(($(date +%s) + ${LAB_READY_TIMEOUT:-20}))
	local -a wants
	mapfile -t wants < <(lab__expected_listeners)
	while :; do
		have=$({
			ss -N "$LAB_NS_WORLD" -Hlnt | awk '{print "tcp " $4}'
			ss -N "$LAB_NS_WORLD" -Hlnu | awk '{print "udp " $4}'
		} | sed -E 's/%[^]:]*(\]?:[0-9]+)$/\1/')
		missing=()
		for want in "${wants[@]}"; do
			grep -qxF -- "$want" <<<"$have" || missing+=("$want")
		done
		((${#missing[@]} == 0)) && return 0
		for f in "$LAB_DIR"/pids/*; do
			if ! lab__alive "$(cat "$f")"; then
				lab__log "server ${f##*/} exited during start-up; its output:"
				tail -n 20 "$LAB_DIR/log/${f##*/}.out" >&2 || true
				return 1
			fi
		done
		if (($(date +%s) > deadline)); then
			lab__log "timed out waiting for: ${missing[*]}"
			return 1
		fi
		sleep 0.02
	done
}

# ---------------------------------------------------------------------------
# Bring-up (runs in its own bash process with errexit on).
# ---------------------------------------------------------------------------
lab__build() {
	umask 022
	mkdir -m 0755 "$LAB_DIR"
	echo "$LAB_OWNER_PID" >"$LAB_DIR/owner"
	mkdir -p "$LAB_DIR"/{log,pids,run,cap,dev,bin}
	lab__ensure_users

	# A world-usable tun node, bind-mounted over /dev/net/tun for lab_user only.
	mknod -m 0666 "$LAB_DIR/dev/tun" c 10 200
	chmod 0666 "$LAB_DIR/dev/tun"
	# A copy of ping without file capabilities: it must use ICMP ping sockets.
	cp "$(command -v ping)" "$LAB_DIR/bin/ping"
	mkdir -m 0700 "$LAB_USER_HOME"
	chown "$LAB_TEST_USER:$LAB_TEST_USER" "$LAB_USER_HOME"

	lab__build_net
	lab__build_content
	lab__conf_nginx
	lab__conf_dnsmasq
	lab__conf_tinyproxy tinyproxy-noauth "$LAB_HTTP_PROXY_PORT"
	lab__conf_tinyproxy tinyproxy-auth "$LAB_HTTP_PROXY_AUTH_PORT" auth
	lab__conf_danted
	lab__conf_stunnel
	lab__start_servers
	lab__wait_ready

	local ids='' ns
	for ns in "$LAB_NS_HOST" "$LAB_NS_ROUTER" "$LAB_NS_WORLD"; do
		ids+="${ids:+ }$(stat -L -c %i "/run/netns/$ns")"
	done
	{
		printf 'LAB_NETNS_IDS=%q\n' "$ids"
		printf 'LAB_OWNER_PID=%q\n' "$LAB_OWNER_PID"
		printf 'LAB_SHA256_1M=%q\n' "$(awk '$2 == "1m.bin" {print $1}' "$LAB_WWW/SHA256SUMS")"
		printf 'LAB_SHA256_16M=%q\n' "$(awk '$2 == "16m.bin" {print $1}' "$LAB_WWW/SHA256SUMS")"
		printf 'LAB_SIZE_1M=1048576\nLAB_SIZE_16M=16777216\n'
	} >"$LAB_DIR/lab.env"
	: >"$LAB_DIR/.up"
}

# ---------------------------------------------------------------------------
# Public API.
# ---------------------------------------------------------------------------

# lab_up: bring a lab up (idempotent).  Uses $LAB_NAME when set, otherwise a
# new unique name cflab-<pid>-<n>.  Exports LAB_NAME, LAB_DIR, LAB_NS_* ...
lab_up() {
	[[ $(id -u) == 0 ]] || {
		lab__die "lab_up must run as root"
		return 1
	}
	if [[ -n ${LAB_NAME:-} ]]; then
		lab__names "$LAB_NAME"
		if [[ -e $LAB_DIR/.up ]] && ip netns list | grep -qE "^${LAB_NS_WORLD}( |$)"; then
			lab_attach "$LAB_NAME"
			return 0
		fi
		local keep=$LAB_NAME
		lab_down "$keep" # a half-built lab of the same name
		lab__names "$keep"
	else
		local n
		while :; do
			n=$LAB_PREFIX-$$-$((RANDOM % 10000))
			[[ -e $LAB_BASE/$n || -e /run/netns/$n-host || -e /run/netns/$n-world ]] || break
		done
		lab__names "$n"
	fi
	export LAB_OWNER_PID=$$

	local t0 rc=0
	t0=$(lab__now)
	# The build runs in a new bash with errexit: a subshell would not do, as
	# errexit is ignored inside anything called from `if lab_up`, `lab_up ||`...
	bash -euo pipefail -c 'source "$1"; lab__build' lab_up "$LAB_SRC_DIR/lab.bash" || rc=$?
	if ((rc != 0)); then
		lab__log "lab_up failed (status $rc); logs are in $LAB_DIR"
		if [[ -z ${LAB_KEEP_ON_FAILURE:-} ]]; then
			lab_down "$LAB_NAME"
		fi
		return "$rc"
	fi
	lab_attach "$LAB_NAME"
	LAB_UP_SECONDS=$(awk -v a="$t0" -v b="$(lab__now)" 'BEGIN { printf "%.2f", b - a }')
	export LAB_UP_SECONDS
	echo "LAB_UP_SECONDS=$LAB_UP_SECONDS" >>"$LAB_DIR/lab.env"
}

# lab_attach NAME: set and export the variables of an existing lab (e.g. from
# another shell): LAB_NAME, LAB_DIR, LAB_NS_*, LAB_CA, LAB_SHA256_* ...
lab_attach() {
	lab__names "$1"
	[[ -r $LAB_DIR/lab.env ]] || {
		lab__die "no lab named $1"
		return 1
	}
	local line
	while IFS= read -r line; do
		eval "export $line"
	done <"$LAB_DIR/lab.env"
}

# lab_down [NAME]: tear a lab down (idempotent, also after a half-failed
# lab_up): kill every process in its namespaces, delete the namespaces, the
# /etc/netns entries and the lab directory.
lab_down() {
	local name=${1:-${LAB_NAME:-}}
	[[ -n $name ]] || return 0
	[[ $name == "$LAB_PREFIX"-* || -n ${1:-} ]] || return 0
	local dir=$LAB_BASE/$name ns sig deadline f pid
	local -a nss=("$name-host" "$name-router" "$name-world") pids
	for sig in TERM KILL; do
		deadline=$(($(date +%s) + 5))
		while :; do
			pids=()
			for ns in "${nss[@]}"; do
				[[ -e /run/netns/$ns ]] || continue
				mapfile -t -O "${#pids[@]}" pids < <(ip netns pids "$ns" 2>/dev/null)
			done
			if [[ -d $dir/pids ]]; then
				for f in "$dir"/pids/* "$dir"/cap/*.pid; do
					[[ -f $f ]] || continue
					pid=$(cat "$f")
					# Only processes still running in a lab namespace of ours.
					lab__alive "$pid" && lab__in_lab_ns "$pid" "$name" && pids+=("$pid")
				done
			fi
			((${#pids[@]} == 0)) && break 2
			kill -s "$sig" "${pids[@]}" 2>/dev/null || true
			(($(date +%s) > deadline)) && break
			sleep 0.02
		done
	done
	for ns in "${nss[@]}"; do
		[[ -e /run/netns/$ns ]] && ip netns delete "$ns" 2>/dev/null
		rm -rf "/etc/netns/$ns"
	done
	rmdir /etc/netns 2>/dev/null || true
	# (Retried: a bring-up killed midway may leave a writer behind for a moment.)
	local _
	for _ in 1 2 3 4 5; do
		rm -rf "$dir" 2>/dev/null && break
		sleep 0.1
	done
	[[ ! -e $dir ]] || lab__log "could not remove $dir"
	if [[ $name == "${LAB_NAME:-}" ]]; then
		unset "${LAB__DYNAMIC_VARS[@]}"
	fi
	return 0
}

# lab__in_lab_ns PID NAME: true if PID's network namespace is one of lab NAME's.
lab__in_lab_ns() {
	local mine ns
	mine=$(stat -L -c %i "/proc/$1/ns/net" 2>/dev/null) || return 1
	for ns in "$2-host" "$2-router" "$2-world"; do
		[[ -e /run/netns/$ns && $(stat -L -c %i "/run/netns/$ns") == "$mine" ]] && return 0
	done
	return 1
}

# lab_gc: tear down labs left behind by processes that no longer exist.
lab_gc() {
	local ns name owner
	for ns in $(ip netns list | awk '{print $1}' | grep -E "^$LAB_PREFIX-[0-9]+-[0-9]+-(host|router|world)$" | sed -E 's/-(host|router|world)$//' | sort -u); do
		name=$ns
		owner=${name#"$LAB_PREFIX"-}
		owner=${owner%%-*}
		if ! kill -0 "$owner" 2>/dev/null; then
			lab__log "removing stale lab $name"
			lab_down "$name"
		fi
	done
}

# lab_host CMD...: run CMD as root in the host namespace.
lab_host() {
	lab__need_up || return
	ip netns exec "$LAB_NS_HOST" "$@"
}

# lab_router CMD... / lab_world CMD...: the same for the other namespaces.
lab_router() {
	lab__need_up || return
	ip netns exec "$LAB_NS_ROUTER" "$@"
}
lab_world() {
	lab__need_up || return
	ip netns exec "$LAB_NS_WORLD" "$@"
}

# lab_user CMD...: run CMD in the host namespace as the unprivileged test user
# (cftest) with HOME=$LAB_USER_HOME, USER and LOGNAME set, and a 0666 tun node
# bind-mounted over /dev/net/tun in this command's private mount namespace.
lab_user() {
	lab__need_up || return
	# shellcheck disable=SC2016 # expanded by the inner shell
	ip netns exec "$LAB_NS_HOST" /bin/sh -c '
		tun=$1 home=$2 user=$3
		shift 3
		mount --bind "$tun" /dev/net/tun || exit 125
		exec setpriv --reuid="$user" --regid="$user" --init-groups \
			env HOME="$home" USER="$user" LOGNAME="$user" "$@"
	' lab_user "$LAB_DIR/dev/tun" "$LAB_USER_HOME" "$LAB_TEST_USER" "$@"
}

# lab_world_addr ADDR: give the world one more address (on its loopback) and
# route it there from the router, e.g. for a server a test starts itself.
lab_world_addr() {
	lab__need_up || return
	if [[ $1 == *:* ]]; then
		ip -n "$LAB_NS_WORLD" addr add "$1/128" dev lo nodad
		ip -n "$LAB_NS_ROUTER" -6 route add "$1/128" via "$LAB_WORLD6"
	else
		ip -n "$LAB_NS_WORLD" addr add "$1/32" dev lo
		ip -n "$LAB_NS_ROUTER" route add "$1/32" via "$LAB_WORLD4"
	fi
}

# lab_tree_exec PID CMD...: run CMD as root in the network namespace of PID
# (e.g. a childflow sandbox) to inject nftables rules, inspect links, ...
lab_tree_exec() {
	local pid=$1
	shift
	nsenter -t "$pid" -n -- "$@"
}

# Captures: a stop marker, a UDP datagram from the router's wan address to the
# world's discard port (dropped by the world's nftables, so it draws no reply),
# is captured besides FILTER, and left out of every count.
LAB__MARK_BPF='udp and src host 172.31.2.1 and dst host 172.31.2.2 and dst port 9'
LAB__MARK_DF='(ip.src == 172.31.2.1 and ip.dst == 172.31.2.2 and udp.dstport == 9)'

# lab_capture_start NAME [FILTER]: capture on the world's link to the router
# (libpcap FILTER, default everything) into $LAB_DIR/cap/NAME.pcap.  Returns
# once the capture socket is open and filtering.
lab_capture_start() {
	lab__need_up || return
	local name=$1 filter=${2:-} deadline pid
	local base=$LAB_DIR/cap/$name bpf=''
	[[ -n $filter ]] && bpf="($filter) or ($LAB__MARK_BPF)"
	rm -f "$base.pcap" "$base.log" "$base.pid"
	# Written to a pipe, dumpcap flushes every packet at once.
	setsid ip netns exec "$LAB_NS_WORLD" dumpcap -n -P -i "$LAB_WORLD_IF" ${bpf:+-f "$bpf"} \
		-w - </dev/null >"$base.pcap" 2>"$base.log" 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
	pid=$!
	echo "$pid" >"$base.pid"
	deadline=$(($(date +%s) + 10))
	# dumpcap prints "File: ..." once the interface is open and filtered.
	until grep -q '^File: ' "$base.log" 2>/dev/null; do
		if ! lab__alive "$pid" || (($(date +%s) > deadline)); then
			lab__log "capture $name did not start:"
			cat "$base.log" >&2
			kill "$pid" 2>/dev/null || true
			return 1
		fi
		sleep 0.02
	done
}

# lab_capture_stop NAME: stop the capture once every packet seen so far is in
# the file (a marker sent now must have reached it), then wait for dumpcap.
lab_capture_stop() {
	lab__need_up || return
	local name=$1 pid deadline marker next=0 now
	local base=$LAB_DIR/cap/$name
	[[ -f $base.pid ]] || {
		lab__die "no capture named $name"
		return 1
	}
	pid=$(cat "$base.pid")
	marker="cflab-capture-marker-$name-$RANDOM$RANDOM"
	deadline=$(($(date +%s) + 10))
	# The kernel hands packets over in order, so once the marker is in the
	# file, so is everything captured before it.
	while lab__alive "$pid" && ! grep -qaF "$marker" "$base.pcap" 2>/dev/null; do
		now=$(date +%s)
		if ((now > deadline)); then
			lab__log "capture $name: stop marker not seen, stopping anyway"
			break
		fi
		if ((now >= next)); then
			# shellcheck disable=SC2016 # expanded by the inner shell
			ip netns exec "$LAB_NS_ROUTER" bash -c 'printf %s "$1" >/dev/udp/172.31.2.2/9' \
				_ "$marker" 2>/dev/null || true
			next=$((now + 1))
		fi
		sleep 0.02
	done
	kill -TERM "$pid" 2>/dev/null || true
	deadline=$(($(date +%s) + 10))
	while lab__alive "$pid"; do
		if (($(date +%s) > deadline)); then
			kill -KILL "$pid" 2>/dev/null || true
		fi
		sleep 0.02
	done
	rm -f "$base.pid"
}

# lab_capture_count NAME [DISPLAY_FILTER]: print how many captured packets
# match the Wireshark display filter (all packets without one).
lab_capture_count() {
	lab__need_up || return
	local name=$1 dfilter=${2:-} y
	y="not $LAB__MARK_DF"
	[[ -n $dfilter ]] && y="($dfilter) and $y"
	tshark -n -r "$LAB_DIR/cap/$name.pcap" -Y "$y" -T fields -e frame.number 2>/dev/null |
		grep -c . || true
}

# lab_capture_file NAME: print the path of the capture file.
lab_capture_file() { printf '%s\n' "$LAB_DIR/cap/$1.pcap"; }

# lab_env: print the lab's variables as shell assignments.
lab_env() {
	local v
	for v in $(compgen -v LAB_); do
		[[ $v == LAB__* ]] && continue
		printf '%s=%q\n' "$v" "${!v}"
	done
}
