"""The architecture, checked: imports parsed (never executed) and held to the layer table.

Every ``.py`` file under ``src/telar/`` is parsed with :mod:`ast` and its import statements
(module level, inside functions, under ``if TYPE_CHECKING``; also ``importlib.import_module``
and ``__import__`` with a literal name) are resolved to files:

- ``import a.b.c`` and ``from a.b import c`` -> the file of module ``a.b.c`` when it exists
  (``a/b/c.py`` or ``a/b/c/__init__.py``);
- ``from a.b import name``, ``name`` not a submodule -> the file of ``a.b``;
- a module that names no file -> the file of its longest prefix that does;
- relative imports are resolved against the importing file's package.

Only edges to files under ``src/telar/`` count. The rules (one test each):

(a) no import cycle between files, and no file imports itself;
(b) every file belongs to exactly one group of :data:`LAYERS`, and imports only from its own
    group or from groups of strictly lower rank (nothing upward, nothing sideways);
(c) no engine module imports NumPy but :data:`NUMPY_ALLOWED` (the array module, the CPU
    kernels): the others compute with ``xp``;
(d) in the engine, imports sit at the top of the module: none inside a function (but the
    optional heavy dependencies of :data:`ENGINE_LAZY_IMPORTS`), no module-level
    ``__getattr__``, no import after the first statement that is not one;
(e) the tests mirror the tree file for file: ``tests/A/B/test_c.py`` tests the module
    ``src/telar/A/B/c.py`` (or the package ``src/telar/A/B/c/``), ``tests/examples/test_c.py``
    the script ``examples/c.py``; only the whole-tree tests of :data:`WHOLE_TREE_TESTS` (this
    file) mirror nothing.

Beside them, the example scripts are held to importing telar and never torch.

The checker takes the root of any tree (:func:`load_tree`, :func:`unmirrored_tests`), so the
tests at the bottom run it on small fake trees too, to show that each rule can fail.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from helpers.examples import EXAMPLES

# --------------------------------------------------------------------------------- the table


@dataclass(frozen=True)
class Group:
    """Files that form one layer (or one of several side-by-side groups at the same rank).

    ``members`` are paths relative to the source root: a file (``telar/errors.py``) or a folder
    ending in ``/`` (``telar/io/``, every file below it).
    """

    rank: int
    name: str
    members: tuple[str, ...]

    def holds(self, file: str) -> bool:
        """Whether ``file`` (relative to the source root) is one of this group's files."""
        return any(file == m or (m.endswith("/") and file.startswith(m)) for m in self.members)


PACKAGE = "telar"

#: The layers, lowest first. A file may import from its own group or from a group of strictly
#: lower rank; groups of equal rank (nn, handwritten) must not import each other.
LAYERS: tuple[Group, ...] = (
    Group(0, "foundation", ("telar/errors.py", "telar/constraints.py", "telar/version.py",
                            "telar/io/")),
    Group(1, "data", ("telar/data/",)),
    Group(2, "engine", ("telar/engine/",)),
    Group(3, "nn", ("telar/nn/",)),
    Group(3, "handwritten", ("telar/handwritten/",)),
    Group(4, "optim", ("telar/optim/",)),
    Group(5, "train", ("telar/train/",)),
    Group(6, "PyTorch-named surface", (
        "telar/utils/", "telar/datasets.py", "telar/transforms.py", "telar/factories.py",
        "telar/tensor_functions.py", "telar/serialization.py", "telar/cuda.py",
        "telar/accelerator.py", "telar/backends/", "telar/onnx/")),
    Group(7, "app", ("telar/app/", "telar/sklearn/")),
    Group(8, "entry points", ("telar/__init__.py", "telar/__main__.py", "telar/evaluation.py")),
)

ENGINE = "telar/engine/"
#: The engine files that may import NumPy itself: the array module (``xp``) and the CPU kernels.
NUMPY_ALLOWED: tuple[str, ...] = ("telar/engine/array.py", "telar/engine/cpu/")
#: Optional heavy dependencies an engine function may import when it runs (top-level names).
ENGINE_LAZY_IMPORTS: frozenset[str] = frozenset({"scipy"})

