#!/usr/bin/python3
"""
Golden fixtures for rnnlm, computed by PyTorch (a dev tool only, never a runtime dependency).

Builds PyTorch's word_language_model-style LM in float64 and records, for a fixed seed:
the state dict, inputs, initial state, logits, mean cross-entropy loss, final state and
every parameter gradient. test/golden/lm.test.ts checks our model against these files.

Dimension legend: T time, B batch, E embed, H hidden, L layers, V vocab.

Run:  /usr/bin/python3 scripts/reference/make_golden.py   (writes test/golden/fixtures/*.json)
"""
import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'test', 'golden', 'fixtures')
MAX_BYTES = 200 * 1024

# name, cell, V, E, H, L, tied, T, B, seed
CASES = [
    ('lstm2', 'lstm', 11, 6, 7, 2, False, 5, 3, 101),
    ('gru2', 'gru', 11, 6, 7, 2, False, 5, 3, 202),
    ('rnn_tanh', 'rnn_tanh', 11, 6, 7, 1, False, 5, 3, 303),
    ('rnn_relu', 'rnn_relu', 11, 6, 7, 2, False, 5, 3, 404),
    ('lstm_tied', 'lstm', 11, 8, 8, 1, True, 5, 3, 505),
]


class RNNModel(nn.Module):
    """Same layout and names as pytorch/examples word_language_model (encoder, rnn, decoder)."""

    def __init__(self, cell, V, E, H, L, tied):
        super().__init__()
        self.encoder = nn.Embedding(V, E)
        if cell == 'lstm':
            self.rnn = nn.LSTM(E, H, num_layers=L, dropout=0.0)
        elif cell == 'gru':
            self.rnn = nn.GRU(E, H, num_layers=L, dropout=0.0)
        else:
            self.rnn = nn.RNN(E, H, num_layers=L, nonlinearity=cell[len('rnn_'):], dropout=0.0)
        self.decoder = nn.Linear(H, V)
        if tied:
            assert E == H, 'tying needs embedSize == hiddenSize'
            self.decoder.weight = self.encoder.weight

    def forward(self, ids, hidden):
        emb = self.encoder(ids)  # [T,B,E]
        out, hT = self.rnn(emb, hidden)  # out [T,B,H]
        logits = self.decoder(out)  # [T,B,V]
        return logits.view(-1, logits.size(-1)), hT  # [T*B,V]


def tensor_json(t):
    t = t.detach().to(torch.float64).contiguous()
    return {'shape': list(t.shape), 'data': [float(x) for x in t.view(-1).tolist()]}


def make_case(name, cell, V, E, H, L, tied, T, B, seed):
    torch.manual_seed(seed)
    model = RNNModel(cell, V, E, H, L, tied).double()
    # Default init leaves biases small; perturb them so a dropped bias would show.
    with torch.no_grad():
        for pname, p in model.named_parameters():
            if 'bias' in pname:
                p.add_(torch.randn_like(p) * 0.2)

    ids = torch.randint(0, V, (T, B))  # [T,B]
    targets = torch.randint(0, V, (T, B))  # [T,B]
    h0 = torch.randn(L, B, H, dtype=torch.float64) * 0.5  # [L,B,H]
    c0 = torch.randn(L, B, H, dtype=torch.float64) * 0.5 if cell == 'lstm' else None
    hidden = (h0, c0) if cell == 'lstm' else h0

    # State dict before the backward pass (values are unchanged by it anyway).
    state = {k: tensor_json(v) for k, v in model.state_dict().items()}

    logits, hT = model(ids, hidden)
    loss = F.cross_entropy(logits, targets.view(-1))  # mean over T*B rows
    loss.backward()

    if cell == 'lstm':
        hT, cT = hT
    else:
        cT = None

    # named_parameters() lists a tied weight once, under its first name (encoder.weight).
    grads = {pname: tensor_json(p.grad) for pname, p in model.named_parameters()}
    if tied:
        assert 'decoder.weight' not in grads and 'decoder.weight' in state
        assert state['encoder.weight'] == state['decoder.weight']

    doc = {
        'case': name,
        'torch_version': torch.__version__,
        'config': {
            'cell': cell,
            'vocabSize': V,
            'embedSize': E,
            'hiddenSize': H,
            'numLayers': L,
            'tieWeights': tied,
            'T': T,
            'B': B,
        },
        'seed': seed,
        'state_dict': state,
        'input': [int(x) for x in ids.view(-1).tolist()],  # time-major: index t*B + b
        'target': [int(x) for x in targets.view(-1).tolist()],
        'h0': tensor_json(h0),
        'c0': tensor_json(c0) if c0 is not None else None,
        'logits': tensor_json(logits),
        'loss': float(loss.item()),
        'hT': tensor_json(hT),
        'cT': tensor_json(cT) if cT is not None else None,
        'grads': grads,
    }
    if tied:
        doc['tied_grad_name'] = 'encoder.weight'
    return doc


def dump(doc):
    """JSON with one line per top-level entry and per named tensor; floats via repr (round-trip exact)."""
    lines = ['{']
    items = list(doc.items())
    for i, (k, v) in enumerate(items):
        comma = ',' if i < len(items) - 1 else ''
        if k in ('state_dict', 'grads'):
            sub = list(v.items())
            lines.append(f'  {json.dumps(k)}: {{')
            for j, (sk, sv) in enumerate(sub):
                c = ',' if j < len(sub) - 1 else ''
                lines.append(f'    {json.dumps(sk)}: {json.dumps(sv, separators=(",", ":"))}{c}')
            lines.append(f'  }}{comma}')
        else:
            lines.append(f'  {json.dumps(k)}: {json.dumps(v, separators=(",", ":"))}{comma}')
    lines.append('}')
    return '\n'.join(lines) + '\n'


def main():
    torch.set_default_dtype(torch.float64)
    os.makedirs(OUT_DIR, exist_ok=True)
    for case in CASES:
        doc = make_case(*case)
        text = dump(doc)
        assert json.loads(text) == json.loads(json.dumps(doc)), 'formatter changed the data'
        if len(text.encode()) > MAX_BYTES:
            sys.exit(f'{case[0]}: fixture is {len(text)} bytes, over the {MAX_BYTES} limit; shrink the case')
        path = os.path.join(OUT_DIR, f'{case[0]}.json')
        with open(path, 'w') as f:
            f.write(text)
        print(f'wrote {os.path.relpath(path)} ({len(text)} bytes, loss {doc["loss"]!r})')


if __name__ == '__main__':
    main()
