"""ptjax.nn.functional against torch.nn.functional: values, input gradients, options and error messages."""
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import torch.nn.functional as TF  # noqa: E402

import ptjax  # noqa: E402
import ptjax.nn.functional as F  # noqa: E402
from _nn_helpers import NoGrad, compare, same_error  # noqa: E402
from _ops_harness import to_numpy  # noqa: E402

R = np.random.default_rng(0)


def randn(*shape, dtype=np.float32):
    return R.standard_normal(shape).astype(dtype)


def rand(*shape):
    return R.uniform(0.05, 0.95, shape).astype(np.float32)


def ints(high, *shape):
    return R.integers(0, high, shape).astype(np.int64)


def both(name):
    return getattr(F, name), getattr(TF, name)


# ---- linear ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("xshape,bias", [((5,), False), ((4, 5), True), ((2, 3, 5), True)])
def test_linear(xshape, bias):
    args = [randn(*xshape), randn(3, 5)] + ([randn(3)] if bias else [])
    compare(*both("linear"), *args)


def test_linear_vector_weight():
    compare(*both("linear"), randn(4, 5), randn(5))
    same_error(*both("linear"), randn(4, 5), randn(5), randn())


def test_linear_errors():
    same_error(*both("linear"), randn(64, 9216), randn(128, 9000))
    same_error(*both("linear"), randn(2, 3, 9216), randn(128, 9000))
    same_error(*both("linear"), randn(9216), randn(128, 9000))
    same_error(*both("linear"), randn(9216), randn(9000))
    same_error(*both("linear"), randn(4, 5), randn(3, 5).astype(np.float64))
    same_error(*both("linear"), randn(4, 5), randn(3, 5), randn(3).astype(np.float64))
    same_error(*both("linear"), randn(4, 5), randn(3, 5), randn(4))
    same_error(*both("linear"), randn(), randn(3, 5))


def test_bilinear():
    compare(*both("bilinear"), randn(4, 3), randn(4, 2), randn(5, 3, 2), randn(5), atol=1e-5)
    compare(*both("bilinear"), randn(2, 4, 3), randn(2, 4, 2), randn(5, 3, 2), atol=1e-5)


# ---- activations -----------------------------------------------------------------------------------------------

SPECIAL = np.array([-30.0, -6.0, -3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0, 6.0, 25.0, 30.0], np.float32)


def act_input():
    """(4, 8): the same shape as the activation-layer tests, so the two files share compiled kernels."""
    return np.concatenate([SPECIAL, np.random.default_rng(5).standard_normal(20) * 3]).astype(np.float32).reshape(4, 8)


@pytest.mark.parametrize("name,kwargs", [
    ("relu", {}), ("relu6", {}), ("leaky_relu", {}), ("elu", {"alpha": 0.5}), ("celu", {"alpha": 2.0}), ("selu", {}),
    ("gelu", {}), ("gelu", {"approximate": "tanh"}), ("silu", {}), ("mish", {}), ("softplus", {"beta": 2.0,
    "threshold": 5.0}), ("hardtanh", {"min_val": -0.5, "max_val": 3.0}), ("logsigmoid", {}), ("softsign", {}),
    ("tanhshrink", {}), ("hardshrink", {"lambd": 1.0}), ("softshrink", {"lambd": 1.0}), ("hardsigmoid", {}),
    ("hardswish", {}), ("sigmoid", {}), ("tanh", {}), ("rrelu", {}),
])
def test_activation(name, kwargs):
    compare(*both(name), act_input(), rtol=1e-5, atol=1e-5, **kwargs)


def test_threshold():
    compare(*both("threshold"), act_input(), 1.0, 20.0)


@pytest.mark.parametrize("name,args", [("relu", ()), ("leaky_relu", (0.01,)), ("elu", (1.0,)), ("hardtanh", (-1, 1)),
                                       ("relu6", ()), ("silu", ()), ("mish", ()), ("selu", ()), ("celu", (2.0,)),
                                       ("threshold", (1.0, 20.0)), ("hardswish", ()), ("hardsigmoid", ())])
def test_activation_inplace(name, args):
    x = act_input()
    p, t = ptjax.tensor(x), torch.tensor(x)
    rp = getattr(F, name)(p, *args, inplace=True)
    rt = getattr(TF, name)(t, *args, inplace=True)
    assert rp is p and rt is t
    np.testing.assert_allclose(to_numpy(p), to_numpy(t), rtol=1e-6, atol=1e-6)


