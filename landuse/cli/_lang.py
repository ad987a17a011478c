"""The command line in one language at a time: help texts and click's own words.

Help texts are written once, bilingual: a command's docstring has its Chinese
paragraphs, its English paragraphs and its ``$ landuse …`` examples; an
option's help is ``中文 / English``. :class:`LanguageCommand` and
:class:`LanguageGroup` show only the chosen language's part, and
:func:`install` makes click's own words ("Usage:", "Error: Invalid value …",
"Show this message and exit.") follow the language too. The language is the
one ``--lang`` (or ``LANDUSE_LANG``) chose; before either is read, Chinese.
"""

from __future__ import annotations

import contextvars
import gettext
import inspect
import os
import re
import sys

import click

__all__ = ["LanguageCommand", "LanguageGroup", "current", "install", "localise", "pick", "set_lang"]

_LANG: contextvars.ContextVar[str | None] = contextvars.ContextVar("landuse_lang", default=None)

_CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f\u201c\u201d]")
_LATIN = re.compile(r"[A-Za-z]")

#: click's own words in Chinese (the messages click passes through gettext).
CLICK_ZH: dict[str, str] = {
    "Usage:": "用法：",
    "Options": "选项",
    "Commands": "命令",
    "Show this message and exit.": "显示本帮助并退出。",
    "Show the version and exit.": "显示版本并退出。",
    "Error: {message}": "错误：{message}",
    "Try '{command} {option}' for help.": "运行 '{command} {option}' 查看帮助。",
    "Invalid value: {message}": "无效的值：{message}",
    "Invalid value for {param_hint}: {message}": "{param_hint} 的值无效：{message}",
    "Missing argument": "缺少参数",
    "Missing option": "缺少选项",
    "Missing parameter": "缺少参数",
    "Missing {param_type}": "缺少{param_type}",
    "Missing parameter: {param_name}": "缺少参数：{param_name}",
    "No such option {name!r}.": "没有选项 {name!r}。",
    "No such command {name!r}.": "没有命令 {name!r}。",
    "Missing command.": "缺少命令。",
    "Aborted!": "已中止！",
    "Choose from:\n\t{choices}": "可选：\n\t{choices}",
    "{value!r} is not a valid {number_type}.": "{value!r} 不是有效的{number_type}。",
    "{value} is not in the range {range}.": "{value} 不在范围 {range} 内。",
    "{name} {filename!r} does not exist.": "{name} {filename!r} 不存在。",
    "{name} {filename!r} is a file.": "{name} {filename!r} 是文件。",
    "{name} {filename!r} is a directory.": "{name} {filename!r} 是文件夹。",
    "{name} {filename!r} is not readable.": "{name} {filename!r} 不可读。",
    "{name} {filename!r} is not writable.": "{name} {filename!r} 不可写。",
    "file": "文件",
    "directory": "文件夹",
    "path": "路径",
    "env var: {var}": "环境变量：{var}",
    "default: {default}": "默认：{default}",
    "(dynamic)": "（动态）",
    "Option {name!r} does not take a value.": "选项 {name!r} 不接受值。",
}
#: Plural messages (singular, plural) → Chinese (no plural in Chinese).
CLICK_ZH_PLURAL: dict[str, str] = {
    "Got unexpected extra argument ({args})": "多余的参数（{args}）",
    "Option {name!r} requires an argument.": "选项 {name!r} 需要一个值。",
    "Did you mean {possibility}?": "您是否要输入 {possibility}？",
    "{value!r} is not {choice}.": "{value!r} 不是 {choice}。",
    "{value!r} does not match the format {format}.": "{value!r} 不符合格式 {format}。",
}


def current() -> str:
    """The language in force: ``--lang``, else ``LANDUSE_LANG``, else ``"zh"``."""
    lang = _LANG.get()
    if lang is None:
        lang = os.environ.get("LANDUSE_LANG", "zh")
    return "en" if lang == "en" else "zh"


def set_lang(lang: str | None) -> None:
    """Record the language ``--lang`` chose (for help and click's own words); None forgets it."""
    _LANG.set(lang)


def _gettext(message: str) -> str:
    return CLICK_ZH.get(message, message) if current() == "zh" else message


def _ngettext(singular: str, plural: str, n: int) -> str:
    if current() == "zh":
        return CLICK_ZH_PLURAL.get(singular, singular if n == 1 else plural)
    return singular if n == 1 else plural


