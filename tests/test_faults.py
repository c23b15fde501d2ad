"""Faults a long batch survives, injected for real: stop signals to a running `jihua batch`,
damaged parts, a full disk and a read-only output folder.

Each test checks the exit status and the message, that no process of the run is left
(through the process table: every process of a run carries a marker in its environment),
and that a rerun's tables equal those of an uninterrupted run.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pipeline.batch import STOP_GRACE, run_batch

from .test_batch import frames_equal, make_corpus

ROOT = Path(__file__).resolve().parent.parent
MARK = "JIHUA_FAULT_RUN"
STOP_LINE = "files; run the same command again to resume"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """120 files, each the sample text three times over: a run of some seconds on 2 cores."""
    folder = make_corpus(tmp_path_factory.mktemp("faults") / "in", 120)
    for path in folder.iterdir():
        head, body = path.read_text(encoding="utf-8").split("\n", 1)
        path.write_text(head + "\n" + body * 3, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def whole(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tables of an uninterrupted run."""
    out = tmp_path_factory.mktemp("whole") / "out"
    run_batch([corpus], out, workers=2)
    return out


def start(corpus: Path, out: Path, *extra: str) -> tuple[subprocess.Popen, str]:
    """`jihua batch` in its own process group, every process of it marked; its stderr goes
    to ``out``'s sibling ``stderr.txt`` (a pipe would hang on any process left behind)."""
    mark = uuid.uuid4().hex
    with (out.parent / "stderr.txt").open("w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "pipeline", "batch", str(corpus),
                                 "-o", str(out), "-q", *extra], cwd=ROOT,
                                start_new_session=True, env={**os.environ, MARK: mark},
                                stdout=subprocess.DEVNULL, stderr=err)
    return proc, mark


def finish(proc: subprocess.Popen, out: Path) -> str:
    """Wait for the run to end; its stderr."""
    proc.wait(timeout=60)
    return (out.parent / "stderr.txt").read_text()


