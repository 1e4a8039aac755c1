"""The ``speech-commands`` task offline: class lists, the official-list split, unknown and
silence items, augmentation, the verified download and extraction (file:// URL), the model's
shapes, and short learning runs on clips the tests make (tone glides; espeak-ng words when the
program is installed)."""

from __future__ import annotations

import hashlib
import shutil
import tarfile

import numpy as np
import pytest
import torch

from spikeagents.classify.api import classify
from spikeagents.classify.config import load_classify_config
from spikeagents.classify.tasks.speech_commands import SpeechSNN
from spikeagents.datasets import speech_commands as sc
from spikeagents.datasets.audio import read_audio, write_audio
from spikeagents.datasets.download import DatasetUnavailableError
from spikeagents.datasets.speech_commands import (
    CLASSES_12,
    SILENCE,
    UNKNOWN,
    Augment,
    SpeechCommandsClips,
    index_split,
    prepare_speech_commands,
    resolve_classes,
    word_folders,
    write_synthetic_speech_folder,
)
from spikeagents.schema import ConfigError

pytest.importorskip("soundfile")

WORDS6 = ("yes", "no", "up", "down", "left", "right")


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """Six words said by 8 speakers (2 of them in the test list), with background noise."""
    root = tmp_path_factory.mktemp("speech")
    return write_synthetic_speech_folder(root, WORDS6, clips_per_word=8, test_share=0.25)


def test_class_lists(folder):
    available = word_folders(folder)
    assert available == sorted(WORDS6)
    assert resolve_classes(["all"], available) == tuple(sorted(WORDS6))
    assert resolve_classes(["yes", UNKNOWN, SILENCE], available) == ("yes", UNKNOWN, SILENCE)
    with pytest.raises(ValueError, match="'marvin' is not in the data folder; available: down"):
        resolve_classes(["yes", "marvin"], available)
    with pytest.raises(ValueError, match="repeated"):
        resolve_classes(["yes", "yes"], available)
    assert len(CLASSES_12) == 12 and len(sc.WORDS) == 35


def test_split_follows_the_lists_and_adds_unknown_and_silence(folder):
    classes = ("yes", "no", UNKNOWN, SILENCE)
    paths, labels = index_split(folder, classes, "train", unknown_share=0.5, silence_share=0.25)
    test_paths, test_labels = index_split(folder, classes, "test", 0.5, 0.25)
    listed = set((folder / "testing_list.txt").read_text().split())
    assert {p for p in test_paths if p} <= listed and not {p for p in paths if p} & listed
    speakers = {p.split("/")[1].split("_")[0] for p in paths if p}
    assert not speakers & {p.split("/")[1].split("_")[0] for p in test_paths if p}
    known = int((labels < 2).sum())
    assert known == 2 * 6  # two words, six training speakers
    assert (labels == 2).sum() == 6 and (labels == 3).sum() == 3  # 0.5 and 0.25 of known
    pairs = list(zip(paths, labels, strict=True))
    assert all(p.split("/")[0] not in ("yes", "no") for p, y in pairs if y == 2)
    assert all(p is None for p, y in pairs if y == 3)
    assert index_split(folder, classes, "train", 0.5, 0.25)[0] == paths  # deterministic


def test_clips_silences_and_augmentation(folder):
    classes = ("yes", "no", SILENCE)
    test = SpeechCommandsClips(folder, classes, "test", silence_share=0.5)
    wave, label = test[0]
    assert wave.dtype == torch.float32 and wave.shape == (16000,) and label in (0, 1)
    silent = [i for i in range(len(test)) if test.labels[i] == 2]
    assert silent and torch.equal(test[silent[0]][0], test[silent[0]][0])  # fixed in test sets
    assert 0 < float(test[silent[0]][0].abs().max()) <= 1.0
    same = SpeechCommandsClips(folder, classes, "train", augment=Augment(0.0, 0.0, 0.0))
    plain = SpeechCommandsClips(folder, classes, "train")
    assert torch.equal(same[0][0], plain[0][0])  # nothing to do: the clip itself
    torch.manual_seed(0)
    shifted = SpeechCommandsClips(folder, classes, "train", augment=Augment(100.0, 0.0, 0.0))
    a, b = plain[0][0].numpy(), shifted[0][0].numpy()
    lag = int(np.argmax(np.correlate(b, a, "full"))) - (len(a) - 1)
    assert 0 < abs(lag) <= 1600 and np.allclose(np.roll(a, lag)[1700:-1700], b[1700:-1700])
    noisy = SpeechCommandsClips(folder, classes, "train", augment=Augment(0.0, 1.0, 0.5))
    assert not torch.equal(noisy[0][0], plain[0][0])


