#!/usr/bin/python3
"""Tables and plot of one bench/e2e/run.sh run.

  report.py OUTDIR PNG

reads OUTDIR/results.tsv (config, server, metric, value) and OUTDIR/machine.tsv, prints
Markdown tables, and draws CPU µs per query and instructions per query (fastrbld, rbldnsd,
ceiling) into PNG with matplotlib (python3-matplotlib).
"""
import collections
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


def main(outdir, png):
    res = collections.defaultdict(dict)
    order = []
    for line in open(f"{outdir}/results.tsv"):
        config, server, metric, value = line.rstrip("\n").split("\t")
        res[(config, server)][metric] = value
        if config not in order:
            order.append(config)
    # Rounds (metric_rN): the median round stands for the metric; the rounds are listed.
    rounds_text = []
    for (config, server), r in sorted(res.items()):
        for base in ("cpu_us", "p50_us", "p99_us"):
            vals = [num(v) for k, v in sorted(r.items()) if k.startswith(base + "_r")]
            vals = [v for v in vals if v is not None]
            if vals:
                r[base + "_single_run"] = r.get(base)
                r[base] = str(sorted(vals)[len(vals) // 2])
                if base == "cpu_us":
                    rounds_text.append(f"{config} {server}: " + ", ".join(f"{v:.2f}" for v in vals) +
                                       f" (alone, before: {fmt(num(r.get('cpu_us_single_run')))})")
    machine = dict(l.rstrip("\n").split("\t", 1) for l in open(f"{outdir}/machine.tsv"))
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
            ("instr_burst", "instr/q (bursts of 32)", 0), ("instr_single", "instr/q (one at a time)", 0)]
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
                cells.append(f"{a / b:.2f}" if a is not None and b else "")
            print(f"| {label(config)} | ratio fastrbld/rbldnsd | " + " | ".join(cells) + " |")
        if "ceiling" in vals and "fastrbld" in vals:
            cells = []
            for k, _, _ in cols:
                a, b = vals["fastrbld"][k], vals["ceiling"][k]
                cells.append(f"{a / b:.2f}" if a is not None and b and k not in ("start_s", "rss_kb") else "")
            print(f"| {label(config)} | ratio fastrbld/ceiling | " + " | ".join(cells) + " |")
    print()

    if rounds_text:
        print("CPU µs/query in the rounds (servers taking turns; the table shows the median round):\n")
        for t in rounds_text:
            print(f"- {t}")
        print()

    mix = {s: res.get(("mix", s), {}) for s in SERVERS}
    fi, ri = num(mix["fastrbld"].get("instr_burst")), num(mix["rbldnsd"].get("instr_burst"))
    fc, cc = num(mix["fastrbld"].get("cpu_us")), num(mix["ceiling"].get("cpu_us"))
    if fi and ri:
        print(f"Target 1 (fastrbld instr/q ≤ 1/4 of rbldnsd's, mix, bursts): {fi:,.0f} vs {ri:,.0f} "
              f"= {fi / ri:.2f} of rbldnsd's → {'met' if fi <= ri / 4 else 'not met'}.")
    if fc and cc:
        print(f"Target 2 (fastrbld CPU/q within 15 % of the ceiling's, mix): {fc:.2f} vs {cc:.2f} µs "
              f"= {fc / cc:.2f}× → {'met' if fc <= cc * 1.15 else 'not met'}.")

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
    cpu = [num(mix[s].get("cpu_us")) or 0 for s in names]
    ax1.bar(names, cpu, color=[colors[s] for s in names])
    ax1.set_title(f"server CPU µs per query\n(dnsperf at {int(machine.get('cpu_rate', 0)):,} q/s, mix)")
    ax1.set_ylabel("µs (utime + stime)")
    for i, v in enumerate(cpu):
        ax1.text(i, v, f"{v:.2f}", ha="center", va="bottom")
    width = 0.38
    for j, mode in enumerate(("burst", "single")):
        vals = [num(mix[s].get(f"instr_{mode}")) or 0 for s in names]
        xs = [i + (j - 0.5) * width for i in range(len(names))]
        ax2.bar(xs, vals, width, color=[colors[s] for s in names], alpha=1.0 if j == 0 else 0.55,
                label="bursts of 32" if j == 0 else "one at a time")
        for x, v in zip(xs, vals):
            ax2.text(x, v, f"{v:,.0f}", ha="center", va="bottom", fontsize=8)
    ax2.set_xticks(range(len(names)))
    ax2.set_xticklabels(names)
    ax2.set_title("user-space instructions per query\n(callgrind, mix)")
    ax2.legend()
    fig.suptitle(f"{label('mix')}; {machine.get('date')}, load {machine.get('load_start')}", fontsize=9)
    fig.tight_layout()
    fig.savefig(png, dpi=90)
    print(f"\nPlot: {png}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
