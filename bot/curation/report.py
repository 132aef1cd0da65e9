"""The curators' reports as plain text, JSON and CSV, and the questions-per-day chart as an image.

The chart is drawn with Pillow's ImageDraw: a well-kept library with wheels for every common
platform (7 MB wheel, no dependencies of its own) and a bundled scalable font. matplotlib
would bring about 41 MB of wheels (numpy, fonttools, contourpy, kiwisolver and Pillow itself)
for one bar chart, and SVG chart libraries such as pygal need cairo to make a PNG.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from PIL import Image, ImageDraw, ImageFont

from bot.curation.store import Stats, UnansweredGroup
from bot.engine.model import QUESTION_OUTCOMES, Outcome

FORMATS = ("text", "json", "csv")
CHART_DAYS = 30
# Image formats the chart is written in, chosen by the file's extension (what Pillow can write
# from an RGB image without extra libraries).
CHART_FORMATS = ("PNG", "JPEG", "WEBP", "GIF", "BMP", "TIFF")
SHOWN_QUESTION_CHARS = 80  # twenty report lines must fit one Telegram message (4096 chars)

# Stacked bottom to top in this order.
COLOURS = {
    Outcome.ANSWERED: (76, 154, 42),
    Outcome.SUGGESTED: (224, 161, 0),
    Outcome.ABSTAINED: (200, 68, 47),
}


def format_unanswered(groups: Sequence[UnansweredGroup], days: int, fmt: str = "text") -> str:
    """The unanswered-questions report in one of FORMATS."""
    if fmt == "json":
        return json.dumps(
            {"days": days, "groups": [_group_json(g) for g in groups]},
            ensure_ascii=False,
            indent=2,
        )
    if fmt == "csv":
        return _csv(
            [
                "count",
                "question",
                *(o.value for o in QUESTION_OUTCOMES),
                "unhelpful",
                "variants",
                "closest_entry",
                "last_asked",
            ],
            [
                [
                    g.count,
                    _cell(g.question),
                    *(g.outcomes.get(o.value, 0) for o in QUESTION_OUTCOMES),
                    g.unhelpful,
                    g.variants,
                    g.closest_entry or "",
                    g.last_asked,
                ]
                for g in groups
            ],
        )
    _check(fmt)
    if not groups:
        return f"No unanswered questions in the last {_days(days)}."
    total = sum(g.count for g in groups)
    lines = [f"Unanswered questions, last {_days(days)}: {len(groups)} group(s), {total} asked"]
    for number, group in enumerate(groups, 1):
        details = [f"{outcome} {count}" for outcome, count in group.outcomes.items()]
        if group.unhelpful:
            details.append(f"👎 {group.unhelpful}")
        if group.variants > 1:
            details.append(f"{group.variants} phrasings")
        if group.closest_entry:
            details.append(f"closest: {group.closest_entry}")
        lines.append(f"{number}. {group.count}× {_shorten(group.question)}")
        lines.append("   " + " · ".join(details))
    return "\n".join(lines)


def format_stats(stats: Stats, fmt: str = "text", *, taught: int | None = None) -> str:
    """The usage statistics in one of FORMATS (CSV: one row per day); ``taught``: how many
    answered questions were answered through a phrasing taught from Telegram."""
    if fmt == "json":
        data = _stats_json(stats)
        if taught is not None:
            data["taught_answers"] = taught
        return json.dumps(data, ensure_ascii=False, indent=2)
    if fmt == "csv":
        return _csv(
            ["day", *(o.value for o in QUESTION_OUTCOMES), "total"],
            [
                [d.day.isoformat(), d.answered, d.suggested, d.abstained, d.total]
                for d in stats.per_day
            ],
        )
    _check(fmt)
    window = f"Last {_days(stats.days)} ({stats.per_day[0].day} to {stats.per_day[-1].day})"
    if not stats.total:
        return f"{window}: no questions."
    lines = [f"{window}: {stats.total} questions, {stats.total / stats.days:.1f} a day"]
    lines.append(
        " · ".join(f"{o.value} {stats.count(o)} ({stats.rate(o):.1%})" for o in QUESTION_OUTCOMES)
    )
    if stats.chat:
        lines.append(
            f"not counted: {stats.chat} greetings, thanks and requests for help or the sources"
        )
    lines.append(f"feedback: 👍 {stats.helpful} · 👎 {stats.unhelpful}")
    if taught is not None:
        lines.append(f"taught answers: {taught} (answered through phrasings taught from Telegram)")
    if stats.top_entries:
        top = ", ".join(f"{entry} {count}" for entry, count in stats.top_entries)
        lines.append(f"top entries: {top}")
    return "\n".join(lines)


def chart_extensions() -> dict[str, str]:
    """The file extensions `--chart` accepts, each with its image format (Pillow's name)."""
    return {
        extension: image_format
        for extension, image_format in Image.registered_extensions().items()
        if image_format in CHART_FORMATS and image_format in Image.SAVE
    }


def chart_format(path: str | os.PathLike[str]) -> str | None:
    """The image format a chart file's extension names, or None if none of CHART_FORMATS."""
    return chart_extensions().get(Path(path).suffix.lower())


def render_chart(
    stats: Stats, target: str | os.PathLike[str] | IO[bytes], image_format: str = "PNG"
) -> None:
    """Draw questions per day of the last 30 days, stacked by outcome, in ``image_format``
    (one of CHART_FORMATS)."""
    days = stats.per_day[-CHART_DAYS:]
    width, height = 900, 420
    left, right, top, bottom = 56, 24, 56, 48
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=13)
    draw.text((left, 16), f"Questions per day, last {len(days)} days (UTC)", "black", font)

    highest = max((d.total for d in days), default=0)
    step = _nice_step(highest / 5) if highest else 1
    ceiling = max(step, math.ceil(highest / step) * step)
    plot_height = height - top - bottom
    for value in range(0, ceiling + 1, step):
        y = height - bottom - value * plot_height / ceiling
        draw.line([(left, y), (width - right, y)], (225, 225, 225))
        draw.text((left - 6, y), str(value), "black", font, anchor="rm")

    slot = (width - left - right) / max(len(days), 1)
    label_every = math.ceil(len(days) / 10) or 1
    for index, day in enumerate(days):
        x0 = left + index * slot + slot * 0.15
        x1 = left + (index + 1) * slot - slot * 0.15
        base = height - bottom
        for outcome, colour in COLOURS.items():
            count = getattr(day, outcome.value)
            if count:
                bar_top = base - count * plot_height / ceiling
                draw.rectangle([(x0, bar_top), (x1, base)], colour)
                base = bar_top
        if index % label_every == 0 or index == len(days) - 1:
            label = day.day.strftime("%m-%d")
            draw.text(((x0 + x1) / 2, height - bottom + 8), label, "black", font, anchor="mt")
    draw.line([(left, height - bottom), (width - right, height - bottom)], "black")
    if not highest:
        draw.text((width / 2, height / 2), "no questions", (120, 120, 120), font, anchor="mm")

    x = width - right
    for outcome, colour in reversed(COLOURS.items()):
        x -= draw.textlength(outcome.value, font) + 4
        draw.text((x, 22), outcome.value, "black", font, anchor="lm")
        x -= 14
        draw.rectangle([(x, 16), (x + 10, 28)], colour)
        x -= 16
    image.save(target, format=image_format)


