"""A fully connected autoencoder on MNIST, as in the many "autoencoder in PyTorch"
tutorials: images flattened by a transforms.Lambda, a 784-128-64-12-3 encoder, a mirrored
decoder ending in Sigmoid, MSELoss against the input, Adam, and the reconstruction error
on held-out digits.  ``--train-size`` / ``--test-size`` keep it to a few hundred images."""
import argparse

import torch
from torch import nn
from torch.utils.data import DataLoader
from torchvision import datasets, transforms


class Autoencoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Linear(28 * 28, 128), nn.ReLU(),
            nn.Linear(128, 64), nn.ReLU(),
            nn.Linear(64, 12), nn.ReLU(),
            nn.Linear(12, 3))
        self.decoder = nn.Sequential(
            nn.Linear(3, 12), nn.ReLU(),
            nn.Linear(12, 64), nn.ReLU(),
            nn.Linear(64, 128), nn.ReLU(),
            nn.Linear(128, 28 * 28), nn.Sigmoid())

    def forward(self, x):
        return self.decoder(self.encoder(x))


def main():
    parser = argparse.ArgumentParser(description="MNIST autoencoder")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--train-size", type=int, default=None)
    parser.add_argument("--test-size", type=int, default=None)
    parser.add_argument("--data", default="./data")
    args = parser.parse_args()

    torch.manual_seed(0)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    transform = transforms.Compose([
        transforms.ToTensor(),
        transforms.Lambda(lambda x: x.view(-1)),  # 1x28x28 -> 784
    ])
    train_set = datasets.MNIST(args.data, train=True, download=True, transform=transform)
    test_set = datasets.MNIST(args.data, train=False, download=True, transform=transform)
    if args.train_size:
        train_set, _ = torch.utils.data.random_split(
            train_set, [args.train_size, len(train_set) - args.train_size],
            generator=torch.Generator().manual_seed(42))
    if args.test_size:
        test_set = torch.utils.data.Subset(test_set, list(range(args.test_size)))
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True,
                              num_workers=2, pin_memory=True)
    test_loader = DataLoader(test_set, batch_size=args.batch_size)

    model = Autoencoder().to(device)
    criterion = nn.MSELoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=1e-5)

    def test_loss():
        model.eval()
        total = 0.0
        with torch.no_grad():
            for img, _ in test_loader:
                img = img.to(device)
                total += criterion(model(img), img).item() * img.size(0)
        model.train()
        return total / len(test_loader.dataset)

    print(f"before training: test reconstruction loss {test_loss():.4f}")
    for epoch in range(args.epochs):
        running = 0.0
        for img, _ in train_loader:
            img = img.to(device)
            output = model(img)
            loss = criterion(output, img)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            running += loss.item() * img.size(0)
        print(f"epoch [{epoch + 1}/{args.epochs}], train loss {running / len(train_set):.4f}, "
              f"test loss {test_loss():.4f}")

    codes = model.encoder(next(iter(test_loader))[0])
    print("codes:", tuple(codes.shape))


if __name__ == "__main__":
    main()
