"""README.md's example outputs are what the commands print today, line for line.

Numbers differ between the README's full runs and these tiny ones, so both sides are
compared with every number replaced by ``#`` and runs of spaces squeezed; lines the README
leaves out are marked there with a ``...`` line.  stderr comes first: its notice about
the embedded digits is the first line a user sees.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

import tinynet.cli.train as train_cmd
from tinynet.cli import main
from tinynet.data.datasets import default_root

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
DEFAULT_DATA = "~/.cache/tinynet/mnist"  # where the README's runs looked for MNIST
# the verdict's words depend on the numbers (a tiny run need not show dropout's benefit)
VERDICT_WORDS = {"NOT lower": "lower", "WIDER": "narrower", "equal": "narrower"}


def shape(line: str) -> str:
    for word, same in VERDICT_WORDS.items():
        line = line.replace(f" {word} (", f" {same} (")
    return " ".join(re.sub(r"\d[\d,]*(\.\d+)?", "#", line).split())


def readme_block(marker: str) -> list[str]:
    """The lines of the first ```text block of README.md that holds or follows ``marker``."""
    at = README.index(marker)
    for block in re.finditer(r"```text\n(.*?)```", README, re.S):
        if block.end() > at:
            return block.group(1).splitlines()
    raise AssertionError(f"no text block after {marker!r} in README.md")


def assert_shows(block: list[str], printed: list[str]) -> None:
    """Each README line (but '...' and the '$ command' line) is printed, in this order."""
    want = [shape(ln) for ln in block if ln.strip() and ln.strip() != "..."
            and not ln.startswith("$ ")]
    got = [shape(ln) for ln in printed if ln.strip()]
    i = 0
    for line in want:
        while i < len(got) and got[i] != line:
            i += 1
        assert i < len(got), f"README line not printed (in this order): {line!r}\n" + \
                             "\n".join(got)
        i += 1


def printed(capsys) -> list[str]:
    out = capsys.readouterr()
    data = str(default_root("mnist"))  # the tests' empty data folder
    return out.err.replace(data, DEFAULT_DATA).splitlines() + out.out.splitlines()


@pytest.fixture(autouse=True)
def offline(no_network_no_data):
    pass


def test_the_quickstart_output_is_what_compare_dropout_prints(capsys):
    pytest.importorskip("matplotlib")  # the README's run drew its plot
    assert main(["compare-dropout", "--train-size", "50", "--val-size", "20", "--epochs", "2",
                 "--batch-size", "25"]) == 0
    block = readme_block("pip install -e \".[plot]\" && tinynet compare-dropout")
    assert block[0].startswith("tinynet: no MNIST files in ")  # the first line a user sees
    assert_shows(block, printed(capsys))


def test_the_train_example_is_what_train_prints(monkeypatch, capsys):
    real = train_cmd.load_data

    def fewer_images(*args, **kwargs):  # the README's data line, on 100 training images
        data = real(*args, **kwargs)
        data.x_train, data.y_train = data.x_train[:100], data.y_train[:100]
        data.full_train_size = 100
        return data
    monkeypatch.setattr(train_cmd, "load_data", fewer_images)
    assert main(["train", "--epochs", "2"]) == 0
    block = readme_block("$ tinynet train")
    assert block[1].startswith("tinynet: no MNIST files in ")
    assert_shows(block, printed(capsys))