def _nice_step(raw: float) -> int:
    """The smallest 1, 2 or 5 times a power of ten that is at least ``raw`` (and at least 1)."""
    magnitude = 10 ** max(0, math.floor(math.log10(raw))) if raw >= 1 else 1
    return next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)


def _group_json(group: UnansweredGroup) -> dict[str, Any]:
    return {
        "question": group.question,
        "count": group.count,
        "outcomes": group.outcomes,
        "unhelpful": group.unhelpful,
        "variants": group.variants,
        "closest_entry": group.closest_entry,
        "last_asked": group.last_asked,
    }


def _stats_json(stats: Stats) -> dict[str, Any]:
    return {
        "days": stats.days,
        "first_day": stats.per_day[0].day.isoformat(),
        "last_day": stats.per_day[-1].day.isoformat(),
        "total": stats.total,
        "outcomes": {o.value: stats.count(o) for o in QUESTION_OUTCOMES},
        "rates": {o.value: round(stats.rate(o), 4) for o in QUESTION_OUTCOMES},
        "chat": stats.chat,
        "helpful": stats.helpful,
        "unhelpful": stats.unhelpful,
        "top_entries": [{"entry": e, "count": c} for e, c in stats.top_entries],
        "per_day": [
            {"day": d.day.isoformat(), **{o.value: getattr(d, o.value) for o in QUESTION_OUTCOMES}}
            for d in stats.per_day
        ],
    }


def _csv(header: list[str], rows: list[list[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def _cell(text: str) -> str:
    """Readers' text made inert for spreadsheets, which run cells starting like a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _shorten(text: str) -> str:
    return text if len(text) <= SHOWN_QUESTION_CHARS else text[: SHOWN_QUESTION_CHARS - 1] + "…"


def _days(days: int) -> str:
    return "day" if days == 1 else f"{days} days"


def _check(fmt: str) -> None:
    if fmt not in FORMATS:
        raise ValueError(f"unknown report format {fmt!r}: expected one of {', '.join(FORMATS)}")