REPOSITORY = Path(__file__).resolve().parents[1]
SRC = REPOSITORY / "src"
#: Test files about the whole tree rather than one module (paths relative to tests/).
WHOLE_TREE_TESTS: frozenset[str] = frozenset({"test_architecture.py", "test_docs.py"})

# ------------------------------------------------------------------------------- the parsing


@dataclass(frozen=True)
class Import:
    """One imported module as a file names it: ``import m`` or ``from m import names``."""

    file: str  # the importing file, relative to the source root
    line: int
    statement: str  # the statement's source text, on one line
    module: str  # the absolute module name (relative imports resolved); "" if unresolvable
    names: tuple[str, ...] = ()  # the names of ``from module import names``
    in_function: bool = False
    dynamic: bool = False  # importlib.import_module("...") or __import__("...")

    @property
    def root(self) -> str:
        """The top-level package imported (``numpy`` for ``numpy.lib.stride_tricks``)."""
        return self.module.split(".")[0]

    def where(self) -> str:
        """``file:line: statement``, for messages."""
        return f"{self.file}:{self.line}: {self.statement}"


@dataclass
class SourceFile:
    """A parsed file: its path relative to the source root, its syntax tree, its imports."""

    path: str
    tree: ast.Module
    imports: list[Import] = field(default_factory=list)


@dataclass
class Tree:
    """Every file of the package under a source root, and the module name -> file index."""

    root: Path
    files: dict[str, SourceFile]
    modules: dict[str, str]  # "telar.engine.tensor" -> "telar/engine/tensor.py"


def module_name(path: str) -> str:
    """``telar/engine/cpu/conv.py`` -> ``telar.engine.cpu.conv``; a package's ``__init__.py``
    names the package."""
    parts = path.removesuffix(".py").split("/")
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def package_of(path: str) -> str:
    """The package relative imports in ``path`` start from (the module itself for an
    ``__init__.py``, else its parent)."""
    name = module_name(path)
    return name if path.endswith("/__init__.py") else name.rpartition(".")[0]


