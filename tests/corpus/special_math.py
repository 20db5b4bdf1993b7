"""Elementwise math a model zoo needs: torch.special, the NumPy-style aliases, logit/expit, stable log-sum-exp and
softplus, rounding modes, bit shifts, clamping, and the special values (inf, nan) handled the way torch does."""
import torch

from _report import report

x = torch.tensor([-2.0, -0.5, 0.0, 0.5, 2.0])
p = torch.tensor([0.1, 0.5, 0.9])
report("expit", torch.special.expit(x), rtol=1e-6)
report("logit", torch.logit(p), rtol=1e-6)
report("logit_eps", torch.logit(torch.tensor([0.0, 1.0]), eps=1e-6), rtol=1e-5)
report("special_logit", torch.special.logit(p), rtol=1e-6)
report("erf_erfc_erfinv", [torch.special.erf(x).tolist(), torch.special.erfc(x).tolist(),
                           torch.special.erfinv(torch.tensor([-0.5, 0.0, 0.9])).tolist()], rtol=1e-5, atol=1e-7)
report("gammaln_digamma", [torch.special.gammaln(torch.tensor([0.5, 3.0, 10.0])).tolist(),
                           torch.special.digamma(torch.tensor([0.5, 3.0, 10.0])).tolist()], rtol=1e-5)
report("lgamma", torch.lgamma(torch.tensor([0.5, 3.0])), rtol=1e-6)
report("xlogy", torch.special.xlogy(torch.tensor([0.0, 2.0]), torch.tensor([0.0, 3.0])), rtol=1e-6)
report("xlog1py", torch.special.xlog1py(torch.tensor([0.0, 2.0]), torch.tensor([-1.0, 3.0])), rtol=1e-6)
report("entr", torch.special.entr(torch.tensor([0.0, 0.5, 1.0, -1.0])), rtol=1e-6)
tiny = torch.tensor([1e-8])
report("log1p_expm1", [torch.special.log1p(tiny).item(), torch.special.expm1(tiny).item()],
       rtol=1e-6)
report("i0_i1", [torch.special.i0(torch.tensor([0.0, 1.0])).tolist(), torch.special.i1(torch.tensor([1.0])).tolist()],
       rtol=1e-5)
report("sinc", torch.special.sinc(torch.tensor([0.0, 0.5, 1.0])), rtol=1e-6, atol=1e-7)
report("ndtr_ndtri", [torch.special.ndtr(x).tolist(), torch.special.ndtri(p).tolist()], rtol=1e-5)
report("log_ndtr", torch.special.log_ndtr(torch.tensor([-10.0, 0.0])), rtol=1e-5)
report("special_softmax", torch.special.softmax(x, 0), rtol=1e-6)
report("special_logsumexp", torch.special.logsumexp(x, 0), rtol=1e-6)
report("polygamma", torch.special.polygamma(1, torch.tensor([1.0, 2.0])), rtol=1e-5)
report("multigammaln", torch.special.multigammaln(torch.tensor([2.5]), 2), rtol=1e-5)

report("numpy_aliases", [torch.arcsin(torch.tensor(0.5)).item(), torch.arccos(torch.tensor(0.5)).item(),
                         torch.arctan2(torch.tensor(1.0), torch.tensor(-1.0)).item(),
                         torch.arctanh(torch.tensor(0.5)).item(),
                         torch.arcsinh(torch.tensor(1.0)).item(), torch.arccosh(torch.tensor(2.0)).item()], rtol=1e-6)
report("absolute_negative", [torch.absolute(x).tolist(), torch.negative(x).tolist()])
report("deg_rad", [torch.deg2rad(torch.tensor([180.0])).item(), torch.rad2deg(torch.tensor([1.0])).item()], rtol=1e-6)
report("true_divide_multiply", [torch.true_divide(torch.tensor([3]), 2).tolist(), torch.multiply(x, 2).tolist(),
                                torch.subtract(x, 1).tolist(), torch.divide(x, 4).tolist()])
report("clip", torch.clip(x, -1, 1))
report("fix_trunc", [torch.fix(x * 1.5).tolist(), torch.trunc(x * 1.5).tolist()])
report("greater_less", [torch.greater(x, 0).tolist(), torch.less_equal(x, 0).tolist(), torch.not_equal(x, 0).tolist()])

