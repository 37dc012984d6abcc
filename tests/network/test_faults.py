import numpy as np
import pandas as pd
import pytest

from network.faults import (FaultTimeline, GilbertElliott, IIDLinkOutage, SatelliteOutage, ScheduledFailure,
                            build_timeline)


def _links(n):
    return np.stack([np.arange(n), np.arange(n) + 1], 1)


def _durations(tl):
    df = tl.frame()
    return df, (df.t_end_s - df.t_start_s).to_numpy()


def _brute_is_down(df, t, edges):
    out = np.zeros(len(edges), bool)
    live = df[(df.t_start_s <= t) & (df.t_end_s > t)]
    for _, row in live.iterrows():
        if row.v >= 0:
            out |= (edges.min(1) == row.u) & (edges.max(1) == row.v)
        else:
            out |= (edges[:, 0] == row.u) | (edges[:, 1] == row.u)
    return out


def test_iid_outage_fraction_and_run_length():
    p, dt, n_links, horizon = 0.05, 0.1, 400, 200.0
    tl = IIDLinkOutage(p, dt).timeline(_links(n_links), 0.0, horizon, np.random.default_rng(11))
    df, dur = _durations(tl)
    n_cells = n_links * round(horizon / dt)
    frac = dur.sum() / (n_links * horizon)
    se = np.sqrt(p * (1 - p) / n_cells)
    assert abs(frac - p) < 4 * se, (frac, p, se)
    # consecutive down steps are merged into runs: run length ~ geometric, mean dt / (1 - p)
    inner = (df.t_start_s > 0) & (df.t_end_s < horizon)
    runs = dur[inner.to_numpy()]
    mean_run, sd = dt / (1 - p), dt * np.sqrt(p) / (1 - p)
    assert abs(runs.mean() - mean_run) < 4 * sd / np.sqrt(len(runs))
    # every interval is a whole number of steps, on the step grid
    np.testing.assert_allclose(np.round(df.t_start_s / dt) * dt, df.t_start_s, atol=1e-9)


def test_gilbert_elliott_stationary_fraction_and_sojourns():
    mu, md, dt, n_links, horizon = 5.0, 1.0, 0.1, 300, 600.0
    model = GilbertElliott(mu, md, dt)
    assert model.stationary_down == pytest.approx(md / (mu + md))
    tl = model.timeline(_links(n_links), 0.0, horizon, np.random.default_rng(12))
    df, dur = _durations(tl)
    pi = md / (mu + md)
    n = round(horizon / dt)
    lam = 1 - dt / mu - dt / md                              # second eigenvalue of the chain
    se = np.sqrt(pi * (1 - pi) / n * (1 + lam) / (1 - lam) / n_links)
    frac = dur.sum() / (n_links * horizon)
    assert abs(frac - pi) < 4 * se, (frac, pi, se)
    # the chain starts stationary: fraction down at t = 0
    down0 = tl.is_down(0.0, _links(n_links)).mean()
    assert abs(down0 - pi) < 4 * np.sqrt(pi * (1 - pi) / n_links)
    # mean down sojourn (uncensored ones) and mean up sojourn (gaps between downs of one link)
    inner = ((df.t_start_s > 0) & (df.t_end_s < horizon)).to_numpy()
    downs = dur[inner]
    sd_down = dt * np.sqrt(1 - dt / md) / (dt / md)
    assert abs(downs.mean() - md) < 4 * sd_down / np.sqrt(len(downs))
    df = df.sort_values(["u", "t_start_s"])
    same = df.u.to_numpy()[1:] == df.u.to_numpy()[:-1]
    ups = (df.t_start_s.to_numpy()[1:] - df.t_end_s.to_numpy()[:-1])[same]
    sd_up = dt * np.sqrt(1 - dt / mu) / (dt / mu)
    assert abs(ups.mean() - mu) < 4 * sd_up / np.sqrt(len(ups))
    assert ups.min() >= dt - 1e-9 and downs.min() >= dt - 1e-9


def test_same_seed_same_timeline_and_children_are_independent():
    links = _links(50)
    models = [IIDLinkOutage(0.02, 0.1), GilbertElliott(10.0, 1.0, 0.1)]
    a = build_timeline(models, links, 0.0, 100.0, np.random.default_rng(5))
    b = build_timeline(models, links, 0.0, 100.0, np.random.default_rng(5))
    c = build_timeline(models, links, 0.0, 100.0, np.random.default_rng(6))
    assert a.equals(b) and not a.equals(c) and len(a) > 0
    # appending a model leaves the earlier models' draws unchanged
    d = build_timeline(models + [SatelliteOutage(3, 1.0, 2.0)], links, 0.0, 100.0, np.random.default_rng(5))
    fa, fd = a.frame(), d.frame()
    assert fd[fd.cause != "targeted"].reset_index(drop=True).equals(fa)


