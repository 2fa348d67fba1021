"""Differential tests: Keras 3's own callbacks are the oracle for ours.

Both are driven with the same generated sequences of logs on the same kind of fake model (a recorder of
weights, learning rate and saves, not the thing under test). Half the sequences use eighths (exact ties), half
decimals of mostly 1 or 2 digits, whose sums with min_delta often tie only after Keras's float32 rounding.
Keras is imported once, here; every Keras-dependent test lives in this module.
"""
from __future__ import annotations

import contextlib
import csv
import os
import random
import re
import warnings

import numpy as np
import pytest

keras = pytest.importorskip("keras")
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")  # Keras's own

from tbwriter import callbacks as ours  # noqa: E402

SEEDS = range(150)


class FakeModel:
    """Holds one weight that equals the epoch it was last set for; records saves and restores."""

    def __init__(self, lr: float = 0.1):
        self.stop_training = False
        self.weight = -1
        self.saved: list[str] = []
        self.optimizer = type("Opt", (), {})()
        self.optimizer.learning_rate = lr

    def get_weights(self):
        return [np.array([self.weight])]

    def set_weights(self, weights):
        self.weight = int(weights[0][0])

    def save(self, filepath, overwrite=True):
        self.saved.append(("save", os.path.basename(filepath)))

    def save_weights(self, filepath, overwrite=True):
        self.saved.append(("save_weights", os.path.basename(filepath)))


def grid(rng: random.Random, low: int = 0, high: int = 24) -> float:
    return rng.randint(low, high) / 8


def decimal(rng: random.Random) -> float:
    return round(rng.uniform(0, 3), rng.choice([1, 1, 2, 8]))


def run_epochs(callback, model: FakeModel, epoch_logs: list[dict], steps: int = 0) -> list[dict]:
    """A fit loop: the logs each epoch ended with (callbacks may add keys), stopping on the flag."""
    callback.set_model(model)
    callback.set_params({"verbose": 0, "epochs": len(epoch_logs), "steps": steps})
    callback.on_train_begin({})
    seen = []
    for epoch, logs in enumerate(epoch_logs):
        model.weight = epoch
        callback.on_epoch_begin(epoch, {})
        for batch in range(steps):
            callback.on_train_batch_begin(batch, {})
            callback.on_train_batch_end(batch, {"loss": logs.get("loss", 1.0) + batch / 8})
        logs = dict(logs)
        callback.on_epoch_end(epoch, logs)
        seen.append(logs)
        if model.stop_training:
            break
    callback.on_train_end({})
    return seen


def both(make, epoch_logs, steps=0, lr=0.1):
    """Run Keras's and our callback built by ``make(module)``; return (callback, model, logs) for each."""
    out = []
    for module in (keras.callbacks, ours):
        model, callback = FakeModel(lr), make(module)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            seen = run_epochs(callback, model, epoch_logs, steps)
        out.append((callback, model, seen, [str(w.message)[:40] for w in caught]))
    return out


def monitored_logs(rng: random.Random, monitor: str, n: int, missing: bool = True) -> list[dict]:
    value = grid if rng.random() < 0.5 else decimal
    logs = []
    for _ in range(n):
        entry = {"loss": value(rng)}
        if not missing or rng.random() > 0.1:
            entry[monitor] = value(rng)
        logs.append(entry)
    return logs


@pytest.mark.parametrize("seed", SEEDS)
def test_early_stopping_same_stop_epoch_and_restored_weights(seed):
    rng = random.Random(seed)
    mode = rng.choice(["auto", "min", "max"])
    monitor = "val_loss" if mode == "auto" else rng.choice(["val_loss", "val_acc", "loss"])
    kwargs = dict(monitor=monitor, mode=mode, patience=rng.randint(0, 4),
                  min_delta=rng.choice([0, 0, 0.125, -0.25, 0.5, 0.1, 1e-7, 0.3]),
                  baseline=rng.choice([None, None, grid(rng)]), start_from_epoch=rng.randint(0, 3),
                  restore_best_weights=rng.random() < 0.6)
    logs = monitored_logs(rng, monitor, rng.randint(1, 25))
    (k, k_model, k_seen, k_warn), (o, o_model, o_seen, o_warn) = both(lambda m: m.EarlyStopping(**kwargs), logs)
    assert len(o_seen) == len(k_seen), kwargs
    assert (o.stopped_epoch, o.best, o.best_epoch, o.wait) == (k.stopped_epoch, k.best, k.best_epoch, k.wait)
    assert o_model.weight == k_model.weight, kwargs  # the restored epoch, or the last one
    assert len(o_warn) == len(k_warn)


