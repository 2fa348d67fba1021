"""gs:// against fake-gcs-server and az:// against Azurite, both on 127.0.0.1: TensorBoard reads every point.

Both go through fsspec (gcsfs, adlfs) in the writer and in TensorBoard's own loader.  A server that cannot
start here makes its tests skip with the reason; ./dev test installs both.
"""
import uuid

import pytest

from tbwriter import SummaryWriter, read_scalars
from tests.support.eventcheck import accumulated_scalars
from tests.support.stores import AzuriteServer, GCSServer, environment


@pytest.fixture(scope="module", params=["gs", "az"])
def store(request):
    """``(scheme, server)`` with the environment pointing fsspec at the server."""
    pytest.importorskip({"gs": "gcsfs", "az": "adlfs"}[request.param])
    with (GCSServer if request.param == "gs" else AzuriteServer)() as server, environment(server.env):
        yield request.param, server


@pytest.mark.slow
def test_flush_every_step_reads_back_in_tensorboard(store):
    scheme, server = store
    bucket = f"logs-{uuid.uuid4().hex[:12]}"
    (server.make_bucket if scheme == "gs" else server.make_container)(bucket)
    url = f"{scheme}://{bucket}/runs/exp"
    with SummaryWriter(url) as w:
        for step in range(60):
            w.add_scalar("loss", 1 / (step + 1), step)
            w.flush()
        w.add_scalar("loss", 0.0, 60)  # sent at close
    expected = [(s, round(1 / (s + 1), 6)) for s in range(60)] + [(60, 0.0)]
    assert [(s, round(v, 6)) for s, v in accumulated_scalars(url)["loss"]] == expected
    data = read_scalars(f"{scheme}://{bucket}/runs")
    assert data[("exp", "loss")].step.tolist() == list(range(61))


def test_a_missing_bucket_raises_naming_the_url_and_keeps_the_records(store):
    scheme, server = store
    bucket = f"later-{uuid.uuid4().hex[:12]}"
    url = f"{scheme}://{bucket}/run"
    w = SummaryWriter(url)
    w.add_scalar("loss", 1.0, 1)
    with pytest.raises(OSError, match=f"could not (list|write) {url}"):
        w.flush()
    w.add_scalar("loss", 2.0, 2)
    (server.make_bucket if scheme == "gs" else server.make_container)(bucket)
    w.close()
    assert read_scalars(url)[(".", "loss")].step.tolist() == [1, 2]
