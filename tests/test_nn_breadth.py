"""Differential tests (against torch) of the nn layers and functionals beyond the basics: padding and distance
modules, ChannelShuffle, EmbeddingBag, the pooling extras (indices, unpooling, fractional, 3-d), grid_sample /
affine_grid, CTC and the other extra losses, AdaptiveLogSoftmaxWithLoss, lazy modules, SyncBatchNorm,
CrossMapLRN2d, and torch's top-level names of nn functionals (``torch.conv2d`` ...)."""
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import torch.nn.functional as TF  # noqa: E402

import ptjax  # noqa: E402
import ptjax.nn as pnn  # noqa: E402
from ptjax.nn import functional as PF  # noqa: E402
from _nn_helpers import NoGrad, assert_close, check_layer, compare, load_from_torch, same_error  # noqa: E402

pytestmark = pytest.mark.usefixtures("fast_compiles")
R = np.random.default_rng(7)


def randn(*shape, dtype=np.float64):
    return R.standard_normal(shape).astype(dtype)


# ---- padding, distance, channel shuffle ---------------------------------------------------------------------------

@pytest.mark.parametrize("expr, shape", [
    ("nn.ZeroPad1d((1, 2))", (2, 3, 4)), ("nn.ZeroPad2d(1)", (1, 2, 3, 3)), ("nn.ZeroPad3d((1, 0, 0, 1, 1, 0))",
                                                                               (1, 1, 2, 2, 2)),
    ("nn.ConstantPad2d((1, 0, 2, 1), 3.5)", (2, 3, 3)), ("nn.ReflectionPad1d(2)", (2, 3, 4)),
    ("nn.ReflectionPad2d((1, 1, 2, 0))", (1, 2, 3, 3)), ("nn.ReplicationPad3d(1)", (1, 1, 2, 2, 2)),
    ("nn.CircularPad2d(1)", (1, 2, 3, 3)), ("nn.ReplicationPad1d((0, 2))", (3, 4)),
])
def test_padding_modules(expr, shape):
    check_layer(expr, [randn(*shape)], eval_too=False)


def test_padding_module_errors():
    same_error(lambda x: pnn.CircularPad2d(1)(x), lambda x: torch.nn.CircularPad2d(1)(x), randn(3, 3))
    same_error(lambda x: pnn.ReflectionPad1d(4)(x), lambda x: torch.nn.ReflectionPad1d(4)(x), randn(2, 3, 4))


def test_distance_modules_and_channel_shuffle():
    check_layer("nn.PairwiseDistance(p=3.0, keepdim=True)", [randn(4, 5), randn(4, 5)], eval_too=False)
    check_layer("nn.CosineSimilarity(dim=0)", [randn(4, 5), randn(4, 5)], eval_too=False)
    check_layer("nn.ChannelShuffle(3)", [randn(2, 6, 2, 2)], eval_too=False)
    compare(PF.native_channel_shuffle, TF.native_channel_shuffle, randn(1, 4, 3), 2, grad=False)
    same_error(PF.channel_shuffle, TF.channel_shuffle, randn(1, 5, 2), 2)
    same_error(PF.channel_shuffle, TF.channel_shuffle, randn(2, 4), 2)
    same_error(PF.channel_shuffle, TF.channel_shuffle, randn(1, 4, 2), 0)


# ---- EmbeddingBag -------------------------------------------------------------------------------------------------

IDX = np.array([1, 2, 4, 5, 4, 3, 2, 9, 2])
OFFSETS = np.array([0, 4, 4, 6])


@pytest.mark.parametrize("kw", [dict(mode="sum"), dict(mode="mean", padding_idx=2), dict(mode="max"),
                                dict(mode="max", padding_idx=4), dict(mode="mean", include_last_offset=True)],
                         ids=str)
def test_embedding_bag(kw):
    compare(lambda i, w, o: PF.embedding_bag(i, w, o, **kw), lambda i, w, o: TF.embedding_bag(i, w, o, **kw),
            IDX, randn(10, 3), OFFSETS)


