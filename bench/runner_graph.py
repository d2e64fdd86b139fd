#!/usr/bin/env python3
"""runner_graph.py DIR N [UPS]: writes the project bench/runner-graph times.

N commands c0..c{N-1} in LAYERS layers of a DAG: each command outside the
first layer depends (strictly) on UPS commands of the layer before it,
chosen by a fixed pseudo-random sequence, so the graph is the same on every
run.  Command i reads 10 source files of its own, src/cI/f0.c ..
src/cI/f9.c (M = 10 N files).  Both tools get the same graph:

  DIR/runner.toml  [commands.cI] exec = "true", deps = its 10 files and a
                   command dep (strict) on each upstream
  DIR/build.ninja  build out/cI: t <its 10 files> | out/<each upstream>;
                   rule t writes $out only when it is missing, with
                   restat = 1: an edge whose output did not change does
                   not make its dependents run, as a runner hit does not

SPDX-License-Identifier: MIT
"""
import os
import random
import sys

LAYERS = 10
FILES = 10


def main():
    out, n = sys.argv[1], int(sys.argv[2])
    ups_per = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    width = max(1, (n + LAYERS - 1) // LAYERS)
    rng = random.Random(16)
    ups = []
    for i in range(n):
        layer = i // width
        if layer == 0:
            ups.append([])
            continue
        prev = range((layer - 1) * width, layer * width)
        ups.append(sorted(rng.sample(prev, min(ups_per, len(prev)))))
    os.makedirs(out, exist_ok=True)
    toml, ninja = [], ["rule t\n  command = test -e $out || : > $out\n"
                       "  restat = 1\n\n"]
    for i in range(n):
        d = os.path.join(out, "src", "c%d" % i)
        os.makedirs(d, exist_ok=True)
        srcs = ["src/c%d/f%d.c" % (i, j) for j in range(FILES)]
        for j, s in enumerate(srcs):
            with open(os.path.join(out, s), "w") as f:
                f.write("/* command %d, file %d */\nint f%d_%d(void) "
                        "{ return %d; }\n" % (i, j, i, j, i + j))
        deps = ['"%s"' % s for s in srcs]
        deps += ['{ type = "command", name = "c%d", strict = true }' % u
                 for u in ups[i]]
        toml.append('[commands.c%d]\nexec = "true"\ndeps = [%s]\n\n'
                    % (i, ", ".join(deps)))
        ninja.append("build out/c%d: t %s%s\n" % (
            i, " ".join(srcs),
            " | " + " ".join("out/c%d" % u for u in ups[i]) if ups[i]
            else ""))
    with open(os.path.join(out, "runner.toml"), "w") as f:
        f.write("".join(toml))
    with open(os.path.join(out, "build.ninja"), "w") as f:
        f.write("".join(ninja))


if __name__ == "__main__":
    main()
