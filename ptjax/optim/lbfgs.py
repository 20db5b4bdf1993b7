"""L-BFGS with torch's algorithm: the two-loop recursion over the last ``history_size`` curvature pairs, a fixed
step (``lr``; ``min(1, 1 / |g|_1) * lr`` on the very first iteration) or torch's strong-Wolfe line search (cubic
interpolation, bracketing then zoom), and torch's stopping rules (``tolerance_grad`` on the largest gradient
entry, ``tolerance_change`` on the directional derivative, the step and the loss change, ``max_iter``,
``max_eval``).

Unlike the other optimizers this is not one jitted update: every iteration calls the closure and branches on the
values it returns, so the loop is Python. Vectors (the flat direction, gradient and history) are JAX arrays on the
parameters' device, moved by a few jitted kernels compiled once per parameter structure; scalars torch keeps as
0-d tensors and reads back with ``item()`` for its branches and ``alpha=`` arguments (the dot products, ``t``,
``ro``, ``al``, ``H_diag``) are NumPy scalars of the same dtype, so they round as torch's do without a JAX kernel
per scalar operation. The state holds torch's keys in torch's order (``func_evals``, ``n_iter``, ``al``, ``d``,
``t``, ``old_dirs``, ``old_stps``, ``ro``, ``H_diag``, ``prev_flat_grad``, ``prev_loss``) with tensors (0-d ones
for those scalars) where torch has them, so a torch LBFGS state_dict loads here and the other way round.
Differences from torch: the reductions (dot products, sums) may round differently from torch's CPU kernels, so
a run agrees with torch's to floating-point precision, not to the last bit.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from .._tensor import Tensor
from ..autograd.grad_mode import enable_grad, no_grad
from .optimizer import Optimizer, _as_complex, _as_real, _check_lr

__all__ = ["LBFGS"]


def _cubic_minimum(x1, f1, g1, x2, f2, g2, bounds=None):
    """The minimizer of the cubic through (x1, f1) and (x2, f2) with slopes g1 and g2, clipped to ``bounds``
    (default: the interval between x1 and x2); the interval's midpoint where the cubic has no minimum."""
    lo, hi = bounds if bounds is not None else ((x1, x2) if x1 <= x2 else (x2, x1))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 ** 2 - g1 * g2
    if not d2_square >= 0:   # no real minimum (or NaN): the middle
        return (lo + hi) / 2.0
    d2 = np.sqrt(d2_square)
    if x1 <= x2:
        x = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        x = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(x, lo), hi)


class _Point:
    """One trial step of the line search: step length, loss, flat gradient and directional derivative."""
    __slots__ = ("t", "f", "g", "gtd")

    def __init__(self, t, f, g, gtd):
        self.t, self.f, self.g, self.gtd = t, f, g, gtd


def _strong_wolfe(evaluate, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25):
    """torch's strong-Wolfe line search along ``d`` from loss ``f``, gradient ``g`` and slope ``gtd``, first trial
    step ``t``. ``evaluate(t)`` returns (loss, flat gradient) at ``x + t d``. Returns (loss, gradient, t, evals)."""
    d_norm = _max_abs(d)
    start = _Point(0, f, g, gtd)
    prev = start
    new = _Point(t, *evaluate(t), None)
    new.gtd = _dot(new.g, d)
    evals = 1
    ls_iter = 0
    done = False
    bracket = None
    # phase 1: grow the step until an interval brackets a point satisfying the strong Wolfe conditions
    while ls_iter < max_ls:
        if new.f > f + c1 * new.t * gtd or (ls_iter > 1 and new.f >= prev.f):
            bracket = [prev, new]
            break
        if abs(new.gtd) <= -c2 * gtd:
            bracket, done = [new], True
            break
        if new.gtd >= 0:
            bracket = [prev, new]
            break
        t_next = _cubic_minimum(prev.t, prev.f, prev.gtd, new.t, new.f, new.gtd,
                                bounds=(new.t + 0.01 * (new.t - prev.t), new.t * 10))
        prev = new
        new = _Point(t_next, *evaluate(t_next), None)
        new.gtd = _dot(new.g, d)
        evals += 1
        ls_iter += 1
    if ls_iter == max_ls:
        bracket = [start, new]

    # phase 2: zoom into the bracket
    insufficient_progress = False
    low, high = (0, 1) if bracket[0].f <= bracket[-1].f else (1, 0)
    while not done and ls_iter < max_ls:
        ends = (bracket[0].t, bracket[1].t)
        if abs(ends[1] - ends[0]) * d_norm < tolerance_change:
            break
        t = _cubic_minimum(bracket[0].t, bracket[0].f, bracket[0].gtd, bracket[1].t, bracket[1].f,
                           bracket[1].gtd)
        top, bottom = max(ends), min(ends)
        margin = 0.1 * (top - bottom)
        if min(top - t, t - bottom) < margin:   # too close to an end: move away unless progress was good
            if insufficient_progress or t >= top or t <= bottom:
                t = top - margin if abs(t - top) < abs(t - bottom) else bottom + margin
                insufficient_progress = False
            else:
                insufficient_progress = True
        else:
            insufficient_progress = False
        new = _Point(t, *evaluate(t), None)
        new.gtd = _dot(new.g, d)
        evals += 1
        ls_iter += 1
        if new.f > f + c1 * t * gtd or new.f >= bracket[low].f:
            bracket[high] = new
            low, high = (0, 1) if bracket[0].f <= bracket[1].f else (1, 0)
        else:
            if abs(new.gtd) <= -c2 * gtd:
                done = True
            elif new.gtd * (bracket[high].t - bracket[low].t) >= 0:
                bracket[high] = bracket[low]
            bracket[low] = new
    best = bracket[low]
    return best.f, best.g, best.t, evals


