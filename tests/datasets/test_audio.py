"""Tests for spikeagents.datasets.audio: the mel scale and filters, the log-mel / MFCC front end
against values computed by hand for pure tones, resampling, and WAV round trips."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest
import torch

from spikeagents.datasets import audio
from spikeagents.datasets.audio import (
    LogMel,
    dct_matrix,
    fit_length,
    hz_to_mel,
    mel_center_frequencies,
    mel_filterbank,
    mel_to_hz,
    read_audio,
    resample,
    write_audio,
)

SR = 16000


def tone(freq: float, n: int = SR, amp: float = 1.0, sr: int = SR) -> torch.Tensor:
    return torch.tensor(amp * np.sin(2 * np.pi * freq * np.arange(n) / sr), dtype=torch.float32)


def test_docstring_examples_run():
    result = doctest.testmod(audio)
    assert result.attempted > 0 and result.failed == 0


def test_mel_scale():
    assert hz_to_mel(0.0) == 0.0
    assert hz_to_mel(700.0) == pytest.approx(2595 * math.log10(2))
    assert hz_to_mel(1000.0) == pytest.approx(1000.0, abs=0.1)  # the scale's anchor
    f = np.array([20.0, 440.0, 7999.0])
    assert np.allclose(mel_to_hz(hz_to_mel(f)), f)


def test_filters_are_triangles_that_sum_to_one_between_the_first_and_last_centre():
    n_fft, n_mels = 1024, 20
    fb = mel_filterbank(n_fft, SR, n_mels, 100.0, 6000.0).numpy()
    assert fb.shape == (n_mels, n_fft // 2 + 1) and fb.min() >= 0 and fb.max() <= 1
    freqs = np.arange(n_fft // 2 + 1) * SR / n_fft
    centres = mel_center_frequencies(n_mels, 100.0, 6000.0)
    inside = (freqs >= centres[0]) & (freqs <= centres[-1])
    assert np.allclose(fb[:, inside].sum(0), 1.0, atol=1e-5)  # neighbouring triangles overlap
    assert not fb[:, freqs < 100.0].any() and not fb[:, freqs > 6000.0].any()
    peak_bins = fb.argmax(1)  # each filter peaks at the bin nearest its centre
    nearest = np.abs(freqs[None] - centres[:, None]).argmin(1)
    assert np.abs(peak_bins - nearest).max() <= 1


@pytest.mark.parametrize("freq", [250.0, 1000.0, 2500.0, 6500.0])
def test_pure_tone_peaks_in_the_nearest_mel_bin(freq):
    front = LogMel(SR, n_mels=40, f_min=20.0)
    m = front(tone(freq))
    expected = np.argmin(
        np.abs(hz_to_mel(mel_center_frequencies(40, 20.0, SR / 2)) - hz_to_mel(freq))
    )
    assert m.shape == (101, 40)
    assert (m[5:-5].argmax(1) == int(expected)).all()


@pytest.mark.parametrize("n, hop", [(16000, 160), (16000, 320), (12345, 100), (800, 160)])
def test_frame_count_is_one_plus_samples_over_hop(n, hop):
    front = LogMel(SR, n_fft=512, win_length=400, hop_length=hop)
    assert front(torch.zeros(3, n)).shape == (3, 1 + n // hop, 40)
    assert front.frames(n) == 1 + n // hop


def test_power_and_log_mel_of_a_bin_centred_tone_match_the_hand_computation():
    """A tone on FFT bin k0 through a periodic Hann window of N = n_fft samples has
    |X[k0]| = A N / 4 and |X[k0 +- 1]| = A N / 8 and nothing elsewhere."""
    n_fft, amp = 512, 0.5
    k0 = 32  # 1000 Hz at 16 kHz with 512 bins
    front = LogMel(SR, n_fft=n_fft, win_length=n_fft, hop_length=256, n_mels=24, f_min=0.0)
    power = front.power(tone(k0 * SR / n_fft, 8192, amp))[4:-4]  # frames fully inside the clip
    expected = np.zeros(n_fft // 2 + 1)
    expected[k0] = (amp * n_fft / 4) ** 2
    expected[[k0 - 1, k0 + 1]] = (amp * n_fft / 8) ** 2
    assert torch.allclose(power, torch.tensor(expected, dtype=torch.float32).expand_as(power),
                          atol=1e-2 * expected.max())  # fmt: skip
    fb = mel_filterbank(n_fft, SR, 24, 0.0).numpy()
    log_mel = front(tone(k0 * SR / n_fft, 8192, amp))[4:-4]
    hand = np.log(fb @ expected + 1e-6)
    big = hand > 0  # bins the tone reaches; the others hold only leakage near log(1e-6)
    assert big.sum() >= 2
    assert np.allclose(log_mel[:, big].numpy(), hand[big], atol=1e-3)


def test_mfcc_is_the_orthonormal_dct_of_the_log_mel():
    d = dct_matrix(13, 13).numpy()
    assert np.allclose(d.T @ d, np.eye(13), atol=1e-6)
    x = tone(700.0) + 0.1 * torch.randn(SR)
    log_mel = LogMel(SR, n_mels=32)(x)
    mfcc = LogMel(SR, n_mels=32, n_mfcc=13)(x)
    assert mfcc.shape == (101, 13)
    assert torch.allclose(mfcc[:, 0], log_mel.sum(1) / math.sqrt(32), atol=1e-3)
    with pytest.raises(ValueError, match="n_mfcc"):
        LogMel(n_mels=10, n_mfcc=11)


def test_resampling_keeps_a_tone_a_tone():
    t_in = np.arange(22050) / 22050
    out = resample(np.sin(2 * np.pi * 440 * t_in), 22050, SR)
    assert len(out) == SR
    expected = np.sin(2 * np.pi * 440 * np.arange(SR) / SR)
    assert np.abs(out - expected)[100:-100].max() < 1e-3
    assert np.array_equal(resample(out, SR, SR), out)


def test_wav_round_trip_and_length_fitting(tmp_path):
    pytest.importorskip("soundfile")
    wave = 0.8 * np.sin(np.linspace(0, 60, 4000)).astype(np.float32)
    path = write_audio(tmp_path / "a" / "clip.wav", wave, 8000)
    back, rate = read_audio(path)
    assert rate == 8000 and back.dtype == np.float32
    assert np.abs(back - wave).max() <= 1 / 32768 + 1e-6  # 16-bit PCM
    assert fit_length(back, 5000).shape == (5000,) and not fit_length(back, 5000)[4000:].any()
    assert np.array_equal(fit_length(back, 10), back[:10])
