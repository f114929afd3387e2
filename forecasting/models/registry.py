"""Every model the app offers, declared once: where it lives and what it can do.

A spec names the module and class (imported only when the model is used), the
library it needs and its capabilities. Everything else that lists models —
``forecasting.models.DEFAULT_MODELS``, the TensorFlow models, the ensemble's
members, the CLI's help, the model classes' ``uses_drivers`` — is derived from
``SPECS``. This module imports nothing heavy (nor anything from forecasting).
"""

from __future__ import annotations

from dataclasses import dataclass

ALWAYS = "always"  # ``ModelSpec.member``: a default member of ensemble/auto
WITH_DRIVERS = "with_drivers"  # ... added when some driver of the history varies


@dataclass(frozen=True)
class ModelSpec:
    """One registered model.

    Attributes:
        name: registry name, also the forecast column (alias) by default.
        module: module holding the class, imported on first use.
        class_name: the ``Forecaster`` subclass in ``module``.
        library: what the model needs, shown to users (e.g. ``"statsforecast"``).
        uses_drivers: future driver columns (price, promo...) change the forecast.
        default: chosen when the user picks nothing (``DEFAULT_MODELS``).
        slow: trains slowly (Prophet, TensorFlow): seconds to minutes per fit.
        tensorflow: a Keras network (epochs, TensorFlow's start-up cost).
        member: role as a member of ``ensemble``/``auto`` when none are given:
            ``ALWAYS``, ``WITH_DRIVERS`` (a second driver-aware family, added when the
            history's drivers vary) or ``""`` (only when asked for).
        combines: built from a backtest of member models (``ensemble``, ``auto``); can
            explain its per-series choice.
        packages: distributions a pickled model depends on (recorded when saved).
        calendar: reads the festival calendar, so it takes a ``country`` parameter
            (``"CN"``: the e-commerce festivals; another ISO code: its public holidays).
    """

    name: str
    module: str
    class_name: str
    library: str
    uses_drivers: bool = False
    default: bool = False
    slow: bool = False
    tensorflow: bool = False
    member: str = ""
    combines: bool = False
    packages: tuple[str, ...] = ()
    calendar: bool = False


_NEURAL = "forecasting.models.neural"
_ENSEMBLE = "forecasting.models.ensemble"
_KERAS = ("tensorflow", "keras")
_MEMBERS = "backtest of members"

# Order is the order shown to users.
SPECS: tuple[ModelSpec, ...] = (
    ModelSpec(
        "seasonal_naive",
        "forecasting.models.naive",
        "SeasonalNaive",
        "numpy",
        default=True,
        member=ALWAYS,
    ),
    ModelSpec(
        "ets",
        "forecasting.models.stats",
        "ETS",
        "statsforecast",
        default=True,
        member=ALWAYS,
        packages=("statsforecast",),
    ),
    ModelSpec(
        "arima", "forecasting.models.stats", "ARIMA", "statsforecast", packages=("statsforecast",)
    ),
    ModelSpec(
        "theta",
        "forecasting.models.stats",
        "Theta",
        "statsforecast",
        member=ALWAYS,
        packages=("statsforecast",),
    ),
    ModelSpec(
        "intermittent",
        "forecasting.models.stats",
        "Intermittent",
        "statsforecast",
        packages=("statsforecast",),
    ),
    ModelSpec(
        "prophet",
        "forecasting.models.prophet_model",
        "ProphetModel",
        "prophet",
        uses_drivers=True,
        slow=True,
        # with or without drivers (its yearly Fourier season is one ETS and Theta lack):
        # see ensemble.DEFAULT_MEMBERS
        member=ALWAYS,
        packages=("prophet",),
        calendar=True,
    ),
    ModelSpec(
        "lightgbm",
        "forecasting.models.gbm",
        "LightGBMModel",
        "lightgbm",
        uses_drivers=True,
        default=True,
        member=ALWAYS,
        packages=("lightgbm",),
        calendar=True,
    ),
    ModelSpec(
        "ridge",
        "forecasting.models.linear",
        "RidgeModel",
        "numpy",
        uses_drivers=True,
        calendar=True,
    ),
    ModelSpec(
        "mlp",
        _NEURAL,
        "MLPModel",
        "tensorflow",
        uses_drivers=True,
        slow=True,
        tensorflow=True,
        packages=_KERAS,
        calendar=True,
    ),
    ModelSpec(
        "lstm",
        _NEURAL,
        "LSTMModel",
        "tensorflow",
        uses_drivers=True,
        slow=True,
        tensorflow=True,
        packages=_KERAS,
        calendar=True,
    ),
    ModelSpec(
        "transformer",
        _NEURAL,
        "TransformerModel",
        "tensorflow",
        uses_drivers=True,
        slow=True,
        tensorflow=True,
        packages=_KERAS,
        calendar=True,
    ),
    ModelSpec("ensemble", _ENSEMBLE, "Ensemble", _MEMBERS, uses_drivers=True, combines=True),
    ModelSpec("auto", _ENSEMBLE, "AutoSelect", _MEMBERS, uses_drivers=True, combines=True),
)

BY_NAME: dict[str, ModelSpec] = {s.name: s for s in SPECS}


def country_params(params: dict, models: list[str], country: str) -> dict:
    """``params`` (per-model constructor parameters) with ``country`` given to every model
    of ``models`` that reads the festival calendar (``ModelSpec.calendar``), and to each
    such member of a combining model (``ensemble``, ``auto``) through its
    ``member_params``. A setting already in ``params`` wins. ``country`` must be a valid
    code (``forecasting.data.festivals.normalize_country``); the input is not changed.
    """
    calendar = [s.name for s in SPECS if s.calendar]
    out = {k: dict(v) if isinstance(v, dict) else v for k, v in params.items()}
    for name in models:
        spec = BY_NAME.get(name)
        if spec is None or not (spec.calendar or spec.combines):
            continue
        own = out.setdefault(name, {})
        if spec.calendar:
            own.setdefault("country", country)
        else:
            members = {k: dict(v) for k, v in own.get("member_params", {}).items()}
            for member in calendar:
                members.setdefault(member, {}).setdefault("country", country)
            own["member_params"] = members
    return out
