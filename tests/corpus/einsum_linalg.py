"""einsum and torch.linalg in everyday use: contractions, norms, inverses, solves, decompositions (compared
through sign-free quantities), least squares, and gradients through a few of them. Inputs come from NumPy."""
import numpy as np
import torch

from _report import report

rng = np.random.RandomState(0)
A = torch.from_numpy(rng.randn(4, 4))
B = torch.from_numpy(rng.randn(4, 3))
S = A @ A.T + 4 * torch.eye(4, dtype=torch.float64)  # symmetric positive definite
batch = torch.from_numpy(rng.randn(2, 3, 4).astype(np.float32))

report("einsum_matmul", torch.einsum("ij,jk->ik", A, B), rtol=1e-10)
report("einsum_trace", torch.einsum("ii", A), rtol=1e-12)
report("einsum_diag", torch.einsum("ii->i", A), rtol=1e-12)
report("einsum_outer", torch.einsum("i,j->ij", torch.arange(3.0), torch.arange(2.0)))
report("einsum_batch", torch.einsum("bij,bkj->bik", batch, batch), rtol=1e-5)
report("einsum_ellipsis", torch.einsum("...ij->...ji", batch).shape)
report("einsum_list_operands", torch.einsum("i,i->", [torch.ones(3), torch.arange(3.0)]))
report("einsum_bilinear", torch.einsum("bn,anm,bm->ba", torch.ones(2, 3), torch.ones(5, 3, 4), torch.ones(2, 4)))

report("norm_fro", torch.linalg.norm(A), rtol=1e-12)
report("norm_ord", [torch.linalg.norm(A, ord=o).item() for o in (1, -1, 2, float("inf"), "nuc")], rtol=1e-10)
report("vector_norm", [torch.linalg.vector_norm(B, ord=o).item() for o in (1, 2, 3.5, float("inf"), 0)],
       rtol=1e-10)
report("vector_norm_dim", torch.linalg.vector_norm(B, dim=0, keepdim=True), rtol=1e-12)
report("matrix_norm", torch.linalg.matrix_norm(batch, ord="fro"), rtol=1e-5)
report("tensor_norm_method", [B.norm().item(), B.norm(p=1).item(), B.norm(dim=1).tolist()], rtol=1e-12)
report("inv", torch.linalg.inv(S), rtol=1e-10)
report("inv_identity", torch.allclose(S @ torch.linalg.inv(S), torch.eye(4, dtype=torch.float64)))
report("det", torch.linalg.det(A), rtol=1e-10)
report("slogdet", list(torch.linalg.slogdet(A)), rtol=1e-10)
report("solve", torch.linalg.solve(S, B), rtol=1e-10)
report("cholesky", torch.linalg.cholesky(S), rtol=1e-10)
report("matrix_rank", torch.linalg.matrix_rank(torch.ones(3, 3)))
report("pinv", torch.linalg.pinv(B), rtol=1e-9)

U, sv, Vh = torch.linalg.svd(B, full_matrices=False)
report("svd_values", sv, rtol=1e-10)
report("svd_reconstructs", torch.allclose(U @ torch.diag(sv) @ Vh, B))
report("svdvals", torch.linalg.svdvals(B), rtol=1e-10)
u_old, s_old, v_old = torch.svd(B)
report("torch_svd_shapes", [list(u_old.shape), list(s_old.shape), list(v_old.shape)])
report("torch_svd_reconstructs", torch.allclose(u_old @ torch.diag(s_old) @ v_old.T, B))
Q, R = torch.linalg.qr(A)
report("qr_abs_diag", R.diagonal().abs(), rtol=1e-10)
report("qr_orthonormal", torch.allclose(Q.T @ Q, torch.eye(4, dtype=torch.float64)))
evals, evecs = torch.linalg.eigh(S)
report("eigh_values", evals, rtol=1e-10)
report("eigh_reconstructs", torch.allclose(evecs @ torch.diag(evals) @ evecs.T, S))
report("eigvalsh", torch.linalg.eigvalsh(S), rtol=1e-10)
report("cross", torch.linalg.cross(torch.tensor([1.0, 0.0, 0.0]), torch.tensor([0.0, 1.0, 0.0])))
report("torch_cross", torch.cross(torch.eye(3), torch.ones(3, 3), dim=1))
solution = torch.linalg.lstsq(B, A[:, :2]).solution
report("lstsq", solution, rtol=1e-9)
report("matrix_power", torch.linalg.matrix_power(torch.tensor([[1.0, 1.0], [0.0, 1.0]]), 5))
report("matrix_exp", torch.linalg.matrix_exp(torch.tensor([[0.0, 1.0], [-1.0, 0.0]])), rtol=1e-6, atol=1e-7)
report("multi_dot", torch.linalg.multi_dot([A, B, B.T]), rtol=1e-10)
report("outer_kron", [torch.outer(torch.arange(2.0), torch.arange(3.0)).tolist(),
                      torch.kron(torch.eye(2), torch.ones(2, 2)).tolist()])
report("tensordot", torch.tensordot(batch, batch, dims=([1, 2], [1, 2])), rtol=1e-5)

# gradients through linear algebra
X = S.clone().requires_grad_()
torch.linalg.det(X).backward()
report("det_grad", X.grad, rtol=1e-9)
Y = B.clone().requires_grad_()
torch.linalg.norm(Y).backward()
report("norm_grad", Y.grad, rtol=1e-10)
Z = S.clone().requires_grad_()
torch.linalg.solve(Z, torch.ones(4, dtype=torch.float64)).sum().backward()
report("solve_grad", Z.grad, rtol=1e-9)