def install() -> None:
    """Route click's own words through :func:`current`'s language.

    click calls ``gettext``/``ngettext`` bound as module globals ``_`` and
    ``ngettext`` in each of its modules; they are replaced by lookups in
    :data:`CLICK_ZH`, which leave English as it is.
    """
    for name in ("core", "decorators", "exceptions", "formatting", "parser", "types", "termui"):
        module = sys.modules.get(f"click.{name}")
        if module is None:
            continue
        if getattr(module, "_", None) is gettext.gettext:
            module._ = _gettext  # type: ignore[attr-defined]
        if getattr(module, "ngettext", None) is gettext.ngettext:
            module.ngettext = _ngettext  # type: ignore[attr-defined]


def _is_example(paragraph: str) -> bool:
    lines = [ln.strip() for ln in paragraph.strip().splitlines() if ln.strip() and ln.strip() != "\b"]
    return bool(lines) and all(ln.startswith("$") for ln in lines)


def _is_chinese(text: str) -> bool:
    """Mostly Chinese: English paragraphs may name a Chinese term (公顷, 亩, 增存挂钩)."""
    return 3 * len(_CJK.findall(text)) >= len(_LATIN.findall(text))


def _split_pair(text: str) -> tuple[str, str] | None:
    """``中文 / English`` → both halves, or None when ``text`` is not such a pair."""
    for match in re.finditer(r"\s?/\s", text):
        zh, en = text[: match.start()].strip(), text[match.end():].strip()
        if zh and en and _is_chinese(zh) and not _is_chinese(en):
            return zh, en
    return None


_CLICK_EN = {zh: en for en, zh in CLICK_ZH.items()}


def localise(text: str | None, lang: str | None = None) -> str | None:
    """One help text in ``lang``: click's own words looked up, bilingual ones picked."""
    if text is None:
        return None
    lang = lang or current()
    if text in _CLICK_EN or text in CLICK_ZH:
        english = _CLICK_EN.get(text, text)
        return CLICK_ZH.get(english, english) if lang == "zh" else english
    return pick(text, lang)


def pick(text: str | None, lang: str | None = None) -> str | None:
    """Keep the ``lang`` part of a bilingual help text.

    Paragraphs that are ``中文 / English`` pairs keep their half; a paragraph
    with Chinese in it (outside its examples) is Chinese; one without is
    English; examples (lines starting with ``$``) stay in both.

    Examples
    --------
    >>> pick("输出语言 / output language.", "en")
    'output language.'
    >>> pick("一个县区。\\n\\nOne county.\\n\\n\\b\\n$ landuse quota 遂平县", "zh")
    '一个县区。\\n\\n\\x08\\n$ landuse quota 遂平县'
    """
    if text is None:
        return None
    lang = lang or current()
    text = inspect.cleandoc(text)
    pair = _split_pair(text) if "\n" not in text.strip() else None
    if pair is not None:
        return pair[0] if lang == "zh" else pair[1]
    kept = []
    for paragraph in re.split(r"\n\s*\n", text):
        if not paragraph.strip():
            continue
        if _is_example(paragraph):
            kept.append(paragraph)
            continue
        body = "\n".join(ln for ln in paragraph.splitlines() if ln.strip() != "\b")
        pair = _split_pair(" ".join(body.split()))
        if pair is not None:
            kept.append(pair[0] if lang == "zh" else pair[1])
        elif _is_chinese(body) == (lang == "zh"):
            kept.append(paragraph)
    return "\n\n".join(kept)


class _OneLanguage:
    """Mix-in: format help, short help and option help in the chosen language."""

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        lang = current()
        options = [p for p in self.get_params(ctx) if isinstance(p, click.Option)]  # type: ignore[attr-defined]
        saved = [(p, p.help) for p in options]
        saved_help = self.help  # type: ignore[has-type]
        try:
            for param, text in saved:
                param.help = localise(text, lang)
            self.help = pick(saved_help, lang)
            super().format_help(ctx, formatter)  # type: ignore[misc]
        finally:
            for param, text in saved:
                param.help = text
            self.help = saved_help

    def get_short_help_str(self, limit: int = 45) -> str:
        text = self.short_help or pick(self.help) or ""  # type: ignore[attr-defined]
        paragraphs = [p for p in re.split(r"\n\s*\n", text) if p.strip() and not _is_example(p)]
        first = paragraphs[0] if paragraphs else ""
        return click.utils.make_default_short_help(" ".join(first.split()), limit)


class LanguageCommand(_OneLanguage, click.Command):
    """A click command whose help shows one language (see :func:`pick`)."""


class LanguageGroup(_OneLanguage, click.Group):
    """A click group whose help and command list show one language."""

    command_class = LanguageCommand

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            cmd = self.get_command(ctx, name)
            if cmd is None or cmd.hidden:
                continue
            rows.append((name, cmd.get_short_help_str(formatter.width - 6 - len(name))))
        if rows:
            with formatter.section(_gettext("Commands")):
                formatter.write_dl(rows)

