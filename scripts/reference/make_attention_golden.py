#!/usr/bin/python3
"""
Golden fixtures for rnnlm's attention seq2seq (src/models/seq2seq.ts), computed by PyTorch in
float64 (a dev tool only, never a runtime dependency).

Decoder cases (attention_general_lstm, attention_dot_gru, attention_concat_lstm) run the
attention decoder STEP BY STEP, as a reference implementation would:
  embedding -> one RNN step (nn.LSTM / nn.GRU, T = 1, carrying the state)
  -> Luong attention over a padded memory with the source mask (masked_fill -inf, softmax)
  -> h~ = tanh(W_c [c; h]) -> generator Linear -> logits
then take the mean cross-entropy (ignore_index -100 on target padding) and call backward().
Our model computes the same thing with one fused recurrent call over all T steps, and also
step by step; test/golden/attention.test.ts checks both against these files.

attention_seq2seq_bilstm is the whole model: a 2-layer bidirectional LSTM encoder over
pack_padded_sequence, the bridge tanh(Linear([h_fwd; h_bwd])) per layer (cell state 0), and
the decoder (teacher-forced nn.LSTM over the whole target).

Dimension legend: B batch, S source steps, T target steps, E embed, H hidden, L layers,
Dm memory size, V target vocabulary, Vs source vocabulary.

Run:  /usr/bin/python3 scripts/reference/make_attention_golden.py   (writes test/golden/fixtures/attention_*.json)
"""
import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'test', 'golden', 'fixtures')
IGNORE = -100


def tj(t):
    t = t.detach().to(torch.float64).contiguous()
    return {'shape': list(t.shape), 'data': [float(x) for x in t.view(-1).tolist()]}


class Attention(nn.Module):
    """Luong scores: dot h.m, general h.W_a m, concat v.tanh(W_q h + W_k m)."""

    def __init__(self, kind, H, Dm):
        super().__init__()
        self.kind = kind
        if kind == 'general':
            self.weight = nn.Parameter(torch.empty(H, Dm).uniform_(-0.5, 0.5))
        elif kind == 'concat':
            self.query = nn.Linear(H, H, bias=False)
            self.key = nn.Linear(Dm, H, bias=False)
            self.v = nn.Linear(H, 1, bias=False)

    def keys(self, memory):  # [B,S,Dm] -> [B,S,.]
        if self.kind == 'dot':
            return memory
        if self.kind == 'general':
            return memory @ self.weight.t()
        return self.key(memory)

    def scores(self, h, keys):  # h [B,H], keys [B,S,.] -> [B,S]
        if self.kind == 'concat':
            return self.v(torch.tanh(self.query(h).unsqueeze(1) + keys)).squeeze(2)
        return torch.bmm(keys, h.unsqueeze(2)).squeeze(2)


class Decoder(nn.Module):
    def __init__(self, cell, V, E, H, L, Dm, attention):
        super().__init__()
        self.cell = cell
        self.tgt_embed = nn.Embedding(V, E)
        self.decoder = (nn.LSTM if cell == 'lstm' else nn.GRU)(E, H, num_layers=L)
        self.attn = Attention(attention, H, Dm)
        self.combine = nn.Linear(Dm + H, H, bias=False)
        self.generator = nn.Linear(H, V)

    def attend(self, h, memory, keys, mask):  # h [B,H] -> logits [B,V], weights [B,S]
        scores = self.attn.scores(h, keys).masked_fill(~mask, float('-inf'))
        a = torch.softmax(scores, dim=1)
        ctx = torch.bmm(a.unsqueeze(1), memory).squeeze(1)  # [B,Dm]
        ht = torch.tanh(self.combine(torch.cat([ctx, h], dim=1)))  # h~ [B,H]
        return self.generator(ht), a

    def step_by_step(self, tgt_in, state, memory, mask):
        keys = self.attn.keys(memory)
        logits, weights = [], []
        for t in range(tgt_in.size(0)):
            out, state = self.decoder(self.tgt_embed(tgt_in[t]).unsqueeze(0), state)  # one step
            lg, a = self.attend(out[0], memory, keys, mask)
            logits.append(lg)
            weights.append(a)
        # batch-major: [B,T,V] and [B,T,S]
        return torch.stack(logits, 1), torch.stack(weights, 1), state


