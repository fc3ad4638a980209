"""PyTorch's wider surface, beside the core and attached to it.

The core (``tinynet/tensor.py``) teaches autodiff and nothing else.  What exists only so
that PyTorch habits and PyTorch code carry over -- other names for the same ops, legacy
constructors, device and dtype arguments, PyTorch's type-promotion rules, grad-mode
variants, in-place methods -- lives here, one file per concern, and is attached to
:class:`~tinynet.tensor.Tensor` the way ``tensor_method`` attaches the ops.
"""
