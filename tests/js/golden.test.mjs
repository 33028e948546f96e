// golden.test.mjs: the WebAssembly build against the PyTorch golden vectors (tests/golden/golden.bin,
// format in tests/golden/README.md), through the public wrapper only: the same cases and tolerances as
// tests/c/test_golden.c, so native and WASM answer to one reference. Per case: loss, predictions and
// gradients of one batch (Model.gradients); for training cases, N steps of Model.trainStep on that batch:
// losses, gradient norms, clipping decisions and the parameters after them.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { RnnLab } from '../../web/rnnlab.js';

// float32 against float64, as test_golden.c: |got - want| <= ATOL + RTOL * |want| for every value.
// (gen_golden.py --check-f32: torch's own float32 run stays within ~1% of these.)
const RTOL = 1e-4, ATOL = 1e-5;
// Parameters after Adam steps: the update lr * m / (sqrt(v) + eps) is scale-free, so an element whose
// gradient is at float rounding level can move by up to lr per step; atol 1e-4 is 1% of lr.
const RTOL_ADAM = 1e-4, ATOL_ADAM = 1e-4;

// --- Reading golden.bin -------------------------------------------------------------------------------

function readGolden(bytes) {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  const need = (k) => {
    if (bytes.byteLength - pos < k) throw new Error(`golden.bin truncated at byte ${pos}`);
  };
  const u32 = () => (need(4), (pos += 4), dv.getUint32(pos - 4, true));
  const name = () => {
    const len = u32();
    if (len >= 64) throw new Error(`golden.bin: name of ${len} bytes at byte ${pos}`);
    need(len);
    pos += len;
    return new TextDecoder().decode(bytes.subarray(pos - len, pos));
  };
  need(8);
  const magic = new TextDecoder().decode(bytes.subarray(0, 8));
  pos = 8;
  assert.equal(magic, 'RNLGOLD1', 'golden.bin: bad magic');
  assert.equal(u32(), 1, 'golden.bin: this test reads version 1');
  const nCases = u32();
  const cases = [];
  for (let c = 0; c < nCases; c++) {
    const cname = name(), records = new Map();
    const nRec = u32();
    for (let r = 0; r < nRec; r++) {
      const rname = name(), dtype = u32(), ndim = u32();
      if (dtype > 1 || ndim > 4) throw new Error(`golden.bin: ${cname}/${rname}: dtype ${dtype}, ndim ${ndim}`);
      const dims = Array.from({ length: ndim }, u32);
      const count = dims.reduce((a, b) => a * b, 1), size = dtype === 0 ? 8 : 4;
      need(count * size);
      const data = dtype === 0 ? new Float64Array(count) : new Int32Array(count);
      for (let i = 0; i < count; i++) data[i] = dtype === 0 ? dv.getFloat64(pos + 8 * i, true) : dv.getInt32(pos + 4 * i, true);
      pos += count * size;
      records.set(rname, { dtype, dims, data });
    }
    cases.push({ name: cname, records });
  }
  assert.equal(pos, bytes.byteLength, 'golden.bin: bytes after the last case');
  return cases;
}

// --- Comparing ----------------------------------------------------------------------------------------

// Fails with the tolerance, the count and the first mismatching values, like tu_close.
function assertClose(what, got, want, rtol, atol) {
  assert.equal(got.length, want.length, `${what}: ${got.length} values, want ${want.length}`);
  let bad = 0, first = -1, worst = 0;
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]);
    if (!(err <= atol + rtol * Math.abs(want[i]))) {
      if (first < 0) first = i;
      bad++;
    }
    if (err > worst) worst = err;
  }
  if (bad)
    assert.fail(`${what}: ${bad} of ${want.length} values differ (rtol ${rtol}, atol ${atol}, worst abs err ${worst}); ` +
      `first at [${first}]: got ${got[first]} expected ${want[first]}`);
}

// Per tensor, so a failure names it.
function assertCloseFlat(what, m, got, want, rtol, atol) {
  assert.equal(got.length, want.length, `${what}: ${got.length} values, want ${want.length}`);
  for (const t of m.tensors()) {
    const n = t.rows * t.cols;
    assertClose(`${what} ${t.name} (${t.shape.join(' x ')})`, got.subarray(t.offset, t.offset + n),
      want.subarray(t.offset, t.offset + n), rtol, atol);
  }
}

