"""s3:// logdirs against moto's S3 server on 127.0.0.1, counting the bytes of every request.

TensorBoard is the judge: its own loader and a real ``tensorboard --logdir s3://...`` server, both pointed
at moto by ``S3_ENDPOINT``; the writer finds it through ``AWS_ENDPOINT_URL_S3`` (see tests/support/stores.py).
"""
import os
import signal
import subprocess
import sys
import textwrap
import threading
import uuid

import pytest

pytest.importorskip("s3fs")

from tbwriter import SummaryWriter, read_scalars  # noqa: E402
from tbwriter.reading.follow import Follower  # noqa: E402
from tests.support import ROOT  # noqa: E402
from tests.support.cli import Lines  # noqa: E402
from tests.support.eventcheck import accumulated_scalars  # noqa: E402
from tests.support.stores import SilentServer  # noqa: E402
from tests.support.tbserver import TensorBoardServer  # noqa: E402



@pytest.fixture
def bucket(s3_server):
    name = f"logs-{uuid.uuid4().hex[:12]}"
    s3_server.make_bucket(name)
    s3_server.reset()
    return name


def log(url: str, steps: int, flush_every: int = 1) -> None:
    with SummaryWriter(url) as w:
        for step in range(steps):
            w.add_scalar("loss", 1 / (step + 1), step)
            if (step + 1) % flush_every == 0:
                w.flush()


@pytest.mark.parametrize("steps", [300, 600])
def test_flush_every_step_sends_each_byte_once(s3_server, bucket, steps):
    log(f"s3://{bucket}/run", steps)
    stored = s3_server.stored_bytes(bucket)
    assert s3_server.body_bytes() <= 1.05 * stored
    assert s3_server.count("PUT") == steps + 1  # one put per flush, nothing rewritten; the end marker
    assert len(s3_server.objects(bucket)) == steps + 1
    if steps == 300:  # what was put reads back (600 more GETs would tell nothing new)
        data = read_scalars(f"s3://{bucket}/run")[(".", "loss")]
        assert data.step.tolist() == list(range(steps))


def test_reading_costs_one_request_per_file(s3_server, bucket):
    log(f"s3://{bucket}/runs/a", 40, flush_every=4)
    s3_server.reset()
    assert read_scalars(f"s3://{bucket}/runs")[("a", "loss")].step.tolist() == list(range(40))
    assert s3_server.count("GET") == 10 + 1  # ten files, one listing
    assert s3_server.count() == 11


@pytest.mark.slow
def test_tensorboards_loader_reads_every_point(s3_server, bucket):
    log(f"s3://{bucket}/run", 300, flush_every=30)  # ten files: its S3 code costs ~0.7 s a file
    got = accumulated_scalars(f"s3://{bucket}/run")["loss"]
    assert [(s, round(v, 6)) for s, v in got] == [(s, round(1 / (s + 1), 6)) for s in range(300)]


@pytest.mark.slow
def test_tensorboard_server_serves_every_point(s3_server, bucket):
    log(f"s3://{bucket}/runs/exp", 200, flush_every=20)
    # it loads before it serves, and its S3 code opens a client per request: give it time
    with TensorBoardServer(f"s3://{bucket}/runs", load_fast=False, timeout=300) as tb:
        points = tb.scalars_when("exp", "loss", 200)
    assert [step for _, step, _ in points] == list(range(200))


def run_child(code: str, env: dict, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], env=dict(os.environ, **env), cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


@pytest.mark.slow
def test_sigkill_after_flush_loses_nothing_flushed(s3_server, bucket):
    child = run_child(f"""
        import time
        from tbwriter import SummaryWriter
        w = SummaryWriter("s3://{bucket}/run")
        for step in range(50):
            w.add_scalar("loss", float(step), step)
            w.flush()
        for step in range(50, 60):
            w.add_scalar("loss", float(step), step)
        print("flushed", flush=True)
        time.sleep(120)
    """, s3_server.env)
    try:
        assert child.stdout.readline() == "flushed\n", child.stderr.read()
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(30)
    data = read_scalars(f"s3://{bucket}/run")
    assert not data.damaged  # no torn record is ever visible
    assert data[(".", "loss")].step.tolist() == list(range(50))


def test_what_is_pending_at_exit_is_sent(s3_server, bucket):
    # neither flushed nor closed: sent on the way out, while the backend's thread pools still run
    child = run_child(f"""
        from tbwriter import SummaryWriter
        w = SummaryWriter("s3://{bucket}/run")
        for step in range(10):
            w.add_scalar("loss", float(step), step)
    """, s3_server.env)
    out, err = child.communicate(timeout=180)
    assert child.returncode == 0 and not err, err
    assert read_scalars(f"s3://{bucket}/run")[(".", "loss")].step.tolist() == list(range(10))


