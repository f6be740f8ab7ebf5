"""Telegram HTML (a port of tdlib's parser): plain text and entities, or HtmlError."""

from __future__ import annotations

from tests.fakes.telegram.records import JSON


class HtmlError(ValueError):
    """Telegram's "can't parse entities" error."""


_SPACE = " \t\r\n\v\f"
_NUL = "\0"
# fmt: off
_HTML_TAGS = frozenset({
    "a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins", "tg-spoiler", "tg-emoji",
    "span", "pre", "code", "blockquote",
})
# fmt: on
_SIMPLE_ENTITIES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "u": "underline",
    "ins": "underline",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "blockquote": "blockquote",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _decode_html_entity(source: str, pos: int) -> tuple[str | None, int]:
    """Decode the character reference at `pos` (an '&') like tdlib: (char or None, end)."""

    def at(k: int) -> str:
        return source[k] if k < len(source) else _NUL

    end = pos + 1
    if at(end) == "#":
        end += 1
        code = 0
        if at(end) == "x":
            end += 1
            while at(end) in "0123456789abcdefABCDEF":
                code = code * 16 + int(at(end), 16)
                end += 1
        else:
            while at(end) in "0123456789":
                code = code * 10 + int(at(end))
                end += 1
        if code == 0 or code >= 0x10FFFF or end - pos >= 10:
            return None, pos
        char = chr(code)
    else:
        while at(end).isascii() and at(end).isalpha():
            end += 1
        named = _NAMED_ENTITIES.get(source[pos + 1 : end])
        if named is None:
            return None, pos
        char = named
    if at(end) == ";":
        end += 1
    return char, end


