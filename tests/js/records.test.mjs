// records.test.mjs: the named boundary (web/wasm_records.c, web/lib/records.js). Every record the wrapper
// reads or writes is described by the module; each table is sane (fields inside the struct, none
// overlapping, names unique); and a record written by field name reads back the same, so a field the C
// side moves or adds is found by name, never by position.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { RnnLab } from '../../web/rnnlab.js';

const lab = await RnnLab.load();
const records = lab._heap.records;
const WIDTH = { i32: 4, u32: 4, f32: 4, f64: 8, u64: 8, bool: 4, enum: 4, str: 4, chars: 1 };

test('every record web/lib reads or writes is described by the module', () => {
  const lib = new URL('../../web/lib/', import.meta.url);
  const used = new Set();
  for (const f of readdirSync(lib)) {
    const src = readFileSync(new URL(f, lib), 'utf8');
    for (const m of src.matchAll(/\.(?:read|write)\('([a-z0-9_]+)'/g)) used.add(m[1]);
  }
  assert.ok(used.size > 15, [...used].join(', '));
  for (const name of used) assert.ok(records.size(name) > 0, `record '${name}' is not described by the module`);
});

test('each field table lies inside its struct, without overlaps or repeated names', () => {
  for (const name of Object.keys(records._tables)) {
    const size = records.size(name), spans = [];
    const keys = records.fields(name).map((f) => f.key);
    assert.equal(new Set(keys).size, keys.length, `${name}: a field name repeats`);
    for (const f of records.fields(name)) {
      const end = f.offset + WIDTH[f.type] * f.count;
      assert.ok(end <= size, `${name}.${f.field} ends at ${end}, past the struct's ${size} bytes`);
      assert.equal(f.offset % Math.min(WIDTH[f.type], 4), 0, `${name}.${f.field} is misaligned`);
      if (f.type === 'enum') assert.ok(Array.isArray(records.enums[f.names]), `${name}.${f.field}: no name list '${f.names}'`);
      spans.push([f.offset, end, f.field]);
    }
    spans.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < spans.length; i++)
      assert.ok(spans[i][0] >= spans[i - 1][1], `${name}: ${spans[i - 1][2]} and ${spans[i][2]} overlap`);
  }
});

test('a record written by field name reads back the same (config, optimizer)', () => {
  const heap = lab._heap, p = heap.slot(1);
  const config = { cell: 'gru', vocab: 12, embed: 5, inputSize: 3, hidden: 7, layers: 2, bidirectional: true, head: 'classes',
    outputs: 4, seq2seq: false, forgetBias: 0.25, dropout: 0.5, pool: 'max' };
  heap.write('config', p, config);
  assert.deepEqual(heap.read('config', p), config);
  lab._c.rnlw_optimizer_default(p, lab.names.optimizers.indexOf('momentum'));
  heap.write('optimizer', p, { lr: 0.01, weightDecay: 0.001 });
  const o = heap.read('optimizer', p);
  assert.deepEqual({ kind: o.kind, lr: o.lr, weightDecay: o.weightDecay, clip: o.clip }, { kind: 'momentum', lr: 0.01, weightDecay: 0.001, clip: 1 });
  assert.throws(() => heap.write('config', p, { hiden: 3 }), /record 'config' has no field 'hiden'/);
  assert.throws(() => heap.read('nothing', p), /describes no record 'nothing'/);
});
