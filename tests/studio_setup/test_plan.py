"""studio_setup.plan's choice of Chatterbox models, in process on a real project folder: the
choice rule by card, models named with --model, models already there, and the .env step."""

from __future__ import annotations

import pytest

from studio_setup.machine import Gpu, GpuProbe
from studio_setup.plan import Options, Plan, build_plan, describe
from tests.scripts.setup_fakes import project, write_model, write_model_files

NO_GPU = GpuProbe(None, "no NVIDIA GPU found")


def card(mib: int, name: str = "NVIDIA Test Card") -> GpuProbe:
    return GpuProbe(Gpu(name, "551.86", mib))


def plan(tmp_path, gpu: GpuProbe = NO_GPU, *models: str, **options) -> Plan:
    chosen = tuple(models) or ("auto",)
    return build_plan(Options(project(tmp_path), "linux", models=chosen, **options), gpu)


def model_steps(made: Plan) -> list[str]:
    return [step.id for step in made.steps if step.id.startswith("model-")]


@pytest.fixture(autouse=True)
def no_model_setting(monkeypatch):
    monkeypatch.delenv("CHATTERBOX_MODEL", raising=False)
    monkeypatch.delenv("CHATTERBOX_MODEL_CACHE_DIR", raising=False)


@pytest.mark.parametrize(
    ("gpu", "cpu", "model", "why"),
    [
        (card(6144), False, "turbo", "Turbo on cards of 8 GiB or less; this one has 6144 MiB"),
        (card(8192), False, "turbo", "Turbo on cards of 8 GiB or less; this one has 8192 MiB"),
        (card(8193), False, "original", "the original on cards over 8 GiB; this one has 8193"),
        (card(24564), False, "original", "the original on cards over 8 GiB; this one has 24564"),
        (card(24564), True, "turbo", "Turbo on the CPU"),  # --cpu: torch without CUDA
        (NO_GPU, False, "turbo", "Turbo on the CPU"),
    ],
)
def test_auto_takes_the_model_the_choice_rule_picks_for_the_card(tmp_path, gpu, cpu, model, why):
    made = plan(tmp_path, gpu, engine="chatterbox", cpu=cpu)

    assert made.chosen == [model]
    assert why in made.models_reason
    assert model_steps(made) == [f"model-{model}"]
    assert [s for s in made.steps if s.id == "settings"] == []  # auto writes no setting


def test_auto_keeps_an_original_at_the_top_of_the_cache_and_adds_nothing(tmp_path):
    folder = project(tmp_path)
    write_model_files(folder)

    made = build_plan(Options(folder, "linux", engine="chatterbox"), card(6144))

    assert made.chosen == ["original"]
    assert made.models_reason.startswith("already there")
    step = made.steps[-1]
    assert step.id == "model-original"
    assert step.done == "all 5 files complete (sizes match manifest.json)"
    assert "into model_cache" in step.title and "model_cache/original" not in step.title


def test_named_models_are_fetched_in_the_order_given_each_into_its_own_folder(tmp_path):
    made = plan(tmp_path, card(6144), "multilingual", "original", "multilingual")

    assert made.engine == "chatterbox"  # --model asks for Chatterbox
    assert model_steps(made) == ["model-multilingual", "model-original"]
    assert [step.args[-4:] for step in made.steps[-2:]] == [
        ["--model", "multilingual", "--dest", "model_cache"],
        ["--model", "original", "--dest", "model_cache"],
    ]
    assert "into model_cache/multilingual" in made.steps[-2].title
    assert not any(step.id == "settings" for step in made.steps)


def test_one_named_model_is_also_written_to_env_unless_it_already_says_so(tmp_path):
    first = plan(tmp_path / "a", card(6144), "multilingual")
    folder = project(tmp_path / "b")
    (folder / ".env").write_text("CHATTERBOX_MODEL=multilingual\n")
    second = build_plan(Options(folder, "linux", models=("multilingual",)), card(6144))

    assert first.steps[-1].id == "settings" and not first.steps[-1].done
    assert (
        first.steps[-1].title == "Set CHATTERBOX_MODEL=multilingual in .env (the server loads it)"
    )
    assert second.steps[-1].done == "already set"
    assert not (tmp_path / "a" / "project" / ".env").exists()  # planning changes nothing


def test_several_named_models_leave_the_env_setting_as_it_is_and_say_so(tmp_path):
    folder = project(tmp_path)
    (folder / ".env").write_text("CHATTERBOX_MODEL=original\n")

    made = build_plan(Options(folder, "linux", models=("original", "turbo")), card(6144))

    assert any(
        "Several models chosen: .env keeps CHATTERBOX_MODEL=original" in n for n in made.notes
    )


def test_a_complete_model_is_done_and_the_plan_shows_the_models_line(tmp_path):
    folder = project(tmp_path)
    write_model(folder, "turbo")

    made = build_plan(Options(folder, "linux", engine="chatterbox"), card(6144))
    lines = describe(made, "3.11.7")

    assert made.steps[-1].done.startswith("all 10 files complete")
    assert "  Models   Chatterbox Turbo (turbo): already there; add another with --model " in (
        "\n".join(lines)
    )


def test_the_size_left_is_estimated_from_the_models_size_when_the_hub_cannot_say(tmp_path):
    made = plan(tmp_path, card(24564), engine="chatterbox")  # the tests run with HF_HUB_OFFLINE

    step = made.steps[-1]
    assert step.needs_bytes == 3_200_000_000
    assert made.remote["original"].unreachable
    assert any(
        n.startswith("Chatterbox model files: 3.0 GB to download (estimated, since the hub's "
                     "sizes are unknown: HF_HUB_OFFLINE is set)")
        for n in made.notes
    )  # fmt: skip


def test_piper_plans_no_model(tmp_path):
    made = plan(tmp_path, card(6144), engine="piper")

    assert made.chosen == [] and model_steps(made) == []
