"""Precoding on statistical CSI (multi-satellite paper, Section II-C and VI-A).

Modules: :mod:`.problem` (PrecodingProblem, Precoders), :mod:`.rates` (ergodic
rate (16), instantaneous rates), :mod:`.power` (exact sum-power multiplier),
:mod:`.miso` (textbook MISO-BC WMMSE primitives), :mod:`.wmmse` (Cen-Opt-WM,
Sep-Opt-WM, closed-form recovery (26)), :mod:`.baselines` (Sep-MRT, Sep-MMSE),
:mod:`.ergodic` (Cen-Opt-ER), :mod:`.convergence` (the per-drop stopping policy),
:mod:`.flops` (operation counts), :mod:`.contract` (the scheme contract: Scheme,
HISTORY_KEYS, check_history; the catalog is :mod:`agents.schemes`). Import the submodules directly; this package
import stays light.
"""
