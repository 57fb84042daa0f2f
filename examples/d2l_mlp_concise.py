# Source: d2l-ai/d2l-zh, chapter_multilayer-perceptrons/mlp-concise.md (commit 1b6ae6ac), the
# PyTorch tab of "多层感知机的简洁实现" (concise MLP), https://zh.d2l.ai/chapter_multilayer-perceptrons/mlp-concise.html
# The chapter's PyTorch cells in order; only the import lines differ (torch -> telar, and
# `from d2l import torch as d2l` -> the helpers copied into d2l_telar.py).
# Licence: the book's sample code, see https://github.com/d2l-ai/d2l-zh (LICENSE files).
# Run from examples/: `cd examples && python d2l_mlp_concise.py` (data from ../data or telar's finder).
import d2l_telar as d2l
import telar as torch
from telar import nn

net = nn.Sequential(nn.Flatten(),
                    nn.Linear(784, 256),
                    nn.ReLU(),
                    nn.Linear(256, 10))

def init_weights(m):
    if type(m) == nn.Linear:
        torch.nn.init.normal_(m.weight, std=0.01)

net.apply(init_weights)

batch_size, lr, num_epochs = 256, 0.1, 10
loss = nn.CrossEntropyLoss()
trainer = torch.optim.SGD(net.parameters(), lr=lr)

train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size)
d2l.train_ch3(net, train_iter, test_iter, loss, num_epochs, trainer)
