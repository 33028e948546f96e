#!/usr/bin/env python3
"""gen_golden_transformer.py: golden test vectors for the rnnlab Transformer encoder, by PyTorch in float64.

Writes tests/golden/golden_transformer.bin (format in tests/golden/README.md), which
tests/c/test_tf_golden.c (and its double-precision twin) compares the core against. Only this script needs
torch; CI reads the committed output. Run: /usr/bin/python3 tests/golden/gen_golden_transformer.py

Each case builds nn.Embedding (or nn.Linear "input") + sinusoidal positions + a ModuleList of
nn.TransformerEncoderLayer(batch_first=True, norm_first=True, dropout=0, relu) run with
src_key_padding_mask + nn.LayerNorm "norm" + the mean of the real positions + nn.Linear "head": its
state_dict is the core's parameter block, in order. Records: the loss, predictions and gradients of one
masked variable-length batch (padding filled with random values); training cases also run 5 Adam steps
on that batch (with gradient clipping that clips some steps and not others, or with decoupled weight decay).
"""
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_format import (OPT_ADAM, build_seeded, case_optim, f32, flat, generate,  # noqa: E402
                           optim_records, rec_i32, rerun_f32, run_steps, tensor_rec, tolerance_units)

HEAD_BINARY, HEAD_CLASSES, HEAD_REGRESSION = 0, 1, 2
POS_NONE, POS_SINUSOIDAL = 0, 1


def case(name, B, T, lengths, vocab=0, input_size=0, d_model=8, heads=2, layers=1, ffn=12, positions=POS_SINUSOIDAL,
         head=HEAD_BINARY, outputs=1, seed=0, optim=None):
    assert len(lengths) == B and all(1 <= n <= T for n in lengths)
    return dict(name=name, B=B, T=T, lengths=lengths, vocab=vocab, input_size=input_size, d_model=d_model,
                heads=heads, layers=layers, ffn=ffn, positions=positions, head=head, outputs=outputs, seed=seed,
                optim=optim)


def adam(lr, weight_decay=0.0, clip=0.0, steps=5):
    return dict(kind=OPT_ADAM, steps=steps, lr=f32(lr), momentum=0.0, beta1=f32(0.9), beta2=f32(0.999),
                eps=f32(1e-8), weight_decay=f32(weight_decay), clip=clip)


def all_cases():
    return [
        case("tf_tokens_binary_1h1l", B=4, T=6, lengths=[6, 3, 1, 5], vocab=11, d_model=4, heads=1, ffn=6, seed=4001),
        case("tf_tokens_classes_2h2l", B=3, T=7, lengths=[4, 7, 2], vocab=13, d_model=8, heads=2, layers=2, ffn=12,
             head=HEAD_CLASSES, outputs=3, seed=4002),
        case("tf_dense_regression_4h3l", B=3, T=5, lengths=[5, 2, 4], input_size=3, d_model=8, heads=4, layers=3,
             ffn=10, head=HEAD_REGRESSION, outputs=2, seed=4003),
        case("tf_tokens_nopos_full", B=3, T=4, lengths=[4, 4, 4], vocab=9, d_model=6, heads=3, layers=2, ffn=8,
             positions=POS_NONE, seed=4004),
        case("train_tf_tokens_adam_clip", B=4, T=6, lengths=[6, 3, 1, 5], vocab=11, d_model=8, heads=2, layers=2,
             ffn=12, seed=5001, optim=adam(0.01, clip="mixed")),
        case("train_tf_dense_adamw", B=3, T=5, lengths=[5, 2, 4], input_size=2, d_model=6, heads=2, layers=1, ffn=8,
             head=HEAD_REGRESSION, outputs=1, seed=5002, optim=adam(0.02, weight_decay=0.1)),
    ]


# --- The reference model -------------------------------------------------------------------------------

