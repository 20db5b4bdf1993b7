"""torch.distributions beyond the basics: log_prob, cdf/icdf, entropy, mean/variance, batch and event shapes,
Independent, MultivariateNormal, transformed distributions, kl_divergence, and sample statistics (bounds)."""
import torch
import torch.distributions as D

from _report import report

torch.manual_seed(0)
normal = D.Normal(torch.tensor([0.0, 1.0]), torch.tensor([1.0, 2.0]))
x = torch.tensor([0.5, -1.0])
report("normal_log_prob", normal.log_prob(x), rtol=1e-6)
report("normal_cdf", normal.cdf(x), rtol=1e-6)
report("normal_icdf", normal.icdf(torch.tensor([0.1, 0.9])), rtol=1e-5)
report("normal_entropy", normal.entropy(), rtol=1e-6)
report("normal_moments", [normal.mean.tolist(), normal.stddev.tolist(), normal.variance.tolist()])
report("shapes", [list(normal.batch_shape), list(normal.event_shape), list(normal.sample((3,)).shape)])

uniform = D.Uniform(-1.0, 3.0)
report("uniform", [uniform.log_prob(torch.tensor(0.0)).item(), uniform.entropy().item(), uniform.mean.item()],
       rtol=1e-6)
bern = D.Bernoulli(probs=torch.tensor([0.2, 0.7]))
report("bernoulli", [bern.log_prob(torch.tensor([1.0, 0.0])).tolist(), bern.entropy().tolist()], rtol=1e-6)
cat = D.Categorical(logits=torch.tensor([[0.0, 1.0, 2.0], [2.0, 2.0, 2.0]]))
report("categorical", [cat.log_prob(torch.tensor([2, 0])).tolist(), cat.entropy().tolist()], rtol=1e-6)
report("categorical_shapes", [list(cat.batch_shape), list(cat.sample().shape), list(cat.probs.shape)])
beta = D.Beta(torch.tensor(2.0), torch.tensor(5.0))
report("beta", [beta.log_prob(torch.tensor(0.3)).item(), beta.mean.item(), beta.entropy().item()], rtol=1e-5)
gamma = D.Gamma(torch.tensor(3.0), torch.tensor(2.0))
report("gamma", [gamma.log_prob(torch.tensor(1.5)).item(), gamma.mean.item(), gamma.variance.item()], rtol=1e-5)
poisson = D.Poisson(torch.tensor(4.0))
report("poisson", poisson.log_prob(torch.tensor([0.0, 3.0, 7.0])), rtol=1e-5)
expo = D.Exponential(torch.tensor(0.5))
report("exponential", [expo.log_prob(torch.tensor(2.0)).item(), expo.cdf(torch.tensor(2.0)).item()], rtol=1e-6)
lap = D.Laplace(0.0, 2.0)
report("laplace", lap.log_prob(torch.tensor([-1.0, 3.0])), rtol=1e-6)
dirichlet = D.Dirichlet(torch.tensor([1.0, 2.0, 3.0]))
report("dirichlet", dirichlet.log_prob(torch.tensor([0.2, 0.3, 0.5])), rtol=1e-5)
binom = D.Binomial(10, torch.tensor(0.3))
report("binomial", binom.log_prob(torch.tensor([0.0, 3.0, 10.0])), rtol=1e-5)

mvn = D.MultivariateNormal(torch.zeros(2), covariance_matrix=torch.tensor([[2.0, 0.5], [0.5, 1.0]]))
report("mvn_log_prob", mvn.log_prob(torch.tensor([[0.0, 0.0], [1.0, -1.0]])), rtol=1e-5)
report("mvn_entropy", mvn.entropy(), rtol=1e-5)
report("mvn_scale_tril", mvn.scale_tril, rtol=1e-6)
diag = D.Independent(D.Normal(torch.zeros(3), torch.ones(3)), 1)
report("independent", [list(diag.batch_shape), list(diag.event_shape), diag.log_prob(torch.ones(3)).item()],
       rtol=1e-6)

log_normal = D.TransformedDistribution(D.Normal(0.0, 1.0), [D.transforms.ExpTransform()])
report("transformed", log_normal.log_prob(torch.tensor(2.0)), rtol=1e-6)
report("lognormal_builtin", D.LogNormal(0.0, 1.0).log_prob(torch.tensor(2.0)), rtol=1e-6)

report("kl_normal", D.kl_divergence(D.Normal(0.0, 1.0), D.Normal(1.0, 2.0)), rtol=1e-6)
report("kl_categorical", D.kl_divergence(D.Categorical(probs=torch.tensor([0.5, 0.5])),
                                         D.Categorical(probs=torch.tensor([0.9, 0.1]))), rtol=1e-6)
report("kl_bernoulli", D.kl_divergence(D.Bernoulli(0.3), D.Bernoulli(0.6)), rtol=1e-6)

samples = D.Normal(2.0, 3.0).sample((20000,))
report("sample_mean", samples.mean().item(), min=1.9, max=2.1)
report("sample_std", samples.std().item(), min=2.9, max=3.1)
g = D.Gamma(3.0, 2.0).sample((20000,))
report("gamma_sample_mean", g.mean().item(), min=1.45, max=1.55)
report("poisson_sample_mean", D.Poisson(4.0).sample((20000,)).mean().item(), min=3.9, max=4.1)
report("beta_in_unit", bool(((lambda s: (s > 0) & (s < 1))(D.Beta(2.0, 5.0).sample((1000,)))).all()))
mv = mvn.sample((20000,))
report("mvn_sample_cov", torch.cov(mv.T).flatten().tolist(), min=0.4, max=2.1)

mu = torch.tensor(0.5, requires_grad=True)
D.Normal(mu, 1.0).rsample((1000,)).mean().backward()
report("rsample_grad", mu.grad, rtol=1e-5)
report("has_rsample", [D.Normal(0.0, 1.0).has_rsample, D.Categorical(probs=torch.ones(2)).has_rsample])
report("support_check", [D.Normal(0.0, 1.0).support.check(torch.tensor(1.0)).item(),
                         D.constraints.positive.check(torch.tensor(-1.0)).item()])
try:
    D.Normal(0.0, -1.0)
    error = None
except ValueError as exc:
    error = str(exc).split(" found invalid values")[0]
report("invalid_scale_error", error)
