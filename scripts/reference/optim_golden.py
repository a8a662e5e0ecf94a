#!/usr/bin/env python3
"""Golden values for src/optim from PyTorch itself.

Writes test/golden/fixtures/optim.json with:
  optimizers: several steps of torch.optim.{SGD,Adam,AdamW,Adagrad,RMSprop} on two small
              parameters (one of them without a gradient on some steps), float64 and float32;
  clip:       torch.nn.utils.clip_grad_norm_ on small gradient sets;
  plateau:    torch.optim.lr_scheduler.ReduceLROnPlateau learning rates for metric sequences;
  steplr:     torch.optim.lr_scheduler.StepLR learning rates per epoch.

Run from the repository root:  python3 scripts/reference/optim_golden.py
Option names in the JSON are the camelCase names the TypeScript side takes.
"""
import json
import os

import torch

STEPS = 5
# (case name, optimizer name, TS options, dtype)
CASES = [
    ("sgd_plain", "sgd", {"lr": 0.1}, "float64"),
    ("sgd_momentum_dampening_wd", "sgd", {"lr": 0.05, "momentum": 0.9, "dampening": 0.1, "weightDecay": 0.01}, "float64"),
    ("sgd_nesterov_wd", "sgd", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weightDecay": 1e-3}, "float64"),
    ("adam_default", "adam", {"lr": 1e-2}, "float64"),
    ("adam_wd_betas_eps", "adam", {"lr": 3e-2, "betas": [0.8, 0.99], "eps": 1e-6, "weightDecay": 0.1}, "float64"),
    ("adamw_default", "adamw", {"lr": 1e-2}, "float64"),
    ("adamw_wd", "adamw", {"lr": 2e-2, "weightDecay": 0.1, "betas": [0.85, 0.995]}, "float64"),
    ("adagrad_default", "adagrad", {"lr": 0.1}, "float64"),
    ("adagrad_all", "adagrad", {"lr": 0.1, "lrDecay": 0.1, "weightDecay": 0.01, "initialAccumulatorValue": 0.5, "eps": 1e-6}, "float64"),
    ("rmsprop_default", "rmsprop", {}, "float64"),
    ("rmsprop_momentum", "rmsprop", {"lr": 1e-2, "alpha": 0.9, "momentum": 0.5}, "float64"),
    ("rmsprop_centered_momentum_wd", "rmsprop", {"lr": 1e-2, "momentum": 0.9, "centered": True, "weightDecay": 0.01, "eps": 1e-6}, "float64"),
    ("rmsprop_centered", "rmsprop", {"lr": 1e-3, "centered": True}, "float64"),
    ("sgd_momentum_f32", "sgd", {"lr": 0.05, "momentum": 0.9, "weightDecay": 0.01}, "float32"),
    ("adam_f32", "adam", {"lr": 1e-2, "weightDecay": 0.05}, "float32"),
    ("adamw_f32", "adamw", {"lr": 1e-2}, "float32"),
    ("adagrad_f32", "adagrad", {"lr": 0.1, "lrDecay": 0.05}, "float32"),
    ("rmsprop_centered_f32", "rmsprop", {"lr": 1e-2, "momentum": 0.9, "centered": True}, "float32"),
]


def torch_optimizer(name, params, o):
    if name == "sgd":
        return torch.optim.SGD(params, lr=o["lr"], momentum=o.get("momentum", 0), dampening=o.get("dampening", 0),
                               weight_decay=o.get("weightDecay", 0), nesterov=o.get("nesterov", False))
    if name in ("adam", "adamw"):
        cls = torch.optim.Adam if name == "adam" else torch.optim.AdamW
        wd = o.get("weightDecay", 0 if name == "adam" else 1e-2)
        return cls(params, lr=o.get("lr", 1e-3), betas=tuple(o.get("betas", (0.9, 0.999))), eps=o.get("eps", 1e-8),
                   weight_decay=wd)
    if name == "adagrad":
        return torch.optim.Adagrad(params, lr=o.get("lr", 1e-2), lr_decay=o.get("lrDecay", 0),
                                   weight_decay=o.get("weightDecay", 0),
                                   initial_accumulator_value=o.get("initialAccumulatorValue", 0), eps=o.get("eps", 1e-10))
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=o.get("lr", 1e-2), alpha=o.get("alpha", 0.99), eps=o.get("eps", 1e-8),
                                   weight_decay=o.get("weightDecay", 0), momentum=o.get("momentum", 0),
                                   centered=o.get("centered", False))
    raise ValueError(name)


def flat(t):
    return [float(x) for x in t.detach().reshape(-1).tolist()]