def make_inputs(g, V, L, B, H, S, T, lengths, Dm, cell):
    memory = torch.randn(B, S, Dm, generator=g, dtype=torch.float64, requires_grad=True)
    mask = torch.zeros(B, S, dtype=torch.bool)
    for b, n in enumerate(lengths):
        mask[b, :n] = True
    h0 = (0.5 * torch.randn(L, B, H, generator=g, dtype=torch.float64)).requires_grad_()
    c0 = (0.5 * torch.randn(L, B, H, generator=g, dtype=torch.float64)).requires_grad_() if cell == 'lstm' else None
    tgt_in = torch.randint(0, V, (T, B), generator=g)  # time-major
    tgt_out = torch.randint(0, V, (B, T), generator=g)  # batch-major
    tgt_out[1, T - 1] = IGNORE  # padding in the targets of sentence 1
    tgt_out[2, T - 2:] = IGNORE
    return memory, mask, h0, c0, tgt_in, tgt_out


def decoder_case(name, cell, attention, V, E, H, L, Dm, B, S, T, lengths, seed):
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    m = Decoder(cell, V, E, H, L, Dm, attention).double()
    memory, mask, h0, c0, tgt_in, tgt_out = make_inputs(g, V, L, B, H, S, T, lengths, Dm, cell)
    state = (h0, c0) if cell == 'lstm' else h0
    logits, weights, final = m.step_by_step(tgt_in, state, memory, mask)
    loss = F.cross_entropy(logits.reshape(B * T, V), tgt_out.reshape(-1), ignore_index=IGNORE)
    loss.backward()
    hT, cT = final if cell == 'lstm' else (final, None)
    grads = {k: tj(p.grad) for k, p in m.named_parameters()}
    grads['memory'] = tj(memory.grad)
    grads['h0'] = tj(h0.grad)
    if c0 is not None:
        grads['c0'] = tj(c0.grad)
    return {
        'case': name,
        'kind': 'decoder',
        'torch_version': torch.__version__,
        'config': {'cell': cell, 'attention': attention, 'tgtVocabSize': V, 'embedSize': E, 'hiddenSize': H, 'numLayers': L,
                   'memorySize': Dm, 'bidirectional': Dm == 2 * H, 'B': B, 'S': S, 'T': T},
        'state_dict': {k: tj(v) for k, v in m.state_dict().items()},
        'src_lengths': lengths,
        'memory': tj(memory),
        'h0': tj(h0),
        'c0': tj(c0) if c0 is not None else None,
        'tgt_in': tgt_in.reshape(-1).tolist(),
        'tgt_out': tgt_out.reshape(-1).tolist(),
        'logits': tj(logits.reshape(B * T, V)),
        'attention': tj(weights),
        'loss': float(loss),
        'hT': tj(hT),
        'cT': tj(cT) if cT is not None else None,
        'grads': grads,
    }


