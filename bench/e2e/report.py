#!/usr/bin/python3
"""Tables and plot of one bench/e2e/run.sh run.

  report.py OUTDIR PNG

reads OUTDIR/results.tsv (config, server, metric, value) and OUTDIR/machine.tsv, prints
Markdown tables and the verdict on the performance issue's four targets, and draws CPU µs
per query and instructions per query (fastrbld, rbldnsd, ceiling) into PNG with matplotlib
(python3-matplotlib).
"""
import collections
import statistics
import sys

CONFIG_NAMES = {
    "ip4s": "ip4set small",
    "ip4l": "ip4set large",
    "dn": "dnset",
    "ip6": "ip6trie",
    "mix": "ip4set small + dnset (mix)",
}
SERVERS = ("rbldnsd", "fastrbld", "ceiling")


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def fmt(v, digits=2):
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.{digits}f}"


def rate_text(rate):
    return f"{int(rate):,}" if rate else "?"


def main(outdir, png):
    machine = dict(l.rstrip("\n").split("\t", 1) for l in open(f"{outdir}/machine.tsv"))
    res = collections.defaultdict(dict)
    order = []
    for line in open(f"{outdir}/results.tsv"):
        config, server, metric, value = line.rstrip("\n").split("\t")
        res[(config, server)][metric] = value
        if config not in order and config != "bench_query":
            order.append(config)
    # Rounds (metric_rN): the median round stands for the metric; the rounds are listed.
    rounds_text = []
    for (config, server), r in sorted(res.items()):
        for base in ("cpu_us", "cpu_high_us", "p50_us", "p99_us"):
            vals = [num(v) for k, v in sorted(r.items()) if k.startswith(base + "_r")]
            vals = [v for v in vals if v is not None]
            if vals:
                r[base + "_single_run"] = r.get(base)
                r[base] = str(statistics.median(vals))
                if base == "cpu_us":
                    rounds_text.append(f"{config} {server}, {rate_text(machine.get('cpu_rate'))} q/s: " +
                                       ", ".join(f"{v:.2f}" for v in vals) +
                                       f" (alone, before: {fmt(num(r.get('cpu_us_single_run')))})")
                if base == "cpu_high_us":
                    rounds_text.append(f"{config} {server}, {rate_text(machine.get('cpu_rate_high'))} q/s: " +
                                       ", ".join(f"{v:.2f}" for v in vals))
        # Heap allocations per query: both callgrind windows together.
        if r.get("allocs_burst") is not None:
            r["allocs"] = str((num(r.get("allocs_burst")) or 0) + (num(r.get("allocs_single")) or 0))
    sizes = machine.get("sizes", "").split()

    def label(config):
        name = CONFIG_NAMES.get(config, config)
        n = {"ip4s": 0, "ip4l": 1, "dn": 2, "ip6": 3}
        if config in n and len(sizes) == 4:
            return f"{name} ({int(sizes[n[config]]):,})"
        if config == "mix" and len(sizes) == 4:
            return f"mix ({int(sizes[0]):,} ip4set + {int(sizes[2]):,} dnset)"
        return name

    print(f"Machine: {machine.get('nproc')} CPUs ({machine.get('cpu')}), Linux {machine.get('kernel')}; "
          f"load average {machine.get('load_start')} at the start, {machine.get('load_end', '?')} at the end; "
          f"{machine.get('date')}; mode {machine.get('mode')}; rbldnsd {machine.get('rbldnsd')}, "
          f"fastrbl {machine.get('fastrbld')}.\n")
    cols = [("start_s", "start s", 2), ("rss_kb", "RSS MB", 1), ("cpu_us", "CPU µs/q", 2),
            ("p50_us", "p50 µs", 0), ("p99_us", "p99 µs", 0), ("qps", "q/s at 0 % loss", 0),
            ("instr_burst", "instr/q (bursts of 32)", 0), ("instr_single", "instr/q (one at a time)", 0),
            ("allocs", "heap allocs/q", 2)]
    print("| data | server | " + " | ".join(c[1] for c in cols) + " |")
    print("| --- | --- | " + " | ".join("---" for _ in cols) + " |")
    for config in order:
        vals = {}
        for server in SERVERS:
            r = res.get((config, server))
            if not r:
                continue
            v = {}
            for key, _, _ in cols:
                x = num(r.get(key))
                if key == "rss_kb" and x is not None:
                    x /= 1024
                v[key] = x
            vals[server] = v
            cells = [fmt(v[k], d) for k, _, d in cols]
            if r.get("qps_limit") and r.get("qps_limit") != "none" and v["qps"] is not None:
                cells[5] += f" ({r['qps_limit']})"
            print(f"| {label(config)} | {server} | " + " | ".join(cells) + " |")
        if "rbldnsd" in vals and "fastrbld" in vals:
            cells = []
            for k, _, _ in cols:
                a, b = vals["fastrbld"][k], vals["rbldnsd"][k]
                cells.append(f"{a / b:.2f}" if a is not None and b and k != "allocs" else "")
            print(f"| {label(config)} | ratio fastrbld/rbldnsd | " + " | ".join(cells) + " |")
        if "ceiling" in vals and "fastrbld" in vals:
            cells = []
            for k, _, _ in cols:
                a, b = vals["fastrbld"][k], vals["ceiling"][k]
                cells.append(f"{a / b:.2f}" if a is not None and b and k not in ("start_s", "rss_kb", "allocs") else "")
            print(f"| {label(config)} | ratio fastrbld/ceiling | " + " | ".join(cells) + " |")
    print()

    if rounds_text:
        print("CPU µs/query in the rounds (servers taking turns; the table shows the median round):\n")
        for t in rounds_text:
            print(f"- {t}")
        print()

    mix = {s: res.get(("mix", s), {}) for s in SERVERS}
    print("Targets of the performance issue, all from this run:\n")
    fi, ri = num(mix["fastrbld"].get("instr_burst")), num(mix["rbldnsd"].get("instr_burst"))
    if fi and ri:
        fs, rs = num(mix["fastrbld"].get("instr_single")), num(mix["rbldnsd"].get("instr_single"))
        print(f"1. User-space instructions per query on the mix at most 1/4 of rbldnsd's: "
              f"{fi:,.0f} against {ri:,.0f} in bursts of 32 = {fi / ri:.3f}× "
              f"→ **{'met' if fi <= ri / 4 else 'not met'}** (one at a time {fs:,.0f} against {rs:,.0f}"
              f" = {fs / rs:.2f}×).")
    for key, rate in (("cpu_us", "cpu_rate"), ("cpu_high_us", "cpu_rate_high")):
        fc, cc = num(mix["fastrbld"].get(key)), num(mix["ceiling"].get(key))
        rc = num(mix["rbldnsd"].get(key))
        if not (fc and cc):
            continue
        against = f" (rbldnsd {rc:.2f} µs: fastrbld uses {fc / rc:.2f}× its CPU)" if rc else ""
        if key == "cpu_us":
            print(f"2. Server CPU per query within 15 % of the do-nothing responder's under the same dnsperf "
                  f"load (the harness's fixed load, {rate_text(machine.get(rate))} q/s, mix, median round): "
                  f"{fc:.2f} against {cc:.2f} µs = {fc / cc:.2f}× → **{'met' if fc <= cc * 1.15 else 'not met'}**"
                  f"{against}.")
        else:
            print(f"   The same at {rate_text(machine.get(rate))} q/s, where recvmmsg batches form (median round): "
                  f"{fc:.2f} against {cc:.2f} µs = {fc / cc:.2f}×{against}.")
    bench = {k: v for (c, k), v in res.items() if c == "bench_query"}
    windows = {c: num(r["allocs"]) for (c, srv), r in res.items() if srv == "fastrbld" and "allocs" in r}
    if bench or windows:
        per_op = {k: num(v.get("allocs_per_op")) for k, v in bench.items()}
        zero = all(v == 0 for v in per_op.values()) and all(v == 0 for v in windows.values())
        print(f"3. 0 heap allocations per query: bench_query allocs/op "
              + (", ".join(f"{k} {fmt(v, 0) if v is not None else 'missing'}"
                           for k, v in sorted(per_op.items())) or "not run")
              + "; the running fastrbld (all threads, callgrind windows) "
              + (", ".join(f"{c} {fmt(v, 2)}" for c, v in sorted(windows.items())) or "not measured")
              + f" per query → **{'met' if zero and per_op and windows else 'not met'}**.")
    f = mix["fastrbld"]
    w = {n: [num(v) for k, v in sorted(f.items()) if k.startswith(f"qps_workers{n}_r")] for n in (1, 2)}
    if w[1] and w[2]:
        m1, m2 = statistics.median(w[1]), statistics.median(w[2])
        c = {n: statistics.median(num(v) for k, v in f.items() if k.startswith(f"cpu_workers{n}_r")) for n in (1, 2)}
        lost = sum(int(num(v) or 0) for k, v in f.items() if k.startswith("lost_workers"))
        print(f"4. With 2 workers on {machine.get('nproc')} CPUs at least the throughput of 1 worker (no rate "
              f"limit, medians of {len(w[1])} rounds taking turns): {m2:,.0f} against {m1:,.0f} q/s = "
              f"{m2 / m1:.2f}× → **{'met' if m2 >= m1 else 'not met'}**; rounds (1 / 2 workers): "
              + ", ".join(f"{a:,.0f} / {b:,.0f}" for a, b in zip(w[1], w[2]))
              + f"; server CPU {c[1]:.2f} / {c[2]:.2f} µs per query; {lost} queries lost in all.")
    print()

    for server in SERVERS:
        try:
            lines = open(f"{outdir}/top-{server}-mix.txt").read().splitlines()
        except OSError:
            continue
        if not lines or not lines[0].startswith("total"):
            continue
        print(f"\n{server}, mix, bursts of 32: top functions by self instructions "
              f"(callgrind, inlined code merged; {lines[0].split()[1]} Ir in all)\n")
        print("| share | Ir | function |\n| --- | --- | --- |")
        for l in lines[1:11]:
            share, ir, name = l.split("\t", 2)
            print(f"| {share} | {int(ir):,} | `{name}` |")

    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(no plot: python3-matplotlib missing)", file=sys.stderr)
        return 0
    names = [s for s in SERVERS if mix[s]]
    colors = {"rbldnsd": "#c0504d", "fastrbld": "#4f81bd", "ceiling": "#9bbb59"}
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))

    def pair_of_bars(ax, series, value_format, title):
        """Two bars per server, (metric, legend label) each, the second paler."""
        width = 0.38
        for j, (key, text) in enumerate(series):
            vals = [num(mix[s].get(key)) or 0 for s in names]
            xs = [i + (j - 0.5) * width for i in range(len(names))]
            ax.bar(xs, vals, width, color=[colors[s] for s in names], alpha=1.0 if j == 0 else 0.55, label=text)
            for x, v in zip(xs, vals):
                ax.text(x, v, format(v, value_format), ha="center", va="bottom", fontsize=8)
        # Room above the tallest first bar for the legend.
        ax.set_ylim(0, max(num(mix[s].get(series[0][0])) or 0 for s in names) * 1.3)
        ax.set_xticks(range(len(names)))
        ax.set_xticklabels(names)
        ax.set_title(title)
        ax.legend()

    pair_of_bars(ax1, [("cpu_us", f"{rate_text(machine.get('cpu_rate'))} q/s"),
                       ("cpu_high_us", f"{rate_text(machine.get('cpu_rate_high'))} q/s")],
                 ".2f", "server CPU µs per query\n(dnsperf at a fixed rate, mix, median round)")
    ax1.set_ylabel("µs (utime + stime)")
    pair_of_bars(ax2, [("instr_burst", "bursts of 32"), ("instr_single", "one at a time")], ",.0f",
                 "user-space instructions per query\n(callgrind, mix)")
    fig.suptitle(f"{label('mix')}; {machine.get('date')}, load {machine.get('load_start')}", fontsize=9)
    fig.tight_layout()
    fig.savefig(png, dpi=90)
    print(f"\nPlot: {png}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
