#!/usr/bin/env python3
"""gen_golden_seq2seq.py: golden test vectors for the rnnlab seq2seq models, computed by PyTorch in float64.

Writes tests/golden/golden_seq2seq.bin in golden.bin's format (tests/golden/README.md, "Seq2seq golden
vectors"), which tests/c/test_seq2seq.c compares the core against. Only this script needs torch; CI reads
the committed output. Run it with a Python that has torch (Debian: apt install python3-torch;
/usr/bin/python3 tests/golden/gen_golden_seq2seq.py).

The reference is the architecture of docs/seq2seq.md written directly in torch: nn.Embedding + packed
nn.RNN/LSTM/GRU encoder, nn.Embedding + nn.RNNCell/LSTMCell/GRUCell decoder started from the encoder's final
state, teacher forcing, masked Luong-placed attention (dot or additive scoring), o_t = tanh(W_c [s_t; c_t]
+ b_c), nn.Linear output, cross-entropy over the real target tokens. Each case records the logits, the
attention weights, the loss and the gradients of one batch, and a greedy decoding of its sources; training
cases also run a few Adam steps on that batch.

--check-f32 also runs every case in float32 and prints how far it lands from float64 in units of the C
test's float tolerances (below 1 passes): the evidence for those tolerances.
"""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# The file format (magic "RNLGOLD1", version 1, named records) is golden.bin's: one writer and reader, and
# the scaffolding both generators share.
from golden_format import (OPT_ADAM, build_seeded, case_optim, f32, flat, generate,  # noqa: E402
                           optim_records, rec_i32, rerun_f32, run_steps, tensor_rec, tolerance_units)

CELL_RNN, CELL_LSTM, CELL_GRU = 0, 1, 2
ATTN_NONE, ATTN_DOT, ATTN_ADDITIVE = 0, 1, 2
PAD, BOS, EOS = 0, 1, 2
CELL_NAMES = {CELL_RNN: "rnn", CELL_LSTM: "lstm", CELL_GRU: "gru"}


# --- Cases ---------------------------------------------------------------------------------------------

def case(name, enc_cell, dec_cell, attention, src_len, tgt_len, S, U, src_vocab=9, tgt_vocab=8, embed=5,
         enc_hidden=4, enc_layers=1, bidirectional=0, attn_width=0, seed=0, optim=None):
    B = len(src_len)
    assert len(tgt_len) == B and all(1 <= n <= S for n in src_len) and all(1 <= n <= U for n in tgt_len)
    return dict(name=name, enc_cell=enc_cell, dec_cell=dec_cell, attention=attention, B=B, S=S, U=U,
                src_len=src_len, tgt_len=tgt_len, src_vocab=src_vocab, tgt_vocab=tgt_vocab, embed=embed,
                enc_hidden=enc_hidden, enc_layers=enc_layers, bidirectional=bidirectional, attn_width=attn_width,
                seed=seed, optim=optim)


def adam(lr, clip=0.0, steps=5):
    return dict(kind=OPT_ADAM, steps=steps, lr=f32(lr), momentum=0.0, beta1=f32(0.9), beta2=f32(0.999),
                eps=f32(1e-8), weight_decay=0.0, clip=clip)