def test_inplace_underscore_forms():
    x = act_input()
    for name in ("relu_", "leaky_relu_", "elu_", "hardtanh_", "celu_", "selu_"):
        p, t = ptjax.tensor(x), torch.tensor(x)
        getattr(F, name)(p)
        getattr(TF, name)(t)
        np.testing.assert_allclose(to_numpy(p), to_numpy(t), rtol=1e-6, atol=1e-6, err_msg=name)


def test_glu_prelu():
    compare(*both("glu"), randn(4, 6))
    compare(*both("glu"), randn(4, 6, 2), dim=1)
    same_error(*both("glu"), randn(4, 5))
    compare(*both("prelu"), randn(4, 3, 5), np.array([0.25], np.float32))
    compare(*both("prelu"), randn(4, 3, 5), np.array([0.1, 0.2, 0.3], np.float32))
    same_error(*both("prelu"), randn(3), np.array([0.1, 0.2, 0.3], np.float32))


def test_gelu_bad_approximate():
    same_error(*both("gelu"), randn(3), approximate="foo")


def test_rrelu_training_slopes_in_range():
    x = -np.abs(randn(4, 8)) - 0.1
    y = to_numpy(F.rrelu(ptjax.tensor(x), 0.1, 0.3, training=True))
    slope = y / x
    assert slope.min() >= 0.1 - 1e-6 and slope.max() <= 0.3 + 1e-6 and slope.std() > 0.01


# ---- softmax family --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name,dim", [("softmax", 0), ("softmax", -1), ("log_softmax", 1), ("softmin", 1)])
def test_softmax(name, dim):
    compare(*both(name), randn(3, 4, 5) * 5, dim=dim, atol=1e-5)


def test_softmax_dtype_and_methods():
    x = randn(3, 4)
    p = F.softmax(ptjax.tensor(x), dim=1, dtype=ptjax.float64)
    t = TF.softmax(torch.tensor(x), dim=1, dtype=torch.float64)
    assert p.dtype == ptjax.float64
    np.testing.assert_allclose(to_numpy(p), to_numpy(t), rtol=1e-6)
    np.testing.assert_allclose(to_numpy(ptjax.tensor(x).softmax(0)), to_numpy(torch.tensor(x).softmax(0)), rtol=1e-6)
    np.testing.assert_allclose(to_numpy(ptjax.tensor(x).log_softmax(-1)), to_numpy(torch.tensor(x).log_softmax(-1)),
                               rtol=1e-5)
    assert ptjax.tensor(x, requires_grad=True).log_softmax(1).grad_fn.name() == "LogSoftmaxBackward0"


@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_softmax_implicit_dim_warns(ndim):
    x = randn(*([3] * ndim))
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax") as w:
        p = F.softmax(ptjax.tensor(x))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = TF.softmax(torch.tensor(x))
    assert str(w[0].message) == ("Implicit dimension choice for softmax has been deprecated. Change the call to "
                                 "include dim=X as an argument.")
    np.testing.assert_allclose(to_numpy(p), to_numpy(t), rtol=1e-6)


def test_softmax_bad_dim():
    same_error(*both("softmax"), randn(3, 4), dim=2)


# ---- dropout ---------------------------------------------------------------------------------------------------

