// records.js: the records that cross between the module and JavaScript, by field name. Each record is
// described once, in C (web/wasm_records.c: a field table of name, type and offsetof per field, next to
// the adapter), and the module hands the tables over as JSON (rnlw_records) when it loads:
//
//     { "config": { "size": 44, "fields": [["cell", "enum", 0, 1, "cell"], ["vocab", "i32", 4, 1], ...] }, ... }
//
// read(name, ptr) gives an object whose keys are the C field names in camelCase (input_size: inputSize);
// write(name, ptr, obj) stores the fields obj has (same keys) and leaves the others as they were, so a
// config is made by letting C fill in its defaults, then writing what the caller gave. No slot numbers:
// a field moved or added in C changes its table, and nothing here.
//
// Types: i32, u32 (also size_t and pointers on wasm32), f32 (settings: read back as the shortest decimal
// that rounds to the same float32, so 0.01 reads 0.01), f64, u64 (read as a Number), bool (an int: 0/1),
// enum (an int read as its name, from the name list the field gives), str (a char pointer, read as a
// string or null) and chars (an inline NUL-terminated char array). count > 1: an array of that many.
import { shortF32 } from './errors.js';

const camel = (s) => s.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
const WIDTH = { i32: 4, u32: 4, f32: 4, f64: 8, u64: 8, bool: 4, enum: 4, str: 4, chars: 1 };

export class Records {
  /**
   * `schema`: the module's JSON; `heap`: the Heap (views and strings); `enums`: the name lists enum
   * fields refer to ({ cell: ['rnn', ...], ... }), which may be filled in after construction.
   */
  constructor(schema, heap, enums = {}) {
    this._heap = heap;
    this.enums = enums;
    this._tables = {};
    for (const [name, { size, fields }] of Object.entries(JSON.parse(schema))) {
      this._tables[name] = { size, fields: fields.map(([field, type, offset, count = 1, names = null]) => {
        if (!(type in WIDTH)) throw new Error(`rnnlab: record ${name}.${field} has a type this wrapper does not know (${type})`);
        return { field, key: camel(field), type, offset, count, names };
      }) };
    }
    /** The largest record, in bytes: what one scratch slot must hold. */
    this.maxSize = Math.max(0, ...Object.values(this._tables).map((t) => t.size));
  }

  _table(name) {
    const t = this._tables[name];
    if (!t) throw new Error(`rnnlab: the module describes no record '${name}' (rebuild web/rnnlab.wasm)`);
    return t;
  }

  /** The record's fields: [{ field, key, type, offset, count, names }]. */
  fields(name) {
    return this._table(name).fields;
  }

  size(name) {
    return this._table(name).size;
  }

  /** The record `name` at ptr, as an object of its fields (camelCase keys). */
  read(name, ptr) {
    const dv = this._heap.views().dv, obj = {};
    for (const f of this._table(name).fields) {
      if (f.type === 'chars') {
        obj[f.key] = this._chars(ptr + f.offset, f.count);
        continue;
      }
      const vals = [];
      for (let i = 0; i < f.count; i++) vals.push(this._get(dv, ptr + f.offset + i * WIDTH[f.type], f));
      obj[f.key] = f.count === 1 ? vals[0] : vals;
    }
    return obj;
  }

  /** Stores the fields of obj that the record has (an unknown key throws: a misspelt field). */
  write(name, ptr, obj) {
    const t = this._table(name), dv = this._heap.views().dv;
    for (const [key, v] of Object.entries(obj)) {
      const f = t.fields.find((x) => x.key === key);
      if (!f) throw new Error(`rnnlab: record '${name}' has no field '${key}'`);
      if (f.type === 'str' || f.type === 'chars') throw new Error(`rnnlab: record ${name}.${key} is read-only here`);
      const vals = f.count === 1 ? [v] : v;
      for (let i = 0; i < f.count; i++) this._set(dv, ptr + f.offset + i * WIDTH[f.type], f, vals[i]);
    }
    return ptr;
  }

  _get(dv, at, f) {
    switch (f.type) {
      case 'i32': return dv.getInt32(at, true);
      case 'u32': return dv.getUint32(at, true);
      case 'f32': return shortF32(dv.getFloat32(at, true));
      case 'f64': return dv.getFloat64(at, true);
      case 'u64': return dv.getUint32(at, true) + dv.getUint32(at + 4, true) * 2 ** 32;
      case 'bool': return dv.getInt32(at, true) !== 0;
      case 'enum': {
        const i = dv.getInt32(at, true);
        return this.enums[f.names]?.[i] ?? String(i);
      }
      case 'str': return this._heap.str(dv.getUint32(at, true));
    }
    return undefined;
  }

  _set(dv, at, f, v) {
    switch (f.type) {
      case 'i32': return dv.setInt32(at, v, true);
      case 'u32': return dv.setUint32(at, v, true);
      case 'f32': return dv.setFloat32(at, v, true);
      case 'f64': return dv.setFloat64(at, v, true);
      case 'u64': return dv.setBigUint64(at, BigInt(v), true);
      case 'bool': return dv.setInt32(at, v ? 1 : 0, true);
      case 'enum': {
        const i = typeof v === 'number' ? v : (this.enums[f.names] ?? []).indexOf(v);
        if (i < 0) throw new Error(`rnnlab: ${JSON.stringify(v)} is not a ${f.names} name`);
        return dv.setInt32(at, i, true);
      }
    }
    return undefined;
  }

  _chars(at, n) {
    const u8 = this._heap.views().u8;
    let end = at;
    while (end < at + n && u8[end] !== 0) end++;
    return new TextDecoder().decode(u8.slice(at, end));  // a copy: TextDecoder refuses views of shared memory
  }
}
