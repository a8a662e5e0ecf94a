#!/usr/bin/python3
"""
PyTorch CPU side of the rnnlm-vs-PyTorch benchmark (a dev tool; rnnlm never needs PyTorch).

One task per process, so the peak RSS it reports is that task's alone. The model, data handling
and loops follow pytorch/examples word_language_model (main.py / generate.py): Corpus with ids
in order of first appearance and <eos> per line, batchify, get_batch windows of bptt rows, hidden
state carried and detached between windows, log_softmax + NLLLoss, clip_grad_norm_, and the
manual SGD update p -= lr * grad. bench/lm-rnnlm.ts does the same with rnnlm's public API;
bench/compare.ts runs both and tabulates.

Tasks:
  train     time N windows (after W warm-up ones) of forward + backward + clip + step; tokens/s
  eval      time N windows of the no-grad forward (loss and argmax accuracy, as rnnlm's
            evaluate returns both); tokens/s
  generate  one token at a time with carried state (B=1, T=1), multinomial sampling included;
            ms per token over N tokens after W warm-up ones
  check     export the initial weights (safetensors) and print the losses of the first K
            training windows (dropout off) and of the first eval window, for the cross-check

Dimension legend: T time (window rows), B batch, E embed, H hidden, L layers, V vocab, N = T*B.

Prints one line "RESULT {json}" last.

  /usr/bin/python3 bench/lm_torch.py --task train --model small --warmup 3 --windows 50
"""
import argparse
import contextlib
import json
import os
import re
import resource
import struct
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Must match MODELS in bench/lm-rnnlm.ts (compare.ts checks the echoed config).
MODELS = {
    'small': dict(data='ptb', emb=200, hidden=200, layers=2, dropout=0.0),
    'medium': dict(data='ptb', emb=650, hidden=650, layers=2, dropout=0.5),
    'char': dict(data='tinyshakespeare', emb=512, hidden=512, layers=2, dropout=0.0),
}
TRAIN_B, EVAL_B, BPTT, LR, CLIP, INIT_RANGE = 20, 10, 35, 20.0, 0.25, 0.1


def rss_mb_now():
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE') / 2**20


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def blas_libraries():
    """The BLAS/LAPACK/OpenMP shared objects actually mapped (Debian's libblas.so.3 is an alternative)."""
    libs = set()
    with open('/proc/self/maps') as f:
        for line in f:
            path = line.split()[-1] if len(line.split()) >= 6 else ''
            base = os.path.basename(path)
            if any(k in base for k in ('blas', 'lapack', 'mkl', 'gomp', 'dnnl')):
                libs.add(os.path.realpath(path))
    return sorted(libs)


def blas_info():
    cfg = torch.__config__.show()
    fields = dict(re.findall(r'\b(BLAS_INFO|LAPACK_INFO|USE_MKLDNN|USE_OPENMP)=([^,\s]+)', cfg))
    cap = [l.strip(' -') for l in cfg.splitlines() if 'CPU capability' in l]
    libs = blas_libraries()
    return {'config': fields, 'cpuCapability': cap[0] if cap else None, 'libraries': libs, 'openblasCore': openblas_core(libs)}


def openblas_core(libs):
    """The kernel set a mapped OpenBLAS chose (openblas_get_corename: e.g. Haswell, SkylakeX), else None."""
    import ctypes
    for path in libs:
        try:
            lib = ctypes.CDLL(path)
            fn = lib.openblas_get_corename
        except (OSError, AttributeError):
            continue
        fn.restype = ctypes.c_char_p
        return fn().decode()
    return None



def print_result(result, base_rss):
    """The last line of a run: RESULT {json}, with the memory figures and what ran (torch, threads, BLAS)."""
    result.update(baseRssMB=base_rss, maxRssMB=peak_rss_mb(),
                  info={'torch': torch.__version__, 'threads': torch.get_num_threads(),
                        'interopThreads': torch.get_num_interop_threads(), 'blas': blas_info(),
                        'python': sys.version.split()[0]})
    print('RESULT ' + json.dumps(result), flush=True)

# ---- data (word_language_model/data.py semantics) ------------------------------------------

class Dictionary:
    def __init__(self):
        self.word2idx = {}

    def add(self, w):
        if w not in self.word2idx:
            self.word2idx[w] = len(self.word2idx)
        return self.word2idx[w]


def tokenize_words(path, d):
    """Every line split on whitespace plus <eos>; ids in order of first appearance."""
    ids = []
    with open(path, 'r', encoding='utf8') as f:
        for line in f:
            for w in line.split() + ['<eos>']:
                ids.append(d.add(w))
    return torch.tensor(ids, dtype=torch.int64)


def batchify(data, bsz):
    """[n] -> [L, B]: B contiguous columns, remainder dropped (example's batchify)."""
    nbatch = data.size(0) // bsz
    data = data.narrow(0, 0, nbatch * bsz)
    return data.view(bsz, -1).t().contiguous()  # [L, B]


