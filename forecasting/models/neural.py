"""Neural networks (Keras 3 on TensorFlow): a dense MLP, an LSTM and a small transformer
encoder, one network for all series.

All read a window of recent scaled sales (each window divided by its own mean,
so the network learns shapes, not levels), the drivers over that window
(price, discount, promotion: they explain spikes in the lags) and the exogenous
features of the target date (calendar, festivals, drivers), and forecast
recursively. Weight decay keeps them from memorising a short history. The
network is saved in Keras' native ``.keras`` format (``save_native``); the rest
of the model pickles without it. TensorFlow is imported only when a network is
built or loaded.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from forecasting.errors import ShopcastError
from forecasting.models.base import BAND_PARAMS, Forecaster, Progress
from forecasting.models.features import (
    FeatureMaker,
    Panel,
    forecast_frame,
    lag_spec,
    recursive_forecast,
)
from forecasting.schema import ID

NATIVE_FILE = "network.keras"
_COMMON: dict[str, Any] = {
    "window": None,  # None: 28 days / 52 weeks / 12 months, shorter if the history is short
    "batch_size": 256,
    "patience": 5,
    "validation": 0.15,
    "max_samples": 40_000,
    "local_scale": True,
}


def _keras():
    """Import Keras on TensorFlow, deterministic and limited to two CPU threads."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    try:  # only possible before TensorFlow has run anything in this process
        tf.config.threading.set_intra_op_parallelism_threads(2)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:
        pass
    tf.config.experimental.enable_op_determinism()
    import keras

    return keras


