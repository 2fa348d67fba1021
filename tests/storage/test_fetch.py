"""Fetching many objects at once (tbwriter.storage.fetch) against moto's S3 on 127.0.0.1, every request made slow.

The server sleeps ``delay`` seconds before answering each request, in the request's own thread (tests/stores.py):
requests are slow as a distant store's are, and not put in a line, so ``most_in_flight`` shows how many the client
had out at once.
"""
import uuid

import pytest

pytest.importorskip("s3fs")

from tbwriter import SummaryWriter, storage  # noqa: E402
from tbwriter.storage.fetch import _windows, fetch  # noqa: E402


@pytest.fixture
def bucket(s3_server):
    name = f"fetch-{uuid.uuid4().hex[:12]}"
    s3_server.make_bucket(name)
    yield name
    s3_server.delay, s3_server.fail = 0.0, None


def sweep(bucket: str, runs: int, segments: int) -> dict[str, int]:
    """``runs`` runs of ``segments`` sealed segments each; ``{url: size}`` of the segments, as listed."""
    for r in range(runs):
        with SummaryWriter(f"s3://{bucket}/sweep/run{r}") as w:
            for step in range(segments):
                w.add_scalar("loss", r + step / 10, step)
                w.flush()
    listed = storage.list_files(f"s3://{bucket}/sweep")
    return {url: size for url, size in listed.items() if "tfevents" in url}  # not the end markers


def one_after_another(urls):
    """What reading each object in turn gives: its bytes, or the error."""
    out = []
    for url in urls:
        try:
            out.append((url, storage.read_file(url)))
        except OSError as e:
            out.append((url, e))
    return out


def key(url: str) -> str:
    return url.removeprefix("s3://")


