"""One scene's direction: its badges, its spoken text, and the editor of its text and settings
with Save and Regenerate (PATCH /jobs/{id}/scenes/{n}, POST /jobs/{id}/scenes/{n}/takes).

Whatever an action changes, the scene feed is read afresh after it, because an edited or
re-taken scene may change where the feed would not look (a settled scene, the narration
re-assembled under the same file name).
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from frontend import format as fmt
from frontend.api_protocol import StudioApi
from frontend.notices import act
from frontend.state import read_afresh
from frontend.voice_controls import HELP

# name: (label, low, high, step) of each setting a scene may have of its own, besides the seed
SLIDERS = {
    "rate": ("Speed", 0.25, 4.0, 0.05),  # the server's own bounds: nothing it holds is clamped
    "exaggeration": ("Exaggeration", 0.0, 2.0, 0.05),
    "cfg_weight": ("CFG weight", 0.0, 1.0, 0.05),
    "temperature": ("Temperature", 0.05, 5.0, 0.05),
}
DEFAULTS = {"rate": 1.0, "exaggeration": 0.5, "cfg_weight": 0.5, "temperature": 0.8}
BADGES = {
    "stale": ":orange-badge[:material/history: stale]",
    "checking": ":blue-badge[:material/hearing: checking]",
    "retaking": ":violet-badge[:material/autorenew: re-taking]",
}


def badges(scene: dict[str, Any]) -> str:
    """The scene's state beyond its audio status, as badges ("" when there is nothing to say):
    stale (its audio no longer matches its text, settings or the lexicon), checking (the
    Whisper or speaker check is running), re-taking (a new take is queued or being made)."""
    shown = []
    if scene.get("stale"):
        shown.append(BADGES["stale"])
    if scene.get("check_status") == "checking":
        shown.append(BADGES["checking"])
    if scene.get("check_status") == "retaking" or scene.get("pending_takes"):
        shown.append(BADGES["retaking"])
    return " ".join(shown)


def busy(scene: dict[str, Any]) -> bool:
    """Whether the scene can still change by itself (a take queued, a check running)."""
    return bool(scene.get("pending_takes")) or scene.get("check_status") in ("checking", "retaking")


def text(scene: dict[str, Any], limit: int) -> None:
    """The scene's text, and beside it the text as spoken where that differs (numbers said in
    words, the lexicon's respellings)."""
    spoken = scene.get("spoken_text")
    if not spoken or " ".join(spoken.split()) == " ".join(scene["text"].split()):
        st.caption(fmt.snippet(scene["text"], limit))
        return
    written, said = st.columns(2)
    written.caption(f"**Text:** {fmt.snippet(scene['text'], limit)}")
    said.caption(f"**Spoken as:** {fmt.snippet(spoken, limit)}")


def editor(api: StudioApi, job: dict[str, Any], scene: dict[str, Any]) -> None:
    """Edit the scene's text and its own settings; Save stores them, Regenerate also makes a
    new take (a failed scene goes back to the queue; a waiting one is simply spoken as edited)."""
    index = scene["idx"]
    with st.expander("Edit and regenerate", icon=":material/edit:"):
        edited = st.text_area("Scene text", scene["text"], key=f"scene_text_{index}", height=120)
        current = settings(job, scene)
        chosen = _settings(current, index, job.get("engine"))
        new_text = edited if edited != scene["text"] else None
        new_params = chosen if _changed(chosen, current) else None
        bar = st.container(horizontal=True)
        save = bar.button("Save", key=f"scene_save_{index}", icon=":material/save:")
        again = bar.button(
            "Regenerate", key=f"scene_regenerate_{index}", icon=":material/autorenew:"
        )
    if save and new_text is None and new_params is None:
        st.toast("Nothing to save: the text and settings are as they were.")
    elif save:
        act(lambda: read_afresh(api.edit_scene(job["id"], index, new_text, new_params)), _saved)
    if again:
        regenerate = api.regenerate_scene
        act(lambda: read_afresh(regenerate(job["id"], index, new_text, new_params)), _queued)


def settings(job: dict[str, Any], scene: dict[str, Any]) -> dict[str, Any]:
    """The settings the scene is spoken with: its own over the job's, over the defaults."""
    job_params, own = job.get("params") or {}, scene.get("params") or {}
    merged = {name: own.get(name, job_params.get(name, DEFAULTS[name])) for name in SLIDERS}
    return {**merged, "seed": own.get("seed", job_params.get("seed"))}


def _settings(current: dict[str, Any], index: int, engine: str | None) -> dict[str, Any]:
    if engine == "piper":
        st.caption("The Piper engine follows Speed only; the other settings shape Chatterbox.")
    chosen: dict[str, Any] = {}
    columns = st.columns(len(SLIDERS) + 1)
    for column, (name, (label, low, high, step)) in zip(columns, SLIDERS.items(), strict=False):
        value = min(high, max(low, float(current[name])))
        chosen[name] = column.slider(
            label, low, high, value, step, key=f"scene_{name}_{index}", help=HELP[name]
        )
    seed = columns[-1].number_input(
        "Seed", 0, 2**32 - 1, int(current["seed"] or 0), 1, key=f"scene_seed_{index}",
        help=HELP["seed"],
    )  # fmt: skip
    chosen["seed"] = int(seed) or None
    return chosen


def _changed(chosen: dict[str, Any], current: dict[str, Any]) -> bool:
    if chosen["seed"] != current["seed"]:
        return True
    return any(abs(chosen[name] - float(current[name])) > 1e-9 for name in SLIDERS)


def _saved(scene: dict[str, Any]) -> str:
    if scene.get("stale"):
        return f"Scene {scene['idx']} saved; it is stale until it is regenerated."
    return f"Scene {scene['idx']} saved."


def _queued(answer: dict[str, Any]) -> str:
    index = answer["scene"]["idx"]
    if answer.get("request") is None:
        return f"Scene {index} will be spoken as it is now, in its turn."
    return f"A new take of scene {index} is queued; it is used as soon as it is made."
