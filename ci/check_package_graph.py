#!/usr/bin/env python3
"""Checks that the package graph points down (docs/architecture.md, "Packages and dependencies").

Asks Bazel for every direct dependency edge in the main repository, folds it into a graph of
packages and fails when
  1. two or more packages depend on each other, directly or through others (a package cycle), or
  2. a target under //src depends on a target under //fakes, except the edges in ALLOWED_FAKES.

Test rules (`*_test`) are leaves: nothing depends on a test, so a test cannot close a cycle of
targets. A test that sits next to its code but uses a package above it (//src/engine:engine_test
uses //fakes) still makes a package-level loop; those loops are printed as warnings, and
`--strict` turns them into failures. Test rules under //src may use //fakes (mocks and the fake
world are what unit tests are for); only non-test targets are held to rule 2.

Needs Bazel, so it runs from a checkout (`python3 ci/check_package_graph.py`), not inside
`bazel test`. `--graph FILE` reads a saved `bazel query --output=graph --nograph:factored` output
instead of asking Bazel (`--tests FILE` then lists the test labels, one a line).

Usage: check_package_graph.py [--strict] [--mermaid] [--graph FILE --tests FILE] [BAZEL_FLAG...]
"""
import re
import subprocess
import sys

# The one production edge from //src into //fakes: `crh replay --backend fake` runs scenarios on
# the fake world, so the scenario runner builds it (src/scenario/BUILD says the same).
ALLOWED_FAKES = {("//src/scenario:runner", "//fakes:fake_world")}

EDGE = re.compile(r'^\s*"([^"]+)"\s*->\s*"([^"]+)"')


def package(label):
    return label[2:].split(":", 1)[0]


def bazel(args, flags):
    # Any other arguments of this script are passed on to bazel query as flags.
    out = subprocess.run(["bazel", "query"] + flags + args, check=True, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True)
    return out.stdout


def load(argv):
    flags, graph_file, tests_file, rest = [], None, None, list(argv)
    while rest:
        a = rest.pop(0)
        if a == "--graph":
            graph_file = rest.pop(0)
        elif a == "--tests":
            tests_file = rest.pop(0)
        else:
            flags.append(a)
    if graph_file:
        graph = open(graph_file, encoding="utf-8").read()
        tests = open(tests_file, encoding="utf-8").read() if tests_file else ""
    else:
        graph = bazel(["deps(//...)", "--output=graph", "--nograph:factored", "--noimplicit_deps"],
                      flags)
        tests = bazel(['kind(".*_test rule", //...)'], flags)
    edges = []
    for line in graph.splitlines():
        m = EDGE.match(line)
        if m and m.group(1).startswith("//") and m.group(2).startswith("//"):
            edges.append((m.group(1), m.group(2)))
    return edges, set(tests.split())


def sccs(nodes, succ):
    """Tarjan's strongly connected components, iteratively."""
    index, low, on, stack, out, counter = {}, {}, set(), [], [], [0]
    for root in sorted(nodes):
        if root in index:
            continue
        work = [(root, iter(sorted(succ.get(root, ()))))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(succ.get(w, ())))))
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    if len(comp) > 1:
                        out.append(sorted(comp))
    return out


def package_graph(edges):
    succ, witness = {}, {}
    for a, b in edges:
        pa, pb = package(a), package(b)
        if pa == pb:
            continue
        succ.setdefault(pa, set()).add(pb)
        witness.setdefault((pa, pb), (a, b))
    return succ, witness


def report_cycles(title, edges, known=()):
    """Prints and returns the package cycles of `edges`, leaving out those inside `known`."""
    succ, witness = package_graph(edges)
    nodes = set(succ) | {p for s in succ.values() for p in s}
    cycles = [c for c in sccs(nodes, succ) if not any(set(c) <= set(k) for k in known)]
    for comp in cycles:
        print(f"{title}: {' <-> '.join('//' + p for p in comp)}")
        members = set(comp)
        for (pa, pb), (a, b) in sorted(witness.items()):
            if pa in members and pb in members:
                print(f"    {a} -> {b}")
    return cycles, succ


def main(argv):
    strict = "--strict" in argv
    mermaid = "--mermaid" in argv
    argv = [a for a in argv if a not in ("--strict", "--mermaid")]
    edges, tests = load(argv)
    failed = False

    prod = [(a, b) for a, b in edges if a not in tests]
    cycles, succ = report_cycles("package cycle", prod)
    failed |= bool(cycles)
    # Only the loops the tests add; the production ones are printed above.
    extra, _ = report_cycles("package cycle through a test" + ("" if strict else " (warning)"),
                             edges, known=cycles)
    if strict:
        failed |= bool(extra)

    for a, b in sorted(set(prod)):
        if package(a).startswith("src") and package(b).startswith("fakes") \
                and (a, b) not in ALLOWED_FAKES:
            print(f"src depends on fakes: {a} -> {b} (only {sorted(ALLOWED_FAKES)} may)")
            failed = True

    if mermaid:
        print("graph TD")
        for pa in sorted(succ):
            for pb in sorted(succ[pa]):
                print(f"  {pa.replace('/', '_') or 'root'}[{pa}] --> "
                      f"{pb.replace('/', '_') or 'root'}[{pb}]")

    npk = len(set(succ) | {p for s in succ.values() for p in s})
    print(f"{len(edges)} edges, {npk} packages: "
          f"{len(cycles)} package cycle(s), {len(extra)} more through tests, "
          + ("FAILED" if failed else "ok"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
