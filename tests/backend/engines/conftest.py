"""Fixtures for the engine tests: the fake chatterbox package and a checkpoint folder for it."""

from tests.helpers.fake_chatterbox import fake, model_dir

__all__ = ["fake", "model_dir"]
