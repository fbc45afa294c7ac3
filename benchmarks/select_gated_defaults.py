"""How the gated cells' initialisation and default step size were chosen, without the test split.

    pip install -e ".[bench]"
    python benchmarks/select_gated_defaults.py --csv path/to/clean_weather.csv

Two criteria, both on data the defaults may be chosen on:

* the weather task's validation split (days 70-85 % of the series, the
  scaler and the model fitted on the first 70 %; the test days are never
  read): median MSE over seeds 0-4 of the default pipeline
  ``StandardScaler, SequenceWindower(7), RNNRegressor(cell=..., **candidate)``;
* scikit-learn's regressor check (``check_regressors_train``: 200 samples of
  ``_regression_dataset``, scaled, training-set R² > 0.5 with the defaults):
  the training R² for seeds 0-2, one and two layers.

Candidates for GRU and LSTM: the initialisation skrnn uses (Glorot-uniform per
gate block, zero biases, LSTM forget-gate bias 1), PyTorch's (every weight
and both biases ``U(-1/sqrt(H), 1/sqrt(H))``), orthogonal recurrent blocks,
a GRU update-gate bias of +1 or -1, an LSTM forget-gate bias of 0; and, with
skrnn's initialisation, ``learning_rate_init`` 3e-3 (the Elman default) and
1e-2. Results go to ``benchmarks/results/gated_defaults.json``.
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.metrics import mean_squared_error
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import _regression_dataset

from skrnn import RNNRegressor, SequenceWindower, _network
from skrnn._cells import gru, lstm
from skrnn import predict_with_history
from skrnn.datasets import WEATHER_FEATURES, WEATHER_TARGET, chronological_split
from skrnn.datasets import load_weather

from _common import machine_info, write_results

WINDOW = 7
SEEDS = range(5)
CHECK_SEEDS = range(3)
GLOROT, GRU_BIASES, LSTM_BIASES = _network.initialize, gru.initialize_biases, lstm.initialize_biases


def torch_initialize(params, rng):
    """PyTorch's RNN initialisation; the read-out as skrnn draws it."""
    bound = 1.0 / np.sqrt(params.layout.hidden_size)
    for layer in params.layers:
        for W in (layer.W_xh, layer.W_hh):
            W[...] = rng.uniform(-bound, bound, size=W.shape)
        # torch's bias_ih + bias_hh (b_in alone in GRU's candidate block)
        layer.b_h[...] = rng.uniform(-bound, bound, layer.b_h.shape)
        layer.b_h[...] += rng.uniform(-bound, bound, layer.b_h.shape)
        if layer.b_hn is not None:  # GRU: b_n is b_in alone, b_hn the other draw
            layer.b_h[2 * params.layout.hidden_size :] = rng.uniform(-bound, bound, layer.b_hn.shape)
            layer.b_hn[...] = rng.uniform(-bound, bound, layer.b_hn.shape)
    fan = params.W_hy.shape[0] + params.W_hy.shape[1]
    params.W_hy[...] = rng.uniform(-np.sqrt(6 / fan), np.sqrt(6 / fan), params.W_hy.shape)


def orthogonal_initialize(params, rng):
    """skrnn's initialisation, then each recurrent gate block orthogonal."""
    GLOROT(params, rng)
    hidden = params.layout.hidden_size
    for W in params.W_hh:
        for k in range(params.layout.cell.N_GATES):
            q, r = np.linalg.qr(rng.normal(size=(hidden, hidden)))
            W[:, k * hidden : (k + 1) * hidden] = q * np.sign(np.diag(r))


def gru_update_bias(value):
    def initialize_biases(layer):
        hidden = layer.b_hn.shape[0]
        layer.b_h[hidden : 2 * hidden] = value
    return initialize_biases


# name -> (cells, patches, estimator parameters)
CANDIDATES = {
    "skrnn initialisation, learning_rate_init=3e-3": (("gru", "lstm"), {}, {"learning_rate_init": 3e-3}),
    "skrnn initialisation, learning_rate_init=1e-2": (("gru", "lstm"), {}, {"learning_rate_init": 1e-2}),
    "PyTorch's initialisation, 3e-3": (("gru", "lstm"), {"initialize": torch_initialize},
                                       {"learning_rate_init": 3e-3}),
    "orthogonal W_hh blocks, 3e-3": (("gru", "lstm"), {"initialize": orthogonal_initialize},
                                     {"learning_rate_init": 3e-3}),
    "GRU update-gate bias +1, 3e-3": (("gru",), {"gru": gru_update_bias(1.0)},
                                      {"learning_rate_init": 3e-3}),
    "GRU update-gate bias -1, 3e-3": (("gru",), {"gru": gru_update_bias(-1.0)},
                                      {"learning_rate_init": 3e-3}),
    "LSTM forget-gate bias 0, 3e-3": (("lstm",), {"lstm": lambda layer: None},
                                      {"learning_rate_init": 3e-3}),
}


def patch(patches):
    _network.initialize = patches.get("initialize", GLOROT)
    gru.initialize_biases = patches.get("gru", GRU_BIASES)
    lstm.initialize_biases = patches.get("lstm", LSTM_BIASES)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--csv", help="clean_weather.csv (else $SKRNN_WEATHER_CSV or the cache)")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    data = load_weather(args.csv).ffill()
    X, y = data[list(WEATHER_FEATURES)], data[WEATHER_TARGET].to_numpy()
    train_end, valid_end = chronological_split(len(data))
    X_check, y_check = _regression_dataset()
    X_check = StandardScaler().fit_transform(X_check)
    y_check = (y_check - y_check.mean()) / y_check.std()
    rows = []
    print("| candidate | cell | weather valid MSE, median (range) | check training R², min (all) |")
    print("|---|---|---|---|")
    try:
        for name, (cells, patches, params) in CANDIDATES.items():
            patch(patches)
            for cell in cells:
                start = time.perf_counter()
                valid = []
                for seed in SEEDS:
                    model = make_pipeline(StandardScaler(), SequenceWindower(WINDOW),
                                          RNNRegressor(cell=cell, random_state=seed, **params))
                    model.fit(X.iloc[:train_end], y[:train_end])
                    valid.append(float(mean_squared_error(
                        y[train_end:valid_end],
                        predict_with_history(model, X, train_end, valid_end, WINDOW))))
                check = [
                    float(RNNRegressor(cell=cell, n_layers=n_layers, random_state=seed, **params)
                          .fit(X_check, y_check).score(X_check, y_check))
                    for n_layers in (1, 2) for seed in CHECK_SEEDS
                ]
                rows.append(dict(candidate=name, cell=cell, params=params, valid_mse=valid,
                                 check_r2=check, seconds=time.perf_counter() - start))
                print(f"| {name} | {cell} | {np.median(valid):.2f} ({min(valid):.2f}-"
                      f"{max(valid):.2f}) | {min(check):.2f} "
                      f"({', '.join(f'{r:.2f}' for r in check)}) |", flush=True)
    finally:
        patch({})
    write_results("gated_defaults", dict(
        machine=machine_info(), rows=rows,
        rule="keep skrnn's initialisation unless a candidate lowers the validation median by "
             "more than the seed spread; pick the step size whose check R2 passes 0.5 for "
             "every seed without a worse validation median",
    ))


if __name__ == "__main__":
    main()