def test_forked_child_leaves_the_parents_unsent_values_to_it_and_sends_its_own(s3_server, bucket):
    child = run_child(f"""
        import os, sys
        from tbwriter import SummaryWriter
        w = SummaryWriter("s3://{bucket}/run")
        w.add_scalar("loss", 1.0, 1)
        w.flush()
        w.add_scalar("loss", 2.0, 2)  # unsent at the fork: the parent's to send, not the child's too
        if os.fork() == 0:
            w.add_scalar("loss", 3.0, 3)
            sys.exit(0)  # the child's own value goes at its exit
        os.wait()
    """, s3_server.env)
    out, err = child.communicate(timeout=180)
    assert child.returncode == 0 and not err, err
    assert sorted(read_scalars(f"s3://{bucket}/run")[(".", "loss")].step.tolist()) == [1, 2, 3]


@pytest.mark.parametrize("case", ["unreachable", "missing bucket"])
def test_a_failure_raises_naming_the_url_and_keeps_what_was_logged(s3_server, case):
    bucket = f"later-{uuid.uuid4().hex[:12]}"
    endpoint = "http://127.0.0.1:9" if case == "unreachable" else s3_server.endpoint
    child = run_child(f"""
        import boto3
        from tbwriter import SummaryWriter
        w = SummaryWriter("s3://{bucket}/run", storage_options={{"endpoint_url": "{endpoint}"}})
        w.add_scalar("loss", 1.0, 1)
        try:
            w.flush()
        except OSError as e:
            print("raised:", e)
        w.add_scalar("loss", 2.0, 2)
        if {case == "missing bucket"}:
            boto3.client("s3", endpoint_url="{endpoint}").create_bucket(Bucket="{bucket}")
            w.close()
            print("closed")
    """, s3_server.env)
    out, err = child.communicate(timeout=180)  # bounded: never a hang
    assert out.startswith("raised: could not ") and f"s3://{bucket}/run" in out.splitlines()[0]
    if case == "unreachable":
        # at exit the pending records are tried once more, and the failure said, never passed over
        assert f"tbwriter: could not list s3://{bucket}/run: " in err and "were not written" in err
    else:
        assert "closed" in out and not err
        assert read_scalars(f"s3://{bucket}/run")[(".", "loss")].step.tolist() == [1, 2]


def test_throttling_past_the_retries_raises_and_keeps_every_value(s3_server, bucket, monkeypatch):
    from tbwriter.storage import segments

    monkeypatch.setattr(segments, "PUT_TIMEOUT", 5.0)  # the bound on one put, retries included
    url = f"s3://{bucket}/run"
    w = SummaryWriter(url)
    w.add_scalar("loss", 0.0, 0)
    w.flush()
    s3_server.throttle = True
    try:
        w.add_scalar("loss", 1.0, 1)
        with pytest.raises(OSError, match=f"could not write {url}/events"):
            w.flush()
    finally:
        s3_server.throttle = False
    w.add_scalar("loss", 2.0, 2)
    w.close()
    assert read_scalars(url)[(".", "loss")].step.tolist() == [0, 1, 2]


