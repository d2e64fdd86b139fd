#!/usr/bin/env python3
"""Verdict lines for the benchmarks' targets, computed round by round.

    verdict.py RAW.tsv [--check] < TARGETS

RAW.tsv is the per-sample file median.py appends to (--raw): one line per
result, its samples in round order.  In each round every job ran once, so two
results of the same round saw the same machine speed.  Each target line of
TARGETS is

    LABEL | A [- C] [+ D ...] / B [* K] | OP GOAL

where A, B, C, D are results written "name@N" (B may also be a number), K
is a number, OP is <= or >=, and GOAL a number.  For every round r the ratio
is (cost(A) - cost(C) + cost(D)) / cost(B) * K, cost being the value for time and size
units and 1/value for rates (MB/s), so a ratio below 1 always means A is
cheaper.  The verdict compares the median of the per-round ratios with the
goal and prints

    verdict ok     LABEL  1.32x  (goal <= 1.5x; 5 rounds 1.21..1.40)

or MISSED, or n/a when a result is absent.  A goal of "-" prints the ratio
alone ("ratio" instead of a verdict).  Lines of TARGETS that are empty
or start with # are skipped.  --check: exit 1 when a verdict is MISSED or
n/a.
"""
import statistics
import sys


def load(path):
    rows = {}
    with open(path) as f:
        for line in f:
            name, n, unit, _med, _mn, _mx, samples = line.rstrip("\n").split("\t")
            cost = (lambda v: 1.0 / v) if unit.endswith("/s") else (lambda v: v)
            rows["%s@%s" % (name, n)] = [cost(float(x)) for x in samples.split()]
    return rows


def series(rows, term):
    """The per-round costs of a result, or None for a number."""
    term = term.strip()
    try:
        float(term)
        return None
    except ValueError:
        return rows.get(term, [])


def evaluate(rows, expr):
    """The per-round ratios of "A [+- C ...] / B [* K]", or [] when a
    result is absent."""
    num, _, rest = expr.partition("/")
    den, _, k = rest.partition("*")
    k = float(k) if k.strip() else 1.0
    words = num.split()
    terms = [(1.0, words[0])] + [(1.0 if words[i] == "+" else -1.0, words[i + 1])
                                 for i in range(1, len(words) - 1, 2)]
    tops = [(sign, series(rows, t)) for sign, t in terms]
    sb = series(rows, den)
    if any(s is None or s == [] for _, s in tops) or sb == []:
        return []
    n = min(len(s) for s in [s for _, s in tops] + ([sb] if sb is not None else []))
    return [sum(sign * s[r] for sign, s in tops) /
            (sb[r] if sb is not None else float(den)) * k for r in range(n)]


def main():
    args = sys.argv[1:]
    check = "--check" in args
    args = [a for a in args if a != "--check"]
    if len(args) != 1:
        sys.exit(__doc__)
    rows = load(args[0])
    missed = 0
    for line in sys.stdin:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        label, expr, goal = (p.strip() for p in line.split("|"))
        ratios = evaluate(rows, expr)
        if goal == "-":
            if ratios:
                print("ratio          %-50s %6.3gx  (%d rounds %.3g..%.3g)"
                      % (label, statistics.median(ratios), len(ratios),
                         min(ratios), max(ratios)))
            continue
        op, value = goal.split()
        value = float(value)
        if not ratios:
            print("verdict n/a    %-50s (goal %s %gx; a result is missing)" % (label, op, value))
            missed += 1
            continue
        med = statistics.median(ratios)
        ok = med <= value if op == "<=" else med >= value
        missed += not ok
        print("verdict %-6s %-50s %6.3gx  (goal %s %gx; %d rounds %.3g..%.3g)"
              % ("ok" if ok else "MISSED", label, med, op, value, len(ratios),
                 min(ratios), max(ratios)), flush=True)
    sys.exit(1 if check and missed else 0)


if __name__ == "__main__":
    main()
