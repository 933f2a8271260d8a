"""The deep RUL model: a 1D convolutional network over the last ``window`` rows of each unit.

Inputs are the signals of :class:`~shopfloor.maintenance.pipeline.Featurizer` (per-regime
z-scores and health indices), their drift from the unit's own first rows, and the unit's age;
a window reaching before the unit's first row
repeats that row. Each fold member trains with Adam against the capped target (scaled to 0..1),
stops early on its held-out units and keeps its best epoch. Needs PyTorch, installed with the
``deep`` extra (``pip install 'shopfloor[deep]'``); members are stored as plain numpy weights, so
a saved model loads without PyTorch but predicting needs it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from shopfloor.maintenance.data import TIME, UNIT, RunData
from shopfloor.maintenance.errors import DataError, MissingExtra
from shopfloor.maintenance.rul import FoldEnsemble

AGE_SCALE = 100.0
BASELINE = 20


def _baseline(sig: np.ndarray, start: np.ndarray, length: int) -> np.ndarray:
    """Mean of each unit's first ``length`` rows, as known at each row (causal)."""
    csum = np.vstack([np.zeros((1, sig.shape[1])), np.cumsum(sig, axis=0)])
    rows = np.arange(len(sig))
    end = np.minimum(rows + 1, start + length)
    return (csum[end] - csum[start]) / (end - start)[:, None]


def require_torch() -> Any:
    """Import PyTorch or raise :class:`MissingExtra` naming the extra to install."""
    try:
        import torch
    except ImportError:
        raise MissingExtra(
            "the deep RUL model needs PyTorch: install the 'deep' extra "
            "(pip install 'shopfloor[deep]')"
        ) from None
    return torch


@dataclass(frozen=True)
class Design:
    """Signals of every row and the index of each row's unit start."""

    signals: np.ndarray
    start: np.ndarray

    def windows(self, rows: np.ndarray, width: int) -> np.ndarray:
        back = np.arange(width - 1, -1, -1)
        index = np.maximum(rows[:, None] - back[None, :], self.start[rows][:, None])
        return self.signals[index]  # rows x width x channels


def _network(torch: Any, channels: int, hidden: int) -> Any:
    """Three convolutions; the read-out sees the mean over the window and its last step."""
    nn = torch.nn

    class WindowCnn(nn.Module):  # type: ignore[name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Sequential(
                nn.Conv1d(channels, hidden, kernel_size=5, padding=2),
                nn.ReLU(),
                nn.Conv1d(hidden, hidden, kernel_size=5, padding=2),
                nn.ReLU(),
                nn.Conv1d(hidden, hidden, kernel_size=3, padding=1),
                nn.ReLU(),
            )
            self.head = nn.Sequential(
                nn.Linear(2 * hidden, hidden), nn.ReLU(), nn.Dropout(0.1), nn.Linear(hidden, 1)
            )

        def forward(self, x: Any) -> Any:
            h = self.conv(x)
            return self.head(torch.cat([h.mean(dim=2), h[:, :, -1]], dim=1)).squeeze(1)

    return WindowCnn()


@dataclass
class CnnRul(FoldEnsemble):
    """K-fold ensemble of small 1D CNNs over windows of the signals."""

    name: str = "cnn"
    window: int = 40
    hidden: int = 32
    epochs: int = 60
    patience: int = 10
    batch: int = 256
    lr: float = 2e-3

    def _design(self, data: RunData) -> Design:
        if self.featurizer is None:
            raise DataError(f"model {self.name!r} is not trained")
        units = data.frame[UNIT].to_numpy()
        time = data.frame[TIME].to_numpy(dtype=float)
        first = np.r_[True, units[1:] != units[:-1]]
        start = np.maximum.accumulate(np.where(first, np.arange(len(units)), 0))
        age = (time - time[start] + 1.0) / AGE_SCALE
        sig = self.featurizer.signals(data)
        signals = np.hstack([sig, sig - _baseline(sig, start, BASELINE), age[:, None]])
        return Design(signals.astype(np.float32), start)

    def _fit_member(
        self, design: Design, y: np.ndarray, train: np.ndarray, valid: np.ndarray, seed: int
    ) -> tuple[Any, dict[str, Any]]:
        torch = require_torch()
        torch.manual_seed(seed)
        torch.set_num_threads(self.n_jobs)
        rng = np.random.default_rng(seed)
        net = _network(torch, design.signals.shape[1], self.hidden)
        opt = torch.optim.AdamW(net.parameters(), lr=self.lr, weight_decay=1e-4)
        xv = torch.from_numpy(design.windows(valid, self.window)).transpose(1, 2)
        yv = y[valid]
        best = (np.inf, 0, {k: v.clone() for k, v in net.state_dict().items()})
        for epoch in range(self.epochs):
            net.train()
            order = rng.permutation(train)
            for i in range(0, len(order), self.batch):
                rows = order[i : i + self.batch]
                xb = torch.from_numpy(design.windows(rows, self.window)).transpose(1, 2)
                yb = torch.from_numpy((y[rows] / self.cap).astype(np.float32))
                opt.zero_grad()
                loss = torch.nn.functional.mse_loss(net(xb), yb)
                loss.backward()
                opt.step()
            net.eval()
            with torch.no_grad():
                pv = net(xv).numpy() * self.cap
            score = float(np.sqrt(np.mean((np.clip(pv, 0, self.cap) - yv) ** 2)))
            if score < best[0]:
                best = (score, epoch + 1, {k: v.clone() for k, v in net.state_dict().items()})
            elif epoch + 1 - best[1] >= self.patience:
                break
        weights = {k: v.numpy().copy() for k, v in best[2].items()}
        return weights, {"epochs": best[1], "valid_rmse": best[0]}

    def _predict_member(self, member: Any, design: Design, rows: np.ndarray) -> np.ndarray:
        torch = require_torch()
        torch.set_num_threads(self.n_jobs)
        net = _network(torch, design.signals.shape[1], self.hidden)
        net.load_state_dict({k: torch.from_numpy(v) for k, v in member.items()})
        net.eval()
        out = []
        with torch.no_grad():
            for i in range(0, len(rows), 4096):
                x = torch.from_numpy(design.windows(rows[i : i + 4096], self.window))
                out.append(net(x.transpose(1, 2)).numpy())
        return np.concatenate(out) * self.cap if out else np.zeros(0)
