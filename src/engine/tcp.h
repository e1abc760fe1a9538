/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * tcp.h - TCP translation between the tree's segments and host sockets
 * (theory of operation at the top of tcp.c)
 */
#ifndef CHILDFLOW_TCP_H
#define CHILDFLOW_TCP_H

#include <stdint.h>

#include "engine/flow.h"
#include "engine/packet.h"

/* Sub-states of an ACTIVE TCP flow */
enum tcp_state {
	TCP_STATE_CONNECTING, /* host connect() running; SYN unanswered */
	TCP_STATE_SYN_SENT_TO_CHILD, /* connected; SYN-ACK out, awaiting ACK */
	TCP_STATE_ESTABLISHED,	     /* data; half-closes in tcp_flow.flags */
	TCP_STATE_LINGER,	     /* all closed, socket gone; re-ACK a FIN */
};

/* tcp_flow.flags */
#define TCP_F_FIN_FROM_CHILD 0x0001 /* tree's FIN taken: host SHUT_WR done */
#define TCP_F_FIN_TO_CHILD   0x0002 /* host EOF: our FIN is seq_fin_to_child */
#define TCP_F_FIN_ACKED	     0x0004 /* the tree acked our FIN */
#define TCP_F_ACK_PENDING    0x0008 /* an ACK is owed at the end of the batch */
#define TCP_F_DROPPED	     0x0010 /* tree data dropped: nudge when writable */
#define TCP_F_RECOVERY	     0x0020 /* fast recovery until seq_recover */
#define TCP_F_WND_WAIT	     0x0080 /* EPOLLOUT armed for a window update */
#define TCP_F_HOST_RDHUP     0x0100 /* the host peer shut down its side */
#define TCP_F_RST_HOST	     0x0200 /* close with RST (SO_LINGER 0) */
#define TCP_F_PROXY	     0x0400 /* the host socket goes to --proxy */
#define TCP_F_REPORTED	     0x0800 /* connect_attempt written: flow_end owed */
#define TCP_F_SNIFFED	     0x1000 /* the tree's first bytes were looked at */
#define TCP_F_WND_STALE	     0x2000 /* sent to the host since tcp_update_wnd() */
#define TCP_F_HOST_IDLE	     0x4000 /* the last peek found nothing new */
#define TCP_F_HOST_SNI	     0x8000 /* host_seen is a TLS server_name */

struct proxy_hs;
struct tcp_tls;

struct tcp_flow {
	struct flow_common f;
	uint8_t state; /* enum tcp_state */
	uint8_t wscale_from_child, wscale_to_child;
	uint8_t dup_acks, retries;
	uint16_t flags;
	uint16_t mss_to_child;	     /* largest payload we send to the tree */
	uint32_t seq_init_to_child;  /* our ISN */
	uint32_t seq_from_child;     /* next byte expected from the tree */
	uint32_t seq_ack_to_child;   /* ack number last sent to the tree */
	uint32_t seq_to_child;	     /* next byte (or FIN) we send */
	uint32_t seq_ack_from_child; /* oldest byte the tree has not acked */
	uint32_t seq_recover;	     /* end of fast recovery */
	uint32_t seq_max_to_child;   /* highest seq sent (before rewinds) */
	uint32_t seq_fin_to_child;   /* our FIN's seq, once host EOF is seen */
	uint32_t wnd_from_child;     /* bytes, already scaled */
	uint32_t wnd_to_child;	     /* bytes last advertised */
	uint32_t rto_ms;
	uint64_t timer_at_ms; /* retransmission / probe / linger deadline */
	struct proxy_hs *hs;  /* CONNECTING through --proxy: the handshake,
			       * allocated only while it runs; else NULL */
	char *host_seen;      /* SNI or HTTP Host of the first bytes, for
			       * flow_end; allocated only when seen */
	struct tcp_tls *tls;  /* through an https:// proxy: TLS and the
			       * plaintext buffers (tcp_tls.c); else NULL */
};

/* tcp_init() - probe SO_PEEK_OFF and, for an https:// proxy, load the
 * TLS trust (tcp_tls_init()); called once at engine start
 * Return: 0, or -1 with one line printed and a runtime_failure reported
 */
int tcp_init(struct engine *e);

/* tcp_fini() - free what tcp_init() made, once every flow is freed */
void tcp_fini(void);

/* tcp_from_child() - a TCP segment from the tree */
void tcp_from_child(struct engine *e, const struct packet *p);

/* tcp_sock_handler() - epoll @events on the host socket of @t */
void tcp_sock_handler(struct engine *e, struct tcp_flow *t, uint32_t events);

/* tcp_flush_acks() - send the ACKs owed after a batch of tree packets */
void tcp_flush_acks(struct engine *e);

/* tcp_timer() - retransmission, probes, linger and idle expiry of @t
 * Return: true when @t needs the fast tick
 */
bool tcp_timer(struct engine *e, struct tcp_flow *t);

/* tcp_unfinished() - after the tree is gone: does @t still carry data
 * from the tree's orphaned socket (no FIN or RST from it yet)?
 */
bool tcp_unfinished(const struct tcp_flow *t);

/* tcp_free() - flow_sweep()'s hook: close the socket, report flow_end */
void tcp_free(struct engine *e, struct tcp_flow *t);

/* tcp_debug_totals() - with CHILDFLOW_DEBUG=1, the engine's TCP counters
 * (partial sends, out of order, retransmissions) on stderr, at exit
 */
void tcp_debug_totals(void);

#endif /* CHILDFLOW_TCP_H */
