"""tinynet.nn.functional: the primitive ops behind the nn layers (PyTorch's names and signatures)."""
# Each helper module below records its ops on the tape with tinynet.tensor.record, or is
# composed of ops that do (bce, regression, kl_div, relu_variants, conv_transpose, ...).
from .dropout import dropout, dropout2d
from .batchnorm import batch_norm
from .loss import cross_entropy, nll_loss, mse_loss
from .bce import binary_cross_entropy, binary_cross_entropy_with_logits
from .regression import l1_loss, smooth_l1_loss, huber_loss
from .kl_div import kl_div
from .linear import linear
from .encoding import one_hot
from ...ops.shape import pad  # torch.nn.functional.pad is tinynet.pad
from .activation import relu, tanh, sigmoid, softmax, log_softmax
from .relu_variants import leaky_relu, elu, gelu
from .conv import conv2d
from .conv_transpose import conv_transpose2d
from .upsample import interpolate
from .embedding import embedding
from .pooling import max_pool2d, avg_pool2d
