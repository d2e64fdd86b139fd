#!/usr/bin/env python3
"""runner_graph.py -- bench/runner-graph's generator and driver.

  runner_graph.py gen DIR N       writes the project of N commands into DIR
  runner_graph.py bench RUNNER WORK [--check] [N...]
                                  times it against ninja (below)

The project: N commands c0..c{N-1} in LAYERS layers of a DAG; each command
outside the first layer depends (strictly) on UPS commands of the layer
before it, chosen by a fixed pseudo-random sequence, so the graph is the
same on every run.  Command i reads 10 source files of its own,
src/cI/f0.c .. src/cI/f9.c (M = 10 N files).  Both tools get the same
graph:

  DIR/runner.toml  [commands.cI] exec = "true", deps = its 10 files and a
                   command dep (strict) on each upstream
  DIR/build.ninja  build out/cI: t <its 10 files> | out/<each upstream>;
                   rule t writes $out only when it is missing, with
                   restat = 1: an edge whose output did not change does
                   not make its dependents run, as a runner hit does not

The driver measures, for each N, in interleaved rounds (the order of the
two tools alternating), after one warm-up round and with every source file
older than the runner's 2 s racy window:
  first     the first run: no state (.runner; .ninja_log and out/), the
            same -j for both (runner -n J, ninja -j J)
  noop      nothing changed since: everything cached / up to date
  one       one source file changed (another each round)
  ls        runner --ls
and the 64 x `sleep 0.25` project at -n 8, and how soon `runner --watch`
reacts to an edit (the median of 20, the command's own time apart; goal
<= 200 ms, the 100 ms debounce included).  Each target's ratio is the
median over rounds of the ratio of the two tools in the same round.
The project is a git repository; after "one", the change is committed
and `runner --since HEAD~1` is timed against `git diff --name-only
HEAD~1` plus a no-op run (the issue-17 goal: within 2x their sum), and
what it selects is checked against the graph: the changed command and
its strict downstreams (every command dep here is strict), exactly.
Environment: BENCH_RUNS (rounds, default 5), J (default: the CPUs).

SPDX-License-Identifier: MIT
"""
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import time

LAYERS = 10
FILES = 10
UPS = 2