def test_convert_writes_to_s3_not_a_local_folder(s3_server, bucket, tmp_path, root):
    csv = tmp_path / "train.csv"
    csv.write_text("step,loss\n0,0.5\n1,0.25\n")
    done = subprocess.run([sys.executable, "-m", "tbwriter", "convert", str(csv), "--logdir", f"s3://{bucket}/runs"],
                          cwd=tmp_path, env=dict(os.environ, PYTHONPATH=str(root)), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert not os.path.exists(tmp_path / "s3:")
    assert read_scalars(f"s3://{bucket}/runs")[("train", "loss")].value.tolist() == [0.5, 0.25]


def test_the_docs_s3_example_runs_and_reads_back(s3_server):
    from tests.support import docpages

    block = [b for b in docpages.blocks(docpages.read("docs/remote.md"), "python") if b.info == "s3"][0]
    bucket = f"docs-{uuid.uuid4().hex[:12]}"  # its own: the docs test runs the same block on this server
    s3_server.make_bucket(bucket)
    exec(compile(block.code.replace("my-bucket", bucket), "docs/remote.md s3 block", "exec"), {"__name__": "__docs__"})
    assert read_scalars(f"s3://{bucket}/runs")[("exp1", "loss")].step.tolist() == list(range(100))


def test_wrong_credentials_raise_naming_the_url_and_keep_every_value(s3_server, bucket):
    # moto checks signatures against its IAM only while authentication is on: in here, off again after
    import boto3
    from moto.core.authorization import enable_iam_authentication

    iam = boto3.client("iam", endpoint_url=s3_server.endpoint, region_name="us-east-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    user = f"writer-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="s3", PolicyDocument='{"Version": "2012-10-17", "Statement": '
                        '[{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}')
    key = iam.create_access_key(UserName=user)["AccessKey"]
    url = f"s3://{bucket}/run"
    refused = rf"could not \w+ {url}\b.*(AccessKeyId|Access Key Id|InvalidAccessKeyId|[Ff]orbidden|Permission)"
    with enable_iam_authentication():
        w = SummaryWriter(url, storage_options={"key": "wrong", "secret": "wrong", "token": None})
        for step in range(3):
            w.add_scalar("loss", float(step), step)
        with pytest.raises(OSError, match=refused):
            w.flush()  # and returns: a refused key is not retried until a timeout
        w.add_scalar("loss", 3.0, 3)
        with pytest.raises(OSError, match=refused):
            w.flush()  # still pending, never silently passed over
        right = {"key": key["AccessKeyId"], "secret": key["SecretAccessKey"], "token": None}
        good = SummaryWriter(f"{url}-good", storage_options=right)
        good.add_scalar("other", 1.0, 0)
        good.close()  # the right credentials do get in
    assert s3_server.objects(bucket, "run/") == {}  # the wrong ones got nothing in
    w.close()  # the server lets anyone in again: every value the refused writer kept is written now
    assert read_scalars(url)[(".", "loss")].step.tolist() == [0, 1, 2, 3]
    assert read_scalars(f"{url}-good")[(".", "other")].step.tolist() == [0]


def test_a_long_lived_reader_sees_segments_put_by_another_process_since(s3_server, bucket):
    # fsspec keeps one filesystem per configuration and caches its listings: a second read in this
    # process once missed (and reported unreadable) what another process put after the first
    def log_in_child(first: int, last: int) -> None:
        child = run_child(f"""
            from tbwriter import SummaryWriter
            with SummaryWriter("s3://{bucket}/runs/a") as w:
                for step in range({first}, {last}):
                    w.add_scalar("loss", float(step), step)
                    w.flush()
        """, s3_server.env)
        assert child.communicate(timeout=180)[1] == "" and child.returncode == 0

    log_in_child(0, 3)
    assert read_scalars(f"s3://{bucket}/runs")[("a", "loss")].step.tolist() == [0, 1, 2]
    log_in_child(3, 6)
    again = read_scalars(f"s3://{bucket}/runs")
    assert not again.damaged
    assert again[("a", "loss")].step.tolist() == list(range(6))


def test_a_follower_fetches_each_new_segment_once(s3_server, bucket):
    w = SummaryWriter(f"s3://{bucket}/runs/a")
    follower = Follower(f"s3://{bucket}/runs")
    for step in range(3):
        w.add_scalar("loss", float(step), step)
        w.flush()
    assert follower.poll()[("a", "loss")].step.tolist() == [0, 1, 2]
    s3_server.reset()
    assert follower.poll() == {}
    assert s3_server.count() == 1  # idle: one listing, nothing fetched again
    for step in range(3, 5):
        w.add_scalar("loss", float(step), step)
        w.flush()
    s3_server.reset()
    assert follower.poll()[("a", "loss")].step.tolist() == [3, 4]
    assert s3_server.count("GET") == 1 + 2  # the listing, then the two new segments
    w.close()


def test_tail_follows_an_s3_logdir(s3_server, bucket, root):
    url = f"s3://{bucket}/runs"
    w = SummaryWriter(f"{url}/a")
    w.add_scalar("loss", 0.0, 0)
    w.flush()  # there is something to list: a URL with nothing below is refused, as a missing folder is
    tail = subprocess.Popen([sys.executable, "-m", "tbwriter", "tail", url, "--format", "csv", "--interval", "0.2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(os.environ, PYTHONPATH=str(root),
                                                                                     **s3_server.env))
    lines = Lines(tail.stdout)
    try:
        assert lines.next(60) == "run,tag,step,wall_time,value"  # printed after the first poll
        for step in range(1, 4):
            w.add_scalar("loss", step / 8, step)
            w.flush()
            run, tag, got_step, _, value = lines.next(60).split(",")
            assert (run, tag, int(got_step), float(value)) == ("a", "loss", step, step / 8)
        tail.send_signal(signal.SIGINT)
        assert tail.wait(30) == 0
        assert tail.stderr.read() == b""
    finally:
        w.close()
        tail.kill()


def test_tail_refuses_an_empty_url_in_one_line(s3_server, bucket, root):
    done = subprocess.run([sys.executable, "-m", "tbwriter", "tail", f"s3://{bucket}/nothing"], capture_output=True,
                          text=True, env=dict(os.environ, PYTHONPATH=str(root), **s3_server.env), timeout=120)
    assert done.returncode == 1
    assert done.stderr == f"tbwriter tail: error: no such file or directory: s3://{bucket}/nothing\n"


def test_add_scalar_never_waits_on_a_put_that_hangs(s3_server, bucket):
    from tbwriter.writing import eventfile

    url = f"s3://{bucket}/run"
    with SilentServer() as endpoint:
        w = SummaryWriter(url, flush_secs=1, storage_options={"endpoint_url": endpoint.endpoint})
        w.add_scalar("loss", 0.0, 0)
        endpoint.wait_until(lambda events: ("open", 1) in events)  # the flusher's request is out, unanswered
        # should add_scalar wait on that request (it did once the queue was full), the endpoint comes back
        # after 20 s and lets it go on: far past what logging takes, far short of the 60 s a put may take
        comes_back = threading.Timer(20, endpoint.forward_to, [s3_server.port])
        comes_back.start()
        try:
            for step in range(1, 3 * eventfile.QUEUE_RECORDS):
                w.add_scalar("loss", float(step), step)
            assert not endpoint.forwarding, "add_scalar waited on the flusher's put"
        finally:
            comes_back.cancel()
        endpoint.forward_to(s3_server.port)  # the endpoint answers again: the held request goes on too
        w.flush()
        w.close()
    data = read_scalars(url)  # from moto itself
    assert not data.damaged
    assert data[(".", "loss")].step.tolist() == list(range(3 * eventfile.QUEUE_RECORDS))


def test_at_exit_hung_puts_end_together_and_each_is_said_once_truly(s3_server, bucket):
    with SilentServer() as endpoint:  # never answers
        child = run_child(f"""
            from tbwriter import SummaryWriter
            from tbwriter.storage import segments
            segments.PUT_TIMEOUT = 5.0  # per put, and for all the writers together at exit
            where = {{"endpoint_url": "{endpoint.endpoint}"}}
            writers = [SummaryWriter(f"s3://{bucket}/{{run}}", storage_options=where) for run in "ab"]
            for w in writers:  # neither flushed nor closed: left to the exit
                w.add_scalar("loss", 1.0, 1)
        """, s3_server.env)
        out, err = child.communicate(timeout=120)
        # the second writer's request went out before the first one's was given up: they did not take turns
        assert endpoint.most_open_at_once() >= 2, endpoint.events
    assert child.returncode == 0, err
    lines = err.splitlines()
    assert len(lines) == 2, err  # one line each
    for run, line in zip("ab", sorted(lines), strict=True):  # true: the values are lost, the URL named
        assert line.startswith(f"tbwriter: could not list s3://{bucket}/{run}: TimeoutError: ")
        assert line.endswith(f"; the values logged to s3://{bucket}/{run} since its last successful write were not "
                             "written (the process is ending)")
    assert s3_server.objects(bucket) == {}


def test_storage_options_reach_every_reader_and_command(s3_server, bucket, tmp_path, root):
    from tbwriter.reading.sessions import read_hparams

    url = f"s3://{bucket}/runs"
    log(f"{url}/a", 3)
    nowhere = {"endpoint_url": "http://127.0.0.1:9"}  # nothing listens there: the option is what is used
    for call in (lambda: read_scalars(url, storage_options=nowhere), lambda: read_hparams(url, storage_options=nowhere),
                 lambda: Follower(url, storage_options=nowhere).poll()):
        with pytest.raises(OSError, match=f"could not list {url}"):
            call()
    # with no endpoint in the environment, the option alone leads the commands to the server
    env = {k: v for k, v in os.environ.items() if k not in ("AWS_ENDPOINT_URL_S3", "S3_ENDPOINT")}
    env["PYTHONPATH"] = str(root)
    option = ["--storage-option", f"endpoint_url={s3_server.endpoint}"]
    (tmp_path / "b.csv").write_text("step,loss\n0,1.5\n1,0.5\n")
    for command in (["ls", url], ["export", url], ["report", url, "-o", "r.html"], ["compact", url, "--force"],
                    ["convert", "b.csv", "--logdir", url], ["ls", url]):
        done = subprocess.run([sys.executable, "-m", "tbwriter", *command, *option], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    assert "a    loss  scalar       3  0..2" in done.stdout and "b    loss  scalar       2  0..1" in done.stdout
    assert sum("tfevents" in k for k in s3_server.objects(bucket)) == 2  # a compacted, b converted
