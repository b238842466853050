"""The bucket's catalog page `datasets/index.html`, and the card summary it is made from.

The page is a pure function of what the bucket holds: each published checksum file,
whether a card sits beside it, and the card's summary `<name>-<version>.card.json`
(examples per split, features, description), which `upload.py --card` uploads with the
card because neither the checksum file nor the listing knows them. Everything read from
a bucket is attacker input: each summary is validated and bounded, and every value goes
through `html.escape`. The page has no script, no remote resource, no time: the same
bucket contents give the same bytes, so two maintainers regenerating it converge.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import Any

from dsbuild.artifact.built_dataset import BuiltDataset
from dsbuild.artifact.checksums import ChecksumRecord
from dsbuild.paths import card_name
from dsbuild.sizes import human_size

SUMMARY_FORMAT = 1
MAX_DESCRIPTION = 600
MAX_SPLITS = 64
MAX_FEATURES = 64
MAX_TEXT = 200

# One published dataset: its checksum record, its summary as read (None: absent or unreadable), a card beside it.
Item = tuple[ChecksumRecord, Any, bool]


# ---------------------------------------------------------------- the summary


def _feature_text(key: str, spec: Any) -> str:
    if not isinstance(spec, dict):
        return key
    kind = str(spec.get("pythonClassName", "?")).rsplit(".", 1)[-1]
    inner = next((v for k, v in spec.items() if k != "pythonClassName" and isinstance(v, dict)), {})
    parts = [kind]
    dims = (inner.get("shape") or {}).get("dimensions") if isinstance(inner.get("shape"), dict) else None
    if isinstance(dims, list):
        parts.append("x".join("?" if str(d) == "-1" else str(d) for d in dims) or "scalar")
    if isinstance(inner.get("dtype"), str):
        parts.append(inner["dtype"])
    if "numClasses" in inner:
        parts.append(f"{inner['numClasses']} classes")
    if kind == "FeaturesDict" and isinstance(inner.get("features"), dict):
        parts.append(f"{len(inner['features'])} keys")
    return f"{key}: {' '.join(parts)}"


def summarise(built: BuiltDataset) -> dict[str, Any]:
    """The catalog's facts about a built dataset, from its JSON files (no TensorFlow)."""
    splits: list[dict[str, Any]] = []
    description, features = "", []
    for config, version_dir in zip(built.configs or (None,), built.version_dirs, strict=True):
        info = json.loads((version_dir / "dataset_info.json").read_text(encoding="utf-8"))
        description = description or str(info.get("description", ""))
        for split in info.get("splits", []):
            examples = sum(int(n) for n in split.get("shardLengths", []))
            splits.append({"name": str(split.get("name", "?")), "config": config, "examples": examples})
        if not features:
            spec = json.loads((version_dir / "features.json").read_text(encoding="utf-8"))
            top = (spec.get("featuresDict") or {}).get("features") or {}
            features = [_feature_text(str(k), v) for k, v in sorted(top.items())]
    return {
        "format": SUMMARY_FORMAT,
        "name": built.name,
        "version": built.version,
        "description": description.strip()[:MAX_DESCRIPTION],
        "splits": splits[:MAX_SPLITS],
        "features": [f[:MAX_TEXT] for f in features[:MAX_FEATURES]],
    }


def _short(value: Any) -> str | None:
    return value if isinstance(value, str) and len(value) <= MAX_TEXT else None


def valid_summary(raw: Any, name: str, version: str) -> dict[str, Any] | None:
    """The summary if it is well-formed and about `name` `version`, else None (shown as unknown)."""
    if not isinstance(raw, dict) or (raw.get("name"), raw.get("version")) != (name, version):
        return None
    description, splits, features = raw.get("description"), raw.get("splits"), raw.get("features")
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
        return None
    if not isinstance(splits, list) or len(splits) > MAX_SPLITS:
        return None
    if not isinstance(features, list) or len(features) > MAX_FEATURES or any(_short(f) is None for f in features):
        return None
    clean = []
    for split in splits:
        if not isinstance(split, dict) or _short(split.get("name")) is None:
            return None
        examples, config = split.get("examples"), split.get("config")
        if not isinstance(examples, int) or isinstance(examples, bool) or examples < 0:
            return None
        if config is not None and _short(config) is None:
            return None
        clean.append({"name": split["name"], "config": config, "examples": examples})
    return {"description": description, "splits": clean, "features": list(features)}


# ---------------------------------------------------------------- the page

STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:1.5em;color:#222;max-width:1300px}
h1 span,.muted{color:#666;font-weight:normal}
table{border-collapse:collapse;margin:.5em 0 1.5em}
td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f4f4f4}
td.num{text-align:right;white-space:nowrap}
code,pre{font-family:ui-monospace,monospace;font-size:12.5px}
pre{background:#f6f8fa;border:1px solid #e1e4e8;padding:6px 8px;white-space:pre-wrap;word-break:break-all;margin:.3em 0}
section{border-top:1px solid #ccc;margin-top:1.2em;padding-top:.3em}
dl{display:grid;grid-template-columns:max-content auto;gap:2px 14px}
dt{font-weight:bold}dd{margin:0;word-break:break-all}
ul{margin:0;padding-left:1.2em}
.desc{white-space:pre-wrap}
"""


def _version_key(record: ChecksumRecord) -> tuple[str, tuple[int, ...]]:
    return record.name, tuple(int(p) for p in record.version.split("."))


def _splits(summary: dict[str, Any] | None) -> str:
    if summary is None:
        return '<span class="muted">unknown (no card summary)</span>'
    parts = [
        f"{escape(s['config'] + '/' if s['config'] else '')}{escape(s['name'])}: {s['examples']:,}"
        for s in summary["splits"]
    ]
    return ", ".join(parts) or "-"


def _provenance(record: ChecksumRecord) -> str:
    prov = record.provenance
    if not prov:
        return '<span class="muted">none: cannot be checked with build.py --check</span>'
    builder = prov.get("builder") or {}
    tools = prov.get("tools") or {}
    source = builder.get("source_sha256")
    items = [f"builder source {escape(str(source)[:12])}" if source else "builder: TFDS's own"]
    items += [f"{escape(str(k))} {escape(str(v))}" for k, v in sorted(tools.items()) if k != "python"]
    items.append(f"{len(prov.get('sources') or {})} source file(s)")
    return "; ".join(items)


def _commands(record: ChecksumRecord, prefix: str) -> str:
    bucket, key = (record.url or "").removeprefix("s3://").partition("/")[::2]
    prefix_option = "" if prefix == "datasets/" else f" --prefix {prefix}"
    download = f"python download.py {record.name}:{record.version} -b {bucket}{prefix_option}"
    armory = f"{bucket} {key} {record.size} {record.sha256}"
    return (
        f"<dt>download</dt><dd><pre>{escape(download)}</pre></dd>"
        f"<dt>ARMORY</dt><dd>line for armory/data/cached_s3_checksums/{escape(record.name)}.txt "
        f"(<code>upload.py --armory-checksums-dir</code> writes it):<pre>{escape(armory)}</pre></dd>"
    )


def _section(record: ChecksumRecord, summary: dict[str, Any] | None, card: bool, prefix: str) -> str:
    anchor = escape(f"{record.name}-{record.version}")
    card_link = (
        f'<a href="{escape(card_name(record.name, record.version))}">{escape(card_name(record.name, record.version))}</a>'
        if card
        else '<span class="muted">no card published</span>'
    )
    features = (
        "<ul>" + "".join(f"<li><code>{escape(f)}</code></li>" for f in summary["features"]) + "</ul>"
        if summary and summary["features"]
        else '<span class="muted">unknown</span>'
    )
    rows = [
        ("sha256", f"<code>{escape(record.sha256)}</code>"),
        ("size", f"{record.size:,} bytes ({escape(human_size(record.size))})"),
        ("tarball", f"<code>{escape(record.url or record.tarball)}</code>"),
        ("restores", escape(", ".join(record.subdirs))),
        ("examples", _splits(summary)),
        ("features", features),
        ("card", card_link),
        ("provenance", _provenance(record)),
    ]
    out = [f'<section id="{anchor}"><h2>{escape(record.name)} <span class="muted">{escape(record.version)}</span></h2>']
    if summary and summary["description"]:
        out.append(f'<p class="desc">{escape(summary["description"])}</p>')
    out.append("<dl>" + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in rows) + _commands(record, prefix) + "</dl>")
    out.append("</section>")
    return "\n".join(out)


def render_catalog(location: str, prefix: str, items: Sequence[Item]) -> str:
    """The page for `items` (any order): a table of every dataset, then one section each."""
    checked = sorted(
        ((r, valid_summary(s, r.name, r.version), c) for r, s, c in items), key=lambda item: _version_key(item[0])
    )
    head = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Datasets in {escape(location)}</title><style>{STYLE}</style></head><body>"
    )
    intro = (
        f"<h1>Datasets <span>in {escape(location)}</span></h1>"
        f"<p>{len(checked)} published dataset(s), from the bucket's checksum files. "
        "Each tarball is verified (size and sha256) and extracted safely by <code>download.py</code>.</p>"
    )
    table = ["<table><tr><th>dataset</th><th>version</th><th>size</th><th>examples</th><th>card</th></tr>"]
    for record, summary, card in checked:
        anchor = escape(f"{record.name}-{record.version}")
        link = f'<a href="{escape(card_name(record.name, record.version))}">card</a>' if card else "-"
        table.append(
            f'<tr><td><a href="#{anchor}">{escape(record.name)}</a></td><td>{escape(record.version)}</td>'
            f'<td class="num">{escape(human_size(record.size))}</td><td>{_splits(summary)}</td><td>{link}</td></tr>'
        )
    table.append("</table>")
    sections = [_section(r, s, c, prefix) for r, s, c in checked]
    return "\n".join([head, intro, "\n".join(table), *sections, "</body></html>", ""])


def write_card(built: BuiltDataset) -> Path:
    from dsbuild.card import write_card as write

    return write(built)


def summary_bytes(built: BuiltDataset) -> bytes:
    return (json.dumps(summarise(built), indent=1, sort_keys=True) + "\n").encode("utf-8")
