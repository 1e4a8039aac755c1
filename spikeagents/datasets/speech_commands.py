r"""Google Speech Commands v0.02 (Warden 2018): download, the official split, the class lists,
augmentation, and synthetic clips in the same folder layout.

Folder (the archive unpacked; 105,829 one-second 16 kHz clips of 35 words, 2.3 GB)::

    <root>/speech_commands_v0.02.tar.gz     sha256-verified download
    <root>/speech_commands_v0.02/<word>/<speaker>_nohash_<n>.wav
                                 /_background_noise_/*.wav
                                 /validation_list.txt  testing_list.txt   (relative paths)

A split holds the clips its list names (train: every clip in neither list). Classes are words
present in the folder plus two specials: ``unknown`` (clips of every other word, subsampled to
``unknown_share`` of the split's known clips) and ``silence`` (one-second cuts of the background
noise recordings at a random volume, ``silence_share`` of the known clips). The usual 12-class
task is :data:`CLASSES_12`; ``["all"]`` means every word in the folder (35).

Training augmentation (Warden's defaults): a random time shift of up to ``shift_ms`` (the gap
zero-filled) and, with probability ``noise_prob``, background noise times :math:`U(0, v)`,
:math:`v` = ``noise_volume``. Test clips are never augmented and test silences are fixed.

Example::

    folder = write_synthetic_speech_folder("/tmp/sc", ("yes", "no", "up"), clips_per_word=12)
    classes = resolve_classes(["yes", "no", "unknown", "silence"], word_folders(folder))
    train = SpeechCommandsClips(folder, classes, "train", augment=Augment())
    wave, label = train[0]                      # float32 [16000], int
"""

from __future__ import annotations

import math
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import Dataset

from spikeagents.datasets.archive import extract_archive
from spikeagents.datasets.audio import fit_length, read_audio, resample, write_audio
from spikeagents.datasets.download import Resource, fetch

__all__ = [
    "SAMPLE_RATE",
    "WORDS",
    "COMMANDS",
    "UNKNOWN",
    "SILENCE",
    "CLASSES_12",
    "BACKGROUND",
    "Augment",
    "prepare_speech_commands",
    "word_folders",
    "resolve_classes",
    "index_split",
    "SpeechCommandsClips",
    "write_synthetic_speech_folder",
]

SAMPLE_RATE = 16000
#: the 35 words of v0.02
WORDS = (
    "backward", "bed", "bird", "cat", "dog", "down", "eight", "five", "follow", "forward", "four",
    "go", "happy", "house", "learn", "left", "marvin", "nine", "no", "off", "on", "one", "right",
    "seven", "sheila", "six", "stop", "three", "tree", "two", "up", "visual", "wow", "yes", "zero",
)  # fmt: skip
COMMANDS = ("yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go")
UNKNOWN, SILENCE = "unknown", "silence"
CLASSES_12 = (*COMMANDS, UNKNOWN, SILENCE)
BACKGROUND = "_background_noise_"
_FOLDER = "speech_commands_v0.02"
_ARCHIVE = "speech_commands_v0.02.tar.gz"
#: published with torchaudio's SPEECHCOMMANDS
_SHA256 = "af14739ee7dc311471de98f5f9d2c9191b18aedfe957f4a6ff791c709868ff58"
_URLS = (
    "https://storage.googleapis.com/download.tensorflow.org/data/speech_commands_v0.02.tar.gz",
    "http://download.tensorflow.org/data/speech_commands_v0.02.tar.gz",
)


@dataclass(frozen=True)
class Augment:
    """Training augmentation. :param shift_ms: largest time shift either way.
    :param noise_prob: probability of adding background noise. :param noise_volume: its largest
    gain."""

    shift_ms: float = 100.0
    noise_prob: float = 0.8
    noise_volume: float = 0.1