def test_clips_at_other_rates_are_resampled(tmp_path):
    root = tmp_path / "sc"
    for i, word in enumerate(("yes", "no")):
        write_audio(root / word / f"{i:08x}_nohash_0.wav", np.zeros(4000), 8000)
    (root / "testing_list.txt").write_text("")
    clips = SpeechCommandsClips(root, ("yes", "no"), "train")
    assert clips[0][0].shape == (16000,)
    assert read_audio(root / "yes" / "00000000_nohash_0.wav")[1] == 8000


def test_download_is_verified_then_unpacked(folder, tmp_path, monkeypatch):
    with pytest.raises(DatasetUnavailableError, match="af14739e"):
        prepare_speech_commands(tmp_path / "none", download=False)
    archive = tmp_path / "upload" / "speech_commands_v0.02.tar.gz"
    archive.parent.mkdir()
    with tarfile.open(archive, "w:gz") as tf:  # members at the top level, as Google's
        for entry in sorted(folder.iterdir()):
            tf.add(entry, entry.name)
    monkeypatch.setattr(sc, "_SHA256", hashlib.sha256(archive.read_bytes()).hexdigest())
    monkeypatch.setattr(sc, "_URLS", (archive.as_uri(),))
    got = prepare_speech_commands(tmp_path / "root")
    assert got == tmp_path / "root" / "speech_commands_v0.02"
    assert word_folders(got) == sorted(WORDS6) and (got / "_background_noise_").is_dir()


def test_config_class_lists():
    cfg = load_classify_config("speech-commands")
    assert cfg.model.classes == CLASSES_12
    every = load_classify_config("speech-commands", overrides=["model.classes=[all]"])
    assert len(every.model.classes) == 35
    subset = load_classify_config("speech-commands", overrides=['model.classes=["yes",go]'])
    assert subset.model.classes == ("yes", "go")
    # unquoted yes/no stay words (the loader reads YAML 1.2 booleans only)
    words = load_classify_config("speech-commands", overrides=["model.classes=[yes,no]"])
    assert words.model.classes == ("yes", "no")
    with pytest.raises(ConfigError, match="must be strings"):
        load_classify_config("speech-commands", overrides=["model.classes=[true,no]"])
    with pytest.raises(ConfigError, match="unknown arch"):
        load_classify_config("speech-commands", overrides=["model.arch=transformer"])
    with pytest.raises(ConfigError, match="odd"):
        load_classify_config("speech-commands", overrides=["model.kernel=4"])


@pytest.mark.parametrize("arch", ["conv", "gru", "lstm", "lif"])
def test_model_shapes(arch):
    net = SpeechSNN(5, T=50, n_mels=20, hidden=16, arch=arch, num_layers=2, bidirectional=True)
    assert net.features(torch.zeros(3, 16000)).shape == (50, 3, 20)
    assert net(torch.randn(3, 16000) * 0.1).shape == (3, 5)
    mfcc = SpeechSNN(5, T=100, n_mfcc=13, hidden=8).features(torch.zeros(2, 16000))
    assert mfcc.shape == (100, 2, 13)


FAST = ["device=cpu", "num_workers=0", "threads=1", "T=50", "batch_size=8", "model.hidden=32"]


@pytest.mark.slow
def test_speech_pipeline_learns_tone_glides(tmp_path):
    """Six words plus silence (chance 1/7) from four unseen speakers."""
    root = write_synthetic_speech_folder(tmp_path / "sc", WORDS6, clips_per_word=16)
    classes = "[" + ",".join(f'"{w}"' for w in WORDS6) + ",silence]"
    metrics = classify(
        "speech-commands",
        overrides=[*FAST, f"model.classes={classes}", "optimizer.lr=0.005"],
        data_dir=root,
        epochs=8,
        runs_root=tmp_path,
        progress=False,
    )
    assert metrics["test_acc"] >= 0.6, metrics["history"]
    assert metrics["class_names"][-1] == SILENCE


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
def test_spoken_words_from_espeak_ng(tmp_path):
    """Three words spoken by espeak-ng voices (chance 1/3), through the convolutional SNN."""
    root = write_synthetic_speech_folder(
        tmp_path / "sc", ("yes", "no", "stop"), clips_per_word=16, kind="espeak"
    )
    wave, rate = read_audio(next((root / "stop").glob("*.wav")))
    assert rate == 16000 and len(wave) == 16000 and np.abs(wave).max() > 0.1
    metrics = classify(
        "speech-commands",
        overrides=[*FAST, 'model.classes=["yes","no",stop]', "optimizer.lr=0.005"],
        data_dir=root,
        epochs=10,
        runs_root=tmp_path,
        progress=False,
    )
    assert metrics["test_acc"] >= 0.6, metrics["history"]
