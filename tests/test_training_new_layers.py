"""The new layers, losses and optimizers train: a GRU/LSTM classifier on a sequence task,
a conv autoencoder with ConvTranspose2d and BCE, an embedding model with RMSprop, each a
few dozen steps on tiny data (the loss must fall well below where it started)."""
import numpy as np

import tinynet
import tinynet.nn as nn
import tinynet.nn.functional as F


class SeqClassifier(nn.Module):
    """Is the sum of a sequence positive?  Needs the whole sequence: a recurrent layer."""

    def __init__(self, rnn):
        super().__init__()
        self.rnn = rnn
        self.head = nn.Linear(rnn.hidden_size * (2 if rnn.bidirectional else 1), 2)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[:, -1])


def _train(model, opt, batch, loss_fn, steps):
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn(model, *batch)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def test_recurrent_classifiers_learn():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 6, 1)).astype(np.float32)
    y = (x.sum(axis=(1, 2)) > 0).astype(np.int64)
    batch = (tinynet.tensor(x), tinynet.tensor(y))
    ce = lambda m, x, y: F.cross_entropy(m(x), y)  # noqa: E731
    for rnn, opt in ((nn.LSTM(1, 8, batch_first=True), tinynet.optim.Adam),
                     (nn.GRU(1, 8, batch_first=True, bidirectional=True), tinynet.optim.RMSprop),
                     (nn.RNN(1, 8, batch_first=True), tinynet.optim.Adagrad)):
        tinynet.manual_seed(0)
        model = SeqClassifier(rnn)
        losses = _train(model, opt(model.parameters(), lr=0.05), batch, ce, 40)
        assert losses[-1] < 0.5 * losses[0], (type(rnn).__name__, losses[0], losses[-1])


def test_conv_autoencoder_with_conv_transpose_and_bce_learns():
    tinynet.manual_seed(0)
    rng = np.random.default_rng(1)
    imgs = (rng.random((8, 1, 8, 8)) < 0.3).astype(np.float32)
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, stride=2, padding=1), nn.ReLU(),             # 8x8 -> 4x4
        nn.ConvTranspose2d(4, 4, 3, stride=2, padding=1, output_padding=1), nn.ELU(),
        nn.Conv2d(4, 1, 3, padding=1))                                   # logits, 8x8
    loss_fn = lambda m, x: F.binary_cross_entropy_with_logits(m(x), x)  # noqa: E731
    losses = _train(model, tinynet.optim.Adadelta(model.parameters()),
                    (tinynet.tensor(imgs),), loss_fn, 60)
    assert losses[-1] < 0.8 * losses[0], (losses[0], losses[-1])
    up = nn.Sequential(nn.Upsample(scale_factor=2), nn.Conv2d(1, 1, 3, padding=1), nn.Sigmoid())
    probs = up(tinynet.tensor(imgs[:, :, ::2, ::2]))
    assert probs.shape == (8, 1, 8, 8)
    F.binary_cross_entropy(probs, tinynet.tensor(imgs)).backward()


def test_embedding_bag_of_words_learns():
    tinynet.manual_seed(0)
    rng = np.random.default_rng(2)
    tokens = rng.integers(1, 20, (24, 5))
    tokens[:, 3:] = 0                                      # padding at the end
    y = (tokens[:, 0] < 10).astype(np.int64)               # the first token decides
    emb = nn.Embedding(20, 6, padding_idx=0)
    model = nn.Sequential(emb, nn.Flatten(), nn.Linear(30, 2))
    losses = _train(model, tinynet.optim.RMSprop(model.parameters(), lr=0.01),
                    (tinynet.tensor(tokens), tinynet.tensor(y)),
                    lambda m, x, y: F.cross_entropy(m(x), y), 30)
    assert losses[-1] < 0.5 * losses[0], (losses[0], losses[-1])
    assert np.all(emb.weight.array[0] == 0)                # the padding row never moved
