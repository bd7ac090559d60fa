"""Trees from parent ids (recommendations and their sub-points, framework items and their
children), built without lazy loads, for any page that shows one."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Node:
    """One entry of a tree built from parent ids, with anything the page counts for it."""

    obj: Any
    children: list[Node] = field(default_factory=list)
    count: int = 0


def build_tree(objects: Sequence[Any], counts: Mapping[int, int] | None = None) -> list[Node]:
    """Nest objects by ``parent_id`` without lazy loads; orphans become top-level nodes.

    Input order is kept among siblings, so sort the objects before calling.
    """
    counts = counts or {}
    nodes = {obj.id: Node(obj, count=counts.get(obj.id, 0)) for obj in objects}
    roots = []
    for obj in objects:
        parent = nodes.get(obj.parent_id) if obj.parent_id is not None else None
        (parent.children if parent is not None else roots).append(nodes[obj.id])
    return roots
