#!/usr/bin/python3
"""
rnnlm <-> PyTorch round trips (a dev tool; PyTorch is never a runtime dependency of rnnlm).

  score     --model DIR --input FILE [--json]
            Loads an rnnlm language-model checkpoint (word tokenizer) into PyTorch's
            word_language_model RNNModel (reproduced below) and scores each line as `rnnlm score`
            does: primed with <eos>, every word and the final <eos> predicted; per-token
            log-probabilities (nats) with --json.
  translate --model DIR --pairs FILE.json
            Loads an rnnlm translation checkpoint into an equivalent PyTorch module (packed
            bidirectional encoder, bridge, decoder, Luong attention) and prints, as JSON, the
            per-token log-probabilities of each target given its source (ids in, ids out:
            [{"src": [...], "tgt": [...], "eos": id}], sources ending in the source <eos>; the decoder reads
            <eos> then tgt and predicts tgt then <eos>).
  train     --train FILE --out DIR [--cell lstm] [--steps N] [--tied]
            Trains word_language_model's RNNModel on FILE for a few steps (seeded) and writes
            DIR/model.safetensors (the state dict) and DIR/vocab.txt (Dictionary.idx2word, one
            word a line) for `rnnlm import pytorch`.
  jobs      JOBS.json OUT.json   several of the above in one process (the tests use it: one
            PyTorch start-up instead of several).

safetensors files are read and written here directly (a JSON header and raw little-endian
bytes), so the safetensors package is not needed.
Legend: T time, B batch, S source steps, E embedding, H hidden, L layers, V vocabulary.

Run:  /usr/bin/python3 scripts/reference/torch_interop.py score --model ck --input sentences.txt
"""
import argparse
import json
import math
import os
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

# ----------------------------------------------------------------------------------------------
# PyTorch's word_language_model RNNModel (pytorch/examples, word_language_model/model.py),
# reproduced faithfully: the same names, layers, init and forward (log_softmax output).
# ----------------------------------------------------------------------------------------------


