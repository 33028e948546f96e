#!/usr/bin/env python3
"""PyTorch peer for `rnnlab bench`: the same models, configurations and measurement, single thread.

    python3 tests/bench/torch_bench.py [--json] [--repeats 5] [--steps 3] [--config all] [--cell all] [--peak]
                                       [--threads 1[,2,...]]

--threads: one count or a list (default 1): each count is torch.set_num_threads(n) (and OpenBLAS's own
thread count, when the BLAS is OpenBLAS); the counts' runs are interleaved (repeat 1 of every count, then
repeat 2 ...) and rows after the first carry the median of the paired ratios against the first (speedup),
as `rnnlab bench --threads` does.

--peak adds the single-thread sgemm peak of the BLAS torch calls (torch.mm, float32, squares of 256..1024),
the "best native sgemm" the benchmark reads every figure against. The BLAS and the kernel it chose are
named in every row (OpenBLAS's openblas_get_corename(): OPENBLAS_CORETYPE forces one; `npm run bench`
unsets it, and OPENBLAS_L2_SIZE, for this command alone).

Embedding -> nn.RNN/LSTM/GRU -> last state -> Linear(1), BCE-with-logits, Adam; random tokens, fixed
length. --cell transformer (in all): Embedding + sinusoidal positions -> nn.TransformerEncoder of 2
nn.TransformerEncoderLayer(D = hidden, 4 heads, ffn 2D, dropout 0, relu, batch_first, norm_first) ->
LayerNorm -> mean over positions -> Linear(1), as core/cli/cmd_bench.c builds it. Prints the median and range of sequences/s over repeats after a warm-up, and GFLOP/s counted
exactly as rnnlab counts them (matmul FLOPs only, training = 3x forward). Used by `npm run bench`;
never by the tests (CI does not need torch).
"""
import argparse
import ctypes
import json
import math
import re
import statistics
import time

import torch
from torch import nn

CONFIGS = [("bench", 10000, 32, 200, 64, 128), ("small", 10000, 32, 100, 32, 64)]
GATES = {"rnn": 1, "lstm": 4, "gru": 3}


class Model(nn.Module):
    def __init__(self, cell, vocab, embed, hidden):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embed)
        kind = {"rnn": lambda *a, **k: nn.RNN(*a, nonlinearity="tanh", **k), "lstm": nn.LSTM, "gru": nn.GRU}[cell]
        self.rnn = kind(embed, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x):
        _, h = self.rnn(self.embedding(x))
        h = h[0] if isinstance(h, tuple) else h
        return self.head(h[-1]).squeeze(1)


class Encoder(nn.Module):
    """The Transformer of `rnnlab bench --cell transformer` (every sequence full length: no mask)."""

    def __init__(self, vocab, d, heads=4, layers=2):
        super().__init__()
        self.embedding = nn.Embedding(vocab, d)
        layer = nn.TransformerEncoderLayer(d, heads, 2 * d, dropout=0.0, activation="relu", batch_first=True,
                                           norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, 1)
        self.d = d

    def forward(self, x):
        T = x.shape[1]
        t = torch.arange(T, dtype=torch.float32)[:, None]
        w = torch.exp(-math.log(10000.0) * torch.arange(0, self.d, 2, dtype=torch.float32) / self.d)
        pe = torch.zeros(T, self.d)
        pe[:, 0::2], pe[:, 1::2] = torch.sin(t * w), torch.cos(t * w)
        h = self.norm(self.encoder(self.embedding(x) + pe))
        return self.head(h.mean(1)).squeeze(1)


def blas_name():
    """The BLAS library mapped into this process and, for OpenBLAS, the kernel (core) it runs."""
    maps = open("/proc/self/maps").read()
    libs = sorted(set(re.findall(r"(/\S*(?:openblas|libblas)\S*\.so\S*)", maps)))
    for lib in libs:
        try:
            f = ctypes.CDLL(lib).openblas_get_corename
            f.restype = ctypes.c_char_p
            return "openblas " + f().decode()
        except (OSError, AttributeError):
            continue
    return "reference BLAS" if libs else "torch-internal"


def set_threads(n):
    """torch's intra-op threads and, if the BLAS is OpenBLAS, its own: the LSTM's matmuls run there."""
    torch.set_num_threads(n)
    maps = open("/proc/self/maps").read()
    for lib in sorted(set(re.findall(r"(/\S*openblas\S*\.so\S*)", maps))):
        try:
            ctypes.CDLL(lib).openblas_set_num_threads(n)
        except (OSError, AttributeError):
            continue


