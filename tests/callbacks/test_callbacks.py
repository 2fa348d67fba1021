"""tbwriter.callbacks in plain loops: CallbackList, adapters (torch, plain objects), TensorBoard layout,
CSV durability, BaseLogger, ProgbarLogger and the examples. Keras-oracle tests are in test_callbacks_keras.py."""
from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import textwrap
from types import SimpleNamespace

import numpy as np
import pytest

from tbwriter import callbacks as cb
from tests.support import docpages
from tests.support.eventcheck import accumulated_scalars, accumulator



def plain_loop(cbs, epoch_logs, batches=0):
    cbs.on_train_begin()
    for epoch, logs in enumerate(epoch_logs):
        cbs.on_epoch_begin(epoch)
        for batch in range(batches):
            cbs.on_train_batch_begin(batch)
            cbs.on_train_batch_end(batch, {"loss": float(batch)})
        cbs.on_epoch_end(epoch, logs)
        if cbs.model.stop_training:
            break
    cbs.on_train_end()


def test_stop_flag_without_a_model_is_on_a_stand_in():
    cbs = cb.CallbackList([cb.EarlyStopping(monitor="loss", patience=1)])
    plain_loop(cbs, [{"loss": v} for v in (3.0, 2.0, 2.5, 2.6, 1.0)])
    assert cbs.model.stop_training is True
    assert cbs.callbacks[0].stopped_epoch == 2


def test_each_hook_once_in_order_with_one_shared_logs_dict():
    seen = []
    record = lambda name: (lambda *args: seen.append((name, args[-1])))  # noqa: E731
    first = cb.LambdaCallback(on_epoch_end=lambda epoch, logs: logs.setdefault("added", epoch))
    second = cb.LambdaCallback(on_epoch_end=record("second"), on_train_batch_end=record("batch"))
    cbs = cb.CallbackList([first, second])
    logs = {"loss": np.float32(0.5)}
    cbs.on_epoch_end(4, logs)
    cbs.on_train_batch_end(0, None)
    assert seen == [("second", logs), ("batch", {})]
    assert seen[0][1] is logs and logs == {"loss": 0.5, "added": 4} and type(logs["loss"]) is float


def test_callback_list_reuses_or_adds_history_and_progbar():
    history = cb.History()
    cbs = cb.CallbackList([history], add_history=True, add_progbar=True)
    assert cbs.callbacks[0] is history and isinstance(cbs.callbacks[1], cb.ProgbarLogger)
    assert len(cbs.callbacks) == 2 and cbs.model.history is history


def test_callback_list_gives_params_to_every_callback():
    bar = cb.ProgbarLogger()
    cb.CallbackList([bar], epochs=7, steps=3, verbose=2)
    assert (bar.epochs, bar.target, bar.verbose) == (7, 3, 2)


def test_torch_restore_best_weights_restores_exactly_the_best_epochs_tensors():
    torch = pytest.importorskip("torch")
    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Linear(4, 1))
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    cbs = cb.CallbackList([cb.EarlyStopping(patience=2, restore_best_weights=True)], model=net, optimizer=opt)
    val_losses, snapshots = [3.0, 1.0, 2.0, 2.5, 0.5], []
    cbs.on_train_begin()
    for epoch, val_loss in enumerate(val_losses):
        net.train()
        loss = net(torch.randn(8, 3)).pow(2).mean()  # also moves BatchNorm's running statistics (buffers)
        opt.zero_grad()
        loss.backward()
        opt.step()
        snapshots.append({k: v.clone() for k, v in net.state_dict().items()})
        cbs.on_epoch_end(epoch, {"val_loss": val_loss})
        if net.stop_training:
            break
    cbs.on_train_end()
    assert net.stop_training and epoch == 3
    for key, value in net.state_dict().items():
        assert torch.equal(value, snapshots[1][key]), key  # epoch 1, not the last one trained
    assert any(not torch.equal(v, snapshots[3][k]) for k, v in net.state_dict().items())  # a restore happened


