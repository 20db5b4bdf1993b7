"""``torch._dynamo.config``: the settings ptjax.compile reads.

``recompile_limit`` (alias ``cache_size_limit``, torch's older name): how many programs one compiled function
may build before new inputs run eagerly. ``disable``: every compiled function runs its Python instead.
Other torch settings are accepted as plain attributes (assigning them changes nothing here).
"""
import sys
import types


class _Config(types.ModuleType):
    recompile_limit = 8
    disable = False
    capture_scalar_outputs = False
    suppress_errors = False
    verbose = False

    @property
    def cache_size_limit(self):
        return self.recompile_limit

    @cache_size_limit.setter
    def cache_size_limit(self, value):
        self.recompile_limit = value


sys.modules[__name__].__class__ = _Config
