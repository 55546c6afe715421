"""Forecast of key supply: will a key store run dry within a horizon? Learned model and baseline.

Input is the telemetry a QKD run already writes (the ``pools``, ``link_blocks`` and
``outages`` tables, several runs concatenated; each run told apart by its ``seed``).
For every store (node, peer, direction) and pool sample at time t where the store is
not dry (level >= ``dry_bits``), the question is whether its level falls below
``dry_bits`` at some sample in (t, t + horizon]. Samples whose horizon runs past the
end of the run are left out (their answer is unknown).

Features (:data:`FEATURE_NAMES`), all known at time t: the level and fill fraction,
the net level slope over the last 1, 2 and 5 s, whether the store's link is down and
for how long, how long since it came back, how many links of the network are down,
the key the link delivered in the last 2 s and the mean block QBER of its last 5 s.

Two forecasters answer the question:

* baseline: time to empty = (level - dry_bits) / drain, drain the net fall of the
  level over the last ``window_s``; alarm if that is within the horizon (no alarm
  while the level rises). The window is chosen on the training runs.
* learned: scikit-learn's ``HistGradientBoostingClassifier`` on the features,
  trained on the training runs.

Both are scored on held-out runs by :func:`score`: sample precision and recall, and
per dry onset (a sample below ``dry_bits`` after at least a horizon of samples at or
above it: a store that dries again at once leaves no room to warn) whether an alarm
preceded it and the lead time (from the first alarm of the unbroken run of alarms
before the onset). scikit-learn is needed only to train (``pip install qnetsim[ml]``).

"""

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from qnetsim.core.errors import ConfigError

__all__ = [
    "FEATURE_NAMES",
    "ForecastSettings",
    "ForecastScore",
    "baseline_alarms",
    "choose_baseline_window",
    "forecast_frame",
    "learned_alarms",
    "score",
    "score_row",
    "train_forecaster",
]

FEATURE_NAMES = (
    "level_bits",
    "fill_fraction",
    "slope_1s_bps",
    "slope_2s_bps",
    "slope_5s_bps",
    "link_down",
    "down_for_s",
    "up_for_s",
    "n_links_down",
    "delivered_2s_bps",
    "block_qber_5s",
)
#: Windows (s) the baseline may use; :func:`choose_baseline_window` picks one on training runs.
BASELINE_WINDOWS_S = (1.0, 2.0, 5.0)
#: Cap of the time-since features (s): beyond it the link's history no longer matters here.
_SINCE_CAP_S = 60.0


@dataclass(frozen=True)
class ForecastSettings:
    """What counts as dry, and how far ahead the forecast looks.

    Attributes:
        horizon_s: look-ahead H: is the store dry at some sample in (t, t + H]?
        dry_bits: a store below this many bits is dry (e.g. one request's key).
    """

    horizon_s: float = 5.0
    dry_bits: int = 2048

    def __post_init__(self) -> None:
        if not (math.isfinite(self.horizon_s) and self.horizon_s > 0):
            raise ConfigError(f"horizon_s: must be a number > 0; got {self.horizon_s!r}")
        if self.dry_bits < 1:
            raise ConfigError(f"dry_bits: must be >= 1; got {self.dry_bits!r}")


def _link_name(node: str, peer: str) -> str:
    return "~".join(sorted((node, peer)))


def _slope(level: np.ndarray, t: np.ndarray, window_s: float, step_s: float) -> np.ndarray:
    """Net change of ``level`` per second over the last ``window_s`` (from the first sample early on)."""
    lag = max(1, round(window_s / step_s))
    earlier = np.concatenate([np.full(lag, level[0]), level[:-lag]])[: len(level)]
    span = np.minimum(t - t[0], lag * step_s)
    return np.divide(level - earlier, span, out=np.zeros(len(level)), where=span > 0)


