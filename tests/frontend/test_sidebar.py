"""The sidebar (frontend/sidebar.py): server health, memory, Load/Unload, a server that is away."""

from __future__ import annotations

from frontend.api_client import ApiError
from frontend.sidebar import FAULT_LABEL
from tests.frontend.conftest import OpenApp
from tests.frontend.elements import labelled, text_of, values
from tests.frontend.fake_api import FakeApi


def test_sidebar_shows_model_state_engine_and_device(fake: FakeApi, open_app: OpenApp):
    at = open_app()

    assert not at.exception
    assert ":green[●] Ready" in values(at.sidebar.markdown)
    assert "Engine **piper** on **cpu**" in values(at.sidebar.caption)
    assert "Keep-alive: stays loaded" in values(at.sidebar.caption)


def test_sidebar_shows_ram_in_use_as_a_bar(fake: FakeApi, open_app: OpenApp):
    at = open_app()

    [bar] = at.sidebar.get("progress")
    assert bar.text == "RAM 553.6 MB of 23.5 GB"
    assert bar.value == 2  # percent: 0.58 GB of 23.5 GB in use
    assert "Server process: 163.0 MB" in values(at.sidebar.caption)


def test_sidebar_draws_no_vram_bar_for_a_cpu_engine(fake: FakeApi, open_app: OpenApp):
    at = open_app()

    assert [bar.text for bar in at.sidebar.get("progress")] == ["RAM 553.6 MB of 23.5 GB"]
    vram = [line for line in values(at.sidebar.caption) if "VRAM" in line]
    assert len(vram) == 1
    assert "GB" not in vram[0]  # says there is none, gives no amount


def test_sidebar_shows_gpu_memory_in_use_and_what_the_model_reserved(
    fake: FakeApi, open_app: OpenApp
):
    fake.engine, fake.device = "chatterbox", "cuda"
    fake.memory.update(
        vram_allocated_bytes=2 * 2**30,
        vram_reserved_bytes=3 * 2**30,
        vram_free_bytes=60 * 2**30,
        vram_total_bytes=80 * 2**30,
    )

    at = open_app()

    assert "Engine **chatterbox** on **cuda**" in values(at.sidebar.caption)
    ram, vram = at.sidebar.get("progress")
    assert ram.text.startswith("RAM ")
    assert vram.text == "VRAM 20.0 GB of 80.0 GB"
    assert vram.value == 25
    [held] = [line for line in values(at.sidebar.caption) if "VRAM" in line]
    assert "3.0 GB" in held  # what this process's model has reserved


def test_sidebar_says_when_an_idle_model_will_unload(fake: FakeApi, open_app: OpenApp):
    fake.keep_alive, fake.expires_in = 300.0, 65.0

    at = open_app()

    assert "Keep-alive: unloads in 1:05 if idle" in values(at.sidebar.caption)


def test_sidebar_says_a_zero_keep_alive_unloads_after_each_request(
    fake: FakeApi, open_app: OpenApp
):
    fake.keep_alive = 0.0

    at = open_app()

    assert "Keep-alive: unloads after each request" in values(at.sidebar.caption)


def test_load_loads_an_unloaded_model(fake: FakeApi, open_app: OpenApp):
    fake.state, fake.model_loaded = "unloaded", False
    at = open_app()
    assert labelled(at.sidebar.button, "Unload").disabled

    labelled(at.sidebar.button, "Load").click().run()

    assert fake.calls_to("load_model") == [{}]
    assert values(at.toast) == ["Model loaded."]
    assert not at.exception  # the whole page reran with the new state
    assert ":green[●] Ready" in values(at.sidebar.markdown)
    assert labelled(at.sidebar.button, "Load").disabled


def test_unload_unloads_a_loaded_model(fake: FakeApi, open_app: OpenApp):
    at = open_app()
    assert labelled(at.sidebar.button, "Load").disabled

    labelled(at.sidebar.button, "Unload").click().run()

    assert fake.calls_to("unload_model") == [{}]
    assert values(at.toast) == ["Model unloaded: the engine process ended (392.9 MB of RAM)."]
    assert not at.exception
    assert ":gray[●] Unloaded — loads again on the next request" in values(at.sidebar.markdown)
    assert not labelled(at.sidebar.button, "Load").disabled


def test_load_and_unload_wait_while_the_model_is_loading(fake: FakeApi, open_app: OpenApp):
    fake.state, fake.model_loaded = "loading", False

    at = open_app()

    assert ":orange[●] Loading the model…" in values(at.sidebar.markdown)
    assert labelled(at.sidebar.button, "Load").disabled
    assert labelled(at.sidebar.button, "Unload").disabled


def test_a_failed_load_shows_the_servers_message_and_solution(fake: FakeApi, open_app: OpenApp):
    fake.state, fake.model_loaded = "unloaded", False
    fake.fail_next(
        "load_model",
        ApiError(
            "model_load_failed",
            "The model could not be loaded: CUDA out of memory.",
            "Check the server log; free GPU memory or set CHATTERBOX_DEVICE=cpu, then retry.",
            503,
        ),
    )
    at = open_app()

    labelled(at.sidebar.button, "Load").click().run()

    assert not at.exception
    shown = text_of(at.sidebar.error)
    assert "The model could not be loaded: CUDA out of memory." in shown
    assert "set CHATTERBOX_DEVICE=cpu, then retry." in shown
    assert not at.toast