def prepare_speech_commands(
    root: str | Path, download: bool = True, progress: bool = False
) -> Path:
    """The dataset folder ``root/speech_commands_v0.02``, downloaded (2.3 GB) and unpacked
    first when it is missing. A folder holding ``testing_list.txt`` is used as it is."""
    root = Path(root)
    folder = root / _FOLDER
    if (folder / "testing_list.txt").is_file():
        return folder
    archive = fetch(Resource(_ARCHIVE, sha256=_SHA256, urls=_URLS), root, download, progress)
    extract_archive(archive, folder)
    return folder


def word_folders(folder: str | Path) -> list[str]:
    """The words with clips in ``folder`` (sub-folders holding ``.wav`` files), sorted."""
    return sorted(
        p.name
        for p in Path(folder).iterdir()
        if p.is_dir() and not p.name.startswith("_") and any(p.glob("*.wav"))
    )


def resolve_classes(classes: Sequence[str], available: Sequence[str]) -> tuple[str, ...]:
    """Check a class list against the words in the folder; ``["all"]`` -> every word.

    :raises ValueError: an unknown word (the message lists the available ones), a repeat, or a
        list with fewer than two classes.
    """
    out: list[str] = []
    for name in classes:
        out += list(available) if name == "all" else [name]
    for name in out:
        if name not in available and name not in (UNKNOWN, SILENCE):
            raise ValueError(
                f"class {name!r} is not in the data folder; available: {', '.join(available)} "
                f"(and {UNKNOWN}, {SILENCE}, all)"
            )
    if len(set(out)) != len(out):
        raise ValueError(f"repeated classes in {list(classes)}")
    if len(out) < 2:
        raise ValueError(f"need at least two classes, got {out}")
    return tuple(out)


def _read_list(path: Path) -> set[str]:
    if not path.is_file():
        return set()
    return {line.strip() for line in path.read_text().splitlines() if line.strip()}


def index_split(
    folder: str | Path,
    classes: Sequence[str],
    split: str = "train",
    unknown_share: float = 0.1,
    silence_share: float = 0.1,
    seed: int = 0,
) -> tuple[list[str | None], np.ndarray]:
    """The clips of ``split`` (``train``, ``val`` or ``test``) for ``classes``.

    :return: relative paths (``None`` for a silence item) and labels ``int64 [n]`` (the index
        in ``classes``). The unknown subsample is drawn with ``seed``.
    """
    if split not in ("train", "val", "test"):
        raise ValueError(f"split must be train, val or test, got {split!r}")
    folder = Path(folder)
    test_list = _read_list(folder / "testing_list.txt")
    val_list = _read_list(folder / "validation_list.txt")
    paths: list[str | None] = []
    labels: list[int] = []
    others: list[str] = []
    for word in word_folders(folder):
        for wav in sorted((folder / word).glob("*.wav")):
            rel = f"{word}/{wav.name}"
            where = "test" if rel in test_list else "val" if rel in val_list else "train"
            if where != split:
                continue
            if word in classes:
                paths.append(rel)
                labels.append(classes.index(word))
            else:
                others.append(rel)
    known = len(paths)
    rng = np.random.default_rng([seed, ("train", "val", "test").index(split)])
    if UNKNOWN in classes and others:
        n = min(len(others), math.ceil(unknown_share * known))
        paths += [others[i] for i in sorted(rng.choice(len(others), n, replace=False))]
        labels += [classes.index(UNKNOWN)] * n
    if SILENCE in classes:
        n = math.ceil(silence_share * known)
        paths += [None] * n
        labels += [classes.index(SILENCE)] * n
    return paths, np.asarray(labels, dtype=np.int64)


