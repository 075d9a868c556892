"""Runs mypy.stubtest over imgrepl._core and over each per-binding stub.

The extension is one module, imgrepl._core, but its stubs are one file per
binding file (python/imgrepl/_copy.pyi for rust/py/src/copy/, ...), gathered
by _core.pyi.  stubtest skips names that _core.pyi re-exports from another
stub and checks them under that stub's module instead, which does not exist
at run time; so here each such module is made for the check, holding the
extension's objects that its stub declares, and stubtest compares every
stub with the real objects.  Names that no stub declares are caught on
imgrepl._core itself (its __all__ against what _core.pyi gathers).

    python3 scripts/stubtest.py
"""

from __future__ import annotations

import ast
import sys
import types
from pathlib import Path

import imgrepl._core
from mypy import stubtest

PACKAGE = Path(imgrepl._core.__file__).parent
ALLOWLIST = Path(__file__).with_name("stubtest-allowlist.txt")


def declared(stub: Path) -> list[str]:
    """The top-level classes, functions and variables a stub file declares."""
    names = []
    for node in ast.parse(stub.read_text()).body:
        if isinstance(node, ast.ClassDef | ast.FunctionDef):
            names.append(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.append(node.target.id)
    return names


def binding_module(name: str) -> types.ModuleType:
    module = types.ModuleType(name)
    for attr in declared(PACKAGE / (name.rsplit(".", 1)[1] + ".pyi")):
        if hasattr(imgrepl._core, attr):  # else stubtest reports it missing
            setattr(module, attr, getattr(imgrepl._core, attr))
    return module


def main() -> int:
    bindings = sorted(f"imgrepl.{p.stem}" for p in PACKAGE.glob("_*.pyi") if p.stem != "_core")
    for name in bindings:
        sys.modules[name] = binding_module(name)
    args = ["imgrepl._core", *bindings, "--allowlist", str(ALLOWLIST)]
    return stubtest.test_stubs(stubtest.parse_options(args))


if __name__ == "__main__":
    sys.exit(main())
