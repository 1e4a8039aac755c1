"""The ``names`` task offline: surname files, encoding, the stratified split, the verified
download path (over file:// URLs), padded batches, the model's padding invariance, and a short
learning run through the CLI on surnames generated from per-language letter distributions,
followed by ``--predict``."""

from __future__ import annotations

import hashlib
import json
import zipfile

import numpy as np
import pytest
import torch

from spikeagents.classify.config import load_classify_config
from spikeagents.classify.tasks import names as task
from spikeagents.classify.tasks.names import NameBatches, SurnameNet
from spikeagents.cli import main
from spikeagents.datasets import names as data
from spikeagents.datasets.download import ChecksumError, DatasetUnavailableError, Resource, fetch
from spikeagents.datasets.names import (
    ALPHABET,
    LANGUAGES,
    encode_name,
    load_surnames,
    stratified_split,
    synthetic_surnames,
    to_ascii,
    write_names_folder,
)
from spikeagents.schema import ConfigError

LETTERS = "abcdefghijklmnopqrstuvwxyz"


def favourite_letters(k: int) -> str:
    """Language k's letters: its own letter twice, one shared with a neighbour, one common."""
    return LETTERS[k] * 2 + LETTERS[(k + 5) % 18] + LETTERS[18 + k % 8]


def letter_surnames(per_language: int = 40, seed: int = 0) -> dict[str, list[str]]:
    """Names drawing 80% of their letters from the language's favourite letters."""
    rng = np.random.default_rng(seed)
    out = {}
    for k, language in enumerate(LANGUAGES):
        found: set[str] = set()
        while len(found) < per_language:
            n = int(rng.integers(4, 9))
            pool = [favourite_letters(k) if rng.random() < 0.8 else LETTERS for _ in range(n)]
            found.add("".join(rng.choice(list(p)) for p in pool).capitalize())
        out[language] = sorted(found)
    return out


def test_names_fold_to_the_58_letters():
    assert len(ALPHABET) == 58
    assert to_ascii("Ślusàrski") == "Slusarski"
    assert to_ascii("Łódź") == "_odz"  # no ASCII decomposition: the unknown letter
    codes = encode_name("O'Neal")
    assert codes == [ALPHABET.index(c) + 1 for c in "O'Neal"] and min(codes) >= 1
    with pytest.raises(ValueError, match="empty"):
        encode_name("  ")


def test_stratified_split_keeps_every_language_on_both_sides():
    names = synthetic_surnames(seed=3, scale=0.05)
    train, test = stratified_split(names, 0.2, seed=1)
    for label, language in enumerate(sorted(names)):
        n_train = sum(1 for _, y in train if y == label)
        n_test = sum(1 for _, y in test if y == label)
        total = len(set(names[language]))
        assert n_train >= 1 and n_test >= 1 and n_train + n_test == total
        assert abs(n_test - 0.2 * total) <= 1
        train_names = {n for n, y in train if y == label}
        assert not train_names & {n for n, y in test if y == label}
    assert stratified_split(names, 0.2, seed=1) == (train, test)
    assert stratified_split(names, 0.2, seed=2) != (train, test)
    repeated = {"A": ["Ab", "Ab", "Ab", "Cd"], "B": ["Ef", "Gh"]}
    tr, te = stratified_split(repeated, 0.5, dedupe=True)
    assert sorted(n for n, _ in tr + te) == ["Ab", "Cd", "Ef", "Gh"]  # no duplicate leaks


def test_synthetic_surnames_mimic_the_real_sizes():
    names = synthetic_surnames(seed=0)
    assert tuple(names) == LANGUAGES
    assert len(names["Russian"]) == 9408 and len(names["Vietnamese"]) == 73
    assert all(len(set(v)) == len(v) for v in names.values())
    share = len(names["Russian"]) / sum(len(v) for v in names.values())
    assert 0.5 < share < 0.53  # always answering Russian: about 52% as on the real files
    assert synthetic_surnames(seed=0) == names


def _zip_of(tmp_path, names):
    folder = write_names_folder(tmp_path / "src", names)
    archive = tmp_path / "upload" / "data.zip"
    archive.parent.mkdir()
    with zipfile.ZipFile(archive, "w") as zf:
        for f in sorted(folder.glob("*.txt")):
            zf.write(f, f"data/names/{f.name}")
    return archive, hashlib.sha256(archive.read_bytes()).hexdigest()


