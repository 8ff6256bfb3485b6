#!/usr/bin/env python3
"""Pushed updates: how fast a change is answered (issue 6; figures in bench/README.md).

    bench/update/run.py [--build build/release] [--work /tmp/fastrbl-update-bench]
                        [--entries 100000] [--rounds 20] [--batch 10000]

In one run, on 127.0.0.1, with a dnset of --entries names:
  * fastrbld --db --feeds --update-keys: `nsupdate -k` adds a name, then a UDP poller (1 ms
    steps) asks until it is answered: nsupdate's own time and add-to-answer, per round;
  * the same for a delete;
  * `fastrblctl feed push` of --batch adds over DNS UPDATE: wall time, changes/s, and the
    time until the last one is answered;
  * Debian's rbldnsd on the same rendered file, the rbldnsd way of changing a list: write
    the file again with one more line (temp file + rename), SIGHUP, poll until answered;
  * VmRSS / RssAnon of both servers at the end.
Needs nsupdate (bind9-dnsutils), /usr/sbin/rbldnsd for the reference rows. Run as root:
both servers drop to nobody.
"""
import argparse
import atexit
import os
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import time

SECRET = "qbq4I0r5v3zw3lu8gDWP3wBJ0YBbPxbMkjkBh/f9Ins="


def query(port, name, qid=1):
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\0" + struct.pack(">HH", 1, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.2)
    try:
        s.sendto(q, ("127.0.0.1", port))
        r = s.recv(4096)
        return r[3] & 15, struct.unpack(">H", r[6:8])[0]
    except socket.timeout:
        return None, 0
    finally:
        s.close()


def wait_until(port, name, listed, limit=10.0):
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        rcode, an = query(port, name)
        if (listed and rcode == 0 and an > 0) or (not listed and rcode == 3):
            return time.monotonic()
        time.sleep(0.001)
    return None


def mem(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "RssAnon", "RssFile"):
                out[k] = int(v.split()[0]) // 1024
    return out


STARTED = []  # servers this script started: stopped (by PID) at exit, whatever happens


@atexit.register
def stop_started():
    for p in STARTED:
        if p.poll() is None:
            p.kill()
            p.wait()


def start(cmd, port, name):
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    STARTED.append(p)
    if wait_until(port, name, True, 120) is None:
        p.kill()
        sys.exit(f"{cmd[0]} did not answer")
    return p


