#!/usr/bin/env python3
"""Load an rnnlab checkpoint into PyTorch and compare the loss and gradients with `rnnlab grad`.

    rnnlab grad --model m.rnl --batch batch.json > grads.json
    python3 docs/examples/rnnlab_to_torch.py m.rnl batch.json grads.json

Reads the checkpoint with nothing but the layout in docs/checkpoint-format.md, builds the equivalent
nn.Embedding/nn.Linear + nn.RNN/LSTM/GRU model, loads the weights through its state_dict, runs the batch
in float64 and prints the largest relative difference of the loss and of every gradient.
"""
import json
import struct
import sys
import zlib

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


def read_checkpoint(path):
    data = open(path, "rb").read()
    if data[:8] != b"RNNLABCK":
        sys.exit(f"{path}: not an rnnlab checkpoint")
    version, flags = struct.unpack_from("<II", data, 8)
    if version != 1:
        sys.exit(f"{path}: format version {version}, this script reads 1")
    if zlib.crc32(data[:-4]) != struct.unpack_from("<I", data, len(data) - 4)[0]:
        sys.exit(f"{path}: checksum mismatch")
    names = ["cell", "vocab", "embed", "input_size", "hidden", "layers", "bidirectional", "head", "outputs", "seq2seq"]
    cfg = dict(zip(names, struct.unpack_from("<10i", data, 16)))
    (n_params,) = struct.unpack_from("<Q", data, 64)
    params = torch.tensor(struct.unpack_from(f"<{n_params}f", data, 120), dtype=torch.float64)
    return cfg, params


class Model(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        if c["vocab"] > 0:
            self.embedding = nn.Embedding(c["vocab"], c["embed"])
        kind = [lambda **k: nn.RNN(nonlinearity="tanh", **k), nn.LSTM, nn.GRU][c["cell"]]
        size = c["embed"] if c["vocab"] > 0 else c["input_size"]
        self.rnn = kind(input_size=size, hidden_size=c["hidden"], num_layers=c["layers"],
                        bidirectional=bool(c["bidirectional"]), batch_first=True)
        self.head = nn.Linear(c["hidden"] * (2 if c["bidirectional"] else 1), c["outputs"])

    def forward(self, x, lengths):
        if self.c["vocab"] > 0:
            x = self.embedding(x)
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        out, h = self.rnn(packed)
        if self.c["seq2seq"]:
            out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
            return self.head(out)
        h = h[0] if isinstance(h, tuple) else h  # LSTM: (h, c)
        feat = torch.cat([h[-2], h[-1]], 1) if self.c["bidirectional"] else h[-1]
        return self.head(feat)


def loss_of(c, logits, targets, lengths):
    # Mean over sequences (seq2one) or over real steps (seq2seq); regression also over outputs.
    if c["seq2seq"]:
        mask = torch.arange(logits.shape[1])[None, :] < lengths[:, None]
        logits, targets = logits[mask], targets[mask]
    if c["head"] == 0:
        return nn.functional.binary_cross_entropy_with_logits(logits.reshape(-1), targets.reshape(-1))
    if c["head"] == 1:
        return nn.functional.cross_entropy(logits.reshape(-1, c["outputs"]), targets.reshape(-1).long())
    return nn.functional.mse_loss(logits.reshape(targets.shape), targets)


def main():
    ckpt, batch_path, grads_path = sys.argv[1:4]
    c, flat = read_checkpoint(ckpt)
    model = Model(c).double()
    # The checkpoint's parameter block is the state_dict, in order, each tensor row-major.
    state, at = {}, 0
    for name, t in model.state_dict().items():
        state[name] = flat[at:at + t.numel()].reshape(t.shape)
        at += t.numel()
    assert at == len(flat), "parameter count mismatch"
    model.load_state_dict(state)

    batch = json.load(open(batch_path))
    seqs = batch["tokens"] if c["vocab"] > 0 else batch["inputs"]
    lengths = torch.tensor([len(s) for s in seqs])
    T = int(lengths.max())
    if c["vocab"] > 0:
        x = torch.zeros(len(seqs), T, dtype=torch.long)
    else:
        x = torch.zeros(len(seqs), T, c["input_size"], dtype=torch.float64)
    for i, s in enumerate(seqs):
        x[i, :len(s)] = torch.tensor(s).reshape(x[i, :len(s)].shape)
    if c["seq2seq"]:
        per = c["outputs"] if c["head"] == 2 else 1
        targets = torch.zeros(len(seqs), T, per, dtype=torch.float64)
        for i, ys in enumerate(batch["targets"]):
            targets[i, :len(ys)] = torch.tensor(ys, dtype=torch.float64).reshape(len(ys), per)
        if c["head"] != 2:
            targets = targets[..., 0]
    else:
        targets = torch.tensor(batch["targets"], dtype=torch.float64)

    loss = loss_of(c, model(x, lengths), targets, lengths)
    loss.backward()
    ours = json.load(open(grads_path))
    worst = abs(loss.item() - ours["loss"]) / abs(loss.item())
    print(f"loss: torch {loss.item():.9g}, rnnlab {ours['loss']:.9g}, relative difference {worst:.2e}")
    for name, p in model.named_parameters():
        g, mine = p.grad, torch.tensor(ours["grads"][name], dtype=torch.float64).reshape(p.shape)
        rel = ((g - mine).abs().max() / g.abs().max().clamp_min(1e-30)).item()
        worst = max(worst, rel)
        print(f"{name:28s} max |diff| / max |grad| = {rel:.2e}")
    print(f"worst relative difference: {worst:.2e}")
    return 0 if worst < 1e-5 else 1


if __name__ == "__main__":
    sys.exit(main())
