"""A small HTML tree (stdlib html.parser) to query the rendered report in tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

_VOID = {"meta", "link", "br", "img", "input", "hr", "col", "source", "wbr"}


@dataclass
class Element:
    """One element of the parsed page."""

    tag: str
    attrs: dict[str, str | None]
    children: list[Element] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """All text inside, entities decoded."""
        out: list[str] = list(self.parts)
        for child in self.children:
            out.append(child.text)
        return "".join(out)

    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def find_all(self, tag: str, **attrs: str) -> list[Element]:
        """Descendants with ``tag`` (``*``: any) whose attributes equal ``attrs``
        (``class_`` matches one class)."""
        found = []
        for child in self.children:
            wanted = dict(attrs)
            cls = wanted.pop("class_", None)
            if (
                (tag == "*" or child.tag == tag)
                and all(child.attrs.get(k.replace("_", "-")) == v for k, v in wanted.items())
                and (cls is None or cls in child.classes())
            ):
                found.append(child)
            found.extend(child.find_all(tag, **attrs))
        return found

    def find(self, tag: str, **attrs: str) -> Element:
        found = self.find_all(tag, **attrs)
        assert found, f"no <{tag}> with {attrs}"
        return found[0]


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list) -> None:
        element = Element(tag, dict(attrs))
        self.stack[-1].children.append(element)
        if tag not in _VOID:
            self.stack.append(element)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].parts.append(data)


def parse_html(text: str) -> Element:
    """The document tree of ``text``."""
    builder = _TreeBuilder()
    builder.feed(text)
    builder.close()
    return builder.root