def graph_ups(n):
    """Each command's upstreams (the same on every run)."""
    width = max(1, (n + LAYERS - 1) // LAYERS)
    rng = random.Random(16)
    ups = []
    for i in range(n):
        layer = i // width
        if layer == 0:
            ups.append([])
            continue
        prev = range((layer - 1) * width, layer * width)
        ups.append(sorted(rng.sample(prev, min(UPS, len(prev)))))
    return ups


def generate(out, n):
    ups = graph_ups(n)
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


def git(d, *args):
    subprocess.check_call(["git", "-c", "user.name=bench", "-c",
                           "user.email=bench@localhost", *args], cwd=d,
                          stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL)


def affected(n, i):
    """Command i and its strict downstreams, as generate() links them."""
    ups = graph_ups(n)
    downs = [[] for _ in range(n)]
    for k, us in enumerate(ups):
        for u in us:
            downs[u].append(k)
    seen, todo = {i}, [i]
    while todo:
        for k in downs[todo.pop()]:
            if k not in seen:
                seen.add(k)
                todo.append(k)
    return len(seen)


def timed_err(argv, cwd):
    """Wall time of one run in ms and its stderr; it must succeed."""
    t0 = time.perf_counter()
    p = subprocess.run(argv, cwd=cwd, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
    t = (time.perf_counter() - t0) * 1000
    if p.returncode != 0:
        sys.exit("runner-graph: %s failed (exit %d) in %s: %s"
                 % (" ".join(argv), p.returncode, cwd, p.stderr[-500:]))
    return t, p.stderr


def timed(argv, cwd):
    """Wall time of one run in ms (output discarded); it must succeed."""
    with open(os.devnull, "wb") as null:
        t0 = time.perf_counter()
        rc = subprocess.call(argv, cwd=cwd, stdout=null, stderr=null)
        t = (time.perf_counter() - t0) * 1000
    if rc != 0:
        sys.exit("runner-graph: %s failed (exit %d) in %s"
                 % (" ".join(argv), rc, cwd))
    return t


def reset(tool, d):
    for p in ([".runner"] if tool == "runner" else
              ["out", ".ninja_log", ".ninja_deps"]):
        p = os.path.join(d, p)
        if os.path.isdir(p):
            shutil.rmtree(p)
        elif os.path.exists(p):
            os.remove(p)


def touch_source(d, n, rnd):
    """Changes the bytes of one source file (another each round): the
    command it belongs to."""
    i = (rnd * 7919) % n
    path = os.path.join(d, "src", "c%d" % i, "f%d.c" % (rnd % FILES))
    with open(path, "a") as f:
        f.write("/* round %d */\n" % rnd)
    return i


def bench_n(runner, work, n, rounds, j):
    d = os.path.join(work, "g%d" % n)
    if os.path.isdir(d):
        shutil.rmtree(d)
    generate(d, n)
    with open(os.path.join(d, ".gitignore"), "w") as f:
        f.write(".runner/\nout/\n.ninja_log\n.ninja_deps\n")
    git(d, "init", "-q")
    git(d, "add", "-A")
    git(d, "commit", "-qm", "the graph")
    made = time.time()
    cmd = {"runner": [runner, "-n", str(j)], "ninja": ["ninja", "-j", str(j)]}
    times = {(t, k): [] for t in cmd for k in ("first", "noop", "one")}
    times[("runner", "ls")] = []
    for k in ("since", "git", "noop2"):
        times[("since", k)] = []
    exact = []
    for rnd in range(rounds + 1):  # round 0 warms up
        if rnd == 1:  # every source older than the racy window
            time.sleep(max(0.0, made + 2.5 - time.time()))
        order = ["ninja", "runner"] if rnd % 2 else ["runner", "ninja"]
        got = {}
        for tool in order:
            reset(tool, d)
            got[(tool, "first")] = timed(cmd[tool], d)
        for tool in order:
            got[(tool, "noop")] = timed(cmd[tool], d)
        changed = touch_source(d, n, rnd)
        for tool in order:
            got[(tool, "one")] = timed(cmd[tool], d)
        got[("runner", "ls")] = timed([runner, "--ls"], d)
        # --since HEAD~1 after committing that change, against git diff
        # and a no-op run
        git(d, "commit", "-qam", "round %d" % rnd)
        got[("since", "noop2")] = timed(cmd["runner"], d)
        got[("since", "git")] = timed(["git", "diff", "--name-only",
                                       "HEAD~1"], d)
        got[("since", "since")], err = timed_err(
            cmd["runner"] + ["--since", "HEAD~1"], d)
        m = re.search(r"(\d+) runnables? selected", err)
        if rnd:
            exact.append(bool(m) and int(m.group(1)) == affected(n, changed))
        if rnd:
            for k, v in got.items():
                times[k].append(v)
    times["exact"] = exact
    return times


def sleep_check(runner, work, rounds):
    d = os.path.join(work, "sleep64")
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    with open(os.path.join(d, "runner.toml"), "w") as f:
        for i in range(64):
            f.write('[commands.s%d]\nexec = "sleep 0.25"\n\n' % i)
    return statistics.median(timed([runner, "-n", "8"], d)
                             for _ in range(max(3, rounds // 2)))


def watch_check(runner, work, edits=20):
    """How soon `runner --watch` reacts: EDITS edits of one file, each
    timed from the write to its output appearing, minus the command's own
    time (it appends how long it took, in ns, to own.ns).  Returns the
    median reaction in ms (the debounce, 100 ms, included)."""
    d = os.path.join(work, "watch")
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    with open(os.path.join(d, "runner.toml"), "w") as f:
        f.write('[commands.lat]\nexec = "s=$(date +%s%N); cat lat.txt; '
                'echo $(( $(date +%s%N) - s )) >> own.ns"\n'
                'deps = ["lat.txt"]\n')
    lat = os.path.join(d, "lat.txt")
    with open(lat, "w") as f:
        f.write("edit -1\n")
    out_path, err_path = os.path.join(work, "watch.out"), \
        os.path.join(work, "watch.err")

    def wait_for(path, text, what):
        deadline = time.perf_counter() + 20
        while time.perf_counter() < deadline:
            with open(path) as f:
                if text in f.read():
                    return
            time.sleep(0.002)
        sys.exit("runner-graph: runner --watch never printed %s (%s)"
                 % (what, path))

    with open(out_path, "w") as out, open(err_path, "w") as err:
        w = subprocess.Popen([runner, "--watch"], cwd=d, stdout=out,
                             stderr=err)
    try:
        wait_for(out_path, "edit -1\n", "the first run's output")
        wait_for(err_path, "runner: watching ", "that it watches")
        took = []
        for i in range(edits):
            text = "edit %d\n" % i
            t0 = time.perf_counter()
            with open(lat, "w") as f:
                f.write(text)
            wait_for(out_path, text, repr(text))
            took.append((time.perf_counter() - t0) * 1000)
            time.sleep(0.15)
    finally:
        w.send_signal(2)
        w.wait()
    with open(os.path.join(d, "own.ns")) as f:
        own = [int(x) / 1e6 for x in f.read().split()][1:]  # the edits'
    return statistics.median(t - o for t, o in zip(took, own))


def bench(argv):
    runner, work = argv[0], argv[1]
    check = "--check" in argv[2:]
    ns = [int(a) for a in argv[2:] if a != "--check"] or [100, 1000, 5000]
    rounds = int(os.environ.get("BENCH_RUNS", "5"))
    j = int(os.environ.get("J", str(os.cpu_count() or 1)))
    os.makedirs(work, exist_ok=True)
    med = {}
    ratios = {}
    print("runner-graph: %d rounds, -j %d (runner -n %d), medians in ms"
          % (rounds, j, j))
    print("%6s  %-7s %9s %9s %9s %9s" % ("N", "tool", "first", "noop", "one",
                                         "ls"))
    for n in ns:
        t = bench_n(runner, work, n, rounds, j)
        for tool in ("ninja", "runner"):
            row = [statistics.median(t[(tool, k)])
                   for k in ("first", "noop", "one")]
            ls = statistics.median(t[("runner", "ls")]) if tool == "runner" \
                else None
            for k, v in zip(("first", "noop", "one"), row):
                med[(n, tool, k)] = v
            med[(n, tool, "ls")] = ls
            print("%6d  %-7s %9.1f %9.1f %9.1f %9s" % (
                n, tool, row[0], row[1], row[2],
                "%.1f" % ls if ls is not None else "-"))
        for k in ("first", "noop", "one"):
            ratios[(n, k)] = statistics.median(
                r / q for r, q in zip(t[("runner", k)], t[("ninja", k)]))
        sm = {k: statistics.median(t[("since", k)])
              for k in ("since", "git", "noop2")}
        print("%6d  --since HEAD~1 %.1f ms; git diff --name-only %.1f ms + "
              "no-op %.1f ms; exact selection in %d of %d rounds"
              % (n, sm["since"], sm["git"], sm["noop2"], sum(t["exact"]),
                 len(t["exact"])))
        ratios[(n, "since")] = statistics.median(
            s_ / (g + o) for s_, g, o in zip(t[("since", "since")],
                                             t[("since", "git")],
                                             t[("since", "noop2")]))
        ratios[(n, "exact")] = all(t["exact"])
    s = sleep_check(runner, work, rounds)
    print("64 x sleep 0.25 at -n 8: %.0f ms (ideal 2000)" % s)
    react = watch_check(runner, work)
    print("--watch: median reaction to an edit %.0f ms (20 edits, the "
          "100 ms debounce included, the command's own time apart)" % react)
    verdicts = [("64 x sleep 0.25, -n 8 (wall / 2 s)", s / 2000.0, 1.25),
                ("--watch reaction, median of 20 edits (/ 200 ms)",
                 react / 200.0, 1.0)]
    if 1000 in ns:
        verdicts += [
            ("no-op, N=1000 (runner / ninja)", ratios[(1000, "noop")], 2.0),
            ("one file changed, N=1000 (runner / ninja)",
             ratios[(1000, "one")], 2.0),
            ("first run, N=1000, -j %d (runner / ninja)" % j,
             ratios[(1000, "first")], 1.5),
            ("--since HEAD~1, N=1000 (/ git diff + no-op)",
             ratios[(1000, "since")], 2.0,
             "; exact selection: %s" % ("yes" if ratios[(1000, "exact")]
                                        else "NO"))]
    if 1000 in ns and 5000 in ns:
        for k in ("first", "noop", "one", "ls"):
            # ninja's own growth beside it: what the file system adds
            anchor = "" if k == "ls" else "; ninja %.2fx" % (
                med[(5000, "ninja", k)] / (5 * med[(1000, "ninja", k)]))
            verdicts.append(
                ("linear: %s, N=5000 / 5 x N=1000" % k,
                 med[(5000, "runner", k)] / (5 * med[(1000, "runner", k)]),
                 1.25, anchor))
    missed = 0
    for v in verdicts:
        name, ratio, goal = v[:3]
        ok = ratio <= goal and "NO" not in (v[3] if len(v) > 3 else "")
        missed += not ok
        print("%-6s %-46s %5.2fx  (goal <= %.2fx%s)"
              % ("ok" if ok else "MISSED", name, ratio, goal,
                 v[3] if len(v) > 3 else ""))
    return 1 if check and missed else 0


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "gen":
        generate(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) >= 4 and sys.argv[1] == "bench":
        sys.exit(bench(sys.argv[2:]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
