"""``torch.distributed.elastic``: only what training scripts import from it (``multiprocessing.errors.record``)."""
