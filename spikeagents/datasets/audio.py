r"""Audio: read and write clips (soundfile), resample, and a log-mel / MFCC front end on
``torch.stft`` (no torchaudio).

The front end, for a clip :math:`x[n]` at sample rate :math:`f_s`:

.. math::

    X[m, k] = \sum_{n=0}^{N_{fft}-1} w[n]\, x[n + m H - N_{fft}/2]\, e^{-2\pi i k n / N_{fft}},
    \qquad P[m, k] = |X[m, k]|^2

    \text{mel}(f) = 2595 \log_{10}(1 + f / 700), \qquad
    M[m, j] = \log\Big(\epsilon + \sum_k F_{jk} P[m, k]\Big), \qquad
    \text{MFCC}[m, q] = \sum_j M[m, j]\, D_{jq}

with a periodic Hann window :math:`w` of ``win_length`` samples (zero-padded to ``n_fft``),
hop :math:`H`, frames centred on :math:`mH` (the clip is reflect-padded, so there are
:math:`1 + \lfloor N / H \rfloor` frames), triangular filters :math:`F_{jk}` whose corners are
``n_mels + 2`` points equally spaced in mel from ``f_min`` to ``f_max`` (peak 1 at the centre,
the HTK mel scale) evaluated at the bin frequencies :math:`k f_s / N_{fft}`, and the
orthonormal DCT-II :math:`D_{jq} = \sqrt{2/J}\, c_q \cos(\pi q (j + \tfrac12) / J)`,
:math:`c_0 = 1/\sqrt2`, :math:`c_{q>0} = 1`.

Shapes: a clip ``[N]`` or a batch ``[B, N]`` -> features ``[..., frames, n_mels]`` (or
``n_mfcc``); the classifiers transpose them to time-major ``[frames, B, F]``.

Example::

    >>> import torch
    >>> front = LogMel(sample_rate=16000, n_mels=40)
    >>> tuple(front(torch.zeros(2, 16000)).shape)        # 1 + 16000 // 160 frames
    (2, 101, 40)
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

__all__ = [
    "hz_to_mel",
    "mel_to_hz",
    "mel_filterbank",
    "mel_center_frequencies",
    "dct_matrix",
    "LogMel",
    "read_audio",
    "write_audio",
    "resample",
    "fit_length",
]


def hz_to_mel(f: float | np.ndarray) -> float | np.ndarray:
    """HTK mel scale: ``2595 log10(1 + f / 700)``."""
    return 2595.0 * np.log10(1.0 + np.asarray(f, dtype=np.float64) / 700.0)


def mel_to_hz(m: float | np.ndarray) -> float | np.ndarray:
    """Inverse of :func:`hz_to_mel`: ``700 (10^(m / 2595) - 1)``."""
    return 700.0 * (10.0 ** (np.asarray(m, dtype=np.float64) / 2595.0) - 1.0)


def _mel_points(n_mels: int, f_min: float, f_max: float) -> np.ndarray:
    return mel_to_hz(np.linspace(hz_to_mel(f_min), hz_to_mel(f_max), n_mels + 2))


def mel_center_frequencies(n_mels: int, f_min: float, f_max: float) -> np.ndarray:
    """The ``n_mels`` filter centres in Hz."""
    return _mel_points(n_mels, f_min, f_max)[1:-1]


def mel_filterbank(
    n_fft: int, sample_rate: int, n_mels: int, f_min: float = 0.0, f_max: float | None = None
) -> Tensor:
    """Triangular mel filters ``F [n_mels, n_fft // 2 + 1]`` (float32, peak 1).

    Filter j rises linearly from corner ``p_j`` to 1 at ``p_{j+1}`` and falls to 0 at
    ``p_{j+2}``, the corners ``p`` being equally spaced in mel between ``f_min`` and ``f_max``
    (default ``sample_rate / 2``).
    """
    f_max = sample_rate / 2.0 if f_max is None else f_max
    if not 0.0 <= f_min < f_max <= sample_rate / 2.0:
        raise ValueError(f"need 0 <= f_min < f_max <= sample_rate / 2, got {f_min}, {f_max}")
    freqs = np.arange(n_fft // 2 + 1) * sample_rate / n_fft
    p = _mel_points(n_mels, f_min, f_max)
    lower, centre, upper = p[:-2, None], p[1:-1, None], p[2:, None]
    rising = (freqs[None] - lower) / (centre - lower)
    falling = (upper - freqs[None]) / (upper - centre)
    return torch.from_numpy(np.clip(np.minimum(rising, falling), 0.0, None).astype(np.float32))


def dct_matrix(n_mfcc: int, n_mels: int) -> Tensor:
    """Orthonormal DCT-II ``D [n_mels, n_mfcc]``: MFCCs are ``log_mel @ D``."""
    if not 1 <= n_mfcc <= n_mels:
        raise ValueError(f"need 1 <= n_mfcc <= n_mels, got {n_mfcc} and {n_mels}")
    j = np.arange(n_mels)[:, None]
    q = np.arange(n_mfcc)[None, :]
    d = np.sqrt(2.0 / n_mels) * np.cos(np.pi * q * (j + 0.5) / n_mels)
    d[:, 0] /= math.sqrt(2.0)
    return torch.from_numpy(d.astype(np.float32))


class LogMel(nn.Module):
    """Log-mel spectrogram (or MFCCs when ``n_mfcc > 0``) of clips (module docstring).

    :param sample_rate: Hz. :param n_fft: FFT size. :param win_length: Hann window length
        (default 25 ms). :param hop_length: frame step (default 10 ms).
    :param n_mels: mel filters. :param f_min: lowest filter corner; ``f_max`` highest
        (default the Nyquist frequency). :param n_mfcc: keep this many DCT coefficients of the
        log-mel frames (0: return the log-mel frames). :param eps: added before the log.

    Shapes: ``[N]`` or ``[B, N]`` -> ``[..., 1 + N // hop_length, n_mels or n_mfcc]``.
    """

    def __init__(
        self,
        sample_rate: int = 16000,
        n_fft: int = 512,
        win_length: int | None = None,
        hop_length: int | None = None,
        n_mels: int = 40,
        f_min: float = 20.0,
        f_max: float | None = None,
        n_mfcc: int = 0,
        eps: float = 1e-6,
    ) -> None:
        super().__init__()
        self.sample_rate, self.n_fft = int(sample_rate), int(n_fft)
        self.win_length = int(win_length or round(0.025 * sample_rate))
        self.hop_length = int(hop_length or round(0.010 * sample_rate))
        if not 1 <= self.win_length <= self.n_fft or self.hop_length < 1:
            raise ValueError(
                f"need 1 <= win_length <= n_fft and hop_length >= 1, got {self.win_length}, "
                f"{self.n_fft}, {self.hop_length}"
            )
        self.n_mels, self.n_mfcc, self.eps = int(n_mels), int(n_mfcc), float(eps)
        self.register_buffer("window", torch.hann_window(self.win_length), persistent=False)
        fbank = mel_filterbank(self.n_fft, self.sample_rate, self.n_mels, f_min, f_max)
        self.register_buffer("fbank", fbank, persistent=False)
        dct = dct_matrix(self.n_mfcc, self.n_mels) if self.n_mfcc else torch.empty(0)
        self.register_buffer("dct", dct, persistent=False)

    @property
    def n_features(self) -> int:
        return self.n_mfcc or self.n_mels

    def frames(self, n_samples: int) -> int:
        """Frames of a clip of ``n_samples``: ``1 + n_samples // hop_length``."""
        return 1 + n_samples // self.hop_length

    def power(self, wave: Tensor) -> Tensor:
        """``|STFT|^2``: ``[..., N]`` -> ``[..., frames, n_fft // 2 + 1]``."""
        lead = wave.shape[:-1]
        spec = torch.stft(
            wave.reshape(-1, wave.shape[-1]).float(),
            self.n_fft,
            self.hop_length,
            self.win_length,
            self.window,
            center=True,
            pad_mode="reflect",
            return_complex=True,
        )  # [B, freqs, frames]
        return spec.abs().square().transpose(1, 2).reshape(*lead, -1, self.n_fft // 2 + 1)

    def forward(self, wave: Tensor) -> Tensor:
        """``[..., N]`` -> log-mel ``[..., frames, n_mels]`` or MFCC ``[..., frames, n_mfcc]``."""
        log_mel = torch.log(self.power(wave) @ self.fbank.t() + self.eps)
        return log_mel @ self.dct if self.n_mfcc else log_mel

    def extra_repr(self) -> str:
        return (
            f"sample_rate={self.sample_rate}, n_fft={self.n_fft}, win_length={self.win_length}, "
            f"hop_length={self.hop_length}, n_mels={self.n_mels}, n_mfcc={self.n_mfcc}"
        )


def read_audio(path: str | Path) -> tuple[np.ndarray, int]:
    """``(wave float32 [N] in [-1, 1], sample_rate)``; channels are averaged to mono."""
    import soundfile

    data, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    return data.mean(axis=1), int(rate)


def write_audio(path: str | Path, wave: np.ndarray, sample_rate: int) -> Path:
    """Write a mono clip (float in [-1, 1], clipped) as 16-bit PCM WAV."""
    import soundfile

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    clipped = np.clip(np.asarray(wave, dtype=np.float32), -1.0, 1.0)
    soundfile.write(str(path), clipped, int(sample_rate), subtype="PCM_16")
    return path


def resample(wave: np.ndarray, orig_rate: int, new_rate: int) -> np.ndarray:
    """Band-limited resampling in the frequency domain (the spectrum is cut or zero-padded).

    ``[N]`` -> ``[round(N new_rate / orig_rate)]`` float32; exact for signals band-limited
    below both Nyquist frequencies (edges are treated as periodic).
    """
    wave = np.asarray(wave, dtype=np.float64)
    if orig_rate == new_rate or len(wave) == 0:
        return wave.astype(np.float32)
    n_out = max(1, int(round(len(wave) * new_rate / orig_rate)))
    spectrum = np.fft.rfft(wave)
    keep = min(len(spectrum), n_out // 2 + 1)
    out = np.zeros(n_out // 2 + 1, dtype=complex)
    out[:keep] = spectrum[:keep]
    return (np.fft.irfft(out, n_out) * (n_out / len(wave))).astype(np.float32)


def fit_length(wave: np.ndarray, n: int) -> np.ndarray:
    """Zero-pad at the end or cut to exactly ``n`` samples."""
    if len(wave) >= n:
        return wave[:n]
    return np.pad(wave, (0, n - len(wave)))
