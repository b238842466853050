"""One builder class, two ways to generate: in-process, or as an Apache Beam pipeline over small units.

TFDS 4.9.10 runs a split on Beam when `_split_generators` returns a `beam.PTransform` for it, and
creates the pipeline from `DownloadConfig.beam_options` / `beam_runner`. A builder that mixes in
`BeamCapable` notes in `download_and_prepare` whether those were given, and `split_examples` then
returns either a plain generator (exactly the old in-process path) or
`Create(units) | Reshuffle | FlatMap(function)`. The function must be module level (workers import it
by name) and yield the same `(key, example)` pairs either way, so both paths decode alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, ClassVar

import tensorflow_datasets as tfds

KeyExample = tuple[Any, dict[str, Any]]


def beam_requested(download_config: tfds.download.DownloadConfig | None) -> bool:
    """Whether TFDS will run Beam pipelines for this build (the rule of SplitBuilder.beam_pipeline)."""
    return download_config is not None and (
        download_config.beam_options is not None or download_config.beam_runner is not None
    )


def _in_process(units: Sequence[Any], function: Callable[..., Iterable[KeyExample]], kwargs: dict[str, Any]):
    for unit in units:
        yield from function(unit, **kwargs)


def _worker_examples(
    unit: Any, function: Callable[..., Iterable[KeyExample]], kwargs: dict[str, Any]
) -> Iterator[KeyExample]:
    """`function(unit, **kwargs)` on a Beam worker, which first serializes as deterministically as the
    `tfds build` child does (dsbuild.build.determinism): TFDS encodes and serializes each example in the same
    fused stage, so in this process."""
    from dsbuild.build import determinism

    determinism.apply()
    yield from function(unit, **kwargs)


class BeamCapable:
    """Mixin for a `tfds.core.GeneratorBasedBuilder` (listed before it) that can also generate on Beam.

    `BEAM_CAPABLE` is what dsbuild checks before it gives a build Beam options (see dsbuild.build.beam).
    """

    BEAM_CAPABLE: ClassVar[bool] = True
    _use_beam: bool = False

    def download_and_prepare(self, **kwargs: Any) -> None:
        self._use_beam = beam_requested(kwargs.get("download_config"))
        super().download_and_prepare(**kwargs)  # type: ignore[misc]  # from the builder base

    def split_examples(
        self, units: Sequence[Any], function: Callable[..., Iterable[KeyExample]], **kwargs: Any
    ) -> Iterator[KeyExample] | Any:
        """`function(unit, **kwargs)` for every unit: a generator in-process, a `beam.PTransform` on Beam.

        `units` and `kwargs` are sent to the workers, so they hold plain data (strings, numbers, paths).
        A Reshuffle after Create spreads the units over the workers instead of fusing them into one.
        """
        if not self._use_beam:
            return _in_process(units, function, kwargs)
        beam = tfds.core.lazy_imports.apache_beam
        return beam.Create(list(units)) | beam.Reshuffle() | beam.FlatMap(_worker_examples, function, kwargs)
