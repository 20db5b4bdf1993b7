"""``torch.distributed.elastic.multiprocessing.errors.record`` for scripts that decorate their entry point."""

__all__ = ["record"]


def record(fn, error_handler=None):
    """torch's ``@record``: returns ``fn`` unchanged. Under ``python -m ptjax.distributed.run`` every worker's
    traceback is already recorded and shown by the launcher, decorated or not."""
    return fn
