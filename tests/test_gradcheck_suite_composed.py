"""The gradcheck catalogue covers the composed losses, activations and layers, and erf."""
from tinynet import gradcheck_suite


def test_catalogue_covers_the_composed_ops_and_they_pass():
    new = {"erf", "leaky_relu", "elu", "gelu", "gelu tanh", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "l1_loss", "smooth_l1_loss", "huber_loss none",
           "kl_div batchmean", "conv_transpose2d stride 2 padding 1 output_padding 1",
           "interpolate nearest", "embedding (repeated indices)",
           "nn.RNN(2, 3, nonlinearity='relu')", "nn.LSTM(2, 3, bidirectional=True)",
           "nn.LSTM(2, 3, 2, proj_size=2) h_n", "nn.GRU(2, 3, num_layers=2)",
           "nn.RNNCell(2, 3)", "nn.LSTMCell(2, 3) c'", "nn.GRUCell(2, 3)",
           "nn.ConvTranspose2d(2, 3, 3, stride=2)"}
    cases = {c.name: c for c in gradcheck_suite.cases()}
    assert new <= set(cases), new - set(cases)
    for name in sorted(new):
        res = gradcheck_suite.check_case(cases[name])
        assert res.passed, (name, res.detail)