def positions(T, D, dtype):
    """(T, D): column 2i is sin(t w_i), column 2i+1 cos(t w_i), w_i = 10000^(-2i/D), as the core computes them."""
    pe = torch.zeros(T, D, dtype=torch.float64)
    t = torch.arange(T, dtype=torch.float64)
    for j in range(0, D, 2):
        w = math.exp(-math.log(10000.0) * j / D)
        pe[:, j] = torch.sin(t * w)
        if j + 1 < D:
            pe[:, j + 1] = torch.cos(t * w)
    return pe.to(dtype)


class Model(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        D = c["d_model"]
        if c["vocab"] > 0:
            self.embedding = nn.Embedding(c["vocab"], D)
        else:
            self.input = nn.Linear(c["input_size"], D)
        self.layers = nn.ModuleList([
            nn.TransformerEncoderLayer(D, c["heads"], c["ffn"], dropout=0.0, activation="relu", batch_first=True,
                                       norm_first=True) for _ in range(c["layers"])])
        self.norm = nn.LayerNorm(D)
        self.head = nn.Linear(D, c["outputs"])

    def forward(self, x, lengths):
        c = self.c
        T = x.shape[1]
        x = self.embedding(x) if c["vocab"] > 0 else self.input(x)  # (B, T, D)
        if c["positions"] == POS_SINUSOIDAL:
            x = x + positions(T, c["d_model"], x.dtype)[None]
        pad = torch.arange(T)[None, :] >= lengths[:, None]  # (B, T), True at padding
        for layer in self.layers:
            x = layer(x, src_key_padding_mask=pad)
        x = self.norm(x)
        real = (~pad)[:, :, None].to(x.dtype)
        feat = (x * real).sum(1) / lengths[:, None].to(x.dtype)  # mean of the real positions
        return self.head(feat)


def loss_and_predictions(c, logits, targets):
    if c["head"] == HEAD_BINARY:
        return F.binary_cross_entropy_with_logits(logits[:, 0], targets), torch.sigmoid(logits)
    if c["head"] == HEAD_CLASSES:
        return F.cross_entropy(logits, targets.long()), torch.softmax(logits, -1)
    return F.mse_loss(logits, targets), logits


def init_params(model, gen):
    """Away from PyTorch's special starting points (LayerNorm 1 and 0, zero biases), so every gradient is tested."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            u = torch.rand(p.shape, generator=gen, dtype=torch.float64) * 2 - 1
            if name == "embedding.weight":
                p.copy_(torch.randn(p.shape, generator=gen, dtype=torch.float64))
            elif name.endswith("norm1.weight") or name.endswith("norm2.weight") or name == "norm.weight":
                p.copy_(1 + 0.3 * u)
            elif name.endswith("bias"):
                p.copy_(0.3 * u)
            else:
                fan_in = p.shape[1] if p.dim() == 2 else 1
                p.copy_(u * 1.5 / math.sqrt(fan_in))


def make_data(c, gen):
    """Random inputs (padding filled with random values too: the core must never read them) and targets."""
    B, T, O = c["B"], c["T"], c["outputs"]
    data = {}
    if c["vocab"] > 0:
        data["tokens"] = torch.randint(0, c["vocab"], (B, T), generator=gen, dtype=torch.int64)
    else:
        data["inputs"] = torch.randn((B, T, c["input_size"]), generator=gen, dtype=torch.float64)
    if c["head"] == HEAD_BINARY:
        data["targets"] = torch.randint(0, 2, (B,), generator=gen).to(torch.float64)
    elif c["head"] == HEAD_CLASSES:
        data["targets"] = torch.randint(0, O, (B,), generator=gen).to(torch.float64)
    else:
        data["targets"] = torch.randn((B, O), generator=gen, dtype=torch.float64)
    data["lengths"] = torch.tensor(c["lengths"], dtype=torch.int64)
    return data


def build(c, dtype=torch.float64, params=None):
    model, data = build_seeded(c, Model, init_params, make_data, params)
    model = model.to(dtype)
    model.train()  # dropout is 0; train() keeps PyTorch off its inference fast path
    if "inputs" in data:
        data["inputs"] = data["inputs"].to(dtype)
    data["targets"] = data["targets"].to(dtype)
    return model, data


def run_model(model, c, data):
    x = data["tokens"] if "tokens" in data else data["inputs"]
    return loss_and_predictions(c, model(x, data["lengths"]), data["targets"])


def train(model, c, data, o, clip):
    params = list(model.parameters())
    betas = (o["beta1"], o["beta2"])
    if o["weight_decay"] > 0:
        opt = torch.optim.AdamW(params, lr=o["lr"], betas=betas, eps=o["eps"], weight_decay=o["weight_decay"])
    else:
        opt = torch.optim.Adam(params, lr=o["lr"], betas=betas, eps=o["eps"])
    return run_steps(opt, params, o["steps"], lambda: run_model(model, c, data)[0], clip)


def train_fresh(c, o, clip):
    model, data = build(c)
    return train(model, c, data, o, clip)


# --- Output --------------------------------------------------------------------------------------------

def compute_case(c, dtype=torch.float64, params=None):
    o = case_optim(c, train_fresh)
    model, data = build(c, dtype, params)
    p0 = flat([p.detach() for p in model.parameters()]).clone()
    loss, pred = run_model(model, c, data)
    loss.backward()
    out = {"params": p0, "loss": loss.detach().reshape(1), "predictions": pred.detach(),
           "grads": flat([p.grad for p in model.parameters()]), "targets": data["targets"],
           "lengths": data["lengths"], "names": [n for n, _ in model.named_parameters()]}
    out["tokens" if "tokens" in data else "inputs"] = data["tokens" if "tokens" in data else "inputs"]
    if o is not None:
        model, data = build(c, dtype, params)
        losses, norms, clipped = train(model, c, data, o, o["clip"])
        out.update(optim=o, train_losses=torch.tensor(losses, dtype=torch.float64),
                   train_grad_norms=torch.tensor(norms, dtype=torch.float64), train_clipped=clipped,
                   params_after=flat([p.detach() for p in model.parameters()]))
    return out


def case_records(c, out):
    cfg = [c["vocab"], c["input_size"], c["d_model"], c["heads"], c["layers"], c["ffn"], c["positions"], c["head"],
           c["outputs"]]
    recs = [rec_i32("config", cfg, [len(cfg)]), rec_i32("shape", [c["B"], c["T"]], [2])]
    recs.append(tensor_rec("tokens", out["tokens"]) if "tokens" in out else tensor_rec("inputs", out["inputs"]))
    for name in ("lengths", "targets", "params", "predictions", "loss", "grads"):
        recs.append(tensor_rec(name, out[name]))
    return recs + optim_records(out)


# The C test's float tolerances (tests/c/test_tf_golden.c), per record: (rtol, atol).
F32_TOL = {"loss": (1e-4, 1e-5), "predictions": (1e-4, 1e-5), "grads": (1e-4, 1e-5), "train_losses": (1e-4, 1e-5),
           "train_grad_norms": (1e-4, 1e-5), "params_after": (1e-4, 1e-4)}


def check_f32(c, gold):
    lo = rerun_f32(compute_case, c, gold)
    parts = [tolerance_units(lo, gold, n, *F32_TOL[n]) for n in F32_TOL if n in gold]
    print(f"  f32/f64 error in tolerance units: {', '.join(parts)}")


def describe(c, out):
    desc = f"{c['name']}: {out['params'].numel()} params, loss {float(out['loss']):.6f}, " \
           f"|grad| {float(out['grads'].norm()):.4f}"
    if "optim" in out:
        desc += f"; clip {out['optim']['clip']:.6g}, losses " + " ".join(f"{v:.4f}" for v in out["train_losses"].tolist())
        desc += ", clipped " + "".join("1" if k else "0" for k in out["train_clipped"])
    return desc


def main():
    generate(__doc__, "golden_transformer.bin", all_cases, compute_case, case_records, describe, check_f32)


if __name__ == "__main__":
    sys.exit(main())
