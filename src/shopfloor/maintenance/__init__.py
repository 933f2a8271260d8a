"""Predictive maintenance: remaining useful life, failure classification, model registry.

Models are pure: they take data (:class:`RunData` for run-to-failure histories,
:class:`ProcessData` for tabular process records) and return predictions; adapters (the CLI,
a live scorer fed from the historian) read files or streams and call them.

Modules (import what you need; importing this package loads nothing heavy):

- ``data``: :func:`read_cmapss`, :func:`read_long`, :func:`read_rul_file`; ``process``:
  :func:`read_process_csv`; ``regimes``: operating-regime detection and normalisation.
- ``catalogue``: :func:`make_rul_model` (``gbm`` default, ``cnn`` with the ``deep`` extra,
  ``blend``); ``model.fit(data)``, ``model.predict(data)`` -> ``RulPrediction`` (point and
  80 % interval at the last row of each unit).
- ``classify``: :class:`FailureClassifier`, :func:`cross_validate`.
- ``registry``: :class:`Registry`; ``service``: :func:`train_rul`, :func:`predict_rul`,
  :func:`train_failure`, :func:`score_failure`.
"""
