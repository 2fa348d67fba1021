"""ModelCheckpoint and CSVLogger writing to object storage: s3:// (moto), gs:// (fake-gcs-server), az:// (Azurite),
each server on 127.0.0.1; the objects are read back with fsspec as any other program would."""
import csv
import io
import uuid

import fsspec
import numpy as np
import pytest
from tests.support.stores import AzuriteServer, GCSServer, environment

from tbwriter import callbacks as cb
from tbwriter import storage


def plain_loop(cbs, epoch_logs):
    cbs.on_train_begin()
    for epoch, logs in enumerate(epoch_logs):
        cbs.on_epoch_begin(epoch)
        cbs.on_epoch_end(epoch, logs)
    cbs.on_train_end()


@pytest.fixture(scope="module", params=["s3", "gs", "az"])
def store(request):
    """``(scheme, server)``, the environment pointing fsspec at the server, one per module."""
    pytest.importorskip({"s3": "s3fs", "gs": "gcsfs", "az": "adlfs"}[request.param])
    if request.param == "s3":
        yield "s3", request.getfixturevalue("s3_server")
        return
    with (GCSServer if request.param == "gs" else AzuriteServer)() as server, environment(server.env):
        # fsspec keeps one filesystem per configuration: one made for an earlier module's server (the same
        # environment variables, another port) would send there
        fsspec.get_filesystem_class(request.param).clear_instance_cache()
        yield request.param, server


@pytest.fixture
def root(store):
    """A fresh bucket's URL."""
    scheme, server = store
    bucket = f"cb-{uuid.uuid4().hex[:12]}"
    (server.make_container if scheme == "az" else server.make_bucket)(bucket)
    return f"{scheme}://{bucket}"


def read(url: str) -> bytes:
    fs, path = storage.filesystem(url)
    fs.invalidate_cache()
    return fs.cat_file(path)


def test_checkpoints_are_put_whole(root):
    torch = pytest.importorskip("torch")
    net = torch.nn.Linear(2, 1)
    checkpoint = cb.ModelCheckpoint(f"{root}/ckpt/best.pt", monitor="val_loss", save_best_only=True)
    logs = [{"val_loss": 1.0}, {"val_loss": 0.5}, {"val_loss": 0.75}]
    weights = []

    class Keep(cb.Callback):  # the weights at each epoch's end, to tell which epoch was saved
        def on_epoch_end(self, epoch, logs=None):
            weights.append({k: v.clone() for k, v in net.state_dict().items()})
            with torch.no_grad():
                net.weight += 1.0

    plain_loop(cb.CallbackList([checkpoint, Keep()], model=net), logs)
    saved = torch.load(io.BytesIO(read(f"{root}/ckpt/best.pt")))
    assert all(torch.equal(saved[k], v) for k, v in weights[1].items())  # the best epoch's, the second


def test_csv_rows_after_every_epoch_and_appended(root):
    url = f"{root}/logs/training.csv"
    logger = cb.CSVLogger(url)
    cbs = cb.CallbackList([logger])
    cbs.on_train_begin()
    for epoch in range(3):
        cbs.on_epoch_end(epoch, {"loss": 1.0 / (epoch + 1)})
        rows = list(csv.reader(io.StringIO(read(url).decode())))
        assert len(rows) == epoch + 2  # there after each epoch, whole
    cbs.on_train_end()
    plain_loop(cb.CallbackList([cb.CSVLogger(url, append=True)]), [{"loss": 0.2, "val_loss": np.float64(0.3)}])
    assert list(csv.reader(io.StringIO(read(url).decode()))) == [
        ["epoch", "loss", "val_loss"], ["0", "1.0", "NA"], ["1", "0.5", "NA"], ["2", str(1 / 3), "NA"],
        ["0", "0.2", "0.3"]]


def test_a_failed_put_is_warned_of_and_made_again(s3_server):
    bucket = f"later-{uuid.uuid4().hex[:12]}"
    url = f"s3://{bucket}/training.csv"
    cbs = cb.CallbackList([cb.CSVLogger(url)])
    cbs.on_train_begin()
    with pytest.warns(UserWarning, match=f"CSVLogger: could not write {url}"):
        cbs.on_epoch_end(0, {"loss": 1.0})  # no such bucket yet
    s3_server.make_bucket(bucket)
    cbs.on_epoch_end(1, {"loss": 0.5})
    cbs.on_train_end()
    assert read(url).decode().splitlines() == ["epoch,loss", "0,1.0", "1,0.5"]
