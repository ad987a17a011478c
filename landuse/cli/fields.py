"""``landuse fields``: the layers and fields a workspace may hold, with every alias.

The table is :data:`landuse.model.schema.LAYERS`, printed for an analyst who
wants to know which column names landuse recognises before renaming their own.
"""

from __future__ import annotations

import re

import click
from rich.table import Table

from landuse.cli.app import Settings, command, pass_settings, stdout_console
from landuse.model.schema import LAYERS

__all__ = ["fields_command"]

_PINYIN = re.compile(r"^[A-Z][A-Z0-9_]{1,11}$")
_CJK = re.compile(r"[\u3400-\u9fff]")


def _split_aliases(aliases: tuple[str, ...]) -> tuple[list[str], list[str], list[str]]:
    """Chinese names, pinyin codes of national data dictionaries (XZQDM …), other English names."""
    chinese = [a for a in aliases if _CJK.search(a)]
    pinyin = [a for a in aliases if not _CJK.search(a) and _PINYIN.match(a)]
    other = [a for a in aliases if a not in chinese and a not in pinyin]
    return chinese, pinyin, other


@command("fields")
@click.argument("layer", required=False)
@pass_settings
def fields_command(settings: Settings, layer: str | None) -> None:
    """列出图层及其字段：规范字段名、中文别名和拼音代码（如 XZQDM）。

    List the layers a workspace may hold and, for each, its canonical fields
    with the Chinese names and the pinyin codes of national data dictionaries
    that are recognised as the same field. LAYER is a layer's English or
    Chinese name (batches, 批次 …); without it every layer is listed.

    \b
    $ landuse fields
    $ landuse fields 批次
    $ landuse fields supplies --lang en
    """
    t = settings.t
    specs = list(LAYERS.values())
    if layer is not None:
        key = layer.strip().lower()
        specs = [s for s in specs if key == s.name or layer.strip() in s.names or key == s.label_en]
        if not specs:
            names = ", ".join(f"{s.name} ({s.label})" for s in LAYERS.values())
            raise click.BadParameter(
                f"没有图层 “{layer}”，可选：{names} / no layer '{layer}'; choose one of: {names}",
                param_hint="LAYER",
            )
    out = stdout_console()
    for spec in specs:
        kind = {"polygons": t("面", "polygons"), "table": t("表格", "table"),
                "either": t("面或表格", "polygons or a table")}[spec.geometry]
        need = t("必需", "required") if spec.required else t("可选", "optional")
        table = Table(
            title=f"{spec.name}（{spec.label}）· {kind} · {need}",
            caption=t("图层名：", "found by: ") + "、".join(spec.names),
            title_justify="left", caption_justify="left",
        )
        for zh, en in (("字段", "field"), ("中文名", "Chinese"), ("拼音代码", "pinyin codes"),
                       ("其他名称", "other names"), ("必需", "required")):
            table.add_column(t(zh, en), overflow="fold")
        for f in spec.fields:
            chinese, pinyin, other = _split_aliases(tuple(a for a in f.aliases if a != f.name))
            table.add_row(f.name, "、".join(chinese) or f.label, ", ".join(pinyin), ", ".join(other),
                          "✓" if f.required else "")
        out.print(table)
