#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""bench/report.py RESULTS META [--smoke] [--write FILE]

Turn bench/run's raw results into the table: per workload and column the
median over repetitions, its ratio to native, and childflow's ratio to the
best peer (pasta or slirp4netns, whichever did better). With --write, the
same table goes to FILE (docs/performance.md) with the machine, the date,
how to rerun it and the targets of the benchmark issue, met or not. Nothing
in that file is typed by hand.

RESULTS: tab-separated lines "metric tool rep value", value a number or
"n/a:reason". META: key=value lines written by bench/run.

Exit status: 0; with --smoke, 1 unless native and childflow both produced
every figure of the smoke (so CI fails when childflow stops relaying).
"""
import statistics
import sys

TOOLS = ["native", "childflow", "pasta", "slirp"]
TOOL_NAMES = {"native": "native", "childflow": "childflow", "pasta": "pasta",
              "slirp": "slirp4netns"}
PEERS = ["pasta", "slirp"]

# metric: (label, unit, higher is better, format)
METRICS = {
    "tcp_up_1": ("TCP tree->world, 1 stream", "Gbit/s", True, "{:.2f}"),
    "tcp_up_4": ("TCP tree->world, 4 streams", "Gbit/s", True, "{:.2f}"),
    "tcp_down_1": ("TCP world->tree, 1 stream", "Gbit/s", True, "{:.2f}"),
    "tcp_down_4": ("TCP world->tree, 4 streams", "Gbit/s", True, "{:.2f}"),
}
THROUGHPUT = ["tcp_up_1", "tcp_up_4", "tcp_down_1", "tcp_down_4"]
# The cost of each throughput run: machine-wide CPU time per GB moved, and
# how busy the CPUs were meanwhile.
for _m in THROUGHPUT:
    _label = METRICS[_m][0].removeprefix("TCP ")
    METRICS["cpu_" + _m] = ("CPU time per GB moved, " + _label, "CPU ms/GB", False,
                            "{:.0f}")
    METRICS["busy_" + _m] = ("CPUs busy meanwhile, " + _label, "%", None, "{:.0f}")
METRICS.update({
    "rr_p50": ("TCP request/response latency p50", "µs", False, "{:.1f}"),
    "rr_p99": ("TCP request/response latency p99", "µs", False, "{:.1f}"),
    "crate": ("short connections (HTTP, Connection: close)", "conn/s", True, "{:.0f}"),
    "udp": ("UDP 64-byte datagrams echoed", "dgram/s", True, "{:.0f}"),
    "dns": ("DNS queries answered", "query/s", True, "{:.0f}"),
    "startup": ("start-up of `true` (native: unshare -rn)", "ms", False, "{:.2f}"),
    "scale_held": ("idle TCP connections held", "conns", True, "{:.0f}"),
    "scale_lost": ("held connections closed by the far end", "conns", False, "{:.0f}"),
    "scale_rss_idle": ("relay RSS before", "KiB", False, "{:.0f}"),
    "scale_rss_held": ("relay RSS with the connections open", "KiB", False, "{:.0f}"),
    "scale_per_conn": ("relay RSS growth per idle connection", "bytes", False, "{:.0f}"),
    "scale_total_per_conn": ("relay RSS with them / connections", "bytes", False, "{:.0f}"),
    "scale_tput_base": ("TCP tree->world, 1 stream, before", "Gbit/s", True, "{:.2f}"),
    "scale_tput_held": ("TCP tree->world, 1 stream, connections open", "Gbit/s", True,
                        "{:.2f}"),
    "scale_tput_change": ("throughput change with the connections open", "%", None,
                          "{:+.1f}"),
})
# Rows where a ratio to native means nothing (native has no relay process).
NO_NATIVE_RATIO = {"scale_held", "scale_lost", "scale_rss_idle", "scale_rss_held",
                   "scale_per_conn", "scale_total_per_conn", "scale_tput_change"}
NO_NATIVE_RATIO |= {"busy_" + m for m in THROUGHPUT}
# Rows that native has figures for, though they take no ratio.
NATIVE_HAS = {"scale_held", "scale_lost", "scale_tput_change"} | {
    "busy_" + m for m in THROUGHPUT}

# The engine profile (bench/run wl_profile): kinds of work, in row order.
PROFILE_KINDS = [
    ("send", "send() to host sockets (and the delivery it sets off)"),
    ("recv", "recv() and peeks on host sockets"),
    ("read", "read() of tun0"),
    ("write", "write() of tun0 (data, ACKs, and what the tree's stack does with them)"),
    ("epoll", "epoll_wait()"),
    ("user", "the engine's own code and libc"),
    ("rest", "the rest (timers, interrupts, unattributed)"),
]
PROFILE_RUNS = [("up_1", "tree->world, 1 stream"), ("up_4", "tree->world, 4 streams"),
                ("down_1", "world->tree, 1 stream"), ("down_4", "world->tree, 4 streams")]


def load(path):
    """Raw results -> {(metric, tool): [numbers]}, {(metric, tool): first reason},
    {(metric, tool): {rep: number}}."""
    values, reasons, by_rep = {}, {}, {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t", 3)
            if len(parts) != 4:
                continue
            metric, tool, rep, value = parts
            if value.startswith("n/a:"):
                reasons.setdefault((metric, tool), value[4:])
                continue
            try:
                v = float(value)
            except ValueError:
                reasons.setdefault((metric, tool), "unreadable figure " + value)
                continue
            values.setdefault((metric, tool), []).append(v)
            by_rep.setdefault((metric, tool), {})[rep] = v
    return values, reasons, by_rep


def paired_table(t, by_rep):
    """Markdown: childflow's ratios to native and to the better peer within
    each repetition (the columns of one repetition ran back to back), and
    their median; None when fewer than two repetitions ran."""
    rows = [["workload", "childflow / native, per repetition", "median",
             "childflow / best peer, per repetition", "median"]]
    for m, (label, _unit, higher, _spec) in METRICS.items():
        if m.startswith("scale_") or higher is None:
            continue
        cf = by_rep.get((m, "childflow"), {})
        nat, peer = [], []
        for rep in sorted(cf, key=int):
            n = by_rep.get((m, "native"), {}).get(rep)
            if n:
                nat.append(cf[rep] / n)
            got = [by_rep.get((m, p), {}).get(rep) for p in PEERS]
            got = [g for g in got if g]
            if got:
                peer.append(cf[rep] / (max(got) if higher else min(got)))
        if len(nat) < 2 and len(peer) < 2:
            continue
        rows.append([label,
                     ", ".join("×{:.2f}".format(r) for r in nat) or "-",
                     "×{:.2f}".format(statistics.median(nat)) if nat else "-",
                     ", ".join("×{:.2f}".format(r) for r in peer) or "-",
                     "×{:.2f}".format(statistics.median(peer)) if peer else "-"])
    return md_table(rows) if len(rows) > 1 else None


def load_meta(path):
    """META key=value lines -> dict."""
    meta = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                meta[k] = v
    return meta


class Table:
    """Medians per cell, with the reasons for the empty ones."""

    def __init__(self, values, reasons, meta, tools):
        self.tools = tools
        self.values = values
        self.med = {k: statistics.median(v) for k, v in values.items() if v}
        self.reasons = reasons
        self.meta = meta
        self._derive()

    def _derive(self):
        """Throughput change with the connections open, per column."""
        keys = set(self.med) | set(self.reasons)
        if not any(k[0] in ("scale_tput_base", "scale_tput_held") for k in keys):
            return
        for t in self.tools:
            base = self.med.get(("scale_tput_base", t))
            held = self.med.get(("scale_tput_held", t))
            if base and held is not None:
                self.med[("scale_tput_change", t)] = (held / base - 1.0) * 100.0
            else:
                self.reasons.setdefault(
                    ("scale_tput_change", t),
                    self.reasons.get(("scale_tput_held", t),
                                     self.reasons.get(("scale_tput_base", t), "not measured")))

    def get(self, metric, tool):
        """The median of a cell, or None."""
        return self.med.get((metric, tool))

    def why(self, metric, tool):
        """Why a cell is empty."""
        if tool == "childflow" and self.meta.get("childflow_fail"):
            return "childflow failed: " + self.meta["childflow_fail"].removeprefix(
                "childflow failed: ")
        if tool == "native" and metric in NO_NATIVE_RATIO - NATIVE_HAS:
            return "no relay"
        return self.reasons.get((metric, tool), "not measured")

    def ratio_native(self, metric, tool):
        """tool / native, or None."""
        if metric in NO_NATIVE_RATIO:
            return None
        v, n = self.get(metric, tool), self.get(metric, "native")
        if v is None or not n:
            return None
        return v / n

    def best_peer(self, metric):
        """(tool, value) of the better peer, or (None, None)."""
        higher = METRICS[metric][2]
        got = [(t, self.get(metric, t)) for t in PEERS if self.get(metric, t) is not None]
        if not got or higher is None:
            return None, None
        return (max if higher else min)(got, key=lambda tv: tv[1])

    def ratio_peer(self, metric):
        """childflow / best peer, or None."""
        _, peer = self.best_peer(metric)
        cf = self.get(metric, "childflow")
        if cf is None or not peer:
            return None
        return cf / peer

    def metrics(self):
        """Rows that have anything to show, in table order."""
        return [m for m in METRICS if any((m, t) in self.med or (m, t) in self.reasons
                                          for t in self.tools)]

    def cell(self, metric, tool):
        """'figure (×ratio)' or 'n/a (reason)'."""
        v = self.get(metric, tool)
        if v is None:
            return "n/a (" + self.why(metric, tool) + ")"
        s = METRICS[metric][3].format(v)
        r = self.ratio_native(metric, tool)
        if r is not None and tool != "native":
            s += " (×{:.2f})".format(r)
        return s

    def rows(self):
        """Header plus one list of strings per metric."""
        head = ["workload", "unit"] + [TOOL_NAMES[t] for t in self.tools]
        if "childflow" in self.tools and any(p in self.tools for p in PEERS):
            head.append("childflow / best peer")
        out = [head]
        for m in self.metrics():
            row = [METRICS[m][0], METRICS[m][1]] + [self.cell(m, t) for t in self.tools]
            if len(head) > len(row):
                r = self.ratio_peer(m)
                peer, _ = self.best_peer(m)
                row.append("×{:.2f} ({})".format(r, TOOL_NAMES[peer]) if r else "-")
            out.append(row)
        return out


def text_table(rows):
    """Aligned plain text for the terminal."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for n, r in enumerate(rows):
        lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def md_table(rows):
    """A Markdown table."""
    esc = [[c.replace("|", "\\|") for c in r] for r in rows]
    lines = ["| " + " | ".join(esc[0]) + " |",
             "|" + "|".join(["---"] * len(esc[0])) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in esc[1:]]
    return "\n".join(lines)


