#!/usr/bin/env python3
"""gen_golden.py: golden test vectors for the rnnlab core, computed by PyTorch in float64.

Writes tests/golden/golden.bin (format in tests/golden/README.md), which tests/c/test_golden.c compares the
core against. Only this script needs torch; CI reads the committed output. Run it with a Python that has
torch (Debian: apt install python3-torch; /usr/bin/python3 tests/golden/gen_golden.py).

Each case builds nn.Embedding (if vocab > 0) + nn.RNN/LSTM/GRU (batch_first, packed with the real lengths)
+ nn.Linear "head", so the flat parameter block is exactly torch's state_dict in order, and records the
loss, predictions and gradients of one batch; training cases also run a few optimizer steps on that batch.
The head reads the top layer's final states (h_n), or in a pooled case the mean or max of its outputs over
the real steps (the "pool" record).

--check-f32 also runs every case in float32 (parameters rounded from the float64 ones, as the float build
of the core does) and prints how far float32 lands from float64 in units of the C test's float tolerances:
the evidence for those tolerances.
"""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# The file format, its writer and reader, and the scaffolding both generators share.
from golden_format import (OPT_ADAM, OPT_MOMENTUM, OPT_SGD, build_seeded, case_optim, f32,  # noqa: E402
                           flat, generate, optim_records, rec_f64, rec_i32, rerun_f32, run_steps, tensor_rec,
                           tolerance_units)

CELL_RNN, CELL_LSTM, CELL_GRU = 0, 1, 2
HEAD_BINARY, HEAD_CLASSES, HEAD_REGRESSION = 0, 1, 2
POOL_LAST, POOL_MEAN, POOL_MAX = 0, 1, 2  # what a sequence-to-one head reads (rnl_pooling)


# --- Cases ---------------------------------------------------------------------------------------------

def case(name, cell, B, T, lengths, vocab=0, embed=0, input_size=0, hidden=4, layers=1, bidirectional=0,
         head=HEAD_BINARY, outputs=1, seq2seq=0, seed=0, optim=None, dropout=None, pool=POOL_LAST):
    assert len(lengths) == B and all(1 <= n <= T for n in lengths)
    assert pool == POOL_LAST or not seq2seq  # a pooled head reads a sequence-to-one model's steps
    # dropout: (p, step): the masks of optimizer step `step` (one layer: the embedding output and the head's input).
    assert dropout is None or (layers == 1 and optim is None)
    return dict(name=name, cell=cell, B=B, T=T, lengths=lengths, vocab=vocab, embed=embed,
                input_size=input_size, hidden=hidden, layers=layers, bidirectional=bidirectional, head=head,
                outputs=outputs, seq2seq=seq2seq, seed=seed, optim=optim, dropout=dropout, pool=pool)


def optim(kind, lr, momentum=0.0, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, clip=0.0, steps=5):
    return dict(kind=kind, steps=steps, lr=f32(lr), momentum=f32(momentum), beta1=f32(beta1), beta2=f32(beta2),
                eps=f32(eps), weight_decay=f32(weight_decay), clip=clip)


CELL_NAMES = {CELL_RNN: "rnn", CELL_LSTM: "lstm", CELL_GRU: "gru"}