def get_batch(source, i):
    seq_len = min(BPTT, len(source) - 1 - i)
    return source[i:i + seq_len], source[i + 1:i + 1 + seq_len].reshape(-1)  # [T,B], [T*B]


def load_ptb(data_dir):
    d = Dictionary()
    train = tokenize_words(os.path.join(data_dir, 'ptb', 'ptb.train.txt'), d)
    valid = tokenize_words(os.path.join(data_dir, 'ptb', 'ptb.valid.txt'), d)
    return d, train, valid


# ---- model (word_language_model/model.py RNNModel, LSTM) -------------------------------------

class RNNModel(nn.Module):
    def __init__(self, V, E, H, L, dropout):
        super().__init__()
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(V, E)
        self.rnn = nn.LSTM(E, H, L, dropout=dropout)
        self.decoder = nn.Linear(H, V)
        self.H, self.L = H, L
        # The example's init_weights: encoder/decoder U(±0.1), decoder bias 0; LSTM keeps U(±1/sqrt(H)).
        nn.init.uniform_(self.encoder.weight, -INIT_RANGE, INIT_RANGE)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -INIT_RANGE, INIT_RANGE)

    def forward(self, ids, hidden):
        emb = self.drop(self.encoder(ids))  # [T,B,E]
        out, hidden = self.rnn(emb, hidden)  # [T,B,H]
        out = self.drop(out)
        decoded = self.decoder(out).view(-1, self.decoder.out_features)  # [T*B,V]
        return F.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, B):
        w = next(self.parameters())
        return (w.new_zeros(self.L, B, self.H), w.new_zeros(self.L, B, self.H))


def repackage_hidden(h):
    return tuple(v.detach() for v in h)