def sgemm_peak(blas, as_json):
    """Single-thread float32 torch.mm GFLOP/s at a few squares: median of 7 after warm-up."""
    for n in (256, 512, 1024):
        a, b = torch.rand(n, n), torch.rand(n, n)
        c = a @ b
        iters = max(1, int(2e9 / (2 * n ** 3)))
        rates, cpu_rates = [], []
        for _ in range(7):
            t0, c0 = time.perf_counter(), time.process_time()
            for _ in range(iters):
                c = a @ b
            rates.append(2 * n ** 3 * iters / (time.perf_counter() - t0) / 1e9)
            cpu_rates.append(2 * n ** 3 * iters / max(time.process_time() - c0, 1e-9) / 1e9)
        row = {"engine": "pytorch-" + torch.__version__.split("+")[0], "kind": "sgemm", "kernels": blas,
               "M": n, "N": n, "K": n, "gflops": round(statistics.median(rates), 3), "gflops_best": round(max(rates), 3),
               "gflops_cpu": round(statistics.median(cpu_rates), 3), "gflops_cpu_best": round(max(cpu_rates), 3)}
        if as_json:
            print(json.dumps(row), flush=True)
        else:
            print(f"sgemm {n}^3 ({blas}): {row['gflops']:.1f} GFLOP/s (best {row['gflops_best']:.1f})", flush=True)
    del c


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--config", default="all")
    ap.add_argument("--cell", default="all")
    ap.add_argument("--peak", action="store_true")
    ap.add_argument("--threads", default="1")
    args = ap.parse_args()
    counts = [int(x) for x in args.threads.split(",") if x]
    if not counts or min(counts) < 1:
        ap.error(f"--threads takes counts of at least 1 separated by commas (1,2,4), not '{args.threads}'")
    set_threads(1)
    torch.manual_seed(7)
    # Debian's torch calls whatever libblas.so.3 points to; name the library actually mapped.
    torch.ones(2, 2) @ torch.ones(2, 2)
    blas = blas_name()
    if args.peak:
        sgemm_peak(blas, args.json)
    for name, vocab, B, T, E, H in CONFIGS:
        if args.config not in ("all", name):
            continue
        for cell in ("rnn", "lstm", "gru", "transformer"):
            if args.cell not in ("all", cell):
                continue
            model = Encoder(vocab, H) if cell == "transformer" else Model(cell, vocab, E, H)
            opt = torch.optim.Adam(model.parameters(), lr=1e-3)
            loss_fn = nn.BCEWithLogitsLoss()
            x = torch.randint(2, vocab, (B, T))
            y = torch.randint(0, 2, (B,)).float()
            if cell == "transformer":  # as cmd_bench.c's tf_forward_flops: D = H, ffn 2D, 2 layers
                flops = B * 2 * (T * 2 * (4 * H * H + 2 * H * 2 * H) + 4 * T * T * H) + 2.0 * B * H
            else:
                flops = B * T * 2.0 * GATES[cell] * H * (E + H) + 2.0 * B * H
            for mode in ("train", "inference"):
                rates = {n: [] for n in counts}
                cpu_rates = {n: [] for n in counts}
                for r in range(-1, args.repeats):
                    for n in counts:
                        set_threads(n)
                        t0, c0 = time.perf_counter(), time.process_time()
                        for _ in range(args.steps):
                            if mode == "train":
                                opt.zero_grad()
                                loss_fn(model(x), y).backward()
                                opt.step()
                            else:
                                with torch.no_grad():
                                    model(x)
                        if r >= 0:
                            rates[n].append(args.steps * B / (time.perf_counter() - t0))
                            cpu_rates[n].append(args.steps * B / (time.process_time() - c0))
                for k, n in enumerate(counts):
                    med = statistics.median(rates[n])
                    gf = med / B * flops * (3 if mode == "train" else 1) / 1e9
                    row = {"engine": "pytorch-" + torch.__version__.split("+")[0], "kernels": blas, "config": name, "cell": cell,
                           "mode": mode, "threads": n, "seq_per_s": round(med, 2), "seq_per_s_min": round(min(rates[n]), 2),
                           "seq_per_s_max": round(max(rates[n]), 2), "tokens_per_s": round(med * T), "gflops": round(gf, 3),
                           "cpu_seq_per_s": round(statistics.median(cpu_rates[n]), 2),
                           "cpu_gflops": round(gf * statistics.median(cpu_rates[n]) / med, 3),
                           "batch": B, "length": T, "embed": H if cell == "transformer" else E, "hidden": H,
                           "repeats": args.repeats}
                    if k:
                        row["speedup"] = round(statistics.median([a / b for a, b in zip(rates[n], rates[counts[0]])]), 3)
                        row["speedup_vs_threads"] = counts[0]
                    if args.json:
                        print(json.dumps(row), flush=True)
                    else:
                        print(f"{name:6s} {cell:5s} {mode:9s} {n:3d} {med:12.1f} {med * T:12.0f} {gf:10.2f} "
                              f"{min(rates[n]):8.1f}..{max(rates[n]):<8.1f} {row.get('speedup', '')}", flush=True)


if __name__ == "__main__":
    main()
