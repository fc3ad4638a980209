"""tinynet.nn: Modules (layers with parameters and train/eval behaviour), losses, init."""
from .parameter import Parameter
from . import functional
from .dropout import Dropout, Dropout2d
from .batchnorm import BatchNorm1d, BatchNorm2d
from .loss import CrossEntropyLoss, NLLLoss, MSELoss
from .probability_losses import BCELoss, BCEWithLogitsLoss, KLDivLoss
from .regression_losses import L1Loss, SmoothL1Loss, HuberLoss
from .module import Module
from .containers import Sequential, ModuleList
from . import init, utils
from .linear import Linear, Identity, Flatten
from .activation import ReLU, Tanh, Sigmoid, Softmax, LogSoftmax
from .relu_variants import LeakyReLU, ELU, GELU
from .conv import Conv2d
from .conv_transpose import ConvTranspose2d
from .upsample import Upsample
from .embedding import Embedding
from .pooling import MaxPool2d, AvgPool2d
from .rnn import RNNBase, RNN, LSTM, GRU, RNNCellBase, RNNCell, LSTMCell, GRUCell
