"""Read-along: a finished narration plays while its current sentence is highlighted in the text,
and for a PDF the page region of the scene being read stays beside it.

Streamlit's own player tells Python nothing of playback, so the player is a small HTML page in an
iframe (st.iframe, the successor of components.v1.html) whose script follows the audio element's
time through the server's sentence cues (GET /jobs/{id}/subtitles as WebVTT, each cue named
"s<scene>-<sentence>"). Everything it shows is inside the page as data: URLs, fetched by the
studio through frontend/api_client.py: the browser never asks the server for anything, which also
keeps the server's protections (its Host allow-list, an API token the browser does not hold) in
force. Clicking a sentence plays from it.
"""

from __future__ import annotations

import base64
import html
import json
import re
from typing import Any

import streamlit as st

from frontend.api_client import ApiError
from frontend.api_protocol import StudioApi
from frontend.notices import show_error

HEIGHT = 460
_TIME = r"(\d+):(\d\d):(\d\d)\.(\d{3})"
_CUE = re.compile(rf"^(s(\d+)-\d+)\n{_TIME} --> {_TIME}[^\n]*\n(.*)$", re.S)


def parse_vtt(text: str) -> list[dict[str, Any]]:
    """The sentence cues of the server's WebVTT: [{id, scene, start, end, text}] in order
    (seconds; text unescaped). Cues without an "s<scene>-<n>" name are skipped."""
    found = []
    for block in re.split(r"\n{2,}", text.replace("\r\n", "\n").strip()):
        match = _CUE.match(block)
        if match is None:
            continue
        name, scene = match.group(1), int(match.group(2))
        h1, m1, s1, ms1, h2, m2, s2, ms2 = (int(g) for g in match.groups()[2:10])
        found.append(
            {
                "id": name,
                "scene": scene,
                "start": h1 * 3600 + m1 * 60 + s1 + ms1 / 1000,
                "end": h2 * 3600 + m2 * 60 + s2 + ms2 / 1000,
                "text": html.unescape(match.group(11).strip()),
            }
        )
    return found


def player_html(cues: list[dict[str, Any]], mp3: bytes, images: dict[int, bytes]) -> str:
    """The read-along page: the narration (MP3), the sentences as spans grouped by scene, and
    each scene's page region (PNG) where `images` has one. Self-contained: nothing is loaded."""
    paragraphs: list[str] = []
    scene = None
    for cue in cues:
        if cue["scene"] != scene:
            if scene is not None:
                paragraphs.append("</p>")
            scene = cue["scene"]
            paragraphs.append(f'<p data-scene="{scene}">')
        paragraphs.append(f'<span id="{cue["id"]}">{html.escape(cue["text"])}</span> ')
    if scene is not None:
        paragraphs.append("</p>")
    pictures = {
        str(idx): "data:image/png;base64," + base64.b64encode(png).decode()
        for idx, png in images.items()
    }
    data = json.dumps({"cues": cues, "images": pictures}).replace("</", "<\\/")
    audio = "data:audio/mpeg;base64," + base64.b64encode(mp3).decode()
    return _PAGE.format(
        audio=audio,
        text="".join(paragraphs),
        data=data,
        figure="" if pictures else " hidden",
        height=HEIGHT - 70,
    )


def render(api: StudioApi, job: dict[str, Any]) -> None:
    """The read-along of a completed job, once the user turns it on (it loads the whole MP3)."""
    if not st.toggle("Read along", key=f"readalong_{job['id']}", help=_HELP):
        return
    stamp = job.get("finished_at") or ""
    try:
        cues, mp3, images = _material(api.base_url, job["id"], stamp, _scenes_with_images(job), api)
    except ApiError as error:
        show_error(error)
        return
    with st.container(key="readalong"):
        st.iframe(player_html(cues, mp3, images), height=HEIGHT)


_HELP = "Plays the narration and highlights each sentence as it is read."


def _scenes_with_images(job: dict[str, Any]) -> tuple[int, ...]:
    return tuple(
        scene["idx"]
        for scene in job.get("scenes", [])
        if scene.get("image_status") == "completed" and scene.get("image_path")
    )


@st.cache_data(max_entries=2, show_spinner="Loading the read-along…")
def _material(
    base_url: str, job_id: str, stamp: str, with_images: tuple[int, ...], _api: StudioApi
) -> tuple[list[dict[str, Any]], bytes, dict[int, bytes]]:
    """The cues, the MP3 and the page regions of a finished job (which never change)."""
    cues = parse_vtt(_api.job_subtitles(job_id, "vtt", "sentence").decode())
    mp3 = _api.job_audio(job_id, "mp3")
    images = {idx: _api.scene_image(job_id, idx) for idx in with_images}
    return cues, mp3, images


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<style>
  :root {{ font-family: "Source Sans Pro", system-ui, sans-serif; }}
  body {{ margin: 0; background: #fff; color: #262730; }}
  audio {{ width: 100%; }}
  .panes {{ display: flex; gap: 1rem; height: {height}px; margin-top: .5rem; }}
  figure {{ flex: 1 1 40%; margin: 0; overflow: hidden; }}
  figure img {{ max-width: 100%; max-height: 100%; border: 1px solid #ddd; }}
  #text {{ flex: 1 1 60%; overflow-y: auto; line-height: 1.6; padding-right: .5rem; }}
  #text span {{ cursor: pointer; border-radius: 3px; }}
  #text span.current {{ background: #ffe58a; }}
  @media (max-width: 600px) {{ .panes {{ flex-direction: column; }} figure {{ flex: 0 0 35%; }} }}
</style></head>
<body>
  <audio id="narration" controls preload="auto" src="{audio}"></audio>
  <div class="panes">
    <figure id="region"{figure}><img id="page" alt="The page region being read"></figure>
    <div id="text">{text}</div>
  </div>
<script>
const DATA = {data};
const audio = document.getElementById("narration");
const page = document.getElementById("page");
const starts = DATA.cues.map(cue => cue.start);
let current = -1;
function at(time) {{
  let low = 0, high = starts.length - 1, found = -1;
  while (low <= high) {{
    const middle = (low + high) >> 1;
    if (starts[middle] <= time) {{ found = middle; low = middle + 1; }} else high = middle - 1;
  }}
  return found;
}}
function follow() {{
  const index = at(audio.currentTime);
  if (index === current) return;
  if (current >= 0) document.getElementById(DATA.cues[current].id).classList.remove("current");
  current = index;
  document.body.dataset.current = index >= 0 ? DATA.cues[index].id : "";
  if (index < 0) return;
  const span = document.getElementById(DATA.cues[index].id);
  span.classList.add("current");
  span.scrollIntoView({{block: "nearest"}});
  const picture = DATA.images[String(DATA.cues[index].scene)];
  if (picture && page.getAttribute("src") !== picture) page.setAttribute("src", picture);
}}
function tick() {{ follow(); if (!audio.paused) requestAnimationFrame(tick); }}
audio.addEventListener("play", tick);
audio.addEventListener("timeupdate", follow);
audio.addEventListener("seeked", follow);
for (const cue of DATA.cues) {{
  document.getElementById(cue.id).addEventListener("click", () => {{
    audio.currentTime = cue.start; audio.play();
  }});
}}
follow();
</script>
</body></html>
"""
