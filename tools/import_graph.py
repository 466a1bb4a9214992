"""The import graph of the ``tapejax`` package, read from the source (nothing is imported).

``python tools/import_graph.py`` prints the packages and top-level modules in layers: each one
imports (at module level) only from the layers above it, which is the diagram in
docs/architecture.md. ``--edges`` prints every module-level import edge instead; imports made
inside functions (deferred to break a cycle) are listed with ``--deferred``. Exits 1 if the
module-level graph has a cycle.
"""
import ast
import pathlib
import sys
import textwrap

ROOT = pathlib.Path(__file__).resolve().parent.parent / "tapejax"


def _module_name(path):
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _unit(name):
    """A top-level module or subpackage of tapejax: ``tapejax.ops.core`` -> ``ops``."""
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _resolve(module, node, is_package):
    base = module.split(".") if is_package else module.split(".")[:-1]
    if node.level:
        base = base[:len(base) - node.level + 1]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    if not target.startswith("tapejax"):
        return []
    if node.module is None or node.level and not node.module:
        return [f"{target}.{a.name}" for a in node.names]
    return [target]


def edges(deferred=False):
    """(importer, imported) pairs of tapejax modules; module-level imports unless ``deferred``."""
    out = set()
    for path in sorted(ROOT.rglob("*.py")):
        module = _module_name(path)
        tree = ast.parse(path.read_text())
        top = set(map(id, tree.body))
        for node in ast.walk(tree):
            if (id(node) in top) == deferred:
                continue
            if isinstance(node, ast.ImportFrom):
                targets = _resolve(module, node, path.name == "__init__.py")
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names if a.name.startswith("tapejax")]
            else:
                continue
            out.update((module, t) for t in targets if t != module)
    return sorted(out)


def layers():
    """Units (top-level modules and subpackages) by depth: layer 0 imports no other unit."""
    deps = {}
    for src, dst in edges():
        a, b = _unit(src), _unit(dst)
        deps.setdefault(a, set())
        deps.setdefault(b, set())
        if a != b and a != "__init__":
            deps[a].add(b)
    depth, visiting = {}, set()

    def visit(unit):
        if unit in depth:
            return depth[unit]
        if unit in visiting:
            raise SystemExit(f"import cycle through {unit}")
        visiting.add(unit)
        depth[unit] = 1 + max((visit(d) for d in deps[unit]), default=-1)
        visiting.discard(unit)
        return depth[unit]

    for unit in deps:
        visit(unit)
    by_layer = {}
    for unit, d in depth.items():
        by_layer.setdefault(d, []).append(unit)
    return [sorted(by_layer[d]) for d in sorted(by_layer)], deps


def main(argv):
    if "--edges" in argv or "--deferred" in argv:
        for src, dst in edges(deferred="--deferred" in argv):
            print(f"{src} -> {dst}")
        return 0
    rows, _ = layers()
    for k, units in enumerate(rows):
        print(textwrap.fill(", ".join(u for u in units if u != "__init__"), 96,
                            initial_indent=f"{k:2d}  ", subsequent_indent="    "))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
