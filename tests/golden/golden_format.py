"""golden_format.py: what the golden-file generators share (gen_golden.py, gen_golden_seq2seq.py).

The file format (tests/golden/README.md): magic "RNLGOLD1", version 1, then named cases of named records
(float64 or int32, with a shape): a writer, a reader that checks every size, and a write that reads the file
back to verify it. Also the generators' common scaffolding: their command line, the float32 rounding of
hyperparameters, a case's seeded model and batch, the training loop (with clipping) and the choice of a clip
value that clips some steps and not others, the optimizer records, and the float32-vs-float64 comparison
of --check-f32.
"""
import argparse
import os
import struct

import torch

MAGIC = b"RNLGOLD1"
VERSION = 1
DT_F64, DT_I32 = 0, 1
OPT_SGD, OPT_MOMENTUM, OPT_ADAM = 0, 1, 2


def f32(x):
    """Rounds a hyperparameter to float32: the core keeps them as float, so both sides use the same value."""
    return struct.unpack("<f", struct.pack("<f", x))[0]


def flat(ts):
    return torch.cat([t.reshape(-1) for t in ts])


# --- Command line --------------------------------------------------------------------------------------

def parse_args(doc, default_name):
    """-o/--output (default: default_name beside the generators) and --check-f32; also pins torch to one
    thread, for bit-reproducible reductions."""
    ap = argparse.ArgumentParser(description=doc.split("\n")[0])
    ap.add_argument("-o", "--output",
                    default=os.path.join(os.path.dirname(os.path.abspath(__file__)), default_name))
    ap.add_argument("--check-f32", action="store_true", help="print float32-vs-float64 errors per record")
    args = ap.parse_args()
    torch.set_num_threads(1)  # bit-reproducible reductions
    return args


# --- Records -------------------------------------------------------------------------------------------

def rec_i32(name, values, shape):
    values = [int(v) for v in values]
    return (name, DT_I32, list(shape), struct.pack("<%di" % len(values), *values))


def rec_f64(name, values, shape):
    values = [float(v) for v in values]
    return (name, DT_F64, list(shape), struct.pack("<%dd" % len(values), *values))


def tensor_rec(name, t):
    t = t.detach()
    if t.dtype in (torch.int64, torch.int32):
        return rec_i32(name, t.reshape(-1).tolist(), t.shape)
    return rec_f64(name, t.reshape(-1).to(torch.float64).tolist(), t.shape)


def optim_records(out):
    """A training case's records: optimizer kind and steps, hyperparameters, and the training results."""
    o = out.get("optim")
    if o is None:
        return []
    recs = [rec_i32("optim", [o["kind"], o["steps"]], [2])]
    hp = [o["lr"], o["momentum"], o["beta1"], o["beta2"], o["eps"], o["weight_decay"], o["clip"]]
    recs.append(rec_f64("hparams", hp, [len(hp)]))
    for name in ("train_losses", "train_grad_norms", "params_after"):
        recs.append(tensor_rec(name, out[name]))
    return recs


# --- The file ------------------------------------------------------------------------------------------

def write_golden(path, cases):
    """cases: [(case name, [record])], written atomically. Returns the file's size."""
    buf = bytearray(MAGIC)
    buf += struct.pack("<II", VERSION, len(cases))
    for name, recs in cases:
        nb = name.encode()
        buf += struct.pack("<I", len(nb)) + nb + struct.pack("<I", len(recs))
        for rname, dtype, shape, data in recs:
            rb = rname.encode()
            buf += struct.pack("<I", len(rb)) + rb + struct.pack("<II", dtype, len(shape))
            buf += struct.pack("<%dI" % len(shape), *shape) + data
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(buf)
    os.replace(tmp, path)
    return len(buf)


def read_golden(path):
    """Parses a golden file back: [(case name, {record name: (dtype, shape, values)})]. Checks every size."""
    with open(path, "rb") as f:
        buf = f.read()
    pos = 0

    def take(n):
        nonlocal pos
        if pos + n > len(buf):
            raise ValueError(f"{path}: truncated at byte {pos}")
        pos += n
        return buf[pos - n:pos]

    def u32():
        return struct.unpack("<I", take(4))[0]

    if take(8) != MAGIC:
        raise ValueError(f"{path}: bad magic")
    version, n_cases = u32(), u32()
    if version != VERSION:
        raise ValueError(f"{path}: version {version}")
    cases = []
    for _ in range(n_cases):
        name = take(u32()).decode()
        recs = {}
        for _ in range(u32()):
            rname = take(u32()).decode()
            dtype, ndim = u32(), u32()
            shape = [u32() for _ in range(ndim)]
            count = 1
            for d in shape:
                count *= d
            fmt = "<%dd" % count if dtype == DT_F64 else "<%di" % count
            recs[rname] = (dtype, shape, struct.unpack(fmt, take(struct.calcsize(fmt))))
        cases.append((name, recs))
    if pos != len(buf):
        raise ValueError(f"{path}: {len(buf) - pos} bytes after the last case")
    return cases


