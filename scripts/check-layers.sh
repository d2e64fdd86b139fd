#!/usr/bin/env bash
# check-layers [OBJDIR]: the calls between the files of src/ (outside
# src/toml/) go down the layers declared in src/LAYERS, and no circle of
# calls remains among them.  The call graph comes from the object files
# (nm: a symbol undefined in one object and defined by another is a call
# or a reference from the first to the second): those in OBJDIR (NAME.c.o
# or NAME.o), else each src/*.c compiled alone into a temporary directory.
# Prints every upward call and every circle with the symbols behind it;
# exit 1 when there is one, 2 when the declaration is incomplete.
set -euo pipefail
cd "$(dirname "$0")/.."
objdir=${1:-}
if [[ -z $objdir ]]; then
  objdir=$(mktemp -d)
  trap 'rm -rf "$objdir"' EXIT
  for f in src/*.c; do
    ${CC:-cc} -std=c11 -O2 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L \
      -Iinclude -Isrc -c "$f" -o "$objdir/$(basename "$f" .c).o"
  done
fi
python3 - "$objdir" <<'PY'
import glob, os, re, subprocess, sys
objdir = sys.argv[1]
layers, layer_of = [], {}
for line in open('src/LAYERS'):
    line = line.split('#', 1)[0].split()
    if not line:
        continue
    name, files = line[0], line[2:]
    if name not in layers:
        layers.append(name)
    for f in files:
        layer_of[f + '.c'] = name
rank = {name: len(layers) - i for i, name in enumerate(layers)}  # base lowest
sources = sorted(os.path.basename(p) for p in glob.glob('src/*.c'))
bad = [s for s in sources if s not in layer_of]
gone = [f for f in layer_of if f not in sources]
if bad or gone:
    for s in bad:
        print('check-layers: src/%s has no layer in src/LAYERS' % s)
    for f in gone:
        print('check-layers: src/LAYERS names src/%s, which does not exist' % f)
    sys.exit(2)
defs, undefs = {}, {}
for src in sources:
    stem = src[:-2]
    obj = next((p for p in (os.path.join(objdir, src + '.o'),
                            os.path.join(objdir, stem + '.o'))
                if os.path.exists(p)), None)
    if not obj:
        print('check-layers: no object file for src/%s in %s' % (src, objdir))
        sys.exit(2)
    out = subprocess.run(['nm', obj], capture_output=True, text=True,
                         check=True).stdout
    for l in out.splitlines():
        p = l.split()
        if len(p) == 2 and p[0] == 'U':
            undefs.setdefault(src, set()).add(p[1])
        elif len(p) == 3 and p[1] in 'TDBRVWGS':
            defs[p[2]] = src
edges, why = {s: set() for s in sources}, {}
for a, syms in undefs.items():
    for sym in syms:
        b = defs.get(sym)
        if b and b != a:
            edges[a].add(b)
            why.setdefault((a, b), []).append(sym)
failed = False
for a in sources:
    for b in sorted(edges[a]):
        if rank[layer_of[b]] > rank[layer_of[a]]:
            failed = True
            print('check-layers: src/%s (%s) calls up into src/%s (%s): %s' %
                  (a, layer_of[a], b, layer_of[b],
                   ', '.join(sorted(why[(a, b)])[:6])))
# circles: strongly connected components (Tarjan, iterative)
index, low, onst, st, sccs, n = {}, {}, set(), [], [], 0
for root in sources:
    if root in index:
        continue
    work = [(root, iter(sorted(edges[root])))]
    index[root] = low[root] = n; n += 1; st.append(root); onst.add(root)
    while work:
        v, it = work[-1]
        w = next(it, None)
        if w is None:
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                c = []
                while True:
                    x = st.pop(); onst.discard(x); c.append(x)
                    if x == v:
                        break
                if len(c) > 1:
                    sccs.append(sorted(c))
        elif w not in index:
            index[w] = low[w] = n; n += 1; st.append(w); onst.add(w)
            work.append((w, iter(sorted(edges[w]))))
        elif w in onst:
            low[v] = min(low[v], index[w])
for c in sccs:
    failed = True
    print('check-layers: circle: ' + ' '.join('src/' + x for x in c))
    for a in c:
        for b in c:
            if (a, b) in why:
                print('  src/%s -> src/%s: %s' %
                      (a, b, ', '.join(sorted(why[(a, b)])[:6])))
ncalls = sum(len(e) for e in edges.values())
if failed:
    sys.exit(1)
print('check-layers: %d files in %d layers, %d file-to-file calls, all going '
      'down, no circle' % (len(sources), len(layers), ncalls))
PY
