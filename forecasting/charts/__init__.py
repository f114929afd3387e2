"""Plotly chart builders: pure functions ``(frames, lang) -> go.Figure``, no streamlit.

- ``style``: ``template``, ``PALETTE`` and the other colours, ``model_color``, ``rgba``,
  ``band_trace`` (the one lo/hi band), ``level_text``, ``plotly_text`` (inert names).
- ``forecast``: ``forecast_figure``, ``history_figure``, ``fit_time_figure``,
  ``figure_html``; the display names ``model_label`` and ``series_label``.
- ``evaluation``: ``backtest_figure``, ``horizon_figure``, ``leaderboard_figure``,
  ``festival_figure``; ``metric_label``, ``is_percent``, ``festival_group_label``.
- ``scenarios``: ``comparison_figure``, ``kpi_figure``, ``response_figure``,
  ``aggregate_forecast``; ``scenario_label``, ``scenario_color``.

Import the submodule you need (``from forecasting.charts import forecast``): the
package itself loads nothing, so ``import forecasting`` stays free of plotly.
"""
