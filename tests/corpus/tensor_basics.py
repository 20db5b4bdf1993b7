"""Tensors from scratch: creation, attributes, arithmetic, reshaping, views, promotion, reductions, in-place updates."""
import numpy as np
import torch

from _report import report

# creation from data, from NumPy, and from shapes
data = [[1, 2], [3, 4]]
x_data = torch.tensor(data)
report("from_list_dtype", x_data.dtype)
np_array = np.array(data)
x_np = torch.from_numpy(np_array)
report("from_numpy_dtype", x_np.dtype)
x_ones = torch.ones_like(x_data)
x_rand = torch.rand_like(x_data, dtype=torch.float)
report("ones_like", x_ones)
report("rand_like_in_unit_interval", float(x_rand.min()), min=0.0, max=1.0)
shape = (2, 3,)
report("zeros", torch.zeros(shape))
report("full", torch.full((2, 2), 7.5))
report("arange", torch.arange(1, 10, 2))
report("linspace", torch.linspace(-1, 1, steps=5))
report("eye", torch.eye(3, dtype=torch.int64))

# attributes
t = torch.rand(3, 4)
report("shape", t.shape)
report("size1", t.size(1))
report("dtype", t.dtype)
report("device", str(t.device))
report("ndim_numel", [t.ndim, t.numel(), t.dim()])

# indexing and slicing
t = torch.arange(16.0).reshape(4, 4)
report("first_row", t[0])
report("first_col", t[:, 0])
report("last_col", t[..., -1])
t[:, 1] = 0
report("zeroed_col", t)

# joining
cat = torch.cat([t, t, t], dim=1)
report("cat_shape", cat.shape)
report("stack_shape", torch.stack([t, t]).shape)
report("hstack", torch.hstack([torch.tensor([1, 2]), torch.tensor([3])]))
report("vstack_shape", torch.vstack([t, t]).shape)

# arithmetic: matrix product three ways, elementwise product three ways
y1 = t @ t.T
y2 = t.matmul(t.T)
y3 = torch.rand_like(y1)
torch.matmul(t, t.T, out=y3)
report("matmul", y1)
report("matmul_agree", bool(torch.equal(y1, y2) and torch.equal(y1, y3)))
z1 = t * t
z2 = t.mul(t)
z3 = torch.rand_like(t)
torch.mul(t, t, out=z3)
report("mul_agree", bool(torch.equal(z1, z2) and torch.equal(z1, z3)))

# single-element tensors
agg = t.sum()
agg_item = agg.item()
report("sum_item", agg_item)
report("sum_item_type", type(agg_item).__name__)

# in-place operations
before = t.clone()
t.add_(5)
report("add_inplace", t - before)
t.mul_(0.5).sub_(1)
report("chain_inplace", t[0])

# reshaping and views
v = torch.arange(24).view(2, 3, 4)
report("permute_shape", v.permute(2, 0, 1).shape)
report("transpose_contig", v.transpose(0, 1).is_contiguous())
report("flatten", v.flatten(1).shape)
report("unsqueeze_squeeze", [list(v.unsqueeze(0).shape), list(v[:1].squeeze(0).shape)])
report("chunk", [c.shape[1] for c in v.chunk(2, dim=1)])
report("split", [s.shape[2] for s in v.split([1, 3], dim=2)])

# type promotion and reductions
i = torch.tensor([1, 2, 3])
f = torch.tensor([0.5, 0.25, 0.125])
report("promote", (i * f).dtype)
report("int_div", (i / 2).dtype)
report("floor_div", i // 2)
report("mean_dim", torch.arange(12.0).view(3, 4).mean(dim=0))
report("max_dim", torch.tensor([[1, 5, 2], [7, 0, 3]]).max(dim=1))
report("argmax", torch.tensor([[1, 5, 2], [7, 0, 3]]).argmax(dim=1))
report("cumsum", torch.arange(5).cumsum(0))
report("std", torch.tensor([1.0, 2.0, 4.0, 8.0]).std(), rtol=1e-6)
