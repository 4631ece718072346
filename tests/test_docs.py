"""The front door and the floor plan: README size, links that resolve, layers without a cycle,
a wheel that carries its data."""

from __future__ import annotations

import ast
import pathlib
import re
import subprocess
import sys
import zipfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").rglob("*.md"))]
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.M | re.S)

# Where each installed package's source lives in the repository (pyproject's package-dir).
SOURCES = {"dexvip_jax": "dexvip_jax", "dexvip_jax.envs": "envs", "dexvip_jax.experiments": "experiments",
           "dexvip_jax.prior_data": "prior_data"}


def anchors(path: pathlib.Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered."""
    seen: dict[str, int] = {}
    out = set()
    for line in FENCE.sub("", path.read_text()).splitlines():
        if not line.startswith("#"):
            continue
        slug = re.sub(r"[^\w\- ]", "", line.lstrip("#").strip().lower()).replace(" ", "-")
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        out.add(slug if n == 0 else f"{slug}-{n}")
    return out


def test_readme_is_a_front_door():
    assert len((ROOT / "README.md").read_bytes()) <= 12_000


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_link_resolves(page):
    broken = []
    for target in LINK.findall(FENCE.sub("", page.read_text())):
        if re.match(r"[a-z]+:", target):  # http(s), mailto: not checked offline
            continue
        file, _, anchor = target.partition("#")
        dest = (page.parent / file).resolve() if file else page
        if not dest.exists():
            broken.append(target)
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            broken.append(target)
    assert not broken, f"{page.name}: links that do not resolve: {broken}"


def module_files() -> dict[str, pathlib.Path]:
    mods = {}
    for pkg, folder in SOURCES.items():
        for path in (ROOT / folder).rglob("*.py"):
            parts = list(path.relative_to(ROOT / folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            mods[".".join([pkg, *parts])] = path
    return mods


def import_graph() -> dict[str, set[str]]:
    """Module -> the project's modules it imports, anywhere in its body: an import inside a function
    is an edge too (deferring an import does not remove a cycle, it hides it)."""
    mods = module_files()

    def owner(name: str) -> str:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name

    graph = {}
    for mod, path in mods.items():
        deps = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                deps |= {owner(a.name) for a in node.names if a.name.startswith("dexvip_jax")}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("dexvip_jax"):
                deps |= {owner(f"{node.module}.{a.name}") for a in node.names}
        graph[mod] = deps - {mod, ""}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
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

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_cycle_finder_finds_a_known_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle():
    graph = import_graph()
    assert "dexvip_jax.ppo.train" in graph and graph["dexvip_jax.training"], "the graph found no modules"
    assert cycles(graph) == []


def test_ppo_core_knows_nothing_above_it():
    """The trainer's core imports no baseline, planner, evaluator or host loop, directly or not."""
    graph = import_graph()
    reach, todo = set(), ["dexvip_jax.ppo.train"]
    while todo:
        for dep in graph[todo.pop()] - reach:
            reach.add(dep)
            todo.append(dep)
    above = {"dexvip_jax.dapg", "dexvip_jax.oracle", "dexvip_jax.evaluate", "dexvip_jax.training",
             "dexvip_jax.sweep", "dexvip_jax.checkpoint", "dexvip_jax.cli"}
    assert not reach & above


@pytest.mark.slow
def test_wheel_carries_priors_and_package_data(tmp_path):
    """The built wheel holds every package and the shipped priors, with no packaging warning."""
    res = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-v",
                          "-w", str(tmp_path), str(ROOT)], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-2000:]
    # setuptools' own warnings (a deprecated field, an undeclared package); pip's lowercase
    # "warning: byte-compiling is disabled" is about the build environment, not this project.
    warned = sorted({m.group(0) for m in re.finditer(r"\S*Warning\b.*", res.stdout + res.stderr)})
    assert not warned, warned
    (wheel,) = tmp_path.glob("dexvip_jax-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {f"dexvip_jax/prior_data/{p.relative_to(ROOT / 'prior_data')}"
               for p in (ROOT / "prior_data").rglob("*.json")}
    assert "dexvip_jax/prior_data/mocap.json" in shipped and any("/poses/" in s for s in shipped)
    assert shipped <= names, sorted(shipped - names)[:5]
    sources = {f"{pkg.replace('.', '/')}/{p.relative_to(ROOT / folder)}"
               for pkg, folder in SOURCES.items() for p in (ROOT / folder).rglob("*.py")}
    assert sources <= names, sorted(sources - names)[:5]


def test_readme_quick_start_runs_and_prints_what_it_says():
    text = (ROOT / "README.md").read_text()
    (code,) = re.findall(r"^```python\n(.*?)^```", text, re.M | re.S)
    assert len(code.strip().splitlines()) <= 10
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT.parent)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.strip() == "(651,) 0.0"  # the shapes and values its comments promise