def test_dropout_statistics_and_grad():
    x = ptjax.ones(200, 100, requires_grad=True)
    y = F.dropout(x, p=0.3)
    a = to_numpy(y)
    frac = (a == 0).mean()
    assert abs(frac - 0.3) < 0.02
    np.testing.assert_allclose(a[a != 0], 1 / 0.7, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(to_numpy(x.grad), a, rtol=1e-6)  # d/dx (x * mask/(1-p)) with x = 1
    assert y.grad_fn.name() == "MulBackward0"


def test_dropout_eval_p0_p1_inplace():
    x = ptjax.tensor(randn(10))
    assert F.dropout(x, 0.5, training=False) is x
    np.testing.assert_array_equal(to_numpy(F.dropout(x, 0.0)), to_numpy(x))
    np.testing.assert_array_equal(to_numpy(F.dropout(x, 1.0)), np.zeros(10, np.float32))
    y = ptjax.ones(1000)
    assert F.dropout(y, 0.5, inplace=True) is y
    assert 0.4 < (to_numpy(y) == 0).mean() < 0.6
    same_error(*both("dropout"), randn(3), p=1.5)
    same_error(*both("dropout"), randn(3), p=-0.1)


def test_dropout_fresh_masks_and_seed():
    x = ptjax.ones(1000)
    a, b = to_numpy(F.dropout(x)), to_numpy(F.dropout(x))
    assert (a != b).any()
    ptjax.manual_seed(3)
    c = to_numpy(F.dropout(x))
    ptjax.manual_seed(3)
    np.testing.assert_array_equal(c, to_numpy(F.dropout(x)))


@pytest.mark.parametrize("name,shape", [("dropout1d", (8, 16, 5)), ("dropout2d", (8, 16, 4, 4)),
                                        ("dropout3d", (4, 16, 2, 3, 3)), ("dropout1d", (16, 5))])
def test_feature_dropout_zeroes_whole_channels(name, shape):
    y = to_numpy(getattr(F, name)(ptjax.ones(*shape), p=0.5))
    lead = 2 if len(shape) > 2 or name != "dropout1d" else 1
    per_channel = y.reshape(shape[:lead] + (-1,))
    assert np.all((per_channel == 0).all(-1) | (per_channel == 2).all(-1))
    assert 0.25 < (per_channel == 0).all(-1).mean() < 0.75


def test_alpha_dropout_keeps_statistics():
    y = to_numpy(F.alpha_dropout(ptjax.randn(200000), 0.2, training=True))
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1) < 0.02


# ---- embedding, one_hot ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs", [{}, {"padding_idx": 2}, {"padding_idx": -1}, {"scale_grad_by_freq": True},
                                    {"padding_idx": 0, "scale_grad_by_freq": True}])
def test_embedding(kwargs):
    idx = np.array([[0, 2, 4], [2, 2, 1]], np.int64)
    compare(*both("embedding"), NoGrad(idx), randn(5, 3), **kwargs)


def test_embedding_max_norm_renorms_weight_in_place():
    idx = np.array([0, 2, 2], np.int64)
    w = randn(4, 3) * 3
    pw, tw = ptjax.tensor(w), torch.tensor(w)
    p = F.embedding(ptjax.tensor(idx), pw, max_norm=1.0)
    t = TF.embedding(torch.tensor(idx), tw, max_norm=1.0)
    np.testing.assert_allclose(to_numpy(p), to_numpy(t), rtol=1e-5)
    np.testing.assert_allclose(to_numpy(pw), to_numpy(tw), rtol=1e-5)


def test_embedding_errors():
    same_error(*both("embedding"), np.array([1, 5]), randn(4, 3))
    same_error(*both("embedding"), np.array([1.0, 2.0], np.float32), randn(4, 3))


def test_one_hot():
    idx = np.array([[0, 3], [2, 1]], np.int64)
    for n in (-1, 5):
        p, t = F.one_hot(ptjax.tensor(idx), n), TF.one_hot(torch.tensor(idx), n)
        assert p.dtype == ptjax.int64
        np.testing.assert_array_equal(to_numpy(p), to_numpy(t))
    same_error(*both("one_hot"), np.array([1, 2, 5]), 3)
    same_error(*both("one_hot"), np.array([1, 2, -1]), 3)
    same_error(*both("one_hot"), np.array([1.0, 2.0], np.float32), 3)
    same_error(*both("one_hot"), np.array([1, 2], np.int32), 3)


# ---- pad -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape,pad,mode,value", [
    ((2, 3, 4), (1, 1, 2, 0), "constant", 1.5), ((2, 3, 4), (-1, 2), "constant", None),
    ((2, 3, 4, 5), (1, 0, 2, 1, 1, 1), "constant", None), ((2, 3, 5), (2, 1), "reflect", None),
    ((2, 3, 4, 5), (1, 2, 3, 1), "reflect", None), ((1, 2, 3, 4, 5), (1, 1, 2, 1, 1, 2), "replicate", None),
    ((2, 3, 5), (2, 3), "replicate", None), ((2, 3, 4, 5), (1, 2, 3, 1), "circular", None),
])
def test_pad(shape, pad, mode, value):
    compare(*both("pad"), randn(*shape), pad, mode=mode, value=value)


