"""docs/tour.ipynb runs end to end in a real kernel, and is stored without outputs."""
from pathlib import Path

import nbformat
from nbclient import NotebookClient

TOUR = Path(__file__).resolve().parent.parent / "docs" / "tour.ipynb"


def test_tour_is_stored_without_outputs():
    nb = nbformat.read(TOUR, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)


def test_tour_runs_and_draws_its_pictures(tmp_path):
    nb = nbformat.read(TOUR, as_version=4)
    # runs in a temporary folder; any failing cell raises CellExecutionError here
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    pictures = [o.data["image/svg+xml"] for o in outputs
                if o.output_type == "execute_result" and "image/svg+xml" in o.data]
    tables = [o.data["text/html"] for o in outputs
              if o.output_type == "execute_result" and "text/html" in o.data
              and 'class="tinynet-tape"' in o.data["text/html"]]
    assert len(pictures) == 3 and len(tables) == 2  # neuron, MLP, CNN; two tapes
    assert "grad -1.5" in pictures[0] and "value 0.7071" in pictures[0]
    assert "cross_entropy" in pictures[2] and "conv2.weight" in pictures[2]
    printed = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "'x1': -1.5" in printed and "training accuracy" in printed