def fmt(v, spec="{:.2f}"):
    """A number or 'n/a'."""
    return "n/a" if v is None else spec.format(v)


def raw_table(t):
    """Markdown: every repetition's figure per workload and column."""
    rows = [["workload"] + [TOOL_NAMES[x] for x in t.tools]]
    for m in METRICS:
        cells = []
        for x in t.tools:
            vals = t.values.get((m, x), [])
            cells.append(", ".join(METRICS[m][3].format(v) for v in vals) or "-")
        repeated = not m.startswith("scale_") or m in ("scale_tput_base",
                                                         "scale_tput_held")
        if repeated and any(c != "-" for c in cells):
            rows.append([METRICS[m][0]] + cells)
    return md_table(rows)


def targets(t):
    """The issue's targets: list of (target, measured, verdict)."""
    out = []

    def verdict(ok):
        return "n/a" if ok is None else ("met" if ok else "**not met**")

    for m in ["tcp_up_1", "tcp_up_4", "tcp_down_1", "tcp_down_4"]:
        r = t.ratio_native(m, "childflow")
        cf = t.get(m, "childflow")
        peers = [t.get(m, p) for p in PEERS]
        above = None if cf is None or None in peers else all(cf > p for p in peers)
        ok = None if r is None or above is None else (r >= 0.7 and above)
        pr = t.ratio_peer(m)
        out.append((METRICS[m][0] + ": ≥ 0.7 × native and above pasta and slirp4netns",
                    "×{} native, ×{} best peer".format(fmt(r), fmt(pr)), verdict(ok)))
    r = t.ratio_native("rr_p50", "childflow")
    out.append(("latency p50 ≤ 1.5 × native", "×{} native".format(fmt(r)),
                verdict(None if r is None else r <= 1.5)))
    r = t.ratio_native("crate", "childflow")
    pr = t.ratio_peer("crate")
    peers = [t.get("crate", p) for p in PEERS]
    cf = t.get("crate", "childflow")
    ok = None if r is None or cf is None or None in peers else (
        r >= 0.5 and all(cf > p for p in peers))
    out.append(("connection rate ≥ 0.5 × native and above both peers",
                "×{} native, ×{} best peer".format(fmt(r), fmt(pr)), verdict(ok)))
    r = t.ratio_native("startup", "childflow")
    cf, pa = t.get("startup", "childflow"), t.get("startup", "pasta")
    faster = None if cf is None or pa is None else pa / cf
    ok = None if r is None or faster is None else (r <= 3.0 and faster >= 10.0)
    out.append(("start-up ≤ 3 × `unshare -rn true` and ≥ 10 × faster than pasta",
                "×{} unshare, {}× faster than pasta".format(fmt(r), fmt(faster, "{:.1f}")),
                verdict(ok)))
    pc = t.get("scale_per_conn", "childflow")
    tot = t.get("scale_total_per_conn", "childflow")
    out.append(("≤ 1 KiB of engine memory per idle TCP connection (RSS growth)",
                "{} bytes growth ({} bytes of total RSS per connection)".format(
                    fmt(pc, "{:.0f}"), fmt(tot, "{:.0f}")),
                verdict(None if pc is None else pc <= 1024)))
    ch = t.get("scale_tput_change", "childflow")
    out.append(("10,000 open connections change throughput by < 10 %",
                "{} %".format(fmt(ch, "{:+.1f}")),
                verdict(None if ch is None else abs(ch) < 10.0)))
    return out