def parse_html(source: str, *, strict_ampersand: bool = True) -> tuple[str, list[JSON]]:
    """Parse Telegram HTML into (plain text, entities with UTF-16 offsets), or raise HtmlError.

    A port of tdlib's parser (td/telegram/MessageEntity.cpp), same error wording. One stricter
    rule, on by default: the Bot API documentation requires every '&' that does not start an
    entity to be written &amp; (Telegram itself lets a bare '&' through).
    """

    def at(k: int) -> str:
        return source[k] if k < len(source) else _NUL

    def offset(k: int) -> int:
        return len(source[:k].encode("utf-8"))

    n = len(source)
    out: list[str] = []
    utf16 = 0
    stack: list[tuple[str, str, int, int]] = []  # tag, argument, utf16 offset, len(out)
    entities: list[JSON] = []
    i = 0
    while i < n:
        char = source[i]
        if char == "&":
            decoded, end = _decode_html_entity(source, i)
            if decoded is not None:
                if 0xD800 <= ord(decoded) <= 0xDFFF:
                    raise HtmlError(
                        "Text contains invalid Unicode characters after decoding HTML entities, "
                        "check for unmatched surrogate code units"
                    )
                out.append(decoded)
                utf16 += _utf16_len(decoded)
                i = end
                continue
            if strict_ampersand:
                raise HtmlError(f'Unescaped "&" at byte offset {offset(i)}, write &amp;')
        if char != "<":
            out.append(char)
            utf16 += _utf16_len(char)
            i += 1
            continue

        begin = i
        i += 1
        if at(i) != "/":
            while at(i) not in _SPACE + _NUL and at(i) != ">":
                i += 1
            if i >= n:
                raise HtmlError(f"Unclosed start tag at byte offset {offset(begin)}")
            tag = source[begin + 1 : i].lower()
            if tag not in _HTML_TAGS:
                raise HtmlError(f'Unsupported start tag "{tag}" at byte offset {offset(begin)}')
            argument = ""
            while at(i) != ">":
                while i < n and at(i) in _SPACE:
                    i += 1
                if at(i) == ">":
                    break
                name_begin = i
                while at(i) not in _SPACE + _NUL and at(i) not in "=>":
                    i += 1
                name = source[name_begin:i]
                if not name:
                    raise HtmlError(
                        f'Empty attribute name in the tag "{tag}" at byte offset {offset(begin)}'
                    )
                while i < n and at(i) in _SPACE:
                    i += 1
                if at(i) != "=":
                    if tag == "blockquote" and name.lower() == "expandable":
                        continue
                    raise HtmlError(
                        "Expected equal sign in declaration of an attribute of the tag "
                        f'"{tag}" at byte offset {offset(begin)}'
                    )
                i += 1
                while i < n and at(i) in _SPACE:
                    i += 1
                if i >= n:
                    raise HtmlError(f'Unclosed start tag "{tag}" at byte offset {offset(begin)}')
                if at(i) not in "'\"":
                    token_begin = i
                    while at(i).isascii() and (at(i).isalnum() or at(i) in ".-") and i < n:
                        i += 1
                    value = source[token_begin:i].lower()
                    if at(i) not in _SPACE + _NUL and at(i) != ">":
                        raise HtmlError(
                            f"Unexpected end of name token at byte offset {offset(token_begin)}"
                        )
                else:
                    quote = at(i)
                    i += 1
                    chars: list[str] = []
                    while i < n and at(i) != quote:
                        if at(i) == "&":
                            decoded, end = _decode_html_entity(source, i)
                            if decoded is not None:
                                chars.append(decoded)
                                i = end
                                continue
                        chars.append(at(i))
                        i += 1
                    if i < n:
                        i += 1
                    value = "".join(chars)
                if i >= n:
                    raise HtmlError(f"Unclosed start tag at byte offset {offset(begin)}")
                if tag == "a" and name == "href":
                    argument = value
                elif tag == "code" and name == "class" and value.startswith("language-"):
                    argument = value[len("language-") :]
                elif tag == "span" and name == "class" and value.startswith("tg-"):
                    argument = value[len("tg-") :]
                elif tag == "tg-emoji" and name == "emoji-id":
                    argument = value
            if tag == "span" and argument != "spoiler":
                raise HtmlError(
                    f'Tag "span" must have class "tg-spoiler" at byte offset {offset(begin)}'
                )
            stack.append((tag, argument, utf16, len(out)))
        else:
            if not stack:
                raise HtmlError(f"Unexpected end tag at byte offset {offset(begin)}")
            while at(i) not in _SPACE + _NUL and at(i) != ">":
                i += 1
            end_tag = source[begin + 2 : i].lower()
            while i < n and at(i) in _SPACE:
                i += 1
            if at(i) != ">":
                raise HtmlError(f"Unclosed end tag at byte offset {offset(begin)}")
            tag, argument, start, start_out = stack[-1]
            if end_tag and end_tag != tag:
                raise HtmlError(
                    f'Unmatched end tag at byte offset {offset(begin)}, expected "</{tag}>", '
                    f'found "</{end_tag}>"'
                )
            length = utf16 - start
            if length > 0:
                _close_entity(entities, tag, argument, start, length, "".join(out[start_out:]))
            stack.pop()
        i += 1  # past '>'

    if stack:
        raise HtmlError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    for entity in entities:
        if entity["type"] == "code":
            entity.pop("language", None)
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _close_entity(
    entities: list[JSON], tag: str, argument: str, offset: int, length: int, inner: str
) -> None:
    last = entities[-1] if entities else None
    same_span = last is not None and last["offset"] == offset and last["length"] == length
    if tag in _SIMPLE_ENTITIES:
        entities.append({"type": _SIMPLE_ENTITIES[tag], "offset": offset, "length": length})
    elif tag == "tg-emoji":
        if not argument.isdigit() or int(argument) == 0:
            raise HtmlError("Invalid custom emoji identifier specified")
        entities.append(
            {
                "type": "custom_emoji",
                "offset": offset,
                "length": length,
                "custom_emoji_id": argument,
            }
        )
    elif tag == "a":
        entities.append(
            {"type": "text_link", "offset": offset, "length": length, "url": argument or inner}
        )
    elif tag == "pre":
        if same_span and last is not None and last["type"] == "code" and last.get("language"):
            last["type"] = "pre"
        else:
            entities.append({"type": "pre", "offset": offset, "length": length})
    elif tag == "code":
        if same_span and last is not None and last["type"] == "pre" and argument:
            last["language"] = argument
        else:
            entity: JSON = {"type": "code", "offset": offset, "length": length}
            if argument:
                entity["language"] = argument
            entities.append(entity)