@pytest.mark.parametrize("shape,pad,mode", [((1, 3), (3, 3), "reflect"), ((3,), (1, 1), "reflect"),
                                            ((1, 3), (1, 1, 1), "constant"), ((1, 3), (1, 1, 1, 1, 1, 1), "constant"),
                                            ((1, 3), (1, 1, 1, 1), "replicate"), ((1, 3), (1, 1), "foo"),
                                            ((1, 2, 3), (4, 1), "circular")])
def test_pad_errors(shape, pad, mode):
    same_error(*both("pad"), randn(*shape), pad, mode=mode)


# ---- distances -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("p,dim", [(2.0, 1), (1.0, 1), (3.0, 0), (2.0, -1)])
def test_normalize(p, dim):
    x = randn(4, 5)
    x[1] = 0  # a zero row: torch's gradient there is finite
    compare(*both("normalize"), x, p=p, dim=dim, atol=1e-5)


def test_cosine_similarity_and_pairwise_distance():
    compare(*both("cosine_similarity"), randn(4, 5), randn(1, 5), dim=1, atol=1e-5)
    # eps: each norm is clamped separately (values only: float32 cancellation makes these gradients noise)
    compare(*both("cosine_similarity"), np.array([[1e-5, 0.0]], np.float32), np.array([[1e-5, 0.0]], np.float32),
            grad=False)
    compare(*both("cosine_similarity"), np.array([[1e-10, 0.0]], np.float32), np.array([[1.0, 0.0]], np.float32),
            grad=False)
    compare(*both("pairwise_distance"), randn(4, 5), randn(4, 5), atol=1e-5)
    compare(*both("pairwise_distance"), randn(4, 5), randn(4, 5), p=3.0, keepdim=True, atol=1e-5)
    compare(*both("pdist"), randn(5, 3), atol=1e-5)


# ---- losses ----------------------------------------------------------------------------------------------------

RED = ["mean", "sum", "none"]


@pytest.mark.parametrize("reduction,kwargs", [
    ("mean", {}), ("sum", {}), ("none", {}), ("mean", {"ignore_index": 1}), ("mean", {"weight": "w"}),
    ("mean", {"weight": "w", "ignore_index": 2}), ("mean", {"label_smoothing": 0.2}),
    ("none", {"label_smoothing": 0.1, "weight": "w"}),
    ("mean", {"label_smoothing": 0.3, "weight": "w", "ignore_index": 0}),
    ("sum", {"label_smoothing": 0.3, "weight": "w", "ignore_index": 0})])
def test_cross_entropy_indices(reduction, kwargs):
    kwargs = {k: (NoGrad(rand(5)) if v == "w" else v) for k, v in kwargs.items()}
    target = np.array([0, 1, 4, 2, 1, 3], np.int64)
    compare(*both("cross_entropy"), randn(6, 5), NoGrad(target), reduction=reduction, atol=1e-5, **kwargs)


@pytest.mark.parametrize("kwargs", [{"ignore_index": 1}, {"label_smoothing": 0.2, "weight": "w"}])
def test_cross_entropy_spatial_and_unbatched(kwargs):
    kwargs = {k: (NoGrad(rand(4)) if v == "w" else v) for k, v in kwargs.items()}
    compare(*both("cross_entropy"), randn(2, 4, 3, 3), NoGrad(ints(4, 2, 3, 3)), atol=1e-5, **kwargs)
    compare(*both("cross_entropy"), randn(4), NoGrad(np.array(2, np.int64)), atol=1e-5, **kwargs)


@pytest.mark.parametrize("reduction,kwargs", [("mean", {}), ("sum", {"weight": "w"}),
                                              ("none", {"label_smoothing": 0.25}),
                                              ("mean", {"label_smoothing": 0.1, "weight": "w"})])
def test_cross_entropy_probabilities(reduction, kwargs):
    kwargs = {k: (NoGrad(rand(5)) if v == "w" else v) for k, v in kwargs.items()}
    probs = R.dirichlet(np.ones(5), size=6).astype(np.float32)
    compare(*both("cross_entropy"), randn(6, 5), probs, reduction=reduction, atol=1e-5, **kwargs)


