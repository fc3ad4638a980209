"""The command line when its reader goes away (`tinynet gradcheck | head`)."""
import subprocess
import sys

import pytest


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX pipes")
def test_a_closed_stdout_pipe_is_no_traceback_and_no_failure_code(tmp_path):
    # the reader closes its end before tinynet writes a line, as `head -1` does mid-output
    p = subprocess.Popen([sys.executable, "-c", "import sys; from tinynet.cli import main; "
                          "sys.exit(main(['gradcheck', '--only', 'tensor']))"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path)
    p.stdout.close()
    err = p.stderr.read().decode()
    p.wait(timeout=60)
    assert "Traceback" not in err and "BrokenPipeError" not in err, err
    assert p.returncode == 141  # not gradcheck's 1 ("a gradient disagrees")
