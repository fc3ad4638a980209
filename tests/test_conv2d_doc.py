"""docs/conv2d.md quotes the code that runs for its own examples.

* The loops it shows are conv_reference.py, word for word, and every line of them runs
  for the page's examples.
* Every line of conv.py that it quotes inline (a `code span` that is a whole line of
  conv.py) runs for the page's examples: the page cannot quote a branch its examples
  do not take.
"""
import re
import sys
from pathlib import Path

from tinynet.nn.functional import conv, conv_reference

from test_docs import _examples

DOC = Path(__file__).resolve().parent.parent / "docs" / "conv2d.md"
SPAN = re.compile(r"`([^`\n]+)`")


def _reference_block():
    """(code, line) of the page's python block that defines conv_forward_naive."""
    blocks = [(code, line) for code, line, _ in _examples(DOC.read_text(encoding="utf-8"))
              if "def conv_forward_naive(" in code]
    assert len(blocks) == 1, "conv2d.md should show the reference implementation once"
    return blocks[0]


def _run_examples_traced():
    """Run the page's python blocks in order (as test_docs does); return the executed
    lines as {filename: set of line numbers}, for the page's blocks and conv.py."""
    executed: dict = {}
    conv_file = conv.__file__

    def local(frame, event, arg):
        if event == "line":
            executed.setdefault(frame.f_code.co_filename, set()).add(frame.f_lineno)
        return local

    def tracer(frame, event, arg):
        name = frame.f_code.co_filename
        return local if name == conv_file or name.startswith("conv2d.md:") else None

    namespace = {"__name__": "doc_conv2d"}
    old = sys.gettrace()
    sys.settrace(tracer)
    try:
        for code, line, _ in _examples(DOC.read_text(encoding="utf-8")):
            exec(compile(code, f"conv2d.md:{line}", "exec"), namespace)
    finally:
        sys.settrace(old)
    return executed


def _code_lines(code_obj):
    """Every line number that has bytecode, in a code object and the functions inside it."""
    lines = {ln for _, _, ln in code_obj.co_lines() if ln}  # (0: the module prologue)
    for const in code_obj.co_consts:
        if hasattr(const, "co_lines"):
            lines |= _code_lines(const)
    return lines


def test_the_quoted_loops_are_conv_reference_py():
    code, _ = _reference_block()
    source = Path(conv_reference.__file__).read_text(encoding="utf-8")
    body = source[source.index("import numpy as np"):]   # all but the module docstring
    assert code == body


def test_every_line_of_the_quoted_loops_runs_for_the_examples(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, line = _reference_block()
    filename = f"conv2d.md:{line}"
    wanted = _code_lines(compile(code, filename, "exec"))
    ran = _run_examples_traced().get(filename, set())
    missing = sorted(wanted - ran)
    lines = code.splitlines()
    assert not missing, "lines of the quoted reference that no example runs:\n" + "\n".join(
        lines[n - 1] for n in missing)
    # with a bias and without, with groups and dilation: both examples are needed
    assert len(wanted) > 30


def test_every_quoted_line_of_conv_py_runs_for_the_examples(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = DOC.read_text(encoding="utf-8")
    prose = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)   # inline spans only
    source = Path(conv.__file__).read_text(encoding="utf-8").splitlines()
    code_of = {}  # conv.py line without indentation and comment -> its line numbers
    for n, src in enumerate(source, start=1):
        stripped = src.split("  #")[0].strip()
        if stripped:
            code_of.setdefault(stripped, []).append(n)
    quoted = [s for s in SPAN.findall(prose) if s in code_of]
    assert len(quoted) >= 10, quoted   # the forward's two layouts and the three gradients
    ran = _run_examples_traced().get(conv.__file__, set())
    not_run = [q for q in quoted if not ran.intersection(code_of[q])]
    assert not not_run, f"conv2d.md quotes lines of conv.py that its examples never run: {not_run}"