def all_cases():
    cs = []
    seed = 1000
    # Token input, one layer, binary head, sequence-to-one.
    for cell in (CELL_RNN, CELL_LSTM, CELL_GRU):
        seed += 1
        cs.append(case(f"{CELL_NAMES[cell]}_tokens_binary", cell, B=4, T=6, lengths=[6, 3, 1, 5], vocab=13,
                       embed=5, hidden=7, seed=seed))
    # Dense input, two bidirectional layers, 4 classes, sequence-to-one.
    for cell in (CELL_RNN, CELL_LSTM, CELL_GRU):
        seed += 1
        cs.append(case(f"{CELL_NAMES[cell]}_dense_bi2_classes", cell, B=3, T=7, lengths=[4, 7, 2], input_size=3,
                       hidden=6, layers=2, bidirectional=1, head=HEAD_CLASSES, outputs=4, seed=seed))
    # Sequence-to-sequence regression (masked mean over real steps * outputs).
    cs.append(case("lstm_s2s_regression_bi", CELL_LSTM, B=3, T=5, lengths=[3, 5, 1], input_size=2, hidden=5,
                   bidirectional=1, head=HEAD_REGRESSION, outputs=2, seq2seq=1, seed=2001))
    cs.append(case("gru_s2s_regression_2l", CELL_GRU, B=3, T=5, lengths=[2, 1, 5], input_size=2, hidden=5,
                   layers=2, head=HEAD_REGRESSION, outputs=2, seq2seq=1, seed=2002))
    cs.append(case("rnn_s2s_regression", CELL_RNN, B=3, T=5, lengths=[5, 4, 1], input_size=2, hidden=5,
                   head=HEAD_REGRESSION, outputs=2, seq2seq=1, seed=2003))
    # The other heads sequence-to-sequence: binary per step (tokens), classes per step (bidirectional).
    cs.append(case("rnn_s2s_binary_tokens", CELL_RNN, B=3, T=5, lengths=[1, 5, 3], vocab=9, embed=4, hidden=5,
                   head=HEAD_BINARY, outputs=1, seq2seq=1, seed=2004))
    cs.append(case("gru_s2s_classes_bi", CELL_GRU, B=3, T=5, lengths=[4, 1, 5], input_size=3, hidden=4,
                   bidirectional=1, head=HEAD_CLASSES, outputs=3, seq2seq=1, seed=2005))
    # Sequence-to-one regression with several outputs, every sequence full length (no padding at all).
    cs.append(case("lstm_regression_full", CELL_LSTM, B=3, T=4, lengths=[4, 4, 4], input_size=2, hidden=5,
                   head=HEAD_REGRESSION, outputs=2, seed=2006))
    # The CLI's `init --cell lstm --vocab 100 --embed 8 --hidden 16 --layers 2 --bidirectional`, vocab 20.
    cs.append(case("lstm_tokens_bi2_binary_cli", CELL_LSTM, B=4, T=6, lengths=[2, 6, 1, 4], vocab=20, embed=8,
                   hidden=16, layers=2, bidirectional=1, seed=2007))
    # Training: 5 optimizer steps on the same batch; every cell, every optimizer.
    cs.append(case("train_lstm_tokens_adam_clip", CELL_LSTM, B=4, T=6, lengths=[6, 3, 1, 5], vocab=13, embed=5,
                   hidden=7, seed=3001, optim=optim(OPT_ADAM, lr=0.02, clip="mixed")))
    cs.append(case("train_gru_dense_bi2_momentum_wd", CELL_GRU, B=3, T=7, lengths=[4, 7, 2], input_size=3,
                   hidden=6, layers=2, bidirectional=1, head=HEAD_CLASSES, outputs=4, seed=3002,
                   optim=optim(OPT_MOMENTUM, lr=0.1, momentum=0.9, weight_decay=0.05)))
    cs.append(case("train_rnn_tokens_adamw", CELL_RNN, B=4, T=6, lengths=[6, 3, 1, 5], vocab=13, embed=5,
                   hidden=7, seed=3003, optim=optim(OPT_ADAM, lr=0.01, weight_decay=0.1)))
    cs.append(case("train_gru_s2s_regression_sgd", CELL_GRU, B=3, T=5, lengths=[2, 1, 5], input_size=2,
                   hidden=5, layers=2, head=HEAD_REGRESSION, outputs=2, seq2seq=1, seed=3004,
                   optim=optim(OPT_SGD, lr=0.1)))
    # Dropout with the masks of one step, fed to torch as the core draws them (dropout_mask below).
    cs.append(case("gru_tokens_bi_binary_dropout", CELL_GRU, B=4, T=6, lengths=[6, 3, 1, 5], vocab=13, embed=6,
                   hidden=7, bidirectional=1, seed=4001, dropout=(f32(0.4), 3)))
    cs.append(case("lstm_tokens_s2s_regression_dropout", CELL_LSTM, B=3, T=5, lengths=[3, 5, 2], vocab=9, embed=5,
                   hidden=6, head=HEAD_REGRESSION, outputs=2, seq2seq=1, seed=4002, dropout=(f32(0.3), 17)))
    # Pooled heads: the mean or max of the top layer's outputs (both directions) over the real steps.
    cs.append(case("gru_tokens_binary_mean", CELL_GRU, B=4, T=6, lengths=[6, 3, 1, 5], vocab=13, embed=5, hidden=7,
                   seed=5001, pool=POOL_MEAN))
    cs.append(case("lstm_tokens_binary_max", CELL_LSTM, B=4, T=6, lengths=[6, 3, 1, 5], vocab=13, embed=5, hidden=7,
                   seed=5002, pool=POOL_MAX))
    cs.append(case("lstm_dense_bi2_classes_mean", CELL_LSTM, B=3, T=7, lengths=[4, 7, 2], input_size=3, hidden=6,
                   layers=2, bidirectional=1, head=HEAD_CLASSES, outputs=4, seed=5003, pool=POOL_MEAN))
    cs.append(case("gru_dense_bi2_regression_max", CELL_GRU, B=3, T=7, lengths=[4, 7, 2], input_size=3, hidden=6,
                   layers=2, bidirectional=1, head=HEAD_REGRESSION, outputs=2, seed=5004, pool=POOL_MAX))
    cs.append(case("gru_tokens_bi_binary_mean_dropout", CELL_GRU, B=4, T=6, lengths=[6, 3, 1, 5], vocab=13, embed=6,
                   hidden=7, bidirectional=1, seed=5005, dropout=(f32(0.4), 3), pool=POOL_MEAN))
    cs.append(case("lstm_tokens_bi_binary_max_dropout", CELL_LSTM, B=4, T=6, lengths=[6, 3, 1, 5], vocab=13, embed=6,
                   hidden=7, bidirectional=1, seed=5006, dropout=(f32(0.4), 5), pool=POOL_MAX))
    cs.append(case("train_gru_tokens_mean_adam", CELL_GRU, B=4, T=6, lengths=[6, 3, 1, 5], vocab=13, embed=5,
                   hidden=7, seed=5007, optim=optim(OPT_ADAM, lr=0.02, clip="mixed"), pool=POOL_MEAN))
    return cs