// --- The cases ----------------------------------------------------------------------------------------

const cases = readGolden(readFileSync(new URL('../golden/golden.bin', import.meta.url)));
const lab = await RnnLab.load();

test(`golden.bin holds cases (${cases.length})`, () => {
  assert.ok(cases.length >= 10);
});

for (const c of cases) {
  test(`golden: ${c.name}`, () => {
    const rec = (n) => {
      const r = c.records.get(n);
      assert.ok(r, `${c.name}: record ${n} missing`);
      return r.data;
    };
    const cfg = rec('config'), [B, T] = rec('shape');
    // A dropout case: the rate and the optimizer step whose masks torch was given.
    const [dropout, dropoutStep] = c.records.has('dropout') ? rec('dropout') : [0, 0];
    // A pooled case: what the head reads (absent: the last state).
    const pool = lab.names.pools[c.records.has('pool') ? rec('pool')[0] : 0];
    const m = lab.createModel({
      cell: lab.names.cells[cfg[0]], vocab: cfg[1], embed: cfg[2], inputSize: cfg[3], hidden: cfg[4], layers: cfg[5],
      bidirectional: cfg[6] === 1, head: lab.names.heads[cfg[7]], outputs: cfg[8], seq2seq: cfg[9] === 1, seed: 1, dropout, pool,
    });
    try {
      // The tensor table is torch's state_dict: the parameter block's layout.
      const want = rec('params');
      assert.equal(m.numParams, want.length, `${c.name}: parameter count`);
      m.setParameters(Float32Array.from(want));
      const p0 = m.parameters();

      // Lengths all == T are left out (the API's "every sequence is T long"), as the C test passes NULL.
      const lengths = rec('lengths');
      const batch = { B, T, targets: Float32Array.from(rec('targets')) };
      if (!lengths.every((l) => l === T)) batch.lengths = Int32Array.from(lengths);
      if (cfg[1] > 0) batch.tokens = Int32Array.from(rec('tokens'));
      else batch.inputs = Float32Array.from(rec('inputs'));

      const g = m.gradients(batch, { dropoutStep });
      assertClose(`${c.name} loss`, [g.loss], rec('loss'), RTOL, ATOL);
      assertClose(`${c.name} predictions`, g.predictions, rec('predictions'), RTOL, ATOL);
      assertCloseFlat(`${c.name} grads`, m, g.gradients, rec('grads'), RTOL, ATOL);
      // predict() gives the same predictions without targets (and, never dropping, those of the weights alone).
      const { targets, ...inputsOnly } = batch;
      if (!dropoutStep) assert.deepEqual(m.predict(inputsOnly), g.predictions);
      else assert.deepEqual(m.predict(inputsOnly), m.gradients(batch).predictions);

      if (!c.records.has('optim')) return;
      const [kind, steps] = rec('optim'), h = rec('hparams');
      const clip = h[6];
      m.setParameters(p0);
      m.setOptimizer({ kind: lab.names.optimizers[kind], lr: h[0], momentum: h[1], beta1: h[2], beta2: h[3], eps: h[4],
        weightDecay: h[5], clip, reset: true });
      const losses = [], norms = [], wantNorms = rec('train_grad_norms');
      for (let s = 0; s < steps; s++) {
        const st = m.trainStep(batch);
        losses.push(st.loss);
        norms.push(st.gradNorm);
        // The generator keeps every norm at least 0.1% away from the clip value, so this is exact.
        const wantClip = clip > 0 && clip / (wantNorms[s] + 1e-6) < 1;
        assert.equal(st.clipped, wantClip, `${c.name}: step ${s} clipped = ${st.clipped}, torch ${wantClip} (norm ${wantNorms[s]}, clip ${clip})`);
      }
      const kindName = lab.names.optimizers[kind], adam = kindName === 'adam';
      assertClose(`${c.name} train_losses (${kindName})`, losses, rec('train_losses'), RTOL, ATOL);
      assertClose(`${c.name} train_grad_norms (${kindName})`, norms, wantNorms, RTOL, ATOL);
      assertCloseFlat(`${c.name} params_after (${kindName}, ${steps} steps)`, m, m.parameters(), rec('params_after'),
        adam ? RTOL_ADAM : RTOL, adam ? ATOL_ADAM : ATOL);
    } finally {
      m.free();
    }
  });
}
