"""Indexing the way models do it: picking log-probabilities with x[range(n), target], mixed basic/advanced
indices (torch's rule where NumPy's differs), boolean masks, gather/scatter, index_select/index_add, masked
fills, nonzero/where, put/take, and gradients through indexing."""
import torch

from _report import report

logp = torch.log_softmax(torch.arange(12.0).view(4, 3) / 4, dim=1)
target = torch.tensor([0, 2, 1, 2])
report("range_pick", logp[range(4), target], rtol=1e-6)
report("arange_pick", logp[torch.arange(4), target], rtol=1e-6)
report("list_pick", logp[[0, 1], [1, 1]], rtol=1e-6)

x = torch.arange(24).view(2, 3, 4)
report("mixed_int_slice_list", x[0, :, [1, 3]])
report("mixed_shape", x[0, :, [1, 3]].shape)
report("separated_advanced", x[[0, 1], :, [0, 2]].shape)
report("adjacent_advanced", x[:, [0, 2], [1, 3]])
report("ellipsis_none", x[..., None, 1].shape)
report("negative_step_free", x[:, -1, -2:])
report("bool_scalar_index", x[True].shape)

m = torch.tensor([[1.0, -2.0, 3.0], [-4.0, 5.0, -6.0]])
mask = m > 0
report("mask_select", m[mask])
report("masked_select", torch.masked_select(m, mask))
report("row_mask", m[torch.tensor([True, False])])
m2 = m.clone()
m2[m2 < 0] = 0
report("mask_assign", m2)
report("masked_fill", m.masked_fill(~mask, -1e9)[1])
report("where3", torch.where(mask, m, torch.zeros_like(m)))
report("where_scalar", torch.where(m > 0, m, 0.0))
report("where1", torch.where(mask))
report("nonzero", torch.nonzero(mask))
report("nonzero_tuple", torch.nonzero(mask, as_tuple=True))
report("argwhere", torch.argwhere(mask))
report("count_nonzero", torch.count_nonzero(mask, dim=1))

src = torch.arange(1.0, 11.0).view(2, 5)
idx = torch.tensor([[0, 1, 2, 0, 0], [2, 0, 0, 1, 2]])
report("gather", torch.gather(src, 1, torch.tensor([[4, 0], [1, 1]])))
report("scatter", torch.zeros(3, 5).scatter_(0, idx, src))
report("scatter_add", torch.zeros(3, 5).scatter_add(0, idx, src))
report("scatter_reduce", torch.ones(3).scatter_reduce(0, torch.tensor([0, 1, 0, 1]), torch.tensor([5.0, 2.0, 7.0, 1.0]),
                                                      reduce="amax", include_self=False))
report("index_select", torch.index_select(src, 1, torch.tensor([4, 0])))
report("index_add", torch.zeros(3).index_add_(0, torch.tensor([0, 2, 0]), torch.tensor([1.0, 2.0, 3.0])))
report("index_fill", torch.zeros(2, 3).index_fill_(1, torch.tensor([0, 2]), 7))
report("index_copy", torch.zeros(4).index_copy(0, torch.tensor([3, 1]), torch.tensor([9.0, 8.0])))
report("take", torch.take(src, torch.tensor([0, 9, 5])))
report("take_along_dim", torch.take_along_dim(src, src.argmax(dim=1, keepdim=True), dim=1))
acc = torch.zeros(4)
acc.index_put_((torch.tensor([0, 0, 3]),), torch.tensor([1.0, 2.0, 3.0]), accumulate=True)
report("index_put_accumulate", acc)
y = torch.zeros(3, 4)
y[[0, 2], 1:3] = torch.tensor([5.0, 6.0])
y[1, [0, 3]] += 1
report("advanced_setitem", y)
y[:, 0] = torch.tensor([7.0, 8.0, 9.0])
report("column_setitem", y)

one_hot = torch.zeros(4, 3)
one_hot[torch.arange(4), target] = 1
report("one_hot_by_index", torch.equal(one_hot, torch.nn.functional.one_hot(target, 3).float()))
report("unique", torch.unique(torch.tensor([3, 1, 3, 2, 1]), return_counts=True))
report("sort_topk", [torch.sort(src[1], descending=True).indices.tolist(), torch.topk(src[0], 2).values.tolist()])

w = torch.arange(6.0).view(2, 3).requires_grad_()
w[range(2), [2, 0]].sum().backward()
report("grad_through_range_index", w.grad)
w.grad = None
(w[w > 2] ** 2).sum().backward()
report("grad_through_mask", w.grad)
w.grad = None
torch.gather(w, 1, torch.tensor([[0, 0], [1, 2]])).sum().backward()
report("grad_through_gather", w.grad)
emb = torch.nn.functional.embedding(torch.tensor([[0, 2], [2, 2]]), w.T)
report("embedding_lookup", emb)