# --- Dropout masks, as core/src/dropout.c draws them -----------------------------------------------------

M64 = (1 << 64) - 1


def mix64(z):
    z = (z + 0x9e3779b97f4a7c15) & M64
    z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & M64
    z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & M64
    return z ^ (z >> 31)


def dropout_mask(n, p, step, site, row, t):
    """(n) float64: 0 or 1 / (1 - p) for (optimizer step, site, the caller's row, position)."""
    k = mix64(step ^ 0x64726f706f7574)
    for v in (site, row, t):
        k = mix64(k ^ (v & 0xffffffff))
    thr = int(p * 16777216.0)
    scale = 1.0 / (1.0 - p)
    return torch.tensor([0.0 if (mix64((k + j) & M64) >> 40) < thr else scale for j in range(n)], dtype=torch.float64)


def masks(c, site, width, per_step):
    """(B, T, width) or (B, width) masks of `site` for every row (and position)."""
    p, step = c["dropout"]
    if per_step:
        return torch.stack([torch.stack([dropout_mask(width, p, step, site, b, t) for t in range(c["T"])])
                            for b in range(c["B"])])
    return torch.stack([dropout_mask(width, p, step, site, b, 0) for b in range(c["B"])])


# --- The reference model -------------------------------------------------------------------------------