def _host(x):
    """A 0-d JAX array as a NumPy scalar of its dtype (what torch's ``item()`` and 0-d tensor arithmetic see)."""
    return np.asarray(x)[()]


def _dot(a, b):
    return _host(jnp.dot(a, b))


@jax.jit
def _flatten(grads):
    """The gradients as one flat vector (complex ones as pairs of reals, as torch's view_as_real)."""
    return jnp.concatenate([(_as_real(g) if jnp.iscomplexobj(g) else g).ravel() for g in grads])


@jax.jit
def _moved(values, step_size, direction):
    """``values + step_size * direction``, each value taking its slice of the flat direction."""
    out, offset = [], 0
    for value in values:
        real = _as_real(value) if jnp.iscomplexobj(value) else value
        piece = direction[offset:offset + real.size].reshape(real.shape).astype(real.dtype)
        moved = real + step_size.astype(real.dtype) * piece
        out.append(_as_complex(moved, value.dtype) if jnp.iscomplexobj(value) else moved)
        offset += real.size
    return out


@jax.jit
def _axpy(x, alpha, y):
    """``x + alpha * y`` (torch's ``x.add_(y, alpha=alpha)``: alpha in x's dtype)."""
    return x + alpha.astype(x.dtype) * y


@jax.jit
def _scaled(x, alpha):
    return x * alpha.astype(x.dtype)


def _max_abs(x):
    return _host(_jitted_max_abs(x))


_jitted_max_abs = jax.jit(lambda x: jnp.max(jnp.abs(x)))


def _arrays(value):
    """State as loaded (Tensors, lists of Tensors) -> the loop's values: 0-d tensors become NumPy scalars, others
    JAX arrays; numbers stay numbers."""
    if isinstance(value, Tensor):
        return _host(value._value) if value.dim() == 0 else value._value
    if isinstance(value, list):
        return [_arrays(v) for v in value]
    return value


def _tensors(value):
    """The loop's values -> Tensors for the state (what state_dict() hands out, as torch's does)."""
    if isinstance(value, list):
        return [_tensors(v) for v in value]
    if isinstance(value, np.generic):
        return Tensor._from_host(np.array(value))
    if isinstance(value, jax.Array):
        return Tensor._make(value)
    return value