def test_a_model_that_failed_to_load_shows_why(fake: FakeApi, open_app: OpenApp):
    fake.state, fake.model_loaded = "error", False
    fake.last_error = {
        "error": "model_load_failed",
        "message": "The model could not be loaded.",
        "solution": "Free GPU memory, then press Load.",
    }

    at = open_app()

    assert ":red[●] The model failed to load" in values(at.sidebar.markdown)
    assert "The model could not be loaded." in text_of(at.sidebar.error)
    assert "Free GPU memory, then press Load." in text_of(at.sidebar.error)
    assert not labelled(at.sidebar.button, "Load").disabled


def test_a_server_that_is_down_gives_a_plain_message(fake: FakeApi, open_app: OpenApp):
    fake.down = True

    at = open_app()

    assert not at.exception
    assert values(at.sidebar.markdown) == [":red[●] Not answering"]
    [caption] = values(at.sidebar.caption)
    assert fake.base_url in caption
    assert "every 5 s" in caption
    assert not at.sidebar.button
    assert "Start it with start_linux.sh or start_windows.bat" in text_of(at.main.warning)


def test_a_server_that_goes_away_is_noticed_on_the_next_check(fake: FakeApi, open_app: OpenApp):
    at = open_app()
    fake.down = True

    at.run()  # the sidebar's timer (run_every) does not fire in AppTest; a rerun stands in

    assert not at.exception
    assert values(at.sidebar.markdown) == [":red[●] Not answering"]
    assert "is not answering." in text_of(at.main.warning)
    assert not at.main.button


def test_the_page_recovers_by_itself_when_the_server_comes_back(fake: FakeApi, open_app: OpenApp):
    fake.down = True
    at = open_app()
    fake.down = False

    at.run()  # the sidebar's timer (run_every) does not fire in AppTest; a rerun stands in

    assert not at.exception
    assert ":green[●] Ready" in values(at.sidebar.markdown)
    assert not at.warning
    assert labelled(at.main.button, "Generate narration")


def test_a_server_that_is_not_set_up_shows_its_solution(fake: FakeApi, open_app: OpenApp):
    fake.not_set_up = True

    at = open_app()

    assert not at.exception
    shown = text_of(at.sidebar.error)
    assert "The selected engine's libraries are not installed." in shown
    assert "Run: python setup_env.py --engine chatterbox" in shown
    assert not at.sidebar.button


def test_the_servers_limits_reach_the_pages(fake: FakeApi, open_app: OpenApp):
    fake.limits["max_text_chars"] = 1234

    at = open_app("app_pages/quick_speak.py")

    assert at.text_area(key="quick_text").max_chars == 1234


def test_sidebar_tells_other_apps_the_openai_compatible_address(fake: FakeApi, open_app: OpenApp):
    at = open_app()

    [code] = at.sidebar.code
    assert code.value.splitlines()[0] == f"base URL: {fake.base_url}/v1"
    assert "voice:    alloy" in code.value
    assert any("CHATTERBOX_API_TOKEN" in line for line in values(at.sidebar.caption))


def test_sidebar_shows_the_engine_process_and_its_memory(fake: FakeApi, open_app: OpenApp):
    at = open_app()

    assert "Engine process: 392.9 MB" in values(at.sidebar.caption)


def test_unload_says_the_engine_process_ended_and_the_vram_it_gave_back(
    fake: FakeApi, open_app: OpenApp
):
    fake.engine, fake.device = "chatterbox", "cuda"
    fake.memory.update(vram_allocated_bytes=2 * 2**30, vram_reserved_bytes=3 * 2**30)
    at = open_app()

    labelled(at.sidebar.button, "Unload").click().run()

    assert values(at.toast) == [
        "Model unloaded: the engine process ended (392.9 MB of RAM), 3.0 GB of VRAM freed."
    ]
    assert "Engine process: not running (starts on the next request)" in values(at.sidebar.caption)


def test_an_engine_process_that_died_is_shown_with_its_fault_then_its_restart(
    fake: FakeApi, open_app: OpenApp
):
    fault = {
        "error": "engine_fault",
        "message": "The chatterbox engine process (pid 4242) stopped: killed by SIGKILL.",
        "solution": "Send the request again: the engine starts afresh on the next request.",
    }
    fake.state, fake.model_loaded, fake.last_error = "error", False, fault
    fake.engine_host = {
        "pid": None,
        "rss_bytes": None,
        "starts": 1,
        "last_exit": "killed by SIGKILL",
    }

    at = open_app()

    assert FAULT_LABEL in values(at.sidebar.markdown)
    assert "killed by SIGKILL" in text_of(at.sidebar.error)
    fake.state, fake.model_loaded, fake.last_error = "ready", True, None
    fake.engine_host = {
        "pid": 4343,
        "rss_bytes": 10**8,
        "starts": 2,
        "last_exit": "killed by SIGKILL",
    }
    at.run()
    assert "The engine process restarted after it stopped: killed by SIGKILL" in values(
        at.sidebar.caption
    )