class Model(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        if c["vocab"] > 0:
            self.embedding = nn.Embedding(c["vocab"], c["embed"])
            n_in = c["embed"]
        else:
            n_in = c["input_size"]
        kw = dict(num_layers=c["layers"], bidirectional=bool(c["bidirectional"]), batch_first=True)
        if c["cell"] == CELL_RNN:
            self.rnn = nn.RNN(n_in, c["hidden"], nonlinearity="tanh", **kw)
        elif c["cell"] == CELL_LSTM:
            self.rnn = nn.LSTM(n_in, c["hidden"], **kw)
        else:
            self.rnn = nn.GRU(n_in, c["hidden"], **kw)
        D = c["hidden"] * (2 if c["bidirectional"] else 1)
        self.head = nn.Linear(D, c["outputs"])

    def forward(self, x, lengths):
        c = self.c
        if c["vocab"] > 0:
            x = self.embedding(x)  # (B, T, embed)
            if c["dropout"]:
                x = x * masks(c, 0, c["embed"], True).to(x.dtype)  # site 0: the embedding output
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        out, hn = self.rnn(packed)
        if c["cell"] == CELL_LSTM:
            hn = hn[0]  # h, not c
        if c["seq2seq"]:
            out, _ = pad_packed_sequence(out, batch_first=True, total_length=c["T"])  # (B, T, D), zeros at padding
            if c["dropout"]:
                out = out * masks(c, c["layers"], out.shape[2], True).to(out.dtype)  # the head's input, every step
            return self.head(out)  # (B, T, O)
        if c["pool"] == POOL_LAST:
            feat = torch.cat([hn[-2], hn[-1]], 1) if c["bidirectional"] else hn[-1]  # (B, D), top layer
        else:
            # The top layer's outputs (both directions) at the real steps only: mean, or elementwise max.
            out, _ = pad_packed_sequence(out, batch_first=True, total_length=c["T"])  # (B, T, D), zeros at padding
            if c["pool"] == POOL_MEAN:
                feat = out.sum(1) / lengths[:, None].to(out.dtype)
            else:
                real = (torch.arange(c["T"])[None, :] < lengths[:, None])[:, :, None]  # (B, T, 1)
                feat = out.masked_fill(~real, float("-inf")).max(1).values
        if c["dropout"]:
            feat = feat * masks(c, c["layers"], feat.shape[1], False).to(feat.dtype)  # the head's input, position 0
        return self.head(feat)  # (B, O)


def loss_and_predictions(c, logits, targets, lengths):
    """Mean loss as the core defines it, and the predictions (zeros at padding for seq2seq)."""
    head = c["head"]
    if c["seq2seq"]:
        mask = torch.arange(c["T"])[None, :] < lengths[:, None]  # (B, T)
        lg, tg = logits[mask], targets[mask]  # real steps only: (N, O), (N) or (N, O)
    else:
        mask = None
        lg, tg = logits, targets
    if head == HEAD_BINARY:
        loss = F.binary_cross_entropy_with_logits(lg[:, 0], tg)
        pred = torch.sigmoid(logits)
    elif head == HEAD_CLASSES:
        loss = F.cross_entropy(lg, tg.long())
        pred = torch.softmax(logits, -1)
    else:
        loss = F.mse_loss(lg, tg)
        pred = logits
    if mask is not None:
        pred = torch.where(mask[:, :, None], pred, torch.zeros_like(pred))
    return loss, pred


def init_params(model, gen):
    """Larger than torch's default init so gradients are well away from zero, not so large that tanh saturates."""
    H = model.c["hidden"]
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name == "embedding.weight":
                p.copy_(torch.randn(p.shape, generator=gen, dtype=torch.float64))
            elif name.startswith("rnn.weight"):
                a = 1.6 / H ** 0.5
                p.copy_((torch.rand(p.shape, generator=gen, dtype=torch.float64) * 2 - 1) * a)
            elif name.startswith("rnn.bias"):
                p.copy_((torch.rand(p.shape, generator=gen, dtype=torch.float64) * 2 - 1) * 0.5)
            elif name == "head.weight":
                p.copy_((torch.rand(p.shape, generator=gen, dtype=torch.float64) * 2 - 1) * 1.0)
            elif name == "head.bias":
                p.copy_((torch.rand(p.shape, generator=gen, dtype=torch.float64) * 2 - 1) * 0.5)
            else:
                raise RuntimeError("unexpected parameter " + name)


def make_data(c, gen):
    """Random inputs (padding filled with random values too: the core must never read them) and targets."""
    B, T, O = c["B"], c["T"], c["outputs"]
    data = {}
    if c["vocab"] > 0:
        data["tokens"] = torch.randint(0, c["vocab"], (B, T), generator=gen, dtype=torch.int64)
    else:
        data["inputs"] = torch.randn((B, T, c["input_size"]), generator=gen, dtype=torch.float64)
    lead = (B, T) if c["seq2seq"] else (B,)
    if c["head"] == HEAD_BINARY:
        tg = torch.randint(0, 2, lead, generator=gen).to(torch.float64)
    elif c["head"] == HEAD_CLASSES:
        tg = torch.randint(0, O, lead, generator=gen).to(torch.float64)
    else:
        tg = torch.randn(lead + (O,), generator=gen, dtype=torch.float64)
    data["targets"] = tg
    data["lengths"] = torch.tensor(c["lengths"], dtype=torch.int64)
    return data


def build(c, dtype=torch.float64, params=None):
    """The model (parameters from the case's seed, or `params` cast to dtype) and the batch."""
    model, data = build_seeded(c, Model, init_params, make_data, params)
    model = model.to(dtype)
    if "inputs" in data:
        data["inputs"] = data["inputs"].to(dtype)
    data["targets"] = data["targets"].to(dtype)
    return model, data


def run_model(model, c, data):
    x = data["tokens"] if "tokens" in data else data["inputs"]
    logits = model(x, data["lengths"])
    return loss_and_predictions(c, logits, data["targets"], data["lengths"])


def train(model, c, data, o, clip):
    """o["steps"] steps on the same batch. Returns losses, grad norms before clipping, clipped flags."""
    params = list(model.parameters())
    lr, wd = o["lr"], o["weight_decay"]
    if o["kind"] == OPT_ADAM:
        betas = (o["beta1"], o["beta2"])
        if wd > 0:
            opt = torch.optim.AdamW(params, lr=lr, betas=betas, eps=o["eps"], weight_decay=wd)
        else:
            opt = torch.optim.Adam(params, lr=lr, betas=betas, eps=o["eps"])
    elif o["kind"] == OPT_MOMENTUM:
        opt = torch.optim.SGD(params, lr=lr, momentum=o["momentum"], dampening=0, nesterov=False)
    else:
        opt = torch.optim.SGD(params, lr=lr)

    def decay():
        # Decoupled weight decay for SGD (torch's SGD weight_decay is L2, added to the gradient).
        with torch.no_grad():
            for p in params:
                p.sub_(p * (lr * wd))

    return run_steps(opt, params, o["steps"], lambda: run_model(model, c, data)[0], clip,
                     decay if o["kind"] != OPT_ADAM and wd > 0 else None)


def train_fresh(c, o, clip):
    """train() from the case's parameters (for choose_clip)."""
    model, data = build(c)
    return train(model, c, data, o, clip)


# --- Output --------------------------------------------------------------------------------------------

def compute_case(c, dtype=torch.float64, params=None):
    """Every record of one case, as {name: tensor or list}, plus the records in file order."""
    o = case_optim(c, train_fresh)
    model, data = build(c, dtype, params)
    p0 = flat([p.detach() for p in model.parameters()]).clone()
    loss, pred = run_model(model, c, data)
    loss.backward()
    grads = flat([p.grad for p in model.parameters()])
    out = {"params": p0, "loss": loss.detach().reshape(1), "predictions": pred.detach(), "grads": grads,
           "targets": data["targets"], "lengths": data["lengths"]}
    if "tokens" in data:
        out["tokens"] = data["tokens"]
    else:
        out["inputs"] = data["inputs"]
    if o is not None:
        clip = o["clip"]
        model, data = build(c, dtype, params)
        losses, norms, clipped = train(model, c, data, o, clip)
        out["optim"] = o
        out["train_losses"] = torch.tensor(losses, dtype=torch.float64)
        out["train_grad_norms"] = torch.tensor(norms, dtype=torch.float64)
        out["train_clipped"] = clipped
        out["params_after"] = flat([p.detach() for p in model.parameters()])
    return out


def case_records(c, out):
    cfg = [c["cell"], c["vocab"], c["embed"], c["input_size"], c["hidden"], c["layers"], c["bidirectional"],
           c["head"], c["outputs"], c["seq2seq"]]
    recs = [rec_i32("config", cfg, [len(cfg)]), rec_i32("shape", [c["B"], c["T"]], [2])]
    if c["dropout"]:
        recs.append(rec_f64("dropout", [c["dropout"][0], c["dropout"][1]], [2]))  # p (a float32), the step
    if c["pool"] != POOL_LAST:
        recs.append(rec_i32("pool", [c["pool"]], [1]))  # 1 mean, 2 max; absent: the last state
    recs.append(tensor_rec("tokens", out["tokens"]) if "tokens" in out else tensor_rec("inputs", out["inputs"]))
    for name in ("lengths", "targets", "params", "predictions", "loss", "grads"):
        recs.append(tensor_rec(name, out[name]))
    return recs + optim_records(out)


# --- float32 tolerance evidence ------------------------------------------------------------------------

# The C test's float tolerances (tests/c/test_golden.c), per record: (rtol, atol).
F32_TOL = {"loss": (1e-4, 1e-5), "predictions": (1e-4, 1e-5), "grads": (1e-4, 1e-5),
           "train_losses": (1e-4, 1e-5), "train_grad_norms": (1e-4, 1e-5),
           "params_after": (1e-4, 1e-5), "params_after_adam": (1e-3, 1e-4)}


def check_f32(c, gold):
    """Prints max |f32 - f64| / (atol + rtol |f64|) per record: below 1 passes the C test's float tolerance."""
    lo = rerun_f32(compute_case, c, gold)
    parts = []
    for name in ("loss", "predictions", "grads", "train_losses", "train_grad_norms", "params_after"):
        if name not in gold:
            continue
        key = name
        if name == "params_after" and gold["optim"]["kind"] == OPT_ADAM:
            key = "params_after_adam"
        parts.append(tolerance_units(lo, gold, name, *F32_TOL[key]))
    print(f"  f32/f64 error in tolerance units: {', '.join(parts)}")


def describe(c, out):
    desc = f"{c['name']}: {out['params'].numel()} params, loss {float(out['loss']):.6f}, " \
           f"|grad| {float(out['grads'].norm()):.4f}"
    if "optim" in out:
        o = out["optim"]
        desc += f"; clip {o['clip']:.6g}, losses " + " ".join(f"{v:.4f}" for v in out["train_losses"].tolist())
        desc += ", norms " + " ".join(f"{v:.4f}" for v in out["train_grad_norms"].tolist())
        desc += ", clipped " + "".join("1" if k else "0" for k in out["train_clipped"])
    return desc


def main():
    generate(__doc__, "golden.bin", all_cases, compute_case, case_records, describe, check_f32)


if __name__ == "__main__":
    sys.exit(main())