@pytest.mark.parametrize("seed", SEEDS)
def test_reduce_lr_on_plateau_same_lr_trajectory(seed):
    rng = random.Random(seed)
    mode = rng.choice(["auto", "min", "max"])
    monitor = "val_loss" if mode == "auto" else rng.choice(["val_loss", "val_acc"])
    kwargs = dict(monitor=monitor, mode=mode, factor=rng.choice([0.1, 0.5, 0.25]), patience=rng.randint(0, 3),
                  cooldown=rng.randint(0, 3), min_lr=rng.choice([0.0, 0.01, 0.05, 0.1]),
                  min_delta=rng.choice([1e-4, 0, 0.125, 0.1, 0.3]))
    logs = monitored_logs(rng, monitor, rng.randint(1, 30))
    lr = rng.choice([0.1, 1.0])
    (k, k_model, k_seen, k_warn), (o, o_model, o_seen, o_warn) = both(
        lambda m: m.ReduceLROnPlateau(**kwargs), logs, lr=lr)
    assert [s["learning_rate"] for s in o_seen] == [s["learning_rate"] for s in k_seen], kwargs
    assert o_model.optimizer.learning_rate == k_model.optimizer.learning_rate
    assert (o.wait, o.cooldown_counter, o.best) == (k.wait, k.cooldown_counter, k.best)
    assert len(o_warn) == len(k_warn)


def test_reduce_lr_factor_one_refused_like_keras():
    with pytest.raises(ValueError):
        keras.callbacks.ReduceLROnPlateau(factor=1.0)
    with pytest.raises(ValueError, match="ReduceLROnPlateau: factor"):
        ours.ReduceLROnPlateau(factor=1.0)


@pytest.mark.parametrize("seed", range(60))
def test_model_checkpoint_same_saved_files(seed):
    rng = random.Random(seed)
    mode = rng.choice(["auto", "min", "max"])
    monitor = "val_loss" if mode == "auto" else rng.choice(["val_loss", "val_acc"])
    weights_only = rng.random() < 0.3
    save_freq = rng.choice(["epoch", "epoch", 2, 3, 5])
    if save_freq == "epoch":
        name = "m-{epoch:02d}-{" + monitor + ":.3f}" if rng.random() < 0.5 else "m-{epoch}"
    else:
        name = "m-{epoch}-{batch}-{loss:.3f}"
    filepath = name + (".weights.h5" if weights_only else ".keras")
    kwargs = dict(filepath=filepath, monitor=monitor, mode=mode, save_weights_only=weights_only,
                  save_freq=save_freq, save_best_only=save_freq == "epoch" and rng.random() < 0.6,
                  initial_value_threshold=rng.choice([None, None, grid(rng)]))
    logs = monitored_logs(rng, monitor, rng.randint(1, 12), missing="{" + monitor not in name)
    (k, k_model, *_), (o, o_model, *_) = both(lambda m: m.ModelCheckpoint(**kwargs), logs,
                                              steps=rng.randint(1, 4))
    assert o_model.saved == k_model.saved, kwargs
    assert o.best == k.best


def test_model_checkpoint_missing_placeholder_is_a_key_error_naming_the_path():
    cb = ours.ModelCheckpoint("m-{val_acc:.2f}.keras")
    cb.set_model(FakeModel())
    with pytest.raises(KeyError, match="m-{val_acc:.2f}.keras"):
        cb.on_epoch_end(0, {"loss": 1.0})