def summary(ms):
    ms = sorted(ms)
    return f"median {statistics.median(ms):.0f} ms, min {ms[0]:.0f}, max {ms[-1]:.0f} (n={len(ms)})"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build/release")
    ap.add_argument("--work", default="/tmp/fastrbl-update-bench")
    ap.add_argument("--entries", type=int, default=100000)
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--batch", type=int, default=10000)
    a = ap.parse_args()
    srv = os.path.realpath(f"{a.build}/dnsd/fastrbld")
    ctl = os.path.realpath(f"{a.build}/dnsd/fastrblctl")
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)
    os.chmod(a.work, 0o777)
    os.chdir(a.work)
    with open("feeds.toml", "w") as f:
        f.write('[[dataset]]\nname = "names"\ntype = "dnset"\nzone = "dbl.example"\noutput = "names.dnset"\n'
                'soa = "60 ns.dbl.example. hostmaster.dbl.example. 1 3600 600 86400 60"\n'
                'ns = ["60 ns.dbl.example."]\n')
    with open("update.key", "w") as f:
        f.write(f'key "upd-key" {{\n\talgorithm hmac-sha256;\n\tsecret "{SECRET}";\n}};\n')
    with open("initial.txt", "w") as f:
        for i in range(a.entries):
            f.write(f"add h{i:07d}.d{i % 997}.example\n")
    t0 = time.monotonic()
    subprocess.run([ctl, "feed", "push", "--zone", "dbl.example", "--config", "feeds.toml", "--db", "db",
                    "initial.txt"], check=True, stdout=subprocess.DEVNULL)
    print(f"fastrblctl feed push --db (local) of {a.entries} adds: {time.monotonic() - t0:.2f} s")
    subprocess.run(["chown", "-R", "nobody", a.work], check=False)
    port = 53541
    fast = start([srv, "-n", "-u", "nobody", "-b", f"127.0.0.1/{port}", "--workers", "2", "--db", "db",
                  "--feeds", "feeds.toml", "--update-keys", "update.key"], port, "h0000000.d0.example.dbl.example")
    add_ms, del_ms, ns_ms = [], [], []
    for i in range(a.rounds):
        for op, out in (("add", add_ms), ("delete", del_ms)):
            rr = f"new{i}.example.dbl.example" + (" 300 A 127.0.0.3" if op == "add" else "")
            script = f"server 127.0.0.1 {port}\nzone dbl.example\nupdate {op} {rr}\nsend\n"
            t0 = time.monotonic()
            subprocess.run(["nsupdate", "-k", "update.key"], input=script.encode(), check=True)
            t1 = time.monotonic()
            t2 = wait_until(port, f"new{i}.example.dbl.example", op == "add")
            ns_ms.append((t1 - t0) * 1000)
            out.append((t2 - t0) * 1000)
    print(f"fastrbld nsupdate round trip: {summary(ns_ms)}")
    print(f"fastrbld nsupdate add -> answered: {summary(add_ms)}")
    print(f"fastrbld nsupdate delete -> NXDOMAIN: {summary(del_ms)}")
    with open("batch.txt", "w") as f:
        for i in range(a.batch):
            f.write(f"add b{i:06d}.batch.example 127.0.0.4\n")
    t0 = time.monotonic()
    r = subprocess.run([ctl, "feed", "push", "--zone", "dbl.example", "--server", f"127.0.0.1:{port}", "--key",
                        "update.key", "batch.txt"], check=True, capture_output=True, text=True)
    t1 = time.monotonic()
    t2 = wait_until(port, f"b{a.batch - 1:06d}.batch.example.dbl.example", True)
    print(f"fastrblctl feed push --server, {a.batch} adds: {r.stdout.strip()}; {t1 - t0:.2f} s "
          f"({a.batch / (t1 - t0):.0f} changes/s), last answered after {t2 - t0:.2f} s")
    fm = mem(fast.pid)
    fast.send_signal(signal.SIGTERM)
    fast.wait()
    if not os.access("/usr/sbin/rbldnsd", os.X_OK):
        print(f"fastrbld memory: {fm}; no /usr/sbin/rbldnsd: no reference")
        return
    shutil.copy("names.dnset", "rbl.dnset")
    os.chmod("rbl.dnset", 0o644)
    rport = 53542
    rb = start(["/usr/sbin/rbldnsd", "-n", "-u", "nobody", "-b", f"127.0.0.1/{rport}", "-w", a.work,
                "dbl.example:dnset:rbl.dnset"], rport, "h0000000.d0.example.dbl.example")
    base = open("rbl.dnset").read()
    start_stamp = int(os.stat("rbl.dnset").st_mtime)
    rb_ms = []
    try:
        measure_rbldnsd(rb, rport, base, start_stamp, a.rounds, rb_ms)
        print(f"rbldnsd rewrite + SIGHUP -> answered: {summary(rb_ms)}")
        print(f"memory (MB): fastrbld {fm}; rbldnsd {mem(rb.pid)}")
    finally:
        rb.send_signal(signal.SIGTERM)
        rb.wait()


def measure_rbldnsd(rb, rport, base, start_stamp, rounds, rb_ms):
    for i in range(rounds):
        t0 = time.monotonic()
        with open("rbl.tmp", "w") as f:
            f.write(base + f"rbnew{i}.example :127.0.0.3:\n")
        os.chmod("rbl.tmp", 0o644)
        # rbldnsd notices a file by its mtime in whole seconds: a rewrite within the second of
        # the last load would go unseen, so each one gets a later mtime (the best case for it).
        stamp = start_stamp + i + 1
        os.utime("rbl.tmp", (stamp, stamp))
        os.rename("rbl.tmp", "rbl.dnset")
        rb.send_signal(signal.SIGHUP)
        t2 = wait_until(rport, f"rbnew{i}.example.dbl.example", True)
        if t2 is None:
            raise SystemExit(f"rbldnsd did not answer rbnew{i} within 10 s")
        rb_ms.append((t2 - t0) * 1000)


if __name__ == "__main__":
    main()
