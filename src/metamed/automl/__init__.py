"""Stage 3 of the flow: apply meta-knowledge to a new task.

* :mod:`metamed.automl.search` — budgeted successive halving over CV folds;
* :mod:`metamed.automl.ensemble` — greedy (Caruana) ensembles;
* :mod:`metamed.automl.selection` — the whole procedure and its nested CV;
* :mod:`metamed.automl.estimator` — ``MetaClassifier``, the procedure as an estimator;
* :mod:`metamed.automl.persistence` — model files that never run code;
* :mod:`metamed.automl.loto` — leave-one-task-out meta-evaluation.
"""
