"""The config of ``satcoop overhead`` (ISL bits per precoding update, Table III): :class:`OverheadConfig`."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["OverheadConfig", "MAX_S", "OVERHEAD_OPTIONS"]

MAX_S = 256          # the decentralized update alone is S (S-1) messages on a complete graph
OVERHEAD_OPTIONS = {"S": "--S", "K": "--K", "M": "--M", "N": "--N", "bits_per_real": "--bits-per-real",
                    "sigma_packing": "--sigma-packing", "link_length_km": "--link-km"}


class OverheadConfig(BaseModel):
    """S cooperating satellites one ISL hop (``link_length_km``) apart, K UTs, M satellite and N UT antennas,
    ``bits_per_real`` per real number (the live config's bound), Sigma packed ``full`` (2 N^2 reals, the
    paper's count) or ``hermitian`` (N^2)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    S: int = Field(3, ge=1, le=MAX_S)
    K: int = Field(12, ge=1, le=1_000_000)
    M: int = Field(64, ge=1, le=1_000_000)
    N: int = Field(4, ge=1, le=1024)
    bits_per_real: int = Field(32, ge=1, le=128)
    sigma_packing: Literal["full", "hermitian"] = "full"
    link_length_km: float = Field(1000.0, gt=0.0, lt=1e5)