def test_cross_entropy_all_ignored_is_nan():
    p = F.cross_entropy(ptjax.tensor(randn(2, 3)), ptjax.tensor([-100, -100]))
    t = TF.cross_entropy(torch.tensor(randn(2, 3)), torch.tensor([-100, -100]))
    assert np.isnan(p.item()) and np.isnan(t.item())


def test_cross_entropy_errors():
    ce = both("cross_entropy")
    same_error(*ce, randn(3, 5), np.array([1, 2, 7]))
    same_error(*ce, randn(3, 5), np.array([1, 2, -3]))
    same_error(*ce, randn(3, 5), np.array([1, 2]))
    same_error(*ce, randn(3, 5), np.array([1.0, 2.0, 3.0], np.float32))
    same_error(*ce, randn(3, 5, 2), np.array([[1, 2, 3], [1, 1, 1], [0, 0, 0]]))
    same_error(*ce, randn(3, 5), np.array([1, 2, 3]), weight=np.ones(4, np.float32))
    same_error(*ce, randn(3, 5), np.array([1, 2, 3]), label_smoothing=1.5)
    same_error(*ce, randn(3, 5), randn(3, 4))
    same_error(*ce, randn(3, 5), np.array([1, 2, 3]), reduction="foo")
    nll = both("nll_loss")
    same_error(*nll, randn(3, 5), np.array([1, 2, 3], np.int32))
    same_error(*nll, randn(3, 5, 2, 2), np.array([1, 2, 3]))


@pytest.mark.parametrize("reduction,kwargs", [("mean", {}), ("sum", {"ignore_index": 0}), ("none", {"weight": "w"}),
                                              ("mean", {"weight": "w", "ignore_index": 0})])
def test_nll_loss(reduction, kwargs):
    kwargs = {k: (NoGrad(rand(5)) if v == "w" else v) for k, v in kwargs.items()}
    compare(*both("nll_loss"), randn(6, 5), NoGrad(np.array([0, 1, 4, 2, 1, 3], np.int64)), reduction=reduction,
            **kwargs)
    if reduction == "mean":
        compare(*both("nll_loss"), randn(2, 5, 3), NoGrad(ints(5, 2, 3)), reduction=reduction, **kwargs)


def test_legacy_size_average_reduce():
    x, y = randn(4, 3), randn(4, 3)
    for sa, rd in [(False, None), (None, False)]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compare(*both("mse_loss"), x, y, size_average=sa, reduce=rd)


@pytest.mark.parametrize("name,kwargs,reduction", [
    ("mse_loss", {}, "mean"), ("mse_loss", {}, "sum"), ("mse_loss", {}, "none"), ("l1_loss", {}, "mean"),
    ("l1_loss", {}, "none"), ("smooth_l1_loss", {}, "mean"), ("smooth_l1_loss", {"beta": 0.5}, "none"),
    ("smooth_l1_loss", {"beta": 0.0}, "sum"), ("huber_loss", {}, "mean"), ("huber_loss", {"delta": 0.3}, "none"),
    ("soft_margin_loss", {}, "mean"),
])
def test_pointwise_losses(name, kwargs, reduction):
    x, y = randn(4, 6), randn(4, 6)
    y[0, :2] = x[0, :2]  # exact ties: torch's gradient at |d| == 0
    if name == "soft_margin_loss":  # torch: not differentiable w.r.t. target
        y = NoGrad(np.sign(y).astype(np.float32))
    compare(*both(name), x, y, reduction=reduction, atol=1e-5, **kwargs)


@pytest.mark.parametrize("name,reduction", [("mse_loss", "mean"), ("l1_loss", "mean"), ("huber_loss", "mean"),
                                            ("mse_loss", "none"), ("huber_loss", "sum")])
def test_weighted_pointwise_losses(name, reduction):
    compare(*both(name), randn(4, 6), randn(4, 6), reduction=reduction, weight=NoGrad(rand(4, 6)), atol=1e-5)
    same_error(*both(name), randn(4, 6), randn(4, 6), weight=rand(6))


def test_broadcast_warning():
    with pytest.warns(UserWarning, match=r"Using a target size \(torch.Size\(\[3\]\)\) that is different to the input "
                                         r"size \(torch.Size\(\[3, 1\]\)\)"):
        p = F.mse_loss(ptjax.tensor(randn(3, 1)), ptjax.tensor(randn(3)))
    assert p.shape == ()


