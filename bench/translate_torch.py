#!/usr/bin/python3
"""
PyTorch CPU side of the Multi30k translation-step benchmark (a dev tool; rnnlm never needs
PyTorch). bench/translate-rnnlm.ts is the rnnlm side; `npm run bench -- --only train-translate`
runs both.

The model is rnnlm's Seq2Seq as RESULTS.md's Multi30k run configures it, with the same parameter
names and shapes (so rnnlm's weights load unchanged):

  src_embed [Vs,E] -> dropout -> encoder nn.LSTM(E, H, bidirectional) over packed sequences
    -> memory [B,S,2H]; decoder state h0 = tanh(bridge([h_fwd; h_bwd])), c0 = 0
  tgt_embed [Vt,E] -> dropout -> decoder nn.LSTM(E, H) over the whole target (no input feeding)
    -> Luong general attention: scores = h . (attn.weight m), source padding masked, softmax
    -> h~ = tanh(combine([c; h])) -> dropout -> generator -> cross-entropy over real target tokens

A step: zero_grad, forward + summed cross-entropy (under torch.autocast('cpu', bfloat16) for
--precision bf16), backward of the sum / target tokens, clip_grad_norm_(5), Adam(lr 1e-3).
The batches come from the file translate-rnnlm.ts --export-batches writes (rnnlm's own
makeBatches, the first W + N of epoch 1), so both sides train on the same ids.

Tasks:
  train  N timed steps after W warm-up ones; target tokens per second (padding not counted)
  check  dropout off, the initial weights from --init-from (translate-rnnlm.ts --task check
         --export-init), the losses and pre-clip gradient norms of the first K steps

Dimension legend: S source steps, T target steps, B batch, E embedding, H hidden per direction,
Vs/Vt source/target vocabulary.

Prints one line "RESULT {json}" last.

  /usr/bin/python3 bench/translate_torch.py --batches /tmp/b.json --warmup 2 --steps 10 --threads 2
"""
import argparse
import json

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from lm_torch import Stopwatch, amp, print_result, read_safetensors, rss_mb_now

LR, CLIP, INIT_RANGE, IGNORE = 1e-3, 5.0, 0.1, -100


class Seq2Seq(nn.Module):
    def __init__(self, Vs, Vt, E, H, dropout):
        super().__init__()
        self.src_embed = nn.Embedding(Vs, E)
        self.tgt_embed = nn.Embedding(Vt, E)
        self.encoder = nn.LSTM(E, H, 1, bidirectional=True)
        self.bridge = nn.Linear(2 * H, H)
        self.decoder = nn.LSTM(E, H, 1)
        self.attn = nn.Linear(2 * H, H, bias=False)  # W_a [H, 2H]
        self.combine = nn.Linear(2 * H + H, H, bias=False)  # W_c over [c; h]
        self.generator = nn.Linear(H, Vt)
        self.drop = nn.Dropout(dropout)
        for p in self.parameters():
            nn.init.uniform_(p, -INIT_RANGE, INIT_RANGE)

    def forward(self, src, lengths, tgt_in, tgt_out):
        """src [S,B], lengths [B], tgt_in [T,B], tgt_out [B,T] -> summed cross-entropy, pre-clip."""
        S, B = src.shape
        T = tgt_in.shape[0]
        emb = self.drop(self.src_embed(src))  # [S,B,E]
        packed = pack_padded_sequence(emb, lengths, enforce_sorted=False)
        out, (h_n, _) = self.encoder(packed)
        memory = pad_packed_sequence(out, total_length=S)[0].transpose(0, 1)  # [B,S,2H]
        h0 = torch.tanh(self.bridge(torch.cat([h_n[0], h_n[1]], dim=1))).unsqueeze(0)  # [1,B,H]
        # Under autocast the bridge yields bf16, but nn.LSTM wants its state in its weights' dtype.
        h0 = h0.to(self.decoder.weight_hh_l0.dtype)
        y, _ = self.decoder(self.drop(self.tgt_embed(tgt_in)), (h0, torch.zeros_like(h0)))  # [T,B,H]
        q = y.transpose(0, 1)  # [B,T,H]
        scores = torch.bmm(q, self.attn(memory).transpose(1, 2))  # [B,T,S]
        pad = (torch.arange(S)[None, :] >= lengths[:, None])[:, None, :]  # [B,1,S]
        a = torch.softmax(scores.masked_fill(pad, float('-inf')), dim=-1)
        context = torch.bmm(a, memory)  # [B,T,2H]
        ht = self.drop(torch.tanh(self.combine(torch.cat([context, q], dim=-1))))  # [B,T,H]
        logits = self.generator(ht).reshape(B * T, -1)  # [B*T,Vt] batch-major like tgt_out
        return F.cross_entropy(logits.float(), tgt_out.reshape(-1), ignore_index=IGNORE, reduction='sum')


