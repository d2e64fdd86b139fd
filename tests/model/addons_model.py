#!/usr/bin/env python3
"""Reference model of the seed's addon manager (reference/addons-spec.md
sections 1.4-1.6), used to derive the expected orders of the scenario tests
in tests/test_host.c independently of the C code.

    tests/model/addons_model.py FIXTURE_DIR REQ...

FIXTURE_DIR holds NS/NAME folders read from tests/fixtures (a plugin.toml
with `requires`, and an optional `hook_requires` file: one requirement per
line, added by the register hook).  Prints three lines:
    register: ns:a ns:b ...      (resolve-hook order)
    post: ns:a ...               (post_register order)
    layers: ns:a ns:b | ns:c ... (final layering)
"""
import os
import sys
import tomllib


def load(fixture_root):
    plugins = {}
    for entry in sorted(os.listdir(fixture_root)):
        d = os.path.join(fixture_root, entry)
        mp = os.path.join(d, "plugin.toml")
        if not os.path.isfile(mp):
            continue
        with open(mp, "rb") as f:
            m = tomllib.load(f)
        ns = m["namespace"]

        def split(req):
            ident = req.split()[0]
            return tuple(ident.split(":", 1)) if ":" in ident else (ns, ident)

        static = [split(r) for r in m.get("requires", [])]
        hooked = []
        hp = os.path.join(d, "hook_requires")
        if os.path.exists(hp):
            with open(hp) as f:
                hooked = [split(line.strip()) for line in f if line.strip()]
        plugins[(ns, m["name"])] = (static, hooked)
    return plugins


class Model:
    def __init__(self, plugins):
        self.p = plugins
        self.known, self.imported, self.resolved = [], {}, {}
        self.events = {"register": [], "post": []}

    def all_for(self, ns):
        return sorted(k for k in self.p if k[0] == ns)

    def add_pairs(self, *pairs):
        added, alls = [], []
        for pr in pairs:
            if pr[1] == "__all__":
                alls.append(pr[0])
            elif pr not in self.known:
                self.known.append(pr)
                added.append(pr)
        for ns in alls:
            for pr in self.all_for(ns):
                if pr not in self.known:
                    self.known.append(pr)
                    added.append(pr)
        return added

    def add_pairs_from_extras(self, extras):
        found = []
        for pr in extras:
            found += self.add_pairs(pr)
        return sorted(found)

    def getter(self, pr, known):
        if pr not in self.p:
            raise KeyError("no such addon %r" % (pr,))
        extras = []
        for (ns, n) in self.p[pr][0]:
            cands = sorted(q for q in self.all_for(ns) if q not in known) if n == "__all__" else [(ns, n)]
            for c in cands:
                if c not in extras:
                    extras.append(c)
        return {"extras": extras, "result": None}

    def deps(self, pr):
        rec = self.imported[pr]
        out = list(rec["extras"])
        if rec["result"] is not None:
            out += rec["result"]
        return out

    def layered(self):
        layers, accounted = [], set()

        def place(pr, chain):
            if pr in accounted:
                return
            accounted.add(pr)
            chain2 = chain + [pr]
            for d in sorted(self.deps(pr)):
                if d in chain2:
                    raise RuntimeError("DepCycle %r" % (chain2 + [d],))
                place(d, chain2)
            lvl = 0
            for d in self.deps(pr):
                for i, layer in enumerate(layers):
                    if d in layer:
                        lvl = max(lvl, i + 1)
            if lvl == len(layers):
                layers.append([])
            layers[lvl].append(pr)

        for k in sorted(self.imported):
            place(k, [])
        return layers

    def import_known(self):
        added = False
        for pr in list(self.known):
            if pr not in self.imported:
                rec = self.getter(pr, list(self.known))
                self.imported[pr] = rec
                self.add_pairs_from_extras(rec["extras"])
                added = True
        return added

    def recursive_import_known(self):
        any_ = False
        while self.import_known():
            any_ = True
        return any_

    def resolve_imported(self):
        for layer in self.layered():
            for pr in layer:
                if pr in self.resolved:
                    continue
                self.events["register"].append(pr)
                hooked = self.p[pr][1]
                result = []
                found = self.add_pairs_from_extras(hooked)
                if any(n == "__all__" for (_, n) in hooked):
                    want = {}
                    for (ns, n) in hooked:
                        if n != "__all__":
                            want.setdefault(ns, []).append(n)
                    for (ns, n) in found:
                        want.setdefault(ns, []).append(n)
                    result = [(ns, n) for ns in sorted(want) for n in sorted(set(want[ns]))]
                else:
                    result = list(hooked)
                self.imported[pr]["result"] = result
                self.resolved[pr] = True
        return self.recursive_import_known()

    def register(self, pairs):
        self.add_pairs(*pairs)
        self.recursive_import_known()
        while self.resolve_imported():
            pass
        layers = self.layered()
        for layer in layers:
            for pr in layer:
                self.events["post"].append(pr)
        return layers


def main():
    root, reqs = sys.argv[1], sys.argv[2:]
    m = Model(load(root))
    layers = m.register([tuple(r.split(":", 1)) for r in reqs])
    fmt = lambda prs: " ".join("%s:%s" % p for p in prs)
    print("register:", fmt(m.events["register"]))
    print("post:", fmt(m.events["post"]))
    print("layers:", " | ".join(fmt(layer) for layer in layers))


if __name__ == "__main__":
    main()
