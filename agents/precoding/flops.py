"""Floating-point operation counts of the precoding schemes (what the live simulation charges).

Conventions (real flops; counts, not timings):

* a real multiply or add = 1 flop; a complex add = 2; a complex multiply = 6;
  a complex multiply-add (the inner-product step) = 8;
* a complex matrix product [m, n] x [n, p]: ``cmatmul(m, n, p) = 8 m n p``;
* a complex LU solve of an n x n system with ``nrhs`` right-hand sides:
  ``csolve(n, nrhs) = 8 n^3 / 3 + 8 n^2 nrhs`` (LU n^3/3 multiply-adds, forward and
  back substitution n^2 per right-hand side; Golub & Van Loan, Matrix Computations, 3.2);
* a Hermitian eigendecomposition with eigenvectors: ``ceigh(n) = 4 * 9 n^3``
  (the symmetric QR algorithm costs about 9 n^3 real flops with eigenvectors, GVL Table 8.3.1;
  complex arithmetic about four times that);
* a reduced Householder QR of an [m, n] matrix (m >= n) with Q formed:
  ``cqr(m, n) = 4 * (4 m n^2 - 4 n^3 / 3)`` (2mn^2 - 2n^3/3 for R and as much again
  for Q, GVL 5.2.1, times four for complex);
* a Hermitian form b^H A b of size n: ``8 (n^2 + n)``.

The scheme costs below follow the operations each implementation actually runs
(shapes of the tensors it forms), multiplied by the iterations each drop ran;
elementwise work of lower order (logs, norms, O(SK) bookkeeping) is included
where it is not negligible. The multi-satellite paper's Table II gives the orders
of the textbook implementation (M x M solves: O(I S K M^3) for Cen-Opt-WM); ours
solves the precoder step in the span of the K steering vectors of each satellite
(reduced QR, R = min(M, K)), so its count is O(S (K^2 M + R^3)) per outer iteration.
"""
from __future__ import annotations

__all__ = ["cmatmul", "csolve", "ceigh", "cqr", "cquad", "sep_mrt_flops", "sep_mmse_flops",
           "wmmse_setup_flops", "wmmse_iteration_flops", "secular_step_flops", "ergodic_rate_flops"]


def cmatmul(m: int, n: int, p: int) -> float:
    """Complex [m,n] x [n,p]: 8 m n p real flops."""
    return 8.0 * m * n * p


def csolve(n: int, nrhs: int) -> float:
    """Complex LU solve, n x n, ``nrhs`` right-hand sides: 8 n^3/3 + 8 n^2 nrhs."""
    return 8.0 * n ** 3 / 3.0 + 8.0 * n ** 2 * nrhs


def ceigh(n: int) -> float:
    """Hermitian eigendecomposition with eigenvectors, n x n: 36 n^3."""
    return 36.0 * n ** 3


def cqr(m: int, n: int) -> float:
    """Reduced complex Householder QR of [m, n] with Q formed (r = min(m, n) columns)."""
    r = min(m, n)
    return 4.0 * (4.0 * m * n * r - 4.0 * r ** 3 / 3.0)


def cquad(n: int) -> float:
    """b^H A b, A n x n complex: 8 (n^2 + n)."""
    return 8.0 * (n * n + n)


def sep_mrt_flops(S: int, K: int, M: int) -> float:
    """Sep-MRT: p_{s,k} = sqrt(P_s/K) g_{s,k}: one real-by-complex scale per entry, 2 S K M."""
    return 2.0 * S * K * M


def sep_mmse_flops(S: int, K: int, M: int, N: int) -> float:
    """Sep-MMSE (``agents.precoding.baselines.sep_mmse``), per satellite:
    gamma_{s,k} = d0^H R^ut d0 (K Hermitian forms of size N): K cquad(N);
    H_s rows sqrt(gamma) g^H: 2 K M; Gram H H^H: cmatmul(K, M, K);
    (Gram + alpha I)^{-1} by a solve with K right-hand sides: csolve(K, K);
    P = H^H X: cmatmul(M, K, K); power norm and rescale: 4 K M + 2 K M.
    Total S * (K cquad(N) + 8 K M + 16 K^2 M + csolve(K, K)) (+ R^ut: S K (N^2) * 8)."""
    per_sat = (K * cquad(N) + 2.0 * K * M + cmatmul(K, M, K) + csolve(K, K) + cmatmul(M, K, K)
               + 6.0 * K * M + 8.0 * K * N * N)
    return S * per_sat


def wmmse_setup_flops(S: int, K: int, M: int, N: int) -> float:
    """One-off work of a Cen-Opt-WM call: R^ut (14) (S K N^2 complex products, 8 each), the reduced QR
    of each satellite's M x K steering matrix cqr(M, K), and the receive statistics of the start point
    (one :func:`wmmse_iteration_flops`-style evaluation of gains and quadratic forms):
    link gains S cmatmul(K, M, K) and S^2 K cquad(N)."""
    return S * (8.0 * K * N * N + cqr(M, K)) + S * cmatmul(K, M, K) + S * S * K * cquad(N)


def secular_step_flops(R: int) -> float:
    """One safeguarded Newton step on the secular equation (``agents.precoding.power``), per satellite:
    S(lam), S'(lam) and the update over R eigenvalues, about 10 R real flops."""
    return 10.0 * R


def wmmse_iteration_flops(S: int, K: int, M: int, N: int) -> float:
    """One outer iteration of Algorithm 1 as implemented (``cen_opt_wm``), R = min(M, K),
    excluding the secular Newton steps (charged per step, :func:`secular_step_flops`):

    * rho (weights through the quadratic forms): 3 S^2 K;
    * reduced system A = Rg diag(rho) Rg^H and V, formed twice (multiplier, recovery): 2 S (cmatmul(R, K, R) + 2 R K);
    * multiplier: S ceigh(R) and U^H V: S cmatmul(R, R, K);
    * recovery (26): S csolve(R, K), p = Q Y: S cmatmul(M, R, K);
    * link gains p^H g: S cmatmul(K, M, K);
    * receivers (23): C_k (S K N^2 complex scale-adds, 4 each, + noise), and S K solves csolve(N, 1);
    * receive statistics (20)-(21): S^2 K cquad(N) quadratic forms, mean b^H d_bar S K 8 N, O(S K) rest (20 S K).
    """
    r = min(M, K)
    return (3.0 * S * S * K
            + 2.0 * S * (cmatmul(r, K, r) + 2.0 * r * K)
            + S * (ceigh(r) + cmatmul(r, r, K))
            + S * (csolve(r, K) + cmatmul(M, r, K))
            + S * cmatmul(K, M, K)
            + 4.0 * S * K * N * N + 2.0 * K * N + S * K * csolve(N, 1)
            + S * S * K * cquad(N) + 8.0 * S * K * N + 20.0 * S * K)


def ergodic_rate_flops(S: int, K: int, M: int, N: int, samples: int) -> float:
    """Forward evaluation of the ergodic rates (16) (``agents.precoding.rates.ergodic_rates``):
    link gains S cmatmul(K, M, K); S^2 K cquad(N) quadratic forms of R^ut and S K cquad(N) of Sigma;
    per sample and stream: the normal draw, |mean + sd z|^2, two affine terms, two logs
    (charged 20 flops each): 30 flops; total ``samples`` * 30 S K."""
    return S * cmatmul(K, M, K) + S * S * K * cquad(N) + S * K * cquad(N) + 30.0 * samples * S * K
