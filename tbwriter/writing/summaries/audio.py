"""Audio: a v1 ``Summary.Audio`` holding a 16-bit PCM WAV, which TensorBoard's audio plugin plays.

    pcm, clipped = to_pcm16(np.sin(np.linspace(0, 2000, 44100)))   # int16 (frames, channels)
    value_bytes = audio_value("tone", pcm, 44100)

WAV bytes come from the standard library's ``wave`` module.
"""
from __future__ import annotations

import io
import wave

import numpy as np

from tbwriter.errors import ArgumentError, ArgumentTypeError
from tbwriter.format.encode import float32, length_delimited, varint
from tbwriter.writing.arrays import array_argument
from tbwriter.writing.summaries.metadata import summary_value

_INT16_MAX = 32767


def to_pcm16(snd_tensor: object) -> tuple[np.ndarray, int]:
    """int16 samples ``(frames, channels)`` and how many samples were clipped.

    ``snd_tensor``: floats in [-1, 1] shaped ``(samples,)``, ``(1, samples)`` as torch takes, or
    ``(channels, samples)`` as torchaudio loads them; int16 samples are taken as they are.
    Floats beyond [-1, 1] are clipped (never wrapped), then scaled by 32767 and rounded.
    """
    array = array_argument(snd_tensor, "snd_tensor")
    if array.ndim == 1:
        array = array[np.newaxis]
    if array.ndim != 2 or not array.size:
        raise ArgumentError("snd_tensor", "must be (samples,) or (channels, samples) and not empty, "
                                          f"got shape {array.shape}")
    if array.dtype == np.int16:
        return np.ascontiguousarray(array.T), 0
    if array.dtype.kind != "f":
        raise ArgumentTypeError("snd_tensor", f"must hold float samples in [-1, 1] or int16, got dtype {array.dtype}")
    samples = array.astype(np.float64)
    if not np.isfinite(samples).all():
        raise ArgumentError("snd_tensor", "must be finite, got NaN or inf")
    clipped = int(np.count_nonzero(np.abs(samples) > 1.0))
    pcm = np.rint(np.clip(samples, -1.0, 1.0) * _INT16_MAX).astype("<i2")
    return np.ascontiguousarray(pcm.T), clipped


def check_sample_rate(sample_rate: object) -> int:
    """A positive whole number of samples per second."""
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, (int, float, np.integer, np.floating)):
        raise ArgumentTypeError("sample_rate", f"must be a number, got {type(sample_rate).__name__}")
    if not (0 < sample_rate < 2**31) or float(sample_rate) != int(sample_rate):
        raise ArgumentError("sample_rate", f"must be a positive whole number, got {sample_rate}")
    return int(sample_rate)


def wav_bytes(pcm: np.ndarray, sample_rate: int) -> bytes:
    """A 16-bit PCM WAV file of int16 ``(frames, channels)`` samples."""
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(pcm.shape[1])
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(pcm.astype("<i2", copy=False).tobytes())
    return out.getvalue()


def audio_value(tag: str, pcm: np.ndarray, sample_rate: int) -> bytes:
    """A ``Summary.Value`` with the WAV in ``Summary.Audio`` (sample rate, channels, frames, content type)."""
    frames, channels = pcm.shape
    audio = (b"\x0d" + float32(sample_rate) + b"\x10" + varint(channels) + b"\x18" + varint(frames)
             + length_delimited(b"\x22", wav_bytes(pcm, sample_rate)) + length_delimited(b"\x2a", b"audio/wav"))
    return summary_value(tag, audio=audio)
