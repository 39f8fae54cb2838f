"""Time-to-event (survival) models and metrics for right-censored clinical data: the target is
an ``(n, 2)`` array of follow-up time and event indicator (1 event, 0 censored); models give a
risk score (higher means an earlier event) and survival curves ``S(t | x)``.
"""
