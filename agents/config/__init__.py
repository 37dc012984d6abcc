"""Every config schema of satcoop, one error formatter, one dotted-key setter.

* :class:`RunConfig` (``satcoop run``, :mod:`.run`), :class:`CompareConfig` (``compare``),
  :class:`SweepConfig` (``sweep``), :class:`TrainConfig` (``train``), :class:`OverheadConfig`
  (``overhead``), :class:`WorldQuery` (``world``), :class:`ConstellationSpec` (the ``constellation``
  field of every config);
* :func:`parse` / :func:`one_line` (:mod:`.errors`): bad input is ONE line ``field = value: allowed``
  raised as :class:`BadInput` (exit status 2 on the command line; any other exception is an
  internal error, exit 1);
* :func:`read_toml`, :func:`apply_override`, :func:`set_dotted` (:mod:`.overrides`): config files
  and ``--set FIELD=VALUE``.

Pure pydantic: importing this package pulls neither torch nor Ray.
"""
from __future__ import annotations

from .compare import CompareConfig
from .constellation import ConstellationSpec, WalkerShellSpec
from .errors import BadInput, one_line, parse
from .overhead import OverheadConfig
from .overrides import apply_override, read_toml, set_dotted
from .run import RunConfig
from .sweep import SweepConfig
from .train import TrainConfig
from .world import WorldQuery

__all__ = ["BadInput", "CompareConfig", "ConstellationSpec", "OverheadConfig", "RunConfig", "SweepConfig",
           "TrainConfig", "WalkerShellSpec", "WorldQuery", "apply_override", "one_line", "parse", "read_toml",
           "set_dotted"]
