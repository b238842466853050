"""The card as one static HTML page: inline CSS, pictures and sounds as data: URIs, no script.

Every value that came from a dataset (names, descriptions, labels, text features) goes
through `html.escape`; the page holds no absolute paths or times, so it depends only on
the dataset.
"""

from __future__ import annotations

from html import escape
from typing import Any

from dsbuild.card import draw
from dsbuild.card.features import Cell, FeatureRow, example_cells, feature_rows
from dsbuild.card.read import ConfigCard, DatasetCard, SplitCard
from dsbuild.sizes import human_size

MAX_CLASS_NAMES = 60
MAX_HISTOGRAM_ROWS = 60

STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;max-width:1400px}
h1 span{color:#666;font-weight:normal}
table{border-collapse:collapse;margin:.5em 0}
td,th{border:1px solid #ddd;padding:2px 6px;text-align:left;vertical-align:top}
th{background:#f4f4f4}
dl{display:grid;grid-template-columns:max-content auto;gap:2px 12px}
dt{font-weight:bold}dd{margin:0;word-break:break-all}
.grid{display:flex;flex-wrap:wrap;gap:10px}
.example{border:1px solid #ccc;border-radius:4px;padding:6px;margin:0;max-width:760px}
.example figcaption{font-weight:bold}
.cell{margin:4px 0}.key{color:#555;font-family:monospace}
.text{white-space:pre-wrap;font-family:monospace}
.hist td.bar{width:240px}.hist div{background:#4a7fb5;height:10px}
.note{color:#8a5a00}.error{color:#b00020}
img{image-rendering:pixelated;display:block;margin:2px 0}
"""


def _row(*cells: str, header: bool = False) -> str:
    tag = "th" if header else "td"
    return "<tr>" + "".join(f"<{tag}>{c}</{tag}>" for c in cells) + "</tr>"


def _header(card: DatasetCard) -> str:
    first = card.configs[0].info if card.configs else {}
    configs = [c.config for c in card.configs if c.config]
    location = first.get("location")
    urls = location.get("urls") if isinstance(location, dict) else None
    homepage = [url for url in urls if isinstance(url, str)] if isinstance(urls, list) else []
    items: list[tuple[str, str]] = [("configs", escape(", ".join(configs)) if configs else "(none)")]
    if homepage:
        items.append(("homepage", ", ".join(_link(u) for u in homepage)))
    record = card.checksum
    if record is not None:
        items += [
            ("tarball", escape(record.tarball)),
            ("sha256", f"<code>{escape(record.sha256)}</code>"),
            ("size", f"{record.size:,} bytes ({escape(human_size(record.size))})"),
            ("provenance", escape(record.url) if record.url else "local build (not uploaded)"),
            ("subdirs", escape(", ".join(record.subdirs))),
        ]
    else:
        items.append(("checksum", f'<span class="note">{escape(card.checksum_note)}</span>'))
    out = [f"<h1>{escape(card.name)} <span>{escape(card.version)}</span></h1>", "<dl>"]
    out += [f"<dt>{k}</dt><dd>{v}</dd>" for k, v in items]
    out.append("</dl>")
    description = str(first.get("description", "")).strip()
    if description:
        out.append(f'<p class="text">{escape(description)}</p>')
    citation = str(first.get("citation", "")).strip()
    if citation:
        out.append(f"<details><summary>citation</summary><pre>{escape(citation)}</pre></details>")
    return "\n".join(out)


def _link(url: str) -> str:
    if url.startswith(("https://", "http://")):
        return f'<a href="{escape(url)}">{escape(url)}</a>'
    return escape(url)


def _total_counts(config: ConfigCard, key: str) -> list[int] | None:
    totals: list[int] | None = None
    for split in config.splits:
        counts = (split.class_counts or {}).get(key)
        if counts is None:
            if split.info.num_examples:
                return None  # not every split counted: a partial total would mislead
            continue
        totals = [a + b for a, b in zip(totals, counts, strict=True)] if totals else list(counts)
    return totals


def _features_table(config: ConfigCard, rows: list[FeatureRow]) -> str:
    out = ['<table class="features">', _row("key", "type", "shape", "dtype", "classes", header=True)]
    for row in rows:
        classes = ""
        if row.class_names:
            totals = _total_counts(config, row.key)
            names = [
                escape(n) + (f" ({totals[i]:,})" if totals else "")
                for i, n in enumerate(row.class_names[:MAX_CLASS_NAMES])
            ]
            more = len(row.class_names) - MAX_CLASS_NAMES
            classes = f"{len(row.class_names)}: " + ", ".join(names) + (f" … {more} more" if more > 0 else "")
        out.append(_row(f'<span class="key">{escape(row.key)}</span>', row.kind, row.shape, escape(row.dtype), classes))
    out.append("</table>")
    return "\n".join(out)


def _splits_table(config: ConfigCard) -> str:
    out = ['<table class="splits">', _row("split", "examples", "shards", "bytes", header=True)]
    for split in config.splits:
        info = split.info
        out.append(
            f'<tr data-split="{escape(info.name)}" data-examples="{info.num_examples}">'
            f"<td>{escape(info.name)}</td><td>{info.num_examples:,}</td><td>{info.num_shards}</td>"
            f"<td>{info.num_bytes:,} ({escape(human_size(info.num_bytes))})</td></tr>"
        )
    out.append("</table>")
    return "\n".join(out)


def _histogram(key: str, names: list[str], counts: list[int]) -> str:
    peak = max(counts) or 1
    order = sorted(range(len(counts)), key=lambda i: (-counts[i], i))[:MAX_HISTOGRAM_ROWS]
    out = [f'<table class="hist" data-key="{escape(key)}" data-total="{sum(counts)}">']
    out.append(f'<caption class="key">{escape(key)}</caption>')
    for i in order:
        width = f"{100 * counts[i] / peak:.1f}"
        out.append(
            f'<tr data-class="{i}" data-count="{counts[i]}"><td>{escape(names[i])}</td>'
            f'<td class="bar"><div style="width:{width}%"></div></td><td>{counts[i]:,}</td></tr>'
        )
    hidden = len(counts) - len(order)
    if hidden > 0:
        out.append(
            f'<tr><td colspan="3">… {hidden} more classes ({sum(counts) - sum(counts[i] for i in order):,})</td></tr>'
        )
    out.append("</table>")
    return "\n".join(out)


def _cell_html(cell: Cell) -> str:
    key = f'<div class="key">{escape(cell.key)}</div>'
    if cell.kind in ("image", "strip"):
        pictures = "".join(
            f'<img class="{"picture" if cell.kind == "image" else "strip"}" alt="{escape(cell.key)}" '
            f'src="{draw.png_data_uri(png)}">'
            for png in cell.pngs
        )
        return f'<div class="cell {cell.kind}">{key}{pictures}<small>{escape(cell.text)}</small></div>'
    if cell.kind == "audio":
        player = f'<audio controls preload="none" src="{draw.wav_data_uri(cell.wav)}"></audio>' if cell.wav else ""
        return (
            f'<div class="cell audio">{key}{player}'
            f'<img class="waveform" alt="waveform of {escape(cell.key)}" src="{draw.png_data_uri(cell.pngs[0])}">'
            f"<small>{escape(cell.text)}</small></div>"
        )
    return f'<div class="cell {cell.kind}">{key}<div class="text">{escape(cell.text)}</div></div>'


def _split_section(config: ConfigCard, split: SplitCard, features: Any) -> str:
    info = split.info
    out = [f'<section class="split" data-split="{escape(info.name)}">']
    out.append(f"<h3>{escape(info.name)}: {info.num_examples:,} examples</h3>")
    if split.error:
        out.append(f'<p class="error">{escape(split.error)}</p>')
    if split.counts_note:
        out.append(f'<p class="note">{escape(split.counts_note)}</p>')
    labels = {row.key: list(row.class_names) for row in feature_rows(features) if row.class_names}
    for key, counts in (split.class_counts or {}).items():
        out.append(_histogram(key, labels.get(key, [str(i) for i in range(len(counts))]), counts))
    if split.examples:
        out.append(f"<p>the first {len(split.examples)} examples in file order</p>")
        out.append('<div class="grid">')
        for index, example in enumerate(split.examples):
            cells = "".join(_cell_html(cell) for cell in example_cells(features, example))
            out.append(f'<figure class="example"><figcaption>#{index}</figcaption>{cells}</figure>')
        out.append("</div>")
    out.append("</section>")
    return "\n".join(out)


def _config_section(config: ConfigCard) -> str:
    out = [f'<section class="config" data-config="{escape(config.config)}">']
    if config.config:
        out.append(f"<h2>config {escape(config.config)}</h2>")
        description = str(config.info.get("configDescription", "")).strip()
        if description:
            out.append(f"<p>{escape(description)}</p>")
    out.append(_splits_table(config))
    if config.error:
        out.append(f'<p class="error">{escape(config.error)}</p>')
    if config.features is not None:
        out.append("<h3>features</h3>")
        out.append(_features_table(config, feature_rows(config.features)))
        for split in config.splits:
            out.append(_split_section(config, split, config.features))
    out.append("</section>")
    return "\n".join(out)


def render(card: DatasetCard) -> str:
    title = escape(f"{card.name} {card.version}: dataset card")
    body = [_header(card), *(_config_section(config) for config in card.configs)]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{title}</title><style>{STYLE}</style></head>\n<body>\n" + "\n".join(body) + "\n</body></html>\n"
    )