def write_verified(path, cases):
    """write_golden, then reads the file back: the same cases with the same records, in order."""
    n = write_golden(path, cases)
    back = read_golden(path)
    assert [name for name, _ in back] == [name for name, _ in cases]
    for (_, recs), (_, want) in zip(back, cases):
        assert list(recs) == [r[0] for r in want]
    print(f"wrote {path}: {len(cases)} cases, {n} bytes (torch {torch.__version__})")


def generate(doc, default_name, cases, compute_case, case_records, describe, check_f32):
    """A generator's main: the command line (parse_args), then for each of cases() (called after it) the
    case's records, a line describe(c, out) and with --check-f32 check_f32(c, out); last the file, verified."""
    args = parse_args(doc, default_name)
    written = []
    for c in cases():
        out = compute_case(c)
        written.append((c["name"], case_records(c, out)))
        print(describe(c, out))
        if args.check_f32:
            check_f32(c, out)
    write_verified(args.output, written)


# --- Models and training -------------------------------------------------------------------------------

def build_seeded(c, make_model, init_params, make_data, params=None):
    """The case's model (float64) and batch from its seed: one generator draws the parameters, then the data.
    `params` (a flat vector), if given, then replaces the parameters."""
    gen = torch.Generator().manual_seed(c["seed"])
    model = make_model(c).to(torch.float64)
    init_params(model, gen)
    data = make_data(c, gen)
    if params is not None:
        with torch.no_grad():
            torch.nn.utils.vector_to_parameters(params, model.parameters())
    return model, data


def run_steps(opt, params, steps, loss_of, clip, before_step=None):
    """`steps` optimizer steps on the same batch: zero the gradients, loss_of() and its backward, the gradient
    norm (clipped if clip > 0), before_step() if given, the update. Returns the losses, the norms before
    clipping and whether each step clipped."""
    losses, norms, clipped = [], [], []
    for _ in range(steps):
        opt.zero_grad(set_to_none=False)
        loss = loss_of()
        loss.backward()
        if clip > 0:
            norm = float(torch.nn.utils.clip_grad_norm_(params, clip))
            clipped.append(clip / (norm + 1e-6) < 1)
        else:
            norm = float(torch.linalg.vector_norm(flat([p.grad for p in params])))
            clipped.append(False)
        if before_step is not None:
            before_step()
        opt.step()
        losses.append(float(loss))
        norms.append(norm)
    return losses, norms, clipped


def choose_clip(c, o, train_fresh):
    """A clip value under which some steps clip and some do not, every norm at least 0.1% away from it.
    train_fresh(c, o, clip): the case's model from its seed, trained -> (losses, norms, clipped)."""
    _, free_norms, _ = train_fresh(c, o, 0.0)
    lo, hi = min(free_norms), max(free_norms)
    for k in range(1, 40):
        clip = f32(lo + (hi - lo) * k / 40)
        _, norms, clipped = train_fresh(c, o, clip)
        if any(clipped) and not all(clipped) and all(abs(n - clip) > 1e-3 * clip for n in norms):
            return clip
    raise RuntimeError(f"{c['name']}: no clip value gives mixed clipping (norms {free_norms})")


def case_optim(c, train_fresh):
    """The case's optimizer settings (None: no training), with a clip of "mixed" replaced by choose_clip's."""
    o = c["optim"]
    if o is not None and o["clip"] == "mixed":
        o = dict(o, clip=choose_clip(c, dict(o, clip=0.0), train_fresh))
    return o


# --- float32 tolerance evidence ------------------------------------------------------------------------

def rerun_f32(compute_case, c, gold):
    """The case again in float32 from the float64 parameters rounded to float (as the float core has them),
    with the clip chosen in float64."""
    cc = dict(c)
    if gold.get("optim") is not None:
        cc["optim"] = gold["optim"]  # the clip chosen in float64
    return compute_case(cc, torch.float32, gold["params"].to(torch.float32).to(torch.float64))


def tolerance_units(lo, gold, name, rtol, atol):
    """max |f32 - f64| / (atol + rtol |f64|) of a record, as "name 0.123": below 1 passes the C test."""
    a, b = lo[name].to(torch.float64).reshape(-1), gold[name].to(torch.float64).reshape(-1)
    return f"{name} {float(((a - b).abs() / (atol + rtol * b.abs())).max()):.3f}"