def all_cases():
    # Source and target lengths sorted in different orders, so the encoder's and decoder's rows differ.
    sl, tl = [6, 3, 1, 5], [2, 5, 4, 1]
    return [
        case("gru_gru_dot", CELL_GRU, CELL_GRU, ATTN_DOT, sl, tl, 6, 5, enc_hidden=6, seed=5001),
        case("lstm_bi_lstm_additive", CELL_LSTM, CELL_LSTM, ATTN_ADDITIVE, sl, tl, 6, 5, bidirectional=1,
             attn_width=7, seed=5002),
        case("lstm_bi_lstm_dot", CELL_LSTM, CELL_LSTM, ATTN_DOT, sl, tl, 6, 5, bidirectional=1, seed=5003),
        case("gru_gru_none", CELL_GRU, CELL_GRU, ATTN_NONE, sl, tl, 6, 5, enc_hidden=6, seed=5004),
        case("lstm_bi_lstm_none", CELL_LSTM, CELL_LSTM, ATTN_NONE, sl, tl, 6, 5, bidirectional=1, seed=5005),
        case("rnn_bi2_gru_additive", CELL_RNN, CELL_GRU, ATTN_ADDITIVE, [2, 7, 4], [3, 1, 6], 7, 6,
             enc_layers=2, bidirectional=1, seed=5006),
        case("gru_lstm_dot", CELL_GRU, CELL_LSTM, ATTN_DOT, [4, 4, 2], [5, 2, 5], 4, 5, enc_hidden=5, seed=5007),
        case("lstm_rnn_additive", CELL_LSTM, CELL_RNN, ATTN_ADDITIVE, [5, 1, 3], [1, 4, 3], 5, 4, enc_hidden=5,
             seed=5008),
        case("train_lstm_bi_lstm_additive_adam_clip", CELL_LSTM, CELL_LSTM, ATTN_ADDITIVE, sl, tl, 6, 5,
             bidirectional=1, seed=6001, optim=adam(0.01, clip="mixed")),
        case("train_gru_gru_dot_adam", CELL_GRU, CELL_GRU, ATTN_DOT, sl, tl, 6, 5, enc_hidden=6, seed=6002,
             optim=adam(0.02)),
        case("train_gru_bi_gru_none_adam", CELL_GRU, CELL_GRU, ATTN_NONE, sl, tl, 6, 5, bidirectional=1,
             seed=6003, optim=adam(0.01)),
    ]


# --- The reference model -------------------------------------------------------------------------------

def rnn_module(cell, n_in, H, layers=1, bidirectional=False):
    kw = dict(num_layers=layers, bidirectional=bidirectional, batch_first=True)
    return {CELL_RNN: lambda: nn.RNN(n_in, H, nonlinearity="tanh", **kw), CELL_LSTM: lambda: nn.LSTM(n_in, H, **kw),
            CELL_GRU: lambda: nn.GRU(n_in, H, **kw)}[cell]()


def cell_module(cell, n_in, H):
    return {CELL_RNN: lambda: nn.RNNCell(n_in, H, nonlinearity="tanh"), CELL_LSTM: lambda: nn.LSTMCell(n_in, H),
            CELL_GRU: lambda: nn.GRUCell(n_in, H)}[cell]()


class Encoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embedding = nn.Embedding(c["src_vocab"], c["embed"])
        self.rnn = rnn_module(c["enc_cell"], c["embed"], c["enc_hidden"], c["enc_layers"], bool(c["bidirectional"]))


class Decoder(nn.Module):
    def __init__(self, c, Hd):
        super().__init__()
        self.embedding = nn.Embedding(c["tgt_vocab"], c["embed"])
        self.cell = cell_module(c["dec_cell"], c["embed"], Hd)


class Attention(nn.Module):
    def __init__(self, c, Hd, De, A):
        super().__init__()
        if c["attention"] == ATTN_ADDITIVE:  # registration order = state_dict order
            self.W_q = nn.Parameter(torch.empty(A, Hd))
            self.W_k = nn.Parameter(torch.empty(A, De))
            self.v = nn.Parameter(torch.empty(A))
        self.W_c = nn.Parameter(torch.empty(Hd, Hd + De))
        self.b_c = nn.Parameter(torch.empty(Hd))