def _down_features(t: np.ndarray, spans: list[tuple[float, float]]) -> tuple[np.ndarray, ...]:
    """(down now, seconds down, seconds since the last repair) at each time of ``t``."""
    down = np.zeros(len(t), dtype=bool)
    down_for = np.zeros(len(t))
    up_for = np.minimum(t, _SINCE_CAP_S)
    for down_s, up_s in spans:
        inside = (t >= down_s) & (t < up_s)
        down |= inside
        down_for = np.where(inside, np.minimum(t - down_s, _SINCE_CAP_S), down_for)
        after = t >= up_s
        up_for = np.where(after, np.minimum(up_for, t - up_s), up_for)
    return down, down_for, np.where(down, 0.0, up_for)


def _window_sums(event_t: np.ndarray, values: np.ndarray, t: np.ndarray, window_s: float) -> tuple[np.ndarray, ...]:
    """(sum of ``values``, count) of the events in (t - window_s, t] at each time of ``t``."""
    order = np.argsort(event_t)
    event_t, values = event_t[order], values[order]
    cumulative = np.concatenate([[0.0], np.cumsum(values)])
    high = np.searchsorted(event_t, t, side="right")
    low = np.searchsorted(event_t, t - window_s, side="right")
    return cumulative[high] - cumulative[low], (high - low).astype(float)


def _store_rows(
    store: pd.DataFrame, blocks: pd.DataFrame, spans: list[tuple[float, float]], n_down: np.ndarray
) -> dict[str, np.ndarray]:
    """The features of one store's samples (arrays over its samples, in time order)."""
    t = store["t_s"].to_numpy(dtype=float)
    level = store["level_bits"].to_numpy(dtype=float)
    step_s = float(np.median(np.diff(t))) if len(t) > 1 else 1.0
    down, down_for, up_for = _down_features(t, spans)
    block_t = blocks["t_s"].to_numpy(dtype=float)
    delivered, _ = _window_sums(block_t, blocks["secret_bits"].to_numpy(dtype=float), t, 2.0)
    qber_sum, qber_n = _window_sums(block_t, blocks["qber"].to_numpy(dtype=float), t, 5.0)
    return {
        "t_s": t,
        "level_bits": level,
        "fill_fraction": level / store["capacity_bits"].to_numpy(dtype=float),
        "slope_1s_bps": _slope(level, t, 1.0, step_s),
        "slope_2s_bps": _slope(level, t, 2.0, step_s),
        "slope_5s_bps": _slope(level, t, 5.0, step_s),
        "link_down": down.astype(float),
        "down_for_s": down_for,
        "up_for_s": up_for,
        "n_links_down": n_down,
        "delivered_2s_bps": delivered / 2.0,
        "block_qber_5s": np.divide(qber_sum, qber_n, out=np.full(len(t), np.nan), where=qber_n > 0),
        "step_s": np.full(len(t), step_s),
    }


def forecast_frame(
    pools: pd.DataFrame, link_blocks: pd.DataFrame, outages: pd.DataFrame, settings: ForecastSettings
) -> pd.DataFrame:
    """One row per run, store and pool sample: identifiers, :data:`FEATURE_NAMES`, ``dry_now`` and ``label``.

    ``label`` is True if the store is dry at some sample in (t, t + horizon]; it is
    NaN where the horizon runs past the run's last sample. ``onset`` marks a dry
    sample after at least a horizon of samples that were not dry.

    Raises:
        ConfigError: a table lacks a column this needs.
    """
    for name, table, columns in (
        ("pools", pools, ("seed", "t_s", "node", "peer", "direction", "level_bits", "capacity_bits")),
        ("link_blocks", link_blocks, ("seed", "t_s", "link", "secret_bits", "qber")),
        ("outages", outages, ("seed", "link", "down_s", "up_s")),
    ):
        missing = [column for column in columns if column not in table.columns]
        if missing:
            raise ConfigError(f"{name}: missing columns {missing}")
    frames = []
    blocks_by_run = dict(tuple(link_blocks.groupby("seed", sort=False)))
    outages_by_run = dict(tuple(outages.groupby("seed", sort=False)))
    for seed, run_pools in pools.groupby("seed", sort=True):
        run_blocks = blocks_by_run.get(seed, link_blocks.iloc[:0])
        blocks_by_link = dict(tuple(run_blocks.groupby("link", sort=False)))
        spans_by_link: dict[str, list[tuple[float, float]]] = {}
        run_outages = outages_by_run.get(seed, outages.iloc[:0])
        for link, down_s, up_s in zip(run_outages["link"], run_outages["down_s"], run_outages["up_s"], strict=True):
            spans_by_link.setdefault(str(link), []).append((float(down_s), float(up_s)))
        sample_t = np.sort(run_pools["t_s"].unique())
        n_down = np.zeros(len(sample_t))
        for spans in spans_by_link.values():
            for down_s, up_s in spans:
                n_down += (sample_t >= down_s) & (sample_t < up_s)
        for (node, peer, direction), store in run_pools.groupby(["node", "peer", "direction"], sort=True):
            store = store.sort_values("t_s")
            link = _link_name(str(node), str(peer))
            n_down_here = n_down[np.searchsorted(sample_t, store["t_s"].to_numpy())]
            blocks = blocks_by_link.get(link, run_blocks.iloc[:0])
            rows = _store_rows(store, blocks, spans_by_link.get(link, []), n_down_here)
            rows.update(_labels(rows["t_s"], rows["level_bits"], settings))
            frame = pd.DataFrame(rows)
            frame.insert(0, "seed", seed)
            frame.insert(1, "store", f"{node}>{peer}:{direction}")
            frames.append(frame)
    if not frames:
        raise ConfigError("pools: no samples")
    return pd.concat(frames, ignore_index=True)


