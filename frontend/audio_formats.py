"""Audio formats: the uploads the server decodes, and what it encodes that a browser plays."""

from __future__ import annotations

# pcm (raw samples, for programs) is left out: a page cannot play it.
MIME = {
    "wav": "audio/wav",
    "mp3": "audio/mpeg",
    "ogg": "audio/ogg",
    "opus": "audio/ogg; codecs=opus",
    "aac": "audio/aac",
    "flac": "audio/flac",
}
# What POST /voices and POST /voice-conversion take.
UPLOAD_TYPES = ["wav", "mp3", "flac", "ogg", "webm", "m4a", "mp4"]
