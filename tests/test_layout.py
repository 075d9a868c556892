"""The layout rules of the code base (README "Layout"): source files of at
most 400 lines, each opening with what it holds."""

from __future__ import annotations

import ast
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 400


def tracked(*patterns: str) -> list[Path]:
    out = subprocess.run(
        ["git", "ls-files", *patterns], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return [ROOT / line for line in out.splitlines()]


SOURCES = tracked("python/*.py", "python/*.pyi", "rust/*.rs", "scripts/*.py", "benches/*.py")


def test_the_layout_rules_see_the_sources() -> None:
    kinds = {p.suffix for p in SOURCES}
    assert {".py", ".pyi", ".rs"} <= kinds and len(SOURCES) > 100


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_a_source_file_is_short_and_says_what_it_holds(path: Path) -> None:
    text = path.read_text()
    assert len(text.splitlines()) <= MAX_LINES, f"{path.name}: split it by what it holds"
    if path.suffix == ".py":
        assert ast.get_docstring(ast.parse(text)), "a module docstring says what it holds"
    elif path.suffix == ".rs":
        assert text.startswith("//!"), "a //! comment says what the module holds"
    else:
        assert text.startswith("#"), "a comment says what the stub covers"
