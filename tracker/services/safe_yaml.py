"""A YAML loader for files people hand the tracker: PyYAML's safe loader with the limits it lacks.

- **Duplicate keys** are errors naming the key and both lines. PyYAML keeps the last value silently, so
  a second top-level ``contracts:`` used to drop every contract above it.
- **Nesting** deeper than ``max_depth`` is an error at the line where it happens (PyYAML's composer
  recurses, and a thousand ``[`` exhaust Python's stack).
- **Anchors and aliases** are accepted (PyYAML's own dumper writes them for shared objects, so generated
  files have them), but the nodes they add when expanded are bounded: at most ``max_alias_nodes`` or
  :data:`ALIAS_FACTOR` times the document's own nodes, whichever is more. A recursive alias is refused.
  A "billion laughs" file is a few hundred bytes that expand to 10⁹ strings: PyYAML shares the objects,
  but anything that walks or prints them does not.
- **Integers** longer than ``max_int_digits`` stay text, so validation reports them as a bad value.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

_MERGE_TAG = "tag:yaml.org,2002:merge"
# Sharing repeats a document's parts a few times; an exponential expansion multiplies them by thousands.
ALIAS_FACTOR = 4


class _Loader(yaml.SafeLoader):
    """SafeLoader plus the limits above (set on the class by :func:`load` through a subclass)."""

    max_depth = 64
    max_alias_nodes = 10_000
    max_int_digits = 30

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        self._depth += 1
        try:
            if self._depth > self.max_depth:
                mark = self.peek_event().start_mark
                raise ComposerError(None, None, f"nested deeper than {self.max_depth} levels", mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def get_single_node(self) -> Node | None:
        node = super().get_single_node()
        if node is not None:
            _check_expansion(node, self.max_alias_nodes)
        return node

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag == _MERGE_TAG:
                continue  # `<<: *base` merges may be overridden by the mapping's own keys, as YAML intends
            key = self.construct_object(key_node, deep=deep)
            try:
                first = seen.get(key)
            except TypeError:
                continue  # an unhashable key: SafeConstructor reports it
            if first is not None:
                raise ConstructorError(
                    None, None, f"duplicate key {key!s:.40} (first on line {first + 1}); a mapping may have each "
                    "key once", key_node.start_mark)
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_int(self, node: ScalarNode) -> int | str:  # type: ignore[override]
        digits = str(node.value).replace("_", "").lstrip("+-")
        if len(digits) > self.max_int_digits:
            return str(node.value)
        return super().construct_yaml_int(node)


_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _check_expansion(root: Node, minimum_budget: int) -> None:
    """Refuse a document whose aliases, expanded, add more than ``minimum_budget`` nodes or
    :data:`ALIAS_FACTOR` times its own (whichever is more), or refer to themselves.

    Sizes are computed once per node (aliases make the node graph a DAG), depth-first without recursion.
    """
    size: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        ident = id(node)
        if finished:
            open_nodes.discard(ident)
            size[ident] = 1 + sum(size[id(child)] for child in _children(node))
            continue
        if ident in size:
            continue
        if ident in open_nodes:
            raise ComposerError(None, None, "an alias that contains itself", node.start_mark)
        open_nodes.add(ident)
        stack.append((node, True))
        stack += [(child, False) for child in _children(node) if id(child) not in size]
    added = size[id(root)] - len(size)
    budget = max(minimum_budget, ALIAS_FACTOR * len(size))
    if added > budget:
        raise ComposerError(
            None, None, f"aliases that expand to {added:,} more nodes (at most {budget:,} in this file: anchors "
            "are for sharing fields, not for multiplying them)", root.start_mark)


def load(text: str, max_depth: int = 64, max_alias_nodes: int = 10_000, max_int_digits: int = 30) -> Any:
    """The one document in ``text``, with the limits above; :class:`yaml.YAMLError` on a violation."""
    loader_class = type("Loader", (_Loader,), {
        "max_depth": max_depth, "max_alias_nodes": max_alias_nodes, "max_int_digits": max_int_digits,
    })
    loader = loader_class(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()
