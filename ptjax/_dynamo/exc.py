"""``torch._dynamo.exc``: the errors ``torch.compile`` raises."""
from .._compile import InvalidBackend, Unsupported

__all__ = ["InvalidBackend", "Unsupported"]