def _labels(t: np.ndarray, level: np.ndarray, settings: ForecastSettings) -> dict[str, np.ndarray]:
    """``dry_now``, ``label`` (dry at some sample in (t, t + H]; NaN past the run's end) and ``onset``."""
    dry = level < settings.dry_bits
    # dry at some sample j with t < t_j <= t + H: count dry samples in the window by a cumulative sum
    cumulative = np.concatenate([[0], np.cumsum(dry)])
    high = np.searchsorted(t, t + settings.horizon_s + 1e-9, side="right")
    low = np.searchsorted(t, t, side="right")
    label = (cumulative[high] - cumulative[low]) > 0
    known = t + settings.horizon_s <= t[-1] + 1e-9
    # onset: dry after at least a horizon of samples that were not (room for a warning)
    start = np.searchsorted(t, t - settings.horizon_s - 1e-9, side="left")
    index = np.arange(len(t))
    clear_before = (cumulative[index] - cumulative[start] == 0) & (t - settings.horizon_s >= t[0] - 1e-9)
    return {
        "dry_now": dry,
        "label": np.where(known, label.astype(float), np.nan),
        "onset": dry & clear_before,
    }


def baseline_alarms(frame: pd.DataFrame, settings: ForecastSettings, window_s: float) -> np.ndarray:
    """Alarm where (level - dry_bits) / drain <= horizon, drain the net fall per second over ``window_s``."""
    if window_s not in BASELINE_WINDOWS_S:
        raise ConfigError(f"window_s: must be one of {BASELINE_WINDOWS_S}; got {window_s!r}")
    drain = -frame[f"slope_{window_s:g}s_bps"].to_numpy()
    headroom = frame["level_bits"].to_numpy() - settings.dry_bits
    with np.errstate(divide="ignore", invalid="ignore"):
        time_to_dry = np.where(drain > 0, headroom / drain, np.inf)
    return time_to_dry <= settings.horizon_s


@dataclass(frozen=True)
class ForecastScore:
    """How one forecaster did on a set of runs.

    Attributes:
        precision: alarms (at samples not dry, with a known answer) followed by a dry sample within the horizon.
        recall: samples followed by a dry sample within the horizon that had an alarm.
        n_onsets: dry onsets (a store turning dry).
        onset_recall: share of onsets whose previous sample had an alarm.
        median_lead_time_s: median over warned onsets of the time from the first alarm
            of the unbroken run of alarms before the onset (NaN if none warned).
    """

    precision: float
    recall: float
    n_onsets: int
    onset_recall: float
    median_lead_time_s: float


