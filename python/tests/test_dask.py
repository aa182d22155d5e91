"""grn.dask on a LocalCluster of two worker processes gives the single run's bytes,
also when a worker dies mid-run. dask and distributed are test requirements
(scripts/test-all.sh installs them): missing is a failure, not a skip."""

from __future__ import annotations

import os
import signal
import threading
import time
from concurrent.futures import CancelledError

import pytest

import grn
import grn.dask
from grn.algo import grnboost2

from conftest import EXPR, run_cli

from distributed import Client, LocalCluster


@pytest.fixture(scope="module")
def client():
    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    c = Client(cluster)
    yield c
    c.close()
    cluster.close()


def written(df, path):
    grn.write_tsv(df, path)
    return path.read_bytes()


def test_file_input_equals_the_cli_single_run(client, cli, tmp_path):
    single = tmp_path / "cli.tsv"
    run_cli(cli, "infer", "-e", str(EXPR), "-m", "grnboost2", "-o", str(single))
    df = grn.dask.infer(str(EXPR), "grnboost2", client=client, blocks=5)
    assert len(df) > 1000
    assert written(df, tmp_path / "dask.tsv") == single.read_bytes()


def test_scattered_matrix_equals_the_in_process_run(client, dream_adata, tmp_path):
    local = grn.infer(dream_adata, "genie3-et", trees=40, seed=3, top=300)
    df = grn.dask.infer(dream_adata, "genie3-et", client=client, trees=40, seed=3, top=300)
    assert len(df) == 300
    assert written(df, tmp_path / "d.tsv") == written(local, tmp_path / "l.tsv")


def test_arboreto_client_or_address(client, dream_df):
    tfs = list(dream_df.columns[:20])
    local = grnboost2(dream_df, tf_names=tfs, seed=1)
    on_dask = grnboost2(dream_df, tf_names=tfs, seed=1, client_or_address=client)
    assert list(on_dask.columns) == ["TF", "target", "importance"]
    assert len(on_dask) > 100 and on_dask.equals(local)
    # arboreto's early-stopping window goes to the workers too.
    local = grnboost2(dream_df, early_stop_window_length=5, limit=100)
    on_dask = grnboost2(
        dream_df, early_stop_window_length=5, limit=100, client_or_address=client
    )
    assert on_dask.equals(local)
    with pytest.raises(ValueError, match="client_or_address"):
        grnboost2(dream_df, client_or_address=42)


def test_pairwise_methods_are_refused(client):
    with pytest.raises(ValueError, match="clr cannot be split by target"):
        grn.dask.infer(str(EXPR), "clr", client=client)


def test_a_worker_killed_mid_run_changes_no_byte(client, dream_df, tmp_path):
    local = grn.infer(dream_df, "genie3", trees=150)
    pids_before = client.run(os.getpid)
    result = {}

    def run():
        result["df"] = grn.dask.infer(dream_df, "genie3", client=client, trees=150, blocks=12)

    t = threading.Thread(target=run)
    t.start()
    victim = None
    deadline = time.time() + 60
    while victim is None and time.time() < deadline:
        busy = [w for w, tasks in client.processing().items() if tasks]
        if busy:
            victim = busy[0]
        else:
            time.sleep(0.05)
    assert victim is not None, "no block started"
    os.kill(pids_before[victim], signal.SIGKILL)
    killed_mid_run = t.is_alive()
    t.join(timeout=300)
    assert killed_mid_run, "the run ended before the worker was killed"
    assert not t.is_alive()
    assert written(result["df"], tmp_path / "d.tsv") == written(local, tmp_path / "l.tsv")
    # The nanny started a new worker process in place of the killed one.
    client.wait_for_workers(2, timeout=60)
    assert pids_before[victim] not in client.run(os.getpid).values()



class _CancellingClient:
    """Runs blocks in this process, and cancels the first attempt of the blocks
    `cancel` (every attempt when `always`), as Dask cancels the blocks whose
    scattered input died with its only worker (seen in CI: "cancelled for reason:
    already forgotten")."""

    def __init__(self, cancel, always=False):
        self.cancel, self.always, self.scatters = set(cancel), always, 0

    def scatter(self, data, broadcast=False, hash=True):
        # Once to every worker, under a fresh key (a content hash can hang a
        # repeated scatter, dask/distributed#8576).
        assert broadcast and not hash
        self.scatters += 1
        return data

    def submit(self, fn, *args, key, pure):
        block, attempt = int(key.split("-")[2]), int(key.rsplit("-", 1)[1])
        if block in self.cancel and (self.always or attempt == 0):
            return _Future(error=CancelledError())
        return _Future(value=fn(*args))


class _Future:
    def __init__(self, value=None, error=None):
        self.value, self.error = value, error

    def result(self):
        if self.error is not None:
            raise self.error
        return self.value


def test_blocks_cancelled_with_their_input_are_resubmitted(dream_df, tmp_path):
    local = grn.infer(dream_df, "genie3", trees=50)
    fake = _CancellingClient(cancel=[2, 5])
    df = grn.dask.infer(dream_df, "genie3", client=fake, trees=50, blocks=6)
    assert fake.scatters == 2, "the input is scattered again for the resubmission"
    assert written(df, tmp_path / "d.tsv") == written(local, tmp_path / "l.tsv")
    fake = _CancellingClient(cancel=[3], always=True)
    with pytest.raises(RuntimeError, match="1 of 6 blocks were cancelled 4 times"):
        grn.dask.infer(dream_df, "genie3", client=fake, trees=50, blocks=6)