class SpeechCommandsClips(Dataset):
    """One-second clips ``(wave float32 [16000], label)`` of a split (module docstring).

    :param augment: training augmentation (``None``: none; test sets take none).
    :param seed: draws the unknown subsample and the fixed silences of non-augmented sets.
    """

    def __init__(
        self,
        folder: str | Path,
        classes: Sequence[str],
        split: str = "train",
        unknown_share: float = 0.1,
        silence_share: float = 0.1,
        augment: Augment | None = None,
        seed: int = 0,
    ) -> None:
        self.folder, self.classes = Path(folder), tuple(classes)
        self.paths, self.labels = index_split(
            folder, self.classes, split, unknown_share, silence_share, seed
        )
        self.augment, self.seed = augment, seed
        self._noise: list[np.ndarray] | None = None

    def __len__(self) -> int:
        return len(self.paths)

    def noise_clips(self) -> list[np.ndarray]:
        """The background recordings at 16 kHz (read once; empty when there are none)."""
        if self._noise is None:
            self._noise = []
            for wav in sorted((self.folder / BACKGROUND).glob("*.wav")):
                wave, rate = read_audio(wav)
                if len(wave) >= SAMPLE_RATE // 10:
                    self._noise.append(resample(wave, rate, SAMPLE_RATE))
        return self._noise

    def _noise_cut(self, rand: np.random.Generator) -> np.ndarray:
        clips = self.noise_clips()
        if not clips:
            return np.zeros(SAMPLE_RATE, dtype=np.float32)
        clip = clips[int(rand.integers(len(clips)))]
        start = int(rand.integers(max(1, len(clip) - SAMPLE_RATE + 1)))
        return fit_length(clip[start : start + SAMPLE_RATE], SAMPLE_RATE)

    def load(self, index: int) -> np.ndarray:
        """The clip ``index`` at 16 kHz, padded or cut to one second (no augmentation)."""
        rel = self.paths[index]
        if rel is None:
            rand = np.random.default_rng([self.seed, index])
            return (self._noise_cut(rand) * rand.uniform(0.0, 1.0)).astype(np.float32)
        wave, rate = read_audio(self.folder / rel)
        return fit_length(resample(wave, rate, SAMPLE_RATE), SAMPLE_RATE)

    def __getitem__(self, index: int) -> tuple[Tensor, int]:
        label = int(self.labels[index])
        if self.augment is None:
            return torch.from_numpy(self.load(index)), label
        rand = np.random.default_rng(int(torch.randint(0, 2**62, (1,))))  # follows torch's seed
        if self.paths[index] is None:
            wave = self._noise_cut(rand) * rand.uniform(0.0, 1.0)
        else:
            wave = self.load(index)
            a = self.augment
            shift = int(rand.uniform(-1.0, 1.0) * a.shift_ms * SAMPLE_RATE / 1000.0)
            wave = np.roll(wave, shift)
            if shift > 0:
                wave[:shift] = 0.0
            elif shift < 0:
                wave[shift:] = 0.0
            if rand.random() < a.noise_prob:
                wave = wave + self._noise_cut(rand) * rand.uniform(0.0, a.noise_volume)
        return torch.from_numpy(np.clip(wave, -1.0, 1.0).astype(np.float32)), label