class _KerasForecaster(Forecaster):
    """Shared fit/predict/persistence for the Keras models; subclasses define the network."""

    native_intervals = False
    global_model = True
    calibration_windows = 1  # each calibration window is a full refit: keep it to one
    DEFAULTS: ClassVar[dict[str, Any]] = {}

    def __init__(self, alias: str | None = None, seed: int = 0, **params: Any) -> None:
        known = [*self.DEFAULTS, "country", *BAND_PARAMS]
        unknown = sorted(set(params) - set(known))
        if unknown:
            raise ShopcastError(
                "unknown_model_param",
                model=alias or self.name,
                param=unknown[0],
                choices=", ".join(known),
            )
        super().__init__(alias=alias, seed=seed, **{**self.DEFAULTS, **params})
        self.net_: Any = None
        self._graph: Any = None

    def min_length(self, freq: str) -> int:
        """Shortest series accepted (a full window plus a few training targets)."""
        spec = lag_spec(freq)
        window = self.params.get("window")
        return max(spec.min_history, int(window) + spec.min_context) if window else spec.min_history

    # ------------------------------------------------------------------ network
    def _inputs(self, panel: Panel, rows: np.ndarray, cols: np.ndarray) -> list[np.ndarray]:
        raise NotImplementedError

    def _build(self, keras: Any, shapes: list[tuple[int, ...]]) -> Any:
        raise NotImplementedError

    def _scaled_window(self, panel: Panel, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        win = self.maker_.window(panel, rows, cols, self.window_)
        return win / self._level(panel, rows, cols)[:, None]

    def _seq_exog(self, panel: Panel, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Standardised drivers (by default) of the window's cells, ``(len, window, k)``."""
        groups = self.maker_.exog_groups_
        keep = [i for g in self.params.get("seq_groups", ("driver",)) for i in groups[g]]
        seq = self.maker_.exog_window(panel, rows, cols, self.window_)[:, :, keep]
        return ((seq - self.mu_[keep]) / self.sd_[keep]).astype(np.float32)

    def _exog_at(self, panel: Panel, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        return ((panel.exog[rows, cols] - self.mu_) / self.sd_).astype(np.float32)

    # ---------------------------------------------------------------- fit/predict
    def _choose_window(self, df: pd.DataFrame) -> int:
        if self.params["window"]:
            return int(self.params["window"])
        spec = lag_spec(self.freq)
        shortest = int(df.groupby(ID, observed=True).size().min())
        if shortest >= 2 * spec.window:
            return spec.window
        return max(spec.min_context, shortest // 2)

    def _fit(self, df: pd.DataFrame, progress: Progress | None) -> None:
        keras = _keras()
        p = self.params
        self.window_ = self._choose_window(df)
        self.maker_ = FeatureMaker(
            self.freq, cyclic=True, pad=self.window_, country=self.params.get("country") or "CN"
        ).fit(df)
        panel = self.maker_.panel(df)
        rows, cols = self.maker_.training_cells(panel, context=self.window_)
        ex = panel.exog[rows, cols]
        self.mu_ = ex.mean(axis=0).astype(np.float32)
        sd = ex.std(axis=0)
        self.sd_ = np.where(sd > 1e-6, sd, 1.0).astype(np.float32)

        # time-ordered split: the most recent cells decide when to stop training
        n_val = int(len(rows) * float(p["validation"])) if len(rows) >= 200 else 0
        cut = np.sort(cols)[len(cols) - n_val] if n_val else np.inf
        is_val = cols >= cut
        fit_idx, val_idx = np.flatnonzero(~is_val), np.flatnonzero(is_val)
        rng = np.random.default_rng(self.seed)
        cap = int(p["max_samples"])
        if len(fit_idx) > cap:  # a seeded subsample keeps large panels fast
            fit_idx = np.sort(rng.choice(fit_idx, cap, replace=False))
        if len(val_idx) > cap // 4:
            val_idx = np.sort(rng.choice(val_idx, cap // 4, replace=False))

        # the network learns sales relative to its input window's mean (local scaling)
        target = panel.y[rows, cols].astype(np.float32) / self._level(panel, rows, cols)
        x_fit = self._inputs(panel, rows[fit_idx], cols[fit_idx])
        keras.utils.set_random_seed(self.seed)
        net = self._build(keras, [a.shape[1:] for a in x_fit])
        epochs = int(p["epochs"])
        callbacks: list[Any] = [_progress_callback(keras, progress, epochs, self.alias)]
        validation = None
        if len(val_idx):
            validation = (_one(self._inputs(panel, rows[val_idx], cols[val_idx])), target[val_idx])
            callbacks.append(
                keras.callbacks.EarlyStopping(
                    monitor="val_loss", patience=int(p["patience"]), restore_best_weights=True
                )
            )
        hist = net.fit(
            _one(x_fit),
            target[fit_idx],
            validation_data=validation,
            epochs=epochs,
            # small panels: smaller batches, so an epoch still makes enough updates
            batch_size=min(int(p["batch_size"]), max(32, len(fit_idx) // 32)),
            shuffle=True,
            verbose=0,
            callbacks=callbacks,
        )
        self.history_ = {k: [float(v) for v in vals] for k, vals in hist.history.items()}
        self.epochs_run_ = len(self.history_["loss"])
        self.net_, self._graph = net, None
        if progress:  # early stopping may end before the last epoch
            progress(1.0, self.alias)

    def _predict(self, h: int, future: pd.DataFrame, levels: list) -> pd.DataFrame:
        if self.net_ is None:
            raise ShopcastError("model_network_missing", model=self.alias)
        _keras()
        panel = self.maker_.panel(self.train_, future, h)
        rows = np.arange(len(panel.ids))

        def step(col: int) -> np.ndarray:
            x = self._inputs(panel, rows, np.full(len(rows), col))
            # calling the network directly is much faster than .predict for a few rows
            out = np.asarray(self._call(_one(x))).reshape(-1)
            return out * self._level(panel, rows, np.full(len(rows), col))

        floor = 0.0 if self.nonnegative_ else None
        values = recursive_forecast(panel, step, h, floor=floor)
        return forecast_frame(panel, values, self.alias)

    def _call(self, x: Any) -> Any:
        # one traced graph for all steps: eager calls re-run Python per layer (slow for LSTM)
        if self._graph is None:
            import tensorflow as tf

            self._graph = tf.function(lambda v: self.net_(v, training=False), reduce_retracing=True)
        return self._graph(x)

    def _level(self, panel: Panel, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Mean of the input window: inputs and target are divided by it (local scaling)."""
        if not self.params.get("local_scale", True):
            return np.ones(len(rows), dtype=np.float32)
        win = self.maker_.window(panel, rows, cols, self.window_)
        return np.maximum(np.abs(win).mean(axis=1), 0.05).astype(np.float32)

    # -------------------------------------------------------------- persistence
    def save_native(self, folder: str | Path) -> None:
        """Write the network to ``folder/network.keras`` (Keras native format)."""
        if self.net_ is not None:
            self.net_.save(Path(folder) / NATIVE_FILE)

    def load_native(self, folder: str | Path) -> None:
        """Read the network written by ``save_native``."""
        path = Path(folder) / NATIVE_FILE
        if path.exists():
            keras = _keras()
            self.net_ = keras.models.load_model(path, compile=False)
            self._graph = None

    def __getstate__(self) -> dict[str, Any]:
        # the network is saved natively (save_native); pickle everything else
        state = self.__dict__.copy()
        state["net_"] = None
        state["_graph"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)


def _one(arrays: list[np.ndarray]) -> Any:
    """Keras wants a bare array, not a one-element list, for a single-input network."""
    return arrays[0] if len(arrays) == 1 else arrays


def _progress_callback(keras: Any, progress: Progress | None, epochs: int, label: str) -> Any:
    class _Report(keras.callbacks.Callback):
        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            if progress:
                progress(min(1.0, (epoch + 1) / epochs), label)

    return _Report()


class MLPModel(_KerasForecaster):
    """A small neural network on the last weeks of sales plus the day's calendar, festival and
    promotion features, learned across all products at once."""

    name = "mlp"
    DEFAULTS: ClassVar[dict[str, Any]] = {
        **_COMMON,
        "units": 64,
        "layers": 2,
        "epochs": 40,
        "learning_rate": 3e-3,
        "l2": 1e-2,
        "dropout": 0.0,
        "driver_window": True,  # drivers of the window: explains promo-inflated lags
    }

    def _inputs(self, panel: Panel, rows: np.ndarray, cols: np.ndarray) -> list[np.ndarray]:
        win = self._scaled_window(panel, rows, cols)
        parts = [win, self._exog_at(panel, rows, cols)]
        if self.params.get("driver_window", False):
            parts.append(self._seq_exog(panel, rows, cols).reshape(len(win), -1))
        return [np.concatenate(parts, axis=1)]

    def _build(self, keras: Any, shapes: list[tuple[int, ...]]) -> Any:
        p = self.params
        inp = keras.Input(shape=shapes[0], name="features")
        x = inp
        # weight decay: a window of noisy lags lets an unregularised net memorise the history
        reg = keras.regularizers.L2(float(p["l2"])) if float(p["l2"]) > 0 else None
        for _ in range(int(p["layers"])):
            x = keras.layers.Dense(int(p["units"]), activation="relu", kernel_regularizer=reg)(x)
            if float(p["dropout"]) > 0:
                x = keras.layers.Dropout(float(p["dropout"]))(x)
        out = keras.layers.Dense(1, name="forecast")(x)
        net = keras.Model(inp, out)
        net.compile(optimizer=keras.optimizers.Adam(float(p["learning_rate"])), loss="mse")
        return net


class LSTMModel(_KerasForecaster):
    """A recurrent neural network that reads the recent sales history step by step, with
    calendar, festival and promotion information, learned across all products at once."""

    name = "lstm"
    DEFAULTS: ClassVar[dict[str, Any]] = {
        **_COMMON,
        "max_samples": 15_000,  # an LSTM epoch costs ~10x an MLP epoch
        "units": 32,
        "epochs": 30,
        "learning_rate": 1e-2,
        "l2": 1e-2,
        "seq_groups": ("driver",),
    }

    def _inputs(self, panel: Panel, rows: np.ndarray, cols: np.ndarray) -> list[np.ndarray]:
        win = self._scaled_window(panel, rows, cols)[:, :, None]
        seq = np.concatenate([win, self._seq_exog(panel, rows, cols)], axis=2)
        return [seq, self._exog_at(panel, rows, cols)]

    def _build(self, keras: Any, shapes: list[tuple[int, ...]]) -> Any:
        p = self.params
        units = int(p["units"])
        reg = keras.regularizers.L2(float(p["l2"])) if float(p["l2"]) > 0 else None
        seq = keras.Input(shape=shapes[0], name="history")
        now = keras.Input(shape=shapes[1], name="target_date")
        # unrolling the short window is ~1.5x faster on CPU than the symbolic loop
        state = keras.layers.LSTM(units, kernel_regularizer=reg, unroll=True)(seq)
        x = keras.layers.Concatenate()([state, now])
        x = keras.layers.Dense(units, activation="relu", kernel_regularizer=reg)(x)
        out = keras.layers.Dense(1, name="forecast")(x)
        net = keras.Model([seq, now], out)
        net.compile(optimizer=keras.optimizers.Adam(float(p["learning_rate"])), loss="mse")
        return net


class TransformerModel(_KerasForecaster):
    """A small attention network (transformer encoder) that compares every day of the recent
    sales history with every other, with calendar, festival and promotion information,
    learned across all products at once."""

    name = "transformer"
    DEFAULTS: ClassVar[dict[str, Any]] = {
        **_COMMON,
        "max_samples": 10_000,  # an epoch costs more than an LSTM's: fewer samples
        "d_model": 32,
        "heads": 2,
        "blocks": 1,
        "ff_units": 64,
        # 12 epochs: sample shop fit ~53 s vs the LSTM's ~48 s (20 epochs: ~69 s, WAPE 0.384)
        "epochs": 12,
        "learning_rate": 1e-2,
        "l2": 1e-3,
        "dropout": 0.0,
        "seq_groups": ("driver",),
    }

    def _inputs(self, panel: Panel, rows: np.ndarray, cols: np.ndarray) -> list[np.ndarray]:
        win = self._scaled_window(panel, rows, cols)[:, :, None]
        pe = _positions(self.window_)
        pos = np.broadcast_to(pe, (len(win), *pe.shape))
        seq = np.concatenate([win, self._seq_exog(panel, rows, cols), pos], axis=2)
        return [seq.astype(np.float32), self._exog_at(panel, rows, cols)]

    def _build(self, keras: Any, shapes: list[tuple[int, ...]]) -> Any:
        p = self.params
        d = int(p["d_model"])
        heads = max(1, int(p["heads"]))
        drop = float(p["dropout"])
        reg = keras.regularizers.L2(float(p["l2"])) if float(p["l2"]) > 0 else None
        seq = keras.Input(shape=shapes[0], name="history")
        now = keras.Input(shape=shapes[1], name="target_date")
        # the fixed sin/cos position channels are part of ``seq``: projecting them with the
        # values is a learned positional embedding, with no custom layer to serialise
        x = keras.layers.Dense(d, kernel_regularizer=reg)(seq)
        for _ in range(int(p["blocks"])):
            att = keras.layers.MultiHeadAttention(
                num_heads=heads, key_dim=max(4, d // heads), dropout=drop, kernel_regularizer=reg
            )(x, x)
            x = keras.layers.LayerNormalization()(keras.layers.Add()([x, att]))
            ff = keras.layers.Dense(int(p["ff_units"]), activation="relu", kernel_regularizer=reg)(
                x
            )
            ff = keras.layers.Dense(d, kernel_regularizer=reg)(ff)
            if drop > 0:
                ff = keras.layers.Dropout(drop)(ff)
            x = keras.layers.LayerNormalization()(keras.layers.Add()([x, ff]))
        # the newest position carries most of the signal; the mean summarises the window
        last = keras.layers.Cropping1D((shapes[0][0] - 1, 0))(x)
        pooled = keras.layers.Concatenate()(
            [keras.layers.Flatten()(last), keras.layers.GlobalAveragePooling1D()(x), now]
        )
        h = keras.layers.Dense(d, activation="relu", kernel_regularizer=reg)(pooled)
        out = keras.layers.Dense(1, name="forecast")(h)
        net = keras.Model([seq, now], out)
        net.compile(optimizer=keras.optimizers.Adam(float(p["learning_rate"])), loss="mse")
        return net


def _positions(width: int, pairs: int = 4) -> np.ndarray:
    """Sin/cos position channels ``(width, 2 * pairs)``: periods width, width/2, ... (oldest first)."""
    pos = np.arange(width, dtype=np.float32)[:, None]
    periods = np.maximum(width / 2.0 ** np.arange(pairs, dtype=np.float32), 2.0)[None, :]
    angle = 2 * np.pi * pos / periods
    return np.concatenate([np.sin(angle), np.cos(angle)], axis=1).astype(np.float32)