def absolute_module(path: str, node: ast.ImportFrom) -> str:
    """The absolute module of ``from [.level]module import ...`` in ``path`` ("" when the dots
    climb above the top-level package)."""
    if node.level == 0:
        return node.module or ""
    parts = package_of(path).split(".")
    if node.level - 1 >= len(parts):
        return ""
    base = parts[:len(parts) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def one_line(lines: list[str], node: ast.AST) -> str:
    """The source text of ``node`` (``lines``: the file's lines) with its line breaks and
    indentation folded (:func:`ast.get_source_segment`, without re-splitting the file)."""
    chunk = [line.encode() for line in lines[node.lineno - 1:node.end_lineno]]
    chunk[-1] = chunk[-1][:node.end_col_offset]  # offsets count UTF-8 bytes
    chunk[0] = chunk[0][node.col_offset:]
    return " ".join(b"".join(chunk).decode().split())


def dynamic_import_name(node: ast.Call) -> str | None:
    """The module of ``importlib.import_module("m")`` / ``import_module("m")`` /
    ``__import__("m")`` when it is an absolute literal, else ``None``."""
    func = node.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
    if name not in ("import_module", "__import__") or not node.args:
        return None
    first = node.args[0]
    if isinstance(first, ast.Constant) and isinstance(first.value, str) \
            and not first.value.startswith("."):
        return first.value
    return None


class _ImportCollector(ast.NodeVisitor):
    """Walks a module and records every import with whether it sits inside a function."""

    def __init__(self, path: str, source: str) -> None:
        self.path, self.lines = path, source.splitlines(keepends=True)
        self.depth = 0  # how many function bodies enclose the current node
        self.found: list[Import] = []

    def _record(self, node: ast.AST, module: str, names: tuple[str, ...] = (),
                dynamic: bool = False) -> None:
        self.found.append(Import(self.path, node.lineno, one_line(self.lines, node), module,
                                 names, self.depth > 0, dynamic))

    def _function(self, node: ast.AST) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _function

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._record(node, alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        names = tuple(alias.name for alias in node.names)
        self._record(node, absolute_module(self.path, node), names)

    def visit_Call(self, node: ast.Call) -> None:
        module = dynamic_import_name(node)
        if module is not None:
            self._record(node, module, dynamic=True)
        self.generic_visit(node)


def parse_file(root: Path, path: str) -> SourceFile:
    """Parse ``root/path`` (never import it) and collect its imports."""
    source = (root / path).read_text(encoding="utf-8")
    tree = ast.parse(source, filename=str(root / path))
    collector = _ImportCollector(path, source)
    collector.visit(tree)
    return SourceFile(path, tree, collector.found)


def load_tree(root: Path, package: str = PACKAGE) -> Tree:
    """Parse every ``.py`` file of ``root/package`` (``root`` is a source folder like ``src``)."""
    paths = sorted(p.relative_to(root).as_posix() for p in (root / package).rglob("*.py"))
    files = {path: parse_file(root, path) for path in paths}
    return Tree(root, files, {module_name(path): path for path in paths})


# ------------------------------------------------------------------------------- the graph


@dataclass(frozen=True)
class Edge:
    """``source`` imports ``target`` (both files relative to the source root) by ``imp``."""

    source: str
    target: str
    imp: Import

    def describe(self) -> str:
        return f"{self.imp.where()}  ->  {self.target}"


def file_of(module: str, modules: dict[str, str]) -> str | None:
    """The file of ``module``, or of its longest prefix that is a module of the tree."""
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        found = modules.get(".".join(parts[:end]))
        if found is not None:
            return found
    return None


def targets(imp: Import, modules: dict[str, str]) -> list[str]:
    """The files of the tree that ``imp`` imports (see the module doc for the rules)."""
    if not imp.module:
        return []
    if not imp.names:
        found = [file_of(imp.module, modules)]
    else:  # from module import name: the submodule module.name if there is one
        found = [modules.get(f"{imp.module}.{name}") or file_of(imp.module, modules)
                 for name in imp.names]
    return sorted({f for f in found if f is not None})


def import_edges(tree: Tree) -> list[Edge]:
    """Every file-to-file import edge of the tree (one per imported file per statement)."""
    return [Edge(source.path, target, imp)
            for source in tree.files.values()
            for imp in source.imports
            for target in targets(imp, tree.modules)]


def strongly_connected(nodes: list[str], edges: list[Edge]) -> list[list[str]]:
    """Tarjan's algorithm: the strongly connected components of the file graph."""
    successors: dict[str, list[str]] = {n: [] for n in nodes}
    for e in edges:
        successors[e.source].append(e.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in successors[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            components.append(sorted(component))

    for node in nodes:
        if node not in index:
            visit(node)
    return components


# ------------------------------------------------------------------------------- the rules


def cycles(tree: Tree) -> list[str]:
    """Rule (a): each self-import, and each group of files that import one another in a
    circle, with the import lines that close it."""
    edges = import_edges(tree)
    problems = [f"{e.source} imports itself: {e.imp.where()}"
                for e in edges if e.source == e.target]
    for component in strongly_connected(sorted(tree.files), edges):
        if len(component) > 1:
            members = set(component)
            inside = [e.describe() for e in edges
                      if e.source in members and e.target in members and e.source != e.target]
            problems.append(f"import cycle between {len(component)} files: "
                            + ", ".join(component) + "\n    " + "\n    ".join(inside))
    return problems


def groups_of(path: str, layers: tuple[Group, ...] = LAYERS) -> list[Group]:
    """The groups of the table that hold ``path`` (exactly one, when the table is right)."""
    return [g for g in layers if g.holds(path)]


def unclassified(tree: Tree, layers: tuple[Group, ...] = LAYERS) -> list[str]:
    """Rule (b), first half: files in no group of the table, or in more than one."""
    problems = []
    for path in sorted(tree.files):
        found = groups_of(path, layers)
        if not found:
            problems.append(f"{path} belongs to no layer: add it to the LAYERS table in "
                            f"tests/test_architecture.py")
        elif len(found) > 1:
            problems.append(f"{path} belongs to several layers: "
                            + ", ".join(g.name for g in found))
    return problems


def layer_violations(tree: Tree, layers: tuple[Group, ...] = LAYERS) -> list[str]:
    """Rule (b): imports of a group of higher rank (upward) or of another group of the same
    rank (sideways). Files not in exactly one group are left to :func:`unclassified`."""
    problems = []
    for e in import_edges(tree):
        source, target = groups_of(e.source, layers), groups_of(e.target, layers)
        if len(source) != 1 or len(target) != 1 or source[0] == target[0]:
            continue
        own, other = source[0], target[0]
        if other.rank >= own.rank:
            way = "upward" if other.rank > own.rank else "sideways"
            problems.append(f"{way} import: {e.describe()} ({own.name}, rank {own.rank}, "
                            f"imports {other.name}, rank {other.rank})")
    return problems


def numpy_imports(tree: Tree, engine: str = ENGINE,
                  allowed: tuple[str, ...] = NUMPY_ALLOWED) -> list[str]:
    """Rule (c): engine files outside ``allowed`` that import ``numpy`` or ``numpy.*``."""
    return [f"{imp.where()}  (engine modules compute with telar.engine.array.xp)"
            for path, source in sorted(tree.files.items())
            if path.startswith(engine) and not Group(0, "", allowed).holds(path)
            for imp in source.imports if imp.root == "numpy"]


def function_imports(tree: Tree, engine: str = ENGINE,
                     lazy: frozenset[str] = ENGINE_LAZY_IMPORTS) -> list[str]:
    """Rule (d): imports inside engine functions, but of the allowed optional dependencies."""
    return [f"{imp.where()}  (import inside a function)"
            for path, source in sorted(tree.files.items()) if path.startswith(engine)
            for imp in source.imports if imp.in_function and imp.root not in lazy]


def module_level_statements(body: list[ast.stmt]) -> list[ast.stmt]:
    """The statements run at import time: ``body`` and what its ``if``/``try``/``with``/loop
    blocks hold (not function or class bodies)."""
    found = []
    for node in body:
        found.append(node)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        blocks = [getattr(node, name, []) for name in ("body", "orelse", "finalbody")]
        blocks += [handler.body for handler in getattr(node, "handlers", [])]
        for block in blocks:
            found += module_level_statements(block)
    return found


def module_getattr(tree: Tree, engine: str = ENGINE) -> list[str]:
    """Rule (d): engine modules defining a module-level ``__getattr__`` (lazy attributes)."""
    problems = []
    for path, source in sorted(tree.files.items()):
        if not path.startswith(engine):
            continue
        for node in module_level_statements(source.tree.body):
            defined = ([node.name] if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
                       else [t.id for t in getattr(node, "targets", []) if
                             isinstance(t, ast.Name)])
            if "__getattr__" in defined:
                problems.append(f"{path}:{node.lineno}: module-level __getattr__")
    return problems


def is_import_block(node: ast.stmt) -> bool:
    """Whether a top-of-module statement belongs to the imports: an import, or an ``if``
    (``if TYPE_CHECKING:``) or ``try`` (``except ImportError: x = None``) that guards imports
    and holds nothing but imports, ``pass`` and assignments of constants."""
    if isinstance(node, ast.Import | ast.ImportFrom):
        return True
    if not isinstance(node, ast.If | ast.Try):
        return False
    inner = node.body + node.orelse + getattr(node, "finalbody", [])
    inner += [s for h in getattr(node, "handlers", []) for s in h.body]
    return (any(isinstance(s, ast.Import | ast.ImportFrom) for s in node.body)
            and all(is_import_block(s) or isinstance(s, ast.Pass)
                    or (isinstance(s, ast.Assign) and isinstance(s.value, ast.Constant))
                    for s in inner))


def late_imports(tree: Tree, engine: str = ENGINE) -> list[str]:
    """Rule (d): engine imports after the module's first statement that is neither its
    docstring nor an import (a bottom-of-file import; also one in a class body)."""
    problems = []
    for path, source in sorted(tree.files.items()):
        if not path.startswith(engine):
            continue
        body = source.tree.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            body = body[1:]  # the docstring
        first = next((s for s in body if not is_import_block(s)), None)
        if first is None:
            continue
        problems += [f"{imp.where()}  (after line {first.lineno}, the first statement that "
                     f"is not an import)"
                     for imp in source.imports
                     if not imp.in_function and not imp.dynamic and imp.line > first.lineno]
    return problems


def mirrored_files(test: str, package: str = PACKAGE) -> list[str]:
    """The files (relative to the repository) that the test file ``test`` (relative to
    ``tests/``) may mirror: ``engine/cpu/test_conv.py`` -> ``src/telar/engine/cpu/conv.py`` or
    the package ``src/telar/engine/cpu/conv/__init__.py``; ``examples/test_mnist_main.py`` ->
    ``examples/mnist_main.py``."""
    *folders, name = test.split("/")
    module = name.removeprefix("test_").removesuffix(".py")
    if folders[:1] == ["examples"]:
        return ["/".join(["examples", *folders[1:], f"{module}.py"])]
    base = "/".join(["src", package, *folders])
    return [f"{base}/{module}.py", f"{base}/{module}/__init__.py"]


def unmirrored_tests(repository: Path, allowed: frozenset[str] = WHOLE_TREE_TESTS) -> list[str]:
    """Rule (e): test files (``tests/**/test_*.py``) that mirror no module or example script,
    but the whole-tree tests ``allowed``, each with the file it would mirror."""
    tests = repository / "tests"
    problems = []
    for path in sorted(tests.rglob("test_*.py")):
        test = path.relative_to(tests).as_posix()
        candidates = mirrored_files(test)
        if test in allowed or any((repository / c).is_file() for c in candidates):
            continue
        problems.append(f"tests/{test} mirrors nothing: there is no " + " nor ".join(candidates)
                        + " (name a test file after the module it tests, or list a whole-tree "
                          "test in WHOLE_TREE_TESTS in tests/test_architecture.py)")
    return problems


# ------------------------------------------------------------------------ the tree, checked


@pytest.fixture(scope="module")
def src_tree() -> Tree:
    return load_tree(SRC)


def report(problems: list[str]) -> str:
    return "\n  " + "\n  ".join(problems)


def test_the_tree_has_the_package_and_its_imports_resolve_to_files(src_tree):
    assert "telar/engine/tensor.py" in src_tree.files
    edges = {(e.source, e.target) for e in import_edges(src_tree)}
    # from telar.engine.cpu import conv: the submodule, not the package
    assert ("telar/engine/conv.py", "telar/engine/cpu/conv.py") in edges
    assert ("telar/engine/conv.py", "telar/engine/tensor.py") in edges


def test_no_file_imports_itself_or_sits_in_an_import_cycle(src_tree):
    problems = cycles(src_tree)
    assert not problems, "import cycles:" + report(problems)


def test_every_module_belongs_to_exactly_one_layer(src_tree):
    problems = unclassified(src_tree)
    assert not problems, "modules outside the layer table:" + report(problems)


def test_no_module_imports_from_a_higher_layer_or_a_sibling_group(src_tree):
    problems = layer_violations(src_tree)
    assert not problems, "imports against the layers:" + report(problems)


def test_only_the_array_module_and_the_cpu_kernels_import_numpy_in_the_engine(src_tree):
    problems = numpy_imports(src_tree)
    assert not problems, "engine modules importing NumPy:" + report(problems)


def test_no_engine_function_imports_anything_but_an_optional_heavy_dependency(src_tree):
    problems = function_imports(src_tree)
    assert not problems, "imports inside engine functions:" + report(problems)


def test_no_engine_module_has_a_module_level_getattr(src_tree):
    problems = module_getattr(src_tree)
    assert not problems, "lazy module attributes in the engine:" + report(problems)


def test_every_engine_import_sits_at_the_top_of_its_module(src_tree):
    problems = late_imports(src_tree)
    assert not problems, "engine imports below the module's first statement:" + report(problems)


def test_every_test_file_mirrors_a_module_or_an_example_script():
    problems = unmirrored_tests(REPOSITORY)
    assert not problems, "test files that mirror nothing:" + report(problems)


def test_examples_import_telar_and_never_torch():
    for path in EXAMPLES.glob("*.py"):
        imports = [line for line in path.read_text().splitlines()
                   if re.match(r"\s*(import|from) ", line)]
        assert not any(re.search(r"\b(torch|torchvision|d2l)\b(?! as)", line.split(" as ")[0])
                       for line in imports), (path.name, imports)


# ------------------------------------------------------------- the checker, shown to fail


def fake_tree(root: Path, files: dict[str, str]) -> Tree:
    """A package written under ``root`` (paths relative to it, ``__init__.py`` files added
    for every folder) and parsed."""
    for path, text in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    for folder in {p.parent for p in root.rglob("*.py")}:
        if not (folder / "__init__.py").exists():
            (folder / "__init__.py").write_text("", encoding="utf-8")
    return load_tree(root)


def test_a_cycle_between_two_files_is_reported_with_both_files_and_lines(tmp_path):
    tree = fake_tree(tmp_path, {
        "telar/data/a.py": '"""A."""\nfrom telar.data import b\n',
        "telar/data/b.py": "import telar.data.a\n",
        "telar/data/c.py": "from telar.data import a\n",  # on the way in, not in the cycle
    })
    problems = cycles(tree)
    assert len(problems) == 1
    assert "telar/data/a.py, telar/data/b.py" in problems[0]
    assert "telar/data/a.py:2: from telar.data import b  ->  telar/data/b.py" in problems[0]
    assert "telar/data/b.py:1: import telar.data.a  ->  telar/data/a.py" in problems[0]
    assert "telar/data/c.py" not in problems[0]


def test_a_cycle_through_a_function_level_and_a_type_checking_import_is_reported(tmp_path):
    tree = fake_tree(tmp_path, {
        "telar/nn/a.py": "def f():\n    from telar.nn.b import g\n",
        "telar/nn/b.py": ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                          "    from . import a\n"),
    })
    assert any("telar/nn/a.py, telar/nn/b.py" in p for p in cycles(tree))


def test_a_file_importing_itself_is_reported(tmp_path):
    tree = fake_tree(tmp_path, {"telar/io/__init__.py": "from telar.io import thing\n"})
    assert cycles(tree) == ["telar/io/__init__.py imports itself: "
                            "telar/io/__init__.py:1: from telar.io import thing"]


def test_relative_imports_resolve_against_the_package(tmp_path):
    tree = fake_tree(tmp_path, {
        "telar/engine/cpu/conv.py": "from ..tensor import Tensor\nfrom . import scratch\n",
        "telar/engine/cpu/scratch.py": "",
        "telar/engine/tensor.py": "",
        "telar/engine/__init__.py": "from .cpu import conv\nfrom . import Tensor\n",
    })
    edges = {(e.source, e.target) for e in import_edges(tree)}
    assert edges == {("telar/engine/cpu/conv.py", "telar/engine/tensor.py"),
                     ("telar/engine/cpu/conv.py", "telar/engine/cpu/scratch.py"),
                     ("telar/engine/__init__.py", "telar/engine/cpu/conv.py"),
                     ("telar/engine/__init__.py", "telar/engine/__init__.py")}


def test_an_nn_module_importing_the_app_is_an_upward_import(tmp_path):
    tree = fake_tree(tmp_path, {
        "telar/nn/layers.py": "import numpy\nfrom telar.engine import tensor\n"
                              "from telar.app.runs import folder\n",
        "telar/engine/tensor.py": "",
        "telar/app/runs/folder.py": "",
    })
    assert layer_violations(tree) == [
        "upward import: telar/nn/layers.py:3: from telar.app.runs import folder  ->  "
        "telar/app/runs/folder.py (nn, rank 3, imports app, rank 7)"]


def test_nn_and_handwritten_importing_each_other_is_a_sideways_import(tmp_path):
    tree = fake_tree(tmp_path, {
        "telar/handwritten/network.py": "def build():\n    import telar.nn.layers\n",
        "telar/nn/layers.py": "",
    })
    problems = layer_violations(tree)
    assert len(problems) == 1 and problems[0].startswith(
        "sideways import: telar/handwritten/network.py:2: import telar.nn.layers")


def test_a_module_nobody_classified_fails_and_says_to_add_it_to_the_table(tmp_path):
    tree = fake_tree(tmp_path, {"telar/plugins.py": "", "telar/errors.py": ""})
    assert unclassified(tree) == ["telar/plugins.py belongs to no layer: add it to the "
                                  "LAYERS table in tests/test_architecture.py"]


def test_an_engine_module_importing_numpy_in_any_form_is_reported(tmp_path):
    tree = fake_tree(tmp_path, {
        "telar/engine/ops.py": ("import numpy as np\nfrom numpy.lib.stride_tricks import "
                                "as_strided\nimport numpy.linalg\n\n\ndef f():\n"
                                "    return __import__('importlib').import_module('numpy')\n"),
        "telar/engine/array.py": "import numpy\n",
        "telar/engine/cpu/conv.py": "import numpy as np\n",
        "telar/nn/layers.py": "import numpy as np\n",
    })
    problems = numpy_imports(tree)
    assert [p.split("  (")[0] for p in problems] == [
        "telar/engine/ops.py:1: import numpy as np",
        "telar/engine/ops.py:2: from numpy.lib.stride_tricks import as_strided",
        "telar/engine/ops.py:3: import numpy.linalg",
        "telar/engine/ops.py:7: __import__('importlib').import_module('numpy')"]


def test_an_import_inside_an_engine_function_is_reported_but_scipy_is_allowed(tmp_path):
    tree = fake_tree(tmp_path, {
        "telar/engine/ops.py": ("import math\n\n\ndef gelu(x):\n"
                                "    from scipy.special import erf\n    return erf(x)\n\n\n"
                                "class Op:\n    def run(self):\n"
                                "        from telar.engine import tensor\n"),
        "telar/nn/layers.py": "def f():\n    import json\n",
    })
    assert function_imports(tree) == ["telar/engine/ops.py:11: from telar.engine import "
                                      "tensor  (import inside a function)"]


def test_a_module_level_getattr_in_the_engine_is_reported(tmp_path):
    tree = fake_tree(tmp_path, {
        "telar/engine/__init__.py": "def __getattr__(name):\n    raise AttributeError(name)\n",
        "telar/engine/other.py": "if True:\n    __getattr__ = print\n",
        "telar/__init__.py": "def __getattr__(name):\n    raise AttributeError(name)\n",
    })
    assert module_getattr(tree) == ["telar/engine/__init__.py:1: module-level __getattr__",
                                    "telar/engine/other.py:2: module-level __getattr__"]


def test_an_engine_import_below_the_first_statement_is_reported(tmp_path):
    tree = fake_tree(tmp_path, {
        "telar/engine/ops.py": ('"""Doc."""\n\nfrom __future__ import annotations\n\n'
                                "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n"
                                "    import math\n\ntry:\n    import scipy\n"
                                "except ImportError:\n    scipy = None\n\n"
                                "X = 1\n\nfrom telar.engine import tensor  # noqa: E402\n"),
    })
    assert [p.split("  (")[0] for p in late_imports(tree)] == [
        "telar/engine/ops.py:17: from telar.engine import tensor"]


def test_a_test_file_that_mirrors_no_module_is_reported_by_name(tmp_path):
    fake_tree(tmp_path / "src", {"telar/engine/tensor.py": "", "telar/data/augment/spec.py": "",
                                 "telar/errors.py": ""})
    for path in ("examples/mnist_main.py", "tests/engine/test_tensor.py",
                 "tests/data/test_augment.py", "tests/data/augment/test_spec.py",
                 "tests/test_errors.py", "tests/examples/test_mnist_main.py",
                 "tests/test_architecture.py", "tests/conftest.py", "tests/helpers/fake_data.py",
                 # mirroring nothing: a concept, a module moved away, an example gone
                 "tests/engine/test_autograd.py", "tests/test_tensor.py",
                 "tests/examples/test_quickstart.py"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("")
    problems = unmirrored_tests(tmp_path)
    assert [p.split(" (")[0] for p in problems] == [
        "tests/engine/test_autograd.py mirrors nothing: there is no src/telar/engine/autograd.py "
        "nor src/telar/engine/autograd/__init__.py",
        "tests/examples/test_quickstart.py mirrors nothing: there is no examples/quickstart.py",
        "tests/test_tensor.py mirrors nothing: there is no src/telar/tensor.py "
        "nor src/telar/tensor/__init__.py"]
    assert unmirrored_tests(tmp_path, allowed=frozenset()) == [
        problems[0], problems[1],
        "tests/test_architecture.py mirrors nothing: there is no src/telar/architecture.py nor "
        "src/telar/architecture/__init__.py (name a test file after the module it tests, or "
        "list a whole-tree test in WHOLE_TREE_TESTS in tests/test_architecture.py)",
        problems[2]]
