"""Code as older tutorials and newcomers write it: Variable, .data, device selection through torch.backends and
torch.accelerator, cudnn flags, out= arguments, torch.set_default_dtype, torch.utils.data reached without
importing it, and the usual checks with torch.allclose."""
import torch
import torch.nn as nn
from torch.autograd import Variable

from _report import report

torch.backends.cudnn.benchmark = True
torch.backends.cudnn.deterministic = True
if torch.cuda.is_available():
    device = torch.device("cuda")
elif torch.backends.mps.is_available():
    device = torch.device("mps")
else:
    device = torch.device("cpu")
report("device", str(device) if device.type == "cpu" else "accelerator")
report("accelerator_matches", torch.accelerator.is_available() == (device.type != "cpu"))
report("cuda_count", torch.cuda.device_count() >= 0)
report("cudnn_flags", [torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic])

x = Variable(torch.tensor([[1.0, 2.0], [3.0, 4.0]]), requires_grad=True)
report("variable_is_tensor", isinstance(x, torch.Tensor))
y = (x * x).sum()
y.backward()
report("variable_grad", x.grad.data)
x.data.mul_(0.5)  # an update behind autograd's back, as in pre-0.4 training loops
report("data_update", x)
report("data_requires_grad", x.data.requires_grad)

a, b = torch.ones(2, 3), torch.full((2, 3), 2.0)
r = torch.empty(2, 3)
torch.add(a, b, out=r)
report("out_add", r)
c = torch.empty(0)
torch.matmul(a, b.t(), out=c)
report("out_matmul_resized", [c.tolist(), list(c.shape)])
torch.sum(b, dim=1, out=r[0, :2])
report("out_into_view", r)
values, indices = torch.empty(2), torch.empty(2, dtype=torch.long)
torch.max(torch.tensor([[1.0, 5.0], [7.0, 2.0]]), dim=1, out=(values, indices))
report("out_tuple", [values.tolist(), indices.tolist()])

torch.set_default_dtype(torch.float64)
report("default_dtype", [torch.get_default_dtype(), torch.tensor([1.5]).dtype, torch.zeros(1).dtype,
                         nn.Linear(2, 2).weight.dtype])
torch.set_default_dtype(torch.float32)
report("default_dtype_restored", torch.ones(1).dtype)

dataset = torch.utils.data.TensorDataset(torch.arange(6.0).view(3, 2), torch.tensor([0, 1, 0]))
loader = torch.utils.data.DataLoader(dataset, batch_size=2)
report("utils_data_without_import", [len(loader), next(iter(loader))[0].tolist()])

net = nn.Linear(2, 1)
report("allclose_after_copy", torch.allclose(net.weight, net.weight.clone().detach()))
report("numel_size", [net.weight.numel(), list(net.weight.size()), net.weight.size(1)])
report("type_strings", [torch.ones(1).type(), torch.ones(1, dtype=torch.long).type()])
report("legacy_constructors", [torch.FloatTensor([1, 2]).dtype, torch.LongTensor([1]).dtype,
                               torch.Tensor(2, 3).shape])
report("is_tensor", [torch.is_tensor(x), torch.is_floating_point(x), torch.numel(x)])
report("manual_seed_returns", type(torch.manual_seed(0)).__name__)
with torch.random.fork_rng():
    torch.rand(3)
report("version_string", isinstance(torch.__version__, str))
report("zero_grad_none", [p.grad for p in net.parameters()])
import torch.functional  # noqa: E402,F401 - older scripts import these
import torch.onnx  # noqa: E402,F401
report("imports_ok", True)