def test_model_checkpoint_int_save_freq_with_save_best_only_works_where_keras_crashes():
    logs = [{"loss": v} for v in (3.0, 2.0, 2.5, 1.0)]

    def make(module, save_freq):
        return module.ModelCheckpoint("m-{epoch}-{batch}.keras", monitor="loss", save_freq=save_freq,
                                      save_best_only=True)
    # Keras works out the direction at its first epoch end: a second batch save before it crashes.
    with pytest.raises(TypeError):
        run_epochs(make(keras.callbacks, 1), FakeModel(), logs, steps=2)
    model = FakeModel()
    run_epochs(make(ours, 1), model, logs, steps=2)
    # batch losses are the epoch's loss + batch/8; the best so far is saved
    assert model.saved == [("save", "m-1-1.keras"), ("save", "m-2-1.keras"), ("save", "m-4-1.keras")]
    # Where Keras does not crash, we agree with it.
    saved = []
    for module in (keras.callbacks, ours):
        model = FakeModel()
        run_epochs(make(module, 2), model, logs, steps=2)
        saved.append(model.saved)
    assert saved[1] == saved[0] and len(saved[0]) == 3


@pytest.mark.parametrize("seed", range(30))
def test_learning_rate_scheduler_same_trajectory(seed):
    rng = random.Random(seed)
    factor, every = rng.choice([0.5, 0.9, 0.1]), rng.randint(1, 4)
    schedules = [lambda epoch, lr: lr * factor if epoch and epoch % every == 0 else lr,
                 lambda epoch: 0.1 / (1 + epoch // every)]
    schedule = rng.choice(schedules)
    logs = [{"loss": grid(rng)} for _ in range(rng.randint(1, 15))]
    (_, k_model, k_seen, _), (_, o_model, o_seen, _) = both(lambda m: m.LearningRateScheduler(schedule), logs)
    assert [s["learning_rate"] for s in o_seen] == [s["learning_rate"] for s in k_seen]


def test_learning_rate_scheduler_accepts_ints_keras_refuses_them():
    logs = [{"loss": 1.0}] * 3
    with pytest.raises(ValueError):
        run_epochs(keras.callbacks.LearningRateScheduler(lambda epoch: 1), FakeModel(), logs)
    seen = run_epochs(ours.LearningRateScheduler(lambda epoch: epoch + 1), FakeModel(), logs)
    assert [s["learning_rate"] for s in seen] == [1.0, 2.0, 3.0]
    for bad in (float("nan"), "0.1", None):
        with pytest.raises(ValueError, match=r"LearningRateScheduler: schedule\(0\) result"):
            run_epochs(ours.LearningRateScheduler(lambda epoch, lr, bad=bad: bad), FakeModel(), logs)


def test_learning_rate_scheduler_does_not_hide_a_type_error_inside_the_schedule():
    def schedule(epoch, lr):
        return lr + "x"  # a bug in the user's schedule: Keras retries as schedule(epoch) and hides it
    with pytest.raises(TypeError, match="str"):
        run_epochs(ours.LearningRateScheduler(schedule), FakeModel(), [{"loss": 1.0}])


def read_csv(path) -> list[list[str]]:
    with open(path, newline="") as f:
        return list(csv.reader(f))


def csv_logs(rng: random.Random, n: int, keys=("loss", "acc", "val_loss", "val_acc")) -> list[dict]:
    logs = []
    for _ in range(n):
        entry = {k: grid(rng) for k in keys if rng.random() > 0.1}
        if rng.random() < 0.1:
            entry["loss"] = float("nan")
        logs.append(entry)
    logs[0].update({k: 0.5 for k in keys})  # the first epoch fixes Keras's columns
    return logs


@pytest.mark.parametrize("seed", range(25))
def test_csv_logger_same_file_as_keras(seed, tmp_path):
    rng = random.Random(seed)
    separator, append = rng.choice([",", ";", "\t"]), rng.random() < 0.5
    runs = [csv_logs(rng, rng.randint(1, 6)) for _ in range(2 if append else 1)]
    files = []
    for module in (keras.callbacks, ours):
        path = tmp_path / f"{module.__name__}.csv"
        for logs in runs:
            run_epochs(module.CSVLogger(path, separator=separator, append=append), FakeModel(), logs)
        files.append(path.read_bytes())
    assert files[1] == files[0]


def test_csv_logger_invents_no_val_columns(tmp_path):
    rng = random.Random(7)
    logs = csv_logs(rng, 5, keys=("loss", "acc"))
    tables = []
    for module in (keras.callbacks, ours):
        path = tmp_path / f"{module.__name__}.csv"
        run_epochs(module.CSVLogger(path), FakeModel(), logs)
        tables.append(read_csv(path))
    keras_table, our_table = tables
    assert keras_table[0] == ["epoch", "acc", "loss", "val_acc", "val_loss"]  # Keras's all-NA inventions
    assert our_table == [row[:3] for row in keras_table]


def test_csv_logger_keeps_keys_that_appear_late(tmp_path):
    logs = [{"loss": 1.0}, {"loss": 0.5, "val_loss": 0.75}, {"loss": 0.25, "lr": 0.1, "val_loss": 0.5}]
    path = tmp_path / "late.csv"
    run_epochs(ours.CSVLogger(path), FakeModel(), logs)
    assert read_csv(path) == [["epoch", "loss", "lr", "val_loss"], ["0", "1.0", "NA", "NA"],
                              ["1", "0.5", "NA", "0.75"], ["2", "0.25", "0.1", "0.5"]]
    keras_path = tmp_path / "keras.csv"
    run_epochs(keras.callbacks.CSVLogger(keras_path), FakeModel(), logs)
    assert "lr" not in read_csv(keras_path)[0]  # what Keras loses


@pytest.mark.parametrize("seed", range(10))
def test_history_same_as_keras(seed):
    logs = csv_logs(random.Random(seed), 6)
    (k, k_model, *_), (o, o_model, *_) = both(lambda m: m.History(), logs)
    assert (o.history, o.epoch) == (k.history, k.epoch)
    assert o_model.history is o and k_model.history is k


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_terminate_on_nan_stops_at_the_same_batch(bad):
    stops = []
    for module in (keras.callbacks, ours):
        model, cb = FakeModel(), module.TerminateOnNaN()
        cb.set_model(model)
        for batch, loss in enumerate([1.0, 0.5, bad, 0.25]):
            cb.on_train_batch_end(batch, {"loss": loss})
            if model.stop_training:
                stops.append(batch)
                break
    assert stops == [2, 2]
    with pytest.raises(RuntimeError, match="batch 3"):
        ours.TerminateOnNaN(raise_error=True).on_train_batch_end(3, {"loss": bad})


def test_lambda_callback_calls_like_keras():
    calls: dict[str, list] = {}
    for module in (keras.callbacks, ours):
        record = calls.setdefault(module.__name__, [])
        add = record.append  # bound now: each module's hooks append to its own list
        cb = module.LambdaCallback(on_epoch_begin=lambda e, logs, add=add: add(("eb", e)),
                                   on_epoch_end=lambda e, logs, add=add: add(("ee", e, logs["loss"])),
                                   on_train_begin=lambda logs, add=add: add("tb"),
                                   on_train_end=lambda logs, add=add: add("te"),
                                   on_train_batch_begin=lambda b, logs, add=add: add(("bb", b)),
                                   on_train_batch_end=lambda b, logs, add=add: add(("be", b)))
        run_epochs(cb, FakeModel(), [{"loss": 1.0}, {"loss": 0.5}], steps=2)
    assert calls["tbwriter.callbacks"] == calls["keras.callbacks"]


def test_our_callback_list_matches_keras_callback_list_on_a_mixed_list(tmp_path):
    """The same callbacks in Keras's CallbackList and in ours: same stop, same lr, same CSV, same History."""
    rng = random.Random(3)
    logs = monitored_logs(rng, "val_loss", 30, missing=False)
    results = []
    for module in (keras.callbacks, ours):
        model = FakeModel(lr=1.0)
        path = tmp_path / f"{module.__name__}.csv"
        cbs = module.CallbackList([module.ReduceLROnPlateau(patience=1, factor=0.5), module.CSVLogger(path),
                                   module.EarlyStopping(patience=4, restore_best_weights=True)],
                                  add_history=True, model=model, epochs=30, steps=0, verbose=0)
        cbs.on_train_begin()
        for epoch, entry in enumerate(logs):
            model.weight = epoch
            cbs.on_epoch_begin(epoch)
            cbs.on_epoch_end(epoch, dict(entry))
            if model.stop_training:
                break
        cbs.on_train_end()
        results.append((model.weight, model.history.history, path.read_text()))
    assert results[1] == results[0]


def test_our_callbacks_inside_keras_fit(tmp_path):
    """Our callback objects handed to Keras's own model.fit: they see Keras's hooks, model and optimizer."""
    from examples import keras_fit
    model, history, stop, ckpt_dir = keras_fit.main(str(tmp_path), epochs=12)
    rows = list(csv.DictReader(open(tmp_path / "training.csv", newline="")))
    assert [int(r["epoch"]) for r in rows] == history.epoch
    assert [float(r["val_loss"]) for r in rows] == pytest.approx(history.history["val_loss"])
    assert [float(r["learning_rate"]) for r in rows] == pytest.approx(history.history["learning_rate"])
    # EarlyStopping restored the best epoch's weights: the ones ModelCheckpoint saved with model.save
    best = keras.models.load_model(os.path.join(ckpt_dir, "best.keras"))
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), best.get_weights(), strict=True))
    assert history.history["val_loss"][stop.best_epoch] == min(history.history["val_loss"])
    from tests.support.eventcheck import accumulated_scalars, accumulator
    train = accumulated_scalars(tmp_path / "train")
    val = accumulated_scalars(tmp_path / "validation")
    assert {"epoch_loss", "epoch_learning_rate", "batch_loss"} <= set(train)
    assert set(val) >= {"epoch_loss", "evaluation_loss_vs_iterations"}
    assert [s for s, _ in train["epoch_loss"]] == history.epoch
    steps = 3  # 120 training samples in batches of 40
    assert [s for s, _ in val["evaluation_loss_vs_iterations"]] == [steps * (e + 1) for e in history.epoch]
    assert [s for s, _ in train["batch_loss"]] == list(range(2, steps * len(history.epoch) + 1, 2))
    assert [v for _, v in val["epoch_loss"]] == pytest.approx(history.history["val_loss"])
    # Weight histograms under Keras's weight paths, every histogram_freq=2 epochs
    histograms = accumulator(tmp_path / "train").Tags()["tensors"]
    assert sorted(histograms) == sorted(f"{w.path}/histogram" for w in model.weights)
    assert [e.step for e in accumulator(tmp_path / "train").Tensors(histograms[0])] == history.epoch[::2]


