"""Survival estimators with the scikit-learn contract: Cox (ridge, elastic net) and XGBoost-Cox.

Every model is fitted as ``fit(X, y)`` on a numeric matrix (a pipeline before
it imputes, scales and encodes) and a target ``y`` of shape ``(n, 2)``:
column 0 the follow-up time (> 0), column 1 the event indicator (1 event,
0 censored). ``predict(X)`` is a risk score, higher meaning an earlier event
(the linear predictor ``x'b`` for the Cox models, the log hazard ratio for
XGBoost), and ``predict_survival(X, times)`` is ``S(t | x)`` from one shared
Breslow baseline (:func:`breslow_baseline`).

Penalty scale (all models here, glmnet's and lifelines' convention): the
objective is the *mean* negative log partial likelihood plus the penalty,

    -(1/n) log PL(b) + alpha * (l1_ratio * ||b||_1 + (1 - l1_ratio) / 2 * ||b||^2),

with Breslow's handling of tied times. ``CoxRidge(alpha)`` is the
``l1_ratio = 0`` case, so ``CoxElasticNet(alpha, l1_ratio=0)`` is the same
model. For comparison: scikit-survival's ``CoxPHSurvivalAnalysis(alpha=a)``
penalises the *summed* log-likelihood by ``a/2 ||b||^2``, so it equals
``CoxRidge(alpha=a / n)``; its ``CoxnetSurvivalAnalysis`` uses our scale.
lifelines' ``CoxPHFitter(penalizer=a, l1_ratio=r)`` also uses our scale but
standardises the columns first (and uses Efron ties), so it matches
``CoxElasticNet(a, r)`` on standardised columns. The penalty treats every
column alike: scale the columns first (the pipeline's job).

The fitted state is plain numpy arrays and numbers (the XGBoost trees are
kept as the bytes of the booster's UBJSON model), so a model saves with
skops under an exact allow-list of types.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> X = rng.normal(size=(200, 3))
>>> time = rng.exponential(np.exp(-X[:, 0]))
>>> y = np.column_stack([time, rng.random(200) < 0.8])
>>> model = CoxRidge().fit(X, y)
>>> model.predict_survival(X[:2], [0.5, 1.0]).shape
(2, 2)
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.linalg import LinAlgError, cho_factor, cho_solve
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_array, check_is_fitted

__all__ = ["CoxElasticNet", "CoxRidge", "XGBCox", "breslow_baseline", "breslow_cumulative_hazard",
           "check_survival_target", "survival_curves"]


# ---------------------------------------------------------------- validation

def check_survival_target(y, n_rows: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(time, event)`` from a survival target, or raise one clear ``ValueError``."""
    try:
        y = np.asarray(y, dtype=float)
    except (TypeError, ValueError) as error:
        raise ValueError("a survival target y must be a numeric (n, 2) array of follow-up "
                         "time and event indicator (1 event, 0 censored).") from error
    if y.ndim != 2 or y.shape[1] != 2:
        raise ValueError(f"a survival target y must be an (n, 2) array of follow-up time and "
                         f"event indicator (1 event, 0 censored); got shape {y.shape}.")
    if n_rows is not None and y.shape[0] != n_rows:
        raise ValueError(f"y has {y.shape[0]} rows but X has {n_rows}.")
    time, event = y[:, 0], y[:, 1]
    bad_time = ~(np.isfinite(time) & (time > 0))
    if bad_time.any():
        raise ValueError(f"follow-up times (y[:, 0]) must be finite and > 0; {bad_time.sum()} "
                         f"of {len(time)} are not (first: {time[bad_time][0]:g}).")
    bad_event = ~np.isin(event, (0.0, 1.0))
    if bad_event.any():
        raise ValueError(f"event indicators (y[:, 1]) must be 1 (event) or 0 (censored); "
                         f"{bad_event.sum()} are not (first: {event[bad_event][0]:g}).")
    if not event.any():
        raise ValueError("y has no events (every row is censored); a survival model needs at "
                         "least one.")
    return time, event