def test_concurrent_fetch_gives_what_one_request_after_another_gives(s3_server, bucket):
    sizes = sweep(bucket, runs=6, segments=5)
    urls = sorted(sizes)
    client = s3_server.client()
    damaged, gone, forbidden = urls[3], urls[11], urls[17]
    body = bytearray(client.get_object(Bucket=bucket, Key=key(damaged).split("/", 1)[1])["Body"].read())
    body[len(body) // 2] ^= 0xFF  # damage is the reader's business: the bytes come back as stored
    client.put_object(Bucket=bucket, Key=key(damaged).split("/", 1)[1], Body=bytes(body))
    client.delete_object(Bucket=bucket, Key=key(gone).split("/", 1)[1])  # listed, then removed
    s3_server.fail = lambda method, path, query: ("403 Forbidden", "AccessDenied") \
        if method == "GET" and path == "/" + key(forbidden) else None
    s3_server.delay = 0.02
    expected = one_after_another(urls)
    s3_server.reset()
    got = list(fetch(urls, sizes, concurrency=8, window_bytes=sum(sizes.values()) // 4))
    assert [u for u, _ in got] == urls  # in the order asked
    for (url, content), (_, wanted) in zip(got, expected, strict=True):
        if isinstance(wanted, bytes):
            assert content == wanted, url
        else:  # the same kind of error, naming the object
            assert type(content) is type(wanted) and url in str(content), (content, wanted)
    assert isinstance(dict(got)[gone], FileNotFoundError)
    assert isinstance(dict(got)[forbidden], storage.StorageError) and "PermissionError" in str(dict(got)[forbidden])
    assert 1 < s3_server.most_in_flight <= 8  # several at once, never more than asked
    assert s3_server.count("GET") == len(urls) and s3_server.count("HEAD") == 0  # one request each


def test_more_requests_in_flight_than_the_default_connection_pool(s3_server, bucket):
    sizes = sweep(bucket, runs=2, segments=16)
    s3_server.delay = 0.3  # long enough for every request of a window to be out before the first is answered
    s3_server.reset()
    got = dict(fetch(sorted(sizes), sizes, concurrency=16))
    assert all(isinstance(v, bytes) for v in got.values())
    assert s3_server.most_in_flight > 10  # aiobotocore's pool holds 10 unless raised


def test_a_transient_failure_is_retried(s3_server, bucket):
    sizes = sweep(bucket, runs=1, segments=3)
    urls = sorted(sizes)
    refused = []

    def slow_down(method, path, query):
        if method == "GET" and path == "/" + key(urls[1]) and len(refused) < 2:
            refused.append(path)
            return "503 Slow Down", "SlowDown"
        return None

    s3_server.fail = slow_down
    got = dict(fetch(urls, sizes))
    assert len(refused) == 2 and got == dict(one_after_another(urls))


def test_windows_hold_a_bounded_number_of_bytes():
    sizes = {f"s3://b/{i:03d}": 10 for i in range(50)} | {"s3://b/big": 1000}
    windows = _windows(sorted(sizes), sizes, window_bytes=100, most=8)
    assert [u for w in windows for u in w] == sorted(sizes)
    for window in windows:
        assert len(window) <= 8
        assert sum(sizes[u] for u in window) <= 100 or len(window) == 1  # a larger object is a window alone


def test_memory_urls_are_read_one_after_the_other():
    url = f"memory://fetch-{uuid.uuid4().hex}/run"
    with SummaryWriter(url) as w:
        for step in range(3):
            w.add_scalar("loss", float(step), step)
            w.flush()
    sizes = storage.list_files(url)
    assert dict(fetch(sorted(sizes), sizes)) == dict(one_after_another(sorted(sizes)))


def test_bad_arguments_are_refused_by_name():
    with pytest.raises(ValueError, match="concurrency must be"):
        list(fetch(["s3://b/a"], concurrency=0))
    with pytest.raises(ValueError, match="urls must all be of one filesystem"):
        list(fetch(["s3://b/a", "gs://b/a"]))


def as_plain(data) -> tuple:
    """What a read gave, comparable: every series' arrays, and each damage's file, offset and problem."""
    series = {key: (s.step.tolist(), s.wall_time.tolist(), s.value.tolist()) for key, s in data.items()}
    return series, [(e.path, e.offset, e.problem) for e in data.damaged]


def test_read_scalars_fetching_at_once_reads_what_it_read_one_request_after_another(s3_server, bucket,
                                                                                      monkeypatch):
    from tbwriter import read_scalars
    from tbwriter.storage import fetch as fetching

    sizes = sweep(bucket, runs=5, segments=6)
    with SummaryWriter(f"s3://{bucket}/sweep/run2", purge_step=3) as w:  # a restart: steps 3.. purged
        for step in range(3, 6):
            w.add_scalar("loss", -step, step)
            w.flush()
    urls = sorted(sizes)
    client = s3_server.client()
    # the missing one last: the run is listed again when it is found gone, a request beside the next window's
    damaged, missing = urls[7], urls[-1]
    body = bytearray(client.get_object(Bucket=bucket, Key=key(damaged).split("/", 1)[1])["Body"].read())
    body[-2] ^= 0xFF
    client.put_object(Bucket=bucket, Key=key(damaged).split("/", 1)[1], Body=bytes(body))
    # listed, then gone when fetched: a writer's segments removed meanwhile (a compaction)
    s3_server.fail = lambda method, path, query: ("404 Not Found", "NoSuchKey") \
        if method == "GET" and path == "/" + key(missing) else None
    s3_server.delay = 0.02
    with pytest.warns(UserWarning):
        at_once = as_plain(read_scalars(f"s3://{bucket}/sweep"))
    assert s3_server.most_in_flight > 1
    monkeypatch.setattr(fetching, "CONCURRENCY", 1)
    monkeypatch.setattr(fetching, "WINDOW_BYTES", 1)  # one object a window: one request after another
    s3_server.reset()
    with pytest.warns(UserWarning):
        in_turn = as_plain(read_scalars(f"s3://{bucket}/sweep"))
    assert s3_server.most_in_flight == 1
    assert at_once == in_turn
    series, damage = at_once
    assert (damaged, "data checksum mismatch") in [(p, problem.value) for p, _, problem in damage]
    assert (missing, None, "cannot be read, skipped") in [(p, o, problem.value) for p, o, problem in damage]
    assert series[("run2", "loss")][0] == [0, 1, 2, 3, 4, 5]  # purged, then written again


def test_a_follower_fetches_only_new_objects_many_at_once(s3_server, bucket):
    from tbwriter.reading.follow import Follower

    sizes = sweep(bucket, runs=3, segments=4)
    follower = Follower(f"s3://{bucket}/sweep", tags="loss")
    s3_server.delay = 0.02
    s3_server.reset()
    first = follower.poll()
    assert {run: s.step.tolist() for (run, _), s in first.items()} == {f"run{r}": [0, 1, 2, 3] for r in range(3)}
    assert s3_server.most_in_flight > 1 and s3_server.count("GET") == len(sizes) + 1  # the listing, each object
    with SummaryWriter(f"s3://{bucket}/sweep/run1") as w:
        w.add_scalar("loss", 9.0, 4)
    s3_server.reset()
    second = follower.poll()
    assert {run: s.step.tolist() for (run, _), s in second.items()} == {"run1": [4]}  # each point once
    assert s3_server.count("GET") == 2  # one listing per poll, and the one new object
    s3_server.reset()
    assert not follower.poll() and s3_server.count("GET") == 1
