"""tinynet ops beyond arithmetic: each forward beside its backward (arithmetic lives in tensor.py)."""
