"""Differential tests (against torch) of ptjax's convolution, pooling, normalization and resampling: their
functionals (``ptjax.nn.functional``) and the modules of ``conv.py``, ``pooling.py``, ``normalization.py``.

Values and the gradients of every floating input are compared (backward of ``sum(out * g)`` for a fixed ``g``).
"""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
import torch.nn.functional as TF  # noqa: E402

import ptjax  # noqa: E402
from ptjax.nn import functional as PF  # noqa: E402
from _ops_harness import to_numpy  # noqa: E402

RNG = np.random.default_rng(1234)


pytestmark = pytest.mark.usefixtures("fast_compiles")


def rand(*shape, dtype=np.float64):
    return RNG.standard_normal(shape).astype(dtype)


def close(p, t, rtol, atol, what):
    pa, ta = to_numpy(p), to_numpy(t)
    assert pa.shape == ta.shape, f"{what}: shape {pa.shape} != {ta.shape}"
    assert str(pa.dtype) == str(ta.dtype), f"{what}: dtype {pa.dtype} != {ta.dtype}"
    np.testing.assert_allclose(pa, ta, rtol=rtol, atol=atol, err_msg=what)


def compare(pfn, tfn, args, kwargs=None, grad=(), rtol=1e-7, atol=1e-9, out_index=None):
    """Run ``fn(*args, **kwargs)`` on both libraries; ``grad`` lists the positions of ``args`` requiring grad."""
    kwargs = kwargs or {}
    P = [ptjax.tensor(a, requires_grad=i in grad) if isinstance(a, np.ndarray) else a for i, a in enumerate(args)]
    T = [torch.tensor(a, requires_grad=i in grad) if isinstance(a, np.ndarray) else a for i, a in enumerate(args)]
    po, to = pfn(*P, **kwargs), tfn(*T, **kwargs)
    pos, tos = (po, to) if isinstance(to, tuple) else ((po,), (to,))
    assert len(pos) == len(tos)
    for j, (a, b) in enumerate(zip(pos, tos)):
        close(a, b, rtol, atol, f"output {j}")
    if grad:
        pf, tf = pos[0 if out_index is None else out_index], tos[0 if out_index is None else out_index]
        g = RNG.standard_normal(tuple(tf.shape)).astype(to_numpy(tf).dtype)
        tf.backward(torch.tensor(g))
        pf.backward(ptjax.tensor(g))
        for i in grad:
            assert P[i].grad is not None, f"no grad for arg {i}"
            close(P[i].grad, T[i].grad, rtol, atol, f"grad of arg {i}")
    return po, to


# ---- convolution -------------------------------------------------------------------------------------------------

CONV2D_CASES = [
    dict(),
    dict(padding=(2, 1), stride=(2, 1)),
    dict(padding="same", dilation=(1, 2)),
    dict(groups=4, stride=(2, 2), padding=0, dilation=(1, 1)),   # the static args Conv2d(reflect) passes
]


