"""PyTorch as a peer: each workload written by hand as idiomatic PyTorch (CPU, float32).

The same algorithm, shapes and initial values as the pure-JAX floor (``workloads.data_*``):
reverse mode through ``torch.autograd`` (``backward`` and a ``torch.optim.SGD`` step for the
training workloads, ``torch.autograd.grad`` for the others), ``torch.func.jacrev`` and ``vmap``
for the Jacobians, reverse over reverse for the HVP (double backward in eager mode;
``torch.func.grad`` of ``torch.func.grad`` under ``torch.compile``, which cannot compile a
double backward). Parameters are leaf tensors updated in place, as in a PyTorch training loop.
Each ``wN(compiled, quick)`` returns ``(run, args)`` like the TF2 workloads, with the step
wrapped in ``torch.compile`` when ``compiled``; ``run`` returns the floor's values in the
floor's order and layout (W6 runs in PyTorch's NCHW/OIHW layout and hands its gradients back as
NHWC/HWIO).
"""
import numpy as np
import torch
import torch.nn.functional as F

from . import workloads as wl


def _wrap(compiled):
    """``torch.compile`` from a fresh compiler state (as in a process of its own), or identity."""
    if not compiled:
        return lambda f: f
    torch.compiler.reset()
    return torch.compile


def _tensor(value, requires_grad=False):
    return torch.tensor(np.asarray(value)).requires_grad_(requires_grad)


def _sgd_runner(compiled, loss_fn, params, lr):
    """A training step (``backward``, then ``SGD``) over leaf tensors; returns loss and grads."""
    optimizer = torch.optim.SGD(params, lr=lr)

    def step(*batch):
        optimizer.zero_grad()
        loss = loss_fn(*batch)
        loss.backward()
        optimizer.step()
        return loss.detach(), [p.grad for p in params]
    return _wrap(compiled)(step)


def w1(compiled, quick):
    def step(x):
        y = x * x * x
        (grad,) = torch.autograd.grad(y, x)
        return y.detach(), grad
    return _wrap(compiled)(step), (_tensor(wl.data_w1(quick)["x"], requires_grad=True),)


def w2(compiled, quick):
    def step(x):
        y = x
        for _ in range(wl.W2_REPEATS):
            y = torch.tanh(torch.sin(y) * 0.9 + 0.1)
        loss = y.sum()
        (grad,) = torch.autograd.grad(loss, x)
        return loss.detach(), grad
    return _wrap(compiled)(step), (_tensor(wl.data_w2(quick)["x"], requires_grad=True),)


def w3(compiled, quick):
    d = wl.data_w3(quick)
    params = [_tensor(p, requires_grad=True) for p in d["params"]]

    def loss_fn(x, y):
        w1, b1, w2, b2, w3, b3 = params
        h = torch.relu(x @ w1 + b1)
        h = torch.relu(h @ w2 + b2)
        return F.cross_entropy(h @ w3 + b3, y)  # y: one-hot class probabilities
    return _sgd_runner(compiled, loss_fn, params, 0.01), (_tensor(d["x"]), _tensor(d["y"]))


def w4(compiled, quick):
    d = wl.data_w4(quick)
    w = _tensor(d["w"])

    def layer(x):
        return torch.tanh(w @ x)

    def step(x, xs):
        return torch.func.jacrev(layer)(x), torch.func.vmap(torch.func.jacrev(layer))(xs)
    return _wrap(compiled)(step), (_tensor(d["x"]), _tensor(d["xs"]))


def w5(compiled, quick):
    d = wl.data_w5(quick)

    def rosenbrock(x):
        head, tail = x[:-1], x[1:]
        return torch.sum(100.0 * torch.square(tail - torch.square(head))
                         + torch.square(1.0 - head))

    def double_backward(x, v):
        f = rosenbrock(x)
        (grad,) = torch.autograd.grad(f, x, create_graph=True)
        (hvp,) = torch.autograd.grad(torch.dot(grad, v), x)
        return f.detach(), grad.detach(), hvp

    def functional(x, v):
        grad, f = torch.func.grad_and_value(rosenbrock)(x)
        hvp = torch.func.grad(lambda x: torch.dot(torch.func.grad(rosenbrock)(x), v))(x)
        return f, grad, hvp
    x = _tensor(d["x"], requires_grad=not compiled)
    return _wrap(compiled)(functional if compiled else double_backward), (x, _tensor(d["v"]))


