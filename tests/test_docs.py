"""Run every ```python block in docs/*.md and README.md, so the docs cannot drift from the code.

The blocks of one file share a namespace and run in order (one test per file).  A
```text block that directly follows a python block (nothing but blank lines between)
is that block's expected output: what it prints must match it line for line
(trailing spaces ignored).  Blocks run in a temporary directory.
"""
import contextlib
import io
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
FENCE = re.compile(r"^```([\w-]*)[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)


def _blocks(text: str):
    """(lang, code, first line number, start offset, end offset) for every fenced block."""
    for m in FENCE.finditer(text):
        yield m.group(1), m.group(2), text.count("\n", 0, m.start()) + 2, m.start(), m.end()


def _examples(text: str):
    """[(code, line, expected output or None)] for the python blocks, in order."""
    blocks = list(_blocks(text))
    out = []
    for k, (lang, code, line, _, end) in enumerate(blocks):
        if lang != "python":
            continue
        expected = None
        if k + 1 < len(blocks):
            nlang, ncode, _, nstart, _ = blocks[k + 1]
            if nlang == "text" and text[end:nstart].strip() == "":
                expected = ncode
        out.append((code, line, expected))
    return out


def _norm(s: str) -> list[str]:
    return [ln.rstrip() for ln in s.strip("\n").splitlines()]


DOC_FILES = sorted(DOCS.glob("*.md")) + [DOCS.parent / "README.md"]


@pytest.mark.parametrize("path", DOC_FILES, ids=[p.name for p in DOC_FILES])
def test_doc_examples_run(path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    examples = _examples(path.read_text(encoding="utf-8"))
    namespace: dict = {"__name__": f"doc_{path.stem}"}
    for code, line, expected in examples:
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            try:
                exec(compile(code, f"{path.name}:{line}", "exec"), namespace)
            except Exception as e:
                raise AssertionError(f"{path.name}, python block at line {line} failed: "
                                     f"{type(e).__name__}: {e}") from e
        if expected is not None:
            assert _norm(buf.getvalue()) == _norm(expected), \
                f"{path.name}, python block at line {line}: printed output differs from the " \
                f"```text block after it:\n{buf.getvalue()}"


def test_the_teaching_docs_exist_and_have_examples():
    for name in ("autodiff.md", "dropout.md", "conv2d.md", "higher_order.md"):
        text = (DOCS / name).read_text(encoding="utf-8")
        assert len(_examples(text)) >= 3, name


def test_example_extraction():
    text = ("intro\n```python\nprint(1)\n```\n\n```text\n1\n```\n"
            "```python\nx = 2\n```\nprose\n```text\nnot output\n```\n```bash\nls\n```\n")
    ex = _examples(text)
    assert [(c, e) for c, _, e in ex] == [("print(1)\n", "1\n"), ("x = 2\n", None)]
    assert ex[0][1] == 3  # the code's first line number