def test_same_fit_with_keras_callbacks_and_with_ours(tmp_path):
    """One seeded Keras fit with Keras's callbacks, one with ours: same epochs, lr cuts, CSV bytes and weights."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(96, 2)).astype("float32")
    y = (x[:, :1] - 2 * x[:, 1:] + rng.normal(scale=0.7, size=(96, 1))).astype("float32")  # val_loss plateaus
    results = []
    for module in (keras.callbacks, ours):
        keras.utils.set_random_seed(5)
        model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(4, activation="tanh"),
                                  keras.layers.Dense(1)])
        model.compile(optimizer=keras.optimizers.SGD(0.3), loss="mse")
        path = tmp_path / f"{module.__name__}.csv"
        history = model.fit(x, y, validation_split=0.25, epochs=40, batch_size=24, verbose=0, shuffle=False,
                            callbacks=[module.ReduceLROnPlateau(patience=1, factor=0.5, min_delta=1e-3),
                                       module.CSVLogger(path),
                                       module.EarlyStopping(patience=2, min_delta=1e-2, restore_best_weights=True)])
        results.append((history.epoch, history.history, path.read_bytes(), model.get_weights()))
    (k_epochs, k_hist, k_csv, k_weights), (o_epochs, o_hist, o_csv, o_weights) = results
    assert o_epochs == k_epochs and o_hist == k_hist and o_csv == k_csv
    assert len(set(k_hist["learning_rate"])) > 1 and len(k_epochs) < 40  # lr was cut and training stopped early
    assert all(np.array_equal(a, b) for a, b in zip(o_weights, k_weights, strict=True))


def progbar_outputs(capsys, verbose: int, steps: int | None) -> list[str]:
    """What Keras's and our ProgbarLogger print for the same two epochs, times masked."""
    logs = [{"loss": 0.123456, "val_loss": 0.0001234}, {"loss": 2.0, "val_loss": 1.5}]
    outputs = []
    for module in (keras.callbacks, ours):
        cbs = module.CallbackList([module.ProgbarLogger()], model=FakeModel(), epochs=2, steps=steps,
                                  verbose=verbose)
        cbs.on_train_begin()
        for epoch, entry in enumerate(logs):
            cbs.on_epoch_begin(epoch)
            for batch in range(3):
                cbs.on_train_batch_end(batch, {"loss": 1.0})
            cbs.on_epoch_end(epoch, dict(entry))
        cbs.on_train_end()
        out = capsys.readouterr().out
        outputs.append(re.sub(r"\d+(ms|us)?/step", "T/step", re.sub(r"(?<![\d/])\d+s\b", "Ns", out)))
    return outputs


