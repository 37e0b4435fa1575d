"""Downloads against a loopback server: mirrors, checksums, dropped connections, resume, cancel."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import tarfile
import threading
from pathlib import Path

import numpy as np
import pytest
from dataset_files import CifarSet, IdxSet, LoopbackServer

from cnnstudio.train.data import (
    STANDARD_DATASETS,
    DatasetError,
    DownloadCancelled,
    RemoteFile,
    dataset_from_config,
    default_cache_dir,
    download_dataset,
    load_standard_dataset,
)


def _remote(files: dict[str, bytes]) -> list[RemoteFile]:
    return [
        RemoteFile(name, hashlib.sha256(data).hexdigest(), len(data))
        for name, data in files.items()
    ]


def test_falls_back_through_failing_mirrors(
    tmp_path: Path, http_server: LoopbackServer, idx_set: IdxSet
) -> None:
    files = idx_set.files()
    http_server.files.update(files)
    calls: list[tuple[int, int]] = []
    mirrors = [http_server.url(mode) for mode in ("missing", "bad", "drop", "good")]
    folder = download_dataset(
        "mnist",
        tmp_path / "mnist",
        mirrors,
        progress=lambda *a: calls.append(a),
        files=_remote(files),
    )
    assert folder == tmp_path / "mnist"
    assert sorted(p.name for p in folder.iterdir()) == sorted(files)  # no .part left behind
    for name, data in files.items():
        assert (folder / name).read_bytes() == data
    first = [
        (mode, rng)
        for mode, name, rng in http_server.requests
        if name == "train-images-idx3-ubyte.gz"
    ]
    half = len(files["train-images-idx3-ubyte.gz"]) // 2
    # the dropped transfer left half the file, which the good mirror completes with a range request
    assert first == [("missing", None), ("bad", None), ("drop", None), ("good", f"bytes={half}-")]
    total = sum(map(len, files.values()))
    assert calls[-1] == (total, total)
    np.testing.assert_array_equal(
        load_standard_dataset("mnist", folder).y_val.numpy(), idx_set.y_test
    )


def test_reports_every_mirror_when_all_fail(
    tmp_path: Path, http_server: LoopbackServer, idx_set: IdxSet
) -> None:
    files = idx_set.files()
    http_server.files.update(files)
    mirrors = [http_server.url(mode) for mode in ("missing", "bad", "drop")]
    with pytest.raises(DatasetError) as info:
        download_dataset("kmnist", tmp_path, mirrors, files=_remote(files))
    message = str(info.value)
    assert "could not download train-images-idx3-ubyte.gz" in message
    assert "HTTP 404" in message
    assert "SHA-256" in message
    assert "connection closed after" in message
    assert not (tmp_path / "train-images-idx3-ubyte.gz").exists()


def test_unreachable_mirror_falls_back(tmp_path: Path, http_server: LoopbackServer) -> None:
    data = b"x" * 1000
    http_server.files["f.gz"] = data
    closed = LoopbackServer()  # bound, then closed: nothing listens on its port any more
    dead = closed.url("good")
    closed.server_close()
    download_dataset(
        "mnist", tmp_path, [dead, http_server.url("good")], files=_remote({"f.gz": data})
    )
    assert (tmp_path / "f.gz").read_bytes() == data


def test_cancel_keeps_the_part_and_a_later_call_resumes(
    tmp_path: Path, http_server: LoopbackServer
) -> None:
    data = np.random.default_rng(0).bytes(700_000)
    http_server.files["big.gz"] = data
    remote = _remote({"big.gz": data})
    stop = threading.Event()
    with pytest.raises(DownloadCancelled):
        download_dataset(
            "mnist",
            tmp_path,
            [http_server.url("good")],
            lambda done, total: stop.set(),
            stop,
            files=remote,
        )
    part = tmp_path / "big.gz.part"
    assert 0 < part.stat().st_size < len(data)
    assert not (tmp_path / "big.gz").exists()
    kept = part.stat().st_size
    download_dataset(
        "mnist", tmp_path, [http_server.url("good")], cancel=lambda: False, files=remote
    )
    assert (tmp_path / "big.gz").read_bytes() == data
    assert http_server.requests[-1] == ("good", "big.gz", f"bytes={kept}-")


def test_corrupt_part_is_refetched_from_scratch(
    tmp_path: Path, http_server: LoopbackServer
) -> None:
    data = bytes(range(256)) * 40
    http_server.files["f.gz"] = data
    (tmp_path / "f.gz.part").write_bytes(b"garbage!")
    download_dataset("mnist", tmp_path, [http_server.url("good")], files=_remote({"f.gz": data}))
    assert (tmp_path / "f.gz").read_bytes() == data
    assert [r for _, _, r in http_server.requests] == ["bytes=8-", None]


@pytest.mark.parametrize("mode", ["good", "norange"])
def test_complete_or_unresumable_part(
    tmp_path: Path, http_server: LoopbackServer, mode: str
) -> None:
    """A complete .part gets 416 from a range-aware server; one that ignores ranges resends all."""
    data = bytes(range(200))
    http_server.files["f.gz"] = data
    (tmp_path / "f.gz.part").write_bytes(data if mode == "good" else data[:50])
    download_dataset("mnist", tmp_path, [http_server.url(mode)], files=_remote({"f.gz": data}))
    assert (tmp_path / "f.gz").read_bytes() == data


def _cifar_archive(cifar: CifarSet) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in {**cifar.files(), "batches.meta.txt": b"airplane\n"}.items():
            info = tarfile.TarInfo(f"cifar-10-batches-bin/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_cifar_archive_is_verified_and_extracted(
    tmp_path: Path, http_server: LoopbackServer, cifar10_set: CifarSet
) -> None:
    archive = {"cifar-10-binary.tar.gz": _cifar_archive(cifar10_set)}
    http_server.files.update(archive)
    folder = download_dataset(
        "cifar10", tmp_path, [http_server.url("good")], files=_remote(archive)
    )
    assert sorted(p.name for p in folder.iterdir()) == ["cifar-10-batches-bin"]  # archive removed
    ds = load_standard_dataset("cifar10", folder)
    np.testing.assert_array_equal(ds.x_val.numpy(), cifar10_set.images[5])
    requests = len(http_server.requests)
    download_dataset("cifar10", tmp_path, [http_server.url("good")], files=_remote(archive))
    assert len(http_server.requests) == requests  # already there: nothing fetched


def test_archive_without_the_data_is_an_error(tmp_path: Path, http_server: LoopbackServer) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz"):
        pass
    archive = {"cifar-100-binary.tar.gz": buffer.getvalue()}
    http_server.files.update(archive)
    with pytest.raises(DatasetError, match=r"missing test\.bin, train\.bin"):
        download_dataset("cifar100", tmp_path, [http_server.url("good")], files=_remote(archive))


def test_config_downloads_missing_files_only_when_allowed(
    tmp_path: Path, http_server: LoopbackServer, idx_set: IdxSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = idx_set.files()
    http_server.files.update(files)
    spec = dataclasses.replace(
        STANDARD_DATASETS["fashion-mnist"],
        mirrors=(http_server.url("good"),),
        files=tuple(_remote(files)),
    )
    monkeypatch.setitem(STANDARD_DATASETS, "fashion-mnist", spec)
    cfg = {"source": "fashion-mnist", "path": "data/fm"}
    with pytest.raises(
        DatasetError, match=r"Download when missing.*dataset\.download: true"
    ) as info:
        dataset_from_config(cfg, (1, 28, 28), base_dir=tmp_path)
    assert str(tmp_path / "data" / "fm") in str(info.value)
    assert http_server.requests == []
    progress: list[tuple[int, int]] = []
    ds = dataset_from_config(
        {**cfg, "download": True},
        (1, 28, 28),
        base_dir=tmp_path,
        progress=lambda *a: progress.append(a),
    )
    assert (tmp_path / "data" / "fm" / "t10k-labels-idx1-ubyte.gz").is_file()
    assert ds.class_names[-1] == "Ankle boot"
    assert progress[-1][0] == progress[-1][1] > 0


def test_cache_dir_follows_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CNNSTUDIO_DATA", str(tmp_path / "cache"))
    assert default_cache_dir() == tmp_path / "cache"
    monkeypatch.delenv("CNNSTUDIO_DATA")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_cache_dir() == tmp_path / ".cache" / "cnnstudio" / "datasets"


def test_unknown_dataset(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="'shapes' cannot be downloaded"):
        download_dataset("shapes", tmp_path)


def test_catalog_checksums_are_sha256() -> None:
    for spec in STANDARD_DATASETS.values():
        assert spec.mirrors
        assert all(m.endswith("/") for m in spec.mirrors)
        for remote in spec.files:
            assert len(bytes.fromhex(remote.sha256)) == 32
            assert remote.size > 0
