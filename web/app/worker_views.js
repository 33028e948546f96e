// worker_views.js: the lab Worker's read-only views of a trained model (worker.js owns the models, the data
// and training, and dispatches these ops): a Transformer's attention, the step-through and state path of a
// typed review, the word map and neighbours, every run's reading of one review, and a loaded model's
// history. Each asks the wrapper (which asks the core) and shapes the answer for the page; nothing here
// computes a number. `ctx` gives the Worker's state: { getModel(id), data(), lab() }.

const isTransformer = (model) => model.kind === 'transformer';

export function viewOps(ctx) {
  // --- A Transformer's attention: one head of one layer over one sequence (rows: queries, columns: keys) ------

  // source: { kind: 'text', text } (the review typed in "Try it") or { kind: 'task', length, seed } (a sample
  // sequence of the task, as the gate view's). The words or steps label both axes.
  function attention({ modelId, source, layer, head }) {
    const data = ctx.data();
    const { model } = ctx.getModel(modelId);
    if (!isTransformer(model)) throw new Error('only a Transformer has self-attention');
    if (source.kind === 'text') {
      const r = model.attentionText(source.text, { layer, head });
      if (!r.attention) throw new Error('the review has no words to read');
      const labels = r.tokens.map((t, i) => (r.ids[i] === 1 && r.words[i] ? r.words[i] : t));
      return { ...r.attention, data: r.attention.data, labels, marks: null, probability: r.probability, kindLabel: 'word', transfer: [r.attention.data.buffer] };
    }
    if (source.kind !== 'task' || data.kind !== 'task') throw new Error('no synthetic task is loaded');
    const batch = ctx.lab().generateTask(data.task, 1, source.length, source.seed);
    const prediction = model.predict(batch);
    const a = model.attention({ layer, head, sample: 0 });
    // Step labels as the gate view's: adding (value, ★ on the two marked steps), copy (the symbol).
    const T = source.length;
    let labels, marks = null;
    if (batch.inputs) {
      labels = [];
      marks = [];
      for (let t = 0; t < T; t++) {
        labels.push(batch.inputs[2 * t].toFixed(2));
        marks.push(batch.inputs[2 * t + 1] > 0.5);
      }
    } else {
      labels = Array.from(batch.tokens, (v) => String(v - 2));  // the symbol, 0..7 (ids 0 and 1 are padding and <unk>)
    }
    return { ...a, labels, marks, target: Array.from(batch.targets), prediction: Array.from(prediction), kindLabel: 'step',
      transfer: [a.data.buffer] };
  }

  // The step-through and the state's path (stepcell.js, statepath.js): the typed review walked through one
  // model in the core (Model.inspectText: every intermediate of the chosen units, the backward split by path,
  // the 2-D projection of h_t). The gradient is that of the loss if the label were the opposite of the
  // prediction, as the gate heatmap's trace. With cloud, and when the model reads the loaded data set, the
  // projection is fitted on the states of its first CLOUD_REVIEWS test reviews, whose final states come back
  // as the cloud; otherwise on the review's own states. The cloud is the costly part (a forward pass over every
  // one of those reviews, about 20 to 60 times the review alone: 0.8 s for an RNN 64, 2 s for a GRU 64 in Node
  // on a loaded 2-core machine at 200 reviews), and it holds up the Worker's other requests meanwhile: 100.
  const CLOUD_REVIEWS = 100;

  function walkText({ modelId, text, units, layer = 0, cloud = false }) {
    const data = ctx.data();
    const { model, dataKey, kind } = ctx.getModel(modelId);
    if (kind !== 'text') throw new Error('the step-through reads reviews: train or load a text model');
    if (isTransformer(model)) throw new Error('a Transformer reads every word at once: no step carries a state to step through (see its attention)');
    if (model.config.bidirectional) throw new Error('a bidirectional model reads the review both ways at once: no step has its own state to step through');
    const label = model.predictText(text).probability >= 0.5 ? 0 : 1;
    const dataset = cloud && data.kind === 'text' && dataKey === data.key && data.ds.counts.test >= 2 ? data.ds : null;
    const reviews = dataset ? Math.min(CLOUD_REVIEWS, data.ds.counts.test) : CLOUD_REVIEWS;
    const keep = (units ?? []).filter((u) => Number.isInteger(u) && u >= 0 && u < model.config.hidden);
    const r = model.inspectText(text, { units: keep.length ? keep : undefined, layer, label, dataset, reviews });
    return { ...r, modelId, hidden: model.config.hidden, layers: model.config.layers };
  }

  // --- The word map, every run's reading of a review, a loaded model's history (issue 18, views 3, 4, 6) -----

  // The word map of a text model (Model.wordMap): both maps and each word's own effect; with the model's own
  // data set loaded, each map measured against the words' polarity in its training reviews and the better
  // one chosen by that (the core's dataSeparation and best); without it, dataSeparation is null.
  function wordMap({ modelId, n }) {
    const data = ctx.data();
    const entry = ctx.getModel(modelId);
    if (isTransformer(entry.model)) throw new Error('the word map is drawn for the recurrent models (RNN, LSTM, GRU)');
    const own = data.kind === 'text' && data.ds && entry.dataKey === data.key ? data.ds : null;
    const m = entry.model.wordMap(n, { dataset: own });
    return { words: m.words, ids: Array.from(m.ids), pca: Array.from(m.pca), readout: Array.from(m.readout), effect: Array.from(m.effect),
      positive: Array.from(m.positive), separation: m.separation, dataSeparation: m.dataSeparation, best: m.best };
  }

  function neighbours({ modelId, word, k }) {
    const { model } = ctx.getModel(modelId);
    if (isTransformer(model)) throw new Error('the word map is drawn for the recurrent models (RNN, LSTM, GRU)');
    return model.neighbours(word, k);
  }

  // One typed review read by several models (the runs of the page, each in the Worker): for each, its verdict
  // and P(positive) after every word; the page draws the change at each word. A model that cannot read it
  // (no vocabulary, freed) gets its message instead, and the others still answer.
  function readByAll({ modelIds, text }) {
    return modelIds.map((modelId) => {
      try {
        const p = ctx.getModel(modelId).model.predictText(text);
        const steps = p.stepProbabilities ? Array.from(p.stepProbabilities) : null;
        // Each word's contribution: the change it made to the core's P(positive), from 0.5 before the first
        // word (as Try it shows it); null for a bidirectional model, which has no per-word step.
        const changes = steps ? steps.map((q, i) => q - (i === 0 ? 0.5 : steps[i - 1])) : null;
        return { modelId, probability: p.probability, tokens: Array.from(p.tokens ?? []), words: p.words, ids: Array.from(p.ids ?? []),
          stepProbabilities: steps, changes };
      } catch (e) {
        return { modelId, error: e.message };
      }
    });
  }

  // The training history a model carries (kept in its checkpoint, flag bit 2): one point per step, as columns.
  function history({ modelId }) {
    const { model } = ctx.getModel(modelId);
    const h = model.history();
    const col = (k) => h.map((p) => p[k]);
    return { step: col('step'), loss: col('loss'), accuracy: col('accuracy'), gradNorm: col('gradNorm'), valLoss: col('valLoss'),
      valAccuracy: col('valAccuracy') };
  }

  return { attention, walkText, wordMap, neighbours, readByAll, history };
}
