#!/usr/bin/env python3
"""Which source file calls which, read from the symbols of built objects.

Usage: deps.py [--layers FILE] [--nm NM] [--graph] OBJECT_OR_DIR...
(NM defaults to $NM, else nm; it may carry options, as libtool's "nm -B".)

Each object is a node named after its source file: the folder it was
built in, relative to the current directory (".libs" dropped) and its name after the last '-' (automake's
per-target prefix), so one source compiled for several targets is one
node.  A file A depends on B when A has an undefined global symbol that
B defines.  Directories are searched for objects (*.o).

The check fails (exit 1) when
  - two or more files call each other, directly or round a longer circle
    (a strongly connected component of the graph); or
  - with --layers: a file calls into a folder on a higher line of the
    layers file, or into another folder of its own line, or a folder
    holding objects is not declared.  Lines of the layers file list folders,
    lowest layer first; '#' starts a comment.
--graph prints every edge (file -> file: symbols) and exits 0.
"""
import os
import shlex
import subprocess
import sys


def node_of(path, root):
    rel = os.path.relpath(path, root)
    folder, base = os.path.split(rel)
    if os.path.basename(folder) == '.libs':
        folder = os.path.dirname(folder)
    stem = base[:-2] if base.endswith('.o') else base
    stem = stem.rsplit('-', 1)[-1]
    return (folder or '.', stem + '.c')


def read_symbols(nm, obj):
    """(defined, undefined) global symbol sets of one object."""
    # BSD format (nm's default, and libtool's NM="nm -B"): "[value] kind name".
    out = subprocess.run(shlex.split(nm) + [obj], check=True, capture_output=True,
                         text=True).stdout
    defined, undefined = set(), set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) < 2 or len(parts[-2]) != 1:
            continue
        name, kind = parts[-1], parts[-2]
        if kind == 'U':
            undefined.add(name)
        elif kind in 'TDBRCGSVW' and kind.isupper():
            defined.add(name)
    return defined, undefined


def find_objects(args):
    objs = []
    for a in args:
        if os.path.isdir(a):
            for d, _, files in os.walk(a):
                objs += [os.path.join(d, f) for f in sorted(files) if f.endswith('.o')]
        else:
            objs.append(a)
    return objs


def read_layers(path):
    rank = {}
    with open(path) as f:
        n = 0
        for line in f:
            line = line.split('#', 1)[0].split()
            if not line:
                continue
            for folder in line:
                rank[folder.rstrip('/')] = n
            n += 1
    return rank


def components(nodes, edges):
    """Strongly connected components (Tarjan), as sorted lists."""
    index, low, on, stack, out = {}, {}, set(), [], []
    counter = [0]

    def visit(v):
        # Iterative, so a long chain cannot overflow Python's stack.
        work = [(v, iter(sorted(edges.get(v, ()))))]
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        while work:
            u, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(edges.get(w, ())))))
                    break
                if w in on:
                    low[u] = min(low[u], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[u])
                if low[u] == index[u]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        comp.append(w)
                        if w == u:
                            break
                    out.append(sorted(comp))

    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return out


def main(argv):
    layers, nm, graph, args = None, os.environ.get('NM', 'nm'), False, []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == '--layers':
            i += 1
            layers = argv[i]
        elif a == '--nm':
            i += 1
            nm = argv[i]
        elif a == '--graph':
            graph = True
        else:
            args.append(a)
        i += 1
    objs = find_objects(args)
    if not objs:
        print('deps.py: no objects found in %s' % ' '.join(args), file=sys.stderr)
        return 2
    root = os.getcwd()
    defs, undefs = {}, {}
    for o in objs:
        n = node_of(os.path.abspath(o), root)
        d, u = read_symbols(nm, o)
        defs.setdefault(n, set()).update(d)
        undefs.setdefault(n, set()).update(u)
    where = {}
    for n, syms in defs.items():
        for s in syms:
            where.setdefault(s, set()).add(n)
    edges, why = {}, {}
    for n, syms in undefs.items():
        for s in syms:
            cands = where.get(s, set()) - {n}
            same = {c for c in cands if c[0] == n[0]}
            for c in (same or cands):
                edges.setdefault(n, set()).add(c)
                why.setdefault((n, c), set()).add(s)

    def name(n):
        return n[1] if n[0] == '.' else n[0] + '/' + n[1]

    if graph:
        for (a, b), syms in sorted(why.items()):
            print('%s -> %s: %s' % (name(a), name(b), ' '.join(sorted(syms))))
        return 0
    bad = 0
    for comp in components(defs.keys(), edges):
        if len(comp) > 1:
            bad += 1
            print('cycle: ' + ' <-> '.join(name(n) for n in comp))
            for a in comp:
                for b in sorted(edges.get(a, ())):
                    if b in comp:
                        print('  %s -> %s: %s' % (name(a), name(b),
                                                 ' '.join(sorted(why[(a, b)]))))
    if layers:
        rank = read_layers(layers)
        for folder in sorted({n[0] for n in defs}):
            if folder not in rank:
                bad += 1
                print('layers: folder %s is not declared in %s' % (folder, layers))
        for (a, b), syms in sorted(why.items()):
            ra, rb = rank.get(a[0]), rank.get(b[0])
            if a[0] == b[0] or ra is None or rb is None:
                continue
            if ra <= rb:
                bad += 1
                print('layers: %s calls %s %s: %s' % (
                    name(a), 'up into' if ra < rb else 'across into',
                    name(b), ' '.join(sorted(syms))))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
