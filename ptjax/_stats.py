"""Counters of the work ptjax does behind the API, read by tests and benchmarks (``dict(STATS)`` snapshots).

* ``kernel_compiles``: traces of a compiled op kernel (``jit=True`` entries), once per (op, static args, shapes).
* ``node_vjp_compiles``: traces of a per-node pullback (the engine's first sight of a graph shape).
* ``fused_compiles``: traces of a fused backward (a graph signature seen twice).
* ``optimizer_steps`` / ``optimizer_traces``: parameter-group updates run / traced by ``torch.optim``.
"""

STATS = {"kernel_compiles": 0, "node_vjp_compiles": 0, "fused_compiles": 0, "optimizer_steps": 0,
         "optimizer_traces": 0}