# -- synthetic clips ---------------------------------------------------------------------------
def _chirp_word(k: int, speaker: np.random.Generator) -> np.ndarray:
    """Word ``k`` as two tone glides whose start and end pitches encode ``k``; the speaker
    scales pitch and speed, and places the word at a random time."""
    pitch, speed = speaker.uniform(0.9, 1.1), speaker.uniform(0.8, 1.2)
    parts = []
    for seg in range(2):
        f0 = 250.0 * 2 ** (((k * 3 + seg * 5) % 11) / 4.0) * pitch
        f1 = f0 * 2 ** ((((k // 3) + seg) % 4 - 1.5) / 3.0)
        n = int(0.18 * SAMPLE_RATE / speed)
        t = np.arange(n) / SAMPLE_RATE
        phase = 2 * np.pi * (f0 * t + (f1 - f0) * t**2 / (2 * t[-1]))
        parts.append(np.sin(phase) * np.hanning(n))
    word = np.concatenate(parts)
    start = int(speaker.integers(0, SAMPLE_RATE - len(word)))
    return np.pad(word, (start, SAMPLE_RATE - start - len(word))) * speaker.uniform(0.3, 0.9)


def _espeak_word(word: str, voice: str, speed: int, pitch: int, tmp: Path) -> np.ndarray:
    out = tmp / "word.wav"
    cmd = ["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", str(out), word]
    subprocess.run(cmd, check=True, capture_output=True, timeout=30)
    wave, rate = read_audio(out)
    wave = resample(wave, rate, SAMPLE_RATE)
    nz = np.flatnonzero(np.abs(wave) > 1e-3)
    wave = wave[nz[0] : nz[-1] + 1] if len(nz) else wave
    return wave[:SAMPLE_RATE] / max(float(np.abs(wave).max()), 1e-6)


_VOICES = ("en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp", "en-029", "en-gb-x-gbclan")
_VARIANTS = ("m1", "m2", "m3", "m4", "m5", "m7", "f1", "f2", "f3", "f4", "f5")


def write_synthetic_speech_folder(
    root: str | Path,
    words: Sequence[str] = COMMANDS,
    clips_per_word: int = 20,
    test_share: float = 0.25,
    kind: str = "chirp",
    seed: int = 0,
    noise: float = 0.01,
) -> Path:
    """Write clips in the Speech Commands layout (words, lists, background noise).

    Speaker ``s`` says every word once; speakers, not clips, are split between train and test
    (as in the real lists), so the test voices are new. ``kind``: ``chirp`` (tone glides, no
    dependency) or ``espeak`` (``espeak-ng`` voices and variants at random speed and pitch;
    raises FileNotFoundError when the program is missing).

    :return: ``root`` (pass it as the dataset folder).
    """
    if kind not in ("chirp", "espeak"):
        raise ValueError(f"kind must be chirp or espeak, got {kind!r}")
    if kind == "espeak" and shutil.which("espeak-ng") is None:
        raise FileNotFoundError("espeak-ng is not installed (apt-get install espeak-ng)")
    root = Path(root)
    rng = np.random.default_rng(seed)
    n_test = max(1, int(round(test_share * clips_per_word)))
    test_lines = []
    with tempfile.TemporaryDirectory() as tmp:
        for s in range(clips_per_word):
            speaker = f"{rng.integers(2**32):08x}"
            voice = f"{_VOICES[s % len(_VOICES)]}+{_VARIANTS[(s * 7) % len(_VARIANTS)]}"
            speed, pitch = int(rng.integers(120, 200)), int(rng.integers(25, 75))
            traits = np.random.default_rng([seed, s])
            for k, word in enumerate(words):
                if kind == "chirp":
                    wave = _chirp_word(WORDS.index(word) if word in WORDS else k, traits)
                else:
                    spoken = _espeak_word(word, voice, speed, pitch, Path(tmp))
                    start = int(rng.integers(0, SAMPLE_RATE - len(spoken) + 1))
                    wave = np.pad(spoken, (start, SAMPLE_RATE - start - len(spoken)))
                    wave = wave * rng.uniform(0.3, 0.9)
                wave = wave + noise * rng.standard_normal(SAMPLE_RATE)
                name = f"{word}/{speaker}_nohash_0.wav"
                write_audio(root / name, wave, SAMPLE_RATE)
                if s >= clips_per_word - n_test:
                    test_lines.append(name)
    (root / "testing_list.txt").write_text("\n".join(test_lines) + "\n")
    (root / "validation_list.txt").write_text("")
    white = rng.standard_normal(5 * SAMPLE_RATE) * 0.3
    brown = np.cumsum(rng.standard_normal(5 * SAMPLE_RATE))
    brown = (brown - brown.mean()) / (np.abs(brown).max() + 1e-9) * 0.5
    write_audio(root / BACKGROUND / "white_noise.wav", white, SAMPLE_RATE)
    write_audio(root / BACKGROUND / "brown_noise.wav", brown, SAMPLE_RATE)
    return root