report("logsumexp_stable", torch.logsumexp(torch.tensor([1000.0, 1000.0]), dim=0), rtol=1e-6)
report("softplus", torch.nn.functional.softplus(torch.tensor([-30.0, 0.0, 30.0])), rtol=1e-6)
report("log_softmax_extreme", torch.log_softmax(torch.tensor([0.0, 1000.0]), 0))
report("div_modes", [torch.div(torch.tensor([-7, 7]), 2, rounding_mode="floor").tolist(),
                     torch.div(torch.tensor([-7, 7]), 2, rounding_mode="trunc").tolist(),
                     torch.div(torch.tensor([-7, 7]), 2).tolist()])
sevens = torch.tensor([-7.0, 7.0])
report("fmod_remainder", [torch.fmod(sevens, 3).tolist(), torch.remainder(sevens, 3).tolist()])
report("round_decimals", torch.round(torch.tensor([1.2345, 2.5, 3.5, -0.5]), decimals=2))
report("round_half_even", torch.round(torch.tensor([0.5, 1.5, 2.5, -1.5])))
shifts = torch.tensor([1, 2, 3])
report("shifts", [(shifts << 2).tolist(), (torch.tensor([16, 32]) >> 3).tolist(),
                  torch.bitwise_left_shift(shifts, 1).tolist()])
report("bitwise", [(torch.tensor([12]) & 10).item(), (torch.tensor([12]) | 3).item(), (torch.tensor([12]) ^ 5).item(),
                   (~torch.tensor([0, 5])).tolist()])
report("special_values", [torch.tensor([1.0, -1.0, 0.0]).div(0).tolist(), torch.isnan(torch.tensor(0.0) / 0).item()])
specials = torch.tensor([float("nan"), float("inf"), -float("inf")])
report("nan_to_num", torch.nan_to_num(specials, posinf=9.0, neginf=-9.0))
report("isfinite_isinf", [torch.isfinite(torch.tensor([1.0, float("inf")])).tolist(),
                          torch.isinf(torch.tensor([1.0, -float("inf")])).tolist(),
                          torch.isneginf(torch.tensor([-float("inf")])).tolist()])
report("nanmean_nansum", [torch.nanmean(torch.tensor([1.0, float("nan"), 3.0])).item(),
                          torch.nansum(torch.tensor([1.0, float("nan")])).item()])
report("sign_sgn_signbit", [torch.sign(x).tolist(), torch.signbit(torch.tensor([-0.0, 0.0])).tolist()])
report("hypot_copysign", [torch.hypot(torch.tensor(3.0), torch.tensor(4.0)).item(),
                          torch.copysign(torch.tensor([2.0]), torch.tensor([-1.0])).item()])
report("lerp", torch.lerp(torch.zeros(3), torch.ones(3) * 10, 0.25))
report("cummax_logcumsumexp", [torch.cummax(torch.tensor([1, 3, 2, 5]), 0).values.tolist(),
                               torch.logcumsumexp(torch.tensor([0.0, 0.0]), 0).tolist()], rtol=1e-6)
report("quantile_median_mode", [torch.quantile(torch.arange(5.0), torch.tensor([0.25, 0.9])).tolist(),
                                torch.median(torch.tensor([3.0, 1.0, 2.0, 4.0])).item(),
                                torch.mode(torch.tensor([2, 2, 3, 3, 3, 1])).values.item()], rtol=1e-6)
report("isin_searchsorted_bucketize", [torch.isin(torch.tensor([1, 4, 6]), torch.tensor([4, 5, 6])).tolist(),
                                      torch.searchsorted(torch.tensor([1, 3, 5, 7]), torch.tensor([3, 6])).tolist(),
                                      torch.bucketize(torch.tensor([0.5, 3.0, 9.0]),
                                                      torch.tensor([1.0, 3.0, 5.0])).tolist()])
report("tril_indices", torch.tril_indices(3, 3))
square = torch.arange(4).view(2, 2)
report("fliplr_rot90", [torch.fliplr(square).tolist(), torch.rot90(square).tolist()])
report("broadcast_tensors", [list(t.shape) for t in torch.broadcast_tensors(torch.ones(3, 1), torch.ones(1, 4))])
d = torch.zeros(3, 3)
d.fill_diagonal_(5)
report("fill_diagonal", d)
