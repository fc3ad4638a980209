"""An LSTM that learns to continue a sine wave, in the style of the sequence-model
tutorials: windows of a noisy sine as (batch, time, feature) inputs, nn.LSTM(batch_first=True)
and a Linear head on the last hidden state, MSELoss, Adam, a held-out test window."""
import argparse
import math

import torch
import torch.nn as nn


class SequenceModel(nn.Module):
    def __init__(self, hidden_size=32, num_layers=1):
        super().__init__()
        self.lstm = nn.LSTM(input_size=1, hidden_size=hidden_size, num_layers=num_layers,
                            batch_first=True)
        self.head = nn.Linear(hidden_size, 1)

    def forward(self, x):
        h0 = torch.zeros(self.lstm.num_layers, x.size(0), self.lstm.hidden_size)
        c0 = torch.zeros(self.lstm.num_layers, x.size(0), self.lstm.hidden_size)
        out, (hn, cn) = self.lstm(x, (h0, c0))
        return self.head(out[:, -1, :])


def make_windows(series, window):
    xs = torch.stack([series[i:i + window] for i in range(len(series) - window)])
    ys = series[window:]
    return xs.unsqueeze(-1), ys.unsqueeze(-1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--window", type=int, default=20)
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    t = torch.linspace(0, 12 * math.pi, 400)
    series = torch.sin(t) + 0.05 * torch.randn(400)
    x, y = make_windows(series, args.window)
    n_train = int(0.8 * len(x))
    x_train, y_train, x_test, y_test = x[:n_train], y[:n_train], x[n_train:], y[n_train:]

    model = SequenceModel(args.hidden)
    criterion = nn.MSELoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    with torch.no_grad():
        print(f"test MSE before training: {criterion(model(x_test), y_test).item():.4f}")
    for step in range(args.steps):
        idx = torch.randint(0, n_train, (32,))
        optimizer.zero_grad()
        loss = criterion(model(x_train[idx]), y_train[idx])
        loss.backward()
        optimizer.step()
        if (step + 1) % 50 == 0:
            print(f"step {step + 1}: train MSE {loss.item():.4f}")
    with torch.no_grad():
        print(f"test MSE after training: {criterion(model(x_test), y_test).item():.4f}")


if __name__ == "__main__":
    main()
