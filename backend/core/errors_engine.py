"""Errors of the engine and its models: set-up, loading, synthesis, the GPU, the engine
process, which model speaks and what it accepts (gathered by backend.core.errors)."""

from __future__ import annotations

from backend.core.error_base import AppError


class EnvironmentNotSetup(AppError):
    status_code = 503
    code = "environment_not_setup"
    default_message = "The selected engine's libraries are not installed."
    default_solution = "Run: python setup_env.py"


class ModelLoadFailed(AppError):
    status_code = 503
    code = "model_load_failed"
    default_message = "The model could not be loaded."
    default_solution = (
        "Check the server log; free GPU memory or set CHATTERBOX_DEVICE=cpu, then retry."
    )


class SynthesisFailed(AppError):
    status_code = 500
    code = "synthesis_failed"
    default_message = "Speech synthesis failed."
    default_solution = "Try again with shorter text; if it keeps failing, reload the model."


class GpuOutOfMemory(AppError):
    status_code = 503
    code = "gpu_out_of_memory"
    default_message = (
        "The GPU ran out of memory while speaking this text, even after splitting it in two."
    )
    default_solution = (
        "Close other programs that use the GPU (games, video, browsers with hardware "
        "acceleration), turn on low-VRAM mode (CHATTERBOX_LOW_VRAM=on) and restart the server, "
        "or send shorter text. CHATTERBOX_DEVICE=cpu runs on the processor instead (slower)."
    )


class EngineFault(AppError):
    """The engine's host process ended under a call: a native crash, the OOM killer, a kill."""

    status_code = 503
    code = "engine_fault"
    default_message = "The speech engine's process stopped while it was working."
    default_solution = (
        "Send the request again: the engine starts afresh on the next request. If it keeps "
        "happening, the machine may be short of memory (close other programs, or turn on "
        "CHATTERBOX_LOW_VRAM=on), or the GPU driver may be failing (see the server log)."
    )


class SynthesisTimeout(AppError):
    """A model call ran past its deadline (CHATTERBOX_SCENE_TIMEOUT_SECONDS): the engine's
    process was killed, and the next request starts a fresh one."""

    status_code = 504
    code = "synthesis_timeout"
    default_message = "Speaking this text took too long, so the engine was stopped."
    default_solution = (
        "Send shorter text, or raise CHATTERBOX_SCENE_TIMEOUT_SECONDS (Chatterbox on a CPU "
        "needs minutes for a long text). The engine starts afresh on the next request."
    )


class InternalError(AppError):
    pass


class VoiceCloningUnavailable(AppError):
    status_code = 400
    code = "voice_cloning_unavailable"
    default_message = "The current engine (Piper) cannot speak in an uploaded voice."
    default_solution = (
        "Install Chatterbox to clone voices: python setup_env.py --engine chatterbox "
        "(downloads the model into model_cache/), then restart the server."
    )


class NoVoiceLoaded(AppError):
    status_code = 400
    code = "no_voice_loaded"
    default_message = "No voice is selected and the engine has no built-in voice."
    default_solution = "Upload a reference clip (POST /voices) and select it with POST /load_voice."


class VoiceNotFound(AppError):
    status_code = 400
    code = "voice_not_found"
    default_solution = "Use one of the available voices, or upload a new one with POST /voices."


class ModelNotFound(AppError):
    status_code = 404
    code = "model_not_found"
    default_message = "There is no such model on this server."
    default_solution = "List the models with GET /v1/models, or send model=tts-1."


class ModelNotLoaded(AppError):
    """A request named a model other than the resident one, and switching is off."""

    status_code = 409
    code = "model_not_loaded"
    default_message = "The model this request names is not the one loaded."
    default_solution = (
        "Send the loaded model's name (GET /health, 'model'), or let the server switch models: "
        "set CHATTERBOX_MODEL_SWITCH=on and restart it."
    )


class ModelNotInstalled(AppError):
    status_code = 503
    code = "model_not_installed"
    default_message = "That Chatterbox model is not installed."
    default_solution = "Install it: python setup_env.py --model <name>, then restart the server."


class UnknownTag(AppError):
    status_code = 422
    code = "unknown_tag"
    default_message = "The text holds a bracketed tag the model does not know."
    default_solution = "Use one of the tags listed in 'known_tags', or remove the brackets."


class UnsupportedLanguage(AppError):
    status_code = 422
    code = "unsupported_language"
    default_message = "The model cannot speak that language."
    default_solution = "Send one of the codes listed in 'languages'."


class VoiceTooShortForModel(AppError):
    status_code = 422
    code = "voice_too_short_for_model"
    default_message = "The voice's reference clip is too short for this model."
    default_solution = (
        "Upload a longer reference clip for this voice, or use another model (for example "
        "model=original)."
    )


class VoiceConversionUnavailable(AppError):
    status_code = 400
    code = "voice_conversion_unavailable"
    default_message = "The current engine cannot re-voice a recording."
    default_solution = (
        "Voice conversion needs a Chatterbox model: install one with python setup_env.py "
        "--model turbo, or send model=original (or turbo, multilingual) with the request."
    )