def write_safetensors(path, tensors):
    """Minimal safetensors writer (F32 only): u64 LE header length, JSON header, raw data."""
    header, blobs, off = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().to(torch.float32).contiguous()
        b = t.numpy().tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(t.shape), 'data_offsets': [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(',', ':')).encode('utf8')
    h += b' ' * (-len(h) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    """Minimal safetensors reader (F32 only, what rnnlm's encodeSafetensors writes for float32 models)."""
    with open(path, 'rb') as f:
        n = struct.unpack('<Q', f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, e in header.items():
        if name == '__metadata__':
            continue
        if e['dtype'] != 'F32':
            raise SystemExit(f'{path}: tensor {name} is {e["dtype"]}; only F32 is supported')
        a, b = e['data_offsets']
        out[name] = torch.frombuffer(bytearray(data[a:b]), dtype=torch.float32).reshape(e['shape'])
    return out


# ---- tasks ------------------------------------------------------------------------------------

def amp(precision):
    """bf16: CPU autocast (bf16 matmuls/LSTM where PyTorch supports it, fp32 weights and loss), else nothing."""
    if precision == 'bf16':
        return torch.autocast('cpu', dtype=torch.bfloat16)
    return contextlib.nullcontext()


def train_windows(model, train, n, on_window=None, precision='fp32'):
    """The example's train() for n windows; returns the per-window losses."""
    model.train()
    criterion = nn.NLLLoss()
    hidden = model.init_hidden(TRAIN_B)
    losses = []
    for k, i in enumerate(range(0, train.size(0) - 1, BPTT)):
        if k >= n:
            break
        data, targets = get_batch(train, i)
        model.zero_grad()
        hidden = repackage_hidden(hidden)
        with amp(precision):
            output, hidden = model(data, hidden)
            loss = criterion(output.float(), targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), CLIP)
        for p in model.parameters():
            p.data.add_(p.grad, alpha=-LR)
        losses.append(loss.item())
        if on_window:
            on_window(k + 1)
    return losses


def eval_windows(model, source, n, on_window=None):
    """The example's evaluate() for n windows, plus argmax accuracy (rnnlm's evaluate returns it)."""
    model.eval()
    criterion = nn.NLLLoss()
    hidden = model.init_hidden(EVAL_B)
    nats, correct, tokens = 0.0, 0, 0
    with torch.no_grad():
        for k, i in enumerate(range(0, source.size(0) - 1, BPTT)):
            if k >= n:
                break
            data, targets = get_batch(source, i)
            output, hidden = model(data, hidden)
            hidden = repackage_hidden(hidden)
            nats += targets.numel() * criterion(output, targets).item()
            correct += int((output.argmax(1) == targets).sum().item())
            tokens += targets.numel()
            if on_window:
                on_window(k + 1)
    return nats / max(1, tokens), correct, tokens


class Stopwatch:
    """perf_counter at the end of window `start` and of window `start + n`."""

    def __init__(self, start, n):
        self.start, self.stop, self.t0, self.t1 = start, start + n, None, None
        self.c0 = self.c1 = 0.0
        if start == 0:
            self.t0, self.c0 = time.perf_counter(), time.process_time()

    def __call__(self, k):
        if k == self.start:
            self.t0, self.c0 = time.perf_counter(), time.process_time()
        if k == self.stop:
            self.t1, self.c1 = time.perf_counter(), time.process_time()

    def cpu(self):
        """Process CPU time (all threads) over the timed windows."""
        return self.c1 - self.c0

    def seconds(self):
        if self.t0 is None or self.t1 is None:
            raise SystemExit('the data ran out before the timed windows ended; use fewer windows')
        return self.t1 - self.t0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--task', required=True, choices=['train', 'eval', 'generate', 'check'])
    ap.add_argument('--model', required=True, choices=sorted(MODELS))
    ap.add_argument('--warmup', type=int, default=3, help='untimed windows (tokens for generate) first')
    ap.add_argument('--windows', type=int, default=20, help='timed windows (tokens for generate)')
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--precision', choices=['fp32', 'bf16'], default='fp32',
                    help='train: bf16 runs the forward under torch.autocast(cpu, bfloat16)')
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--data', default=os.path.join(REPO, '..', 'shared', 'data'))
    ap.add_argument('--export-init', help='check: write the initial state dict here (safetensors)')
    ap.add_argument('--check-windows', type=int, default=3)
    a = ap.parse_args()
    if a.warmup < 0 or a.windows < 1:
        ap.error('--warmup must be >= 0 and --windows >= 1')

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    cfg = dict(MODELS[a.model])
    if a.task == 'check':
        cfg['dropout'] = 0.0  # the cross-check compares deterministic losses

    if cfg['data'] == 'ptb':
        d, train, valid = load_ptb(a.data)
        V = len(d.word2idx)
    else:
        with open(os.path.join(a.data, 'tinyshakespeare', 'input.txt'), encoding='utf8') as f:
            V = len(set(f.read()))
    base_rss = rss_mb_now()

    model = RNNModel(V, cfg['emb'], cfg['hidden'], cfg['layers'], cfg['dropout'])
    result = {'side': 'pytorch', 'task': a.task, 'model': a.model, 'vocab': V, 'precision': a.precision,
              'config': {k: cfg[k] for k in ('emb', 'hidden', 'layers', 'dropout')},
              'warmup': a.warmup, 'windows': a.windows}

    if a.task == 'train':
        train_b = batchify(train, TRAIN_B)
        sw = Stopwatch(a.warmup, a.windows)
        losses = train_windows(model, train_b, a.warmup + a.windows, sw, a.precision)
        sec = sw.seconds()
        result.update(seconds=sec, cpuSeconds=sw.cpu(), tokensPerCpuSecond=a.windows * BPTT * TRAIN_B / sw.cpu(),
                      tokens=a.windows * BPTT * TRAIN_B,
                      tokensPerSecond=a.windows * BPTT * TRAIN_B / sec, firstLoss=losses[0], lastLoss=losses[-1])
    elif a.task == 'eval':
        n = a.warmup + a.windows
        src = batchify(valid[:n * BPTT * EVAL_B + EVAL_B], EVAL_B)  # exactly n full windows
        sw = Stopwatch(a.warmup, a.windows)
        loss, _, _ = eval_windows(model, src, n, sw)
        sec = sw.seconds()
        result.update(seconds=sec, tokens=a.windows * BPTT * EVAL_B,
                      tokensPerSecond=a.windows * BPTT * EVAL_B / sec, loss=loss)
    elif a.task == 'generate':
        # generate.py: one token per forward, state carried, exp(log_softmax / temperature) -> multinomial.
        model.eval()
        hidden = model.init_hidden(1)
        inp = torch.randint(V, (1, 1), dtype=torch.long)  # [T=1, B=1]
        with torch.no_grad():
            for k in range(a.warmup + a.windows):
                if k == a.warmup:
                    t0 = time.perf_counter()
                output, hidden = model(inp, hidden)
                weights = output.squeeze().div(1.0).exp()
                idx = torch.multinomial(weights, 1)[0]
                inp.fill_(idx)
        sec = time.perf_counter() - t0
        result.update(seconds=sec, tokens=a.windows, msPerToken=1000 * sec / a.windows)
    else:
        if a.export_init:
            write_safetensors(a.export_init, model.state_dict())
        ev_n = 1
        ev_src = batchify(valid[:ev_n * BPTT * EVAL_B + EVAL_B], EVAL_B)
        ev_loss, ev_correct, _ = eval_windows(model, ev_src, ev_n)
        losses = train_windows(model, batchify(train, TRAIN_B), a.check_windows)
        result.update(evalLoss=ev_loss, evalCorrect=ev_correct, trainLosses=losses)

    print_result(result, base_rss)


if __name__ == '__main__':
    main()