def _check_X(X, n_features: int | None = None) -> np.ndarray:
    X = check_array(X, dtype=float)
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(f"X has {X.shape[1]} columns but the model was fitted on {n_features}.")
    return X


# ---------------------------------------------------------------- Breslow baseline

def breslow_baseline(risk, time, event) -> tuple[np.ndarray, np.ndarray, float]:
    """Breslow's baseline cumulative hazard from training risk scores.

    ``H0(t) = sum over event times t_i <= t of d_i / sum_{j: t_j >= t_i} exp(risk_j - offset)``,
    with ``offset = max(risk)`` so that no exponential overflows.

    Returns
    -------
    times : ndarray
        The distinct event times, increasing.
    cumhaz : ndarray
        ``H0`` at those times, for a patient whose risk score equals ``offset``.
    offset : float
    """
    risk = np.asarray(risk, dtype=float)
    time = np.asarray(time, dtype=float)
    event = np.asarray(event, dtype=float)
    offset = float(risk.max())
    order = np.argsort(time, kind="stable")
    time, event, weight = time[order], event[order], np.exp(risk[order] - offset)
    starts = np.flatnonzero(np.r_[True, np.diff(time) > 0])
    at_risk = np.cumsum(weight[::-1])[::-1][starts]
    deaths = np.add.reduceat(event, starts)
    has_event = deaths > 0
    cumhaz = np.cumsum(deaths[has_event] / at_risk[has_event])
    return time[starts][has_event], cumhaz, offset


def breslow_cumulative_hazard(risk, times, baseline_times: np.ndarray,
                              baseline_cumhaz: np.ndarray, offset: float) -> np.ndarray:
    """``H(t | x) = H0(t) exp(risk - offset)``, an array ``(len(risk), len(times))``.

    ``H0`` is a right-continuous step function: 0 before the first event time,
    the last value beyond the last one.
    """
    times = np.atleast_1d(np.asarray(times, dtype=float))
    if times.ndim != 1 or not np.all(np.isfinite(times)):
        raise ValueError("times must be a 1-D array of finite numbers.")
    index = np.searchsorted(baseline_times, times, side="right") - 1
    h0 = np.where(index >= 0, baseline_cumhaz[np.clip(index, 0, None)], 0.0)
    scale = np.exp(np.asarray(risk, dtype=float) - offset)
    return scale[:, None] * h0[None, :]


def survival_curves(model, X, times) -> np.ndarray:
    """``S(t | x)`` from a fitted survival model or a Pipeline ending in one.

    scikit-learn's ``Pipeline`` forwards only its own methods (``predict``,
    ``transform``...), not ``predict_survival``; this transforms ``X`` through
    all steps but the last, then asks the last.
    """
    if hasattr(model, "steps"):
        if len(model.steps) > 1:
            X = model[:-1].transform(X)
        model = model.steps[-1][1]
    return model.predict_survival(X, times)


def risk_and_survival(model, X, horizons) -> np.ndarray:
    """A survival task's predictions: the risk score, then ``S(t | x)`` at each horizon."""
    return np.column_stack([np.asarray(model.predict(X), dtype=float),
                            survival_curves(model, X, horizons)])


class _BreslowSurvival:
    """``predict_survival`` and ``predict_cumulative_hazard`` from ``predict`` and the baseline."""

    def _fit_baseline(self, X: np.ndarray, time: np.ndarray, event: np.ndarray) -> None:
        self.baseline_times_, self.baseline_cumhaz_, self.risk_offset_ = breslow_baseline(
            self.predict(X), time, event)

    def predict_cumulative_hazard(self, X, times) -> np.ndarray:
        """``H(t | x)`` for each row of X (rows) and each of ``times`` (columns)."""
        check_is_fitted(self, "baseline_cumhaz_")
        return breslow_cumulative_hazard(self.predict(X), times, self.baseline_times_,
                                         self.baseline_cumhaz_, self.risk_offset_)

    def predict_survival(self, X, times) -> np.ndarray:
        """``S(t | x) = exp(-H(t | x))``: an array ``(n_rows, len(times))``."""
        return np.exp(-self.predict_cumulative_hazard(X, times))


