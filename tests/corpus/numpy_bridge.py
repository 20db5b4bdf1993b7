"""Tensors and NumPy arrays on the CPU share memory: a change on one side shows on the other."""
import numpy as np
import torch

from _report import report

ones = torch.ones(5)
arr = ones.numpy()
ones.add_(1)
report("numpy_sees_tensor_inplace", arr.tolist())

arr2 = np.ones(5)
t2 = torch.from_numpy(arr2)
np.add(arr2, 1, out=arr2)
report("tensor_sees_numpy_inplace", t2)
report("from_numpy_dtype", t2.dtype)

# torch.tensor copies, as_tensor shares
arr3 = np.zeros(3, dtype=np.float32)
copied, shared = torch.tensor(arr3), torch.as_tensor(arr3)
arr3[0] = 9
report("tensor_copies", copied)
report("as_tensor_shares", shared)

# writing into a slice of the NumPy view shows in the tensor
t = torch.zeros(2, 3)
view = t.numpy()
view[1, :] = [1, 2, 3]
report("slice_write", t)
report("round_trip", torch.from_numpy(t.numpy() * 2).sum().item())