def test_embedding_bag_2d_input_per_sample_weights_and_module():
    compare(lambda i, w, s: PF.embedding_bag(i, w, mode="sum", per_sample_weights=s),
            lambda i, w, s: TF.embedding_bag(i, w, mode="sum", per_sample_weights=s), IDX[:8].reshape(2, 4),
            randn(10, 3), randn(2, 4))
    check_layer("nn.EmbeddingBag(10, 3, mode='max', padding_idx=-1)", [IDX, OFFSETS], eval_too=False)
    p = pnn.EmbeddingBag.from_pretrained(ptjax.ones(4, 2), mode="sum")
    t = torch.nn.EmbeddingBag.from_pretrained(torch.ones(4, 2), mode="sum")
    assert repr(p) == repr(t) and p.weight.requires_grad == t.weight.requires_grad


@pytest.mark.parametrize("args, kw", [
    ((np.array([0, 10]), None, np.array([0])), {}),
    ((np.array([0, 1]), None, np.array([0, 3])), {}),
    ((np.array([0, 1]), None, None), {}),
    ((np.array([[0, 1]]), None, np.array([0])), {}),
    ((np.array([0, 1]), None, np.array([0])), dict(mode="max", scale_grad_by_freq=True)),
    ((np.array([0, 1]), None, np.array([0])), dict(mode="foo")),
    ((np.array([0, 1]), None, np.array([0])), dict(mode="mean", per_sample_weights=np.ones(2))),
], ids=range(7))
def test_embedding_bag_errors(args, kw):
    i, _, o = args
    kw = {k: NoGrad(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
    for dtype in (np.float64, np.float32):
        same_error(lambda i, w, o, **k: PF.embedding_bag(i, w, o, **k),
                   lambda i, w, o, **k: TF.embedding_bag(i, w, o, **k), i, NoGrad(randn(10, 3, dtype=dtype)), o, **kw)
    with pytest.raises(RuntimeError, match="offsets.0. has to be 0"):
        PF.embedding_bag(ptjax.tensor([0, 1]), ptjax.ones(3, 2), ptjax.tensor([1]))


# ---- pooling extras -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("nd", [1, 2, 3])
def test_max_pool_with_indices_and_unpool(nd):
    shape = (2, 3) + (6, 4, 4)[:nd]
    x = randn(*shape)
    pv, pi = getattr(PF, f"max_pool{nd}d_with_indices")(ptjax.tensor(x), 2)
    tv, ti = getattr(TF, f"max_pool{nd}d_with_indices")(torch.tensor(x), 2)
    assert_close(pv, tv)
    assert_close(pi, ti)
    size = tuple(s + 1 for s in shape[2:])   # output_size within one stride of the default
    compare(lambda v: getattr(PF, f"max_unpool{nd}d")(v, pi, 2, output_size=size),
            lambda v: getattr(TF, f"max_unpool{nd}d")(v, ti, 2, output_size=size), tv.numpy())
    check_layer(lambda nn, lib: getattr(nn, f"MaxUnpool{nd}d")(2), [tv.numpy(), ti.numpy()], eval_too=False)


def test_unpool_errors():
    v, i = TF.max_pool2d(torch.tensor(randn(1, 1, 4, 4)), 2, return_indices=True)
    bad = i.numpy().copy()
    bad.flat[1] = 100  # one invalid index: which of several torch names depends on its thread schedule
    same_error(PF.max_unpool2d, TF.max_unpool2d, v.numpy(), bad, 2)
    same_error(PF.max_unpool2d, TF.max_unpool2d, v.numpy(), i.numpy().astype(np.int32), 2)
    same_error(lambda v, i: PF.max_unpool2d(v, i, 2, output_size=(9, 9)),
               lambda v, i: TF.max_unpool2d(v, i, 2, output_size=(9, 9)), v.numpy(), i.numpy())


@pytest.mark.parametrize("nd", [2, 3])
def test_fractional_max_pool(nd):
    x, u = randn(2, 3, *(7, 8, 9)[-nd:]), R.random((2, 3, nd))
    out, k = (4, 3, 5)[-nd:], (2, 3, 2)[-nd:]
    fn = f"fractional_max_pool{nd}d"
    compare(lambda x: getattr(PF, fn)(x, k, output_size=out, _random_samples=ptjax.tensor(u)),
            lambda x: getattr(TF, fn)(x, k, output_size=out, _random_samples=torch.tensor(u)), x)
    ratio = (0.5,) * nd
    p = getattr(PF, fn)(ptjax.tensor(x), k, output_ratio=ratio, _random_samples=ptjax.tensor(u), return_indices=True)
    t = getattr(TF, fn)(torch.tensor(x), k, output_ratio=ratio, _random_samples=torch.tensor(u), return_indices=True)
    assert_close(p[0], t[0])
    assert_close(p[1], t[1])
    assert getattr(PF, fn)(ptjax.tensor(x), k, output_size=out).shape == t[0].shape[:2] + out   # own random windows
    check_layer(lambda nn, lib: getattr(nn, f"FractionalMaxPool{nd}d")(k, output_size=out,
                                                                      _random_samples=lib.tensor(u)),
                [x], eval_too=False)
    same_error(lambda x: getattr(PF, fn)(x, 5, output_size=6), lambda x: getattr(TF, fn)(x, 5, output_size=6), x)
    with pytest.raises(ValueError, match="output_ratio must be between 0 and 1"):
        getattr(pnn, f"FractionalMaxPool{nd}d")(2, output_ratio=1.5)


def test_adaptive_max_pool3d_lp_pool3d_and_indices():
    x = randn(2, 2, 4, 5, 3)
    check_layer("nn.AdaptiveMaxPool3d((2, 3, None))", [x], eval_too=False)
    for nd in (1, 2, 3):
        y = x[(0,) * (3 - nd)]   # (2, 2, *spatial) with nd spatial dims
        p = getattr(PF, f"adaptive_max_pool{nd}d_with_indices")(ptjax.tensor(y), 2)
        t = getattr(TF, f"adaptive_max_pool{nd}d_with_indices")(torch.tensor(y), 2)
        assert_close(p[0], t[0])
        assert_close(p[1], t[1])
    check_layer("nn.LPPool3d(2, (2, 2, 1))", [np.abs(x) + 0.1], eval_too=False)
    same_error(lambda x: PF.adaptive_max_pool3d(x, 2), lambda x: TF.adaptive_max_pool3d(x, 2), randn(2, 2))


# ---- grid_sample / affine_grid ------------------------------------------------------------------------------------

@pytest.mark.parametrize("nd, mode, padding_mode, align", [
    (2, "bilinear", "zeros", False), (2, "bilinear", "border", True), (2, "nearest", "reflection", False),
    (2, "bicubic", "reflection", True), (3, "bilinear", "reflection", False),
    (3, "nearest", "border", True)])
def test_grid_sample(nd, mode, padding_mode, align):
    x = randn(2, 3, *(4, 5, 6)[-nd:])
    grid = R.random((2,) + (3, 4, 2)[-nd:] + (nd,)) * 2.6 - 1.3
    compare(lambda x, g: PF.grid_sample(x, g, mode, padding_mode, align),
            lambda x, g: TF.grid_sample(x, g, mode, padding_mode, align), x, grid, atol=1e-9)


def test_grid_sample_and_affine_grid_errors_and_warning():
    x = randn(1, 2, 3, 4)
    same_error(lambda x, g: PF.grid_sample(x, g, mode="foo"), lambda x, g: TF.grid_sample(x, g, mode="foo"), x,
               randn(1, 2, 2, 2))
    same_error(lambda x, g: PF.grid_sample(x, g, align_corners=False),
               lambda x, g: TF.grid_sample(x, g, align_corners=False), x, randn(1, 2, 2, 3))
    same_error(lambda x, g: PF.grid_sample(x, g, "bicubic", align_corners=False),
               lambda x, g: TF.grid_sample(x, g, "bicubic", align_corners=False), randn(1, 2, 3, 4, 5),
               randn(1, 2, 2, 2, 3))
    with pytest.warns(UserWarning, match="Default grid_sample and affine_grid behavior"):
        PF.affine_grid(ptjax.tensor(randn(1, 2, 3)), [1, 1, 2, 2])
    same_error(lambda t: PF.affine_grid(t, [2, 3, 4, 5], False), lambda t: TF.affine_grid(t, [2, 3, 4, 5], False),
               randn(2, 3, 3))
    same_error(lambda t: PF.affine_grid(t, [2, 3, 4], False), lambda t: TF.affine_grid(t, [2, 3, 4], False),
               randn(2, 2, 3))


@pytest.mark.parametrize("size, align", [([2, 3, 4, 5], False), ([2, 3, 1, 5], True), ([2, 1, 2, 3, 4], False)])
def test_affine_grid(size, align):
    theta = randn(2, 2, 3) if len(size) == 4 else randn(2, 3, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compare(lambda t: PF.affine_grid(t, size, align), lambda t: TF.affine_grid(t, size, align), theta)


# ---- losses -------------------------------------------------------------------------------------------------------

LOG_PROBS = torch.tensor(randn(6, 3, 5)).log_softmax(2).numpy()
TARGETS = np.array([[1, 2, 2], [3, 1, 0], [4, 4, 4]])


@pytest.mark.parametrize("reduction, zero_infinity", [("none", False), ("mean", True), ("sum", False)])
def test_ctc_loss(reduction, zero_infinity):
    il, tl = [6, 4, 5], [3, 2, 1]
    # raw log_probs (not normalized) also check torch's gradient convention
    compare(lambda lp, t: PF.ctc_loss(lp, t, il, tl, reduction=reduction, zero_infinity=zero_infinity),
            lambda lp, t: TF.ctc_loss(lp, t, il, tl, reduction=reduction, zero_infinity=zero_infinity),
            LOG_PROBS, TARGETS, atol=1e-9)


def test_ctc_loss_concatenated_unbatched_module_and_errors():
    compare(lambda lp, t, il, tl: PF.ctc_loss(lp, t, il, tl), lambda lp, t, il, tl: TF.ctc_loss(lp, t, il, tl),
            LOG_PROBS, np.array([1, 2, 2, 3, 1, 4]), np.array([6, 4, 5]), np.array([3, 2, 1]), atol=1e-9)
    compare(lambda lp: PF.ctc_loss(lp, ptjax.tensor([1, 2]), [6], [2], reduction="none"),
            lambda lp: TF.ctc_loss(lp, torch.tensor([1, 2]), [6], [2], reduction="none"), LOG_PROBS[:, 0], atol=1e-9)
    impossible = PF.ctc_loss(ptjax.tensor(LOG_PROBS), ptjax.tensor(TARGETS), [1, 4, 5], [3, 2, 1], reduction="none",
                             zero_infinity=True)
    assert_close(impossible, TF.ctc_loss(torch.tensor(LOG_PROBS), torch.tensor(TARGETS), [1, 4, 5], [3, 2, 1],
                                         reduction="none", zero_infinity=True))
    check_layer("nn.CTCLoss(blank=4, reduction='sum')", [LOG_PROBS, np.array([[1, 2, 2], [3, 1, 0], [0, 0, 0]]),
                                                        np.array([6, 4, 5]), np.array([3, 2, 1])], eval_too=False,
                atol=1e-9)
    same_error(lambda lp, t: PF.ctc_loss(lp, t, [7, 4, 5], [3, 2, 1]),
               lambda lp, t: TF.ctc_loss(lp, t, [7, 4, 5], [3, 2, 1]), LOG_PROBS, TARGETS)
    same_error(lambda lp, t: PF.ctc_loss(lp, t, [6, 4, 5], [4, 2, 1]),
               lambda lp, t: TF.ctc_loss(lp, t, [6, 4, 5], [4, 2, 1]), LOG_PROBS, TARGETS)
    same_error(lambda lp, t: PF.ctc_loss(lp, t, [6, 4], [3, 2, 1]),
               lambda lp, t: TF.ctc_loss(lp, t, [6, 4], [3, 2, 1]), LOG_PROBS, TARGETS)


def test_multilabel_margin_and_triplet_with_distance():
    y = np.array([[3, 0, -1, 1], [1, 2, 3, 0], [-1, 1, 1, 1]])
    for red in ("none", "mean"):
        compare(lambda x, t: PF.multilabel_margin_loss(x, t, reduction=red),
                lambda x, t: TF.multilabel_margin_loss(x, t, reduction=red), randn(3, 4), y)
    compare(PF.multilabel_margin_loss, TF.multilabel_margin_loss, randn(4), y[0])
    check_layer("nn.MultiLabelMarginLoss(reduction='sum')", [randn(3, 4), y], eval_too=False)
    same_error(PF.multilabel_margin_loss, TF.multilabel_margin_loss, randn(2, 3), np.array([[0, 5, -1], [1, -1, 0]]))
    same_error(PF.multilabel_margin_loss, TF.multilabel_margin_loss, randn(2, 3), np.array([[0, 1]]))
    a, p, n = randn(4, 3), randn(4, 3), randn(4, 3)
    compare(lambda a, p, n: PF.triplet_margin_with_distance_loss(a, p, n, swap=True, margin=0.5),
            lambda a, p, n: TF.triplet_margin_with_distance_loss(a, p, n, swap=True, margin=0.5), a, p, n)
    check_layer(lambda nn, lib: nn.TripletMarginWithDistanceLoss(
        distance_function=lambda x, y: 1.0 - nn.functional.cosine_similarity(x, y), reduction="none"),
        [a, p, n], eval_too=False)
    check_layer("nn.TripletMarginWithDistanceLoss()", [a, p, n], eval_too=False)
    same_error(lambda a, p, n: PF.triplet_margin_with_distance_loss(a, p, n),
               lambda a, p, n: TF.triplet_margin_with_distance_loss(a, p, n), a, p, n[0])


def test_linear_cross_entropy():
    x, t = randn(4, 3), np.array([0, 4, 2, 1])
    compare(lambda x, w, b, t: PF.linear_cross_entropy(x, w, t, linear_bias=b, label_smoothing=0.1),
            lambda x, w, b, t: TF.linear_cross_entropy(x, w, t, linear_bias=b, label_smoothing=0.1),
            x, randn(5, 3), randn(5), t)
    t2 = np.array([[0, 4], [2, 1], [1, 1], [3, -100]])   # K-dimensional, an ignored position
    compare(lambda x, w: PF.linear_cross_entropy(x, w, ptjax.tensor(t2), reduction="sum"),
            lambda x, w: TF.linear_cross_entropy(x, w, torch.tensor(t2), reduction="sum"), x, randn(5, 2, 3))
    check_layer(lambda nn, lib: nn.LinearCrossEntropyLoss(3, 5, bias=True, options=nn.LinearCrossEntropyOptions()),
                [x.astype(np.float32), t], eval_too=False)
    same_error(lambda x, w: PF.linear_cross_entropy(x, w, ptjax.tensor(t)),
               lambda x, w: TF.linear_cross_entropy(x, w, torch.tensor(t)), x, randn(5, 4))
    with pytest.raises(ValueError, match="invalid acc_policy: 'x'"):
        pnn.LinearCrossEntropyOptions(acc_policy="x")


def test_adaptive_log_softmax_with_loss():
    t = torch.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3, 6], div_value=2.0, head_bias=True)
    p = pnn.AdaptiveLogSoftmaxWithLoss(8, 10, [3, 6], div_value=2.0, head_bias=True)
    assert repr(p) == repr(t)
    load_from_torch(p, t)
    x, y = randn(5, 8, dtype=np.float32), np.array([0, 4, 9, 2, 7])
    to, po = t(torch.tensor(x), torch.tensor(y)), p(ptjax.tensor(x), ptjax.tensor(y))
    assert_close(po.output, to.output)
    assert_close(po.loss, to.loss)
    to.loss.backward()
    po.loss.backward()
    for (name, a), b in zip(p.named_parameters(), t.parameters()):
        assert_close(a.grad, b.grad, what=name)
    assert_close(p.log_prob(ptjax.tensor(x)), t.log_prob(torch.tensor(x)))
    assert_close(p.predict(ptjax.tensor(x)), t.predict(torch.tensor(x)))
    same_error(lambda x, y: p(x, y), lambda x, y: t(x, y), x, np.array([0, 4, 10, 2, 7]))
    with pytest.raises(ValueError, match="cutoffs should be a sequence of unique"):
        pnn.AdaptiveLogSoftmaxWithLoss(8, 10, [6, 3])


# ---- lazy modules, SyncBatchNorm, CrossMapLRN2d, init ------------------------------------------------------------

@pytest.mark.parametrize("make, shape, becomes", [
    (lambda nn: nn.LazyLinear(3), (2, 5), "Linear"),
    (lambda nn: nn.LazyConv2d(4, 3, padding=1), (2, 3, 5, 5), "Conv2d"),
    (lambda nn: nn.LazyConvTranspose1d(2, 3, stride=2), (3, 4), "ConvTranspose1d"),
    (lambda nn: nn.LazyBatchNorm1d(), (4, 3), "BatchNorm1d"),
    (lambda nn: nn.LazyInstanceNorm2d(), (2, 3, 4, 4), "InstanceNorm2d"),
])
def test_lazy_modules(make, shape, becomes):
    t, p = make(torch.nn), make(pnn)
    assert repr(p) == repr(t) and list(p.state_dict()) == list(t.state_dict())
    assert all(pnn.parameter.is_lazy(v) for v in p.parameters())
    x = randn(*shape, dtype=np.float32)
    t(torch.tensor(x)), p(ptjax.tensor(x))
    assert type(p).__name__ == type(t).__name__ == becomes and repr(p) == repr(t)
    check_layer(lambda nn, lib: t if nn is torch.nn else p, [x], eval_too=becomes != "InstanceNorm2d")


def test_lazy_load_state_dict_and_uninitialized_errors():
    p = pnn.LazyLinear(3)
    p.load_state_dict(pnn.Linear(5, 3).state_dict())
    assert tuple(p.weight.shape) == (3, 5) and type(p).__name__ == "LazyLinear"
    u = pnn.parameter.UninitializedParameter()
    assert repr(u) == repr(torch.nn.parameter.UninitializedParameter()) == "<UninitializedParameter>"
    for fn in (lambda u: u.shape, lambda u: u + 1):
        with pytest.raises((RuntimeError, ValueError)) as pe:
            fn(u)
        with pytest.raises((RuntimeError, ValueError)) as te:
            fn(torch.nn.parameter.UninitializedParameter())
        assert type(pe.value) is type(te.value) and str(pe.value) == str(te.value)


def test_sync_batch_norm_cross_map_lrn_and_init_aliases():
    check_layer("nn.SyncBatchNorm(3)", [randn(4, 3, 2, dtype=np.float32)])
    m = pnn.SyncBatchNorm.convert_sync_batchnorm(pnn.Sequential(pnn.Conv2d(2, 3, 1), pnn.BatchNorm2d(3)))
    t = torch.nn.SyncBatchNorm.convert_sync_batchnorm(torch.nn.Sequential(torch.nn.Conv2d(2, 3, 1),
                                                                          torch.nn.BatchNorm2d(3)))
    assert repr(m) == repr(t)
    for size in (3, 4):
        check_layer(f"nn.CrossMapLRN2d({size}, alpha=0.5, beta=0.8, k=2)", [np.abs(randn(2, 6, 3, 3))],
                    eval_too=False, atol=1e-9)
    with pytest.warns(FutureWarning, match="nn.init.eye` is now deprecated"):
        pnn.init.eye(ptjax.empty(2, 3))
    with pytest.warns(FutureWarning, match="nn.init.dirac` is now deprecated"):
        w = pnn.init.dirac(ptjax.empty(2, 2, 3))
    assert_close(w, torch.nn.init.dirac_(torch.empty(2, 2, 3)))


# ---- torch's top-level names of nn functionals --------------------------------------------------------------------

X4 = randn(2, 3, 5, 5)


@pytest.mark.parametrize("name, args", [
    ("conv2d", (X4, randn(4, 3, 3, 3), randn(4))), ("conv_transpose1d", (X4[:, :, 0], randn(3, 2, 2))),
    ("layer_norm", (X4, [5], randn(5), randn(5), 1e-5, True)), ("group_norm", (X4, 3)),
    ("batch_norm", (X4, randn(3), randn(3), NoGrad(randn(3)), NoGrad(np.abs(randn(3))), False, 0.1, 1e-5, True)),
    ("instance_norm", (X4, None, None, None, None, True, 0.1, 1e-5, True)),
    ("embedding", (randn(6, 3), np.array([[0, 5], [2, 2]]), 2)), ("constant_pad_nd", (X4, [1, 2], 0.5)),
    ("kl_div", (randn(3, 4), randn(3, 4), 2)), ("max_pool2d", (X4, [2, 2])), ("adaptive_avg_pool1d", (X4[0], 2)),
    ("binary_cross_entropy_with_logits", (randn(3), np.array([0.0, 1.0, 1.0]), None, None, 0)),
    ("cosine_embedding_loss", (randn(3, 4), randn(3, 4), np.array([1, -1, 1]), 0.1, 2)),
    ("margin_ranking_loss", (randn(3), randn(3), np.array([1.0, -1.0, 1.0]), 0.2, 1)),
    ("poisson_nll_loss", (randn(4), np.abs(randn(4)), True, False, 1e-8, 1)),
    ("triplet_margin_loss", (randn(3, 4), randn(3, 4), randn(3, 4), 1.0, 2.0, 1e-6, True, 0)),
    ("hinge_embedding_loss", (randn(4), np.array([1.0, -1.0, 1.0, -1.0]))),
    ("convolution", (X4, randn(4, 3, 3, 3), None, [1, 1], [1, 1], [1, 1], False, [0, 0], 1)),
    ("conv_tbc", (randn(5, 2, 3), randn(2, 3, 4), randn(4), 1)), ("celu", (X4, 0.5)), ("selu", (X4,)),
    ("threshold", (X4, 0.1, 2.0)), ("hardshrink", (X4, 0.3)), ("prelu", (X4, randn(3))),
    ("bilinear", (randn(2, 3), randn(2, 4), randn(5, 3, 4), randn(5))), ("pdist", (randn(4, 3),)),
    ("pixel_shuffle", (randn(1, 4, 2, 2), 2)), ("channel_shuffle", (randn(1, 4, 2, 2), 2)),
    ("rms_norm", (X4, [5], randn(5), None)), ("pairwise_distance", (randn(3, 4), randn(3, 4))),
    ("cosine_similarity", (randn(3, 4), randn(3, 4))),
])
def test_top_level_names(name, args):
    compare(getattr(ptjax, name), getattr(torch, name), *args)


def test_top_level_tuples_dropout_and_inplace():
    for name in ("adaptive_max_pool1d", "max_pool1d_with_indices"):
        p = getattr(ptjax, name)(ptjax.tensor(X4[0]), 2)
        t = getattr(torch, name)(torch.tensor(X4[0]), 2)
        assert_close(p[0], t[0])
        assert_close(p[1], t[1])
    w = randn(10, 3)
    p = ptjax.embedding_bag(ptjax.tensor(w), ptjax.tensor(IDX), ptjax.tensor(OFFSETS), False, 1)
    t = torch.embedding_bag(torch.tensor(w), torch.tensor(IDX), torch.tensor(OFFSETS), False, 1)
    assert len(p) == len(t) == 4
    assert_close(p[0], t[0])
    x = ptjax.ones(200, 10)
    for name in ("dropout", "feature_dropout", "alpha_dropout", "feature_alpha_dropout"):
        assert getattr(ptjax, name)(x, 0.5, False) is x
        out = getattr(ptjax, name)(x, 0.5, True)
        dropped = (out == out.min()).float().mean().item()
        assert 0.3 < dropped < 0.7, name
        y = ptjax.ones(200, 10)
        assert getattr(ptjax, name + "_")(y, 0.5, True) is y
    for name, args in (("celu_", (0.5,)), ("selu_", ()), ("threshold_", (0.1, 2.0)), ("rrelu_", (0.1, 0.3)),
                       ("relu_", ())):
        p, t = ptjax.tensor(X4), torch.tensor(X4)
        assert getattr(ptjax, name)(p, *args) is p
        getattr(torch, name)(t, *args)
        assert_close(p, t)
    assert not hasattr(ptjax, "interpolate") and not hasattr(ptjax, "grid_sample")
