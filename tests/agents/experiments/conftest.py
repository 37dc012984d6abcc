"""A local Ray instance shared by the sweep tests of a module (never a stranger's cluster)."""
from __future__ import annotations

import pytest
import ray


@pytest.fixture(scope="module")
def local_ray():
    if not ray.is_initialized():
        ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()
