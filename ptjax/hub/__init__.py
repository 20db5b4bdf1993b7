"""torch.hub without the network: ``get_dir``/``set_dir`` as torch's (``$TORCH_HOME/hub``, default
``~/.cache/torch/hub``), ``load_state_dict_from_url`` served from that directory's ``checkpoints`` cache (where
torch keeps what it downloaded) and loaded with ptjax's checkpoint reader; fetching anything (``load``, ``list``,
``help``, ``download_url_to_file``, a checkpoint not in the cache) raises a RuntimeError that says ptjax does not
download models."""
from __future__ import annotations

import os
from urllib.parse import urlparse

__all__ = ["download_url_to_file", "get_dir", "help", "list", "load", "load_state_dict_from_url", "set_dir"]

_hub_dir = None


def _no_network(what):
    return RuntimeError(f"ptjax does not download models: {what} needs the network, which torch.hub under ptjax "
                        "does not use. Download the files with PyTorch (they are cached under torch.hub.get_dir()) "
                        "or load a local checkpoint with torch.load.")


def get_dir():
    if _hub_dir is not None:
        return _hub_dir
    torch_home = os.path.expanduser(os.getenv("TORCH_HOME", os.path.join(os.getenv("XDG_CACHE_HOME", "~/.cache"),
                                                                         "torch")))
    return os.path.join(torch_home, "hub")


def set_dir(d):
    global _hub_dir
    _hub_dir = os.path.expanduser(d)


def load(repo_or_dir, model, *args, source="github", trust_repo=None, force_reload=False, verbose=True,
         skip_validation=False, **kwargs):
    raise _no_network(f"torch.hub.load({repo_or_dir!r}, {model!r})")


def list(github, force_reload=False, skip_validation=False, trust_repo=None, verbose=True):  # noqa: A001
    raise _no_network(f"torch.hub.list({github!r})")


def help(github, model, force_reload=False, skip_validation=False, trust_repo=None):  # noqa: A001
    raise _no_network(f"torch.hub.help({github!r}, {model!r})")


def download_url_to_file(url, dst, hash_prefix=None, progress=True):
    raise _no_network(f"downloading {url}")


def load_state_dict_from_url(url, model_dir=None, map_location=None, progress=True, check_hash=False,
                             file_name=None, weights_only=True):
    """The checkpoint torch would have cached for ``url`` (``<hub dir>/checkpoints/<file name>``), if present."""
    from ..serialization import load as _load
    model_dir = model_dir or os.path.join(get_dir(), "checkpoints")
    cached = os.path.join(model_dir, file_name or os.path.basename(urlparse(url).path))
    if not os.path.exists(cached):
        raise _no_network(f"downloading {url} (not in the cache: {cached})")
    return _load(cached, map_location=map_location, weights_only=weights_only)