def limits(t):
    """Why each unmet throughput target is unmet, from the run's own cost
    figures: a list of Markdown paragraphs (empty when all are met)."""
    out = []
    try:
        cpus = int(t.meta.get("cpus", "0"))
    except ValueError:
        cpus = 0
    for m in THROUGHPUT:
        r = t.ratio_native(m, "childflow")
        nat = t.get(m, "native")
        if r is None or r >= 0.7 or not nat:
            continue
        cost, ncost = t.get("cpu_" + m, "childflow"), t.get("cpu_" + m, "native")
        busy, nbusy = t.get("busy_" + m, "childflow"), t.get("busy_" + m, "native")
        label = METRICS[m][0]
        if not cost or not ncost or not cpus:
            out.append("* {} (×{:.2f} of native): no cost figures in this run.".format(
                label, r))
            continue
        ceiling = cpus * 1000.0 / cost * 8
        need = cpus * 1000.0 * 8 / (0.7 * nat)
        text = ("* {} (×{:.2f} of native): a GB moved through childflow cost the "
                "machine {:.0f} CPU-ms, against {:.0f} natively (×{:.2f})").format(
                    label, r, cost, ncost, cost / ncost)
        text += ". The CPUs were {}% busy (natively {}%). ".format(
            fmt(busy, "{:.0f}"), fmt(nbusy, "{:.0f}"))
        if ceiling < 0.7 * nat:
            text += ("At that cost, all {} CPUs doing nothing else would carry at most "
                     "{:.1f} Gbit/s, ×{:.2f} of native's {:.1f}: the target needs the cost "
                     "itself to fall to {:.0f} CPU-ms per GB or less, not more "
                     "parallelism.").format(cpus, ceiling, ceiling / nat, nat, need)
        else:
            text += ("CPU time is not what stops it: at that cost the {} CPUs could carry "
                     "{:.1f} Gbit/s (×{:.2f} of native), so the run is held back by the "
                     "hand-offs between the tree's stack, the engine and the receiver, "
                     "each waiting on the other.").format(cpus, ceiling, ceiling / nat)
        out.append(text)
    return out


