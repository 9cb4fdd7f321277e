"""Screening a submission's own code for tampering with the grading, before it runs.

The visible and hidden checks run in the student's kernel, and so does the student's code: code
that rewrites the cells about to run (IPython's input transformers), swallows their errors
(``sys.excepthook``, ``showtraceback``, ``set_custom_exc``), replaces the check helpers, the
imported modules' functions (``torch.allclose = ...``), builtins or ``AssertionError``, swaps a
module in ``sys.modules``, or hands the checks lying objects (an ``__eq__`` of its own, a tensor
subclass) can make failing checks pass.  None of that is needed to answer any question of the
course (contract rule 1: answer cells hold imports, constants and definitions), so the graders
read every cell the student can edit (answer cells and added cells; locked cells are restored
from the gradebook anyway) with :mod:`ast` and report each such construct.

A notebook with findings is still executed, but every automatically graded cell scores 0 with a
message naming the findings, for the instructor to review by hand (formgrader can override
the scores).  The screen is static and can be evaded by code obfuscated enough; the measurements
that carry the main points are therefore also made outside the kernel
(:mod:`autograder.grader.judge`).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from nbformat import NotebookNode

from autograder.grader.cells import grade_id, is_locked

# Modules whose only use in a submission would be to reach the interpreter or the grader.
MODULES = {"builtins", "ctypes", "gc", "inspect", "importlib", "IPython", "ipykernel", "autograder", "traitlets",
           "jupyter_client", "zmq", "nbgrader", "nbformat", "nbclient", "unittest", "mock", "marshal", "code",
           "codeop", "runpy", "types", "dis", "atexit", "__main__"}
# Names, as bare names, that reach the interpreter's machinery.
BARE_NAMES = {
    "get_ipython": "IPython's shell (it can rewrite or silence the cells that follow)",
    "__builtins__": "the builtins", "__import__": "dynamic imports", "exec": "running generated code",
    "eval": "running generated code", "compile": "compiling generated code", "globals": "the notebook's globals",
    "locals": "another scope's variables", "vars": "an object's namespace", "setattr": "setting attributes by name",
    "delattr": "deleting attributes by name",
}
# Attributes, on any object, that reach into functions, classes, frames or the shell.
ATTRIBUTES = {
    "__dict__": "an object's namespace", "__globals__": "a function's globals", "__code__": "a function's code",
    "__closure__": "a function's closure", "__subclasses__": "class internals", "__class__": "an object's class",
    "__bases__": "class internals", "__mro__": "class internals", "f_back": "the call stack",
    "f_globals": "the call stack", "f_locals": "the call stack", "showtraceback": "how errors are reported",
    "set_custom_exc": "how errors are reported", "input_transformers_cleanup": "how cells are read",
    "input_transformers_post": "how cells are read", "ast_transformers": "how cells are read",
    "events": "IPython's cell events",
}
# Attributes of the sys module.
SYS_ATTRIBUTES = {
    "modules": "the table of imported modules", "meta_path": "how modules are imported",
    "path_hooks": "how modules are imported", "settrace": "tracing the grader", "setprofile": "tracing the grader",
    "_getframe": "the call stack", "excepthook": "how errors are reported", "displayhook": "how results are shown",
}
# Methods that make an object lie to a comparison or a type check.
LYING_METHODS = {"__torch_function__", "__torch_dispatch__", "__eq__", "__ne__", "__bool__", "__hash__", "__instancecheck__", "__subclasscheck__",
                 "__getattr__", "__getattribute__", "__float__", "__index__", "__lt__", "__le__", "__gt__", "__ge__",
                 "__abs__", "__sub__", "__rsub__"}
# Base classes whose subclasses can carry lying comparisons into a check.
VALUE_TYPES = {"Tensor", "Parameter", "float", "int", "bool", "str", "list", "tuple", "dict", "set", "ndarray",
               "DataFrame", "Series", "type"}
# Names the test cells and checks rely on; rebinding them at the top level changes what the tests do.
GRADER_NAMES = {"check", "hidden", "AssertionError", "Exception", "BaseException", "isinstance", "issubclass", "type",
                "len", "float", "int", "bool", "abs", "all", "any", "sum", "print", "range", "set", "list", "tuple",
                "dict", "str", "getattr", "hasattr", "callable", "round", "min", "max", "sorted", "zip", "enumerate",
                "iter", "next", "super", "object", "torch", "np", "nn", "pd", "F", "math"}


@dataclass(frozen=True)
class Finding:
    cell: int          # 1-based position in the notebook
    line: int
    what: str

    def __str__(self) -> str:
        return f"cell {self.cell}, line {self.line}: {self.what}"


def screen(nb: NotebookNode) -> list[Finding]:
    """Every tampering construct in the cells a student can edit (empty for an honest notebook)."""
    trees = {}
    for number, cell in enumerate(nb.cells, start=1):
        if cell.cell_type == "code":
            try:
                trees[number] = ast.parse(_python_only(cell.source))
            except SyntaxError:
                pass  # it fails when it runs, and loses its own points
    aliases, sys_names = {"check", "hidden"}, {"sys"}
    for tree in trees.values():  # what any cell imports (the setup cell imports torch, check, ...)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                aliases |= {(a.asname or a.name).split(".")[0] for a in node.names}
                sys_names |= {a.asname for a in node.names if a.name == "sys" and a.asname}
            elif isinstance(node, ast.ImportFrom):
                aliases |= {a.asname or a.name for a in node.names}
    findings: list[Finding] = []
    for number, tree in trees.items():
        cell = nb.cells[number - 1]
        if grade_id(cell) and is_locked(cell):
            continue
        findings += [Finding(number, line, what) for line, what in _Visitor(aliases, sys_names).run(tree)]
    return findings


def report(findings: list[Finding]) -> str:
    """The one-paragraph message every automatically graded cell carries when the screen found something."""
    shown = "; ".join(map(str, findings[:5])) + (f"; and {len(findings) - 5} more" if len(findings) > 5 else "")
    return ("Automatic grading was refused for this notebook: its own code reaches into the grader or the "
            f"interpreter ({shown}). No answer in this course needs that. Remove it and resubmit; your "
            "instructor reviews this notebook by hand and can restore the scores.")


def _python_only(source: str | list[str]) -> str:
    """Cell source with IPython's magics and shell escapes blanked (they are not Python)."""
    source = "".join(source) if isinstance(source, list) else source
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.split("\n"))


