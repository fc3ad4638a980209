"""tinynet: a small, readable tensor autodiff framework on numpy."""
from ._interrupt import quiet_ctrl_c_while_starting as _quiet_ctrl_c

_quiet_ctrl_c()  # the `tinynet` command only: Ctrl-C during these imports is one line
from ._malloc import tune_malloc as _tune_malloc

_tune_malloc()  # see tinynet/_malloc.py: big training buffers are reused, not re-faulted
from .tensor import Tensor, no_grad, enable_grad, is_grad_enabled
from .random import manual_seed, get_rng_state, set_rng_state, Generator
from .creation import (tensor, as_tensor, zeros, ones, full, zeros_like, ones_like,
                       full_like, empty_like, arange, rand, randn, rand_like, randn_like,
                       randint, normal, empty, from_numpy, randperm, linspace)
from .ops import compare as _compare
from .ops.elementwise import (exp, log, sqrt, abs, tanh, sigmoid, relu, maximum,
                              minimum, clip, clamp, reciprocal, rsqrt, sign, sin, cos, log1p,
                              expm1, masked_fill, where, isnan, isinf, isfinite)
from .ops.special import erf
from .ops.reduce import (sum, mean, max, min, amax, amin, argmax, argmin, var, std, prod,
                         cumsum, all, any, logsumexp, softmax, log_softmax)
from .ops.norm import norm
from .ops.shape import (reshape, transpose, permute, flatten, squeeze, unsqueeze,
                        expand, cat, stack, pad, flip, narrow, split, chunk, unbind, gather,
                        index_select)
# PyTorch's wider surface, attached to Tensor (tinynet/compat/)
from .compat import promotion as _promotion, size as _size, protocols as _protocols
from .compat import inplace as _inplace, convert as _convert
from .compat.grad_mode import set_grad_enabled, inference_mode
from .compat.aliases import (add, sub, mul, div, pow, neg, square, matmul, mm, eq, ne, lt,
                             le, gt, ge, t, numel, clone, equal, allclose)
from .compat.device import (device, cuda, accelerator, backends, set_default_device,
                            get_default_device)
from .compat.legacy import (FloatTensor, DoubleTensor, HalfTensor, LongTensor, IntTensor,
                            ShortTensor, CharTensor, ByteTensor, BoolTensor)
from .compat.sorting import sort, argsort, topk
from .compat import random_methods as _random_methods  # x.uniform_(), x.normal_()
from .gradcheck import gradcheck
from .serialization import save, load, CheckpointError
from . import tape_view as _tape_view
from . import nn, optim, data, autograd
from . import viz  # tinynet.viz.draw(loss): the tape as a picture

float32 = "float32"
float64 = "float64"
int64 = "int64"
# PyTorch's other dtype names (numpy dtype names, as above)
float16 = half = "float16"
float = float32
double = float64
int32 = int = "int32"
long = int64
uint8 = "uint8"
bool = "bool"

__version__ = "0.1.0"
