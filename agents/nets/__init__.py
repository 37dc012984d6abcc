"""Learned precoders of the multi-satellite paper (Sections III-V): Cen-TFC-WM and Dec-TFC-WM.

Modules: :mod:`.layers` (MDE, MDI, TEN, FDA), :mod:`.features` (input tensors (28), (43)-(44)),
:mod:`.cfr` (closed-form recovery (26) + exact budget rescaling), :mod:`.cen_tfc` (centralized
net, NetConfig), :mod:`.dec_tfc` (decentralized dual-branch net, OthersView, on-board
``dec_tfc_local``), :mod:`.dataset` (10,000 identity-keyed world drops, cached),
:mod:`.train` (unsupervised training, ``satcoop train``), :mod:`.schemes` (the two schemes,
shipped weights in ``weights/``), :mod:`.ship` (copy a training run's weights into the package
with its invocation and reference figures). Import the submodules directly; this package
import stays light.
"""

DATA_SEED = 2026        # the data seed of the shipped weights (:mod:`.dataset`; TrainConfig.data_seed's default)
