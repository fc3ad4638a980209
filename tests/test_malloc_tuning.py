"""tinynet/_malloc.py: big blocks are reused rather than re-faulted, and the heap is
marked for transparent huge pages; TINYNET_NO_MALLOPT=1 leaves glibc alone.  Each check
runs in a fresh interpreter, since the settings are made once, on import."""
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")

FAULTS = """
import resource, numpy as np
import tinynet
def step():
    a = np.ones(2_000_000, np.float32)   # 8 MB: mmap'd and unmapped by default
    b = np.ones(2_000_000, np.float32)
    return float(a[-1] + b[-1])
for _ in range(3):
    step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    step()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""

HEAP_FLAGS = """
import tinynet
flags, in_heap = [], False
for line in open('/proc/self/smaps'):
    if line[0] in '0123456789abcdef' and '-' in line.split()[0]:
        in_heap = line.rstrip().endswith('[heap]')
    elif in_heap and line.startswith('VmFlags:'):
        flags.append(line.split()[1:])
print(any('hg' in f for f in flags))
"""


def _run(code, **env):
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, **env}, check=True)
    return out.stdout.strip()


def _glibc():
    import ctypes
    try:
        ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    return True


@pytest.mark.skipif(not _glibc(), reason="glibc only")
def test_big_blocks_are_reused_without_page_faults():
    tuned = int(_run(FAULTS, TINYNET_NO_MALLOPT=""))
    untuned = int(_run(FAULTS, TINYNET_NO_MALLOPT="1"))
    # untuned: every 8 MB array is mmap'd afresh or trimmed and re-faulted; tuned: none
    assert untuned > 5_000
    assert tuned < 500


@pytest.mark.skipif(not _glibc() or not os.path.exists("/proc/self/smaps"),
                    reason="glibc and /proc only")
def test_heap_is_marked_for_huge_pages_unless_turned_off():
    try:
        with open("/sys/kernel/mm/transparent_hugepage/enabled") as f:
            if "[never]" in f.read():
                pytest.skip("transparent huge pages are disabled on this machine")
    except OSError:
        pytest.skip("no transparent huge pages here")
    assert _run(HEAP_FLAGS, TINYNET_NO_MALLOPT="") == "True"
    assert _run(HEAP_FLAGS, TINYNET_NO_MALLOPT="1") == "False"