def test_torch_optimizer_lr_is_read_and_set_on_every_param_group():
    torch = pytest.importorskip("torch")
    net = torch.nn.Linear(2, 1)
    opt = torch.optim.SGD([{"params": [net.weight]}, {"params": [net.bias], "lr": 0.5}], lr=1.0)
    cbs = cb.CallbackList([cb.ReduceLROnPlateau(monitor="loss", patience=0, factor=0.5)], model=net, optimizer=opt)
    logs = [{"loss": 1.0}, {"loss": 2.0}]
    plain_loop(cbs, logs)
    assert [g["lr"] for g in opt.param_groups] == [0.5, 0.5]
    assert [entry["learning_rate"] for entry in logs] == [1.0, 1.0]


def test_torch_checkpoint_saves_the_state_dict(tmp_path):
    torch = pytest.importorskip("torch")
    net = torch.nn.Linear(2, 1)
    cbs = cb.CallbackList([cb.ModelCheckpoint(tmp_path / "ep{epoch}.pt")], model=net)
    plain_loop(cbs, [{"val_loss": 1.0}])
    saved = torch.load(tmp_path / "ep1.pt")
    assert saved.keys() == net.state_dict().keys()
    assert all(torch.equal(saved[k], v) for k, v in net.state_dict().items())


def test_plain_objects_through_loop_model_hooks(tmp_path):
    w = np.zeros(2)
    saved = []
    model = cb.LoopModel(get_weights=lambda: w.copy(), set_weights=lambda s: w.__setitem__(slice(None), s),
                         save=saved.append)
    opt = SimpleNamespace(learning_rate=0.1)
    cbs = cb.CallbackList([cb.LearningRateScheduler(lambda epoch: 0.1 * (epoch + 1)),
                           cb.EarlyStopping(monitor="loss", patience=5, restore_best_weights=True),
                           cb.ModelCheckpoint(str(tmp_path / "w{epoch}"))], model=model, optimizer=opt)
    cbs.on_train_begin()
    for epoch, loss in enumerate([2.0, 1.0, 3.0]):
        cbs.on_epoch_begin(epoch)
        w[:] = epoch
        cbs.on_epoch_end(epoch, {"loss": loss})
    cbs.on_train_end()
    assert list(w) == [1.0, 1.0] and opt.learning_rate == pytest.approx(0.3)
    assert saved == [str(tmp_path / f"w{i}") for i in (1, 2, 3)]


def test_missing_hooks_are_clear_errors():
    cbs = cb.CallbackList([cb.EarlyStopping(monitor="loss", restore_best_weights=True)])
    with pytest.raises(TypeError, match=r"LoopModel.get_weights: no get_weights hook"):
        plain_loop(cbs, [{"loss": 1.0}])
    cbs = cb.CallbackList([cb.LearningRateScheduler(lambda e, lr: lr)], optimizer=object())
    with pytest.raises(TypeError, match="LearningRateScheduler: cannot read a learning rate from object"):
        plain_loop(cbs, [{"loss": 1.0}])


@pytest.mark.parametrize("monitor, direction", [("val_loss", "min"), ("mean_squared_error", "min"),
                                                ("val_accuracy", "max"), ("val_auc", "max"), ("f1_score", "max"),
                                                ("val_mean_iou", "max"), ("top_5_error", "min"),
                                                ("val_wer", "min"), ("map", "max")])
def test_auto_mode_from_the_metric_name(monitor, direction):
    stop = cb.EarlyStopping(monitor=monitor)
    assert stop.direction() == direction


def test_auto_mode_asks_for_mode_when_the_name_says_nothing():
    with pytest.raises(ValueError, match="answer_rate"):
        cb.EarlyStopping(monitor="answer_rate").direction()  # "wer" inside a word says nothing
    cbs = cb.CallbackList([cb.EarlyStopping(monitor="val_widgets")])
    with pytest.raises(ValueError, match=r"EarlyStopping\(monitor='val_widgets'\).*mode='min' or mode='max'"):
        plain_loop(cbs, [{"val_widgets": 1.0}, {"val_widgets": 2.0}])