def profile_table(t):
    """Markdown: where the engine's time went in the profiled runs, or None."""
    runs = [(tag, label) for tag, label in PROFILE_RUNS
            if any(("prof_{}_{}".format(k, tag), "childflow") in t.med
                   or ("prof_{}_{}".format(k, tag), "childflow") in t.reasons
                   for k, _ in PROFILE_KINDS)]
    if not runs:
        return None
    rows = [["engine samples in"] + [label for _, label in runs]]
    for kind, label in PROFILE_KINDS:
        cells = []
        for tag, _ in runs:
            v = t.get("prof_{}_{}".format(kind, tag), "childflow")
            cells.append(fmt(v, "{:.1f} %") if v is not None else
                         "n/a (" + t.reasons.get(("prof_{}_{}".format(kind, tag),
                                                  "childflow"), "not measured") + ")")
        rows.append([label] + cells)
    return md_table(rows)


def markdown(t, rows, paired=None):
    """The whole of docs/performance.md."""
    m = t.meta
    mins = int(m.get("elapsed", "0")) / 60.0
    cf = m.get("childflow") or "not built"
    lines = [
        "# Performance",
        "",
        "<!-- Written by bench/run (bench/report.py). Do not edit by hand: rerun it. -->",
        "",
        "childflow's rootless engine against the kernel path (native), pasta and",
        "slirp4netns, measured side by side in one run of `bench/run`, in the test",
        "lab (tests/lab: host, router and world network namespaces joined by veth).",
        "Compare the ratios, which come from one run; absolute figures from",
        "different runs or machines are not comparable.",
        "",
        "## This run",
        "",
        "| | |",
        "|---|---|",
        "| date | {} |".format(m.get("date", "")),
        "| kernel (`uname -r`) | {} |".format(m.get("kernel", "")),
        "| CPU | {} ({} CPUs, {}) |".format(m.get("cpu", ""), m.get("cpus", ""),
                                          m.get("mem", "")),
        "| childflow | {} (release build) |".format(cf),
        "| pasta (Debian passt) | {} |".format(m.get("pasta", "")),
        "| slirp4netns | {} |".format(m.get("slirp4netns", "")),
        "| iperf3 | {} |".format(m.get("iperf3", "")),
        "| repetitions | {} (median of them per cell), columns interleaved |".format(
            m.get("reps", "")),
        "| durations | iperf3 {} s per run; latency, connection rate, UDP, DNS {} s per run |"
        .format(m.get("iperf_seconds", ""), m.get("seconds", "")),
        "| run time | {:.1f} min, from install to the end |".format(mins),
        "",
    ]
    if m.get("childflow_fail"):
        lines += ["childflow could not run in this run: `{}`.".format(
            m["childflow_fail"].replace("`", "'")), ""]
    lines += [
        "## Results",
        "",
        "Each cell: the median, and in brackets its ratio to native. The last",
        "column is childflow's figure over the better of pasta and slirp4netns",
        "(above 1 is better for rates, below 1 for times and memory).",
        "",
        md_table(rows),
        "",
        "## Targets (issue 6)",
        "",
        "| target | measured | verdict |",
        "|---|---|---|",
    ]
    lines += ["| {} | {} | {} |".format(a, b, c) for a, b, c in targets(t)]
    why_not = limits(t)
    prof = profile_table(t)
    if why_not or prof:
        lines += [
            "",
            "## What limits throughput",
            "",
            "On the kernel path a byte is copied twice (from the sender into the",
            "kernel, from the kernel to the receiver) and crosses one pair of TCP",
            "stacks. Through childflow it is copied twice more (tun0 to the engine,",
            "the engine into the host socket, or the reverse) and crosses the tree's",
            "TCP stack as well, whose work runs partly in the engine's system calls.",
            "The rows \"CPU time per GB moved\" measure that cost; from them:",
            "",
        ]
        lines += why_not or ["* Every throughput target is met in this run."]
    if prof:
        lines += [
            "",
            "Where the engine's own time goes: `perf record -g` on the engine process",
            "during one extra run of each throughput workload (not in the figures",
            "above), each kind of work counted with everything the kernel does under",
            "it on the engine's CPU:",
            "",
            prof,
        ]
    lines += [
        "",
        "## Every repetition",
        "",
        "The figures behind each median, in the order they were measured, to",
        "show the spread (the scale rows of memory come from one run each).",
        "",
        raw_table(t),
        "",
    ]
    if paired:
        lines += [
            "## Ratios within each repetition",
            "",
            "The columns of one repetition ran one after the other, so a ratio",
            "taken within a repetition is less exposed to what else the machine",
            "was doing than a ratio of medians taken across them. For reading",
            "the spread only: the targets above use the medians.",
            "",
            paired,
            "",
        ]
    lines += [
        "## Method",
        "",
        "* Every column runs the same clients as the unprivileged lab user from",
        "  the lab's host namespace: natively, inside `childflow -- CMD`, inside",
        "  `pasta --config-net -- CMD` (automatic port forwarding off: `-t none -u none",
        "  -T none -U none`), and inside an `unshare -rn` namespace that",
        "  `slirp4netns --mtu=65520 --disable-host-loopback` connects (bench/tree).",
        "* TCP throughput: iperf3 to the lab's iperf3 server (`-R` for world->tree,",
        "  `-P 4` for four streams), the receiver's figure.",
        "* Cost of throughput: the machine's busy CPU time (user, nice, system, irq",
        "  and softirq in /proc/stat; idle, iowait and steal left out) across each",
        "  iperf3 run, start and end of the tree included, over the bytes received;",
        "  everything counts: clients, servers, the lab's router and the relay.",
        "  Nothing polls while a run is measured (a process woken every 20 ms",
        "  moved one-stream figures by 15 %).",
        "* Latency: `cfload rr`, {}-byte messages over one TCP connection, one at a".format(
            m.get("msg_size", "")),
        "  time, against an epoll echo server (`cfload serve`) in the world.",
        "* Connection rate: `cfload crate`, {} connections at a time, each connect,".format(
            m.get("crate_conc", "")),
        "  `GET /` with `Connection: close` to the lab's nginx, read to EOF, close.",
        "* UDP: `cfload udp`, {} datagrams of {} bytes in flight to the echo server.".format(
            m.get("udp_window", ""), m.get("msg_size", "")),
        "* DNS: `cfload dns`, {} A queries in flight to the tree's own resolver (the".format(
            m.get("dns_window", "")),
        "  first nameserver of its resolv.conf: childflow's 10.0.2.3, otherwise the",
        "  lab's dnsmasq directly).",
        "* Start-up: `hyperfine -N`, {} runs after 3 warm-ups, per repetition.".format(
            m.get("startup_runs", "")),
        "* Scale: {} idle TCP connections from the tree to the world server; the".format(
            m.get("hold", "")),
        "  relay's VmRSS (childflow's parent, pasta, slirp4netns) before and with them",
        "  open, and a one-stream upload before and while they are open ({} runs".format(
            m.get("scale_runs", "1")),
        "  each, the median of them, after one run not counted). The growth",
        "  per connection counts only memory touched once they open: what a relay",
        "  allocates and touches at start (a preallocated flow table) shows in",
        "  \"relay RSS before\" and in \"relay RSS with them / connections\". Socket",
        "  buffers are kernel memory and in no column's RSS.",
        "",
        "## Rerun",
        "",
        "```sh",
        "sudo bench/run            # about 12 minutes: installs, builds, runs, writes this file",
        "sudo bench/run --smoke    # about 10 seconds: native and childflow, no file written",
        "```",
        "",
        "Tunables are listed in the header of `bench/run`.",
        "",
    ]
    return "\n".join(lines)