class Seq2Seq(nn.Module):
    def __init__(self, Vs, V, E, H, L):
        super().__init__()
        self.src_embed = nn.Embedding(Vs, E)
        self.tgt_embed = nn.Embedding(V, E)
        self.encoder = nn.LSTM(E, H, num_layers=L, bidirectional=True)
        self.bridge = nn.Linear(2 * H, H)
        self.decoder = nn.LSTM(E, H, num_layers=L)
        self.attn = Attention('general', H, 2 * H)
        self.combine = nn.Linear(3 * H, H, bias=False)
        self.generator = nn.Linear(H, V)

    def forward(self, src, lengths, tgt_in):
        S, B = src.shape
        L, H = self.decoder.num_layers, self.decoder.hidden_size
        packed = pack_padded_sequence(self.src_embed(src), torch.tensor(lengths), enforce_sorted=False)
        out, (hn, _) = self.encoder(packed)
        y, _ = pad_packed_sequence(out, total_length=S)  # [S,B,2H], zeros at padding
        memory = y.transpose(0, 1)  # [B,S,2H]
        hn = hn.view(L, 2, B, H)
        h0 = torch.tanh(self.bridge(torch.cat([hn[:, 0], hn[:, 1]], dim=2)))  # [L,B,H]
        c0 = torch.zeros_like(h0)
        dec, (hT, cT) = self.decoder(self.tgt_embed(tgt_in), (h0, c0))  # teacher forcing, [T,B,H]
        q = dec.transpose(0, 1)  # [B,T,H]
        mask = torch.arange(S).unsqueeze(0) < torch.tensor(lengths).unsqueeze(1)  # [B,S]
        scores = torch.bmm(q, self.attn.keys(memory).transpose(1, 2)).masked_fill(~mask.unsqueeze(1), float('-inf'))
        a = torch.softmax(scores, dim=2)  # [B,T,S]
        ctx = torch.bmm(a, memory)  # [B,T,2H]
        ht = torch.tanh(self.combine(torch.cat([ctx, q], dim=2)))
        return self.generator(ht), a, hT, cT  # [B,T,V]


def seq2seq_case(name, Vs, V, E, H, L, B, S, T, lengths, seed):
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    m = Seq2Seq(Vs, V, E, H, L).double()
    src = torch.randint(0, Vs, (S, B), generator=g)
    for b, n in enumerate(lengths):
        src[n:, b] = 0  # padding id (never read)
    tgt_in = torch.randint(0, V, (T, B), generator=g)
    tgt_out = torch.randint(0, V, (B, T), generator=g)
    tgt_out[0, T - 1] = IGNORE
    logits, a, hT, cT = m(src, lengths, tgt_in)
    loss = F.cross_entropy(logits.reshape(B * T, V), tgt_out.reshape(-1), ignore_index=IGNORE)
    loss.backward()
    return {
        'case': name,
        'kind': 'seq2seq',
        'torch_version': torch.__version__,
        'config': {'cell': 'lstm', 'attention': 'general', 'srcVocabSize': Vs, 'tgtVocabSize': V, 'embedSize': E, 'hiddenSize': H,
                   'numLayers': L, 'memorySize': 2 * H, 'bidirectional': True, 'B': B, 'S': S, 'T': T},
        'state_dict': {k: tj(v) for k, v in m.state_dict().items()},
        'src': src.reshape(-1).tolist(),
        'src_lengths': lengths,
        'tgt_in': tgt_in.reshape(-1).tolist(),
        'tgt_out': tgt_out.reshape(-1).tolist(),
        'logits': tj(logits.reshape(B * T, V)),
        'attention': tj(a),
        'loss': float(loss),
        'hT': tj(hT),
        'cT': tj(cT),
        'grads': {k: tj(p.grad) for k, p in m.named_parameters()},
    }


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    cases = [
        decoder_case('attention_general_lstm', 'lstm', 'general', V=13, E=5, H=6, L=2, Dm=12, B=3, S=5, T=4, lengths=[5, 3, 4], seed=11),
        decoder_case('attention_dot_gru', 'gru', 'dot', V=11, E=4, H=6, L=1, Dm=6, B=3, S=4, T=4, lengths=[2, 4, 3], seed=22),
        decoder_case('attention_concat_lstm', 'lstm', 'concat', V=9, E=4, H=5, L=1, Dm=10, B=3, S=5, T=3, lengths=[5, 1, 3], seed=33),
        seq2seq_case('attention_seq2seq_bilstm', Vs=10, V=9, E=4, H=5, L=2, B=3, S=6, T=4, lengths=[6, 3, 5], seed=44),
    ]
    for c in cases:
        path = os.path.join(OUT_DIR, f"{c['case']}.json")
        with open(path, 'w') as f:
            json.dump(c, f, separators=(',', ':'))
            f.write('\n')
        print(f"wrote {path} ({os.path.getsize(path)} bytes), loss {c['loss']:.6f}")


if __name__ == '__main__':
    main()