# ---------------------------------------------------------------- Cox partial likelihood

class _RiskSets:
    """Rows sorted by time, and the groups of tied times, for O(n p^2) Cox derivatives."""

    def __init__(self, X: np.ndarray, time: np.ndarray, event: np.ndarray) -> None:
        order = np.argsort(time, kind="stable")
        self.X, self.event = X[order], event[order]
        time = time[order]
        self.starts = np.flatnonzero(np.r_[True, np.diff(time) > 0])
        self.group = np.cumsum(np.r_[True, np.diff(time) > 0]) - 1
        self.deaths = np.add.reduceat(self.event, self.starts)
        self.xe = self.event @ self.X
        self.n = len(time)

    def loglik(self, eta: np.ndarray) -> float:
        """Breslow log partial likelihood at the (sorted) linear predictor ``eta``."""
        top = eta.max()
        at_risk = np.cumsum(np.exp(eta - top)[::-1])[::-1][self.starts]
        return float(self.event @ eta - self.deaths @ (np.log(at_risk) + top))

    def derivatives(self, eta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Gradient and *negative* Hessian of the log partial likelihood.

        The Hessian's ``sum_i d_i S2(t_i) / S0(t_i)`` is rewritten as
        ``X' diag(w_j H0(t_j)) X`` (``H0`` the Breslow cumulative hazard at the
        current coefficients), so no ``p x p`` matrix is ever accumulated per row.
        """
        X, starts = self.X, self.starts
        w = np.exp(eta - eta.max())
        s0 = np.cumsum(w[::-1])[::-1][starts]
        s1 = np.cumsum((w[:, None] * X)[::-1], axis=0)[::-1][starts]
        mean = s1 / s0[:, None]
        gradient = self.xe - self.deaths @ mean
        cumhaz = np.cumsum(self.deaths / s0)[self.group]
        hessian = (X * (w * cumhaz)[:, None]).T @ X - (mean * self.deaths[:, None]).T @ mean
        return gradient, hessian


def _solve_psd(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    try:
        return cho_solve(cho_factor(matrix), vector)
    except LinAlgError:  # singular without a penalty (a constant column): least squares
        return np.linalg.lstsq(matrix, vector, rcond=None)[0]


#: A predicted decrease of the objective this small cannot be seen in double precision.
_FLAT = 1e-9


def _halving(objective, coef: np.ndarray, step: np.ndarray, value: float,
             sufficient: float = 0.0) -> float:
    """The largest ``t = 1, 1/2, 1/4, ...`` with ``f(coef + t step) <= value + t sufficient``.

    0.0 when none down to ``2**-34`` is.
    """
    t = 1.0
    while t > 1e-10:
        new = objective(coef + t * step)
        if np.isfinite(new) and new <= value + t * sufficient:
            return t
        t /= 2
    return 0.0


class CoxRidge(_BreslowSurvival, BaseEstimator):
    """Cox proportional hazards with an L2 penalty, by Newton-Raphson with step halving.

    Minimises ``-(1/n) log PL(b) + alpha/2 ||b||^2`` (Breslow ties; see the
    module docstring for how ``alpha`` compares with scikit-survival and
    lifelines). Each iteration costs O(n p^2) (cumulative sums over sorted
    times); it stops when the Newton decrement ``g' H^-1 g / 2``, the
    predicted gain of the objective, falls below ``tol``. With more columns
    than rows (gene expression: 124 patients x 15,534 genes) a penalised
    optimum lies in the span of the rows, since any part of ``b`` outside it
    leaves the partial likelihood unchanged and only adds penalty: the
    Newton steps then run on the ``n`` coordinates of that span (the same
    optimum, O(n^3) per step instead of O(p^3) with a p x p Hessian).

    Parameters
    ----------
    alpha : float
        Penalty on the mean scale; 0 is the unpenalised Cox model.
    max_iter : int
    tol : float

    Attributes
    ----------
    coef_ : ndarray (n_features,)
    log_likelihood_ : float
        The (unpenalised) Breslow log partial likelihood at ``coef_``.
    n_iter_ : int
    baseline_times_, baseline_cumhaz_, risk_offset_
        The Breslow baseline (:func:`breslow_baseline`).
    n_features_in_ : int
    """

    def __init__(self, alpha: float = 0.01, max_iter: int = 100, tol: float = 1e-10) -> None:
        self.alpha = alpha
        self.max_iter = max_iter
        self.tol = tol

    def fit(self, X, y) -> CoxRidge:
        X = _check_X(X)
        time, event = check_survival_target(y, X.shape[0])
        if not self.alpha >= 0:
            raise ValueError(f"alpha must be >= 0; got {self.alpha!r}.")
        basis = _row_space(X) if X.shape[1] > X.shape[0] and self.alpha > 0 else None
        sets = _RiskSets(X if basis is None else X @ basis, time, event)
        p = sets.X.shape[1]

        def objective(b: np.ndarray) -> float:
            return -sets.loglik(sets.X @ b) / sets.n + self.alpha * (b @ b) / 2

        coef, value, converged = np.zeros(p), objective(np.zeros(p)), False
        self.n_iter_ = 0
        while self.n_iter_ < self.max_iter and not converged:
            self.n_iter_ += 1
            gradient, hessian = sets.derivatives(sets.X @ coef)
            gradient = gradient / sets.n - self.alpha * coef  # ascent direction
            hessian = hessian / sets.n + self.alpha * np.eye(p)
            step = _solve_psd(hessian, gradient)
            decrement = float(gradient @ step) / 2
            t = _halving(objective, coef, step, value)
            if t == 0.0:  # no step improves: at the optimum to machine precision, or stuck
                converged = decrement < _FLAT
                break
            coef = coef + t * step
            value = objective(coef)
            converged = decrement < self.tol
        if not converged:
            warnings.warn(f"CoxRidge did not converge in {self.max_iter} Newton iterations; "
                          f"increase alpha or max_iter.", ConvergenceWarning, stacklevel=2)
        self.log_likelihood_ = sets.loglik(sets.X @ coef)
        self.coef_ = coef if basis is None else basis @ coef
        self.n_features_in_ = X.shape[1]
        self._fit_baseline(X, time, event)
        return self

    def predict(self, X) -> np.ndarray:
        """The linear predictor ``X @ coef_`` (log hazard ratio against ``x = 0``)."""
        check_is_fitted(self, "coef_")
        return _check_X(X, self.n_features_in_) @ self.coef_


def _row_space(X: np.ndarray) -> np.ndarray:
    """An orthonormal basis (p x rank) of the span of the rows of ``X``."""
    basis, triangle = np.linalg.qr(X.T)
    return basis[:, np.abs(np.diag(triangle)) > 1e-10 * max(1.0, np.abs(triangle).max())]


class CoxElasticNet(_BreslowSurvival, BaseEstimator):
    """Elastic-net Cox: proximal Newton (glmnet-style coordinate descent on the quadratic model).

    Minimises ``-(1/n) log PL(b) + alpha (l1_ratio ||b||_1 + (1 - l1_ratio)/2 ||b||^2)``
    (Breslow ties), glmnet's ``coxnet`` objective with ``lambda = alpha``. Each
    outer iteration builds the exact quadratic model of the log partial
    likelihood (gradient and Hessian in O(n p^2)), minimises it plus the
    penalty by cyclic coordinate descent (soft-thresholding, O(p^2) a sweep),
    then backtracks along that direction until the objective decreases
    sufficiently. With ``l1_ratio = 0`` it is :class:`CoxRidge` with the same ``alpha``.

    Parameters
    ----------
    alpha : float
    l1_ratio : float in [0, 1]
    max_iter : int
        Outer (Newton) iterations.
    tol : float
        Stop when the predicted decrease of the objective is below ``tol``.

    Attributes
    ----------
    coef_, log_likelihood_, n_iter_, baseline_times_, baseline_cumhaz_, risk_offset_,
    n_features_in_ : as in :class:`CoxRidge`.
    """

    def __init__(self, alpha: float = 0.01, l1_ratio: float = 0.5, max_iter: int = 100,
                 tol: float = 1e-10) -> None:
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.max_iter = max_iter
        self.tol = tol

    def fit(self, X, y) -> CoxElasticNet:
        X = _check_X(X)
        time, event = check_survival_target(y, X.shape[0])
        if not self.alpha >= 0:
            raise ValueError(f"alpha must be >= 0; got {self.alpha!r}.")
        if not 0 <= self.l1_ratio <= 1:
            raise ValueError(f"l1_ratio must be between 0 and 1; got {self.l1_ratio!r}.")
        sets = _RiskSets(X, time, event)
        l1, l2 = self.alpha * self.l1_ratio, self.alpha * (1 - self.l1_ratio)

        def penalty(b: np.ndarray) -> float:
            return l1 * np.abs(b).sum() + l2 * (b @ b) / 2

        def objective(b: np.ndarray) -> float:
            return -sets.loglik(sets.X @ b) / sets.n + penalty(b)

        coef = np.zeros(X.shape[1])
        value, converged = objective(coef), False
        self.n_iter_ = 0
        while self.n_iter_ < self.max_iter and not converged:
            self.n_iter_ += 1
            gradient, hessian = sets.derivatives(sets.X @ coef)
            gradient, hessian = -gradient / sets.n, hessian / sets.n  # of the loss
            target = _coordinate_descent(coef, gradient, hessian, l1, l2, self.tol)
            direction = target - coef
            decrease = float(gradient @ direction + penalty(target) - penalty(coef))  # <= 0
            t = _halving(objective, coef, direction, value, 0.25 * decrease)
            if t == 0.0:
                converged = -decrease < _FLAT
                break
            coef = coef + t * direction
            value = objective(coef)
            converged = -decrease < self.tol
        if not converged:
            warnings.warn(f"CoxElasticNet did not converge in {self.max_iter} iterations; "
                          f"increase alpha or max_iter.", ConvergenceWarning, stacklevel=2)
        self.coef_ = coef
        self.log_likelihood_ = sets.loglik(sets.X @ coef)
        self.n_features_in_ = X.shape[1]
        self._fit_baseline(X, time, event)
        return self

    def predict(self, X) -> np.ndarray:
        """The linear predictor ``X @ coef_``."""
        check_is_fitted(self, "coef_")
        return _check_X(X, self.n_features_in_) @ self.coef_


def _coordinate_descent(start: np.ndarray, gradient: np.ndarray, hessian: np.ndarray,
                        l1: float, l2: float, tol: float, max_sweeps: int = 1000) -> np.ndarray:
    """Minimise ``g'd + d'Hd/2 + l1 |b|_1 + l2/2 ||b||^2`` over ``b = start + d``, by coordinate."""
    coef = start.copy()
    moved = np.zeros_like(coef)  # hessian @ (coef - start)
    diagonal = np.diag(hessian)
    for _ in range(max_sweeps):
        largest = 0.0
        for j in range(len(coef)):
            curvature = diagonal[j] + l2
            if curvature <= 0:
                continue  # a constant column without a ridge: leave it where it is
            partial = gradient[j] + moved[j] - diagonal[j] * (coef[j] - start[j])
            z = diagonal[j] * start[j] - partial
            new = np.sign(z) * max(abs(z) - l1, 0.0) / curvature
            change = new - coef[j]
            if change != 0.0:
                moved += hessian[:, j] * change
                coef[j] = new
                largest = max(largest, curvature * change * change)
        if largest < tol * 1e-3:
            break
    return coef


# ---------------------------------------------------------------- XGBoost

class XGBCox(_BreslowSurvival, BaseEstimator):
    """Gradient-boosted Cox model: XGBoost's ``survival:cox`` objective plus a Breslow baseline.

    Censored rows go to XGBoost as negative times (its convention). The risk
    score is the booster's margin, the log hazard ratio; the baseline is
    estimated on the training margins by :func:`breslow_baseline`. The trees
    are kept as the bytes of the booster's UBJSON model (``booster_``).

    Parameters
    ----------
    n_estimators, learning_rate, max_depth, min_child_weight, subsample,
    colsample_bytree, reg_lambda, reg_alpha, random_state, n_jobs
        As in ``xgboost.XGBRegressor``.
    """

    def __init__(self, n_estimators: int = 200, learning_rate: float = 0.05,
                 max_depth: int = 3, min_child_weight: float = 1.0, subsample: float = 1.0,
                 colsample_bytree: float = 1.0, reg_lambda: float = 1.0,
                 reg_alpha: float = 0.0, random_state: int = 0, n_jobs: int = 1) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.max_depth = max_depth
        self.min_child_weight = min_child_weight
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.reg_lambda = reg_lambda
        self.reg_alpha = reg_alpha
        self.random_state = random_state
        self.n_jobs = n_jobs

    def fit(self, X, y) -> XGBCox:
        import xgboost

        X = _check_X(X)
        time, event = check_survival_target(y, X.shape[0])
        model = xgboost.XGBRegressor(
            objective="survival:cox", n_estimators=self.n_estimators,
            learning_rate=self.learning_rate, max_depth=self.max_depth,
            min_child_weight=self.min_child_weight, subsample=self.subsample,
            colsample_bytree=self.colsample_bytree, reg_lambda=self.reg_lambda,
            reg_alpha=self.reg_alpha, random_state=self.random_state, n_jobs=self.n_jobs,
            tree_method="hist", verbosity=0)
        model.fit(X, np.where(event == 1, time, -time))
        raw = model.get_booster().save_raw(raw_format="ubj")
        self.booster_ = np.frombuffer(bytes(raw), dtype=np.uint8).copy()
        self.n_features_in_ = X.shape[1]
        self._fit_baseline(X, time, event)
        return self

    def predict(self, X) -> np.ndarray:
        """The booster's margin: the log hazard ratio (higher means an earlier event)."""
        import xgboost

        check_is_fitted(self, "booster_")
        X = _check_X(X, self.n_features_in_)
        booster = xgboost.Booster(model_file=bytearray(self.booster_.tobytes()))
        booster.set_param({"nthread": self.n_jobs})
        return booster.predict(xgboost.DMatrix(X), output_margin=True).astype(float)