@pytest.mark.parametrize("reduction,weighted", [("mean", False), ("none", False), ("sum", True)])
def test_binary_cross_entropy(reduction, weighted):
    kw = {"weight": NoGrad(rand(4, 6))} if weighted else {}
    x = rand(4, 6)
    x[0, 0], x[0, 1] = 0.0, 1.0  # log clamped to -100
    t = rand(4, 6)
    t[1] = np.round(t[1])
    compare(*both("binary_cross_entropy"), x, t, reduction=reduction, rtol=1e-4, atol=1e-4, **kw)


@pytest.mark.parametrize("reduction,kwargs", [("mean", {}), ("none", {"weight": "w"}), ("sum", {"pos_weight": "pw"}),
                                              ("mean", {"weight": "w", "pos_weight": "pw"})])
def test_bce_with_logits(reduction, kwargs):
    kwargs = {k: NoGrad(rand(4, 6) if v == "w" else rand(6) * 3) for k, v in kwargs.items()}
    x = randn(4, 6) * 4
    x[0, 0] = 0.0
    x[0, 1] = 60.0
    compare(*both("binary_cross_entropy_with_logits"), x, rand(4, 6), reduction=reduction, atol=1e-5, **kwargs)


def test_bce_errors():
    same_error(*both("binary_cross_entropy"), rand(3, 1), rand(3))
    same_error(*both("binary_cross_entropy"), rand(3) * 3, rand(3))
    same_error(*both("binary_cross_entropy_with_logits"), rand(3, 1), rand(3))


@pytest.mark.parametrize("reduction,log_target", [("sum", False), ("none", True), ("batchmean", False),
                                                  ("mean", True)])
def test_kl_div(reduction, log_target):
    x = np.log(R.dirichlet(np.ones(5), size=4)).astype(np.float32)
    t = R.dirichlet(np.ones(5), size=4).astype(np.float32)
    t[0, 0] = 0.0
    if log_target:
        t = np.log(t + 1e-3).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compare(*both("kl_div"), x, NoGrad(t), reduction=reduction, log_target=log_target, atol=1e-5)


def test_kl_div_mean_warns():
    with pytest.warns(UserWarning, match="reduction: 'mean' divides the total loss"):
        F.kl_div(ptjax.tensor(randn(2, 3)), ptjax.tensor(rand(2, 3)))


def test_other_losses():
    red = iter(RED * 6)

    def kw():
        return {"reduction": next(red)}
    compare(*both("poisson_nll_loss"), randn(4, 3), NoGrad(rand(4, 3) * 3), atol=1e-5, **kw())
    compare(*both("poisson_nll_loss"), rand(4, 3) + 0.1, NoGrad(rand(4, 3) * 3), log_input=False, full=True,
            atol=1e-5, **kw())
    compare(*both("gaussian_nll_loss"), randn(4, 3), randn(4, 3), rand(4, 1), full=True, atol=1e-5, **kw())
    sign = NoGrad(np.sign(randn(6)).astype(np.float32))
    compare(*both("margin_ranking_loss"), randn(6), randn(6), sign, margin=0.3, **kw())
    compare(*both("hinge_embedding_loss"), randn(6), sign, margin=0.5, **kw())
    compare(*both("cosine_embedding_loss"), randn(6, 4), randn(6, 4), sign, margin=0.2, atol=1e-5, **kw())
    compare(*both("triplet_margin_loss"), randn(6, 4), randn(6, 4), randn(6, 4), p=1, swap=True, atol=1e-5, **kw())
    labels = NoGrad((rand(6, 4) > 0.5).astype(np.float32))
    compare(*both("multilabel_soft_margin_loss"), randn(6, 4), labels, weight=NoGrad(rand(4)), atol=1e-5, **kw())
    compare(*both("multi_margin_loss"), randn(6, 4), NoGrad(ints(4, 6)), p=2, margin=0.5, weight=NoGrad(rand(4)),
            atol=1e-5, **kw())


def test_loss_grad_fn_names():
    x = ptjax.tensor(randn(3, 4), requires_grad=True)
    assert F.cross_entropy(x, ptjax.tensor([0, 1, 2])).grad_fn.name() == "NllLossBackward0"
    assert F.mse_loss(x, ptjax.zeros(3, 4)).grad_fn.name() == "MseLossBackward0"
