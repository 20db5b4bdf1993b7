"""``torch._dynamo.utils.counters``: how often ptjax.compile compiled, broke a graph, or ran eagerly.

``counters["stats"]`` holds ptjax's counts (``compiles``, ``recompiles``, ``graph_breaks``, ``eager_calls``,
``compiled_calls``); ``counters["graph_break"]`` is kept for code that reads torch's key.
"""
from .._compile import COUNTERS

counters = {"stats": COUNTERS, "graph_break": {}}