def smoke_ok(t):
    """True when native and childflow produced every smoke figure."""
    if t.meta.get("childflow_fail"):
        return False
    for (metric, tool), reason in t.reasons.items():
        if tool in ("native", "childflow") and metric in METRICS:
            print("smoke: {} {}: {}".format(tool, metric, reason), file=sys.stderr)
            return False
    return bool(t.med)


def main(argv):
    """Entry point; see the module doc."""
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    results, meta_path = argv[1], argv[2]
    smoke = "--smoke" in argv
    write = argv[argv.index("--write") + 1] if "--write" in argv else None
    values, reasons, by_rep = load(results)
    meta = load_meta(meta_path)
    tools = ["native", "childflow"] if smoke else TOOLS
    t = Table(values, reasons, meta, tools)
    rows = t.rows()
    print()
    print(text_table(rows))
    if not smoke:
        print()
        for a, b, c in targets(t):
            print("{:<80} {:<40} {}".format(a, b, c.replace("*", "")))
        for para in limits(t):
            print()
            print(para.removeprefix("* "))
        prof = profile_table(t)
        if prof:
            print()
            print(prof)
    if write:
        with open(write, "w", encoding="utf-8") as f:
            f.write(markdown(t, rows, paired_table(t, by_rep)))
        print("\nwrote " + write)
    if smoke:
        if smoke_ok(t):
            print("smoke: ok, childflow relayed every workload")
            return 0
        why = meta.get("childflow_fail") or "a workload failed"
        print("smoke: FAILED: " + why, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