def test_is_down_and_down_during_match_brute_force():
    rng = np.random.default_rng(7)
    links = np.array([[0, 1], [1, 2], [2, 3], [3, 4], [0, 4], [1, 3]])
    tl = build_timeline([IIDLinkOutage(0.2, 0.5), GilbertElliott(3.0, 2.0, 0.5),
                         ScheduledFailure(((2.0, 7.5, 2), (4.0, 4.0, (1, 3)), (10.0, 30.0, (4, 0)))),
                         SatelliteOutage(4, 40.0, 41.0)], links, 0.0, 50.0, rng)
    df = tl.frame()
    edges = np.vstack([links, [[1, 4], [0, 2]]])              # also links never in the model list
    for t in np.concatenate([rng.uniform(-1, 51, 200), df.t_start_s.to_numpy()[:50], df.t_end_s.to_numpy()[:50]]):
        np.testing.assert_array_equal(tl.is_down(t, edges), _brute_is_down(df, t, edges), err_msg=f"t={t}")
    for t0 in rng.uniform(0, 50, 100):
        t1 = t0 + rng.uniform(0, 2)
        got = tl.down_during(t0, t1, edges)
        want = np.zeros(len(edges), bool)
        for _, row in df[(df.t_start_s < t1) & (df.t_end_s > t0) & (df.t_end_s > df.t_start_s)].iterrows():
            if row.v >= 0:
                want |= (edges.min(1) == row.u) & (edges.max(1) == row.v)
            else:
                want |= (edges[:, 0] == row.u) | (edges[:, 1] == row.u)
        np.testing.assert_array_equal(got, want)


def test_scheduled_by_name_and_targeted_satellite():
    names = ["SAT-A", "SAT-B", "SAT-C", "SAT-D"]
    links = np.array([[0, 1], [1, 2], [2, 3], [0, 3]])
    tl = build_timeline([ScheduledFailure(((5.0, 6.0, ("SAT-B", "SAT-C")),)), SatelliteOutage("SAT-D", 8.0, 9.0)],
                        links, 0.0, 10.0, np.random.default_rng(0), names=names)
    assert tl.is_down(5.5, links).tolist() == [False, True, False, False]
    assert tl.is_down(6.0, links).tolist() == [False, False, False, False]        # half-open
    assert tl.is_down(8.0, links).tolist() == [False, False, True, True]
    assert tl.sat_down(8.5, [0, 1, 2, 3]).tolist() == [False, False, False, True]
    with pytest.raises(ValueError, match="SAT-Z"):
        ScheduledFailure(((0.0, 1.0, "SAT-Z"),)).timeline(names=names)


def test_timeline_parquet_round_trip_and_replay(tmp_path):
    links = _links(30)
    tl = build_timeline([GilbertElliott(4.0, 1.0, 0.1), SatelliteOutage(7, 2.0, 3.0)], links, 0.0, 60.0,
                        np.random.default_rng(9))
    path = tmp_path / "faults.parquet"
    tl.to_parquet(path)
    back = FaultTimeline.read_parquet(path)
    assert back.equals(tl)
    assert isinstance(pd.read_parquet(path), pd.DataFrame)
    for t in np.linspace(0, 60, 97):
        np.testing.assert_array_equal(back.is_down(t, links), tl.is_down(t, links))


@pytest.mark.parametrize("make, field", [
    (lambda: IIDLinkOutage(1.5, 0.1), "p"),
    (lambda: IIDLinkOutage(0.1, 0.0), "dt_s"),
    (lambda: GilbertElliott(0.05, 1.0, 0.1), "mean_up_s"),
    (lambda: GilbertElliott(1.0, 0.01, 0.1), "mean_down_s"),
    (lambda: FaultTimeline([1.0], [0.5], [0], [1], ["x"]), "t_end_s"),
    (lambda: ScheduledFailure(((0.0, "later", 3),)).timeline(), r"entries\[0\].*t_start_s <= t_end_s"),
    (lambda: build_timeline([], _links(2), 0, 1, rng=np.random.RandomState(0)), "rng"),
    (lambda: IIDLinkOutage(0.1, 0.1).timeline(_links(2), 5.0, 1.0, np.random.default_rng(0)), "t1_s"),
    (lambda: GilbertElliott(1.0, 1.0, 0.1).timeline(_links(2), 0.0, 1.0, rng=None), "rng"),
    (lambda: IIDLinkOutage(0.1, 0.1).timeline(_links(2), 0.0, 1.0, rng=np.random.RandomState(1)), "rng"),
])
def test_fault_bad_input_names_the_field(make, field):
    with pytest.raises(ValueError, match=field):
        make()