class Seq2Seq(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        ndir = 2 if c["bidirectional"] else 1
        self.De = self.Hd = c["enc_hidden"] * ndir
        self.A = (c["attn_width"] or self.Hd) if c["attention"] == ATTN_ADDITIVE else 0
        self.encoder = Encoder(c)
        self.decoder = Decoder(c, self.Hd)
        if c["attention"] != ATTN_NONE:
            self.attention = Attention(c, self.Hd, self.De, self.A)
        self.out = nn.Linear(self.Hd, c["tgt_vocab"])

    def encode(self, src, src_len):
        """Memory (B, S, De), zeros past each source, and the decoder's initial (h, c)."""
        c = self.c
        emb = self.encoder.embedding(src)
        packed = pack_padded_sequence(emb, src_len, batch_first=True, enforce_sorted=False)
        out, hn = self.encoder.rnn(packed)
        mem, _ = pad_packed_sequence(out, batch_first=True, total_length=src.shape[1])
        h_n, c_n = hn if c["enc_cell"] == CELL_LSTM else (hn, None)
        top = (lambda t: torch.cat([t[-2], t[-1]], 1)) if c["bidirectional"] else (lambda t: t[-1])
        h0 = top(h_n)
        if c["enc_cell"] == CELL_LSTM and c["dec_cell"] == CELL_LSTM:
            c0 = top(c_n)
        else:
            c0 = torch.zeros_like(h0)
        mask = torch.arange(src.shape[1])[None, :] < src_len[:, None]  # (B, S) real source positions
        return mem, h0, c0, mask

    def step(self, y_prev, state, mem, mask):
        """One decoder step: logits (B, Vt), attention (B, S) or None, new state."""
        c = self.c
        x = self.decoder.embedding(y_prev)
        if c["dec_cell"] == CELL_LSTM:
            s, cs = self.decoder.cell(x, state)
            state = (s, cs)
        else:
            s = self.decoder.cell(x, state[0])
            state = (s, state[1])
        if c["attention"] == ATTN_NONE:
            return self.out(s), None, state
        a = self.attention
        if c["attention"] == ATTN_DOT:
            score = torch.einsum("bd,bsd->bs", s, mem)
        else:
            u = torch.tanh((s @ a.W_q.T)[:, None, :] + mem @ a.W_k.T)  # (B, S, A)
            score = u @ a.v
        alpha = torch.softmax(score.masked_fill(~mask, float("-inf")), dim=1)
        ctx = torch.einsum("bs,bsd->bd", alpha, mem)
        o = torch.tanh(torch.cat([s, ctx], 1) @ a.W_c.T + a.b_c)
        return self.out(o), alpha, state

    def forward(self, src, src_len, tgt):
        """Teacher forcing: logits (B, U, Vt) and attention (B, U, S) at every step (padding included)."""
        mem, h0, c0, mask = self.encode(src, src_len)
        state = (h0, c0)
        B, U = tgt.shape
        y_prev = torch.full((B,), BOS, dtype=torch.int64)
        logits, alphas = [], []
        for t in range(U):
            z, alpha, state = self.step(y_prev, state, mem, mask)
            logits.append(z)
            alphas.append(alpha if alpha is not None else torch.zeros(mask.shape, dtype=z.dtype))
            y_prev = tgt[:, t]
        return torch.stack(logits, 1), torch.stack(alphas, 1)

    @torch.no_grad()
    def greedy(self, src, src_len, max_len):
        """Greedy decoding: tokens (B, max_len) (<pad> after <eos>), lengths, attention, smallest top-2 gap."""
        mem, h0, c0, mask = self.encode(src, src_len)
        state = (h0, c0)
        B = src.shape[0]
        y_prev = torch.full((B,), BOS, dtype=torch.int64)
        toks = torch.zeros((B, max_len), dtype=torch.int64)
        attn = torch.zeros((B, max_len, src.shape[1]), dtype=mem.dtype)
        lens = torch.zeros(B, dtype=torch.int64)
        done = torch.zeros(B, dtype=torch.bool)
        gap = float("inf")
        for t in range(max_len):
            z, alpha, state = self.step(y_prev, state, mem, mask)
            y = z.argmax(1)
            top2 = z.topk(2, dim=1).values
            for b in range(B):
                if done[b]:
                    continue
                gap = min(gap, float(top2[b, 0] - top2[b, 1]))
                toks[b, t] = y[b]
                if alpha is not None:
                    attn[b, t] = alpha[b]
                lens[b] = t + 1
                if int(y[b]) == EOS:
                    done[b] = True
            y_prev = y
            if bool(done.all()):
                break
        return toks, lens, attn, gap


def init_params(model, gen):
    """Random parameters, larger than torch's defaults so gradients are well away from zero."""
    def U(shape, a):
        return (torch.rand(shape, generator=gen, dtype=torch.float64) * 2 - 1) * a

    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("embedding.weight"):
                v = torch.randn(p.shape, generator=gen, dtype=torch.float64)
            elif ".weight_" in name:  # recurrent weights (encoder rnn and decoder cell)
                v = U(p.shape, 1.6 / p.shape[1] ** 0.5)
            elif ".bias_" in name or name in ("attention.b_c", "out.bias"):
                v = U(p.shape, 0.5)
            elif name in ("attention.W_q", "attention.W_k", "attention.W_c"):
                v = U(p.shape, 1.5 / p.shape[1] ** 0.5)
            elif name in ("attention.v", "out.weight"):
                v = U(p.shape, 1.0)
            else:
                raise RuntimeError("unexpected parameter " + name)
            p.copy_(v)


def make_data(c, gen):
    """Random tokens; padding holds random valid ids too (the core must never read them)."""
    B, S, U = c["B"], c["S"], c["U"]
    src = torch.randint(0, c["src_vocab"], (B, S), generator=gen, dtype=torch.int64)
    tgt = torch.randint(3, c["tgt_vocab"], (B, U), generator=gen, dtype=torch.int64)
    tgt_len = torch.tensor(c["tgt_len"], dtype=torch.int64)
    for b in range(B):
        tgt[b, tgt_len[b] - 1] = EOS  # a target ends with <eos>
    return dict(src=src, src_len=torch.tensor(c["src_len"], dtype=torch.int64), tgt=tgt, tgt_len=tgt_len)


def build(c, dtype=torch.float64, params=None):
    model, data = build_seeded(c, Seq2Seq, init_params, make_data, params)
    return model.to(dtype), data


def run_model(model, data):
    """Loss (mean cross-entropy over real target tokens), logits and attention with zeros at padding."""
    logits, alpha = model(data["src"], data["src_len"], data["tgt"])
    U = data["tgt"].shape[1]
    tmask = torch.arange(U)[None, :] < data["tgt_len"][:, None]  # (B, U)
    loss = F.cross_entropy(logits[tmask], data["tgt"][tmask])
    logits = logits * tmask[:, :, None]
    alpha = alpha * tmask[:, :, None]
    return loss, logits, alpha


def train(model, data, o, clip):
    params = list(model.parameters())
    opt = torch.optim.Adam(params, lr=o["lr"], betas=(o["beta1"], o["beta2"]), eps=o["eps"])
    return run_steps(opt, params, o["steps"], lambda: run_model(model, data)[0], clip)


def train_fresh(c, o, clip):
    """train() from the case's parameters (for choose_clip)."""
    model, data = build(c)
    return train(model, data, o, clip)


# --- Records -------------------------------------------------------------------------------------------

def compute_case(c, dtype=torch.float64, params=None):
    o = case_optim(c, train_fresh)
    model, data = build(c, dtype, params)
    p0 = flat([p.detach() for p in model.parameters()]).clone()
    loss, logits, alpha = run_model(model, data)
    loss.backward()
    out = dict(data, params=p0, loss=loss.detach().reshape(1), logits=logits.detach(), attention=alpha.detach(),
               grads=flat([p.grad for p in model.parameters()]))
    max_len = c["U"] + 2
    toks, lens, attn, gap = model.greedy(data["src"], data["src_len"], max_len)
    out.update(decode_max_len=max_len, decode_tokens=toks, decode_len=lens, decode_attention=attn, decode_gap=gap)
    if o is not None:
        model, data = build(c, dtype, params)
        losses, norms, clipped = train(model, data, o, o["clip"])
        out.update(optim=o, train_losses=torch.tensor(losses, dtype=torch.float64),
                   train_grad_norms=torch.tensor(norms, dtype=torch.float64), train_clipped=clipped,
                   params_after=flat([p.detach() for p in model.parameters()]))
    return out


def pick_seed(c):
    """The first of the case's seeds (seed, seed + 1000, ...) whose greedy decoding a float32 core must
    reproduce (no near-tie: every top-2 logit gap on the decoded path >= 0.01), where at least one sample
    stops at <eos> before the length limit and one runs at least 3 steps: both ends of decoding exercised."""
    for k in range(100):
        cc = dict(c, seed=c["seed"] + 1000 * k)
        out = compute_case(dict(cc, optim=None))
        lens = out["decode_len"]
        if out["decode_gap"] >= 1e-2 and int(lens.min()) < out["decode_max_len"] and int(lens.max()) >= 3:
            return cc
    raise RuntimeError(f"{c['name']}: no seed gives a clear greedy decoding")


def case_records(c, out):
    cfg = [c["src_vocab"], c["tgt_vocab"], c["embed"], c["enc_cell"], c["enc_hidden"], c["enc_layers"],
           c["bidirectional"], c["dec_cell"], c["attention"], c["attn_width"]]
    recs = [rec_i32("config", cfg, [len(cfg)]), rec_i32("shape", [c["B"], c["S"], c["U"]], [3])]
    for name in ("src", "src_len", "tgt", "tgt_len", "params", "logits"):
        recs.append(tensor_rec(name, out[name]))
    if c["attention"] != ATTN_NONE:
        recs.append(tensor_rec("attention", out["attention"]))
    for name in ("loss", "grads"):
        recs.append(tensor_rec(name, out[name]))
    recs.append(rec_i32("decode_max_len", [out["decode_max_len"]], [1]))
    recs.append(tensor_rec("decode_tokens", out["decode_tokens"]))
    recs.append(tensor_rec("decode_len", out["decode_len"]))
    if c["attention"] != ATTN_NONE:
        recs.append(tensor_rec("decode_attention", out["decode_attention"]))
    return recs + optim_records(out)


# The C test's float tolerances (tests/c/test_seq2seq.c), per record: (rtol, atol).
F32_TOL = {"loss": (1e-4, 1e-5), "logits": (1e-4, 1e-5), "attention": (1e-4, 1e-5), "grads": (1e-4, 1e-5),
           "decode_attention": (1e-4, 1e-5), "train_losses": (1e-4, 1e-5), "train_grad_norms": (1e-4, 1e-5),
           "params_after": (1e-4, 1e-4)}


def check_f32(c, gold):
    lo = rerun_f32(compute_case, c, gold)
    parts = []
    for name, (rtol, atol) in F32_TOL.items():
        if name not in gold or (name.endswith("attention") and c["attention"] == ATTN_NONE):
            continue
        parts.append(tolerance_units(lo, gold, name, rtol, atol))
    same = bool(torch.equal(lo["decode_tokens"], gold["decode_tokens"]))
    print(f"  f32/f64 error in tolerance units: {', '.join(parts)}; greedy tokens {'equal' if same else 'DIFFER'}")


def describe(c, out):
    desc = (f"{c['name']} (seed {c['seed']}): {out['params'].numel()} params, loss {float(out['loss']):.6f}, "
            f"|grad| {float(out['grads'].norm()):.4f}, greedy lengths {out['decode_len'].tolist()} "
            f"(top-2 gap >= {out['decode_gap']:.3g})")
    if "optim" in out:
        desc += f"; clip {out['optim']['clip']:.6g}, losses " + " ".join(f"{v:.4f}" for v in out["train_losses"].tolist())
        desc += ", clipped " + "".join("1" if k else "0" for k in out["train_clipped"])
    return desc


def main():
    # Each case's seed is picked (pick_seed) just before the case is computed.
    generate(__doc__, "golden_seq2seq.bin", lambda: (pick_seed(c) for c in all_cases()), compute_case, case_records,
             describe, check_f32)


if __name__ == "__main__":
    sys.exit(main())