def test_download_is_verified_and_read_in_place(tmp_path, monkeypatch):
    names = letter_surnames(6)
    archive, digest = _zip_of(tmp_path, names)
    url = archive.as_uri()  # file:// goes through the same urllib download code, offline
    with pytest.raises(ChecksumError, match="does not match"):
        fetch(Resource("data.zip", sha256="0" * 64, urls=(url,)), tmp_path / "root")
    assert not list((tmp_path / "root").glob("data.zip*"))  # nothing unverified is kept
    monkeypatch.setattr(data, "NAMES_SHA256", digest)
    monkeypatch.setattr(data, "NAMES_URLS", (url,))
    loaded = load_surnames(tmp_path / "root")
    assert loaded == {k: v for k, v in sorted(names.items())}
    (tmp_path / "root" / "data.zip").write_bytes(b"corrupted")
    with pytest.raises(ChecksumError, match="delete it"):
        load_surnames(tmp_path / "root")
    with pytest.raises(DatasetUnavailableError, match="download.pytorch.org|file://"):
        fetch(Resource("data.zip", sha256=digest, urls=(url,)), tmp_path / "other", download=False)


def test_batches_pad_to_the_longest_name_of_each_batch():
    seqs = [[1, 2], [3], [4, 5, 6], [7]]
    batches = list(NameBatches(seqs, [0, 1, 2, 3], batch_size=2))
    assert [tuple(x.shape) for x, _ in batches] == [(2, 2), (2, 3)]
    assert batches[0][0].tolist() == [[1, 2], [3, 0]]
    shuffled = NameBatches(seqs, [0, 1, 2, 3], 3, shuffle=True, seed=5)
    assert sorted(int(y) for _, ys in shuffled for y in ys) == [0, 1, 2, 3]
    weights = np.array([1.0, 1.0, 1.0, 97.0])
    weighted = NameBatches(seqs, range(4), 4, weights=weights)
    drawn = []
    for epoch in range(50):
        weighted.set_epoch(epoch)
        drawn += [int(y) for _, ys in weighted for y in ys]
    assert drawn.count(3) > 0.8 * len(drawn)


@pytest.mark.parametrize("cell, embed, readout", [("gru", 16, "last"), ("lstm", 0, "mean")])
def test_model_ignores_padding(cell, embed, readout):
    torch.manual_seed(0)
    net = SurnameNet(cell=cell, embed=embed, hidden=12, readout=readout, num_layers=2).eval()
    words = ["Nguyen", "Li", "Dostoevsky"]
    x = torch.nn.utils.rnn.pad_sequence(
        [torch.tensor(encode_name(w)) for w in words], batch_first=True
    )
    batch = net(x)
    assert batch.shape == (3, len(LANGUAGES))
    for i, w in enumerate(words):
        alone = net(torch.tensor([encode_name(w)]))
        assert torch.allclose(batch[i], alone[0], atol=1e-6)


def test_recipe_and_config_errors():
    cfg = load_classify_config("names")
    assert cfg.model.cell == "gru" and cfg.loss == "ce" and cfg.batch_size == 64
    with pytest.raises(ConfigError, match="unknown cell 'gur'.*gru"):
        load_classify_config("names", overrides=["model.cell=gur"])
    with pytest.raises(ConfigError, match="balance"):
        load_classify_config("names", overrides=["model.balance=2"])


@pytest.mark.slow
def test_names_learn_and_predict_through_the_cli(tmp_path, capsys):
    """18 balanced languages (chance: 5.6%) told apart by their letters within seconds."""
    write_names_folder(tmp_path / "data", letter_surnames(40))
    argv = ["classify", "names", "--data-dir", str(tmp_path / "data"), "--epochs", "6",
            "--runs-root", str(tmp_path / "runs"), "--no-progress", "--set", "threads=1",
            "--set", "model.hidden=64", "--set", "model.embed=16", "--set", "optimizer.lr=0.01",
            "--set", "scheduler.T_max=6"]  # fmt: skip
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["test_acc"] >= 0.5, out
    assert set(out["class_acc"]) == set(LANGUAGES) and out["mean_class_acc"] >= 0.4
    run = tmp_path / "runs" / "classify" / "names_1"
    assert (run / "confusion_matrix.png").is_file()
    words = [(LETTERS[k] * 5).capitalize() for k in (2, 9)]  # Czech's and Italian's letter
    assert (
        main(["classify", "names", "--predict", *words, "--runs-root", str(tmp_path / "runs")]) == 0
    )
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    for line, language in zip(lines, ("Czech", "Italian"), strict=True):
        word, ranked = line.split(": ")
        top = [
            (part.rsplit(" ", 1)[0], float(part.rsplit(" ", 1)[1])) for part in ranked.split(", ")
        ]
        assert len(top) == 3 and top[0][0] == language
        assert top[0][1] >= top[1][1] >= top[2][1]


def test_predict_without_a_run_says_what_to_do(tmp_path, capsys):
    assert main(["classify", "names", "--predict", "Smith", "--runs-root", str(tmp_path)]) == 2
    assert "no trained names model" in capsys.readouterr().err
    assert main(["classify", "mnist-fc", "--predict", "Smith"]) == 2
    assert task.TASK.name == "names"