class LBFGS(Optimizer):
    """torch.optim.LBFGS: one parameter group; ``step(closure)`` runs up to ``max_iter`` iterations."""

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7, tolerance_change=1e-9,
                 history_size=100, line_search_fn=None):
        _check_lr(lr)
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = dict(lr=lr, max_iter=max_iter, max_eval=max_eval, tolerance_grad=tolerance_grad,
                        tolerance_change=tolerance_change, history_size=history_size, line_search_fn=line_search_fn)
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    # ---- the parameters as one flat vector ----------------------------------------------------------------------
    def _flat_grad(self):
        return _flatten([p._grad._value if p._grad is not None else jnp.zeros(p.shape, p._data.dtype)
                         for p in self._params])

    def _move(self, step_size, direction):
        """``params += step_size * direction`` (torch's ``p.add_(slice, alpha=step_size)``)."""
        step = np.asarray(step_size, dtype=direction.dtype)
        for p, v in zip(self._params, _moved(self._snapshot(), step, direction)):
            p._write(v)

    def _snapshot(self):
        return [p._value for p in self._params]

    def _restore(self, values):
        for p, v in zip(self._params, values):
            p._write(v)

    def _evaluate_at(self, closure, x, t, d):
        """Loss and flat gradient at ``x + t d``; the parameters are put back to ``x`` afterwards."""
        self._move(t, d)
        loss = float(closure())
        flat_grad = self._flat_grad()
        self._restore(x)
        return loss, flat_grad

    def step(self, closure):
        return self._with_step_hooks(self._run, closure)

    def _run(self, closure):
        def evaluate():
            with enable_grad():
                return closure()

        with no_grad():
            return self._iterate(evaluate)

    def _iterate(self, closure):
        group = self.param_groups[0]
        lr = group["lr"].item() if isinstance(group["lr"], Tensor) else group["lr"]   # an int lr stays an int
        max_iter, max_eval = group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        line_search_fn, history_size = group["line_search_fn"], group["history_size"]

        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss = closure()
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1
        flat_grad = self._flat_grad()
        if _max_abs(flat_grad) <= tolerance_grad:   # already optimal
            return orig_loss

        d, t = _arrays(state.get("d")), _arrays(state.get("t"))
        old_dirs, old_stps = _arrays(state.get("old_dirs")), _arrays(state.get("old_stps"))
        ro = _arrays(state.get("ro"))
        H_diag, prev_flat_grad = _arrays(state.get("H_diag")), _arrays(state.get("prev_flat_grad"))
        prev_loss = state.get("prev_loss")

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d = -flat_grad
                old_dirs, old_stps, ro = [], [], []
                H_diag = 1
            else:
                d, H_diag = self._direction(state, flat_grad, prev_flat_grad, d, t, old_dirs, old_stps, ro, H_diag,
                                            history_size)
            prev_flat_grad = flat_grad
            prev_loss = loss
            t = min(1.0, 1.0 / _host(jnp.sum(jnp.abs(flat_grad)))) * lr if state["n_iter"] == 1 else lr
            gtd = _dot(flat_grad, d)
            if gtd > -tolerance_change:   # not a descent direction any more
                break

            ls_func_evals = 0
            if line_search_fn is not None:
                if line_search_fn != "strong_wolfe":
                    raise RuntimeError("only 'strong_wolfe' is supported")
                x_init = self._snapshot()
                loss, flat_grad, t, ls_func_evals = _strong_wolfe(
                    lambda step: self._evaluate_at(closure, x_init, step, d), t, d, loss, flat_grad, gtd,
                    max_ls=max_eval - current_evals)
                self._move(t, d)
                opt_cond = _max_abs(flat_grad) <= tolerance_grad
            else:
                self._move(t, d)
                opt_cond = False
                if n_iter != max_iter:   # re-evaluate, unless this was the last iteration
                    loss = float(closure())
                    flat_grad = self._flat_grad()
                    opt_cond = _max_abs(flat_grad) <= tolerance_grad
                    ls_func_evals = 1
            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals

            if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                break
            if _max_abs(_scaled(d, np.asarray(t))) <= tolerance_change or \
                    abs(loss - prev_loss) < tolerance_change:
                break

        for key, value in (("d", d), ("t", t), ("old_dirs", old_dirs), ("old_stps", old_stps), ("ro", ro),
                           ("H_diag", H_diag), ("prev_flat_grad", prev_flat_grad), ("prev_loss", prev_loss)):
            state[key] = _tensors(value)
        return orig_loss

    @staticmethod
    def _direction(state, flat_grad, prev_flat_grad, d, t, old_dirs, old_stps, ro, H_diag, history_size):
        """Record the last curvature pair (if it has positive curvature) and return the quasi-Newton direction
        ``-H g`` by the two-loop recursion, with the new ``H_diag``."""
        y = flat_grad - prev_flat_grad
        s = _scaled(d, np.asarray(t))
        ys = _dot(y, s)
        if ys > 1e-10:
            if len(old_dirs) == history_size:   # forget the oldest pair
                old_dirs.pop(0)
                old_stps.pop(0)
                ro.pop(0)
            old_dirs.append(y)
            old_stps.append(s)
            ro.append(1.0 / ys)
            H_diag = ys / _dot(y, y)
        if "al" not in state:
            state["al"] = [None] * history_size
        al = _arrays(state["al"])
        q = -flat_grad
        for i in range(len(old_dirs) - 1, -1, -1):
            al[i] = _dot(old_stps[i], q) * ro[i]
            q = _axpy(q, np.asarray(-al[i]), old_dirs[i])
        r = _scaled(q, np.asarray(H_diag))
        for i in range(len(old_dirs)):
            be_i = _dot(old_dirs[i], r) * ro[i]
            r = _axpy(r, np.asarray(al[i] - be_i), old_stps[i])
        state["al"] = _tensors(al)
        return r, H_diag