@pytest.mark.parametrize("kw", CONV2D_CASES, ids=str)
def test_conv2d(kw):
    g = kw.get("groups", 1)
    x, w, b = rand(2, 4, 7, 8), rand(6 if g != 4 else 8, 4 // g, 3, 3), rand(6 if g != 4 else 8)
    compare(PF.conv2d, TF.conv2d, [x, w, b], kw, grad=(0, 1, 2))


def test_conv2d_even_kernel_same_no_bias_unbatched():
    compare(PF.conv2d, TF.conv2d, [rand(2, 6, 5), rand(3, 2, 2, 4)], dict(padding="same"), grad=(0, 1))


@pytest.mark.parametrize("kw", [dict(dilation=2, padding="same", groups=2)], ids=str)
def test_conv1d(kw):
    compare(PF.conv1d, TF.conv1d, [rand(2, 4, 11), rand(6, 4 // kw.get("groups", 1), 3), rand(6)], kw,
            grad=(0, 1, 2))


@pytest.mark.parametrize("kw", [dict(stride=(1, 2, 2), padding=1, groups=2)], ids=str)
def test_conv3d(kw):
    g = kw.get("groups", 1)
    compare(PF.conv3d, TF.conv3d, [rand(2, 4, 5, 6, 5), rand(3 * g, 4 // g, 3, 2, 3), rand(3 * g)], kw, grad=(0, 1, 2))


@pytest.mark.parametrize("kw", [dict(stride=(2, 2), padding=(1, 1), output_padding=(1, 1), dilation=(1, 1)),
                                dict(stride=3, dilation=2, output_padding=2, groups=2, padding=1)], ids=str)
def test_conv_transpose2d(kw):
    g = kw.get("groups", 1)
    compare(PF.conv_transpose2d, TF.conv_transpose2d, [rand(2, 4, 5, 6), rand(4, 3, 3, 2), rand(3 * g)], kw,
            grad=(0, 1, 2))


@pytest.mark.parametrize("kw", [dict(stride=2, padding=1, output_padding=1, groups=2, dilation=2)], ids=str)
def test_conv_transpose1d(kw):
    g = kw.get("groups", 1)
    compare(PF.conv_transpose1d, TF.conv_transpose1d, [rand(2, 4, 7), rand(4, 3, 3), rand(3 * g)], kw,
            grad=(0, 1, 2))


def test_conv_errors_and_grad_fn():
    x = ptjax.tensor(rand(1, 3, 5, 5), requires_grad=True)
    with pytest.raises(RuntimeError):
        PF.conv2d(x, ptjax.tensor(rand(2, 2, 3, 3)))
    with pytest.raises(ValueError):
        PF.conv2d(x, ptjax.tensor(rand(2, 3, 3, 3)), stride=2, padding="same")
    assert PF.conv2d(x, ptjax.tensor(rand(2, 3, 3, 3))).grad_fn.name() == "ConvolutionBackward0"


# ---- pooling -----------------------------------------------------------------------------------------------------

MAXPOOL2D_CASES = [
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, return_indices=True),
    dict(kernel_size=(2, 3), stride=(1, 2), dilation=(2, 1)),
    dict(kernel_size=2, ceil_mode=True, return_indices=True),
    dict(kernel_size=3, stride=1, padding=1, dilation=2, return_indices=True),
]


@pytest.mark.parametrize("kw", MAXPOOL2D_CASES, ids=str)
def test_max_pool2d(kw):
    compare(PF.max_pool2d, TF.max_pool2d, [rand(2, 3, 7, 9)], kw, grad=(0,))


def test_max_pool2d_ties_after_relu_route_grad_like_torch():
    x = np.maximum(rand(2, 3, 8, 8), 0.0)
    x[0, 0, :4, :4] = 0.0
    x[1, 1, 2:6, 2:6] = 1.5
    compare(lambda t: PF.max_pool2d(ptjax.relu(t), 2), lambda t: TF.max_pool2d(torch.relu(t), 2), [x], grad=(0,))


def test_max_pool_float32_unbatched_and_1d():
    compare(PF.max_pool2d, TF.max_pool2d, [rand(3, 6, 6, dtype=np.float32)], dict(kernel_size=2), grad=(0,))
    for kw in [dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, dilation=2, return_indices=True)]:
        compare(PF.max_pool1d, TF.max_pool1d, [rand(2, 3, 10)], kw, grad=(0,))


def test_max_pool3d():
    compare(PF.max_pool3d, TF.max_pool3d, [rand(1, 2, 5, 6, 5)], dict(kernel_size=2, stride=(1, 2, 2), padding=1),
            grad=(0,))


AVGPOOL2D_CASES = [
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    dict(kernel_size=(3, 2), stride=(2, 3), ceil_mode=True),
    dict(kernel_size=3, padding=1, divisor_override=2, stride=1),
]


@pytest.mark.parametrize("kw", AVGPOOL2D_CASES, ids=str)
def test_avg_pool2d(kw):
    compare(PF.avg_pool2d, TF.avg_pool2d, [rand(2, 3, 7, 8)], kw, grad=(0,))


@pytest.mark.parametrize("kw", [dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)], ids=str)
def test_avg_pool1d_3d(kw):
    compare(PF.avg_pool1d, TF.avg_pool1d, [rand(2, 3, 11)], kw, grad=(0,))
    compare(PF.avg_pool3d, TF.avg_pool3d, [rand(1, 2, 5, 7, 6)], kw, grad=(0,))


@pytest.mark.parametrize("size", [1, (None, 2), (10, 4)], ids=str)
def test_adaptive_pool2d(size):
    compare(PF.adaptive_avg_pool2d, TF.adaptive_avg_pool2d, [rand(2, 3, 7, 9)], dict(output_size=size),
            grad=(0,) if size == (10, 4) else ())
    compare(PF.adaptive_max_pool2d, TF.adaptive_max_pool2d, [rand(3, 7, 9)],
            dict(output_size=size, return_indices=True), grad=(0,))


@pytest.mark.parametrize("size", [3], ids=str)
def test_adaptive_pool1d(size):
    compare(PF.adaptive_avg_pool1d, TF.adaptive_avg_pool1d, [rand(2, 3, 10)], dict(output_size=size), grad=(0,))
    compare(PF.adaptive_max_pool1d, TF.adaptive_max_pool1d, [rand(2, 3, 10)], dict(output_size=11), grad=(0,))
    compare(PF.adaptive_max_pool1d, TF.adaptive_max_pool1d, [rand(2, 3, 10)],
            dict(output_size=size, return_indices=True), grad=(0,))


def test_lp_pool():
    x = np.abs(rand(2, 3, 8, 8)) + 0.1
    compare(PF.lp_pool2d, TF.lp_pool2d, [x, 2, 2], grad=(0,))
    compare(PF.lp_pool1d, TF.lp_pool1d, [x[:, :, 0], 3, 3, 2], grad=(0,))


def test_pool_grad_fn_names_and_errors():
    x = ptjax.tensor(rand(1, 1, 4, 4), requires_grad=True)
    assert PF.max_pool2d(x, 2).grad_fn.name() == "MaxPool2DWithIndicesBackward0"
    assert PF.avg_pool2d(x, 2).grad_fn.name() == "AvgPool2DBackward0"
    with pytest.raises(RuntimeError):
        PF.max_pool2d(x, 2, padding=2)
    with pytest.raises(RuntimeError):
        PF.max_pool2d(x, 5)


# ---- normalization -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape,affine", [((6, 3), False), ((2, 3, 4, 5), True)], ids=str)
def test_batch_norm_functional(shape, affine):
    c = shape[1]
    wb = [rand(c), rand(c)] if affine else [None, None]
    rm, rv = rand(c), np.abs(rand(c)) + 0.5
    for training in (True, False):
        prm, prv = ptjax.tensor(rm), ptjax.tensor(rv)
        trm, trv = torch.tensor(rm), torch.tensor(rv)
        x = rand(*shape)
        grad = (0, 3, 4) if affine else (0,)
        compare(lambda x, a, b, w, bb, **k: PF.batch_norm(x, prm, prv, w, bb, **k),
                lambda x, a, b, w, bb, **k: TF.batch_norm(x, trm, trv, w, bb, **k),
                [x, None, None] + wb, dict(training=training, momentum=0.3, eps=1e-3), grad=grad)
        close(prm, trm, 1e-7, 1e-9, "running_mean")
        close(prv, trv, 1e-7, 1e-9, "running_var")


def test_batch_norm_no_running_stats_and_errors():
    compare(lambda x: PF.batch_norm(x, None, None, training=True),
            lambda x: TF.batch_norm(x, None, None, training=True), [rand(4, 3, 5)], grad=(0,))
    with pytest.raises(ValueError):
        PF.batch_norm(ptjax.tensor(rand(1, 3)), ptjax.zeros(3, dtype=ptjax.float64), ptjax.ones(3, dtype=ptjax.float64),
                      training=True)
    x = ptjax.tensor(rand(2, 3), requires_grad=True)
    assert PF.batch_norm(x, None, None, training=True).grad_fn.name() == "NativeBatchNormBackward0"


@pytest.mark.parametrize("ns", [(4, 5), [5]], ids=str)
def test_layer_norm(ns):
    shp = tuple(ns)
    compare(PF.layer_norm, TF.layer_norm, [rand(2, 3, 4, 5), ns, rand(*shp), rand(*shp)], grad=(0, 2, 3))
    if len(shp) == 1:
        compare(PF.layer_norm, TF.layer_norm, [rand(2, 3, 4, 5), ns], dict(eps=1e-2), grad=(0,))


@pytest.mark.parametrize("groups", [3])
def test_group_norm(groups):
    compare(PF.group_norm, TF.group_norm, [rand(2, 6, 4, 3), groups, rand(6), rand(6)], grad=(0, 2, 3))
    compare(PF.group_norm, TF.group_norm, [rand(3, 6, 5), 6 // groups], dict(eps=1e-3), grad=(0,))


def test_instance_norm_and_local_response_norm():
    compare(PF.instance_norm, TF.instance_norm, [rand(2, 3, 4, 5), None, None, rand(3), rand(3)], grad=(0, 3, 4))
    rm, rv = rand(3), np.abs(rand(3)) + 0.5
    prm, prv, trm, trv = ptjax.tensor(rm), ptjax.tensor(rv), torch.tensor(rm), torch.tensor(rv)
    compare(lambda x: PF.instance_norm(x, prm, prv, momentum=0.2),
            lambda x: TF.instance_norm(x, trm, trv, momentum=0.2), [rand(2, 3, 7)], grad=(0,))
    close(prm, trm, 1e-7, 1e-9, "running_mean")
    close(prv, trv, 1e-7, 1e-9, "running_var")
    compare(lambda x: PF.instance_norm(x, prm, prv, use_input_stats=False),
            lambda x: TF.instance_norm(x, trm, trv, use_input_stats=False), [rand(2, 3, 7)], grad=(0,))
    for size in (3,):
        compare(PF.local_response_norm, TF.local_response_norm, [rand(2, 6, 4, 3), size], dict(alpha=0.1, k=2.0),
                grad=(0,))


def test_rms_norm():
    compare(PF.rms_norm, TF.rms_norm, [rand(2, 3, 4), (4,), rand(4)], dict(eps=1e-5), grad=(0, 2))
    compare(PF.rms_norm, TF.rms_norm, [rand(2, 3, 4).astype(np.float32), (3, 4)], grad=(0,), rtol=1e-5, atol=1e-6)


# ---- resampling --------------------------------------------------------------------------------------------------

INTERP_CASES = [
    ("nearest", dict(scale_factor=1.7)), ("nearest", dict(size=(5, 3))),
    ("nearest-exact", dict(scale_factor=(0.5, 2.5))),
    ("bilinear", dict(size=(5, 3))), ("bilinear", dict(scale_factor=1.7, recompute_scale_factor=True)),
    ("bilinear-ac", dict(scale_factor=(0.5, 2.5))),
    ("bicubic", dict(scale_factor=2)), ("bicubic-ac", dict(size=(11, 13))),
    ("area", dict(scale_factor=1.7)),
]


@pytest.mark.parametrize("mode,kw", INTERP_CASES, ids=str)
def test_interpolate_2d(kw, mode):
    if mode.endswith("-ac"):
        kw = dict(kw, mode=mode[:-3], align_corners=True)
    else:
        kw = dict(kw, mode=mode)
    if mode == "area" and "scale_factor" in kw and not kw.get("recompute_scale_factor"):
        kw["recompute_scale_factor"] = True
    # gradients (a fixed linear map per case) on the first case of each mode only: compiles are the test's cost
    first = next(c for c in INTERP_CASES if c[0] == mode)[1] == {k: v for k, v in kw.items()
                                                                if k not in ("mode", "align_corners")} or (
        mode == "area")
    compare(PF.interpolate, TF.interpolate, [rand(2, 3, 6, 7)], kw, grad=(0,) if first else ())


def test_interpolate_float32():
    compare(PF.interpolate, TF.interpolate, [rand(2, 3, 6, 7, dtype=np.float32)],
            dict(scale_factor=1.7, mode="bilinear"), grad=(0,), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kw", [dict(mode="nearest", scale_factor=3),
                                dict(mode="linear", scale_factor=(0.6, 1.4, 2.5), align_corners=True)], ids=str)
def test_interpolate_1d_3d(kw):
    kw1 = dict(kw, scale_factor=kw["scale_factor"][-1]) if isinstance(kw["scale_factor"], tuple) else kw
    compare(PF.interpolate, TF.interpolate, [rand(2, 3, 7)], kw1, grad=(0,))
    if kw["mode"] == "linear":
        kw = dict(kw, mode="trilinear")
    compare(PF.interpolate, TF.interpolate, [rand(1, 2, 4, 3, 5)], kw, grad=(0,))


@pytest.mark.parametrize("kw", [dict(kernel_size=(2, 3), dilation=(2, 1), padding=(1, 2), stride=(1, 2))], ids=str)
def test_unfold_fold(kw):
    x = rand(2, 3, 6, 7)
    pu, tu = compare(PF.unfold, TF.unfold, [x], kw, grad=(0,))
    cols = to_numpy(tu)
    compare(PF.fold, TF.fold, [cols, (6, 7)], kw, grad=(0,))
    if "dilation" in kw:
        compare(PF.fold, TF.fold, [cols[0], (6, 7)], kw, grad=(0,))


def test_pixel_shuffle():
    compare(PF.pixel_shuffle, TF.pixel_shuffle, [rand(2, 8, 3, 4), 2], grad=(0,))
    compare(PF.pixel_unshuffle, TF.pixel_unshuffle, [rand(2, 2, 6, 4), 2], grad=(0,))


# ---- modules -----------------------------------------------------------------------------------------------------

import ptjax.nn as pnn  # noqa: E402
import torch.nn as tnn  # noqa: E402


def load_from_torch(pm, tm):
    pm.load_state_dict({k: ptjax.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})


def compare_module(name, args, kwargs, x, rtol=1e-6, atol=1e-7, modes=("train", "eval"), steps=1, fwd_kw=None):
    """Same module in both libraries (torch's init copied in); outputs, input and parameter grads per mode."""
    import inspect
    tkw, pkw = dict(kwargs), dict(kwargs)
    if x.dtype == np.float64 and "dtype" in inspect.signature(getattr(tnn, name).__init__).parameters:
        tkw["dtype"], pkw["dtype"] = torch.float64, ptjax.float64
    tm = getattr(tnn, name)(*args, **tkw)
    pm = getattr(pnn, name)(*args, **pkw)
    assert repr(pm) == repr(tm)
    assert list(pm.state_dict().keys()) == list(tm.state_dict().keys())
    for k, v in tm.state_dict().items():
        assert tuple(pm.state_dict()[k].shape) == tuple(v.shape), k
        assert str(pm.state_dict()[k].dtype) == str(v.dtype), k
    load_from_torch(pm, tm)
    fwd_kw = fwd_kw or {}
    for mode in modes:
        for _ in range(steps):
            getattr(tm, mode)(), getattr(pm, mode)()
            tx = torch.tensor(x, requires_grad=True)
            px = ptjax.tensor(x, requires_grad=True)
            to, po = tm(tx, **fwd_kw), pm(px, **fwd_kw)
            if isinstance(to, tuple):
                for a, b in zip(po, to):
                    close(a, b, rtol, atol, f"{name} {mode} output")
                to, po = to[0], po[0]
            close(po, to, rtol, atol, f"{name} {mode} output")
            g = RNG.standard_normal(tuple(to.shape)).astype(x.dtype)
            tm.zero_grad(), pm.zero_grad()
            to.backward(torch.tensor(g))
            po.backward(ptjax.tensor(g))
            close(px.grad, tx.grad, rtol, atol, f"{name} {mode} input grad")
            pp = dict(pm.named_parameters())
            for k, v in tm.named_parameters():
                close(pp[k].grad, v.grad, rtol, atol, f"{name} {mode} grad of {k}")
            pb = dict(pm.named_buffers())
            for k, v in tm.named_buffers():
                close(pb[k], v, rtol, atol, f"{name} {mode} buffer {k}")
    return pm, tm


@pytest.mark.parametrize("args,kwargs", [
    ((4, 8, 3), dict(stride=2, padding=1, groups=4, padding_mode="reflect")),
], ids=str)
def test_conv2d_module(args, kwargs):
    # shapes and static arguments shared with test_conv2d: the conv kernel is compiled once for both
    compare_module("Conv2d", args, kwargs, rand(2, args[0], 5, 6))
    for kw in [dict(bias=False, padding="same", dilation=2), dict(padding_mode="circular", padding=(1, 2))]:
        assert repr(pnn.Conv2d(4, 8, (3, 2), **kw)) == repr(tnn.Conv2d(4, 8, (3, 2), **kw))



@pytest.mark.parametrize("name,args,kwargs,shape", [
    ("Conv1d", (4, 6, 3), dict(dilation=2, padding="same", groups=2), (2, 4, 11)),
    ("Conv3d", (4, 6, (3, 2, 3)), dict(stride=(1, 2, 2), padding=1, groups=2), (2, 4, 5, 6, 5)),
], ids=str)
def test_conv1d_conv3d_modules(name, args, kwargs, shape):
    # the shapes and static arguments of test_conv1d / test_conv3d: their kernels are reused
    compare_module(name, args, kwargs, rand(*shape))
    assert repr(getattr(pnn, name)(2, 4, 3, bias=False, padding_mode="replicate")) == repr(
        getattr(tnn, name)(2, 4, 3, bias=False, padding_mode="replicate"))


def test_conv_transpose_module_output_size():
    # output_size (10, 11) means output_padding (1, 1): the kernel of test_conv_transpose2d's first case
    compare_module("ConvTranspose2d", (4, 3, (3, 2)), dict(stride=2, padding=1), rand(2, 4, 5, 6),
                   fwd_kw=dict(output_size=(10, 11)))
    assert repr(pnn.ConvTranspose2d(4, 2, 3, stride=2, output_padding=1)) == repr(
        tnn.ConvTranspose2d(4, 2, 3, stride=2, output_padding=1))


@pytest.mark.parametrize("name,args,kwargs", [
    ("MaxPool2d", (3, 2, 1), dict(ceil_mode=True, return_indices=True)),
    ("MaxPool1d", (3,), dict(stride=1, dilation=2)),
    ("AvgPool2d", (3, 2, 1), dict(ceil_mode=True, count_include_pad=False)),
    ("AvgPool1d", (3,), dict(stride=2, padding=1)),
    ("AdaptiveAvgPool2d", ((3, None),), {}),
    ("AdaptiveMaxPool2d", ((2, 3),), dict(return_indices=True)),
    ("LPPool2d", (2, 3), dict(stride=2)),
    ("Upsample", (), dict(size=(5, 9), mode="bilinear", align_corners=True)),
], ids=str)
def test_pool_modules(name, args, kwargs):
    nd = 1 if name.endswith("1d") else 2
    x = rand(2, 4, 8, 7) if nd == 2 else rand(2, 4, 9)
    if name == "LPPool2d":
        x = np.abs(x) + 0.1
    compare_module(name, args, kwargs, x)


def test_pool_module_reprs():
    for name, args, kwargs in [("MaxPool2d", (2,), {}), ("AvgPool2d", (2,), dict(divisor_override=3)),
                               ("AvgPool1d", (2,), {}), ("AdaptiveAvgPool2d", ((1, 1),), {}),
                               ("AdaptiveAvgPool1d", (3,), {}), ("AdaptiveMaxPool2d", (3,), {}),
                               ("Upsample", (), dict(scale_factor=2)), ("Fold", ((4, 5), 2), {}),
                               ("PixelUnshuffle", (2,), {}), ("LPPool1d", (2, 3), {})]:
        assert repr(getattr(pnn, name)(*args, **kwargs)) == repr(getattr(tnn, name)(*args, **kwargs))


@pytest.mark.parametrize("name,kwargs,shape", [
    ("BatchNorm1d", dict(momentum=None), (4, 3, 6)),
    ("BatchNorm1d", dict(), (5, 3)),
    ("BatchNorm2d", dict(momentum=0.3, eps=1e-3), (4, 3, 5, 2)),
    ("BatchNorm2d", dict(affine=False, track_running_stats=False), (4, 3, 5, 2)),
    ("InstanceNorm2d", dict(affine=True, track_running_stats=True), (2, 3, 5, 4)),
], ids=str)
def test_norm_modules_running_stats(name, kwargs, shape):
    steps = 3 if kwargs.get("momentum", 0.1) is None or len(shape) == 2 else 1  # 3 steps: the fused backward too
    pm, tm = compare_module(name, (3,), kwargs, rand(*shape), steps=steps)
    if tm.num_batches_tracked is not None and name.startswith("BatchNorm"):
        assert int(pm.num_batches_tracked) == int(tm.num_batches_tracked) == steps
        assert pm.num_batches_tracked.dtype == ptjax.int64


def test_batchnorm_float32_training_loop_stats():
    tm, pm = tnn.BatchNorm2d(4), pnn.BatchNorm2d(4)
    load_from_torch(pm, tm)
    for i in range(5):
        x = rand(8, 4, 3, 3, dtype=np.float32) * (i + 1) + i
        tm(torch.tensor(x)), pm(ptjax.tensor(x))
    close(pm.running_mean, tm.running_mean, 1e-5, 1e-6, "running_mean")
    close(pm.running_var, tm.running_var, 1e-5, 1e-6, "running_var")
    tm.eval(), pm.eval()
    x = rand(2, 4, 3, 3, dtype=np.float32)
    close(pm(ptjax.tensor(x)), tm(torch.tensor(x)), 1e-5, 1e-6, "eval output")
    with pytest.raises(ValueError):
        pm(ptjax.tensor(rand(2, 4, 3)))


@pytest.mark.parametrize("name,args,kwargs,shape", [
    ("LayerNorm", ((3, 5),), dict(eps=1e-3, bias=False), (2, 3, 5)),
    ("GroupNorm", (2, 6), {}, (2, 6, 3, 2)),
    ("LocalResponseNorm", (3,), dict(alpha=0.01), (2, 6, 3, 2)),
    ("RMSNorm", (5,), dict(eps=1e-6), (2, 3, 5)),
], ids=str)
def test_other_norm_modules(name, args, kwargs, shape):
    pm, tm = compare_module(name, args, kwargs, rand(*shape))
    for a, k in [((5,), dict(elementwise_affine=False)), ((5,), dict(bias=False))]:
        assert repr(pnn.LayerNorm(*a, **k)) == repr(tnn.LayerNorm(*a, **k))
    assert repr(pnn.GroupNorm(3, 6, affine=False)) == repr(tnn.GroupNorm(3, 6, affine=False))
    # affine parameters trained away from their init still match
    if name in ("LayerNorm", "GroupNorm") and tm.weight is not None:
        w = rand(*tm.weight.shape)
        with torch.no_grad():
            tm.weight.copy_(torch.tensor(w))
        load_from_torch(pm, tm)
        x = rand(*shape)
        close(pm(ptjax.tensor(x)), tm(torch.tensor(x)), 1e-6, 1e-7, "output after weight change")


def test_mnist_cnn_block_float32():
    """The project's main workload: conv-relu-conv-relu-maxpool on 28x28, float32, grads vs torch."""
    tms = tnn.Sequential(tnn.Conv2d(1, 32, 3), tnn.ReLU(), tnn.Conv2d(32, 64, 3), tnn.ReLU(), tnn.MaxPool2d(2))
    pms = pnn.Sequential(pnn.Conv2d(1, 32, 3), pnn.ReLU(), pnn.Conv2d(32, 64, 3), pnn.ReLU(), pnn.MaxPool2d(2))
    assert repr(pms) == repr(tms)
    # torch's init: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias
    w, b = pms[2].weight.detach().numpy(), pms[2].bias.detach().numpy()
    bound = 1 / np.sqrt(32 * 9)
    assert 0.95 * bound < np.abs(w).max() <= bound
    assert abs(w.std() - bound / np.sqrt(3)) < 0.05 * bound
    assert np.abs(b).max() <= bound and np.abs(b).max() > 0.5 * bound
    load_from_torch(pms, tms)
    x = rand(4, 1, 28, 28, dtype=np.float32)
    to, po = tms(torch.tensor(x)), pms(ptjax.tensor(x))
    close(po, to, 1e-4, 1e-5, "output")
    g = rand(*to.shape, dtype=np.float32)
    to.backward(torch.tensor(g))
    po.backward(ptjax.tensor(g))
    pp = dict(pms.named_parameters())
    for k, v in tms.named_parameters():
        close(pp[k].grad, v.grad, 1e-3, 1e-4, f"grad of {k}")


# ---- bad input: the layer raises torch's exception with torch's message ------------------------------------------

BAD_INPUTS = [
    ("Conv2d(3, 8, 3)", (2, 4, 6, 6)),                  # wrong channels
    ("Conv2d(3, 8, 3)", (4, 6, 6)),                     # wrong channels, unbatched
    ("Conv2d(4, 8, 3, groups=2)", (2, 6, 5, 5)),
    ("Conv2d(3, 8, 3)", (3, 6)),                        # wrong rank
    ("Conv2d(3, 8, 5, padding=1)", (2, 3, 2, 9)),       # kernel larger than the padded input
    ("Conv1d(3, 8, 5, dilation=2)", (2, 3, 8)),
    ("Conv1d(3, 8, 3)", (2, 4, 6)),
    ("Conv3d(3, 8, 3)", (2, 4, 5, 5, 5)),
    ("Conv3d(3, 8, 3)", (3, 6)),
    ("ConvTranspose2d(3, 8, 3)", (2, 4, 6, 6)),
    ("ConvTranspose2d(4, 8, 3, groups=2)", (2, 3, 6, 6)),
    ("ConvTranspose2d(3, 8, 3)", (3, 6)),
    ("MaxPool1d(2)", (3,)),
    ("MaxPool2d(2)", (2, 3, 4, 5, 6)),
    ("AvgPool2d(2)", (2, 3)),
    ("AvgPool2d(2)", (2, 3, 4, 5, 6)),
    ("AdaptiveAvgPool2d(2)", (2,)),
    ("BatchNorm1d(3)", (2, 4)),
    ("BatchNorm1d(3)", (2, 4, 5)),
    ("BatchNorm2d(3)", (2, 4, 5, 5)),
    ("BatchNorm2d(3)", (2, 3, 4)),
    ("BatchNorm2d(3)", (1, 3, 1, 1)),
    ("GroupNorm(2, 4)", (2, 6, 3)),
    ("GroupNorm(2, 4)", (2, 5, 3)),
    ("LayerNorm((2, 3))", (4, 3, 2)),
    ("Linear(5, 3)", (2, 4)),
]


@pytest.mark.parametrize("ctor,shape", BAD_INPUTS, ids=str)
def test_bad_input_shape_raises_like_torch(ctor, shape):
    errs = []
    for lib, nn in ((ptjax, pnn), (torch, tnn)):
        m = eval("nn." + ctor, {"nn": nn})
        with pytest.raises(Exception) as e:
            m(lib.zeros(*shape))
        errs.append(e.value)
    pe, te = errs
    assert (type(pe).__name__, str(pe)) == (type(te).__name__, str(te))


def test_bad_functional_arguments_raise_like_torch():
    cases = [
        lambda F, lib: F.conv2d(lib.zeros(2, 3, 5, 5), lib.zeros(8, 3, 3, 3), bias=lib.zeros(7)),
        lambda F, lib: F.conv2d(lib.zeros(2, 6, 5, 5), lib.zeros(8, 2, 3, 3), groups=3),
        lambda F, lib: F.conv_transpose2d(lib.zeros(2, 4, 5, 5), lib.zeros(4, 3, 3, 3), bias=lib.zeros(4)),
        lambda F, lib: F.batch_norm(lib.zeros(2, 4, 5), lib.zeros(4), lib.ones(4), lib.ones(3), training=True),
        lambda F, lib: F.batch_norm(lib.zeros(2, 4, 5), None, None, None, lib.ones(3), training=True),
        lambda F, lib: F.group_norm(lib.zeros(2, 4, 5), 2, lib.ones(4), lib.ones(3)),
    ]
    for case in cases:
        errs = []
        for F, lib in ((ptjax.nn.functional, ptjax), (TF, torch)):
            with pytest.raises(Exception) as e:
                case(F, lib)
            errs.append(e.value)
        pe, te = errs
        assert (type(pe).__name__, str(pe)) == (type(te).__name__, str(te))