# ---------------------------------------------------------------- splines

class SplineCox(_BreslowSurvival, BaseEstimator):
    """The ridge Cox model on restricted cubic splines of the continuous predictors.

    Harrell's approach to a non-linear effect (age, a lab value) in a
    clinical prognostic model: each column with enough distinct values gets
    ``n_knots - 2`` spline terms; the expanded columns are standardised
    (the spline terms are on the scale of the cube of the predictor) before
    the penalised fit (``cox_``).
    """

    def __init__(self, n_knots: int = 4, alpha: float = 0.01) -> None:
        self.n_knots = n_knots
        self.alpha = alpha

    def fit(self, X, y) -> SplineCox:
        from metamed.space.splines import RestrictedCubicSplines

        X = _check_X(X)
        time, event = check_survival_target(y, X.shape[0])
        self.splines_ = RestrictedCubicSplines(self.n_knots).fit(X)
        expanded = self.splines_.transform(X)
        self.center_ = expanded.mean(axis=0)
        spread = expanded.std(axis=0)
        self.scale_ = np.where(spread > 0, spread, 1.0)
        self.cox_ = CoxRidge(alpha=self.alpha).fit((expanded - self.center_) / self.scale_, y)
        self.n_features_in_ = X.shape[1]
        self._fit_baseline(X, time, event)
        return self

    def predict(self, X) -> np.ndarray:
        """The linear predictor on the spline terms (log hazard ratio)."""
        check_is_fitted(self, "cox_")
        X = _check_X(X, self.n_features_in_)
        return self.cox_.predict((self.splines_.transform(X) - self.center_) / self.scale_)