def test_unknown_mode_warns_and_falls_back_to_auto():
    with pytest.warns(UserWarning, match="mode 'bigger' is unknown"):
        stop = cb.EarlyStopping(mode="bigger")
    assert stop.mode == "auto" and stop.direction() == "min"


def test_base_logger_turns_batch_logs_into_size_weighted_epoch_means():
    rng = np.random.default_rng(0)
    losses, sizes = rng.normal(size=7), rng.integers(1, 9, size=7)
    logs = {"acc": 0.9}
    cbs = cb.CallbackList([cb.BaseLogger(stateful_metrics=["seen"])])
    cbs.on_epoch_begin(0)
    for batch, (loss, size) in enumerate(zip(losses, sizes, strict=True)):
        cbs.on_train_batch_end(batch, {"loss": loss, "acc": 0.1, "seen": batch, "size": size})
    cbs.on_epoch_end(0, logs)
    assert logs["loss"] == pytest.approx(np.average(losses, weights=sizes))
    assert logs["acc"] == 0.9 and logs["seen"] == 6 and "size" not in logs


def test_progbar_verbose_2_prints_one_keras_line_per_epoch(capsys):
    cbs = cb.CallbackList([], add_progbar=True, epochs=2, steps=3, verbose=2)
    plain_loop(cbs, [{"loss": 0.123456, "val_loss": 0.0001234}, {"loss": 2.0, "val_loss": 1.5}], batches=3)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2"
    assert lines[1].startswith("3/3 - ") and lines[1].endswith(" - loss: 0.1235 - val_loss: 1.2340e-04")
    assert lines[3].endswith(" - loss: 2.0000 - val_loss: 1.5000")


def test_progbar_verbose_1_draws_a_bar_and_learns_an_unknown_epoch_length(capsys):
    cbs = cb.CallbackList([], add_progbar=True, epochs=1, verbose=1)
    plain_loop(cbs, [{"loss": 0.5}], batches=4)
    out = capsys.readouterr().out
    last = out.rsplit("\r", 1)[-1]
    assert out.endswith("\n") and "4/4" in last and "\u2501" * 20 in last and last.endswith("- loss: 0.5000\n")


def test_tensorboard_writes_the_keras_layout(tmp_path):
    opt = SimpleNamespace(learning_rate=0.25)
    board = cb.TensorBoard(tmp_path, update_freq=3, write_steps_per_second=True)
    cbs = cb.CallbackList([board], optimizer=opt)
    cbs.on_train_begin()
    for epoch in range(3):
        cbs.on_epoch_begin(epoch)
        for batch in range(4):
            cbs.on_train_batch_begin(batch)
            cbs.on_train_batch_end(batch, {"loss": float(epoch * 4 + batch), "note": "text is skipped"})
        cbs.on_test_begin()
        cbs.on_test_end({"loss": 10.0 + epoch})
        cbs.on_epoch_end(epoch, {"loss": 1.0 / (epoch + 1), "acc": 0.5, "val_loss": 2.0 - epoch,
                                 "val_acc": 0.25})
    cbs.on_train_end()
    assert sorted(os.listdir(tmp_path)) == ["train", "validation"]
    train, val = accumulated_scalars(tmp_path / "train"), accumulated_scalars(tmp_path / "validation")
    assert set(train) == {"epoch_loss", "epoch_acc", "epoch_learning_rate", "epoch_steps_per_second",
                          "batch_loss", "batch_steps_per_second"}
    assert train["epoch_loss"] == [(0, 1.0), (1, 0.5), (2, pytest.approx(1 / 3))]
    assert train["epoch_learning_rate"] == [(e, 0.25) for e in range(3)]
    assert train["batch_loss"] == [(3, 2.0), (6, 5.0), (9, 8.0), (12, 11.0)]  # global batch count, 1-based
    assert set(val) == {"epoch_loss", "epoch_acc", "evaluation_loss_vs_iterations"}
    assert val["epoch_loss"] == [(0, 2.0), (1, 1.0), (2, 0.0)]
    assert val["evaluation_loss_vs_iterations"] == [(4, 10.0), (8, 11.0), (12, 12.0)]