class _Visitor(ast.NodeVisitor):
    def __init__(self, aliases: set[str], sys_names: set[str]):
        self.aliases = aliases             # names bound by imports anywhere in the notebook
        self.sys_names = sys_names         # the names the sys module goes by
        self.depth = 0                     # 0: the cell's top level
        self.found: list[tuple[int, str]] = []

    def run(self, tree: ast.AST) -> list[tuple[int, str]]:
        self.visit(tree)
        return self.found

    def add(self, node: ast.AST, what: str) -> None:
        self.found.append((getattr(node, "lineno", 0), what))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name.split(".")[0] in MODULES:
                self.add(node, f"imports {alias.name}")
            self._rebinds(node, alias.asname or alias.name.split(".")[0])

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = (node.module or "").split(".")[0]
        if module in MODULES:
            self.add(node, f"imports from {node.module}")
        for alias in node.names:
            if module == "sys" and alias.name in SYS_ATTRIBUTES:
                self.add(node, f"imports sys.{alias.name}: {SYS_ATTRIBUTES[alias.name]}")
            self._rebinds(node, alias.asname or alias.name)

    def visit_Name(self, node: ast.Name) -> None:
        if node.id in BARE_NAMES:
            self.add(node, f"uses {node.id}: {BARE_NAMES[node.id]}")
        if isinstance(node.ctx, (ast.Store, ast.Del)):
            self._rebinds(node, node.id)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr in ATTRIBUTES:
            self.add(node, f"uses .{node.attr}: {ATTRIBUTES[node.attr]}")
        if node.attr in SYS_ATTRIBUTES and isinstance(node.value, ast.Name) and node.value.id in self.sys_names:
            self.add(node, f"uses sys.{node.attr}: {SYS_ATTRIBUTES[node.attr]}")
        if isinstance(node.ctx, (ast.Store, ast.Del)):
            root = node
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name) and root.id in self.aliases:
                self.add(node, f"replaces {ast.unparse(node)}, which belongs to an imported module")
        self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self._rebinds(node, node.name)
        if node.name in LYING_METHODS:
            self.add(node, f"defines {node.name}, which lets an object lie to a comparison or a type check")
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._rebinds(node, node.name)
        for base in node.bases:
            name = base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", "")
            if name in VALUE_TYPES:
                self.add(node, f"class {node.name} subclasses {ast.unparse(base)}, which can carry lying values into a check")
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    def visit_Global(self, node: ast.Global) -> None:
        for name in node.names:
            if name in GRADER_NAMES:
                self.add(node, f"rebinds the global {name}, which the tests use")

    def _rebinds(self, node: ast.AST, name: str) -> None:
        if self.depth == 0 and name in GRADER_NAMES and not isinstance(node, (ast.Import, ast.ImportFrom)):
            self.add(node, f"rebinds {name}, which the tests use")
        elif self.depth == 0 and name in {"check", "hidden"}:
            self.add(node, f"rebinds {name}, which the tests use")
