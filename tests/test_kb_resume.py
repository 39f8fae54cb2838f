"""A real `metamed kb build`, killed with SIGKILL mid-way, resumes without duplicates."""

import os
import signal
import subprocess
import sys
import time

import pytest

from metamed.knowledge import open_storage

TASKS = "rpart_kyphosis,boot_nodal"
PORTFOLIO = "8"
FITS = 2 * 8 * 3  # tasks x configs x folds


def _build(db):
    command = [sys.executable, "-m", "metamed", "kb", "build", "--db", str(db), "--tasks", TASKS,
               "--portfolio", PORTFOLIO, "--folds", "3", "--workers", "1"]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})


def _stored(db):
    try:
        return len(open_storage(str(db)).evaluations())
    except Exception:  # the file may not exist yet
        return 0


def _build_with_rows(db, rows):
    """A running build that has stored at least ``rows`` rows."""
    process = _build(db)
    deadline = time.time() + 240
    while _stored(db) < rows and time.time() < deadline and process.poll() is None:
        time.sleep(0.2)
    if process.poll() is not None:
        pytest.fail(f"build ended before it could be stopped: {process.stderr.read().decode()}")
    return process


def test_kill_minus_nine_loses_only_fits_in_flight_and_resume_completes(tmp_path):
    db = tmp_path / "kb.sqlite"
    process = _build_with_rows(db, 6)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    partial = open_storage(str(db)).evaluations()
    assert 6 <= len(partial) < FITS
    resumed = _build(db)
    assert resumed.wait(timeout=600) == 0, resumed.stderr.read().decode()
    final = open_storage(str(db)).evaluations()
    key = ["task_id", "config_hash", "repeat", "fold", "seed"]
    assert len(final) == FITS
    assert not final.duplicated(key).any()
    before = partial.set_index(key)["roc_auc"]
    after = final.set_index(key)["roc_auc"].loc[before.index]
    assert before.equals(after)  # rows stored before the kill were kept, not redone


def test_sigterm_stops_cleanly_with_exit_code_130_and_keeps_the_rows(tmp_path):
    db = tmp_path / "kb.sqlite"
    process = _build_with_rows(db, 3)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=120) == 130
    assert "interrupted; work already saved is kept." in process.stderr.read().decode()
    assert _stored(db) >= 3


def test_the_build_command_records_its_protocol_and_refuses_another(tmp_path, run_cli):
    db = str(tmp_path / "kb.sqlite")
    code, _, err = run_cli("kb", "build", "--db", db, "--tasks", "rpart_kyphosis",
                           "--portfolio", "1", "--folds", "3")
    assert code == 0, err
    info = open_storage(db).info()
    assert info["cv_protocol"] == '{"n_splits": 3, "n_repeats": 1, "seed": 0}'
    assert info["predictions_format"] == "float16-le/2"
    code, _, err = run_cli("kb", "build", "--db", db, "--tasks", "rpart_kyphosis",
                           "--portfolio", "1", "--folds", "5")
    assert code == 2 and "built with CV protocol" in err