def test_tensorboard_epoch_mode_writes_no_batch_scalars(tmp_path):
    cbs = cb.CallbackList([cb.TensorBoard(tmp_path)])
    plain_loop(cbs, [{"loss": 1.0}, {"loss": 0.5}], batches=5)
    assert set(accumulated_scalars(tmp_path / "train")) == {"epoch_loss"}
    assert not os.path.exists(tmp_path / "validation")


def test_tensorboard_refuses_a_bad_update_freq():
    with pytest.raises(ValueError, match="TensorBoard: update_freq must be 'epoch', 'batch' or a positive int"):
        cb.TensorBoard(update_freq="sometimes")


def test_csv_logger_keeps_every_finished_epoch_when_killed(tmp_path, root):
    path = tmp_path / "log.csv"
    code = textwrap.dedent(f"""
        import os, time
        from tbwriter.callbacks import CallbackList, CSVLogger
        cbs = CallbackList([CSVLogger({str(path)!r})])
        cbs.on_train_begin()
        for epoch in range(5):
            cbs.on_epoch_end(epoch, {{"loss": 1.0 / (epoch + 1)}})
        print("5 epochs", flush=True)
        time.sleep(60)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], env=dict(os.environ, PYTHONPATH=str(root)),
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline() == "5 epochs\n"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    rows = list(csv.reader(open(path, newline="")))
    assert rows == [["epoch", "loss"]] + [[str(e), repr(1.0 / (e + 1))] for e in range(5)]


def test_csv_logger_append_widens_an_existing_file(tmp_path):
    path = tmp_path / "log.csv"
    plain_loop(cb.CallbackList([cb.CSVLogger(path)]), [{"loss": 1.0}])
    plain_loop(cb.CallbackList([cb.CSVLogger(path, append=True)]), [{"loss": 0.5, "val_loss": 0.75}])
    assert list(csv.reader(open(path, newline=""))) == [["epoch", "loss", "val_loss"], ["0", "1.0", "NA"],
                                                        ["0", "0.5", "0.75"]]


def keras_layout(run_dir, epochs_run, learning_rate=True):
    """Check a log dir against what Keras's TensorBoard callback writes, and return its scalars."""
    train, val = accumulated_scalars(run_dir / "train"), accumulated_scalars(run_dir / "validation")
    assert "epoch_loss" in train and set(val) == {"epoch_loss"}
    assert ("epoch_learning_rate" in train) == learning_rate
    assert [step for step, _ in train["epoch_loss"]] == list(range(epochs_run))
    assert [step for step, _ in val["epoch_loss"]] == list(range(epochs_run))
    assert accumulator(run_dir / "train").Tags()["scalars"]  # loads in TensorBoard's EventAccumulator
    return train, val


def test_numpy_loop_example(tmp_path):
    from examples import numpy_loop
    cbs = numpy_loop.main(str(tmp_path), epochs=40)
    history = cbs.model.history.history
    epochs_run = len(history["loss"])
    assert 0 < epochs_run < 40  # early stopping fired
    train, val = keras_layout(tmp_path, epochs_run)
    assert [v for _, v in val["epoch_loss"]] == pytest.approx(history["val_loss"])
    assert [s for s, _ in train["batch_loss"]] == list(range(4, epochs_run * 6 + 1, 4))
    rows = list(csv.DictReader(open(tmp_path / "training.csv", newline="")))
    assert [float(r["val_loss"]) for r in rows] == pytest.approx(history["val_loss"])


def test_torch_loop_example(tmp_path):
    torch = pytest.importorskip("torch")
    from examples import torch_loop
    net, stop, cbs = torch_loop.main(str(tmp_path), epochs=40)
    history = cbs.model.history.history
    epochs_run = len(history["loss"])
    train, val = keras_layout(tmp_path, epochs_run)
    assert len(train["batch_loss"]) == 4 * epochs_run
    best = torch.load(tmp_path / "best.pt")  # saved by ModelCheckpoint at the best epoch
    assert all(torch.equal(best[k], v) for k, v in net.state_dict().items())
    assert min(history["val_loss"]) == history["val_loss"][stop.best_epoch]


def test_importing_callbacks_stays_light(root):
    code = ("import sys, tbwriter.callbacks; print(sorted(m for m in ('torch', 'keras', 'tensorboard', 'numpy', "
            "'tensorflow', 'matplotlib', 'pandas') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, PYTHONPATH=str(root)),
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_docs_callbacks_example_runs(tmp_path, monkeypatch):
    code = docpages.blocks(docpages.read("docs/callbacks.md"), "python")[0].code
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "docs/callbacks.md", "exec"), {})
    rows = list(csv.DictReader(open(tmp_path / "logs/run1/training.csv", newline="")))
    assert [int(r["epoch"]) for r in rows] == list(range(14))  # val_loss is best at epoch 10, patience 3
    keras_layout(tmp_path / "logs/run1", 14, learning_rate=False)


