"""LibriSpeech: speaker/chapter tables, transcripts, examples, text configs
(librispeech_full, librispeech_dev_test, librispeech_dev_clean_split, librispeech_adversarial).

Shared notes: `info.metadata` holds `sample_rate` and the `speakers` / `chapters` tables; the last
field of each table keeps any '|' it contains. FLAC is decoded through pydub, which needs ffmpeg."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

import numpy as np
import tensorflow_datasets as tfds
from etils import epath

from dsbuild.families.beam_support import BeamCapable

LIBRISPEECH_SAMPLE_RATE = 16000
LIBRISPEECH_SPEAKER_FIELDS = ("speaker_id", "gender", "subset", "minutes", "name")
LIBRISPEECH_CHAPTER_FIELDS = (
    "chapter_id",
    "speaker_id",
    "minutes",
    "subset",
    "project_id",
    "book_id",
    "chapter_title",
    "project_title",
)
# The 40 speakers of dev-clean, in ARMORY's label order: the class names of a speaker label.
LIBRISPEECH_DEV_CLEAN_SPEAKERS = (  # noqa: SIM905 (40 ids as one packed string, not 40 lines)
    "84 174 251 422 652 777 1272 1462 1673 1919 1988 1993 2035 2078 2086 2277 2412 2428 2803 2902 "
    "3000 3081 3170 3536 3576 3752 3853 5338 5536 5694 5895 6241 6295 6313 6319 6345 7850 7976 8297 8842"
).split()


class LibrispeechTextConfig(tfds.core.BuilderConfig):
    """Chooses how the transcript is stored: plain text or subword ids."""

    def __init__(self, *, version: str, vocab_size: int | None = None, **kwargs: Any) -> None:
        super().__init__(version=tfds.core.Version(version), **kwargs)
        self.vocab_size = vocab_size

    @property
    def text_encoder_config(self) -> tfds.deprecated.text.TextEncoderConfig | None:
        if self.vocab_size is None:
            return None
        return tfds.deprecated.text.TextEncoderConfig(
            encoder_cls=tfds.deprecated.text.SubwordTextEncoder, vocab_size=self.vocab_size
        )


def librispeech_text_configs(version: str) -> list[LibrispeechTextConfig]:
    """`plain_text` plus `subwords8k` / `subwords32k` (a TFDS SubwordTextEncoder of vocab 2**13 / 2**15)."""
    return [
        LibrispeechTextConfig(name="plain_text", version=version, description="Transcripts as plain text."),
        LibrispeechTextConfig(
            name="subwords8k", version=version, vocab_size=2**13, description="Transcripts as subword ids (vocab 8k)."
        ),
        LibrispeechTextConfig(
            name="subwords32k", version=version, vocab_size=2**15, description="Transcripts as subword ids (vocab 32k)."
        ),
    ]


def read_librispeech_table(path: epath.Path, fields: Sequence[str], archive: str) -> dict[int, dict[str, str]]:
    """Parse a pipe-separated LibriSpeech table, skipping ';' comment lines.

    The last field keeps any '|' it contains (a real SPEAKERS.TXT name is `|CBW|Simon`).
    """
    if not path.exists():
        raise FileNotFoundError(f"{path.name} missing from {archive} (expected at {path})")
    table = {}
    for line in path.read_text().splitlines():
        if line.startswith(";") or not line.strip():
            continue
        values = line.split("|", len(fields) - 1)
        table[int(values[0])] = {k: v.strip() for k, v in zip(fields[1:], values[1:], strict=False)}
    return table


def librispeech_download(
    dl_manager: tfds.download.DownloadManager, url_base: str, archives: dict[str, str]
) -> dict[str, epath.Path]:
    """Download and extract `url_base + file` for every split -> file of `archives`; split -> extract dir."""
    urls = {split: url_base + archive for split, archive in archives.items()}
    return {split: epath.Path(d) for split, d in dl_manager.download_and_extract(urls).items()}


def librispeech_metadata(directory: epath.Path, archive: str) -> dict[str, dict[int, dict[str, str]]]:
    """`speakers` and `chapters` tables (for `info.metadata`) from SPEAKERS.TXT / CHAPTERS.TXT in `directory`."""
    return {
        "speakers": read_librispeech_table(directory / "SPEAKERS.TXT", LIBRISPEECH_SPEAKER_FIELDS, archive),
        "chapters": read_librispeech_table(directory / "CHAPTERS.TXT", LIBRISPEECH_CHAPTER_FIELDS, archive),
    }


def librispeech_transcript_files(
    directory: epath.Path, archive: str, *, top: str = "LibriSpeech/<subset>"
) -> list[epath.Path]:
    """The transcript files `<top>/<speaker>/<chapter>/*.txt` under `directory`, sorted: one per chapter.

    Each `<...>` part of `top` matches any one directory (the official archives: `LibriSpeech/<subset>`;
    ARMORY's re-split: `<top>`).
    """
    files = sorted(directory.glob(re.sub(r"<[^>]*>", "*", top) + "/*/*/*.txt"))
    if not files:
        raise FileNotFoundError(f"no {top}/<speaker>/<chapter>/*.txt transcripts in {archive}")
    return files


def librispeech_chapter_transcripts(transcript_file: epath.Path) -> Iterator[tuple[str, str, epath.Path]]:
    """Yield (utterance id, transcript, flac path) for every line of one chapter's transcript file."""
    for line in transcript_file.read_text().splitlines():
        if not line.strip():
            continue
        key, _, text = line.strip().partition(" ")
        yield key, text, transcript_file.parent / f"{key}.flac"


def librispeech_transcripts(
    directory: epath.Path, archive: str, *, top: str = "LibriSpeech/<subset>"
) -> Iterator[tuple[str, str, epath.Path]]:
    """Yield (utterance id, transcript, flac path) for every line of every transcript file, in order."""
    for transcript_file in librispeech_transcript_files(directory, archive, top=top):
        yield from librispeech_chapter_transcripts(transcript_file)


def librispeech_chapter_examples(
    transcript_file: epath.Path | str, archive: str, speakers: Sequence[str] | None = None
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield (utterance id, example) with `id`, `speaker_id`, `chapter_id`, `speech` (the flac) and `text`
    for one chapter. Module level: a Beam worker runs it on one transcript file.

    With `speakers` (class names), the example also gets `label` = the speaker id, which must be one of them.
    """
    for key, text, flac in librispeech_chapter_transcripts(epath.Path(transcript_file)):
        if not flac.exists():
            raise FileNotFoundError(f"{flac.name} (listed in a transcript) missing from {archive}")
        speaker_id, chapter_id, _ = key.split("-")
        example = {
            "id": key,
            "speaker_id": int(speaker_id),
            "chapter_id": int(chapter_id),
            "speech": flac,
            "text": text,
        }
        if speakers is not None:
            if speaker_id not in speakers:
                raise ValueError(
                    f"{flac.name} in {archive}: speaker {speaker_id} is not one of the {len(speakers)} labels"
                )
            example["label"] = speaker_id
        yield key, example


def librispeech_examples(
    directory: epath.Path,
    archive: str,
    *,
    top: str = "LibriSpeech/<subset>",
    speakers: Sequence[str] | None = None,
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield (utterance id, example) for every chapter in order (see `librispeech_chapter_examples`)."""
    for transcript_file in librispeech_transcript_files(directory, archive, top=top):
        yield from librispeech_chapter_examples(transcript_file, archive, speakers)


LIBRISPEECH_HOMEPAGE = "http://www.openslr.org/12"
LIBRISPEECH_CITATION = """\
@inproceedings{panayotov2015librispeech,
  title={Librispeech: an ASR corpus based on public domain audio books},
  author={Panayotov, Vassil and Chen, Guoguo and Povey, Daniel and Khudanpur, Sanjeev},
  booktitle={Acoustics, Speech and Signal Processing (ICASSP), 2015 IEEE International Conference on},
  pages={5206--5210},
  year={2015},
  organization={IEEE}
}
"""


class LibrispeechFamily(BeamCapable):
    """`_info`, `_split_generators`, `_generate_examples` of librispeech_full / _dev_test / _dev_clean_split.

    A builder sets URL_BASE and ARCHIVES (split -> archive file; dict order matters: the speaker and
    chapter tables of `info.metadata` come from the first archive, from the first of its METADATA_DIRS
    holding SPEAKERS.TXT). TOP is the transcripts' directory pattern (see `librispeech_transcripts`).
    With SPEAKERS, examples get a speaker `label` and the supervised target is the label, not the text.
    AUDIO_SAMPLE_RATE is the rate declared on the `speech` feature (info.metadata always holds 16 kHz).
    Subword configs learn their vocabulary from the transcripts of the splits named `train*`.
    Only usable mixed into a `tfds.core.GeneratorBasedBuilder`. With Beam options, one unit of work is
    one chapter (transcript file).
    """

    URL_BASE: ClassVar[str]
    ARCHIVES: ClassVar[dict[str, str]]
    METADATA_DIRS: ClassVar[tuple[str, ...]] = ("LibriSpeech",)
    TOP: ClassVar[str] = "LibriSpeech/<subset>"
    SPEAKERS: ClassVar[Sequence[str] | None] = None
    AUDIO_SAMPLE_RATE: ClassVar[int | None] = LIBRISPEECH_SAMPLE_RATE

    def _info(self) -> tfds.core.DatasetInfo:
        config = self.builder_config  # type: ignore[attr-defined]  # from the builder base
        features: dict[str, Any] = {
            "speech": tfds.features.Audio(sample_rate=self.AUDIO_SAMPLE_RATE),
            "text": tfds.features.Text(encoder_config=None if config is None else config.text_encoder_config),
            "speaker_id": np.int64,
            "chapter_id": np.int64,
            "id": np.str_,
        }
        if self.SPEAKERS is not None:
            features["label"] = tfds.features.ClassLabel(names=self.SPEAKERS)
        return self.dataset_info_from_configs(  # type: ignore[attr-defined]  # from the builder base
            features=tfds.features.FeaturesDict(features),
            supervised_keys=("speech", "text" if self.SPEAKERS is None else "label"),
            homepage=LIBRISPEECH_HOMEPAGE,
            citation=LIBRISPEECH_CITATION,
            metadata=tfds.core.MetadataDict(sample_rate=LIBRISPEECH_SAMPLE_RATE),
        )

    def _split_generators(self, dl_manager: tfds.download.DownloadManager) -> dict[str, Any]:
        dirs = librispeech_download(dl_manager, self.URL_BASE, self.ARCHIVES)
        first = next(iter(self.ARCHIVES))
        info = self.info  # type: ignore[attr-defined]  # from the builder base
        info.metadata.update(librispeech_metadata(self._metadata_dir(dirs[first]), self.ARCHIVES[first]))
        train = [split for split in dirs if split.startswith("train")]
        if train:  # no-op for plain_text; subword configs learn their vocabulary from the train transcripts
            info.features["text"].maybe_build_from_corpus(
                text
                for split in train
                for _, text, _ in librispeech_transcripts(dirs[split], self.ARCHIVES[split], top=self.TOP)
            )
        return {split: self._generate_examples(d, self.ARCHIVES[split]) for split, d in dirs.items()}

    def _metadata_dir(self, directory: epath.Path) -> epath.Path:
        """The first of METADATA_DIRS under `directory` (the first archive's extract dir) with SPEAKERS.TXT."""
        archive = next(iter(self.ARCHIVES.values()))
        for sub in self.METADATA_DIRS:
            if (directory / sub / "SPEAKERS.TXT").exists():
                if not (directory / sub / "CHAPTERS.TXT").exists():
                    raise FileNotFoundError(f"{sub}/CHAPTERS.TXT missing from {archive}")
                return directory / sub
        tried = ", ".join(f"{sub}/SPEAKERS.TXT" for sub in self.METADATA_DIRS)
        raise FileNotFoundError(f"none of {tried} found in {archive}")

    def _generate_examples(self, directory: epath.Path, archive: str) -> Any:
        """A generator in-process, a Beam PTransform with Beam options (see BeamCapable)."""
        chapters = librispeech_transcript_files(directory, archive, top=self.TOP)
        speakers = None if self.SPEAKERS is None else list(self.SPEAKERS)
        return self.split_examples(chapters, librispeech_chapter_examples, archive=archive, speakers=speakers)