def w6(compiled, quick):
    d = wl.data_w6(quick)
    k1, c1, k2, c2, w, b = (torch.from_numpy(p) for p in d["params"])
    # HWIO kernels as OIHW; dense rows from NHWC's (h, w, c) flattening order to NCHW's (c, h, w)
    params = [k1.permute(3, 2, 0, 1), c1, k2.permute(3, 2, 0, 1), c2,
              w.reshape(7, 7, 64, 10).permute(2, 0, 1, 3).reshape(-1, 10), b]
    params = [p.contiguous().clone().requires_grad_() for p in params]

    def loss_fn(x, y):
        k1, c1, k2, c2, w, b = params
        h = F.max_pool2d(torch.relu(F.conv2d(x, k1, c1, padding=1)), 2)
        h = F.max_pool2d(torch.relu(F.conv2d(h, k2, c2, padding=1)), 2)
        return F.cross_entropy(h.flatten(1) @ w + b, y)

    train = _sgd_runner(compiled, loss_fn, params, 0.01)

    def run(x, y):
        loss, (gk1, gc1, gk2, gc2, gw, gb) = train(x, y)
        gw = gw.reshape(64, 7, 7, 10).permute(1, 2, 0, 3).reshape(-1, 10)
        return loss, [gk1.permute(2, 3, 1, 0), gc1, gk2.permute(2, 3, 1, 0), gc2, gw, gb]
    x = torch.from_numpy(d["x"]).permute(0, 3, 1, 2).contiguous()
    return run, (x, _tensor(d["y"]))


def w7(compiled, quick):
    d = wl.data_w7(quick)
    batch, seq, width, heads, _ = wl.w7_dims(quick)
    params = [_tensor(p, requires_grad=True) for p in d["params"]]

    def layer_norm(x, gain, bias):  # by hand, as in the workload
        mean = x.mean(-1, keepdim=True)
        var = torch.square(x - mean).mean(-1, keepdim=True)
        return (x - mean) * torch.rsqrt(var + 1e-5) * gain + bias

    def split_heads(x):  # (batch, heads, seq, width / heads)
        return x.view(batch, seq, heads, width // heads).transpose(1, 2)

    def loss_fn(x, target):
        g1, b1, wq, wk, wv, wo, g2, b2, w1, c1, w2, c2 = params
        h = layer_norm(x, g1, b1)
        q, k, v = (split_heads(h @ m) for m in (wq, wk, wv))
        scores = q @ k.transpose(-2, -1) * (1 / (width // heads) ** 0.5)
        context = (torch.softmax(scores, dim=-1) @ v).transpose(1, 2).reshape(batch, seq, width)
        x = x + context @ wo
        h = layer_norm(x, g2, b2) @ w1 + c1
        h = 0.5 * h * (1.0 + torch.tanh(0.7978845608 * (h + 0.044715 * h * h * h)))
        return torch.mean(torch.square(x + h @ w2 + c2 - target))
    return (_sgd_runner(compiled, loss_fn, params, 0.01), (_tensor(d["x"]), _tensor(d["target"])))


def w8(compiled, quick):
    d = wl.data_w8(quick)
    steps = wl.w8_steps(quick)
    initial = [torch.from_numpy(p) for p in d["params"]]
    params = [p.clone().requires_grad_() for p in initial]
    optimizer = torch.optim.SGD(params, lr=0.05)

    def train_step(x, y):
        w1, b1, w2, b2, w3, b3 = params
        optimizer.zero_grad()
        h = torch.tanh(x @ w1 + b1)
        h = torch.tanh(h @ w2 + b2)
        loss = torch.mean(torch.square(h @ w3 + b3 - y))
        loss.backward()
        optimizer.step()
        return loss.detach()

    train_step = _wrap(compiled)(train_step)
    batches = [(torch.from_numpy(x), torch.from_numpy(y)) for x, y in zip(d["xs"], d["ys"])]

    def run():
        with torch.no_grad():
            for p, value in zip(params, initial):
                p.copy_(value)
        loss = None
        for i in range(steps):
            loss = train_step(*batches[i % wl.W8_BATCHES])
        return loss, [p.detach() for p in params]
    return run, ()


TORCH = {"w1": w1, "w2": w2, "w3": w3, "w4": w4, "w5": w5, "w6": w6, "w7": w7, "w8": w8}
