"""``torch.distributed`` on JAX's distributed runtime.

* :mod:`.process_group`: ``init_process_group`` (joins ``jax.distributed``), ranks, the mesh of one device per rank.
* :mod:`.collectives`: tensor collectives in place (XLA's all-reduce, all-gather … over that mesh).
* :mod:`.objects`: collectives of Python objects (pickled through the same collectives).
* ``python -m ptjax.distributed.run``: a torchrun-style launcher (:mod:`.run`).

See ``docs/distributed.md`` for a guide and for what differs from torch.
"""
from .collectives import (
    ReduceOp,
    Work,
    all_gather,
    all_gather_into_tensor,
    all_reduce,
    all_reduce_coalesced,
    barrier,
    broadcast,
    gather,
    reduce,
    reduce_scatter,
    reduce_scatter_tensor,
    scatter,
)
from .objects import all_gather_object, broadcast_object_list, gather_object
from .process_group import (
    Backend,
    GroupMember,
    ProcessGroup,
    default_pg_timeout,
    destroy_process_group,
    get_backend,
    get_rank,
    get_world_size,
    group,
    init_process_group,
    is_available,
    is_gloo_available,
    is_initialized,
    is_nccl_available,
    is_torchelastic_launched,
    new_group,
)

__all__ = ["Backend", "GroupMember", "ProcessGroup", "ReduceOp", "Work", "all_gather", "all_gather_into_tensor",
           "all_gather_object", "all_reduce", "all_reduce_coalesced", "barrier", "broadcast", "broadcast_object_list",
           "default_pg_timeout", "destroy_process_group", "gather", "gather_object", "get_backend", "get_rank",
           "get_world_size", "group", "init_process_group", "is_available", "is_gloo_available", "is_initialized",
           "is_nccl_available", "is_torchelastic_launched", "new_group", "reduce", "reduce_scatter",
           "reduce_scatter_tensor", "scatter"]