# ---------------------------------------------------------------- keyed by identity
def _per_link(tl, t1_s=None):
    """{(u, v): [(start, end), ...]} of link intervals, optionally clipped to [., t1_s)."""
    df = tl.frame()
    if t1_s is not None:
        df = df[df.t_start_s < t1_s].assign(t_end_s=lambda d: np.minimum(d.t_end_s, t1_s))
    out = {}
    for row in df.sort_values(["u", "v", "t_start_s"]).itertuples():
        out.setdefault((row.u, row.v), []).append((row.t_start_s, row.t_end_s))
    return out


_RANDOM_MODELS = [IIDLinkOutage(0.01, 0.1), GilbertElliott(20.0, 2.0, 0.1)]


@pytest.mark.parametrize("model", _RANDOM_MODELS, ids=lambda m: type(m).__name__)
def test_longer_horizon_agrees_on_the_common_part(model):
    # before identity keying, 60 s and 600 s timelines of the same seed differed in their first 30 s
    links = _links(100)
    short = model.timeline(links, 0.0, 60.0, np.random.default_rng(3))
    long = model.timeline(links, 0.0, 600.0, np.random.default_rng(3))
    assert len(short) > 20 and len(long) > 5 * len(short)
    assert _per_link(short) == _per_link(long, t1_s=60.0)
    grid = np.arange(0.0, 60.0, 0.05)
    for t in grid[::7]:
        np.testing.assert_array_equal(short.is_down(t, links), long.is_down(t, links))


@pytest.mark.parametrize("model", _RANDOM_MODELS, ids=lambda m: type(m).__name__)
def test_link_outages_do_not_depend_on_the_other_links(model):
    rng = np.random.default_rng(0)
    links = np.stack([rng.choice(300, 120, replace=False), rng.choice(np.arange(300, 600), 120, replace=False)], 1)
    full = _per_link(model.timeline(links, 0.0, 200.0, 7))
    # a subset, shuffled, with every other link written (v, u), plus links that were not there before
    sub = links[rng.permutation(len(links))[:40]]
    sub[::2] = sub[::2, ::-1]
    extra = np.array([[1000, 1001], [1002, 1003], [5, 1004]])
    part = _per_link(model.timeline(np.vstack([extra, sub]), 0.0, 200.0, 7))
    keys = {(min(a, b), max(a, b)) for a, b in sub}
    assert {k: v for k, v in part.items() if k in keys} == {k: v for k, v in full.items() if k in keys}
    assert sum(len(v) for k, v in full.items() if k in keys) > 20
    # a different seed gives a different process on the same links
    assert _per_link(model.timeline(links, 0.0, 200.0, 8)) != full


def test_iid_links_are_independent_of_each_other():
    # adjacent links share a satellite id: P(both down in a step) must still be p^2
    p, dt, n_links, horizon = 0.05, 0.1, 400, 200.0
    links = _links(n_links)
    tl = IIDLinkOutage(p, dt).timeline(links, 0.0, horizon, 21)
    steps = np.arange(round(horizon / dt)) * dt + dt / 2
    down = np.stack([tl.is_down(t, links) for t in steps], 1)          # [links, steps]
    both = (down[1:] & down[:-1]).sum()
    expect = p * p * (n_links - 1) * len(steps)
    assert abs(both - expect) < 4 * np.sqrt(expect), (both, expect)
    # and a link's successive steps are independent too
    lag = (down[:, 1:] & down[:, :-1]).sum()
    expect = p * p * n_links * (len(steps) - 1)
    assert abs(lag - expect) < 4 * np.sqrt(expect), (lag, expect)


def test_seed_forms_generator_seedsequence_int():
    links, models = _links(40), _RANDOM_MODELS
    a = build_timeline(models, links, 0.0, 100.0, 17)
    b = build_timeline(models, links, 0.0, 100.0, np.random.SeedSequence(17))
    assert a.equals(b) and len(a) > 0
    c = build_timeline(models, links, 0.0, 100.0, np.random.default_rng(17))
    assert c.equals(build_timeline(models, links, 0.0, 100.0, np.random.default_rng(17)))
