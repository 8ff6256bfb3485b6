#!/usr/bin/python3
"""Heap allocations counted in a callgrind dump.

  alloc_calls.py CALLGRIND_OUT

Sums the calls made into the allocation functions (malloc, calloc, realloc, the aligned
forms and every operator new) from code that is not itself one of them, so operator new
calling malloc counts once. Prints the sum. A dump taken with instrumentation switched on
only around a known number of queries (run.sh's measure_instr) gives the server's heap
allocations per query, every thread included, in the real server rather than a
micro-benchmark.

Callgrind's name compression: "fn=(12) name" defines id 12 the first time, "fn=(12)"
reuses it; cfn= lines name the callee of the "calls=COUNT ..." line that follows.
"""
import re
import sys

ALLOC = re.compile(r"^(malloc|calloc|realloc|reallocarray|aligned_alloc|memalign|posix_memalign|valloc|pvalloc|"
                   r"__libc_(malloc|calloc|realloc|memalign)|operator new(\[\])?\(.*|_Zn[wa][jm].*)$")
NAME = re.compile(r"^c?fn=(?:\((\d+)\))?\s*(.*)$")


def count(path):
    names = {}
    fn = cfn = ""
    total = 0
    for line in open(path, errors="replace"):
        if line.startswith(("fn=", "cfn=")):
            m = NAME.match(line.rstrip("\n"))
            ident, name = m.group(1), m.group(2)
            if ident is not None:
                if name:
                    names[ident] = name
                name = names.get(ident, "")
            if line.startswith("fn="):
                fn = name
            else:
                cfn = name
        elif line.startswith("calls="):
            if ALLOC.match(cfn) and not ALLOC.match(fn):
                total += int(line.split("=", 1)[1].split()[0])
    return total


if __name__ == "__main__":
    print(count(sys.argv[1]))
