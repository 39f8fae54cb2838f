"""Evaluation metrics for right-censored time-to-event predictions, in NumPy.

Why our own: scikit-survival pins scikit-learn's minor version and is GPL, and
lifelines caps pandas; these functions use the same definitions as
scikit-survival and are tested against it on real cohorts
(``tests/data/make_survival_reference.py``).

Conventions: ``time`` is the follow-up time (> 0), ``event`` is 1 (or True)
when the event was observed and 0 when the patient was censored, ``risk`` is
a score where higher means an earlier event, and survival predictions hold
``S(t | x)``: one row per patient, one column per requested time.

Inverse probability of censoring weights (IPCW) use ``G``, the Kaplan–Meier
curve of the censoring times. An event at ``T`` is seen only if the patient was
still followed just before ``T``, so its weight is ``1 / G(T-)`` (left limit),
as in Graf et al. (1999) and Gerds & Schumacher (2006). scikit-survival uses
``G(T)`` instead; the two differ only when a patient is censored at exactly the
time of an event, and the tests check that difference explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: How far a survival probability is kept from 0 and 1 before ``log(-log S)``.
_CLIP = 1e-12


def _check_outcome(time, event) -> tuple[np.ndarray, np.ndarray]:
    """Validate follow-up times and event flags; returns (float times, bool events)."""
    time = np.asarray(time, dtype=float)
    event = np.asarray(event)
    if time.ndim != 1 or time.size < 2:
        raise ValueError("time must be a 1-D array of at least 2 patients, "
                         f"got shape {time.shape}.")
    if event.shape != time.shape:
        raise ValueError(f"event has shape {event.shape} but time has shape {time.shape}; "
                         "give one event flag per patient.")
    if not np.isfinite(time).all() or (time <= 0).any():
        raise ValueError("time must be finite and greater than 0 for every patient.")
    if not np.isin(event, [0, 1]).all():
        raise ValueError("event must be 0/1 or boolean (1 = event observed, 0 = censored); "
                         f"found values {np.unique(event)[:5].tolist()}.")
    return time, event.astype(bool)


def _check_scores(values, n: int, name: str, columns: int | None = None) -> np.ndarray:
    """Validate a per-patient score (1-D) or per-patient-per-time matrix."""
    values = np.asarray(values, dtype=float)
    shapes = [(n,)] if columns is None else [(n,), (n, columns)]
    if values.shape not in shapes:
        raise ValueError(f"{name} has shape {values.shape}; expected "
                         f"{' or '.join(str(s) for s in shapes)} (one row per patient).")
    if not np.isfinite(values).all():
        raise ValueError(f"{name} contains NaN or infinite values.")
    return values


def _check_survival(surv, n: int, columns: int | None = None) -> np.ndarray:
    surv = _check_scores(surv, n, "the predicted survival", columns)
    if columns is not None and surv.ndim == 1:
        raise ValueError(f"the predicted survival needs shape ({n}, {columns}): "
                         "one column per time.")
    if (surv < 0).any() or (surv > 1).any():
        raise ValueError("predicted survival probabilities must lie between 0 and 1.")
    return surv


def _check_horizon(t, time: np.ndarray) -> float:
    """A horizon must leave someone followed beyond it, or no metric is identifiable."""
    t = float(t)
    if not np.isfinite(t) or t <= 0:
        raise ValueError(f"the time horizon must be a finite number greater than 0, got {t}.")
    if t >= time.max():
        raise ValueError(f"t={t:g} is at or after the last observed time {time.max():g}: nobody "
                         "is followed beyond it, so the metric is undefined there; "
                         "choose a smaller t.")
    return t


def _check_times(times, time: np.ndarray) -> np.ndarray:
    times = np.atleast_1d(np.asarray(times, dtype=float))
    if times.ndim != 1 or (np.diff(times) <= 0).any():
        raise ValueError("times must be a 1-D array of strictly increasing horizons, "
                         "in the order of the prediction columns.")
    for t in times:
        _check_horizon(t, time)
    return times


def _counts(time: np.ndarray, event: np.ndarray):
    """Distinct times with the numbers at risk, with an event and censored at each."""
    times, inverse, total = np.unique(time, return_inverse=True, return_counts=True)
    events = np.bincount(inverse, weights=event, minlength=times.size)
    at_risk = total[::-1].cumsum()[::-1]
    return times, at_risk, events, total - events


def _product_limit(happened: np.ndarray, at_risk: np.ndarray) -> np.ndarray:
    hazard = np.divide(happened, at_risk, out=np.zeros(happened.size), where=happened > 0)
    return np.cumprod(1.0 - hazard)


def kaplan_meier(time, event) -> tuple[np.ndarray, np.ndarray]:
    """Kaplan–Meier estimate of event-free survival.

    Returns
    -------
    times : ndarray
        The distinct observed times, increasing (censoring-only times included,
        where the curve does not move, as scikit-survival does).
    survival : ndarray
        ``S(times)``; the curve is right-continuous: evaluate it with :func:`step_at`.

    Examples
    --------
    >>> kaplan_meier([1, 2, 2, 3], [1, 1, 0, 0])
    (array([1., 2., 3.]), array([0.75, 0.5 , 0.5 ]))
    """
    times, at_risk, events, _ = _counts(*_check_outcome(time, event))
    return times, _product_limit(events, at_risk)


def censoring_kaplan_meier(time, event) -> tuple[np.ndarray, np.ndarray]:
    """Kaplan–Meier estimate ``G(t)`` of remaining uncensored (censoring as the event).

    At a tied time, events are taken to happen before censoring, so patients
    with an event at ``t`` are no longer at risk of being censored at ``t``
    (the usual "reverse Kaplan–Meier", as in scikit-survival and R's prodlim).
    """
    times, at_risk, events, censored = _counts(*_check_outcome(time, event))
    return times, _product_limit(censored, at_risk - events)


def step_at(times, values, at, left_limit: bool = False) -> np.ndarray:
    """Evaluate a Kaplan–Meier step function at arbitrary times.

    The value is 1 before the first step. ``left_limit=True`` gives ``S(t-)``,
    the value just before ``t``, which excludes a step at ``t`` itself. Past
    the last time the curve is only known if it has reached 0.
    """
    times, values = np.asarray(times, dtype=float), np.asarray(values, dtype=float)
    at = np.asarray(at, dtype=float)
    if values[-1] > 0 and (at > times[-1]).any():
        raise ValueError(f"time {at.max():g} is after the last observed time {times[-1]:g}; the "
                         "Kaplan–Meier curve is not defined there.")
    index = np.searchsorted(times, at, side="left" if left_limit else "right")
    return np.r_[1.0, values][index]


def _censoring_curve(time, event, train_time, train_event) -> tuple[np.ndarray, np.ndarray]:
    """``G`` from the training data when given (as scikit-survival), else from the test data."""
    if (train_time is None) != (train_event is None):
        raise ValueError("give both train_time and train_event, or neither.")
    if train_time is None:
        return censoring_kaplan_meier(time, event)
    return censoring_kaplan_meier(train_time, train_event)


def _inverse(curve: tuple[np.ndarray, np.ndarray], at, left_limit: bool) -> np.ndarray:
    """``1 / G``, refusing times where every patient still followed had been censored."""
    g = step_at(*curve, at, left_limit=left_limit)
    if (g == 0).any():
        raise ValueError("the censoring distribution reaches 0 before some of the times used: "
                         "every patient still followed there had been censored, so the "
                         "inverse-probability weights are infinite; choose an earlier horizon.")
    return 1.0 / g


def _suffix_counts(ranks: np.ndarray, starts: np.ndarray, query: np.ndarray):
    """For each q: how many of ``ranks[starts[q]:]`` are below, and equal to, ``query[q]``.

    Why this shape: in the time-sorted sample, the patients comparable with an
    event form a suffix, so both C-indices reduce to these counts. They are
    found in O(n log² n) without a Python loop over patients: each suffix is
    split into power-of-two blocks (a binary walk on its start), and each block
    is searched in one sorted array per block size.
    """
    size = 1 << int(np.ceil(np.log2(ranks.size + 1)))
    span = int(ranks.max()) + 2  # padding rank span - 1 is above every query
    padded = np.full(size, span - 1, dtype=np.int64)
    padded[1:ranks.size + 1] = ranks  # index 0 is a sentinel: every start is >= 1
    pos = starts.astype(np.int64) + 1
    below = np.zeros(pos.size, dtype=np.int64)
    equal = np.zeros(pos.size, dtype=np.int64)
    width = 1
    while width < size:
        block_keys = np.sort(np.arange(size) // width * span + padded)
        take = (pos & width) != 0
        block = pos[take] // width
        key = block * span + query[take]
        low = np.searchsorted(block_keys, key, side="left")
        below[take] += low - block * width
        equal[take] += np.searchsorted(block_keys, key, side="right") - low
        pos[take] += width
        width *= 2
    return below, equal


def _concordance(time: np.ndarray, event: np.ndarray, risk: np.ndarray, weight) -> float:
    """Weighted concordance over pairs (event i, patient j followed longer than i)."""
    order = np.lexsort((~event, time))  # by time; at a tie, events before censored
    time, event, weight = time[order], event[order], weight[order]
    ranks = np.unique(risk[order], return_inverse=True)[1]
    event_times = np.sort(time[event])
    t_i = time[event]
    tied_events = (np.searchsorted(event_times, t_i, side="right")
                   - np.searchsorted(event_times, t_i, side="left"))
    starts = np.searchsorted(time, t_i, side="left") + tied_events
    below, equal = _suffix_counts(ranks, starts, ranks[event])
    w = weight[event]
    comparable = np.sum(w * (time.size - starts))
    if comparable == 0:
        raise ValueError("no comparable pairs: the concordance needs at least one event followed "
                         "by a patient observed for longer.")
    return float(np.sum(w * (below + 0.5 * equal)) / comparable)


def harrell_c(time, event, risk) -> float:
    """Harrell's concordance index: P(risk_i > risk_j | patient i had the event first).

    A pair is comparable when the shorter time ends in an event. Ties in time
    follow R's ``survival::concordance``, lifelines and scikit-survival: two
    events at the same time are not comparable; an event and a censoring at the
    same time are (the censored patient is taken to outlive the event). Pairs
    with equal risk count 1/2 (exact equality: round the risk first if your
    model's arithmetic makes near-ties). O(n log² n) time, O(n) memory.

    Examples
    --------
    >>> harrell_c([1, 2, 3, 4], [1, 1, 0, 1], [4, 3, 2, 1])
    1.0
    """
    time, event = _check_outcome(time, event)
    risk = _check_scores(risk, time.size, "risk")
    return _concordance(time, event, risk, np.ones(time.size))


def uno_c(time, event, risk, tau: float | None = None, train_time=None, train_event=None) -> float:
    """Uno's C (Uno et al. 2011): Harrell's C with pairs weighted by ``1 / G(T_i-)²``.

    Why the weights: Harrell's C depends on the censoring pattern; the IPCW
    version estimates a quantity that does not, for pairs whose first time is
    before ``tau`` (events at or after ``tau`` are left out). Pick ``tau`` where
    enough patients are still followed, or the weights become unstable.
    ``G`` comes from ``train_time``/``train_event`` when given, else from this data.
    """
    time, event = _check_outcome(time, event)
    risk = _check_scores(risk, time.size, "risk")
    curve = _censoring_curve(time, event, train_time, train_event)
    used = event if tau is None else event & (time < _check_tau(tau, time))
    weight = np.zeros(time.size)
    weight[used] = _inverse(curve, time[used], left_limit=True) ** 2
    return _concordance(time, event, risk, weight)


def _check_tau(tau, time: np.ndarray) -> float:
    tau = float(tau)
    if not np.isfinite(tau) or tau <= 0 or tau > time.max():
        raise ValueError(f"tau={tau:g} must be greater than 0 and at most the last observed time "
                         f"{time.max():g}.")
    return tau


@dataclass(frozen=True)
class TimeDependentAUC:
    """Cumulative/dynamic AUC at each horizon and its summary over horizons."""

    times: np.ndarray
    auc: np.ndarray
    mean_auc: float


def time_dependent_auc(time, event, risk, times, train_time=None,
                       train_event=None) -> TimeDependentAUC:
    """Cumulative/dynamic AUC with IPCW (Uno et al. 2007; Hung & Chiang 2010).

    At horizon ``t``, cases are patients with an event by ``t`` (weighted by
    ``1 / G(T_i-)``) and controls are those still event-free after ``t``; the
    AUC is the weighted share of case-control pairs the risk orders correctly
    (ties 1/2). ``risk`` is one score per patient, or a matrix with one column
    per horizon (for example ``1 - S(t)``) when the ranking changes with time.

    ``mean_auc`` is scikit-survival's summary: the AUCs weighted by the drop
    of the Kaplan–Meier curve of this data between successive horizons,
    ``sum_k AUC(t_k) (S(t_{k-1}) - S(t_k)) / (1 - S(t_K))`` with ``S(t_0) = 1``,
    so horizons where many events happen count more.
    """
    time, event = _check_outcome(time, event)
    times = _check_times(times, time)
    risk = _check_scores(risk, time.size, "risk", columns=times.size)
    risk = np.broadcast_to(risk.reshape(time.size, -1), (time.size, times.size))
    curve = _censoring_curve(time, event, train_time, train_event)
    auc = np.array([_auc_at(time, event, risk[:, k], t, curve) for k, t in enumerate(times)])
    drop = -np.diff(np.r_[1.0, step_at(*kaplan_meier(time, event), times)])
    return TimeDependentAUC(times, auc, float(auc @ drop / drop.sum()))


def _auc_at(time, event, risk, t, curve) -> float:
    cases = event & (time <= t)
    if not cases.any():
        raise ValueError(f"no event is observed by t={t:g}, so the AUC is undefined there; "
                         "choose a later horizon.")
    controls = np.sort(risk[time > t])
    weight = _inverse(curve, time[cases], left_limit=True)
    low = np.searchsorted(controls, risk[cases], side="left")
    high = np.searchsorted(controls, risk[cases], side="right")
    return float(weight @ (low + 0.5 * (high - low)) / (weight.sum() * controls.size))


def _brier(time, event, surv_t, t, curve) -> float:
    cases = event & (time <= t)
    controls = time > t
    loss = np.zeros(time.size)
    loss[cases] = surv_t[cases] ** 2 * _inverse(curve, time[cases], left_limit=True)
    loss[controls] = (1 - surv_t[controls]) ** 2 * _inverse(curve, t, left_limit=False)
    return float(loss.mean())


def brier_score(time, event, surv_at_t, t, train_time=None, train_event=None) -> float:
    """IPCW Brier score at horizon ``t`` (Graf et al. 1999).

    The squared error of ``S(t | x)`` against "still event-free at t"; patients
    censored before ``t`` are left out and the others reweighted: an event by
    ``t`` by ``1 / G(T_i-)``, a patient followed past ``t`` by ``1 / G(t)``.
    Without censoring this is the plain Brier score. ``G`` comes from the
    training data when given (as in scikit-survival), else from this data.
    """
    time, event = _check_outcome(time, event)
    t = _check_horizon(t, time)
    surv_at_t = _check_survival(surv_at_t, time.size)
    return _brier(time, event, surv_at_t, t, _censoring_curve(time, event, train_time, train_event))


def integrated_brier_score(time, event, surv, times, train_time=None, train_event=None) -> float:
    """The Brier score integrated over ``times`` (trapezoid) and divided by their range.

    ``surv`` has one column per horizon in ``times`` (strictly increasing, at
    least two), as in scikit-survival's ``integrated_brier_score``.
    """
    time, event = _check_outcome(time, event)
    times = _check_times(times, time)
    if times.size < 2:
        raise ValueError("the integrated Brier score needs at least two horizons.")
    surv = _check_survival(surv, time.size, columns=times.size)
    curve = _censoring_curve(time, event, train_time, train_event)
    scores = [_brier(time, event, surv[:, k], t, curve) for k, t in enumerate(times)]
    return float(np.trapezoid(scores, times) / (times[-1] - times[0]))


@dataclass(frozen=True)
class SurvivalCalibration:
    """Calibration of predicted survival at one horizon.

    Attributes
    ----------
    observed : 1 - Kaplan–Meier(t) of the whole group (event probability seen).
    expected : mean predicted event probability, mean of ``1 - S(t | x)``.
    oe_ratio : observed / expected; 1 is ideal, above 1 means risk is underpredicted.
    slope : Cox coefficient of ``log(-log S(t | x))``; 1 is ideal, below 1 means
        predictions are too extreme (overfitting), above 1 too modest.
    """

    t: float
    observed: float
    expected: float
    oe_ratio: float
    slope: float


def calibration_at(time, event, surv_at_t, t) -> SurvivalCalibration:
    """Observed/expected ratio and calibration slope of ``S(t | x)`` at horizon ``t``.

    The slope is the standard one for survival models (Royston & Altman 2013,
    TRIPOD): a Cox model refitted on the complementary log-log of the
    predictions, which is the prediction's linear predictor up to a constant
    under proportional hazards. Follow-up is cut at ``t`` (later events count
    as censored at ``t``) because the predictions only claim something up to ``t``.
    """
    time, event = _check_outcome(time, event)
    t = _check_horizon(t, time)
    surv_at_t = _check_survival(surv_at_t, time.size)
    observed = 1.0 - float(step_at(*kaplan_meier(time, event), t))
    expected = float(np.mean(1.0 - surv_at_t))
    cloglog = np.log(-np.log(np.clip(surv_at_t, _CLIP, 1 - _CLIP)))
    slope = cox_coefficient(np.minimum(time, t), event & (time <= t), cloglog)
    return SurvivalCalibration(t, observed, expected, observed / expected, slope)


def cox_coefficient(time, event, x, max_iter: int = 100, tol: float = 1e-10) -> float:
    """Coefficient of a one-covariate Cox model (Breslow ties), by damped Newton steps.

    Why not a library: only the calibration slope needs it, and one covariate
    makes the partial likelihood a 1-D concave problem: a few Newton steps,
    halved whenever the likelihood would drop, converge to machine precision.
    """
    time, event = _check_outcome(time, event)
    x = _check_scores(x, time.size, "x")
    if not event.any() or np.ptp(x) == 0:
        raise ValueError("a Cox slope needs at least one event and a covariate that varies.")
    order = np.argsort(-time, kind="stable")  # descending: a risk set is a prefix
    time, event, x = time[order], event[order], x[order] - x.mean()
    ends = np.searchsorted(-time, -time[event], side="right") - 1  # last index of each risk set
    beta, loglik = 0.0, _partial_loglik(0.0, x, event, ends)[0]
    for _ in range(max_iter):
        _, score, info = _partial_loglik(beta, x, event, ends)
        step = score / info
        while (trial := _partial_loglik(beta + step, x, event, ends)[0]) < loglik - 1e-12:
            step /= 2
        beta, loglik = beta + step, trial
        if abs(step) < tol * max(1.0, abs(beta)):
            return float(beta)
    raise ValueError("the Cox slope did not converge: the predictions probably separate "
                     "events from non-events perfectly.")


def _partial_loglik(beta: float, x, event, ends) -> tuple[float, float, float]:
    """Breslow partial log-likelihood of ``beta`` with its first and minus second derivative."""
    eta = beta * x
    shift = eta.max()
    w = np.exp(eta - shift)
    s0, s1, s2 = (np.cumsum(w * x**p)[ends] for p in range(3))
    mean = s1 / s0
    loglik = np.sum(eta[event] - shift - np.log(s0))
    return float(loglik), float(np.sum(x[event] - mean)), float(np.sum(s2 / s0 - mean**2))
