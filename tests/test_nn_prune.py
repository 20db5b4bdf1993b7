"""torch.nn.utils.prune against torch: the reparametrization (names, hooks, state_dict), the masks of the
deterministic methods alone, in series and global, gradients through the mask, remove, and the errors."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("torch.nn.utils.prune")  # as in torch, ``nn.utils`` does not import ``prune``

import ptjax  # noqa: E402
import ptjax.nn as pnn  # noqa: E402
import ptjax.nn.utils.prune  # noqa: E402,F401
from _ops_harness import to_numpy  # noqa: E402

LIBS = ((ptjax, pnn), (torch, torch.nn))


def net(lib, nn):
    """A small conv + linear net with the same distinct weights in both libraries."""
    model = nn.Sequential(nn.Conv2d(2, 4, 3), nn.Flatten(), nn.Linear(16, 3))
    with lib.no_grad():
        for i, p in enumerate(model.parameters()):
            p.copy_(lib.tensor(np.sin(np.arange(p.numel()) * 0.37 + i + 0.1).reshape(tuple(p.shape)),
                               dtype=lib.float32))
    return model


def summary(lib, nn, model):
    x = lib.tensor(np.linspace(-1, 1, 2 * 2 * 4 * 4).reshape(2, 2, 4, 4), dtype=lib.float32)
    model(x).pow(2).sum().backward()
    out = {"params": [n for n, _ in model.named_parameters()], "buffers": [n for n, _ in model.named_buffers()],
           "state": list(model.state_dict()), "pruned": nn.utils.prune.is_pruned(model)}
    pruned = [("conv.weight", model[0].weight), ("fc.weight", model[2].weight)]
    for name, t in list(model.state_dict().items()) + pruned:
        out[name] = to_numpy(t.detach()).round(6).tolist()
    return out, [to_numpy(p.grad) for p in model.parameters()]


def both(steps):
    results = []
    for lib, nn in LIBS:
        model = net(lib, nn)
        steps(lib, nn.utils.prune, model)
        results.append(summary(lib, nn, model))
    (mine, my_grads), (theirs, their_grads) = results
    assert mine == theirs
    for g, tg in zip(my_grads, their_grads):
        np.testing.assert_allclose(g, tg, rtol=1e-5, atol=1e-5)


def test_l1_and_ln_structured_in_series_then_remove():
    def steps(lib, prune, model):
        prune.l1_unstructured(model[0], "weight", amount=0.3)
        prune.ln_structured(model[0], "weight", amount=0.5, n=2, dim=0)
        prune.l1_unstructured(model[0], "bias", amount=2)
        prune.ln_structured(model[2], "weight", amount=1, n=1, dim=-1)
        assert [type(m).__name__ for m in next(h for h in model[0]._forward_pre_hooks.values()
                                               if h._tensor_name == "weight")] == ["L1Unstructured", "LnStructured"]
        prune.remove(model[2], "weight")
    both(steps)


def test_global_custom_identity_and_importance_scores():
    def steps(lib, prune, model):
        prune.identity(model[2], "bias")
        prune.global_unstructured([(model[0], "weight"), (model[2], "weight")], pruning_method=prune.L1Unstructured,
                                  amount=0.25)
        prune.custom_from_mask(model[0], "bias", mask=lib.tensor([1.0, 0.0, 1.0, 0.0]))
        scores = lib.arange(48.0).reshape(3, 16)
        prune.l1_unstructured(model[2], "weight", amount=5, importance_scores=scores)
    both(steps)


def test_random_methods_prune_the_amount():
    model = net(ptjax, pnn)
    pnn.utils.prune.random_unstructured(model[2], "weight", amount=0.25)
    pnn.utils.prune.random_structured(model[0], "weight", amount=2, dim=1)
    assert int((model[2].weight_mask == 0).sum()) == 12
    kept = model[0].weight_mask.sum(dim=(0, 2, 3))
    assert sorted(to_numpy(kept).tolist()) == [0.0, 0.0] or sorted(to_numpy(kept).tolist()) == [0.0, 36.0]


@pytest.mark.parametrize("call", [
    lambda prune, m: prune.l1_unstructured(m, "weight", amount=1.5),
    lambda prune, m: prune.l1_unstructured(m, "weight", amount=-1),
    lambda prune, m: prune.l1_unstructured(m, "weight", amount="a"),
    lambda prune, m: prune.l1_unstructured(m, "weight", amount=100),
    lambda prune, m: prune.ln_structured(m, "bias", amount=1, n=2, dim=0),
    lambda prune, m: prune.remove(m, "weight"),
    lambda prune, m: prune.global_unstructured([(m, "weight")], pruning_method=prune.LnStructured, amount=1, n=2),
])
def test_errors_match_torch(call):
    errors = []
    for _, nn in LIBS:
        model = nn.Linear(4, 3)
        with pytest.raises(Exception) as info:
            call(nn.utils.prune, model)
        errors.append((type(info.value).__name__, str(info.value).replace("torch.nn.utils", "ptjax.nn.utils"),
                       [n for n, _ in model.named_parameters()], [n for n, _ in model.named_buffers()]))
    assert errors[0] == errors[1]
