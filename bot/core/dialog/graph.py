"""A dialog drawn as a Mermaid flowchart, for content editors (`comptoir dialogs graph`)."""

from __future__ import annotations

from bot.core.dialog.schema import Dialog


def mermaid(dialog: Dialog) -> str:
    """The dialog as a Mermaid flowchart."""
    lines = ["flowchart TD"]
    for node_id, node in dialog.nodes.items():
        label = node.action or node.key or node.kind
        shape = (
            f'(["{node_id}: {label}"])'
            if node.kind in ("end", "action")
            else f'["{node_id}: {label}"]'
        )
        lines.append(f"    {node_id}{shape}")
    for node_id, node in dialog.nodes.items():
        if isinstance(node.next, str):
            lines.append(f"    {node_id} --> {node.next}")
        elif node.next:
            for rule in node.next:
                condition = ", ".join(f"{k}={v}" for k, v in {**rule.when, **rule.contains}.items())
                arrow = f"-- {condition} -->" if condition else "-->"
                lines.append(f"    {node_id} {arrow} {rule.next}")
        for option in node.options:
            if option.next:
                lines.append(f"    {node_id} -- {option.value} --> {option.next}")
    return "\n".join(lines) + "\n"
