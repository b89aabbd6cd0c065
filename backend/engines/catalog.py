"""The engines one server can switch between, by model key; the manager keeps one resident.

A catalog maps each key (`original`, `turbo`, `multilingual`, `piper`, or a test's own names) to
a factory. Each engine is built once, when first asked for, and kept: an engine host costs no
process until it loads, so a catalog entry that is not resident holds nothing but its static
facts (name, capabilities, check_environment), which the API reads to check a request for a
model before switching to it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping

from backend.engines.base import Engine


class Catalog:
    def __init__(
        self,
        factories: Mapping[str, Callable[[], Engine]],
        default: str,
        titles: Mapping[str, tuple[str, str]] | None = None,
    ):
        """`titles`: key -> (real name, title) for /v1/models and the studio; a key without
        one is listed under the engine's own name."""
        if default not in factories:
            raise ValueError(f"the default model {default!r} is not in the catalog")
        self._factories = dict(factories)
        self.default = default
        self._titles = dict(titles or {})
        self._built: dict[str, Engine] = {}
        self._lock = threading.Lock()

    @classmethod
    def single(cls, engine: Engine, key: str | None = None) -> Catalog:
        """A catalog of one engine (the tests' fakes, a server that cannot switch)."""
        key = key or engine.capabilities.model or engine.name
        catalog = cls({key: lambda: engine}, key)
        catalog._built[key] = engine
        return catalog

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._factories))

    def __contains__(self, key: object) -> bool:
        return key in self._factories

    def engine(self, key: str) -> Engine:
        """The engine for `key`, built on first use (KeyError for a key not in the catalog)."""
        with self._lock:
            engine = self._built.get(key)
            if engine is None:
                engine = self._built[key] = self._factories[key]()
            return engine

    def model_id(self, key: str) -> str:
        """The real name of `key` (chatterbox-turbo), or the engine's name."""
        if key in self._titles:
            return self._titles[key][0]
        return self.engine(key).name

    def title(self, key: str) -> str:
        return self._titles[key][1] if key in self._titles else self.model_id(key)

    def find(self, name: str) -> str | None:
        """The key a request's model name means: a key or a real name; None when unknown."""
        wanted = name.strip().lower()
        for key in self._factories:
            if wanted in (key.lower(), self.model_id(key).lower()):
                return key
        return None