def optimizer_case(case, name, opts, dtype, seed):
    g = torch.Generator().manual_seed(seed)
    dt = torch.float64 if dtype == "float64" else torch.float32
    shapes = [[2, 3], [4]]
    params = [torch.randn(s, generator=g, dtype=torch.float64).to(dt).requires_grad_(True) for s in shapes]
    init = [{"shape": s, "data": flat(p)} for s, p in zip(shapes, params)]
    opt = torch_optimizer(name, params, opts)
    steps = []
    for k in range(STEPS):
        grads = []
        for i, p in enumerate(params):
            # The second parameter has no gradient on step 2 (it must be skipped, its state untouched).
            if i == 1 and k == 1:
                p.grad = None
                grads.append(None)
                continue
            gr = (torch.randn(p.shape, generator=g, dtype=torch.float64) * (0.5 + k)).to(dt)
            p.grad = gr.clone()
            grads.append(flat(gr))
        opt.step()
        steps.append({"grads": grads, "params": [flat(p) for p in params]})
    return {"name": case, "optimizer": name, "options": opts, "dtype": dtype, "params": init, "steps": steps}


def clip_case(name, shapes, max_norm, scale, dtype, seed, none_index=None):
    g = torch.Generator().manual_seed(seed)
    dt = torch.float64 if dtype == "float64" else torch.float32
    params = [torch.zeros(s, dtype=dt, requires_grad=True) for s in shapes]
    grads = []
    for i, p in enumerate(params):
        if i == none_index:
            grads.append(None)
            continue
        p.grad = (torch.randn(p.shape, generator=g, dtype=torch.float64) * scale).to(dt)
        grads.append(flat(p.grad))
    norm = torch.nn.utils.clip_grad_norm_(params, max_norm)
    return {
        "name": name, "dtype": dtype, "maxNorm": max_norm,
        "params": [{"shape": s, "grad": gr} for s, gr in zip(shapes, grads)],
        "norm": float(norm),
        "clipped": [None if p.grad is None else flat(p.grad) for p in params],
    }


def plateau_case(name, opts, lr0, metrics):
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=lr0)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(
        opt, mode=opts.get("mode", "min"), factor=opts.get("factor", 0.1), patience=opts.get("patience", 10),
        threshold=opts.get("threshold", 1e-4), threshold_mode=opts.get("thresholdMode", "rel"),
        cooldown=opts.get("cooldown", 0), min_lr=opts.get("minLr", 0), eps=opts.get("eps", 1e-8))
    lrs = []
    for m in metrics:
        sched.step(m)
        lrs.append(opt.param_groups[0]["lr"])
    return {"name": name, "options": opts, "lr": lr0, "metrics": metrics, "lrs": lrs}


def steplr_case(step_size, gamma, lr0, epochs):
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=lr0)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=step_size, gamma=gamma)
    lrs = []
    for _ in range(epochs):
        opt.step()  # no gradients: a no-op that keeps the scheduler's call-order check quiet
        sched.step()
        lrs.append(opt.param_groups[0]["lr"])
    return {"stepSize": step_size, "gamma": gamma, "lr": lr0, "lrs": lrs}


def main():
    torch.manual_seed(0)
    out = {
        "generator": "scripts/reference/optim_golden.py",
        "torch": torch.__version__,
        "optimizers": [optimizer_case(c, n, o, d, 100 + i) for i, (c, n, o, d) in enumerate(CASES)],
        "clip": [
            clip_case("clips", [[3, 4], [5]], 1.0, 2.0, "float64", 1),
            clip_case("below_max", [[3, 4], [5]], 100.0, 0.5, "float64", 2),
            clip_case("skips_none", [[2, 2], [3], [6]], 0.5, 1.0, "float64", 3, none_index=1),
            clip_case("clips_f32", [[8, 3], [7]], 0.25, 3.0, "float32", 4),
        ],
        "plateau": [
            plateau_case("min_patience2", {"factor": 0.5, "patience": 2}, 1.0,
                         [5.0, 4.0, 4.0, 4.1, 3.9999, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 2.0]),
            plateau_case("min_rel_threshold_cooldown_minlr", {"factor": 0.1, "patience": 1, "threshold": 0.01, "cooldown": 2,
                                                              "minLr": 0.015}, 1.0,
                         [10.0, 9.95, 9.92, 9.0, 8.95, 8.94, 8.93, 8.92, 8.91, 8.9, 8.89, 8.88, 8.87, 8.86]),
            plateau_case("max_abs", {"mode": "max", "factor": 0.25, "patience": 0, "threshold": 0.1, "thresholdMode": "abs"},
                         0.8, [0.1, 0.3, 0.35, 0.5, 0.55, 0.7, 0.7, 0.9]),
            plateau_case("defaults", {}, 0.01, [1.0] * 25),
        ],
        "steplr": [steplr_case(2, 0.5, 1.0, 7), steplr_case(3, 0.1, 0.3, 10)],
    }
    path = os.path.join("test", "golden", "fixtures", "optim.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
