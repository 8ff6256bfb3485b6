#!/usr/bin/python3
"""Top functions of a callgrind dump, self cost, with inlined parts merged.

  top_functions.py CALLGRIND_OUT [N]

Runs callgrind_annotate (every function, no threshold) and sums the lines that name the
same function: callgrind_annotate lists "file:function" per source file, so code inlined
from a header shows up as a separate line of the function it was inlined into. Prints the
N (default 10) largest as "share  Ir  function" lines, total first.
"""
import collections
import re
import subprocess
import sys

LINE = re.compile(r"^\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(.*)$")


def main(path, n):
    out = subprocess.run(["callgrind_annotate", "--threshold=100", "--inclusive=no", "--auto=no", path],
                         capture_output=True, text=True, check=True).stdout
    total = 0
    cost = collections.Counter()
    for line in out.splitlines():
        m = LINE.match(line)
        if not m:
            continue
        ir = int(m.group(1).replace(",", ""))
        what = m.group(2)
        if what.startswith("PROGRAM TOTALS"):
            total = ir
            continue
        what = re.sub(r"\s+\[[^\]]*\]$", "", what)       # the object file
        what = re.sub(r"^[^:]*:(?!:)", "", what, count=1)  # the source file
        what = what.split("(")[0] if not what.startswith("0x") else "(no symbol) " + what
        cost[what] += ir
    print(f"total\t{total}")
    for name, ir in cost.most_common(n):
        print(f"{100.0 * ir / max(1, total):.1f}%\t{ir}\t{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 10))