@pytest.mark.parametrize("make, error, message", [
    (lambda: cb.EarlyStopping(patience=1.5), TypeError, r"EarlyStopping: patience must be an int >= 0, got float"),
    (lambda: cb.EarlyStopping(start_from_epoch=-1), ValueError, r"EarlyStopping: start_from_epoch must be an int"),
    (lambda: cb.EarlyStopping(baseline="low"), ValueError, r"EarlyStopping: baseline must be a real number"),
    (lambda: cb.EarlyStopping(min_delta=float("nan")), ValueError, r"EarlyStopping: min_delta must be a finite"),
    (lambda: cb.ReduceLROnPlateau(cooldown=True), TypeError, r"ReduceLROnPlateau: cooldown must be an int"),
    (lambda: cb.ReduceLROnPlateau(min_lr=None), ValueError, r"ReduceLROnPlateau: min_lr must be a real number"),
    (lambda: cb.ModelCheckpoint("m", save_freq=0), ValueError, r"ModelCheckpoint: save_freq must be 'epoch' or"),
    (lambda: cb.TensorBoard(histogram_freq=-2), ValueError, r"TensorBoard: histogram_freq must be an int >= 0"),
    (lambda: cb.CSVLogger("x.csv", separator=", "), TypeError, r"CSVLogger: separator must be a one-character"),
    (lambda: cb.LearningRateScheduler(0.1), TypeError, r"LearningRateScheduler: schedule must be callable"),
    (lambda: cb.TensorBoard(profile_batch=3), ValueError, r"TensorBoard: profile_batch=3 and embeddings_freq=0 need"),
])
def test_bad_arguments_are_refused_by_name(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_weight_histograms_of_a_bfloat16_torch_model(tmp_path):
    torch = pytest.importorskip("torch")
    from tests.support.eventcheck import raw_events

    net = torch.nn.Linear(3, 2).to(torch.bfloat16)
    cbs = cb.CallbackList([cb.TensorBoard(tmp_path, histogram_freq=1)], model=net)
    cbs.on_train_begin()
    cbs.on_epoch_end(0, {"loss": 0.5})
    cbs.on_train_end()
    counts = {v.tag: np.frombuffer(v.tensor.tensor_content, "<f8").reshape(-1, 3)[:, 2].sum()
              for e in raw_events(tmp_path / "train") if e.HasField("summary") for v in e.summary.value
              if v.tag.endswith("/histogram")}
    assert counts == {"weight/histogram": 6.0, "bias/histogram": 2.0}