def processes(mark: str) -> list[int]:
    """The live processes (zombies are dead) whose environment carries ``mark``."""
    found = []
    needle = f"{MARK}={mark}".encode()
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            if needle not in entry.joinpath("environ").read_bytes().split(b"\0"):
                continue
            state = entry.joinpath("stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state not in ("Z", "X"):
            found.append(int(entry.name))
    return found


def wait_for_parts(proc: subprocess.Popen, out: Path, count: int) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        if len(list((out / "parts").glob("*.jsonl"))) >= count:
            return
        time.sleep(0.02)
    raise AssertionError(f"the run ended or stalled before {count} files were done")


def assert_none_left(mark: str, since: float) -> None:
    """No process of the run five seconds after it was stopped."""
    while processes(mark) and time.monotonic() < since + 5:
        time.sleep(0.1)
    left = processes(mark)
    for pid in left:  # do not leak them into the rest of the session
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    assert not left, f"{len(left)} processes of the run still alive 5 s after it stopped"


def assert_nothing_half_done(out: Path) -> None:
    assert not (out / "documents.jsonl").exists()
    assert not list(out.glob("*.parquet")), "a table presented as complete"
    assert not list(out.rglob("*.part")) and not list(out.rglob("*.tmp"))


STOPS = [  # signal, sent to the process group (a terminal's Ctrl-C) or the process alone,
    # when so many files are done (0: while the workers start)
    pytest.param(signal.SIGTERM, False, "local", 10, id="sigterm"),
    pytest.param(signal.SIGINT, True, "local", 10, id="sigint-to-group"),
    pytest.param(signal.SIGKILL, False, "local", 10, id="sigkill"),
    pytest.param(signal.SIGTERM, False, "local", 0, id="sigterm-while-starting"),
    pytest.param(signal.SIGKILL, False, "local", 0, id="sigkill-while-starting"),
    pytest.param(signal.SIGTERM, False, "dask", 10, id="sigterm-dask"),
    pytest.param(signal.SIGKILL, False, "dask", 10, id="sigkill-dask"),
]


@pytest.mark.parametrize(("signum", "group", "engine", "after"), STOPS)
def test_a_stopped_run_leaves_nothing_running_and_resumes_to_the_same_tables(
        corpus, whole, tmp_path, signum, group, engine, after):
    if engine == "dask":
        pytest.importorskip("dask.distributed")
    out = tmp_path / "out"
    proc, mark = start(corpus, out, "-j", "2", "--engine", engine)
    try:
        if after:
            wait_for_parts(proc, out, after)
        else:
            time.sleep(1.0)  # the forkserver and its workers are being started
    finally:
        (os.killpg if group else os.kill)(proc.pid, signum)
    sent = time.monotonic()
    err = finish(proc, out)
    assert_none_left(mark, sent)
    if signum == signal.SIGKILL:
        assert proc.returncode == -signal.SIGKILL
    else:
        assert proc.returncode == 128 + signum, err
        assert "Traceback" not in err
        [line] = [x for x in err.splitlines() if STOP_LINE in x]
        done, total = (int(w) for w in line.split() if w.isdigit())
        assert total == 120 and after <= done < 120
        assert done == len(list((out / "parts").glob("*.jsonl")))
        assert_nothing_half_done(out)
    again = subprocess.run([sys.executable, "-m", "pipeline", "batch", str(corpus), "-o",
                            str(out), "-j", "2"], cwd=ROOT, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    frames_equal(whole, out)


def test_a_second_signal_stops_at_once(corpus, tmp_path):
    slow = tmp_path / "in"
    slow.mkdir()
    for i in range(4):  # files that take far longer than the grace given to files in flight
        big = (corpus / f"f{i:03d}.txt").read_text(encoding="utf-8") * 60
        (slow / f"big{i}.txt").write_text(big, encoding="utf-8")
    out = tmp_path / "out"
    proc, mark = start(slow, out, "-j", "2")
    time.sleep(3)  # the workers are in the middle of the first files
    assert proc.poll() is None
    os.kill(proc.pid, signal.SIGTERM)
    time.sleep(0.3)
    os.kill(proc.pid, signal.SIGTERM)
    sent = time.monotonic()
    err = finish(proc, out)
    # the first signal alone would have waited STOP_GRACE seconds for the files in flight
    assert time.monotonic() - sent < STOP_GRACE - 0.3
    assert proc.returncode == 143 and "stopped after 0 of 4 files" in err
    assert_none_left(mark, sent)
    assert_nothing_half_done(out)


def test_a_damaged_part_is_done_again_with_a_warning(corpus, whole, tmp_path):
    out = tmp_path / "out"
    run_batch([corpus], out, workers=2)
    parts = sorted((out / "parts").glob("*.jsonl"))
    cut, flipped, bare = parts[3], parts[50], parts[90]
    data = cut.read_bytes()
    cut.write_bytes(data[: len(data) // 2])  # a full disk or a power loss
    data = bytearray(flipped.read_bytes())
    data[len(data) // 3] ^= 0x01  # a bad copy: same length, one bit changed
    flipped.write_bytes(bytes(data))
    lines = bare.read_bytes().splitlines(keepends=True)
    bare.write_bytes(b"".join(lines[:-1]))  # whole records, but no seal
    again = subprocess.run([sys.executable, "-m", "pipeline", "batch", str(corpus), "-o",
                            str(out), "-j", "2"], cwd=ROOT, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    warnings = [x for x in again.stderr.splitlines() if x.startswith("warning:")]
    assert len(warnings) == 3
    assert any(str(cut) in w and "is cut short" in w for w in warnings)
    assert any(str(flipped) in w and "does not match its seal" in w for w in warnings)
    assert any(str(bare) in w and "has no seal" in w for w in warnings)
    assert "3 files processed, 117 already done" in again.stderr
    assert "(3 damaged parts done again)" in again.stderr
    frames_equal(whole, out)


@contextlib.contextmanager
def small_disk(folder: Path, size: str) -> Iterator[Callable[[str], None]]:
    """A real filesystem of ``size`` at ``folder`` (tmpfs; needs root's mount), and a
    function that grows it: the way an operator frees space."""
    folder.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs",
                           str(folder)], capture_output=True, text=True)
    if made.returncode:  # not root: CI runs as root, where this does not skip
        pytest.skip(f"cannot mount a small filesystem here ({made.stderr.strip()})")

    def grow(new: str) -> None:
        subprocess.run(["mount", "-o", f"remount,size={new}", str(folder)], check=True)

    try:
        yield grow
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_a_full_disk_is_one_sentence_and_the_same_command_then_completes(
        corpus, whole, tmp_path):
    disk = tmp_path / "disk"
    need = sum(p.stat().st_size for p in (whole / "parts").glob("*.jsonl"))
    with small_disk(disk, f"{need // 2 // 1024}k") as grow:
        out = disk / "out"
        cmd = [sys.executable, "-m", "pipeline", "batch", str(corpus), "-o", str(out), "-j",
               "2", "-q"]
        mark = uuid.uuid4().hex
        env = {**os.environ, MARK: mark}
        full = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env)
        assert full.returncode == 1
        assert full.stderr.splitlines() == [
            f"jihua: {out}: the disk is full (No space left on device); free some space "
            "and run the same command again to resume."]
        assert_none_left(mark, time.monotonic())
        assert_nothing_half_done(out)
        done_before = len(list((out / "parts").glob("*.jsonl")))
        assert 0 < done_before < 120
        grow(f"{need * 4 // 1024}k")
        again = subprocess.run(cmd[:-1], cwd=ROOT, capture_output=True, text=True)
        assert again.returncode == 0, again.stderr
        assert f"{120 - done_before} files processed, {done_before} already done" in again.stderr
        frames_equal(whole, out)


def test_a_read_only_output_folder_is_one_sentence_and_a_later_rerun_completes(
        corpus, whole, tmp_path):
    out = tmp_path / "out"
    run_batch([corpus], out, workers=2)
    parts = sorted((out / "parts").glob("*.jsonl"))
    for part in parts[60:]:
        part.unlink()  # half done, then the folder became read-only
    for table in out.glob("*.parquet"):
        table.unlink()
    (out / "documents.jsonl").unlink()
    cmd = [sys.executable, "-m", "pipeline", "batch", str(corpus), "-o", str(out), "-q"]
    with read_only(out):
        refused = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    assert refused.returncode == 1
    why = "Read-only file system" if os.geteuid() == 0 else "Permission denied"
    assert refused.stderr.splitlines() == [
        f"jihua: {out}: the output folder cannot be written to ({why}); make it writable "
        "or choose another with -o, and run the command again."]
    assert len(list((out / "parts").glob("*.jsonl"))) == 60
    again = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    frames_equal(whole, out)


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """``folder`` read-only for real: a read-only bind mount for root (who ignores file
    modes), the folders' modes for anyone else."""
    if os.geteuid() != 0:
        folders = [folder, folder / "parts"]
        for f in folders:
            f.chmod(0o555)
        try:
            yield
        finally:
            for f in folders:
                f.chmod(0o755)
        return
    made = subprocess.run(["mount", "--bind", "-o", "ro", str(folder), str(folder)],
                          capture_output=True, text=True)
    if made.returncode:  # root without the right to mount (a locked-down container)
        pytest.skip(f"cannot bind-mount a folder read-only here ({made.stderr.strip()})")
    try:
        yield
    finally:
        subprocess.run(["umount", str(folder)], check=True)