def test_progbar_verbose_2_prints_keras_lines(capsys):
    keras_out, our_out = progbar_outputs(capsys, 2, 3)
    assert our_out == keras_out
    assert "3/3 - Ns - T/step - loss: 0.1235 - val_loss: 1.2340e-04" in keras_out


@pytest.mark.parametrize("steps", [3, None])
def test_progbar_verbose_1_ends_each_epoch_with_keras_bar(capsys, steps):
    keras_out, our_out = progbar_outputs(capsys, 1, steps)
    # each epoch's last redraw (after its last carriage return) is the finished bar
    assert [line.rsplit("\r", 1)[-1] for line in our_out.split("\n")] == \
        [line.rsplit("\r", 1)[-1] for line in keras_out.split("\n")]
    assert "\u2501" * 20 in keras_out and "val_loss: 1.5000" in keras_out


@pytest.mark.parametrize("lr", [0.1, 0.1000000001, 0.1000000016, 0.10000002, 0.2, 0.09999999])
def test_reduce_lr_stops_at_min_lr_in_float32_like_keras(lr):
    logs = [{"val_loss": 1.0}] * 4
    (_, k_model, k_seen, _), (_, o_model, o_seen, _) = both(
        lambda m: m.ReduceLROnPlateau(patience=0, factor=0.5, min_lr=0.1), logs, lr=lr)
    assert [s["learning_rate"] for s in o_seen] == [s["learning_rate"] for s in k_seen]
    assert o_model.optimizer.learning_rate == k_model.optimizer.learning_rate


