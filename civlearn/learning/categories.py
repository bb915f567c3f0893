"""The course-category code table (課程類別代碼) the catalogue filters by, as a tree.

The hours portal owns the versioned code tables that validation and reporting use (loaded by operators with
`load_categories` or the admin); the catalogue reads the one in force today through `hours.selectors.category_rows`,
which comes from the rule book shared by every process, so a new table reaches the catalogue at once and there is no
copy of the file to keep in step."""

from __future__ import annotations

from dataclasses import dataclass, field

from civlearn.hours import selectors as hours_selectors


@dataclass
class Category:
    code: str
    name: str
    parent: str
    children: list[Category] = field(default_factory=list)


# The tree of the last row list seen: category_rows returns the same list object until the rule book or the table
# in force changes, so the tree is built once per change, not once per call (a catalogue page asks for it per
# category option).
# One slot holding both, replaced in one assignment (threads of a worker may read it meanwhile).
_tree: list[tuple[list, dict[str, Category]]] = []


def _table() -> dict[str, Category]:
    rows = hours_selectors.category_rows()
    if _tree and _tree[0][0] is rows:
        return _tree[0][1]
    nodes = {row["code"]: Category(row["code"], row["name"], row["parent_code"]) for row in rows}
    for node in nodes.values():
        if node.parent in nodes:
            nodes[node.parent].children.append(node)
    _tree[:] = [(rows, nodes)]
    return nodes


def category_name(code: str) -> str:
    node = _table().get(code)
    return node.name if node else ""


def category_subtree(code: str) -> set[str]:
    """The code and every code below it (a filter on a category matches its whole subtree)."""
    table = _table()
    if code not in table:
        return set()
    found, stack = set(), [table[code]]
    while stack:
        node = stack.pop()
        found.add(node.code)
        stack.extend(node.children)
    return found


def category_path(code: str, table: dict[str, Category] | None = None) -> list[Category]:
    """Root first, e.g. 政策能力訓練 › 政策宣導訓練 › 環境教育."""
    table, path = table if table is not None else _table(), []
    node = table.get(code)
    while node is not None:
        path.append(node)
        node = table.get(node.parent)
    return list(reversed(path))


def category_choices(used_codes: set[str]) -> list[tuple[str, str]]:
    """Options for the catalogue filter: the categories courses use and their ancestors, indented as a tree."""
    wanted: set[str] = set()
    table = _table()
    for code in used_codes:
        wanted.update(node.code for node in category_path(code, table))
    roots = [node for node in table.values() if node.parent not in table]
    options: list[tuple[str, str]] = []

    def walk(node: Category, depth: int) -> None:
        if node.code not in wanted:
            return
        options.append((node.code, f"{'　' * depth}{node.name}（{node.code}）"))
        for child in node.children:
            walk(child, depth + 1)

    for root in roots:
        walk(root, 0)
    return options