class RNNModel(nn.Module):
    """Container module with an encoder, a recurrent module, and a decoder."""

    def __init__(self, rnn_type, ntoken, ninp, nhid, nlayers, dropout=0.5, tie_weights=False):
        super(RNNModel, self).__init__()
        self.ntoken = ntoken
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        if rnn_type in ['LSTM', 'GRU']:
            self.rnn = getattr(nn, rnn_type)(ninp, nhid, nlayers, dropout=dropout)
        else:
            try:
                nonlinearity = {'RNN_TANH': 'tanh', 'RNN_RELU': 'relu'}[rnn_type]
            except KeyError as e:
                raise ValueError("""An invalid option for `--model` was supplied,
                                 options are ['LSTM', 'GRU', 'RNN_TANH' or 'RNN_RELU']""") from e
            self.rnn = nn.RNN(ninp, nhid, nlayers, nonlinearity=nonlinearity, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)

        # Optionally tie weights as in:
        # "Using the Output Embedding to Improve Language Models" (Press & Wolf 2016)
        # and "Tying Word Vectors and Word Classifiers" (Inan et al. 2016)
        if tie_weights:
            if nhid != ninp:
                raise ValueError('When using the tied flag, nhid must be equal to emsize')
            self.decoder.weight = self.encoder.weight

        self.init_weights()

        self.rnn_type = rnn_type
        self.nhid = nhid
        self.nlayers = nlayers

    def init_weights(self):
        initrange = 0.1
        nn.init.uniform_(self.encoder.weight, -initrange, initrange)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -initrange, initrange)

    def forward(self, input, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        output = self.drop(output)
        decoded = self.decoder(output)
        decoded = decoded.view(-1, self.ntoken)
        return F.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        if self.rnn_type == 'LSTM':
            return (weight.new_zeros(self.nlayers, bsz, self.nhid),
                    weight.new_zeros(self.nlayers, bsz, self.nhid))
        else:
            return weight.new_zeros(self.nlayers, bsz, self.nhid)


RNN_TYPE = {'lstm': 'LSTM', 'gru': 'GRU', 'rnn_tanh': 'RNN_TANH', 'rnn_relu': 'RNN_RELU'}

# ----------------------------------------------------------------------------------------------
# safetensors, without the package
# ----------------------------------------------------------------------------------------------

ST_DTYPES = {'F32': torch.float32, 'F64': torch.float64, 'F16': torch.float16, 'BF16': torch.bfloat16, 'I64': torch.int64, 'I32': torch.int32}


def read_safetensors(path):
    with open(path, 'rb') as f:
        data = f.read()
    (n,) = struct.unpack('<Q', data[:8])
    header = json.loads(data[8:8 + n].decode('utf-8'))
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == '__metadata__':
            continue
        b, e = info['data_offsets']
        buf = bytearray(data[base + b:base + e])  # writable copy for frombuffer
        t = torch.frombuffer(buf, dtype=ST_DTYPES[info['dtype']]) if e > b else torch.empty(0, dtype=ST_DTYPES[info['dtype']])
        out[name] = t.reshape(info['shape']).clone()
    return out


def write_safetensors(path, tensors, metadata=None):
    """float32/float64 tensors, sorted by name; each saved in full (a tied tensor twice, as state_dict lists it)."""
    names = sorted(tensors)
    header = {}
    if metadata:
        header['__metadata__'] = metadata
    blobs = []
    offset = 0
    for name in names:
        t = tensors[name].detach().contiguous().cpu()
        code = {torch.float32: 'F32', torch.float64: 'F64'}[t.dtype]
        raw = t.numpy().astype(t.numpy().dtype.newbyteorder('<')).tobytes()
        header[name] = {'dtype': code, 'shape': list(t.shape), 'data_offsets': [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(',', ':')).encode('utf-8')
    text += b' ' * ((8 - len(text) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)))
        f.write(text)
        for raw in blobs:
            f.write(raw)


# ----------------------------------------------------------------------------------------------
# rnnlm checkpoints
# ----------------------------------------------------------------------------------------------


def read_checkpoint(d):
    with open(os.path.join(d, 'config.json'), encoding='utf-8') as f:
        config = json.load(f)['model']
    with open(os.path.join(d, 'tokenizer.json'), encoding='utf-8') as f:
        tokenizer = json.load(f)
    return config, tokenizer, read_safetensors(os.path.join(d, 'model.safetensors'))


def load_lm(d):
    """An rnnlm language-model checkpoint as word_language_model's RNNModel (eval mode, float32)."""
    cfg, tok, sd = read_checkpoint(d)
    if cfg.get('architecture') != 'rnnlm':
        sys.exit(f'{d}: not a language model')
    if cfg['cell'] not in RNN_TYPE or cfg.get('hiddenSizes'):
        sys.exit(f"{d}: word_language_model has no {cfg['cell']} cell / per-layer sizes")
    model = RNNModel(RNN_TYPE[cfg['cell']], cfg['vocabSize'], cfg['embedSize'], cfg['hiddenSize'], cfg['numLayers'], 0.0, cfg.get('tieWeights', False))
    model.load_state_dict({k: v.float() for k, v in sd.items()})
    model.eval()
    return model, tok


class WordTokenizer:
    """rnnlm's word tokenizer: str.split(), optional lower-casing, <unk> for unknown words, <eos> per line."""

    def __init__(self, tok):
        if tok.get('kind') != 'word':
            sys.exit(f"this script reads word tokenizers only, not {tok.get('kind')}")
        tokens = tok['tokens']
        self.ids = {w: i for i, w in enumerate(tokens)}
        self.lower = tok.get('lowercase', False)
        self.eos = self.ids['<eos>']
        self.unk = self.ids['<unk>']

    def sentence_ids(self, line):
        """As rnnlm score reads a sentence: <eos>, the words, <eos>."""
        words = line.lower().split() if self.lower else line.split()
        return [self.eos] + [self.ids.get(w, self.unk) for w in words] + [self.eos]


def score_lm(model, sentences):
    """Per-token log-probabilities (nats) of each sentence's ids[1:], each from a zero state."""
    out = []
    with torch.no_grad():
        for ids in sentences:
            x = torch.tensor(ids[:-1], dtype=torch.long).view(-1, 1)  # [T,1]
            logp, _ = model(x, model.init_hidden(1))  # [T,V]
            lp = logp.gather(1, torch.tensor(ids[1:]).view(-1, 1)).view(-1)
            out.append({'ids': ids, 'logprobs': [float(v) for v in lp]})
    return out


# ----------------------------------------------------------------------------------------------
# Translation: rnnlm's Seq2Seq as a PyTorch module
# ----------------------------------------------------------------------------------------------


def make_rnn(cell, inp, H, L, bidirectional):
    """nn.LSTM / nn.GRU / nn.RNN(tanh|relu); rnn_sigmoid has no PyTorch module."""
    if cell == 'lstm':
        return nn.LSTM(inp, H, L, bidirectional=bidirectional)
    if cell == 'gru':
        return nn.GRU(inp, H, L, bidirectional=bidirectional)
    if cell in ('rnn_tanh', 'rnn_relu'):
        return nn.RNN(inp, H, L, nonlinearity=cell[4:], bidirectional=bidirectional)
    sys.exit(f'PyTorch has no {cell} recurrent module')


class Seq2Seq(nn.Module):
    """Embeddings, a (bi)directional encoder read with pack_padded_sequence, tanh(bridge) of each
    layer's final state as the decoder's initial h (c = 0), a decoder RNN, Luong attention
    (dot / general / concat) over the masked memory, h~ = tanh(W_c [context; h]), generator."""

    def __init__(self, c):
        super().__init__()
        E, H, L = c['embedSize'], c['hiddenSize'], c['numLayers']
        D = 2 if c.get('bidirectional') else 1
        Dm = D * H
        self.cell, self.kind, self.L = c['cell'], c['attention'], L
        self.src_embed = nn.Embedding(c['srcVocabSize'], E)
        self.tgt_embed = nn.Embedding(c['tgtVocabSize'], E)
        self.encoder = make_rnn(c['cell'], E, H, L, D == 2)
        self.bridge = nn.Linear(Dm, H)
        self.decoder = make_rnn(c['cell'], E, H, L, False)
        self.attn = nn.Module()
        if self.kind == 'general':
            self.attn.weight = nn.Parameter(torch.empty(H, Dm))
        elif self.kind == 'concat':
            self.attn.query = nn.Linear(H, H, bias=False)
            self.attn.key = nn.Linear(Dm, H, bias=False)
            self.attn.v = nn.Linear(H, 1, bias=False)
        self.combine = nn.Linear(Dm + H, H, bias=False)
        self.generator = nn.Linear(H, c['tgtVocabSize'])

    def forward(self, src, lengths, tgt_in):
        """src [S,B], lengths [B], tgt_in [T,B] → log-probs [B,T,Vt]."""
        packed = nn.utils.rnn.pack_padded_sequence(self.src_embed(src), lengths, enforce_sorted=False)
        out, h_n = self.encoder(packed)
        if isinstance(h_n, tuple):
            h_n = h_n[0]
        memory, _ = nn.utils.rnn.pad_packed_sequence(out, total_length=src.size(0))  # [S,B,Dm]
        memory = memory.transpose(0, 1)  # [B,S,Dm]
        D = h_n.size(0) // self.L
        finals = h_n.view(self.L, D, h_n.size(1), -1).transpose(1, 2).reshape(self.L, h_n.size(1), -1)  # [L,B,Dm]
        h0 = torch.tanh(self.bridge(finals))  # [L,B,H]
        state = (h0, torch.zeros_like(h0)) if self.cell == 'lstm' else h0
        y, _ = self.decoder(self.tgt_embed(tgt_in), state)  # [T,B,H]
        q = y.transpose(0, 1)  # [B,T,H]
        if self.kind == 'dot':
            scores = q @ memory.transpose(1, 2)
        elif self.kind == 'general':
            scores = q @ (memory @ self.attn.weight.t()).transpose(1, 2)
        else:
            scores = self.attn.v(torch.tanh(self.attn.query(q).unsqueeze(2) + self.attn.key(memory).unsqueeze(1))).squeeze(3)
        mask = torch.arange(src.size(0)).unsqueeze(0) < lengths.unsqueeze(1)  # [B,S]
        att = torch.softmax(scores.masked_fill(~mask.unsqueeze(1), float('-inf')), dim=-1)  # [B,T,S]
        ht = torch.tanh(self.combine(torch.cat([att @ memory, q], dim=-1)))  # [B,T,H]
        return F.log_softmax(self.generator(ht), dim=-1)


def score_translation(d, pairs):
    cfg, tok, sd = read_checkpoint(d)
    model = Seq2Seq(cfg)
    model.load_state_dict({k: v.float() for k, v in sd.items()})
    model.eval()
    out = []
    with torch.no_grad():
        for p in pairs:
            src = torch.tensor(p['src']).view(-1, 1)  # [S,1]
            e = p['eos']  # the target <eos>, also the start symbol
            tin = torch.tensor([e] + p['tgt']).view(-1, 1)  # [T,1]
            logp = model(src, torch.tensor([len(p['src'])]), tin)[0]  # [T,Vt]
            gold = torch.tensor(p['tgt'] + [e])
            out.append([float(v) for v in logp.gather(1, gold.view(-1, 1)).view(-1)])
    return out


# ----------------------------------------------------------------------------------------------
# Training a word_language_model in PyTorch (the reverse direction)
# ----------------------------------------------------------------------------------------------


def train_lm(train_file, out_dir, cell='lstm', steps=30, tied=True, emsize=16, nhid=16, nlayers=2, seed=1, score_lines=None):
    torch.manual_seed(seed)
    idx2word, word2idx = [], {}
    ids = []
    with open(train_file, encoding='utf-8') as f:
        for line in f:
            for w in line.split() + ['<eos>']:  # data.py's Corpus.tokenize
                if w not in word2idx:
                    word2idx[w] = len(idx2word)
                    idx2word.append(w)
                ids.append(word2idx[w])
    if '<unk>' not in word2idx:  # rnnlm's word tokenizer needs one for unknown words
        word2idx['<unk>'] = len(idx2word)
        idx2word.append('<unk>')
    model = RNNModel(RNN_TYPE[cell], len(idx2word), emsize, nhid if not tied else emsize, nlayers, 0.2, tied)
    data = torch.tensor(ids)
    bsz, bptt = 8, 12
    nb = data.size(0) // bsz
    data = data[:nb * bsz].view(bsz, -1).t().contiguous()  # batchify: [N,B]
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    model.train()
    hidden = model.init_hidden(bsz)
    i = 0
    for _ in range(steps):
        if i + 1 + bptt > data.size(0):
            i = 0
        x, y = data[i:i + bptt], data[i + 1:i + 1 + bptt].reshape(-1)
        hidden = tuple(h.detach() for h in hidden) if isinstance(hidden, tuple) else hidden.detach()
        logp, hidden = model(x, hidden)
        loss = F.nll_loss(logp, y)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
        opt.step()
        i += bptt
    model.eval()
    os.makedirs(out_dir, exist_ok=True)
    write_safetensors(os.path.join(out_dir, 'model.safetensors'), model.state_dict(), {'format': 'pt'})
    with open(os.path.join(out_dir, 'vocab.txt'), 'w', encoding='utf-8') as f:
        f.write(''.join(w + '\n' for w in idx2word))
    result = {'vocab': len(idx2word), 'loss': float(loss)}
    if score_lines is not None:
        tok = WordTokenizer({'kind': 'word', 'tokens': idx2word})
        result['scores'] = score_lm(model, [tok.sentence_ids(l) for l in score_lines])
    return result


# ----------------------------------------------------------------------------------------------


def run_job(job):
    kind = job['kind']
    if kind == 'score':
        model, tok = load_lm(job['model'])
        w = WordTokenizer(tok)
        return score_lm(model, [w.sentence_ids(l) for l in job['sentences']])
    if kind == 'translate':
        return score_translation(job['model'], job['pairs'])
    if kind == 'train':
        return train_lm(job['train'], job['out'], job.get('cell', 'lstm'), job.get('steps', 30), job.get('tied', True), seed=job.get('seed', 1), score_lines=job.get('score'))
    raise ValueError(f'unknown job kind {kind}')


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest='cmd', required=True)
    s = sub.add_parser('score')
    s.add_argument('--model', required=True)
    s.add_argument('--input', required=True)
    s.add_argument('--json', action='store_true')
    t = sub.add_parser('translate')
    t.add_argument('--model', required=True)
    t.add_argument('--pairs', required=True)
    r = sub.add_parser('train')
    r.add_argument('--train', required=True)
    r.add_argument('--out', required=True)
    r.add_argument('--cell', default='lstm', choices=sorted(RNN_TYPE))
    r.add_argument('--steps', type=int, default=30)
    r.add_argument('--tied', action='store_true')
    j = sub.add_parser('jobs')
    j.add_argument('jobs')
    j.add_argument('out')
    a = ap.parse_args()
    if a.cmd == 'score':
        with open(a.input, encoding='utf-8') as f:
            lines = f.read().splitlines()
        res = run_job({'kind': 'score', 'model': a.model, 'sentences': lines})
        if a.json:
            print(json.dumps(res))
        else:
            tot, n = 0.0, 0
            for r_ in res:
                lp = sum(r_['logprobs'])
                k = len(r_['logprobs'])
                tot, n = tot + lp, n + k
                print(f'{lp:.4f}\t{k}\t{math.exp(-lp / k):.2f}')
            print(f'# sentences {len(res)}  tokens {n}  logprob {tot:.4f} (nats)  ppl {math.exp(-tot / n):.2f}')
    elif a.cmd == 'translate':
        with open(a.pairs, encoding='utf-8') as f:
            print(json.dumps(score_translation(a.model, json.load(f))))
    elif a.cmd == 'train':
        print(json.dumps(train_lm(a.train, a.out, a.cell, a.steps, a.tied)))
    else:
        with open(a.jobs, encoding='utf-8') as f:
            jobs = json.load(f)
        with open(a.out, 'w', encoding='utf-8') as f:
            json.dump([run_job(job) for job in jobs], f)


if __name__ == '__main__':
    main()
