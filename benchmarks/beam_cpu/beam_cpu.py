"""beam_cpu: a synthetic CPU-bound builder for benchmarks/beam.py (not an ARMORY dataset).

BEAM_CPU_EXAMPLES examples (default 2,000), each costing BEAM_CPU_ROUNDS rounds of sha256 in pure
Python (default 40,000: about 14 ms of one core here); both come from the environment, so the
benchmark can also time the fixed cost (rounds 0). One unit of work is one example.
"""

import hashlib
import os

import numpy as np
import tensorflow_datasets as tfds

from dsbuild.families.beam_support import BeamCapable


def cpu_example(index: int, rounds: int):
    """(index, example): a digest chained `rounds` times from the index. Module level: workers run it."""
    digest = index.to_bytes(8, "little")
    for _ in range(rounds):
        digest = hashlib.sha256(digest).digest()
    yield index, {"digest": np.frombuffer(digest[:8], dtype=np.int64)[0], "index": index}


class BeamCpu(BeamCapable, tfds.core.GeneratorBasedBuilder):
    """Synthetic CPU-heavy examples: in-process, or on Beam with Beam options."""

    VERSION = tfds.core.Version("1.0.0")

    def _info(self):
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict({"digest": np.int64, "index": np.int64}),
            description="Synthetic benchmark data.",
        )

    def _split_generators(self, dl_manager):
        count = int(os.environ.get("BEAM_CPU_EXAMPLES", "2000"))
        rounds = int(os.environ.get("BEAM_CPU_ROUNDS", "40000"))
        return {"train": self._generate_examples(count, rounds)}

    def _generate_examples(self, count: int, rounds: int):
        """A generator in-process, a Beam PTransform with Beam options (see BeamCapable)."""
        return self.split_examples(range(count), cpu_example, rounds=rounds)
