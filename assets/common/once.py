"""One instance per process of something costly to build (a model), built on first use."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class PerProcess(Generic[T]):
    """Builds ``factory(*args)`` once, on the first ``get``; later calls return that instance
    whatever they pass, so every caller in the process shares one loaded model."""

    def __init__(self, factory: Callable[..., T]) -> None:
        self._factory = factory
        self._value: T | None = None
        self._lock = threading.Lock()

    def get(self, *args) -> T:
        with self._lock:
            if self._value is None:
                self._value = self._factory(*args)
            return self._value