def score(frame: pd.DataFrame, alarms: np.ndarray) -> ForecastScore:
    """Precision, recall and lead time of ``alarms`` (one per row of ``frame``) against its labels."""
    alarms = np.asarray(alarms, dtype=bool)
    rated = (~frame["dry_now"].to_numpy()) & frame["label"].notna().to_numpy()
    truth = frame["label"].to_numpy() == 1.0
    true_positive = int((alarms & truth & rated).sum())
    n_alarms = int((alarms & rated).sum())
    n_true = int((truth & rated).sum())
    leads, n_onsets = [], 0
    t = frame["t_s"].to_numpy()
    starts = np.flatnonzero(
        np.concatenate([[True], frame["store"].to_numpy()[1:] != frame["store"].to_numpy()[:-1]])
        | np.concatenate([[True], frame["seed"].to_numpy()[1:] != frame["seed"].to_numpy()[:-1]])
    )
    first_of_store = np.zeros(len(frame), dtype=bool)
    first_of_store[starts] = True
    for index in np.flatnonzero(frame["onset"].to_numpy()):
        n_onsets += 1
        previous = index - 1
        if first_of_store[index] or not alarms[previous]:
            continue
        first = previous
        while not first_of_store[first] and alarms[first - 1] and not frame["dry_now"].iat[first - 1]:
            first -= 1
        leads.append(t[index] - t[first])
    return ForecastScore(
        precision=true_positive / n_alarms if n_alarms else float("nan"),
        recall=true_positive / n_true if n_true else float("nan"),
        n_onsets=n_onsets,
        onset_recall=len(leads) / n_onsets if n_onsets else float("nan"),
        median_lead_time_s=float(np.median(leads)) if leads else float("nan"),
    )


#: Header of :func:`score_row`'s table.
SCORE_HEADER = f"{'forecaster':45s} {'precision':>9s} {'recall':>7s} {'onsets':>6s} {'warned':>6s} {'lead_s':>7s}"


def score_row(name: str, result: ForecastScore) -> str:
    """One line of the comparison table (under :data:`SCORE_HEADER`)."""
    return (
        f"{name:45s} {result.precision:9.3f} {result.recall:7.3f} {result.n_onsets:6d}"
        f" {result.onset_recall:6.3f} {result.median_lead_time_s:7.2f}"
    )


def _f1(result: ForecastScore) -> float:
    p, r = result.precision, result.recall
    return 2 * p * r / (p + r) if p + r > 0 else 0.0


def choose_baseline_window(frame: pd.DataFrame, settings: ForecastSettings) -> float:
    """The baseline window of :data:`BASELINE_WINDOWS_S` with the best F1 on ``frame`` (training runs)."""
    return max(BASELINE_WINDOWS_S, key=lambda w: _f1(score(frame, baseline_alarms(frame, settings, w))))


def _training_rows(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[(~frame["dry_now"]) & frame["label"].notna()]


def train_forecaster(frame: pd.DataFrame, seed: int) -> Any:
    """A ``HistGradientBoostingClassifier`` fitted on the rated rows of ``frame`` (training runs).

    Raises:
        ConfigError: scikit-learn is not installed, or the rows hold only one class.
    """
    try:
        from sklearn.ensemble import HistGradientBoostingClassifier
        from threadpoolctl import threadpool_limits
    except ImportError:
        raise ConfigError("the key-supply forecast needs scikit-learn: pip install 'qnetsim[ml]'") from None
    rows = _training_rows(frame)
    labels = rows["label"].to_numpy().astype(int)
    if len(np.unique(labels)) < 2:
        raise ConfigError("training runs: every sample has the same answer; need stores that run dry and others")
    classifier = HistGradientBoostingClassifier(max_iter=200, learning_rate=0.1, random_state=seed)
    with threadpool_limits(limits=1):  # one thread: OpenMP threads on a shared machine spin, and results stay put
        classifier.fit(rows[list(FEATURE_NAMES)].to_numpy(dtype=float), labels)
    return classifier


def learned_alarms(classifier: Any, frame: pd.DataFrame, threshold: float = 0.5) -> np.ndarray:
    """Alarm where the classifier's probability of running dry within the horizon is >= ``threshold``."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        probability = classifier.predict_proba(frame[list(FEATURE_NAMES)].to_numpy(dtype=float))[:, 1]
    return np.asarray(probability >= threshold)