def float32_ties() -> list[tuple[str, float, float, float]]:
    """(mode, best, min_delta, value) where float64 sees an improvement and float32 a tie, or the reverse."""
    tenths, found = [i / 10 for i in range(31)], []
    for delta in (0.1, 0.2, 0.3):
        for a in tenths:
            for b in tenths:
                if (a + delta < b) != (np.float32(a + delta) < np.float32(b)):
                    found.append(("min", b, delta, a))
                if (a - delta > b) != (np.float32(a - delta) > np.float32(b)):
                    found.append(("max", b, delta, a))
    return found[::3]


@pytest.mark.parametrize("mode, best, min_delta, value", float32_ties())
def test_ties_break_as_in_keras_float32(mode, best, min_delta, value):
    logs = [{"val_loss": best}, {"val_loss": value}, {"val_loss": value}]
    (k, k_model, k_seen, _), (o, o_model, o_seen, _) = both(
        lambda m: m.EarlyStopping(mode=mode, min_delta=min_delta, patience=1, restore_best_weights=True), logs)
    assert (len(o_seen), o.best, o.best_epoch, o_model.weight) == (len(k_seen), k.best, k.best_epoch, k_model.weight)


def test_auto_mode_reads_the_direction_of_a_compiled_keras_metric():
    """A metric name that says nothing ("widgets"): Keras and we both ask the compiled metric for its direction."""
    rng = np.random.default_rng(2)
    x = rng.normal(size=(64, 2)).astype("float32")
    y = (x[:, :1] + rng.normal(scale=0.5, size=(64, 1))).astype("float32")
    runs = []
    for module in (keras.callbacks, ours):
        keras.utils.set_random_seed(3)
        model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        model.compile(optimizer=keras.optimizers.SGD(0.5), loss="mse",
                      metrics=[keras.metrics.R2Score(name="widgets")])  # R2: higher is better
        stop = module.EarlyStopping(monitor="val_widgets", patience=1)
        history = model.fit(x, y, validation_split=0.25, epochs=30, batch_size=16, verbose=0, shuffle=False,
                            callbacks=[stop])
        runs.append((history.epoch, stop.best))
    assert runs[1] == runs[0]
    with pytest.raises(ValueError, match="pass mode='min' or mode='max'"):
        ours.EarlyStopping(monitor="val_widgets").direction()