def load_batches(path, n):
    with open(path) as f:
        d = json.load(f)
    if len(d['batches']) < n:
        raise SystemExit(f'{path} holds {len(d["batches"])} batches; {n} steps need more (translate-rnnlm.ts --export-batches with more steps)')
    out = []
    for b in d['batches'][:n]:
        S, T, B = b['S'], b['T'], b['B']
        out.append(dict(
            src=torch.tensor(b['src'], dtype=torch.int64).view(S, B),
            lengths=torch.tensor(b['srcLengths'], dtype=torch.int64),
            tgt_in=torch.tensor(b['tgtIn'], dtype=torch.int64).view(T, B),
            tgt_out=torch.tensor(b['tgtOut'], dtype=torch.int64).view(B, T),
            tokens=b['tokens']))
    return d, out


def train_steps(model, batches, precision, on_step=None):
    """One optimizer step per batch; returns the per-step mean losses and pre-clip gradient norms."""
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    losses, norms = [], []
    for k, b in enumerate(batches):
        opt.zero_grad(set_to_none=True)
        with amp(precision):
            total = model(b['src'], b['lengths'], b['tgt_in'], b['tgt_out'])
        (total / b['tokens']).backward()
        norms.append(float(torch.nn.utils.clip_grad_norm_(model.parameters(), CLIP)))
        opt.step()
        losses.append(total.item() / b['tokens'])
        if on_step:
            on_step(k + 1)
    return losses, norms


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--task', choices=['train', 'check'], default='train')
    ap.add_argument('--batches', required=True, help='the batches file of translate-rnnlm.ts --export-batches')
    ap.add_argument('--warmup', type=int, default=2, help='untimed steps first')
    ap.add_argument('--steps', type=int, default=10, help='timed steps')
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--precision', choices=['fp32', 'bf16'], default='fp32',
                    help="bf16 runs forward + loss under torch.autocast('cpu', bfloat16)")
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--init-from', help='check: initial weights (safetensors) written by translate-rnnlm.ts --export-init')
    ap.add_argument('--check-steps', type=int, default=2)
    a = ap.parse_args()
    if a.warmup < 0 or a.steps < 1 or a.check_steps < 1:
        ap.error('--warmup must be >= 0, --steps and --check-steps >= 1')
    if a.task == 'check' and not a.init_from:
        ap.error('check needs --init-from FILE.safetensors (written by translate-rnnlm.ts --task check --export-init)')

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    n = a.check_steps if a.task == 'check' else a.warmup + a.steps
    d, batches = load_batches(a.batches, n)
    cfg = d['config']
    dropout = 0.0 if a.task == 'check' else cfg['dropout']
    base_rss = rss_mb_now()

    model = Seq2Seq(d['srcVocab'], d['tgtVocab'], cfg['emb'], cfg['hidden'], dropout)
    result = {'side': 'pytorch', 'task': a.task, 'model': 'translate', 'vocab': d['tgtVocab'], 'precision': a.precision,
              'config': {'emb': cfg['emb'], 'hidden': cfg['hidden'], 'layers': cfg['layers'], 'dropout': dropout,
                         'batch': cfg['batch'], 'srcVocab': d['srcVocab']},
              'warmup': a.warmup, 'steps': a.steps, 'parameters': sum(p.numel() for p in model.parameters())}

    if a.task == 'train':
        sw = Stopwatch(a.warmup, a.steps)
        losses, _ = train_steps(model, batches, a.precision, sw)
        sec = sw.seconds()
        tokens = sum(b['tokens'] for b in batches[a.warmup:])
        result.update(seconds=sec, cpuSeconds=sw.cpu(), tokens=tokens, tokensPerSecond=tokens / sec,
                      tokensPerCpuSecond=tokens / sw.cpu(), firstLoss=losses[0], lastLoss=losses[-1])
    else:
        sd = read_safetensors(a.init_from)
        model.load_state_dict(sd, strict=True)
        losses, norms = train_steps(model, batches, a.precision)
        result.update(trainLosses=losses, gradNorms=norms)

    print_result(result, base_rss)


if __name__ == '__main__':
    main()