class FakeTFSummary:
    """Stands in for ``tensorflow.summary`` under Keras's own TensorBoard callback (TensorFlow is not installed):
    records what the callback asks to write, with tf.summary's rules (a default-writer stack and a record_if
    condition that ``as_default`` does not reset). Not the thing under test: Keras's callback is the oracle."""

    def __init__(self, root):
        self.root, self.written, self._writers, self._conditions = str(root), {}, [], []

    def create_file_writer(self, path):
        summary, run = self, os.path.relpath(path, self.root)

        class Writer:
            @contextlib.contextmanager
            def as_default(self, step=None):
                summary._writers.append((run, step))
                yield self
                summary._writers.pop()

            def flush(self):
                pass

            def close(self):
                pass
        return Writer()

    @contextlib.contextmanager
    def record_if(self, condition):
        self._conditions.append(condition)
        yield
        self._conditions.pop()

    def _write(self, name, value, step):
        if not self._writers or (self._conditions and not self._conditions[-1]()):
            return
        run, default_step = self._writers[-1]
        step = int(keras.ops.convert_to_numpy(default_step if step is None else step))
        self.written.setdefault((run, name), []).append((step, value))

    def scalar(self, name, data, step=None):
        self._write(name, float(keras.ops.convert_to_numpy(data)), step)

    def histogram(self, name, data, step=None):
        self._write(name, keras.ops.convert_to_numpy(data).size, step)


def test_tensorboard_writes_what_keras_tensorboard_writes(tmp_path):
    """Keras's TensorBoard (over a tf.summary recorder) and ours in the same seeded fit: same runs, tags, steps
    and values, batch scalars and weight histograms included."""
    from tests.support.eventcheck import accumulated_scalars, accumulator
    from tensorboard.util.tensor_util import make_ndarray
    rng = np.random.default_rng(4)
    x = rng.normal(size=(160, 3)).astype("float32")
    y = (x[:, :1] - x[:, 1:2] + rng.normal(scale=0.3, size=(160, 1))).astype("float32")
    written = []
    for module in (keras.callbacks, ours):
        keras.utils.set_random_seed(6)
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu", name="hidden"),
                                  keras.layers.Dense(1, name="out")], name="net")
        model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse", metrics=["mae"])
        log_dir = tmp_path / module.__name__
        board = module.TensorBoard(log_dir, histogram_freq=2, update_freq=2, write_graph=False)
        if module is keras.callbacks:
            board._summary_module = FakeTFSummary(log_dir)
        # 120 training samples in batches of 30 and 40 validation samples: 4 and 2 batches, multiples of
        # update_freq, so Keras's record_if lets its epoch and evaluation scalars through
        model.fit(x, y, validation_split=0.25, epochs=5, batch_size=30, verbose=0, shuffle=False, callbacks=[board])
        if module is keras.callbacks:
            written.append(board._summary_module.written)
            continue
        ours_written = {}
        for run in ("train", "validation"):
            for tag, points in accumulated_scalars(log_dir / run).items():
                ours_written[(run, tag)] = points
            acc = accumulator(log_dir / run)
            for tag in acc.Tags()["tensors"]:  # histograms: [k, 3] rows of (left, right, count)
                ours_written[(run, tag)] = [(e.step, make_ndarray(e.tensor_proto)[:, 2].sum())
                                            for e in acc.Tensors(tag)]
        written.append(ours_written)
    keras_written, our_written = written
    assert set(our_written) == set(keras_written)
    for key, points in keras_written.items():
        assert [s for s, _ in our_written[key]] == [s for s, _ in points], key
        assert [v for _, v in our_written[key]] == pytest.approx([v for _, v in points], rel=1e-6), key
    assert ("train", "batch_loss") in keras_written and ("train", "net/hidden/kernel/histogram") in keras_written
